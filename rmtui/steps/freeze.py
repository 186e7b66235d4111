"""freeze and unfreeze: nobody but the RM may push to the release branch during the release."""

from __future__ import annotations

from pathlib import Path

from rmtui.core.errors import StepFailed
from rmtui.core.release import Release
from rmtui.core.step import Action, Phase, Probe, Step, StepContext
from rmtui.ops import freeze_hook

FACT_FROZEN = "freeze.branches"


def frozen_branches_for(release: Release) -> list[str]:
    """The branches the release freezes: the one it is cut from."""
    return [release.branch]


def _manual_instructions(release: Release, freezing: bool) -> str:
    repo = release.profile.freeze.github_repo
    verb = "Freeze" if freezing else "Unfreeze"
    what = (
        "restrict who can push to it to the release manager only"
        if freezing
        else "remove the push restriction you added for the release"
    )
    return (
        f"{verb} {release.branch} by hand: on GitHub open {repo} → Settings → Branches → "
        f"the rule for {release.branch}, and {what}."
    )


class FreezeStep(Step):
    id = "freeze"
    title = "Freeze the release branch"
    phase = Phase.PREPARE
    help = """\
**What it does.** Makes the upstream release branch refuse every push except the release
manager's, for the duration of the release. In the rehearsal sandbox this is a real `pre-receive`
hook in `upstream.git` that rejects pushes lacking the RM's push option; on GitHub it is branch
protection (or a manual change the step asks you to confirm).

**Why.** The release commit is cut from the branch's tip. A merge landing mid-release would either
be silently left out or, worse, pushed on top of the release by accident.

**Threat it guards against.** Unreviewed or late changes slipping into a release.

**How to recover.** If freezing fails, nothing else has happened yet: fix the cause (credentials,
permissions) and retry. `unfreeze`, the last step, lifts it.
"""
    check_after_interruption = "whether the branch protection (or hook) is in place"

    def plan(self, release: Release) -> list[Action]:
        method = release.profile.freeze.method
        branch = release.branch
        if method == "sandbox-hook":
            bare = release.profile.repos.upstream
            return [
                Action(
                    f"install the pre-receive hook in {bare} and freeze {branch}",
                    f"git -C {bare} config --add rmtui.frozen {branch}",
                )
            ]
        return [Action(_manual_instructions(release, freezing=True))]

    def probe(self, ctx: StepContext) -> Probe:
        release = ctx.release
        if release.profile.freeze.method == "sandbox-hook":
            bare = Path(release.profile.repos.upstream)
            if freeze_hook.hook_installed(bare) and release.branch in freeze_hook.frozen_branches(
                bare
            ):
                return Probe.done(
                    f"{release.branch} is frozen by the hook in {bare}",
                    {FACT_FROZEN: frozen_branches_for(release)},
                )
            return Probe.not_done(f"{release.branch} is not frozen")
        return Probe.not_done("a manual freeze cannot be checked from here; the RM confirms it")

    def run(self, ctx: StepContext) -> None:
        release = ctx.release
        settings = release.profile.freeze
        if settings.method == "sandbox-hook":
            bare = Path(release.profile.repos.upstream)
            freeze_hook.freeze(bare, release.branch, settings.push_option)
            ctx.output(f"pre-receive hook installed in {bare}; {release.branch} is frozen")
        else:
            instructions = _manual_instructions(release, freezing=True)
            ctx.output(instructions)
            if not ctx.prompter.confirm(f"Is {release.branch} frozen?", detail=instructions):
                raise StepFailed(
                    f"the freeze of {release.branch} was not confirmed",
                    "freeze the branch as described, then retry the step",
                )
        ctx.record_fact(FACT_FROZEN, frozen_branches_for(release))


class UnfreezeStep(Step):
    id = "unfreeze"
    title = "Unfreeze the release branch"
    phase = Phase.UPSTREAM
    help = """\
**What it does.** Lifts the freeze put in place by `freeze`, so that core developers can merge
again. It is the last step of the release.

**Why.** A frozen branch blocks everybody; leaving it frozen after the release is a common slip.

**How to recover.** Retry; lifting a freeze that is already lifted does nothing.
"""
    check_after_interruption = "whether the branch is still frozen"

    def plan(self, release: Release) -> list[Action]:
        if release.profile.freeze.method == "sandbox-hook":
            bare = release.profile.repos.upstream
            return [
                Action(
                    f"unfreeze {release.branch} in {bare}",
                    f"git -C {bare} config --unset rmtui.frozen {release.branch}",
                )
            ]
        return [Action(_manual_instructions(release, freezing=False))]

    def probe(self, ctx: StepContext) -> Probe:
        release = ctx.release
        if release.profile.freeze.method == "sandbox-hook":
            bare = Path(release.profile.repos.upstream)
            if release.branch in freeze_hook.frozen_branches(bare):
                return Probe.not_done(f"{release.branch} is still frozen")
            return Probe.done(f"{release.branch} is not frozen")
        return Probe.not_done("a manual unfreeze cannot be checked from here; the RM confirms it")

    def run(self, ctx: StepContext) -> None:
        release = ctx.release
        branches = ctx.facts.get(FACT_FROZEN) or frozen_branches_for(release)
        if release.profile.freeze.method == "sandbox-hook":
            bare = Path(release.profile.repos.upstream)
            for branch in branches:
                freeze_hook.unfreeze(bare, branch)
                ctx.output(f"{branch} is no longer frozen in {bare}")
            return
        instructions = _manual_instructions(release, freezing=False)
        ctx.output(instructions)
        if not ctx.prompter.confirm(f"Is {release.branch} unfrozen?", detail=instructions):
            raise StepFailed(
                f"the unfreeze of {release.branch} was not confirmed",
                "lift the freeze as described, then retry the step",
            )
