"""preflight: the tools, the working clone and its remotes are ready before anything changes."""

from __future__ import annotations

import shutil
from pathlib import Path

from rmtui.core.command import Command
from rmtui.core.errors import StepFailed
from rmtui.core.guide import Guide, Threat
from rmtui.core.release import Release
from rmtui.core.step import Action, Phase, StepContext
from rmtui.steps.kit import commands
from rmtui.steps.kit.probes import ReadOnlyStep
from rmtui.steps.kit.repo import clone

GUIDE = Guide(
    does="Checks that `git` and `gpg` are installed, that your working clone is clean and on "
    "the release branch, that its `upstream` and `origin` remotes point where the profile says, "
    "and that the branch has nothing upstream lacks.",
    why="Every later step trusts the clone. A dirty tree could leak an uncommitted change into "
    "the release commit; a wrong remote could push a tag to the wrong place.",
    goes_wrong="A stash or a half-finished backport left in the clone, the clone on `main` "
    "instead of the release branch, `origin` still pointing at python/cpython instead of your "
    "fork, or a local commit made on the release branch by mistake.",
    threat=Threat.MODIFIED_SOURCE,
    threat_detail="Building or tagging from an unexpected tree or repository: only upstream's "
    "commits, unchanged, may go into the release commit.",
    recover="Each failure names the fix: commit or stash local changes, `git switch` to the "
    "branch, or `git remote set-url` to the profile's URL. Then retry; the checks only read.",
    who="The release manager, in their own working clone.",
    references=("PEP 101: Preparing for release",),
)


def tool_version(tool: str) -> Command:
    return Command.of(tool, "--version", sentence=f"{tool} is installed", read_only=True)


def fetch_upstream(release: Release) -> Command:
    up = release.profile.repos.upstream_remote
    return commands.git(
        release,
        "fetch",
        "--prune",
        up,
        release.branch,
        sentence=f"fetch upstream's {release.branch}, to compare the clone with it",
    )


def same_location(configured: str, actual: str | None) -> bool:
    """Whether a remote URL matches the profile (paths compare resolved, URLs literally)."""
    if actual is None:
        return False
    if configured == actual:
        return True
    cpath, apath = Path(configured).expanduser(), Path(actual).expanduser()
    if cpath.is_absolute() and apath.is_absolute():
        return cpath.resolve() == apath.resolve()
    return configured.rstrip("/").removesuffix(".git") == actual.rstrip("/").removesuffix(".git")


class PreflightStep(ReadOnlyStep):
    id = "preflight"
    title = "Pre-flight checks"
    phase = Phase.PREPARE
    guide = GUIDE
    check_after_interruption = "nothing: the checks only read, so running them again is safe"

    def plan(self, release: Release) -> list[Action]:
        repos = release.profile.repos
        path = release.clone
        return [
            Action.of(tool_version("git")),
            Action.of(tool_version("gpg")),
            Action(f"check (read-only) that the working clone {path} is clean"),
            Action(f"check (read-only) that the clone is on {release.branch}"),
            Action(
                f"check (read-only) the remotes: {repos.upstream_remote} = {repos.upstream}, "
                f"{repos.fork_remote} = {repos.fork}"
            ),
            Action.of(fetch_upstream(release)),
            Action(
                f"check (read-only) that {release.branch} has nothing "
                f"{repos.upstream_remote}/{release.branch} lacks"
            ),
        ]

    def run(self, ctx: StepContext) -> None:
        release = ctx.release
        repos = release.profile.repos
        for tool, package in (("git", "git"), ("gpg", "gnupg")):
            if shutil.which(tool) is None:
                raise StepFailed(
                    f"{tool} is not installed or not on PATH",
                    f"install {tool} (Debian: apt-get install {package})",
                )
            commands.run(ctx, tool_version(tool))
        if not release.clone.is_dir():
            raise StepFailed(
                f"the working clone {release.clone} does not exist",
                f"clone your fork there: git clone {repos.fork} {release.clone}",
            )
        repo = clone(ctx)
        dirty = repo.dirty_files()
        if dirty:
            shown = ", ".join(dirty[:5]) + (f" and {len(dirty) - 5} more" if len(dirty) > 5 else "")
            raise StepFailed(
                f"the working clone has uncommitted changes: {shown}",
                f"commit or stash them (git -C {release.clone} stash -u), then retry",
            )
        ctx.output("working clone is clean")
        branch = repo.current_branch()
        if branch != release.branch:
            raise StepFailed(
                f"the working clone is on {branch or 'a detached HEAD'}, not {release.branch}",
                f"git -C {release.clone} switch {release.branch}, then retry",
            )
        ctx.output(f"on branch {branch}")
        for name, expected in (
            (repos.upstream_remote, repos.upstream),
            (repos.fork_remote, repos.fork),
        ):
            actual = repo.remote_url(name)
            if not same_location(expected, actual):
                raise StepFailed(
                    f"remote {name!r} is {actual or 'missing'}, but the profile says {expected}",
                    f"git -C {release.clone} remote "
                    + (f"set-url {name} {expected}" if actual else f"add {name} {expected}"),
                )
            ctx.output(f"remote {name} = {actual}")
        commands.run(
            ctx,
            fetch_upstream(release),
            hint=f"check the network and that the remote {repos.upstream_remote!r} exists",
        )
        upstream_ref = f"{repos.upstream_remote}/{release.branch}"
        upstream_sha = repo.commit_of(upstream_ref)
        if upstream_sha is None:
            raise StepFailed(
                f"upstream has no branch {release.branch}",
                "check the version (alphas and b1 come from main) and the profile's branch rules",
            )
        head = repo.commit_of("HEAD")
        assert head is not None
        if head == upstream_sha:
            ctx.output(f"{release.branch} is up to date with upstream ({head[:12]})")
        elif repo.is_ancestor(head, upstream_sha):
            behind = repo.quiet("rev-list", "--count", f"HEAD..{upstream_ref}").strip()
            ctx.output(
                f"{release.branch} is {behind} commit(s) behind upstream; fork.update will "
                "fast-forward it"
            )
        else:
            ahead = repo.quiet("rev-list", "--oneline", f"{upstream_ref}..HEAD").strip()
            raise StepFailed(
                f"your {release.branch} has commits that upstream lacks:\n{ahead}",
                "a release is made from upstream's branch only: move those commits to "
                f"another branch, then `git -C {release.clone} reset --keep {upstream_ref}`",
            )
