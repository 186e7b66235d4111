"""export.source, export.verify and sbom.generate, and what every artifact step shares."""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import shlex
import shutil
import tempfile
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from rmtui.core.atomic import fsync_directory
from rmtui.core.errors import StepFailed
from rmtui.core.release import Release
from rmtui.core.step import Action, Phase, Probe, Step, StepContext
from rmtui.ops import shell
from rmtui.ops.archive import RELEASE_PY_TOUCHABLES, git_archive_command, tarball_prefix
from rmtui.ops.checksums import SUMS_FILE_NAME, check_sha256sums, sha256_file, write_sha256sums
from rmtui.ops.git import GitRepo
from rmtui.ops.treecompare import AllowedDifferences
from rmtui.steps.common import (
    FACT_RELEASE_COMMIT,
    clone,
    require_fork_tag,
    require_release_commit,
)
from rmtui.steps.release_tools import blurb_command
from rmtui.steps.signing import shipped_artifacts

# Facts: {file name: {"sha256": ..., "size": ...}} for each kind of artifact a step makes.
FACT_TARBALLS = "export.tarballs"
FACT_SBOMS = "sbom.documents"

NEWS_DIR = "Misc/NEWS.d"
NEWS_FILE = "Misc/NEWS"
SCRATCH = "scratch"  # under the workspace: temporary worktrees and extracted trees
_COMPRESSING = re.compile(r"compressing: (\d+) of ~(\d+) MiB")
_COPY_CHUNK = 1 << 20

FileRecords = dict[str, dict[str, Any]]


# -- names, facts and the checksum list --------------------------------------------------


def tarball_names(release: Release) -> tuple[str, str]:
    """The two source tarballs of `release`, `.tgz` first."""
    prefix = tarball_prefix(str(release.version))
    return f"{prefix}.tgz", f"{prefix}.tar.xz"


def built_digests(ctx: StepContext) -> dict[str, str]:
    """{tarball name: SHA-256} as export.source built them: what export.verify checks, what
    sbom.generate describes, and what a rebuild from the commit must reproduce."""
    return {n: str(r.get("sha256")) for n, r in recorded_files(ctx, FACT_TARBALLS).items()}


def recorded_files(ctx: StepContext, key: str) -> FileRecords:
    """The {file name: record} fact `key`, or {} when it is not recorded yet."""
    value = ctx.facts.get(key)
    return {str(k): dict(v) for k, v in value.items()} if isinstance(value, dict) else {}


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


def probe_recorded(artifacts: Path, recorded: FileRecords, made_by: str) -> Probe | None:
    """Not done or inconsistent when recorded files are missing or changed; None when all match."""
    missing: list[str] = []
    changed: list[str] = []
    for name, record in sorted(recorded.items()):
        path = artifacts / name
        if not path.is_file():
            missing.append(name)
            continue
        now = sha256_file(path)
        if now != record.get("sha256"):
            changed.append(f"{name} (sha256 now {now}, recorded {record.get('sha256')})")
    if changed:
        return Probe.inconsistent(
            f"{listing(changed)} changed after {made_by} wrote them: do not ship them"
        )
    if missing:
        return Probe.not_done(f"{listing(missing)} missing from {artifacts}")
    gaps = sums_gaps(artifacts, recorded)
    if gaps:
        return Probe.not_done(f"{SUMS_FILE_NAME} does not list {listing(gaps)} yet")
    return None


