"""The checks behind `rmtui verify`: release files, their checksums and signatures.

Each check is a function from a VerifyRequest to result rows. More checks plug in two
ways: `register_check(fn)` adds one to every run, and `run_checks(request, extra_checks)`
adds some to one run, as `--commit SHA --repo PATH` does with `tarball_matches_commit`.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from rmtui.core.errors import RmtuiError
from rmtui.ops.checksums import NOT_SHIPPED_SUFFIXES

SUMS_NAME = "SHA256SUMS"
SIGNATURE_SUFFIXES = (".asc", ".sigstore")
# Files beside artifacts that are never artifacts themselves.
_SUMS_LINE = re.compile(r"^([0-9a-fA-F]{64}) [ *](.+)$")
_SOURCE_TARBALL = re.compile(r"^(Python-[0-9][0-9A-Za-z.+-]*)\.(?:tgz|tar\.xz)$")
FULL_SHA = re.compile(r"^(?:[0-9a-f]{40}|[0-9a-f]{64})$")
# What CPython's release.py changes between the commit and its tarballs, beyond the standard
# drop rules: `blurb export` writes Misc/NEWS and deletes Misc/NEWS.d, and a few generated
# sources get a newer mtime so that make does not rebuild them.
_EXPORT_GENERATES = "Misc/NEWS"
_EXPORT_DROPS = ("Misc/NEWS.d",)


@dataclass(frozen=True)
class CheckResult:
    """One row of the report: did `check` pass for `subject`, and why."""

    subject: str
    check: str
    passed: bool
    detail: str


@dataclass(frozen=True)
class VerifyRequest:
    """What to verify and what to expect."""

    artifacts: tuple[Path, ...]
    folders: tuple[Path, ...] = ()
    identity: str | None = None
    issuer: str | None = None
    staging: bool = False
    gpg_key: str | None = None
    gnupghome: Path | None = None


Check = Callable[[VerifyRequest], Iterable[CheckResult]]
_registered: list[Check] = []


def register_check(check: Check) -> Check:
    """Add `check` to every verification run (usable as a decorator)."""
    if check not in _registered:
        _registered.append(check)
    return check


def _is_artifact(path: Path) -> bool:
    name = path.name
    return (
        path.is_file()
        and not name.startswith(".")
        and name != SUMS_NAME
        and not name.endswith(NOT_SHIPPED_SUFFIXES)
    )


def _signature_beside(path: Path) -> bool:
    return any(path.with_name(path.name + suffix).is_file() for suffix in SIGNATURE_SUFFIXES)


def collect(paths: Sequence[Path]) -> tuple[tuple[Path, ...], tuple[Path, ...]]:
    """The artifacts named by `paths` (files, or every artifact in a folder), and the folders."""
    artifacts: list[Path] = []
    folders: list[Path] = []
    for path in paths:
        if path.is_dir():
            folders.append(path)
            members = sorted(entry for entry in path.iterdir() if _is_artifact(entry))
            # A signed SHA256SUMS is checked like any signed file.
            sums = path / SUMS_NAME
            if sums.is_file() and _signature_beside(sums):
                members.append(sums)
            artifacts.extend(members)
            continue
        for suffix in SIGNATURE_SUFFIXES:
            # Naming the signature means its artifact.
            if path.name.endswith(suffix) and path.with_name(path.name[: -len(suffix)]).is_file():
                path = path.with_name(path.name[: -len(suffix)])
        artifacts.append(path)
    unique = tuple(dict.fromkeys(artifacts))
    return unique, tuple(dict.fromkeys(folders))


# The built-in checks


def check_checksums(request: VerifyRequest) -> Iterator[CheckResult]:
    """Every artifact beside a SHA256SUMS must be listed in it with its real digest."""
    by_folder: dict[Path, list[Path]] = {}
    for artifact in request.artifacts:
        if artifact.name != SUMS_NAME:
            by_folder.setdefault(artifact.parent, []).append(artifact)
    for folder in request.folders:
        by_folder.setdefault(folder, [])
    for folder, artifacts in by_folder.items():
        sums = folder / SUMS_NAME
        if sums.is_file():
            yield from _check_sums_file(
                sums, artifacts, listed_must_exist=folder in request.folders
            )


def _check_sums_file(
    sums: Path, artifacts: list[Path], *, listed_must_exist: bool
) -> Iterator[CheckResult]:
    listed: dict[str, str] = {}
    for number, line in enumerate(sums.read_text(errors="replace").splitlines(), start=1):
        if not line.strip():
            continue
        match = _SUMS_LINE.match(line)
        if match is None:
            yield CheckResult(
                SUMS_NAME, "sha256", False, f"line {number} is not '<sha256>  <file>': {line!r}"
            )
            continue
        listed[match.group(2).removeprefix("./")] = match.group(1).lower()
    for artifact in artifacts:
        expected = listed.get(artifact.name)
        if expected is None:
            yield CheckResult(artifact.name, "sha256", False, f"not listed in {SUMS_NAME}")
            continue
        with artifact.open("rb") as stream:
            actual = hashlib.file_digest(stream, "sha256").hexdigest()
        if actual == expected:
            yield CheckResult(artifact.name, "sha256", True, f"matches {SUMS_NAME}")
        else:
            yield CheckResult(
                artifact.name,
                "sha256",
                False,
                f"digest {actual} differs from {expected} in {SUMS_NAME}: the file changed",
            )
    if listed_must_exist:
        for name in sorted(set(listed) - {artifact.name for artifact in artifacts}):
            if not (sums.parent / name).is_file():
                yield CheckResult(name, "sha256", False, f"listed in {SUMS_NAME} but missing")


def check_gpg(request: VerifyRequest) -> Iterator[CheckResult]:
    """Each `.asc` must be a good signature by the expected key."""
    from rmtui.ops.gpg import Gpg

    gpg: Gpg | None = None
    for artifact in request.artifacts:
        signature = artifact.with_name(artifact.name + ".asc")
        if not signature.is_file():
            if request.gpg_key:
                yield CheckResult(artifact.name, "gpg", False, f"no {signature.name} beside it")
            continue
        if not request.gpg_key:
            yield CheckResult(
                artifact.name,
                "gpg",
                False,
                f"{signature.name} found but no key to expect: pass --gpg-key FINGERPRINT",
            )
            continue
        try:
            gpg = gpg or Gpg(request.gnupghome)
            gpg.verify_detached(artifact, signature, request.gpg_key)
        except RmtuiError as exc:
            yield CheckResult(artifact.name, "gpg", False, _explain(exc))
            continue
        yield CheckResult(artifact.name, "gpg", True, f"good signature by {request.gpg_key}")


def check_sigstore(request: VerifyRequest) -> Iterator[CheckResult]:
    """Each `.sigstore` bundle must verify, offline, for the expected identity and issuer."""
    expected = None
    for artifact in request.artifacts:
        bundle = artifact.with_name(artifact.name + ".sigstore")
        wanted = request.identity and request.issuer
        if not bundle.is_file():
            if wanted:
                yield CheckResult(artifact.name, "sigstore", False, f"no {bundle.name} beside it")
            continue
        if not wanted:
            yield CheckResult(
                artifact.name,
                "sigstore",
                False,
                f"{bundle.name} found but no identity to expect: pass --identity and --issuer",
            )
            continue
        # sigstore-python takes a moment to import: only verifications pay for it.
        from rmtui.ops.sigstore import SigstoreIdentity, instance_name, verify_bundle

        expected = expected or SigstoreIdentity(str(request.identity), str(request.issuer))
        try:
            verify_bundle(artifact, bundle, expected, staging=request.staging)
        except RmtuiError as exc:
            yield CheckResult(artifact.name, "sigstore", False, _explain(exc))
            continue
        detail = f"signed by {expected} on Sigstore {instance_name(request.staging)}"
        yield CheckResult(artifact.name, "sigstore", True, detail)


def check_signed(request: VerifyRequest) -> Iterator[CheckResult]:
    """An artifact with no signature at all beside it fails: nothing vouches for it."""
    for artifact in request.artifacts:
        if _signature_beside(artifact):
            continue
        if request.gpg_key or (request.identity and request.issuer):
            continue  # the gpg or sigstore row already names the missing signature
        yield CheckResult(artifact.name, "signed", False, "no .asc or .sigstore beside it")


def check_exists(request: VerifyRequest) -> Iterator[CheckResult]:
    """Artifacts named directly must exist (the other checks only see those that do)."""
    for artifact in request.artifacts:
        if not artifact.is_file():
            yield CheckResult(artifact.name, "exists", False, f"{artifact} is not a file")


def tarball_matches_commit(commit: str, repo: Path) -> Check:
    """A Check that each source tarball holds exactly `git archive` of `commit` in `repo`."""

    def check_commit(request: VerifyRequest) -> Iterator[CheckResult]:
        from types import MappingProxyType

        from rmtui.ops.archive import RELEASE_PY_TOUCHABLES
        from rmtui.ops.treecompare import AllowedDifferences, compare_tarball_to_commit

        allowed = AllowedDifferences(
            generated=MappingProxyType({_EXPORT_GENERATES: None}),
            dropped=_EXPORT_DROPS,
            touched=frozenset(RELEASE_PY_TOUCHABLES),
        )
        tarballs = [
            (a, m.group(1)) for a in request.artifacts if (m := _SOURCE_TARBALL.match(a.name))
        ]
        if not tarballs:
            yield CheckResult(
                "*", "commit", False, "no source tarball (Python-X.Y.Z.tgz or .tar.xz) to compare"
            )
        for tarball, prefix in tarballs:
            try:
                found = compare_tarball_to_commit(tarball, repo, commit, prefix, allowed)
            except RmtuiError as exc:
                yield CheckResult(tarball.name, "commit", False, _explain(exc))
                continue
            # A tree without NEWS entries ships no Misc/NEWS: harmless, unlike anything added.
            found = [d for d in found if (d.path, d.kind) != (_EXPORT_GENERATES, "removed")]
            if not found:
                detail = f"holds exactly git archive of {commit[:12]} (+ {_EXPORT_GENERATES})"
                yield CheckResult(tarball.name, "commit", True, detail)
                continue
            shown = "; ".join(f"{d.path}: {d.kind} ({d.detail})" for d in found[:5])
            more = f"; and {len(found) - 5} more" if len(found) > 5 else ""
            yield CheckResult(
                tarball.name,
                "commit",
                False,
                f"{len(found)} difference(s) from commit {commit[:12]}: {shown}{more}",
            )

    return check_commit


# Run on the artifacts that exist; check_exists reports the others first.
BUILTIN_CHECKS: tuple[Check, ...] = (
    check_checksums,
    check_gpg,
    check_sigstore,
    check_signed,
)


def _explain(exc: RmtuiError) -> str:
    return f"{exc.problem} (fix: {exc.hint})" if exc.hint else exc.problem


def run_checks(request: VerifyRequest, extra_checks: Iterable[Check] = ()) -> list[CheckResult]:
    """Run the built-in, registered and extra checks; a check that errors becomes a row."""
    present = replace(
        request, artifacts=tuple(path for path in request.artifacts if path.is_file())
    )
    results: list[CheckResult] = list(check_exists(request))
    for check in (*BUILTIN_CHECKS, *_registered, *extra_checks):
        try:
            results.extend(check(present))
        except RmtuiError as exc:
            name = getattr(check, "__name__", "check").removeprefix("check_")
            results.append(CheckResult("*", name, False, _explain(exc)))
    return results
