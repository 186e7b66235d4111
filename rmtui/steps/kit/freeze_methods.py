"""How a branch is frozen, one strategy per profile method: a sandbox hook, GitHub, by hand."""

# The profile names the method (`[freeze] method`); `freeze_method()` picks the strategy, and
# the freeze and unfreeze steps ask it, never the method's name. A new method (publishing by
# file or SFTP follows the same pattern) is one more small class and one more line in METHODS.

from __future__ import annotations

from pathlib import Path

from rmtui.core import facts
from rmtui.core.command import Command
from rmtui.core.errors import RmtuiError
from rmtui.core.release import Release
from rmtui.core.step import Action, Probe, ProbeContext, StepContext
from rmtui.ops import freeze_hook
from rmtui.ops.github import PushRestrictions
from rmtui.steps.kit import commands
from rmtui.steps.kit.github_freeze import (
    confirm_manual,
    frozen_branches_for,
    github_actions,
    github_for_probe,
    github_freeze,
    github_unfreeze,
    manual_instructions,
    matches,
    recorded_before,
)


class FreezeMethod:
    """Freezing by hand: rmtui says what to change and the RM confirms it (nothing to check)."""

    name = "manual"

    def plan(self, release: Release, *, freezing: bool) -> list[Action]:
        return [Action(manual_instructions(release, freezing=freezing))]

    def probe_frozen(self, ctx: ProbeContext) -> Probe:
        return Probe.not_done("a manual freeze cannot be checked from here; the RM confirms it")

    def probe_unfrozen(self, ctx: ProbeContext) -> Probe:
        return Probe.not_done("a manual unfreeze cannot be checked from here; the RM confirms it")

    def freeze(self, ctx: StepContext) -> None:
        confirm_manual(ctx, freezing=True)

    def unfreeze(self, ctx: StepContext, branches: list[str]) -> None:
        confirm_manual(ctx, freezing=False)

    def push_options(self, release: Release) -> list[str]:
        """What the RM's own push to a frozen branch must carry to pass."""
        return []


class HookFreeze(FreezeMethod):
    """The rehearsal sandbox: a real pre-receive hook in the local bare upstream."""

    name = "sandbox-hook"

    @staticmethod
    def _bare(release: Release) -> Path:
        return Path(release.profile.repos.upstream)

    def _freeze_commands(self, release: Release) -> list[Command]:
        settings = release.profile.freeze
        argvs = freeze_hook.freeze_argvs(self._bare(release), release.branch, settings.push_option)
        sentences = [
            "let the hook see push options",
            "the push option that lets the RM's own pushes through",
            f"freeze {release.branch}",
        ]
        return [Command.of(*a, sentence=s) for a, s in zip(argvs, sentences, strict=True)]

    def _unfreeze_commands(self, release: Release) -> list[Command]:
        bare = self._bare(release)
        return [
            commands.git_in(
                bare, "config", "--unset-all", "rmtui.frozen", sentence="lift every freeze"
            ),
            commands.git_in(
                bare,
                "config",
                "--add",
                "rmtui.frozen",
                "{other_branch}",
                sentence="freeze again any other branch that was frozen",
            ),
        ]

    def plan(self, release: Release, *, freezing: bool) -> list[Action]:
        bare = self._bare(release)
        if freezing:
            return [
                Action(f"install the pre-receive hook in {bare} (rmtui writes it)"),
                *(Action.of(c) for c in self._freeze_commands(release)),
            ]
        return [Action.of(c) for c in self._unfreeze_commands(release)]

    def probe_frozen(self, ctx: ProbeContext) -> Probe:
        release = ctx.release
        bare = self._bare(release)
        if freeze_hook.hook_installed(bare) and release.branch in freeze_hook.frozen_branches(bare):
            return Probe.done(
                f"{release.branch} is frozen by the hook in {bare}",
                {facts.FROZEN_BRANCHES.name: frozen_branches_for(release)},
            )
        return Probe.not_done(f"{release.branch} is not frozen")

    def probe_unfrozen(self, ctx: ProbeContext) -> Probe:
        release = ctx.release
        if release.branch in freeze_hook.frozen_branches(self._bare(release)):
            return Probe.not_done(f"{release.branch} is still frozen")
        return Probe.done(f"{release.branch} is not frozen")

    def freeze(self, ctx: StepContext) -> None:
        release = ctx.release
        bare = self._bare(release)
        freeze_hook.install_hook(bare)
        run = self._freeze_commands(release)
        if release.branch in freeze_hook.frozen_branches(bare):
            run = run[:-1]
        for command in run:
            commands.run(ctx, command)
        ctx.output(f"pre-receive hook installed in {bare}; {release.branch} is frozen")

    def unfreeze(self, ctx: StepContext, branches: list[str]) -> None:
        release = ctx.release
        bare = self._bare(release)
        unset, add = self._unfreeze_commands(release)
        for branch in branches:
            frozen = freeze_hook.frozen_branches(bare)
            if branch in frozen:
                commands.run(ctx, unset)
                for other in (b for b in frozen if b != branch):
                    commands.run(ctx, add, {"other_branch": other})
            ctx.output(f"{branch} is no longer frozen in {bare}")

    def push_options(self, release: Release) -> list[str]:
        return [release.profile.freeze.push_option]


class GitHubFreeze(FreezeMethod):
    """GitHub's branch protection: who may push, narrowed to the RM and restored afterwards."""

    name = "github"

    def plan(self, release: Release, *, freezing: bool) -> list[Action]:
        return github_actions(release, freezing=freezing)

    def probe_frozen(self, ctx: ProbeContext) -> Probe:
        release = ctx.release
        api = github_for_probe(release)
        if api is None:
            return Probe.not_done("no github-token in the keyring to look with")
        try:
            login = api.login()
            found = {b: api.push_restrictions(b) for b in frozen_branches_for(release)}
        except RmtuiError as exc:
            return Probe.unknown(exc.problem)
        loose = [b for b, who in found.items() if who is None or not who.is_only(login)]
        if loose:
            return Probe.not_done(f"{', '.join(loose)}: others than {login} may still push")
        return Probe.done(
            f"only {login} may push to {release.branch}",
            {facts.FROZEN_BRANCHES.name: frozen_branches_for(release)},
        )

    def probe_unfrozen(self, ctx: ProbeContext) -> Probe:
        before = recorded_before(ctx)
        if not before:
            return Probe.not_done("no record of the rule before the freeze; the RM confirms it")
        api = github_for_probe(ctx.release)
        if api is None:
            return Probe.not_done("no github-token in the keyring to look with")
        try:
            differ = [
                b
                for b, wanted in before.items()
                if not matches(api.push_restrictions(b), PushRestrictions.from_fact(wanted))
            ]
        except RmtuiError as exc:
            return Probe.unknown(exc.problem)
        if differ:
            return Probe.not_done(f"{', '.join(differ)} not yet back to the earlier rule")
        return Probe.done("every frozen branch has its earlier push restrictions back")

    def freeze(self, ctx: StepContext) -> None:
        github_freeze(ctx)

    def unfreeze(self, ctx: StepContext, branches: list[str]) -> None:
        github_unfreeze(ctx, branches)


METHODS: dict[str, type[FreezeMethod]] = {
    HookFreeze.name: HookFreeze,
    GitHubFreeze.name: GitHubFreeze,
    FreezeMethod.name: FreezeMethod,
}


def freeze_method(release: Release) -> FreezeMethod:
    """The strategy the profile's `[freeze] method` names (anything unknown is by hand)."""
    return METHODS.get(release.profile.freeze.method, FreezeMethod)()
