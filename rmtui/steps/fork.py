"""fork.update and fork.push: the RM's fork, level with upstream, then carrying the release."""

from __future__ import annotations

from rmtui.core.errors import RmtuiError, StepFailed
from rmtui.core.release import Release
from rmtui.core.step import Action, Phase, Probe, Step, StepContext
from rmtui.steps.common import (
    FACT_RELEASE_COMMIT,
    FACT_UPSTREAM_BASE,
    clone,
    quiet_clone,
    require_release_commit,
)


class ForkUpdateStep(Step):
    id = "fork.update"
    title = "Update the fork from upstream"
    phase = Phase.PREPARE
    requires = ("preflight",)
    help = """\
**What it does.** Fetches upstream, fast-forwards your clone's release branch to upstream's, pushes
it to your fork, and checks that the fork's branch now has exactly upstream's commit. It records
that commit: the release is built on top of it.

**Why.** The release commit must sit directly on upstream's tip, so the later push to upstream is
a fast-forward and contains nothing but the release.

**Threat it guards against.** A fork carrying stray commits that would ride along into the release.

**How to recover.** A fork that has diverged is never force-pushed: look at the extra commits
(`git log upstream/BRANCH..origin/BRANCH`), remove them from the fork by hand if they are junk,
then retry.
"""
    check_after_interruption = "that the fork's branch equals upstream's"

    def plan(self, release: Release) -> list[Action]:
        repos = release.profile.repos
        path, branch = release.clone, release.branch
        up, fork = repos.upstream_remote, repos.fork_remote
        return [
            Action("fetch upstream and the fork", f"git -C {path} fetch {up} && git fetch {fork}"),
            Action(
                f"fast-forward {branch} to {up}/{branch}",
                f"git -C {path} merge --ff-only {up}/{branch}",
            ),
            Action(f"push {branch} to the fork", f"git -C {path} push {fork} {branch}"),
            Action(
                f"check the fork's {branch} equals upstream's",
                f"git -C {path} ls-remote {fork} refs/heads/{branch}",
            ),
        ]

    def probe(self, ctx: StepContext) -> Probe:
        release = ctx.release
        repos = release.profile.repos
        repo = quiet_clone(ctx)
        ref = f"refs/heads/{release.branch}"
        try:
            upstream_sha = repo.ls_remote(repos.upstream_remote, ref)
            fork_sha = repo.ls_remote(repos.fork_remote, ref)
        except RmtuiError as exc:
            return Probe.unknown(exc.problem)
        local = repo.commit_of(ref)
        if upstream_sha is not None and upstream_sha == fork_sha == local:
            return Probe.done(
                f"fork, clone and upstream all at {upstream_sha[:12]}",
                {FACT_UPSTREAM_BASE: upstream_sha},
            )
        return Probe.not_done(
            f"upstream {(upstream_sha or 'missing')[:12]}, fork {(fork_sha or 'missing')[:12]}, "
            f"clone {(local or 'missing')[:12]}"
        )

    def run(self, ctx: StepContext) -> None:
        release = ctx.release
        repos = release.profile.repos
        branch = release.branch
        up, fork = repos.upstream_remote, repos.fork_remote
        repo = clone(ctx)
        repo.fetch(up, branch)
        repo.fetch(fork)
        upstream_sha = repo.commit_of(f"refs/remotes/{up}/{branch}")
        if upstream_sha is None:
            raise StepFailed(f"upstream has no branch {branch}", "check the version and profile")
        fork_sha = repo.commit_of(f"refs/remotes/{fork}/{branch}")
        if fork_sha is not None and not repo.is_ancestor(fork_sha, upstream_sha):
            extra = repo.quiet("log", "--oneline", f"{up}/{branch}..{fork}/{branch}").strip()
            raise StepFailed(
                f"your fork's {branch} has diverged from upstream; it has commits upstream "
                f"lacks:\n{extra}",
                "rmtui never force-pushes: remove those commits from the fork by hand "
                f"(after checking them), e.g. `git push --force-with-lease {fork} "
                f"{up}/{branch}:{branch}`, then retry",
            )
        local_sha = repo.commit_of(f"refs/heads/{branch}")
        if local_sha is not None and not repo.is_ancestor(local_sha, upstream_sha):
            raise StepFailed(
                f"your local {branch} has diverged from upstream",
                f"move your local commits elsewhere, then "
                f"`git -C {release.clone} reset --keep {up}/{branch}` and retry",
            )
        if repo.current_branch() == branch:
            repo.run("merge", "--ff-only", f"{up}/{branch}")
        else:
            repo.run("fetch", ".", f"{up}/{branch}:{branch}")
        repo.push(fork, [f"refs/heads/{branch}:refs/heads/{branch}"])
        pushed = repo.ls_remote(fork, f"refs/heads/{branch}")
        if pushed != upstream_sha:
            raise StepFailed(
                f"after the push the fork's {branch} is {pushed}, not upstream's {upstream_sha}",
                "somebody else pushed to your fork meanwhile; find out who, then retry",
            )
        ctx.output(f"fork {branch} = upstream {branch} = {upstream_sha}")
        ctx.record_fact(FACT_UPSTREAM_BASE, upstream_sha)


