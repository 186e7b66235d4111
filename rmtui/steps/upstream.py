"""upstream.push: merge the tag, make the post-release commit, and push to upstream (no return)."""

from __future__ import annotations

from rmtui.core.errors import RmtuiError, StepFailed
from rmtui.core.patchlevel import (
    TreeVersion,
    parse_patchlevel,
    update_patchlevel,
    update_readme_version,
)
from rmtui.core.release import Release
from rmtui.core.step import Action, Phase, Probe, Step, StepContext
from rmtui.core.version import ReleaseType
from rmtui.ops.git import GitRepo
from rmtui.steps.common import (
    FACT_POST_RELEASE_COMMIT,
    FACT_RELEASE_COMMIT,
    FACT_UPSTREAM_BASE,
    clone,
    quiet_clone,
    require_fork_tag,
    require_release_commit,
)
from rmtui.steps.freeze import FACT_FROZEN


def pushed_branches(release: Release) -> list[str]:
    """The branches upstream.push updates: the release branch, plus X.Y when b1 creates it."""
    if release.release_type is ReleaseType.BETA_1:
        return [release.branch, release.version.minor_version]
    return [release.branch]


def upstream_refspecs(release: Release) -> list[str]:
    tag = release.version.tag
    heads = [f"refs/heads/{b}:refs/heads/{b}" for b in pushed_branches(release)]
    return [*heads, f"refs/tags/{tag}:refs/tags/{tag}"]


def post_commit_message(release: Release) -> str:
    return f"Post {release.version}"


