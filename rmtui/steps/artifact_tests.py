"""artifacts.test: every artifact against its digests, and the profile's tests on the .tgz."""

from __future__ import annotations

import shutil
import tarfile
import tempfile
from pathlib import Path

from rmtui.core import facts
from rmtui.core.command import Command
from rmtui.core.errors import StepFailed
from rmtui.core.facts import FileRecords
from rmtui.core.guide import Guide, Threat
from rmtui.core.release import Release
from rmtui.core.step import Action, Phase, StepContext
from rmtui.ops.archive import tarball_prefix
from rmtui.ops.checksums import check_sha256sums, sha256_file
from rmtui.steps.kit import commands
from rmtui.steps.kit.delivery import EXPERT_ROLES
from rmtui.steps.kit.export import rebuild_actions, restore_missing_tarballs
from rmtui.steps.kit.manifest import (
    SUMS_FILE_NAME,
    built_digests,
    delivered_files,
    recorded_files,
    shipped_artifacts,
    tarball_names,
)
from rmtui.steps.kit.probes import ReadOnlyStep
from rmtui.steps.kit.repo import clone, require_release_commit
from rmtui.steps.kit.worktree import SCRATCH, clear_scratch, clear_scratch_actions, scratch

GUIDE = Guide(
    does="First checks every artifact: `SHA256SUMS` must list each shipped file with its current "
    "digest (as `sha256sum -c` does), and each file must still have the digest its step "
    "recorded: tarballs, SBOMs, docs and the experts' installers imported so far. Then it "
    "extracts the `.tgz` into a throwaway folder and runs the profile's test command in "
    "`Python-<version>/` (`[commands] test`; for CPython `./configure && make -j && ./python -m "
    "test -uall`, which takes long: its output streams into the step log as it runs).",
    why="A tarball that does not build and pass its tests must not ship, and users test exactly "
    "these files, not a checkout.",
    goes_wrong="A test that fails only outside a git checkout (it needs a file the tarball drops), "
    "a flaky network test, or an installer replaced in artifacts/ after its import.",
    threat=Threat.BUILD_PROCESS,
    threat_detail="A broken or incomplete tarball, and any artifact (an imported installer too) "
    "that changed after it was built or imported.",
    recover="A failing test: read the output, fix the cause on the release branch only if the "
    "tag is not public yet (else it takes a new release), or skip this step with a reason if "
    "the failure is known and accepted. A checksum failure: find out what changed the file and "
    "restore the original; a source tarball may simply be deleted, and this step rebuilds it "
    "from the commit (byte for byte as verified). Running it again is always safe.",
    who="The release manager.",
    references=("PEP 101: Test the source tarballs",),
)


def tests_command(release: Release) -> Command | None:
    command = release.profile.commands.test.strip()
    if not command:
        return None
    prefix = tarball_prefix(str(release.version))
    return Command.of(
        "sh", "-c", command, cwd="{extracted}", sentence=f"run the test command in {prefix}/"
    )


class ArtifactsTestStep(ReadOnlyStep):
    id = "artifacts.test"
    title = "Test the artifacts"
    phase = Phase.BUILD
    requires = ("export.verify", "sbom.generate")
    guide = GUIDE
    check_after_interruption = "nothing: it only reads and tests a copy, so it runs again"
    rerun_note = "a read-only check: running it again is safe"

    def plan(self, release: Release) -> list[Action]:
        command = tests_command(release)
        actions: list[Action] = [
            *rebuild_actions(release),
            Action(
                f"check every artifact against {SUMS_FILE_NAME} and its recorded digest (rmtui "
                f"does it in-process, as `cd {release.artifacts} && sha256sum -c "
                f"{SUMS_FILE_NAME}` would)"
            ),
            *clear_scratch_actions(release),
            Action(
                f"extract {tarball_names(release)[0]} into a throwaway folder {{extracted}} "
                f"({release.workspace / SCRATCH}/test-<random>), in-process"
            ),
        ]
        if command is not None:
            actions.append(Action.of(command))
        else:
            actions.append(Action("no test command in the profile: only the checksums are checked"))
        return actions

    def run(self, ctx: StepContext) -> None:
        release = ctx.release
        ctx.progress(0, 3, "checking checksums")
        repo = clone(ctx)
        commit = require_release_commit(ctx, repo)
        restore_missing_tarballs(ctx, repo, commit, built_digests(ctx))
        self._check_checksums(ctx)
        command = tests_command(release)
        if command is None:
            ctx.output("the profile has no test command ([commands] test): checksums only")
            ctx.progress(3, 3, "checked")
            return
        tgz = release.artifacts / tarball_names(release)[0]
        clear_scratch(ctx)
        target = Path(tempfile.mkdtemp(prefix="test-", dir=scratch(release)))
        try:
            ctx.progress(1, 3, f"extracting {tgz.name}")
            tree = _extract(tgz, target, tarball_prefix(str(release.version)))
            ctx.progress(2, 3, "running the test command")
            commands.run(
                ctx,
                command,
                {"extracted": tree},
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
            "export.source": recorded_files(ctx, facts.TARBALLS),
            "sbom.generate": recorded_files(ctx, facts.SBOMS),
            "docs.build": recorded_files(ctx, facts.DOCS),
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
