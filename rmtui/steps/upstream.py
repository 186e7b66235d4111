"""upstream.push: merge the tag, make the post-release commit, and push to upstream (no return)."""

from __future__ import annotations

from rmtui.core import facts
from rmtui.core.command import Command
from rmtui.core.errors import RmtuiError, StepFailed
from rmtui.core.guide import Guide, Threat
from rmtui.core.patchlevel import (
    TreeVersion,
    parse_patchlevel,
    update_patchlevel,
    update_readme_version,
)
from rmtui.core.release import Release
from rmtui.core.step import Action, Phase, Probe, ProbeContext, Step, StepContext
from rmtui.core.version import ReleaseType
from rmtui.ops.git import GitRepo
from rmtui.steps.kit import commands
from rmtui.steps.kit.edits import EditRecord, restore_actions, undo_own_edits
from rmtui.steps.kit.freeze_methods import freeze_method
from rmtui.steps.kit.gate import gate, gate_actions
from rmtui.steps.kit.repo import clone, quiet_clone

GUIDE = Guide(
    does="Runs the final gate first: the manifest is complete (both source tarballs, their "
    "SBOMs, the docs when the release has them, each expert's installers as the profile "
    "declares them), every file still has the digest recorded when it was built or imported, "
    "every signature the policy requires verifies, and your local tag *and* the fork's tag "
    "still resolve to the release commit recorded at tag time. It checks that upstream's "
    "branch has not moved. Then it merges the tag into "
    "the release branch (as PEP 101 says), makes the post-release commit (`patchlevel.h` at "
    "`X.Y.Z+`, or `+dev` from 3.15), shows a dry run, and pushes branch and tag to upstream "
    "atomically. Finally it reads upstream's refs back. For b1 it also creates the `X.Y` branch "
    "and bumps `main` to `X.(Y+1).0a0`.",
    why="This is the point of no return: everyone sees it at once.",
    goes_wrong="A core developer merged despite the freeze, so upstream's branch moved; the "
    "fork's tag was replaced by a re-run elsewhere; the push is refused by branch protection.",
    threat=Threat.SOURCE_REPOSITORY,
    threat_detail="A tag moved on the fork between the fork push and this step (the release "
    "stops, naming both SHAs), and a push that would drag in commits landed during the release.",
    recover="A refused push changes nothing (it is atomic): fix the cause and retry. A moved "
    "tag: find out who moved it before doing anything else. A file the gate refuses: restore "
    "it, or re-run the step that made it and everything after it (`rmtui redo RELEASE STEP_ID "
    "--reason TEXT`).",
    who="The release manager, with push rights to upstream.",
    references=("PEP 101: Push the release to upstream (merge the tag, post-release bump)",),
)


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