class UpstreamPushStep(Step):
    id = "upstream.push"
    title = "Push the release to upstream"
    phase = Phase.UPSTREAM
    irreversible = True
    requires = ("fork.push",)
    consequences = (
        "Once pushed, the tag and the release commit are public on upstream. A published tag "
        "must never be moved or deleted: downstream builds and signatures refer to it. If "
        "anything is wrong after this, the fix is a new release, not a rewrite."
    )
    help = """\
**What it does.** Checks that your local tag *and* the fork's tag still resolve to the release
commit recorded at tag time, and that upstream's branch has not moved. Then it merges the tag into
the release branch (as PEP 101 says), makes the post-release commit (`patchlevel.h` at `X.Y.Z+`,
or `+dev` from 3.15), shows a dry run, and pushes branch and tag to upstream atomically. Finally
it reads upstream's refs back. For b1 it also creates the `X.Y` branch and bumps `main` to
`X.(Y+1).0a0`.

**Why.** This is the point of no return: everyone sees it at once.

**Threat it guards against.** A tag moved on the fork between the fork push and this step (the
release stops, naming both SHAs), and a push that would drag in commits landed during the release.

**How to recover.** A refused push changes nothing (it is atomic): fix the cause and retry. A
moved tag: find out who moved it before doing anything else.
"""
    check_after_interruption = "upstream's tag and branch (git ls-remote upstream)"

    def plan(self, release: Release) -> list[Action]:
        repos = release.profile.repos
        path, tag, branch = release.clone, release.version.tag, release.branch
        actions = [
            Action(
                "check the local and the fork's tag still resolve to the recorded commit",
                f"git -C {path} ls-remote {repos.fork_remote} refs/tags/{tag}",
            ),
            Action(
                f"check upstream's {branch} has not moved since the release began",
                f"git -C {path} ls-remote {repos.upstream_remote} refs/heads/{branch}",
            ),
            Action(
                f"merge {tag} into {branch}",
                f"git -C {path} switch {branch} && git merge --no-squash --no-edit {tag}",
            ),
        ]
        if release.release_type is ReleaseType.BETA_1:
            minor = release.version.minor_version
            nxt = release.version.next_minor_alpha0()
            actions += [
                Action(f"create the {minor} branch", f"git -C {path} branch {minor}"),
                Action(
                    f"on {minor}: patchlevel.h to {release.version.post_release}",
                    f"git -C {path} commit -am '{post_commit_message(release)}'",
                ),
                Action(f"on main: bump to {nxt}", f"git -C {path} commit -am 'Bump main to {nxt}'"),
            ]
        else:
            actions.append(
                Action(
                    f"post-release: patchlevel.h to {release.version.post_release}",
                    f"git -C {path} commit -am '{post_commit_message(release)}'",
                )
            )
        refs = " ".join(upstream_refspecs(release))
        actions += [
            Action("preview", f"git -C {path} push --dry-run {repos.upstream_remote} {refs}"),
            Action(
                "push to upstream (cannot be undone)",
                f"git -C {path} push --atomic {repos.upstream_remote} {refs}",
            ),
            Action("read upstream's refs back", f"git -C {path} ls-remote {repos.upstream_remote}"),
        ]
        return actions

    def probe(self, ctx: StepContext) -> Probe:
        release = ctx.release
        commit = ctx.facts.get(FACT_RELEASE_COMMIT)
        if commit is None:
            return Probe.not_done("no release commit recorded yet")
        upstream = release.profile.repos.upstream_remote
        repo = quiet_clone(ctx)
        tag = release.version.tag
        try:
            remote_tag = repo.ls_remote(upstream, f"refs/tags/{tag}")
            if remote_tag is None:
                return Probe.not_done(f"upstream has no {tag}")
            if remote_tag != commit:
                return Probe.inconsistent(
                    f"upstream's {tag} points at {remote_tag}, not at the release commit {commit}"
                )
            repo.run("fetch", "-q", upstream, *pushed_branches(release), echo=False)
        except RmtuiError as exc:
            return Probe.unknown(exc.problem)
        tips = {}
        for branch in pushed_branches(release):
            tip = repo.commit_of(f"refs/remotes/{upstream}/{branch}")
            if tip is None or not repo.is_ancestor(str(commit), tip):
                return Probe.inconsistent(
                    f"upstream has {tag} but its {branch} does not contain the release commit"
                )
            tips[branch] = tip
        post = self._post_release_tip(repo, release, upstream)
        if post is None:
            return Probe.inconsistent(
                f"upstream has {tag} but {release.version.minor_version} lacks the post-release "
                "commit"
            )
        return Probe.done(
            f"upstream has {tag} at the release commit and the post-release commit",
            {FACT_POST_RELEASE_COMMIT: post},
        )

    @staticmethod
    def _post_release_tip(repo: GitRepo, release: Release, upstream: str) -> str | None:
        branch = pushed_branches(release)[-1]
        ref = f"refs/remotes/{upstream}/{branch}"
        text = repo.quiet("show", f"{ref}:{release.profile.files.version_file}")
        if parse_patchlevel(text).get("PY_VERSION") != release.version.post_release:
            return None
        return repo.commit_of(ref)

    def run(self, ctx: StepContext) -> None:
        release = ctx.release
        repos = release.profile.repos
        repo = clone(ctx)
        commit = require_release_commit(ctx, repo)
        require_fork_tag(ctx, repo, commit, so_far="Nothing was pushed to upstream.")
        base = str(ctx.facts.require(FACT_UPSTREAM_BASE))
        branch = release.branch
        repo.fetch(repos.upstream_remote, branch)
        upstream_tip = repo.commit_of(f"refs/remotes/{repos.upstream_remote}/{branch}")
        if upstream_tip != base:
            raise StepFailed(
                f"upstream's {branch} moved during the release: it was {base} when the release "
                f"began and is now {upstream_tip}, so the push would not fast-forward. "
                "Nothing was pushed.",
                f"see what landed: git -C {release.clone} log {base}..{repos.upstream_remote}/"
                f"{branch}. The freeze should have stopped it: find out how it got in. Then "
                f"have it taken back off upstream's {branch} (reset to {base[:12]}) and retry; "
                "a revert on top would not help. To release with it instead, start the "
                "release over from the new tip",
            )
        self._merge_and_bump(ctx, repo, commit, base)
        options = (
            [release.profile.freeze.push_option]
            if ctx.facts.get(FACT_FROZEN) and (release.profile.freeze.method == "sandbox-hook")
            else []
        )
        refspecs = upstream_refspecs(release)
        repo.push(repos.upstream_remote, refspecs, dry_run=True)
        repo.push(repos.upstream_remote, refspecs, push_options=options)
        self._verify_upstream(ctx, repo, commit)

    def _merge_and_bump(self, ctx: StepContext, repo: GitRepo, commit: str, base: str) -> None:
        release = ctx.release
        branch = release.branch
        repo.run("switch", "-q", branch)
        local = repo.commit_of(f"refs/heads/{branch}")
        assert local is not None
        if not repo.is_ancestor(commit, local):
            if local != base:
                raise StepFailed(
                    f"your local {branch} is at {local}, not at upstream's {base}",
                    f"reset it (git -C {release.clone} reset --keep {base}) and retry",
                )
            repo.run("merge", "--no-squash", "--no-edit", release.version.tag)
        if release.release_type is ReleaseType.BETA_1:
            minor = release.version.minor_version
            if repo.commit_of(f"refs/heads/{minor}") is None:
                repo.run("branch", minor, commit)
            repo.run("switch", "-q", minor)
            self._commit_version(
                ctx,
                repo,
                release.version.post_release,
                readme=False,
                message=post_commit_message(release),
            )
            repo.run("switch", "-q", branch)
            nxt = release.version.next_minor_alpha0()
            self._commit_version(ctx, repo, nxt, readme=True, message=f"Bump main to {nxt}")
        else:
            self._commit_version(
                ctx,
                repo,
                release.version.post_release,
                readme=False,
                message=post_commit_message(release),
            )

    def _commit_version(
        self, ctx: StepContext, repo: GitRepo, py_version: str, *, readme: bool, message: str
    ) -> None:
        """Set patchlevel.h (and the README title) to `py_version` and commit, unless already so."""
        release = ctx.release
        version_file = release.clone / release.profile.files.version_file
        text = version_file.read_text()
        if parse_patchlevel(text).get("PY_VERSION") == py_version:
            ctx.output(f"{release.profile.files.version_file} already at {py_version}")
            return
        tree_version = TreeVersion.parse(py_version)
        version_file.write_text(update_patchlevel(text, tree_version, py_version))
        paths = [release.profile.files.version_file]
        if readme:
            readme_path = release.clone / release.profile.files.readme
            readme_path.write_text(
                update_readme_version(readme_path.read_text(), tree_version.release_text)
            )
            paths.append(release.profile.files.readme)
        repo.run("commit", "-q", "-m", message, "--", *paths)

    def _verify_upstream(self, ctx: StepContext, repo: GitRepo, commit: str) -> None:
        release = ctx.release
        upstream = release.profile.repos.upstream_remote
        tag = release.version.tag
        remote_tag = repo.ls_remote(upstream, f"refs/tags/{tag}")
        if remote_tag != commit:
            raise StepFailed(
                f"after the push upstream's {tag} resolves to {remote_tag}, not {commit}",
                "check upstream by hand before anything else",
            )
        for branch in pushed_branches(release):
            local = repo.commit_of(f"refs/heads/{branch}")
            remote = repo.ls_remote(upstream, f"refs/heads/{branch}")
            if remote != local:
                raise StepFailed(
                    f"after the push upstream's {branch} is {remote}, not {local}",
                    "check upstream by hand before anything else",
                )
            ctx.output(f"upstream {branch} = {remote}")
        post_branch = pushed_branches(release)[-1]
        post = repo.commit_of(f"refs/heads/{post_branch}")
        ctx.output(f"upstream {tag} -> {commit}")
        ctx.record_fact(FACT_POST_RELEASE_COMMIT, post)
