"""release.tools: blurb release, the version bump, and the "Python X.Y.Z" commit."""

from __future__ import annotations

from pathlib import Path

from rmtui.core import facts
from rmtui.core.command import Command
from rmtui.core.errors import RmtuiError, StepFailed
from rmtui.core.guide import Guide, Threat
from rmtui.core.patchlevel import parse_patchlevel, update_patchlevel, update_readme_version
from rmtui.core.release import Release
from rmtui.core.step import Action, Phase, Probe, ProbeContext, Step, StepContext
from rmtui.ops.git import GitRepo
from rmtui.steps.kit import commands
from rmtui.steps.kit.edits import (
    WAY_OUT,
    EditRecord,
    changed_paths,
    restore_actions,
    undo_own_edits,
)
from rmtui.steps.kit.export import blurb_command
from rmtui.steps.kit.manifest import listing
from rmtui.steps.kit.repo import clone, quiet_clone

NEWS_NEXT = Path("Misc/NEWS.d/next")

GUIDE = Guide(
    does="On a temporary branch `branch-<version>` cut from upstream's tip, runs `blurb release "
    "<version>` (which folds `Misc/NEWS.d/next` into the release's NEWS file), sets every field "
    "of `Include/patchlevel.h` and the version line of `README.rst`, and commits the result as "
    '"Python <version>".',
    why="This commit *is* the release: the tag, the tarballs and the signatures all point at it.",
    goes_wrong="blurb is missing or rejects a malformed NEWS entry, a branch of that name is "
    "left over from an earlier attempt, or a crash leaves half-edited files in the clone.",
    threat=Threat.MODIFIED_SOURCE,
    threat_detail="A hand-edited version bump that disagrees between files, or a release commit "
    "with unrelated changes in it. The probe checks the commit's parent, message and "
    "`patchlevel.h` fields, so a crash and a retry never make a second commit.",
    recover="Uncommitted changes in the clone that the step cannot prove it made itself (it "
    "records each file's before and after digests in `edits/release.tools.json` before "
    "editing) stop it, naming the files: commit or stash them, then retry; its own edits from "
    "an interrupted attempt are put back. If the branch exists with a different commit, look "
    "at it (`git log branch-<version>`); delete the branch if it is a leftover, then retry.",
    who="The release manager.",
    references=("PEP 101: Run the release tools (blurb release, bump the version)",),
)


def tool_commands(release: Release) -> dict[str, Command]:
    """Every command release.tools runs, by name; the plan shows them all."""
    files = release.profile.files
    branch = release.release_branch
    blurb = blurb_command(release) or [release.profile.commands.blurb]
    return {
        "create": commands.git(
            release,
            "switch",
            "-c",
            branch,
            "{upstream.base_sha}",
            sentence=f"create {branch} from upstream's {release.branch}",
        ),
        "switch": commands.git(
            release, "switch", branch, sentence=f"switch to {branch} (when it exists already)"
        ),
        "blurb": Command.of(
            *blurb,
            "release",
            release.version,
            cwd=release.clone,
            sentence="fold the NEWS entries (when there are any)",
        ),
        "add": commands.git(
            release,
            "add",
            "-A",
            "--",
            NEWS_NEXT.parent,
            files.version_file,
            files.readme,
            sentence=f"stage the NEWS, {files.version_file} and {files.readme}",
        ),
        "commit": commands.git(
            release,
            "commit",
            "-q",
            "-m",
            commit_message(release),
            sentence=f'commit "{commit_message(release)}"',
        ),
    }


def commit_message(release: Release) -> str:
    return f"Python {release.version}"


def news_file(release: Release) -> str:
    """The file `blurb release` folds the NEWS entries into."""
    return f"{NEWS_NEXT.parent.as_posix()}/{release.version}.rst"


def news_entries(tree: Path) -> list[Path]:
    return sorted(p for p in (tree / NEWS_NEXT).rglob("*.rst") if p.name != "README.rst")


def release_commit_problem(repo: GitRepo, release: Release, commit: str, base: str) -> str:
    """Why `commit` is not this release's commit on top of `base` ("" when it is)."""
    message = repo.quiet("log", "-1", "--format=%s", commit).strip()
    if message != commit_message(release):
        return f"its message is {message!r}, not {commit_message(release)!r}"
    parent = repo.quiet("rev-parse", f"{commit}^").strip()
    if parent != base:
        return f"its parent is {parent[:12]}, not upstream's {base[:12]}"
    version_file = release.profile.files.version_file
    try:
        fields = parse_patchlevel(repo.quiet("show", f"{commit}:{version_file}"))
    except RmtuiError as exc:
        return f"its {version_file} cannot be read: {exc.problem}"
    expected = release.version.patchlevel_fields
    wrong = [k for k, v in expected.items() if fields.get(k) != v]
    if wrong:
        return f"its {version_file} has {', '.join(f'{k}={fields.get(k)}' for k in wrong)}"
    return ""


