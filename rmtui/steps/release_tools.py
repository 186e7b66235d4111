"""release.tools: blurb release, the version bump, and the "Python X.Y.Z" commit."""

from __future__ import annotations

import importlib.util
import shutil
import sys
from pathlib import Path

from rmtui.core.errors import RmtuiError, StepFailed
from rmtui.core.patchlevel import parse_patchlevel, update_patchlevel, update_readme_version
from rmtui.core.release import Release
from rmtui.core.step import Action, Phase, Probe, Step, StepContext
from rmtui.ops.git import GitRepo
from rmtui.steps.common import FACT_RELEASE_COMMIT, FACT_UPSTREAM_BASE, clone, quiet_clone

NEWS_NEXT = Path("Misc/NEWS.d/next")


def commit_message(release: Release) -> str:
    return f"Python {release.version}"


def news_entries(tree: Path) -> list[Path]:
    return sorted(p for p in (tree / NEWS_NEXT).rglob("*.rst") if p.name != "README.rst")


def blurb_command(release: Release) -> list[str] | None:
    """How to run blurb here: this Python's module first, then the profile's command on PATH."""
    if importlib.util.find_spec("blurb") is not None:
        return [sys.executable, "-m", "blurb"]
    found = shutil.which(release.profile.commands.blurb)
    return [found] if found else None


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
    help = """\
**What it does.** On a temporary branch `branch-<version>` cut from upstream's tip, runs
`blurb release <version>` (which folds `Misc/NEWS.d/next` into the release's NEWS file), sets
every field of `Include/patchlevel.h` and the version line of `README.rst`, and commits the result
as "Python <version>".

**Why.** This commit *is* the release: the tag, the tarballs and the signatures all point at it.

**Threat it guards against.** A hand-edited version bump that disagrees between files, or a
release commit with unrelated changes in it. The probe checks the commit's parent, message and
`patchlevel.h` fields, so a crash and a retry never make a second commit.

**How to recover.** If the branch exists with a different commit, look at it
(`git log branch-<version>`); delete the branch if it is a leftover, then retry.
"""
    check_after_interruption = "the branch branch-<version> and the working tree of the clone"

    def plan(self, release: Release) -> list[Action]:
        path = release.clone
        version = release.version
        return [
            Action(
                f"create {release.release_branch} from upstream's {release.branch}",
                f"git -C {path} switch -c {release.release_branch}",
            ),
            Action("fold the NEWS entries (when there are any)", f"blurb release {version}"),
            Action(
                f"set {release.profile.files.version_file} to {version} and the README title",
                "",
            ),
            Action(
                f'commit "Python {version}"',
                f"git -C {path} commit -a -m {commit_message(release)!r}",
            ),
        ]

    def probe(self, ctx: StepContext) -> Probe:
        release = ctx.release
        base = ctx.facts.get(FACT_UPSTREAM_BASE)
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
        recorded = ctx.facts.get(FACT_RELEASE_COMMIT)
        if recorded is not None and recorded != tip:
            return Probe.inconsistent(
                f"{release.release_branch} is at {tip[:12]}, but the release commit recorded "
                f"earlier is {str(recorded)[:12]}"
            )
        return Probe.done(
            f"release commit {tip[:12]} on {release.release_branch}", {FACT_RELEASE_COMMIT: tip}
        )

    def run(self, ctx: StepContext) -> None:
        release = ctx.release
        base = str(ctx.facts.require(FACT_UPSTREAM_BASE))
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
            ctx.record_fact(FACT_RELEASE_COMMIT, existing)
            return
        self._reset_own_leftovers(ctx, repo, base)
        if existing is None:
            repo.run("switch", "-c", branch, base)
        else:
            repo.run("switch", branch)
        entries = news_entries(tree)
        if entries:
            blurb = blurb_command(release)
            if blurb is None:
                raise StepFailed(
                    f"the tree has {len(entries)} NEWS entries but blurb is not installed",
                    "install it (pip install blurb, or rmtui[cpython]) and retry",
                )
            from rmtui.ops import shell

            shell.run(
                [*blurb, "release", str(release.version)],
                cwd=tree,
                sink=ctx.output,
                cancel=ctx.cancel,
            )
        else:
            ctx.output("no NEWS entries in Misc/NEWS.d/next: blurb is not needed")
        version_file = tree / release.profile.files.version_file
        version_file.write_text(
            update_patchlevel(version_file.read_text(), release.version, str(release.version))
        )
        readme = tree / release.profile.files.readme
        if readme.exists():
            readme.write_text(update_readme_version(readme.read_text(), str(release.version)))
        repo.run(
            "add",
            "-A",
            "--",
            str(NEWS_NEXT.parent),
            release.profile.files.version_file,
            release.profile.files.readme,
        )
        repo.run("commit", "-q", "-m", commit_message(release))
        commit = repo.commit_of("HEAD")
        assert commit is not None
        problem = release_commit_problem(repo, release, commit, base)
        if problem:
            raise StepFailed(f"the new release commit is wrong: {problem}", "report this bug")
        ctx.output(f"release commit {commit}")
        ctx.record_fact(FACT_RELEASE_COMMIT, commit)

    def _reset_own_leftovers(self, ctx: StepContext, repo: GitRepo, base: str) -> None:
        """Undo what an interrupted attempt left uncommitted, but only in the files it edits."""
        dirty = repo.dirty_files()
        if not dirty:
            return
        release = ctx.release
        ours = (
            str(NEWS_NEXT.parent),
            release.profile.files.version_file,
            release.profile.files.readme,
        )
        foreign = [f for f in dirty if not f.startswith(ours)]
        if foreign:
            raise StepFailed(
                f"the working clone has changes this step did not make: {', '.join(foreign[:5])}",
                "commit or stash them, then retry",
            )
        head = repo.commit_of("HEAD")
        if head != base:
            raise StepFailed(
                f"the clone's HEAD is {str(head)[:12]}, not upstream's {base[:12]}",
                f"switch to {release.release_branch} or {release.branch} and retry",
            )
        ctx.output("an interrupted attempt left edits behind; restoring those files")
        repo.run("reset", "-q", "--hard", base)
        repo.run("clean", "-q", "-fd", "--", str(NEWS_NEXT.parent))