def install_files(
    sources: Mapping[str, Path], folder: Path, *, expected: Mapping[str, str] | None = None
) -> FileRecords:
    """Copy each source into `folder` under its new name: all renamed in place, or none.

    Every copy is written under a temporary name, hashed as it is written, and fsynced; when
    `expected` gives a name's SHA-256, a copy with another digest stops everything. Only when
    all are complete are they renamed. The records hold the digests of the copies.
    """
    folder.mkdir(parents=True, exist_ok=True)
    staged: list[tuple[Path, Path]] = []
    records: FileRecords = {}
    try:
        for name, source in sources.items():
            handle = tempfile.NamedTemporaryFile(  # noqa: SIM115 (closed just below)
                dir=folder, prefix=f".{name}.{os.getpid()}.", suffix=".tmp", delete=False
            )
            temp = Path(handle.name)
            staged.append((temp, folder / name))
            with handle:
                os.fchmod(handle.fileno(), 0o644)
                records[name] = _copy_hashing(source, handle)
                handle.flush()
                os.fsync(handle.fileno())
            wanted = (expected or {}).get(name)
            if wanted is not None and records[name]["sha256"] != wanted:
                raise StepFailed(
                    f"{source} changed while it was copied (sha256 {records[name]['sha256']}, "
                    f"checked as {wanted}); nothing was copied",
                    "make sure nothing writes to the folder, then import again",
                )
        for temp, final in staged:
            os.replace(temp, final)
        fsync_directory(folder)
    except OSError as exc:
        raise StepFailed(
            f"cannot copy into {folder}: {exc}",
            "check free disk space and permissions there, then retry",
        ) from exc
    finally:
        for temp, _final in staged:
            temp.unlink(missing_ok=True)
    return records


def _copy_hashing(source: Path, target: IO[bytes]) -> dict[str, Any]:
    digest = hashlib.sha256()
    size = 0
    with source.open("rb") as stream:
        while chunk := stream.read(_COPY_CHUNK):
            digest.update(chunk)
            target.write(chunk)
            size += len(chunk)
    return {"sha256": digest.hexdigest(), "size": size}


# -- the release commit, checked out where nobody works -----------------------------------------


def _scratch(release: Release) -> Path:
    path = release.workspace / SCRATCH
    path.mkdir(parents=True, exist_ok=True)
    return path


def clear_scratch(release: Release) -> None:
    """Remove what an interrupted step left in the scratch folder (the release lock is held)."""
    scratch = release.workspace / SCRATCH
    if not scratch.is_dir():
        return
    leftovers = list(scratch.iterdir())
    if not leftovers:
        return
    cleaner = GitRepo(release.clone) if release.clone.is_dir() else None
    for path in leftovers:
        if cleaner is not None and path.is_dir():
            cleaner.run("worktree", "remove", "--force", str(path), check=False, echo=False)
        if path.is_dir():
            shutil.rmtree(path, ignore_errors=True)
        else:
            path.unlink(missing_ok=True)
    if cleaner is not None:
        cleaner.run("worktree", "prune", check=False, echo=False)


@contextlib.contextmanager
def commit_worktree(ctx: StepContext, repo: GitRepo, commit: str, purpose: str) -> Iterator[Path]:
    """A detached worktree of `commit` in the workspace's scratch folder, removed afterwards."""
    release = ctx.release
    clear_scratch(release)
    path = Path(tempfile.mkdtemp(prefix=f"{purpose}-", dir=_scratch(release)))
    # Cleanup must run even after the RM pressed stop, so it ignores the cancel event.
    cleaner = GitRepo(repo.path, sink=ctx.output)
    try:
        repo.run("worktree", "add", "--detach", "--quiet", str(path), commit)
        yield path
    finally:
        cleaner.run("worktree", "remove", "--force", str(path), check=False, echo=False)
        shutil.rmtree(path, ignore_errors=True)
        cleaner.run("worktree", "prune", check=False, echo=False)


def worktree_command(release: Release, purpose: str) -> str:
    scratch = release.workspace / SCRATCH / f"{purpose}-<random>"
    return f"git -C {release.clone} worktree add --detach {scratch} RELEASE_COMMIT"


# -- what the export changes, derived from the commit alone ------------------------------------


