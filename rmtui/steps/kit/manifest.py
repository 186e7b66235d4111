"""The artifact manifest: which files the release ships, their recorded digests, SHA256SUMS."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from rmtui.core import facts
from rmtui.core.errors import StepFailed
from rmtui.core.facts import FileRecords
from rmtui.core.release import Release
from rmtui.core.step import ProbeContext
from rmtui.core.version import ReleaseType
from rmtui.ops.archive import tarball_prefix
from rmtui.ops.checksums import (
    NOT_SHIPPED_SUFFIXES,
    SUMS_FILE_NAME,
    check_sha256sums,
    sha256_file,
    write_sha256sums,
)

__all__ = ["NOT_SHIPPED_SUFFIXES", "SUMS_FILE_NAME", "FileRecords"]

# release.py builds docs for `tag.is_final or tag.level == "rc"`: level "f" covers bugfix
# releases (3.13.5) as well as X.Y.0. Security-only releases ship source only.
DOCS_RELEASE_TYPES = frozenset({ReleaseType.RC, ReleaseType.FINAL, ReleaseType.BUGFIX})


def has_handoff(release: Release) -> bool:
    """Whether the Windows and macOS experts build installers for this release."""
    return not release.security_only


def builds_docs(release: Release) -> bool:
    return not release.security_only and release.release_type in DOCS_RELEASE_TYPES


def shipped_artifacts(folder: Path) -> list[Path]:
    """Every file of `folder` (and below) that the release ships and that gets signatures."""
    if not folder.is_dir():
        return []
    found = []
    for path in sorted(folder.rglob("*")):
        relative = path.relative_to(folder)
        if any(part.startswith(".") for part in relative.parts) or not path.is_file():
            continue
        if path.name == SUMS_FILE_NAME or path.name.endswith(NOT_SHIPPED_SUFFIXES):
            continue
        found.append(path)
    return found


def tarball_names(release: Release) -> tuple[str, str]:
    """The two source tarballs of `release`, `.tgz` first."""
    prefix = tarball_prefix(str(release.version))
    return f"{prefix}.tgz", f"{prefix}.tar.xz"


def sbom_names(release: Release) -> dict[str, str]:
    """{SBOM file name: the tarball it describes}."""
    from rmtui.ops.sbom import sbom_path_for

    return {sbom_path_for(Path(name)).name: name for name in tarball_names(release)}


def docs_artifact_name(version: str, produced: str) -> str:
    """The published name of a docs archive: `python-<version>-docs-<what>`."""
    stem = f"python-{version}-docs-"
    if produced.startswith(stem):
        return produced
    if produced.startswith("docs-"):
        return f"python-{version}-{produced}"
    return stem + produced


def recorded_files(ctx: ProbeContext, fact: facts.Fact[FileRecords]) -> FileRecords:
    """The {file name: record} fact, or {} when it is not recorded yet."""
    value = fact.get(ctx.facts)
    return {str(k): dict(v) for k, v in value.items()} if value else {}


def built_digests(ctx: ProbeContext) -> dict[str, str]:
    """{tarball name: SHA-256} as export.source built them: what export.verify checks, what
    sbom.generate describes, and what a rebuild from the commit must reproduce."""
    return {n: str(r.get("sha256")) for n, r in recorded_files(ctx, facts.TARBALLS).items()}


def delivered_files(get: Callable[[str], Any], role: str) -> FileRecords:
    """What `role` delivered through `rmtui handoff import` ({} when nothing yet).

    `get` reads a fact by name: `ctx.facts.get` in a step, `engine.state.fact` elsewhere.
    """
    value = get(facts.DELIVERED.of(role).name)
    files = value.get("files") if isinstance(value, dict) else None
    return {str(k): dict(v) for k, v in files.items()} if isinstance(files, dict) else {}


def file_record(path: Path, **extra: Any) -> dict[str, Any]:
    return {"sha256": sha256_file(path), "size": path.stat().st_size, **extra}


def listing(items: list[str], limit: int = 6) -> str:
    shown = ", ".join(items[:limit])
    return shown + (f" and {len(items) - limit} more" if len(items) > limit else "")


def assert_sums_current(artifacts: Path, *, rebuilt: Iterable[str] = ()) -> None:
    """Stop when a file SHA256SUMS lists has changed, unless it is one of `rebuilt`."""
    sums = artifacts / SUMS_FILE_NAME
    if not sums.is_file():
        return
    fresh = set(rebuilt)
    changed = [
        result.name
        for result in check_sha256sums(sums)
        if result.reason == "checksum mismatch" and result.name not in fresh
    ]
    if changed:
        raise StepFailed(
            f"{listing(changed)} changed since {SUMS_FILE_NAME} listed them: something "
            "altered released files behind rmtui's back",
            "find out what changed them before anything else, then restore the originals "
            "and retry; a source tarball may be deleted instead: the checks rebuild it from "
            "the commit, byte for byte",
        )


def refresh_sha256sums(artifacts: Path, *, rebuilt: Iterable[str] = ()) -> Path | None:
    """Rewrite `artifacts/SHA256SUMS` to list every shipped artifact there (None: none yet).

    Tarballs, SBOMs, docs and imported installers are listed; signatures and SHA256SUMS itself
    are not. A file already listed whose bytes changed is refused unless the caller has just
    (re)built it (`rebuilt`): the list never silently absorbs a file changed behind its back.
    """
    files = shipped_artifacts(artifacts)
    if not files:
        return None
    assert_sums_current(artifacts, rebuilt=rebuilt)
    return write_sha256sums(artifacts, files)


def sums_gaps(artifacts: Path, names: Iterable[str]) -> list[str]:
    """Which of `names` SHA256SUMS does not list with their current digest."""
    sums = artifacts / SUMS_FILE_NAME
    wanted = list(names)
    if not sums.is_file():
        return wanted
    good = {result.name for result in check_sha256sums(sums) if result.ok}
    return [name for name in wanted if name not in good]


def changed_since_sums(folder: Path, artifacts: list[Path]) -> list[str]:
    """Which of `artifacts` differ from their digest in an existing SHA256SUMS."""
    sums = folder / SUMS_FILE_NAME
    if not sums.is_file():
        return []
    shipped = {path.relative_to(folder).as_posix() for path in artifacts}
    return [
        result.name
        for result in check_sha256sums(sums)
        if result.name in shipped and result.reason == "checksum mismatch"
    ]
