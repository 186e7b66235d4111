"""fork.update and fork.push: the RM's fork, level with upstream, then carrying the release."""

from __future__ import annotations

from rmtui.core import facts
from rmtui.core.command import Command
from rmtui.core.errors import RmtuiError, StepFailed
from rmtui.core.guide import Guide, Threat
from rmtui.core.release import Release
from rmtui.core.step import Action, Phase, Probe, ProbeContext, Step, StepContext
from rmtui.steps.kit import commands
from rmtui.steps.kit.repo import clone, quiet_clone, require_release_commit

UPDATE_GUIDE = Guide(
    does="Fetches upstream, fast-forwards your clone's release branch to upstream's, pushes it "
    "to your fork, and checks that the fork's branch now has exactly upstream's commit. It "
    "records that commit: the release is built on top of it.",
    why="The release commit must sit directly on upstream's tip, so the later push to upstream "
    "is a fast-forward and contains nothing but the release.",
    goes_wrong="A fork whose branch carries an old experiment, a clone that is many commits "
    "behind, or a network hiccup in the middle of the fetch.",
    threat=Threat.SOURCE_REPOSITORY,
    threat_detail="A fork carrying stray commits that would ride along into the release: the "
    "fork must equal upstream exactly, and a diverged fork is never force-pushed.",
    recover="A fork that has diverged is never force-pushed: look at the extra commits (`git log "
    "upstream/BRANCH..origin/BRANCH`), remove them from the fork by hand if they are junk, then "
    "retry.",
    who="The release manager, from their working clone to their own fork.",
    references=("PEP 101: Preparing for release (update the fork from upstream)",),
)

PUSH_GUIDE = Guide(
    does="Shows `git push --dry-run`, asks you to confirm, pushes `branch-<version>` and the tag "
    "to your fork (atomically: both or neither), then checks that the fork's tag resolves to the "
    "recorded release commit.",
    why="The Windows and macOS experts build their installers from your fork's tag, and the "
    "public commit is what the source tarballs are checked against.",
    goes_wrong="The fork already has a tag of that name from an earlier attempt, or the push is "
    "rejected because the fork's branch moved meanwhile.",
    threat=Threat.SOURCE_REPOSITORY,
    threat_detail="A tag on the fork that differs from the one you made. Later steps re-check the "
    "fork's tag against the recorded commit, so a tag moved afterwards is caught too.",
    recover="A rejected push changes nothing (it is atomic): read the reason, fix it, and retry. "
    "If the fork already has a different tag of that name, delete it there by hand first.",
    who="The release manager.",
    references=("PEP 101: Push the release tag and branch to your fork",),
)


def fetch(release: Release, remote: str, *refspecs: str) -> Command:
    return commands.git(release, "fetch", "--prune", remote, *refspecs, sentence=f"fetch {remote}")


def fast_forward(release: Release) -> tuple[Command, Command]:
    """Bring the local release branch to upstream's: merging when it is checked out, else fetch."""
    up, branch = release.profile.repos.upstream_remote, release.branch
    return (
        commands.git(
            release,
            "merge",
            "--ff-only",
            f"{up}/{branch}",
            sentence=f"fast-forward {branch} to {up}/{branch} (the clone is on {branch})",
        ),
        commands.git(
            release,
            "fetch",
            ".",
            f"{up}/{branch}:{branch}",
            sentence=f"fast-forward {branch} to {up}/{branch} (the clone is on another branch)",
        ),
    )


def branch_push(release: Release) -> Command:
    branch = release.branch
    return commands.push_command(
        release,
        release.profile.repos.fork_remote,
        [f"refs/heads/{branch}:refs/heads/{branch}"],
        sentence=f"push {branch} to the fork",
    )


class ForkUpdateStep(Step):
    id = "fork.update"
    title = "Update the fork from upstream"
    phase = Phase.PREPARE
    requires = ("preflight",)
    guide = UPDATE_GUIDE
    check_after_interruption = "that the fork's branch equals upstream's"

    def plan(self, release: Release) -> list[Action]:
        repos = release.profile.repos
        branch = release.branch
        return [
            Action.of(fetch(release, repos.upstream_remote, branch)),
            Action.of(fetch(release, repos.fork_remote)),
            Action("check (read-only) that neither the fork nor the clone has diverged"),
            *(Action.of(command) for command in fast_forward(release)),
            Action.of(branch_push(release)),
            Action(f"check (read-only) that the fork's {branch} equals upstream's"),
        ]

    def probe(self, ctx: ProbeContext) -> Probe:
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
                {facts.UPSTREAM_BASE.name: upstream_sha},
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
        hint = "check the network and that the remote exists"
        commands.run(ctx, fetch(release, up, branch), hint=hint)
        commands.run(ctx, fetch(release, fork), hint=hint)
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
        merge, fetch_into = fast_forward(release)
        commands.run(ctx, merge if repo.current_branch() == branch else fetch_into)
        commands.push(ctx, repo, branch_push(release), fork, {})
        pushed = repo.ls_remote(fork, f"refs/heads/{branch}")
        if pushed != upstream_sha:
            raise StepFailed(
                f"after the push the fork's {branch} is {pushed}, not upstream's {upstream_sha}",
                "somebody else pushed to your fork meanwhile; find out who, then retry",
            )
        ctx.output(f"fork {branch} = upstream {branch} = {upstream_sha}")
        ctx.record_fact(facts.UPSTREAM_BASE.name, upstream_sha)


def fork_push_refspecs(release: Release) -> list[str]:
    branch, tag = release.release_branch, release.version.tag
    return [f"refs/heads/{branch}:refs/heads/{branch}", f"refs/tags/{tag}:refs/tags/{tag}"]


def release_push(release: Release, *, dry_run: bool) -> Command:
    return commands.push_command(
        release,
        release.profile.repos.fork_remote,
        fork_push_refspecs(release),
        sentence="preview the push" if dry_run else "push, once confirmed",
        dry_run=dry_run,
    )


class ForkPushStep(Step):
    id = "fork.push"
    title = "Push the release branch and tag to the fork"
    phase = Phase.TAG
    requires = ("tag.create",)
    guide = PUSH_GUIDE
    check_after_interruption = "whether the fork has the tag, pointing at the release commit"

    def plan(self, release: Release) -> list[Action]:
        return [
            Action.of(release_push(release, dry_run=True)),
            Action.of(release_push(release, dry_run=False)),
            Action(
                f"check (read-only) that the fork's {release.version.tag} is the recorded "
                "commit {release.commit_sha}"
            ),
        ]

    def probe(self, ctx: ProbeContext) -> Probe:
        commit = facts.RELEASE_COMMIT.get(ctx.facts)
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
        preview = commands.push(ctx, repo, release_push(release, dry_run=True), fork, {})
        detail = "\n".join(f"  {p.local} -> {p.remote}: {p.summary}" for p in preview)
        if not ctx.prompter.confirm(
            f"Push {release.release_branch} and {release.version.tag} to your fork ({fork})?",
            detail=f"git push --dry-run said:\n{detail}",
            default=True,
        ):
            raise StepFailed("the push to the fork was not confirmed", "retry when ready")
        commands.push(ctx, repo, release_push(release, dry_run=False), fork, {})
        remote = repo.ls_remote(fork, f"refs/tags/{release.version.tag}")
        if remote != commit:
            raise StepFailed(
                f"after the push the fork's {release.version.tag} resolves to {remote}, not to "
                f"the release commit {commit}",
                "somebody changed the fork meanwhile; find out who before going on",
            )
        ctx.output(f"fork {release.version.tag} -> {commit}")
