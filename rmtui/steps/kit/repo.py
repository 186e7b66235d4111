"""The RM's working clone for steps and probes, and the re-checks of the recorded commit."""

from __future__ import annotations

from collections.abc import Callable

from rmtui.core import facts
from rmtui.core.errors import RmtuiError, StepFailed
from rmtui.core.step import Action, ProbeContext, StepContext
from rmtui.ops.git import GitRepo


def clone(ctx: StepContext) -> GitRepo:
    """The RM's working clone, with output streamed into the step log."""
    return GitRepo(ctx.release.clone, sink=ctx.output, cancel=ctx.cancel)


def quiet_clone(ctx: ProbeContext) -> GitRepo:
    """The working clone for probes and checks: nothing is streamed."""
    return GitRepo(ctx.release.clone, cancel=ctx.cancel)


def require_release_commit(ctx: ProbeContext, repo: GitRepo, *, so_far: str = "") -> str:
    """The recorded release commit, after checking the local tag still points at it."""
    recorded = facts.RELEASE_COMMIT.require(ctx.facts)
    tag = ctx.release.version.tag
    local = repo.commit_of(f"refs/tags/{tag}")
    if local is not None and local != recorded:
        raise StepFailed(
            f"the local tag {tag} now points at {local}, but the release commit recorded "
            f"at tag time is {recorded}: the tag was moved" + (f". {so_far}" if so_far else ""),
            "stop and find out who moved it; restore it with "
            f"`git tag -f {tag} {recorded}` only if you are sure, then retry",
        )
    return recorded


def require_fork_tag(ctx: StepContext, repo: GitRepo, commit: str, *, so_far: str = "") -> None:
    """Stop unless the fork's tag still resolves to the recorded release commit.

    `so_far` tells the RM what has (not) happened yet, e.g. "Nothing was pushed to upstream."
    """
    release = ctx.release
    fork, tag = release.profile.repos.fork_remote, release.version.tag
    found = repo.ls_remote(fork, f"refs/tags/{tag}")
    if found != commit:
        raise StepFailed(
            f"the tag {tag} on your fork now resolves to {found or 'nothing'}, but the release "
            f"commit recorded at tag time is {commit}: the tag was moved"
            + (f". {so_far}" if so_far else ""),
            "find out who moved it and why before anything else; the recorded commit is the "
            "truth. Once the fork's tag is restored to it, retry",
        )
    ctx.output(f"the fork's {tag} resolves to the recorded release commit {commit}")


def checked_release_commit(ctx: StepContext, *, fork_tag: bool = False, so_far: str = "") -> str:
    """The clone's recorded release commit, its local (and with `fork_tag`, the fork's) tag
    checked: the set-up most steps after tag.create begin with."""
    repo = clone(ctx)
    commit = require_release_commit(ctx, repo)
    if fork_tag:
        require_fork_tag(ctx, repo, commit, so_far=so_far)
    return commit


def tag_checks(tag: str, fork: str) -> list[Action]:
    """The plan's lines for the read-only checks of `checked_release_commit(fork_tag=True)`."""
    return [
        Action(
            f"check (read-only) that the local {tag} and the fork's ({fork}) still "
            "resolve to the recorded release commit {release.commit_sha}"
        )
    ]


def planned(what: str, build: Callable[[], list[Action]]) -> list[Action]:
    """`build()`, or one line saying why `what` cannot be planned (a profile gap, say)."""
    try:
        return build()
    except RmtuiError as exc:
        return [Action(f"cannot plan {what}: {exc.problem}")]
