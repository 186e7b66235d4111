"""freeze and unfreeze: nobody but the RM may push to the release branch during the release."""

from __future__ import annotations

from rmtui.core import facts
from rmtui.core.guide import Guide, Threat
from rmtui.core.release import Release
from rmtui.core.step import Action, Phase, Probe, ProbeContext, Step, StepContext
from rmtui.steps.kit.freeze_methods import freeze_method
from rmtui.steps.kit.github_freeze import frozen_branches_for

FACT_GITHUB_BEFORE = facts.GITHUB_BEFORE.name

FREEZE_GUIDE = Guide(
    does="Makes the upstream release branch refuse every push except the release manager's, for "
    "the duration of the release. In the rehearsal sandbox this is a real `pre-receive` hook in "
    "`upstream.git` that rejects pushes lacking the RM's push option. With the `github` method "
    "it restricts, through the REST API, who may push to the branch to you alone, after "
    "recording who could push before (users, teams, apps) so that `unfreeze` restores exactly "
    "that. The token comes from the keyring (`rmtui secrets set github-token`; it needs admin "
    "rights on the repository), or is asked for. With the `manual` method it shows what to "
    "change on GitHub and asks you to confirm.",
    why="The release commit is cut from the branch's tip. A merge landing mid-release would "
    "either be silently left out or, worse, pushed on top of the release by accident.",
    goes_wrong="A token without admin rights, a branch whose protection rule does not restrict "
    "pushes at all, or a merge that slipped in just before the freeze.",
    threat=Threat.SOURCE_REPOSITORY,
    threat_detail="Unreviewed or late changes slipping into a release while it is being made.",
    recover="If freezing fails, nothing else has happened yet: fix the cause (a token that is "
    "wrong or expired, one without admin rights, a branch without a protection rule, the "
    "network) and retry. `unfreeze`, the last step, lifts it.",
    who="The release manager, with admin rights on the repository.",
    references=("PEP 101: Preparing for release (ask for the branch to be frozen)",),
)

UNFREEZE_GUIDE = Guide(
    does="Lifts the freeze put in place by `freeze`, so that core developers can merge again. It "
    "is the last step of the release. With the `github` method it puts back exactly who could "
    "push before the freeze, as `freeze` recorded it.",
    why="A frozen branch blocks everybody; leaving it frozen after the release is a common slip.",
    goes_wrong="The release is declared done and the branch stays frozen for days, or somebody "
    "changed the protection rule during the release and the unfreeze would overwrite it.",
    threat=Threat.NONE,
    threat_detail="Lifting a restriction protects nothing; the step exists so the branch is "
    "handed back exactly as it was (with the rule recorded before the freeze).",
    recover="Retry; lifting a freeze that is already lifted does nothing. If the rule was "
    "changed by somebody else during the release, the step asks before overwriting it.",
    who="The release manager.",
    references=("PEP 101: After the release (unfreeze the branch)",),
)


class FreezeStep(Step):
    id = "freeze"
    title = "Freeze the release branch"
    phase = Phase.PREPARE
    guide = FREEZE_GUIDE
    check_after_interruption = "whether the branch protection (or hook) is in place"

    def plan(self, release: Release) -> list[Action]:
        return freeze_method(release).plan(release, freezing=True)

    def probe(self, ctx: ProbeContext) -> Probe:
        return freeze_method(ctx.release).probe_frozen(ctx)

    def run(self, ctx: StepContext) -> None:
        freeze_method(ctx.release).freeze(ctx)
        ctx.record_fact(facts.FROZEN_BRANCHES.name, frozen_branches_for(ctx.release))


class UnfreezeStep(Step):
    id = "unfreeze"
    title = "Unfreeze the release branch"
    phase = Phase.UPSTREAM
    guide = UNFREEZE_GUIDE
    check_after_interruption = "whether the branch is still frozen"

    def plan(self, release: Release) -> list[Action]:
        return freeze_method(release).plan(release, freezing=False)

    def probe(self, ctx: ProbeContext) -> Probe:
        return freeze_method(ctx.release).probe_unfrozen(ctx)

    def run(self, ctx: StepContext) -> None:
        branches = facts.FROZEN_BRANCHES.get(ctx.facts) or frozen_branches_for(ctx.release)
        freeze_method(ctx.release).unfreeze(ctx, list(branches))