@dataclass(frozen=True)
class ExportInputs:
    """What the export adds (generated files), drops and touches beyond `git archive`."""

    extra_files: Mapping[str, bytes] = field(default_factory=dict)
    drop: tuple[str, ...] = ()
    touch: tuple[str, ...] = RELEASE_PY_TOUCHABLES

    def allowed(self) -> AllowedDifferences:
        return AllowedDifferences.for_export(
            extra_files=self.extra_files, touch=self.touch, drop=self.drop
        )


def export_inputs(ctx: StepContext, repo: GitRepo, commit: str) -> ExportInputs:
    """Misc/NEWS made by `blurb merge` from the commit's Misc/NEWS.d, which is then dropped.

    That is what CPython's release.py does with `blurb merge` and `blurb export`; a commit
    without Misc/NEWS.d needs neither.
    """
    if repo.rev_parse(f"{commit}:{NEWS_DIR}") is None:
        ctx.output(f"the commit has no {NEWS_DIR}: no NEWS to generate")
        return ExportInputs()
    blurb = blurb_command(ctx.release)
    if blurb is None:
        raise StepFailed(
            f"the release commit has {NEWS_DIR}, which blurb turns into {NEWS_FILE}, but blurb "
            "is not installed",
            "install it (pip install blurb, or rmtui[cpython]) and retry",
        )
    with commit_worktree(ctx, repo, commit, "news") as tree:
        target = tree.parent / f"{tree.name}.NEWS"
        try:
            shell.run(
                [*blurb, "merge", "-f", str(target)],
                cwd=tree,
                sink=ctx.output,
                cancel=ctx.cancel,
                hint=f"blurb could not read {NEWS_DIR} of the release commit; fix the entry it "
                "names on the release branch only if the release has not been tagged, else "
                "report it and retry",
            )
            news = target.read_bytes()
        finally:
            target.unlink(missing_ok=True)
    ctx.output(f"generated {NEWS_FILE} ({len(news)} bytes); {NEWS_DIR} is left out")
    return ExportInputs(extra_files={NEWS_FILE: news}, drop=(NEWS_DIR,))


def news_actions(release: Release) -> list[Action]:
    return [
        Action(
            f"generate {NEWS_FILE} from {NEWS_DIR} in a throwaway worktree of the release commit "
            f"(when the commit has {NEWS_DIR}; the tarball leaves {NEWS_DIR} out, like "
            "`blurb export`)",
            f"{worktree_command(release, 'news')} && blurb merge -f NEWS",
        )
    ]


def build_tarballs(
    ctx: StepContext, commit: str, inputs: ExportInputs, out_dir: Path
) -> dict[str, dict[str, Any]]:
    """Both tarballs of the release commit into `out_dir`: {name: {"sha256", "size"}}."""
    from rmtui.ops.tarball import export_source

    digests = export_source(
        ctx.release.clone,
        commit,
        str(ctx.release.version),
        out_dir,
        extra_files=inputs.extra_files,
        touch=inputs.touch,
        drop=inputs.drop,
        progress=_export_reporter(ctx),
    )
    return {d.path.name: {"sha256": d.sha256, "size": d.size} for d in digests}


def restore_missing_tarballs(
    ctx: StepContext, repo: GitRepo, commit: str, expected: Mapping[str, str]
) -> list[str]:
    """Rebuild from the commit any tarball deleted from artifacts/; it must be byte for byte
    the `expected` SHA-256. This is how a tampered tarball is replaced: delete it, retry.
    """
    release = ctx.release
    missing = [n for n in tarball_names(release) if not (release.artifacts / n).exists()]
    if not missing:
        return []
    ctx.output(f"{listing(missing)} missing: rebuilding from the release commit {commit}")
    inputs = export_inputs(ctx, repo, commit)
    clear_scratch(release)
    out_dir = Path(tempfile.mkdtemp(prefix="rebuild-", dir=_scratch(release)))
    try:
        built = build_tarballs(ctx, commit, inputs, out_dir)
        wrong = [n for n in missing if built[n]["sha256"] != expected.get(n)]
        if wrong:
            details = "; ".join(
                f"{n} came out with sha256 {built[n]['sha256']}, recorded {expected.get(n)}"
                for n in wrong
            )
            raise StepFailed(
                f"rebuilt from the commit, the tarballs differ from the recorded ones: {details}",
                "the export is not reproducible on this machine (another xz or zlib than at "
                "export time?): rebuild on the machine that exported, or start the artifacts "
                "over in a new release workspace",
            )
        for name in missing:
            os.replace(out_dir / name, release.artifacts / name)
        fsync_directory(release.artifacts)
    finally:
        shutil.rmtree(out_dir, ignore_errors=True)
    ctx.output(f"rebuilt {listing(missing)}: byte for byte the recorded SHA-256")
    refresh_sha256sums(release.artifacts, rebuilt=missing)
    return missing


