"""Helpers shared by steps: the clone as a GitRepo, and re-checks of recorded facts."""

from __future__ import annotations

from rmtui.core.errors import StepFailed
from rmtui.core.step import StepContext
from rmtui.ops.git import GitRepo

# Facts recorded by steps and re-checked by the ones after them.
FACT_UPSTREAM_BASE = "upstream.base_sha"
FACT_RELEASE_COMMIT = "release.commit_sha"
FACT_TAG_OBJECT = "tag.object_sha"
FACT_TAG_SIGNED = "tag.signed"
FACT_POST_RELEASE_COMMIT = "post_release.commit_sha"


def clone(ctx: StepContext) -> GitRepo:
    """The RM's working clone, with output streamed into the step log."""
    return GitRepo(ctx.release.clone, sink=ctx.output, cancel=ctx.cancel)


def quiet_clone(ctx: StepContext) -> GitRepo:
    """The working clone for probes: nothing is streamed."""
    return GitRepo(ctx.release.clone, cancel=ctx.cancel)


def require_release_commit(ctx: StepContext, repo: GitRepo) -> str:
    """The recorded release commit, after checking the local tag still points at it."""
    recorded = str(ctx.facts.require(FACT_RELEASE_COMMIT))
    tag = ctx.release.version.tag
    local = repo.commit_of(f"refs/tags/{tag}")
    if local is not None and local != recorded:
        raise StepFailed(
            f"the local tag {tag} now points at {local}, but the release commit recorded "
            f"at tag time is {recorded}: the tag was moved",
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
