"""docs.build and artifacts.test: the profile's docs and test commands, run on fresh trees."""

from __future__ import annotations

import shutil
import tarfile
import tempfile
from pathlib import Path

from rmtui.core.errors import StepFailed
from rmtui.core.release import Release
from rmtui.core.step import Action, Phase, Probe, Step, StepContext
from rmtui.ops import shell
from rmtui.ops.archive import tarball_prefix
from rmtui.ops.checksums import SUMS_FILE_NAME, check_sha256sums, sha256_file
from rmtui.steps.artifacts import (
    FACT_SBOMS,
    FACT_TARBALLS,
    SCRATCH,
    FileRecords,
    built_digests,
    clear_scratch,
    commit_worktree,
    file_record,
    install_files,
    listing,
    probe_recorded,
    recorded_files,
    refresh_sha256sums,
    restore_missing_tarballs,
    sums_gaps,
    tarball_names,
    worktree_command,
)
from rmtui.steps.common import clone, require_release_commit
from rmtui.steps.handoff import EXPERT_ROLES, delivered_files
from rmtui.steps.signing import shipped_artifacts

FACT_DOCS = "docs.archives"
DOCS_DIST = "Doc/dist"


def docs_artifact_name(version: str, produced: str) -> str:
    """The published name of a docs archive: `python-<version>-docs-<what>`."""
    stem = f"python-{version}-docs-"
    if produced.startswith(stem):
        return produced
    if produced.startswith("docs-"):
        return f"python-{version}-{produced}"
    return stem + produced


class DocsBuildStep(Step):
    id = "docs.build"
    title = "Build the documentation archives"
    phase = Phase.BUILD
    requires = ("fork.push",)
    help = """\
**What it does.** Checks the recorded release commit out into a throwaway worktree (never your
working tree), runs the profile's docs command there (`[commands] docs`; for CPython
`make -C Doc dist`), and copies every archive it leaves in `Doc/dist/` into `artifacts/` as
`python-<version>-docs-*`. Each archive's size and SHA-256 are recorded and listed in
`SHA256SUMS`; `sign.artifacts` signs them with the rest. Release candidates and final releases
(bugfix releases too, as release.py does) ship docs; alphas, betas and security-only releases
do not, so their plans have no such step.

**Why.** The docs published with a release must be built from exactly the released source.

**Threat it guards against.** Docs built from a checkout with local edits, and an archive changed
after it was built (the probe compares it with the recorded digest and names it).

**How to recover.** Read the build's output in the step log, fix the cause (often a missing tool
in `Doc/venv`), then retry. A changed archive: delete it and retry.
"""
    check_after_interruption = "the python-*-docs-* files in artifacts/"

    def plan(self, release: Release) -> list[Action]:
        command = release.profile.commands.docs.strip() or "(no [commands] docs in the profile)"
        version = release.version
        return [
            Action("check out the release commit", worktree_command(release, "docs")),
            Action("build the docs there", f"sh -c {shell.display([command])}"),
            Action(
                f"copy the archives of {DOCS_DIST}/ into {release.artifacts} as "
                f"python-{version}-docs-*, record their SHA-256, list them in {SUMS_FILE_NAME}",
                f"cp {DOCS_DIST}/* {release.artifacts}/",
            ),
        ]

    def probe(self, ctx: StepContext) -> Probe:
        recorded = recorded_files(ctx, FACT_DOCS)
        if not recorded:
            return self._unrecorded(ctx.release)
        found = probe_recorded(ctx.release.artifacts, recorded, self.id)
        return found or Probe.done(f"{listing(sorted(recorded))} match their recorded SHA-256")

    @staticmethod
    def _unrecorded(release: Release) -> Probe:
        # Archives are listed in SHA256SUMS only once all are in place: listed ones are
        # a finished build whose fact was not recorded yet.
        folder = release.artifacts
        stem = docs_artifact_name(str(release.version), "")
        names = [p.name for p in shipped_artifacts(folder) if p.name.startswith(stem)]
        if not names or sums_gaps(folder, names):
            return Probe.not_done("no docs archives recorded yet")
        records = {name: file_record(folder / name) for name in names}
        return Probe.done(
            f"{listing(names)} collected and listed in {SUMS_FILE_NAME}", {FACT_DOCS: records}
        )

    def run(self, ctx: StepContext) -> None:
        release = ctx.release
        command = release.profile.commands.docs.strip()
        if not command:
            raise StepFailed(
                "the profile names no docs command ([commands] docs)",
                "set it in the profile (CPython: make -C Doc dist), or skip docs.build with a "
                "reason if this release ships no docs",
            )
        repo = clone(ctx)
        commit = require_release_commit(ctx, repo)
        ctx.progress(0, 3, "checking out the release commit")
        with commit_worktree(ctx, repo, commit, "docs") as tree:
            ctx.progress(1, 3, "building the docs")
            shell.run(
                ["sh", "-c", command],
                cwd=tree,
                sink=ctx.output,
                cancel=ctx.cancel,
                hint="the docs build failed: read its output above, fix the cause (often a "
                "missing tool in Doc/venv), then retry",
            )
            dist = tree / DOCS_DIST
            produced = (
                sorted(p for p in dist.iterdir() if p.is_file() and not p.name.startswith("."))
                if dist.is_dir()
                else []
            )
            if not produced:
                raise StepFailed(
                    f"`{command}` ran but left no archives in {DOCS_DIST}/",
                    "check that the docs command writes its archives there (CPython's `make "
                    "-C Doc dist` does), then retry",
                )
            ctx.progress(2, 3, "collecting the archives")
            version = str(release.version)
            records = install_files(
                {docs_artifact_name(version, p.name): p for p in produced}, release.artifacts
            )
        for name, record in records.items():
            ctx.output(f"collected {name}: {record['size']} bytes, sha256 {record['sha256']}")
        refresh_sha256sums(release.artifacts, rebuilt=records)
        ctx.record_fact(FACT_DOCS, records)
        ctx.progress(3, 3, "collected")