# -- export.source -----------------------------------------------------------------------------


class ExportSourceStep(Step):
    id = "export.source"
    title = "Build the source tarballs"
    phase = Phase.BUILD
    requires = ("fork.push",)
    help = """\
**What it does.** Builds `Python-<version>.tgz` and `Python-<version>.tar.xz` into `artifacts/`
from the *recorded release commit* (`git archive` of it, never your working tree), after checking
that your local tag and the fork's tag still resolve to that commit. It follows CPython's rules:
the prefix `Python-<version>/`; `Misc/NEWS` generated by `blurb merge` and `Misc/NEWS.d` left out
(as `blurb export` does); no `.git*`, `.github`, `.azure-pipelines`, `Misc/mypy`, `__pycache__`
or `*.pyc`; the generated files release.py touches get a newer mtime. The tarballs are
reproducible: sorted names, mtime = the commit time, owner 0:0 without names, normalized modes,
gzip without name or timestamp; building twice gives the same bytes. Size and SHA-256 of each
are recorded as facts and listed in `SHA256SUMS`.

**Why.** The source tarballs are the root of trust of every downstream build.

**Threat it guards against.** A tarball built from a dirty checkout, a moved tag, or files
changed after the build: its probe compares the files with the digests recorded here and reports
a changed tarball as inconsistent, naming it.

**How to recover.** A moved tag: find out who moved it; the recorded commit is the truth. A
changed tarball: find out what changed it, then delete it; the next check that needs it
(`export.verify`, `sbom.generate`, `artifacts.test`) rebuilds it from the commit and insists on
the very bytes recorded here.
"""
    check_after_interruption = "the tarballs in artifacts/ (an interrupted export is rebuilt)"

    def plan(self, release: Release) -> list[Action]:
        from rmtui.ops.tarball import xz_command

        tgz, xz = tarball_names(release)
        archive = shlex.join(git_archive_command(release.clone, "RELEASE_COMMIT"))
        folder = release.artifacts
        return [
            Action(
                "check the local and the fork's tag still resolve to the recorded commit",
                f"git -C {release.clone} ls-remote {release.profile.repos.fork_remote} "
                f"refs/tags/{release.version.tag}",
            ),
            *news_actions(release),
            Action(
                f"read the release commit's tree (drop rules applied, touched files +1 s, "
                f"prefix {tarball_prefix(str(release.version))}/, names sorted, 0:0, mtime = "
                "commit time)",
                archive,
            ),
            Action(
                f"compress one tar stream in parallel into {folder}/{tgz} and {xz}",
                f"gzip -9 -n > {tgz} & {shlex.join(xz_command())} > {xz}",
            ),
            Action(
                "record size and SHA-256 of each; list every artifact in SHA256SUMS",
                f"cd {folder} && sha256sum {tgz} {xz} ... > {SUMS_FILE_NAME}",
            ),
        ]

    def probe(self, ctx: StepContext) -> Probe:
        release = ctx.release
        recorded = recorded_files(ctx, FACT_TARBALLS)
        names = tarball_names(release)
        commit = ctx.facts.get(FACT_RELEASE_COMMIT)
        if not recorded:
            return self._unrecorded(release, names, commit)
        stale = [n for n in names if recorded.get(n, {}).get("commit") != commit]
        if stale:
            return Probe.not_done(f"{listing(stale)} not recorded for the release commit {commit}")
        found = probe_recorded(release.artifacts, {n: recorded[n] for n in names}, self.id)
        if found is not None:
            return found
        return Probe.done(f"{' and '.join(names)} match their recorded SHA-256")

    @staticmethod
    def _unrecorded(release: Release, names: tuple[str, ...], commit: Any) -> Probe:
        # SHA256SUMS is written only once both tarballs are complete: if it lists them, the
        # export finished and only its fact is missing (export.verify checks the content).
        present = [n for n in names if (release.artifacts / n).is_file()]
        if commit is None or len(present) < len(names) or sums_gaps(release.artifacts, names):
            extra = f" ({', '.join(present)} from an unfinished export will be rebuilt)"
            return Probe.not_done("no tarballs recorded yet" + (extra if present else ""))
        built = {n: file_record(release.artifacts / n, commit=commit) for n in names}
        return Probe.done(
            f"{' and '.join(names)} are complete and listed in {SUMS_FILE_NAME}",
            {FACT_TARBALLS: built},
        )

    def run(self, ctx: StepContext) -> None:
        release = ctx.release
        repo = clone(ctx)
        commit = require_release_commit(ctx, repo)
        require_fork_tag(ctx, repo, commit)
        ctx.progress(0, 3, f"generating {NEWS_FILE}")
        inputs = export_inputs(ctx, repo, commit)
        ctx.progress(1, 3, "building the tarballs")
        built = build_tarballs(ctx, commit, inputs, release.artifacts)
        ctx.progress(2, 3, f"writing {SUMS_FILE_NAME}")
        refresh_sha256sums(release.artifacts, rebuilt=built)
        ctx.record_fact(FACT_TARBALLS, {n: {**r, "commit": commit} for n, r in built.items()})
        ctx.progress(3, 3, "exported")