def fork_push_refspecs(release: Release) -> list[str]:
    branch, tag = release.release_branch, release.version.tag
    return [f"refs/heads/{branch}:refs/heads/{branch}", f"refs/tags/{tag}:refs/tags/{tag}"]


class ForkPushStep(Step):
    id = "fork.push"
    title = "Push the release branch and tag to the fork"
    phase = Phase.TAG
    requires = ("tag.create",)
    help = """\
**What it does.** Shows `git push --dry-run`, asks you to confirm, pushes `branch-<version>` and
the tag to your fork (atomically: both or neither), then checks that the fork's tag resolves to
the recorded release commit.

**Why.** The Windows and macOS experts build their installers from your fork's tag, and the
public commit is what the source tarballs are checked against.

**Threat it guards against.** A tag on the fork that differs from the one you made. Later steps
re-check the fork's tag against the recorded commit, so a tag moved afterwards is caught too.

**How to recover.** A rejected push changes nothing (it is atomic): read the reason, fix it, and
retry. If the fork already has a different tag of that name, delete it there by hand first.
"""
    check_after_interruption = "whether the fork has the tag, pointing at the release commit"

    def plan(self, release: Release) -> list[Action]:
        fork = release.profile.repos.fork_remote
        refs = " ".join(fork_push_refspecs(release))
        return [
            Action("preview the push", f"git -C {release.clone} push --dry-run {fork} {refs}"),
            Action("push, once confirmed", f"git -C {release.clone} push --atomic {fork} {refs}"),
            Action(
                "check the fork's tag is the recorded commit",
                f"git -C {release.clone} ls-remote {fork} refs/tags/{release.version.tag}",
            ),
        ]

    def probe(self, ctx: StepContext) -> Probe:
        commit = ctx.facts.get(FACT_RELEASE_COMMIT)
        if commit is None:
            return Probe.not_done("no release commit recorded yet")
        release = ctx.release
        repo = quiet_clone(ctx)
        tag = release.version.tag
        try:
            remote = repo.ls_remote(release.profile.repos.fork_remote, f"refs/tags/{tag}")
        except RmtuiError as exc:
            return Probe.unknown(exc.problem)
        if remote is None:
            return Probe.not_done(f"the fork has no {tag} yet")
        if remote != commit:
            return Probe.inconsistent(
                f"the fork's {tag} points at {remote}, but the recorded release commit is {commit}"
            )
        return Probe.done(f"the fork's {tag} points at the release commit {str(commit)[:12]}")

    def run(self, ctx: StepContext) -> None:
        release = ctx.release
        fork = release.profile.repos.fork_remote
        repo = clone(ctx)
        commit = require_release_commit(ctx, repo)
        refspecs = fork_push_refspecs(release)
        preview = repo.push(fork, refspecs, dry_run=True)
        detail = "\n".join(f"  {p.local} -> {p.remote}: {p.summary}" for p in preview)
        if not ctx.prompter.confirm(
            f"Push {release.release_branch} and {release.version.tag} to your fork ({fork})?",
            detail=f"git push --dry-run said:\n{detail}",
            default=True,
        ):
            raise StepFailed("the push to the fork was not confirmed", "retry when ready")
        repo.push(fork, refspecs)
        remote = repo.ls_remote(fork, f"refs/tags/{release.version.tag}")
        if remote != commit:
            raise StepFailed(
                f"after the push the fork's {release.version.tag} resolves to {remote}, not to "
                f"the release commit {commit}",
                "somebody changed the fork meanwhile; find out who before going on",
            )
        ctx.output(f"fork {release.version.tag} -> {commit}")
