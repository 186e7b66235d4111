"""docs.build: the profile's docs command on a throwaway worktree of the release commit."""

from __future__ import annotations

from rmtui.core import facts
from rmtui.core.command import Command
from rmtui.core.errors import StepFailed
from rmtui.core.guide import Guide, Threat
from rmtui.core.release import Release
from rmtui.core.step import Action, Phase, Probe, ProbeContext, Step, StepContext
from rmtui.steps.kit import commands
from rmtui.steps.kit.files import install_files
from rmtui.steps.kit.manifest import (
    SUMS_FILE_NAME,
    docs_artifact_name,
    file_record,
    listing,
    recorded_files,
    refresh_sha256sums,
    shipped_artifacts,
    sums_gaps,
)
from rmtui.steps.kit.probes import probe_recorded
from rmtui.steps.kit.repo import checked_release_commit
from rmtui.steps.kit.worktree import commit_worktree, worktree_actions

DOCS_DIST = "Doc/dist"

GUIDE = Guide(
    does="Checks the recorded release commit out into a throwaway worktree (never your working "
    "tree), runs the profile's docs command there (`[commands] docs`; for CPython `make -C Doc "
    "dist`), and copies every archive it leaves in `Doc/dist/` into `artifacts/` as "
    "`python-<version>-docs-*`. Each archive's size and SHA-256 are recorded and listed in "
    "`SHA256SUMS`; `sign.artifacts` signs them with the rest. Release candidates and final "
    "releases (bugfix releases too, as release.py does) ship docs; alphas, betas and "
    "security-only releases do not, so their plans have no such step.",
    why="The docs published with a release must be built from exactly the released source.",
    goes_wrong="A missing LaTeX or Sphinx tool in `Doc/venv`, a build that takes long and is "
    "interrupted, or archives left over in `Doc/dist/` from a local build.",
    threat=Threat.MODIFIED_SOURCE,
    threat_detail="Docs built from a checkout with local edits, and an archive changed after it "
    "was built (the probe compares it with the recorded digest and names it).",
    recover="Read the build's output in the step log, fix the cause (often a missing tool in "
    "`Doc/venv`), then retry. A changed archive: delete it and retry.",
    who="The release manager (or the docs expert, on the RM's machine).",
    references=("PEP 101: Build the documentation",),
)


def docs_command(release: Release) -> Command:
    command = release.profile.commands.docs.strip() or "(no [commands] docs in the profile)"
    return Command.of("sh", "-c", command, cwd="{worktree}", sentence="build the docs there")


class DocsBuildStep(Step):
    id = "docs.build"
    title = "Build the documentation archives"
    phase = Phase.BUILD
    requires = ("fork.push",)
    guide = GUIDE
    check_after_interruption = "the python-*-docs-* files in artifacts/"

    def plan(self, release: Release) -> list[Action]:
        version = release.version
        steps = worktree_actions(release, "docs")
        return [
            *steps[:3],
            Action.of(docs_command(release)),
            Action(
                f"copy the archives of {DOCS_DIST}/ into {release.artifacts} as "
                f"python-{version}-docs-*, record their SHA-256, list them in {SUMS_FILE_NAME} "
                "(rmtui copies, hashes and writes them itself)"
            ),
            *steps[3:],
        ]

    def probe(self, ctx: ProbeContext) -> Probe:
        recorded = recorded_files(ctx, facts.DOCS)
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
            f"{listing(names)} collected and listed in {SUMS_FILE_NAME}", {facts.DOCS.name: records}
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
        commit = checked_release_commit(ctx)
        ctx.progress(0, 3, "checking out the release commit")
        with commit_worktree(ctx, commit, "docs") as tree:
            ctx.progress(1, 3, "building the docs")
            commands.run(
                ctx,
                docs_command(release),
                {"worktree": tree},
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
        ctx.record_fact(facts.DOCS.name, records)
        ctx.progress(3, 3, "collected")