def _export_reporter(ctx: StepContext) -> Callable[[str], None]:
    def report(message: str) -> None:
        ctx.output(message)
        match = _COMPRESSING.match(message)
        if match and int(match.group(2)):
            share = min(1.0, int(match.group(1)) / int(match.group(2)))
            ctx.progress(1 + share, 3, "compressing")

    return report


# -- export.verify -----------------------------------------------------------------------------


class ExportVerifyStep(Step):
    id = "export.verify"
    title = "Check the tarballs against the commit"
    phase = Phase.BUILD
    requires = ("export.source",)
    help = """\
**What it does.** Reads each tarball and `git archive` of the recorded release commit side by
side and compares them file by file: paths, contents (SHA-256), link targets, modes and mtimes.
The only differences allowed are the ones the export declares: `Misc/NEWS` generated again here
from the commit with `blurb merge` (its content must match), `Misc/NEWS.d` and the dotfiles
left out, the touched files' newer mtime. It also checks each tarball still has the SHA-256
recorded at export.

**Why.** It shows, rather than assumes, that the published source is exactly the public commit.

**Threat it guards against.** A file injected into a tarball, removed from it or changed in it
(by a compromised build machine, a bad tool, or a hand edit): the release stops and names every
such file.

**How to recover.** Do not ship the tarballs. Find out what changed them (the step names the
files), delete them, and retry this step: a missing tarball is rebuilt from the commit, must come
out byte for byte as `export.source` recorded it, and is then compared again.
"""
    check_after_interruption = "nothing: the comparison only reads, so running it again is safe"

    def plan(self, release: Release) -> list[Action]:
        archive = shlex.join(git_archive_command(release.clone, "RELEASE_COMMIT"))
        tarballs = " ".join(str(release.artifacts / name) for name in tarball_names(release))
        return [
            Action(
                "rebuild a deleted tarball from the commit (it must match the recorded SHA-256)"
            ),
            *news_actions(release),
            Action(f"read the commit's files, as the export read them: {archive}"),
            Action(
                "compare each tarball file by file with the commit: paths, SHA-256, link "
                "targets, modes, mtimes; only the declared changes may differ (the same check "
                "by hand, allowing any Misc/NEWS content:)",
                f"rmtui verify {tarballs} --commit RELEASE_COMMIT --repo {release.clone}",
            ),
        ]

    def probe(self, ctx: StepContext) -> Probe:
        return Probe.not_done("a read-only comparison: running it again is safe")

    def run(self, ctx: StepContext) -> None:
        from rmtui.ops.treecompare import compare_tarball_to_commit

        release = ctx.release
        repo = clone(ctx)
        commit = require_release_commit(ctx, repo)
        expected = built_digests(ctx)
        if not expected:
            raise StepFailed("no tarballs are recorded", "run export.source first")
        restore_missing_tarballs(ctx, repo, commit, expected)
        allowed = export_inputs(ctx, repo, commit).allowed()
        prefix = tarball_prefix(str(release.version))
        names = tarball_names(release)
        problems: list[str] = []
        for number, name in enumerate(names):
            path = release.artifacts / name
            if not path.is_file():
                problems.append(f"{name} is missing")
                continue
            ctx.progress(number, len(names), f"comparing {name} with {commit[:12]}")
            differences = compare_tarball_to_commit(path, release.clone, commit, prefix, allowed)
            for difference in differences:
                problems.append(f"{name}: {difference.kind} {difference.path}: {difference.detail}")
            digest = sha256_file(path)
            if digest != expected.get(name):
                problems.append(
                    f"{name}: sha256 {digest} is not the {expected.get(name)} recorded when "
                    "export.source built it"
                )
            elif not differences:
                ctx.output(f"{name}: exactly the files of {commit}, plus the declared changes")
        ctx.progress(len(names), len(names), "compared")
        if problems:
            shown = "\n".join(f"  {line}" for line in problems[:40])
            more = f"\n  ... and {len(problems) - 40} more" if len(problems) > 40 else ""
            raise StepFailed(
                f"the tarballs are not the release commit {commit}:\n{shown}{more}",
                "do not ship them. Find out what changed them (the files named above), then "
                f"delete {' and '.join(names)} and retry this step: it rebuilds them from the "
                "commit, byte for byte what export.source recorded, and checks them again",
            )