class ArtifactsTestStep(Step):
    id = "artifacts.test"
    title = "Test the artifacts"
    phase = Phase.BUILD
    requires = ("export.verify", "sbom.generate")
    help = """\
**What it does.** First checks every artifact: `SHA256SUMS` must list each shipped file with its
current digest (as `sha256sum -c` does), and each file must still have the digest its step
recorded: tarballs, SBOMs, docs and the experts' installers imported so far. Then it extracts the
`.tgz` into a throwaway folder and runs the profile's test command in `Python-<version>/`
(`[commands] test`; for CPython `./configure && make -j && ./python -m test -uall`, which takes
long: its output streams into the step log as it runs).

**Why.** A tarball that does not build and pass its tests must not ship, and users test exactly
these files, not a checkout.

**Threat it guards against.** A broken or incomplete tarball, and any artifact (an imported
installer too) that changed after it was built or imported.

**How to recover.** A failing test: read the output, fix the cause on the release branch only if
the tag is not public yet (else it takes a new release), or skip this step with a reason if the
failure is known and accepted. A checksum failure: find out what changed the file and restore
the original; a source tarball may simply be deleted, and this step rebuilds it from the commit
(byte for byte as verified). Running it again is always safe.
"""
    check_after_interruption = "nothing: it only reads and tests a copy, so it runs again"

    def plan(self, release: Release) -> list[Action]:
        command = release.profile.commands.test.strip()
        tgz = release.artifacts / tarball_names(release)[0]
        prefix = tarball_prefix(str(release.version))
        actions = [
            Action(
                "check every artifact against SHA256SUMS and its recorded digest",
                f"cd {release.artifacts} && sha256sum -c {SUMS_FILE_NAME}",
            ),
            Action(
                "extract the .tgz into a throwaway folder",
                f"tar -xzf {tgz} -C {release.workspace / SCRATCH}/test-<random>",
            ),
        ]
        if command:
            actions.append(
                Action(f"run the test command in {prefix}/", f"sh -c {shell.display([command])}")
            )
        else:
            actions.append(Action("no test command in the profile: only the checksums are checked"))
        return actions

    def probe(self, ctx: StepContext) -> Probe:
        return Probe.not_done("a read-only check: running it again is safe")

    def run(self, ctx: StepContext) -> None:
        release = ctx.release
        ctx.progress(0, 3, "checking checksums")
        repo = clone(ctx)
        commit = require_release_commit(ctx, repo)
        restore_missing_tarballs(ctx, repo, commit, built_digests(ctx))
        self._check_checksums(ctx)
        command = release.profile.commands.test.strip()
        if not command:
            ctx.output("the profile has no test command ([commands] test): checksums only")
            ctx.progress(3, 3, "checked")
            return
        tgz = release.artifacts / tarball_names(release)[0]
        clear_scratch(release)
        scratch = release.workspace / SCRATCH
        scratch.mkdir(parents=True, exist_ok=True)
        target = Path(tempfile.mkdtemp(prefix="test-", dir=scratch))
        try:
            ctx.progress(1, 3, f"extracting {tgz.name}")
            tree = _extract(tgz, target, tarball_prefix(str(release.version)))
            ctx.progress(2, 3, "running the test command")
            shell.run(
                ["sh", "-c", command],
                cwd=tree,
                sink=ctx.output,
                cancel=ctx.cancel,
                hint="the extracted tarball fails its tests: read the output above. Fix the "
                "cause, or skip artifacts.test with a reason if the failure is known",
            )
        finally:
            shutil.rmtree(target, ignore_errors=True)
        ctx.output(f"the test command passed in the extracted {tgz.name}")
        ctx.progress(3, 3, "tested")

    @staticmethod
    def _check_checksums(ctx: StepContext) -> None:
        release = ctx.release
        folder = release.artifacts
        sums = folder / SUMS_FILE_NAME
        if not sums.is_file():
            raise StepFailed(
                f"{folder} has no {SUMS_FILE_NAME}", "run export.source first, which writes it"
            )
        results = check_sha256sums(sums)
        problems = [f"{r.name}: {r.reason}" for r in results if not r.ok]
        listed = {r.name for r in results}
        problems += [
            f"{name}: not listed in {SUMS_FILE_NAME}"
            for name in (p.relative_to(folder).as_posix() for p in shipped_artifacts(folder))
            if name not in listed
        ]
        recorded: dict[str, FileRecords] = {
            "export.source": recorded_files(ctx, FACT_TARBALLS),
            "sbom.generate": recorded_files(ctx, FACT_SBOMS),
            "docs.build": recorded_files(ctx, FACT_DOCS),
        }
        imported = {role: delivered_files(ctx.facts.get, role) for role in EXPERT_ROLES}
        recorded.update({f"the {role} import": files for role, files in imported.items()})
        for made_by, files in recorded.items():
            for name, record in sorted(files.items()):
                path = folder / name
                if path.is_file() and sha256_file(path) != record.get("sha256"):
                    problems.append(f"{name}: differs from the digest {made_by} recorded")
        if problems:
            raise StepFailed(
                "artifacts fail their checksums:\n"
                + "\n".join(f"  {line}" for line in problems[:40]),
                "do not ship them: find out what changed them, restore the originals, then "
                "retry. A source tarball may be deleted instead: this step rebuilds it from the "
                "commit, byte for byte as verified",
            )
        ctx.output(f"{SUMS_FILE_NAME}: {len(results)} file(s) OK")
        for role, files in imported.items():
            for name in sorted(files):
                ctx.output(f"{role} artifact {name}: sha256 matches SHA256SUMS and the import")
        if not any(imported.values()):
            ctx.output(
                "no expert artifacts imported yet: `rmtui handoff import` checks each one "
                "against the expert's list as it arrives, and sign.artifacts against SHA256SUMS"
            )


def _extract(tgz: Path, target: Path, prefix: str) -> Path:
    if not tgz.is_file():
        raise StepFailed(f"{tgz} does not exist", "run export.source first")
    try:
        with tarfile.open(tgz, mode="r:gz") as archive:
            # The "data" filter refuses absolute paths, links out of the tree and device files.
            archive.extractall(target, filter="data")
    except (OSError, tarfile.TarError, EOFError) as exc:
        raise StepFailed(
            f"cannot extract {tgz.name}: {exc}",
            "the tarball is corrupt: delete it, retry export.source and export.verify",
        ) from exc
    tree = target / prefix
    if not tree.is_dir():
        raise StepFailed(
            f"{tgz.name} has no {prefix}/ directory", "rebuild it with export.source and verify it"
        )
    return tree