def upstream_commands(release: Release) -> dict[str, Command]:
    """Every command upstream.push runs, by name; the plan shows them all."""
    files = release.profile.files
    up, branch, tag = release.profile.repos.upstream_remote, release.branch, release.version.tag
    minor = release.version.minor_version
    found: dict[str, Command] = {
        "probe-fetch": commands.git(
            release,
            "fetch",
            "-q",
            up,
            *pushed_branches(release),
            sentence="(the probe, once upstream has the tag) fetch upstream's branches to see "
            "whether the release is already there; only remote-tracking refs change",
            read_only=True,
        ),
        "fetch": commands.git(
            release,
            "fetch",
            "--prune",
            up,
            branch,
            sentence=f"check upstream's {branch} has not moved since the release began",
        ),
        "switch": commands.git(release, "switch", "-q", branch, sentence=f"switch to {branch}"),
        "merge": commands.git(
            release, "merge", "--no-squash", "--no-edit", tag, sentence=f"merge {tag} into {branch}"
        ),
        "post": commands.git(
            release,
            "commit",
            "-q",
            "-m",
            post_commit_message(release),
            "--",
            files.version_file,
            sentence=f"post-release: patchlevel.h to {release.version.post_release}",
        ),
    }
    if release.release_type is ReleaseType.BETA_1:
        nxt = release.version.next_minor_alpha0()
        found |= {
            "branch": commands.git(
                release,
                "branch",
                minor,
                "{release.commit_sha}",
                sentence=f"create the {minor} branch",
            ),
            "switch-minor": commands.git(
                release, "switch", "-q", minor, sentence=f"switch to {minor}"
            ),
            "post": commands.git(
                release,
                "commit",
                "-q",
                "-m",
                post_commit_message(release),
                "--",
                files.version_file,
                sentence=f"on {minor}: patchlevel.h to {release.version.post_release}",
            ),
            "bump": commands.git(
                release,
                "commit",
                "-q",
                "-m",
                f"Bump main to {nxt}",
                "--",
                files.version_file,
                files.readme,
                sentence=f"on main: bump to {nxt}",
            ),
        }
    refs = upstream_refspecs(release)
    options = freeze_method(release).push_options(release)
    found["preview"] = commands.push_command(release, up, refs, sentence="preview", dry_run=True)
    found["push"] = commands.push_command(
        release, up, refs, sentence="push to upstream (cannot be undone)", push_options=options
    )
    if options:
        # Nothing frozen (the freeze was skipped): the option would have nothing to pass.
        found["push-unfrozen"] = commands.push_command(
            release, up, refs, sentence="push to upstream (when nothing was frozen)"
        )
    return found


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
    guide = GUIDE
    check_after_interruption = "upstream's tag and branch (git ls-remote upstream)"

    def plan(self, release: Release) -> list[Action]:
        run = upstream_commands(release)
        order = ["fetch", "switch", "merge"]
        if release.release_type is ReleaseType.BETA_1:
            order += ["branch", "switch-minor", "post", "switch", "bump"]
        else:
            order += ["post"]
        return [
            Action.of(run["probe-fetch"]),
            *gate_actions(),
            *restore_actions(release),
            *(Action.of(run[name]) for name in order),
            Action.of(run["preview"]),
            Action.of(run["push"]),
            *([Action.of(run["push-unfrozen"])] if "push-unfrozen" in run else []),
            Action("read upstream's tag and branches back (read-only)"),
        ]

    def probe(self, ctx: ProbeContext) -> Probe:
        release = ctx.release
        commit = facts.RELEASE_COMMIT.get(ctx.facts)
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
            commands.run(ctx, upstream_commands(release)["probe-fetch"], echo=False)
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
            {facts.POST_RELEASE_COMMIT.name: post},
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
        # The final gate comes first: nothing leaves unless everything still is as recorded.
        commit = gate(ctx, so_far="Nothing was pushed to upstream.")
        repo = clone(ctx)
        base = facts.UPSTREAM_BASE.require(ctx.facts)
        branch = release.branch
        run = upstream_commands(release)
        commands.run(ctx, run["fetch"], hint="check the network, then retry")
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
        head = repo.commit_of("HEAD")
        # Only this step's own recorded edits of an interrupted attempt are ever put back.
        undo_own_edits(ctx, repo, self.id, str(head))
        self._merge_and_bump(ctx, repo, commit, base)
        EditRecord(release, self.id).forget()
        push = run["push"]
        if "push-unfrozen" in run and not facts.FROZEN_BRANCHES.get(ctx.facts):
            push = run["push-unfrozen"]
        commands.push(ctx, repo, run["preview"], repos.upstream_remote, {})
        commands.push(ctx, repo, push, repos.upstream_remote, {})
        self._verify_upstream(ctx, repo, commit)

    def _merge_and_bump(self, ctx: StepContext, repo: GitRepo, commit: str, base: str) -> None:
        release = ctx.release
        branch = release.branch
        run = upstream_commands(release)
        commands.run(ctx, run["switch"])
        local = repo.commit_of(f"refs/heads/{branch}")
        assert local is not None
        if not repo.is_ancestor(commit, local):
            if local != base:
                raise StepFailed(
                    f"your local {branch} is at {local}, not at upstream's {base}",
                    f"reset it (git -C {release.clone} reset --keep {base}) and retry",
                )
            commands.run(ctx, run["merge"])
        if release.release_type is ReleaseType.BETA_1:
            minor = release.version.minor_version
            if repo.commit_of(f"refs/heads/{minor}") is None:
                commands.run(ctx, run["branch"], {"release.commit_sha": commit})
            commands.run(ctx, run["switch-minor"])
            self._commit_version(ctx, release.version.post_release, run["post"], readme=False)
            commands.run(ctx, run["switch"])
            nxt = release.version.next_minor_alpha0()
            self._commit_version(ctx, nxt, run["bump"], readme=True)
        else:
            self._commit_version(ctx, release.version.post_release, run["post"], readme=False)

    @staticmethod
    def _commit_version(
        ctx: StepContext, py_version: str, commit: Command, *, readme: bool
    ) -> None:
        """Set patchlevel.h (and the README title) to `py_version` and commit, unless already so."""
        release = ctx.release
        version_file = release.clone / release.profile.files.version_file
        text = version_file.read_text()
        if parse_patchlevel(text).get("PY_VERSION") == py_version:
            ctx.output(f"{release.profile.files.version_file} already at {py_version}")
            return
        tree_version = TreeVersion.parse(py_version)
        files = release.profile.files
        edits = {files.version_file: update_patchlevel(text, tree_version, py_version)}
        if readme:
            readme_path = release.clone / files.readme
            edits[files.readme] = update_readme_version(
                readme_path.read_text(), tree_version.release_text
            )
        head = clone(ctx).commit_of("HEAD")
        EditRecord(release, UpstreamPushStep.id).will_write(
            str(head), {name: content.encode() for name, content in edits.items()}
        )
        for name, content in edits.items():
            (release.clone / name).write_text(content)
        commands.run(ctx, commit)

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
        ctx.record_fact(facts.POST_RELEASE_COMMIT.name, post)