class ReleaseToolsStep(Step):
    id = "release.tools"
    title = "Run the release tools and commit"
    phase = Phase.TOOLS
    requires = ("fork.update",)
    guide = GUIDE
    check_after_interruption = "the branch branch-<version> and the working tree of the clone"

    def plan(self, release: Release) -> list[Action]:
        run = tool_commands(release)
        return [
            *restore_actions(release),
            Action.of(run["create"]),
            Action.of(run["switch"]),
            Action.of(run["blurb"]),
            Action(
                f"set {release.profile.files.version_file} to {release.version} and the README "
                "title (rmtui edits the files itself)"
            ),
            Action.of(run["add"]),
            Action.of(run["commit"]),
        ]

    def probe(self, ctx: ProbeContext) -> Probe:
        release = ctx.release
        base = facts.UPSTREAM_BASE.get(ctx.facts)
        if base is None:
            return Probe.not_done("fork.update has not recorded upstream's tip yet")
        repo = quiet_clone(ctx)
        tip = repo.commit_of(f"refs/heads/{release.release_branch}")
        if tip is None:
            return Probe.not_done(f"{release.release_branch} does not exist yet")
        if tip == base:
            return Probe.not_done(f"{release.release_branch} exists but has no release commit yet")
        problem = release_commit_problem(repo, release, tip, str(base))
        if problem:
            return Probe.inconsistent(
                f"{release.release_branch} exists at {tip[:12]} but that is not the release "
                f"commit: {problem}"
            )
        recorded = facts.RELEASE_COMMIT.get(ctx.facts)
        if recorded is not None and recorded != tip:
            return Probe.inconsistent(
                f"{release.release_branch} is at {tip[:12]}, but the release commit recorded "
                f"earlier is {str(recorded)[:12]}"
            )
        return Probe.done(
            f"release commit {tip[:12]} on {release.release_branch}",
            {facts.RELEASE_COMMIT.name: tip},
        )

    def run(self, ctx: StepContext) -> None:
        release = ctx.release
        base = facts.UPSTREAM_BASE.require(ctx.facts)
        run = tool_commands(release)
        values = {"upstream.base_sha": base}
        repo = clone(ctx)
        tree = release.clone
        branch = release.release_branch
        existing = repo.commit_of(f"refs/heads/{branch}")
        if existing is not None and existing != base:
            problem = release_commit_problem(repo, release, existing, base)
            if problem:
                raise StepFailed(
                    f"{branch} already exists at {existing[:12]} and differs from the release "
                    f"commit this step makes: {problem}",
                    f"look at it (git -C {tree} log {branch}); if it is a leftover, delete it "
                    f"(git -C {tree} branch -D {branch}) and retry",
                )
            EditRecord(release, self.id).forget()
            ctx.record_fact(facts.RELEASE_COMMIT.name, existing)
            return
        if existing is None or repo.current_branch() == branch:
            # Nothing of the RM's is ever discarded: only this step's own recorded edits.
            undo_own_edits(ctx, repo, self.id, base)
        elif changed_paths(repo):
            raise StepFailed(
                f"the working clone {tree} has uncommitted changes: {listing(changed_paths(repo))}",
                WAY_OUT,
            )
        commands.run(ctx, run["create"] if existing is None else run["switch"], values)
        record = EditRecord(release, self.id)
        entries = news_entries(tree)
        if entries:
            blurb = blurb_command(release)
            if blurb is None:
                raise StepFailed(
                    f"the tree has {len(entries)} NEWS entries but blurb is not installed",
                    "install it (pip install blurb, or rmtui[cpython]) and retry",
                )
            touched = [*(p.relative_to(tree).as_posix() for p in entries), news_file(release)]
            record.tool_will_write(base, touched)
            commands.run(ctx, run["blurb"])
            record.settle(touched)
        else:
            ctx.output("no NEWS entries in Misc/NEWS.d/next: blurb is not needed")
        files = release.profile.files
        version_file = tree / files.version_file
        edits = {
            files.version_file: update_patchlevel(
                version_file.read_text(), release.version, str(release.version)
            )
        }
        readme = tree / files.readme
        if readme.exists():
            edits[files.readme] = update_readme_version(readme.read_text(), str(release.version))
        record.will_write(base, {name: text.encode() for name, text in edits.items()})
        for name, text in edits.items():
            (tree / name).write_text(text)
        commands.run(ctx, run["add"])
        commands.run(ctx, run["commit"])
        commit = repo.commit_of("HEAD")
        assert commit is not None
        problem = release_commit_problem(repo, release, commit, base)
        if problem:
            raise StepFailed(f"the new release commit is wrong: {problem}", "report this bug")
        record.forget()
        ctx.output(f"release commit {commit}")
        ctx.record_fact(facts.RELEASE_COMMIT.name, commit)