# -- sbom.generate -----------------------------------------------------------------------------


def sbom_names(release: Release) -> dict[str, str]:
    """{SBOM file name: the tarball it describes}."""
    from rmtui.ops.sbom import sbom_path_for

    return {sbom_path_for(Path(name)).name: name for name in tarball_names(release)}


def _described_digest(sbom: Path, tarball: str) -> str | None:
    """The SHA-256 the SBOM gives for `tarball` (None when it does not describe it)."""
    import json

    from rmtui.ops.sbom import CPYTHON_ID

    try:
        document = json.loads(sbom.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    for package in document.get("packages", []):
        if package.get("SPDXID") != CPYTHON_ID or package.get("packageFileName") != tarball:
            continue
        for checksum in package.get("checksums", []):
            if checksum.get("algorithm") == "SHA256":
                return str(checksum.get("checksumValue"))
    return None


class SbomGenerateStep(Step):
    id = "sbom.generate"
    title = "Write an SPDX SBOM per tarball"
    phase = Phase.BUILD
    requires = ("export.verify",)
    help = """\
**What it does.** Writes `<tarball>.spdx.json` next to each source tarball: an SPDX 2.3 document
naming the CPython package (the tarball's SHA-256, a purl and a CPE, the PSF as supplier), the
vendored components the tree declares in `Misc/sbom.spdx.json` with their relationships, and
every file with its checksums and the package verification code. Its creation time is the
commit time, so the same tarball always gets the same SBOM. Only tarballs `export.verify` found
equal to the commit are described. The SBOMs join `SHA256SUMS` and are signed like the tarballs.

**Why.** Users and distributors see what is inside the release, and `rmtui sbom diff OLD NEW`
shows what changed underneath between two releases.

**Threat it guards against.** Vendored code that changed silently between releases, and an SBOM
that describes another file than the one shipped (it names the tarball's digest).

**How to recover.** A tarball that changed after verification is refused: find out what changed
it, delete it, and retry; it is rebuilt from the commit and must match the verified digest. A
stale SBOM is simply written again.
"""
    check_after_interruption = "the .spdx.json files in artifacts/"

    def plan(self, release: Release) -> list[Action]:
        base = release.profile.publish.url or "https://www.python.org/ftp/python"
        sboms = sbom_names(release)
        return [
            *(
                Action(
                    f"write {release.artifacts / sbom}: SPDX 2.3 for {tarball} (its SHA-256, "
                    f"purl, CPE; the vendored components of Misc/sbom.spdx.json; every file), "
                    f"created at the commit time, download location under {base}"
                )
                for sbom, tarball in sboms.items()
            ),
            Action(
                "add the SBOMs to SHA256SUMS",
                f"cd {release.artifacts} && sha256sum {' '.join(sboms)} ... > {SUMS_FILE_NAME}",
            ),
        ]

    def probe(self, ctx: StepContext) -> Probe:
        release = ctx.release
        records: FileRecords = {}
        for sbom, tarball in sbom_names(release).items():
            sbom_path, tarball_path = release.artifacts / sbom, release.artifacts / tarball
            if not sbom_path.is_file() or not tarball_path.is_file():
                return Probe.not_done(f"{sbom} is not written yet")
            digest = sha256_file(tarball_path)
            named = _described_digest(sbom_path, tarball)
            if named != digest:
                return Probe.not_done(f"{sbom} names sha256 {named}, but {tarball} is {digest}")
            records[sbom] = file_record(sbom_path, describes=tarball, describes_sha256=digest)
        gaps = sums_gaps(release.artifacts, records)
        if gaps:
            return Probe.not_done(f"{SUMS_FILE_NAME} does not list {listing(gaps)} yet")
        return Probe.done("each tarball has an SBOM naming its SHA-256", {FACT_SBOMS: records})

    def run(self, ctx: StepContext) -> None:
        from rmtui.ops.archive import resolve_commit
        from rmtui.ops.sbom import DEFAULT_DOWNLOAD_BASE, write_source_sbom

        release = ctx.release
        repo = clone(ctx)
        commit = require_release_commit(ctx, repo)
        _sha, commit_time = resolve_commit(release.clone, commit)
        verified = built_digests(ctx)
        restore_missing_tarballs(ctx, repo, commit, verified)
        base = release.profile.publish.url or DEFAULT_DOWNLOAD_BASE
        records: FileRecords = {}
        names = sbom_names(release)
        for number, tarball in enumerate(names.values()):
            ctx.progress(number, len(names), f"describing {tarball}")
            path = release.artifacts / tarball
            digest = sha256_file(path) if path.is_file() else None
            if digest is None or digest != verified.get(tarball):
                raise StepFailed(
                    f"{tarball} is not the tarball export.source built and export.verify "
                    f"checked (sha256 {digest or 'missing'}, built as "
                    f"{verified.get(tarball) or 'nothing'})",
                    "an SBOM describes only a verified tarball: find out what changed it, then "
                    "delete it and retry this step, which rebuilds it from the commit (it must "
                    "come out byte for byte as verified)",
                )
            written = write_source_sbom(path, str(release.version), commit_time, download_base=base)
            records[written.name] = file_record(written, describes=tarball, describes_sha256=digest)
            ctx.output(f"wrote {written.name} describing {tarball} (sha256 {digest})")
        ctx.progress(len(names), len(names), "written")
        refresh_sha256sums(release.artifacts, rebuilt=records)
        ctx.record_fact(FACT_SBOMS, records)
