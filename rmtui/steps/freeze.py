"""freeze and unfreeze: nobody but the RM may push to the release branch during the release."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from rmtui.core.errors import RmtuiError, StepFailed
from rmtui.core.redact import register_secret
from rmtui.core.release import Release
from rmtui.core.step import Action, Phase, Probe, Step, StepContext
from rmtui.ops import freeze_hook
from rmtui.ops.github import TOKEN_SECRET, GitHub, PushRestrictions

FACT_FROZEN = "freeze.branches"
# {branch: {"users": [...], "teams": [...], "apps": [...]}}: who could push before the freeze.
FACT_GITHUB_BEFORE = "freeze.github_restrictions_before"


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


def _confirm_manual(ctx: StepContext, freezing: bool) -> None:
    release = ctx.release
    instructions = _manual_instructions(release, freezing)
    ctx.output(instructions)
    done = "frozen" if freezing else "unfrozen"
    if not ctx.prompter.confirm(f"Is {release.branch} {done}?", detail=instructions):
        raise StepFailed(
            f"the {'freeze' if freezing else 'unfreeze'} of {release.branch} was not confirmed",
            f"{instructions} Then retry the step.",
        )


# -- the GitHub method ---------------------------------------------------------------


def _stored_token(release: Release) -> str | None:
    from rmtui.ops.secrets import Secrets

    return Secrets(release.profile.name).get(TOKEN_SECRET)


def _github_for_probe(release: Release) -> GitHub | None:
    """A client with the keyring's token, or None when there is none (probes never ask)."""
    try:
        token = _stored_token(release)
    except RmtuiError:
        return None
    if not token:
        return None
    settings = release.profile.freeze
    return GitHub(settings.github_api, settings.github_repo, token)


def _github_for_run(ctx: StepContext) -> GitHub:
    """A client with the token from the keyring, or asked for when it is not stored."""
    release = ctx.release
    settings = release.profile.freeze
    try:
        token = _stored_token(release)
    except RmtuiError as exc:
        ctx.output(f"cannot read the keyring ({exc.problem}); asking for the token instead")
        token = None
    if not token:
        ctx.output(
            "no github-token in the keyring: store it with `rmtui secrets set github-token` "
            "so that rmtui need not ask again"
        )
        token = ctx.prompter.secret(
            f"GitHub token with admin rights on {settings.github_repo} "
            "(store it with `rmtui secrets set github-token`)"
        )
        register_secret(token)
    if not token.strip():
        raise StepFailed(
            "no GitHub token was given", "store one with `rmtui secrets set github-token`, retry"
        )
    return GitHub(settings.github_api, settings.github_repo, token)


def _restrictions(api: GitHub, branch: str) -> PushRestrictions:
    current = api.push_restrictions(branch)
    if current is None:
        raise StepFailed(
            f"the protection rule of {branch} in {api.repo} does not restrict who can push, so "
            "rmtui cannot freeze it without rewriting the whole rule",
            f"enable “Restrict who can push to matching branches” in the rule for {branch} "
            "(Settings → Branches), keeping the people who may push now, then retry",
        )
    return current


def _matches(found: PushRestrictions | None, wanted: PushRestrictions) -> bool:
    return found is not None and found.matches(wanted)


def _recorded_before(ctx: StepContext) -> dict[str, Any]:
    return dict(ctx.facts.get(FACT_GITHUB_BEFORE) or {})


def _github_freeze(ctx: StepContext) -> None:
    release = ctx.release
    api = _github_for_run(ctx)
    login = api.login()
    ctx.output(f"the token is {login}'s; only {login} will be able to push")
    before = _recorded_before(ctx)
    for branch in frozen_branches_for(release):
        current = _restrictions(api, branch)
        ctx.output(f"{branch}: who may push now: {current.describe()}")
        if branch not in before:
            if current.is_only(login):
                ctx.output(
                    f"{branch} already lets only {login} push, and no earlier state is recorded: "
                    "unfreeze will ask you to restore the rule by hand"
                )
            else:
                # Recorded before anything changes, so a crash mid-freeze can still be undone.
                before[branch] = current.to_fact()
                ctx.record_fact(FACT_GITHUB_BEFORE, before)
        if not current.is_only(login):
            api.set_push_restrictions(branch, PushRestrictions.only_user(login))
        after = _restrictions(api, branch)
        if not after.is_only(login):
            raise StepFailed(
                f"after the freeze, who may push to {branch} is still: {after.describe()}",
                "somebody changed the rule meanwhile; look at it on GitHub, then retry",
            )
        ctx.output(f"{branch} is frozen: only {login} may push")


def _github_unfreeze(ctx: StepContext, branches: list[str]) -> None:
    before = _recorded_before(ctx)
    missing = [b for b in branches if b not in before]
    if missing:
        ctx.output(
            f"no record of who could push to {', '.join(missing)} before the freeze "
            "(it was frozen outside this step)"
        )
        _confirm_manual(ctx, freezing=False)
        branches = [b for b in branches if b in before]
    if not branches:
        return
    api = _github_for_run(ctx)
    login = api.login()
    for branch in branches:
        wanted = PushRestrictions.from_fact(before[branch])
        current = _restrictions(api, branch)
        if current.matches(wanted):
            ctx.output(f"{branch} already has its earlier rule: {wanted.describe()}")
            continue
        if not current.is_only(login) and not ctx.prompter.confirm(
            f"{branch}'s push restrictions changed during the release; restore them anyway?",
            detail=f"now: {current.describe()}\nbefore the freeze: {wanted.describe()}",
            default=True,
        ):
            raise StepFailed(
                f"{branch}'s push restrictions were changed during the release and were left "
                "as they are",
                "look at the rule on GitHub, then retry to restore the earlier state",
            )
        api.set_push_restrictions(branch, wanted)
        if not _restrictions(api, branch).matches(wanted):
            raise StepFailed(
                f"after the unfreeze, {branch}'s push restrictions are not the earlier ones",
                f"set them by hand to: {wanted.describe()}",
            )
        ctx.output(f"{branch} is unfrozen: who may push is back to {wanted.describe()}")


def _github_actions(release: Release, freezing: bool) -> list[Action]:
    settings = release.profile.freeze
    owner_repo = settings.github_repo
    base = f"{settings.github_api.rstrip('/')}/repos/{owner_repo}/branches/{release.branch}"
    actions = [
        Action(
            "learn your GitHub login from the token (keyring: github-token)",
            f"GET {settings.github_api.rstrip('/')}/user",
        ),
        Action(
            f"read {release.branch}'s protection rule" + (" and record it" if freezing else ""),
            f"GET {base}/protection",
        ),
    ]
    if freezing:
        wanted = {"users": '["<your login>"]', "teams": "[]", "apps": "[]"}
        what = "let only you push: set"
    else:
        wanted = dict.fromkeys(("users", "teams", "apps"), "<as recorded>")
        what = "restore who may push, exactly as recorded before the freeze: set"
    for kind, value in wanted.items():
        actions.append(
            Action(
                f"{what} {kind}", f'PUT {base}/protection/restrictions/{kind} {{"{kind}": {value}}}'
            )
        )
    return actions


# -- the steps -------------------------------------------------------------------------


class FreezeStep(Step):
    id = "freeze"
    title = "Freeze the release branch"
    phase = Phase.PREPARE
    help = """\
**What it does.** Makes the upstream release branch refuse every push except the release
manager's, for the duration of the release. In the rehearsal sandbox this is a real `pre-receive`
hook in `upstream.git` that rejects pushes lacking the RM's push option. With the `github` method
it restricts, through the REST API, who may push to the branch to you alone, after recording who
could push before (users, teams, apps) so that `unfreeze` restores exactly that. The token comes
from the keyring (`rmtui secrets set github-token`; it needs admin rights on the repository), or
is asked for. With the `manual` method it shows what to change on GitHub and asks you to confirm.

**Why.** The release commit is cut from the branch's tip. A merge landing mid-release would either
be silently left out or, worse, pushed on top of the release by accident.

**Threat it guards against.** Unreviewed or late changes slipping into a release.

**How to recover.** If freezing fails, nothing else has happened yet: fix the cause (a token that
is wrong or expired, one without admin rights, a branch without a protection rule, the network)
and retry. `unfreeze`, the last step, lifts it.
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
        if method == "github":
            return _github_actions(release, freezing=True)
        return [Action(_manual_instructions(release, freezing=True))]

    def probe(self, ctx: StepContext) -> Probe:
        release = ctx.release
        method = release.profile.freeze.method
        if method == "sandbox-hook":
            bare = Path(release.profile.repos.upstream)
            if freeze_hook.hook_installed(bare) and release.branch in freeze_hook.frozen_branches(
                bare
            ):
                return Probe.done(
                    f"{release.branch} is frozen by the hook in {bare}",
                    {FACT_FROZEN: frozen_branches_for(release)},
                )
            return Probe.not_done(f"{release.branch} is not frozen")
        if method == "github":
            return self._probe_github(release)
        return Probe.not_done("a manual freeze cannot be checked from here; the RM confirms it")

    @staticmethod
    def _probe_github(release: Release) -> Probe:
        api = _github_for_probe(release)
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
            {FACT_FROZEN: frozen_branches_for(release)},
        )

    def run(self, ctx: StepContext) -> None:
        release = ctx.release
        settings = release.profile.freeze
        if settings.method == "sandbox-hook":
            bare = Path(release.profile.repos.upstream)
            freeze_hook.freeze(bare, release.branch, settings.push_option)
            ctx.output(f"pre-receive hook installed in {bare}; {release.branch} is frozen")
        elif settings.method == "github":
            _github_freeze(ctx)
        else:
            _confirm_manual(ctx, freezing=True)
        ctx.record_fact(FACT_FROZEN, frozen_branches_for(release))


class UnfreezeStep(Step):
    id = "unfreeze"
    title = "Unfreeze the release branch"
    phase = Phase.UPSTREAM
    help = """\
**What it does.** Lifts the freeze put in place by `freeze`, so that core developers can merge
again. It is the last step of the release. With the `github` method it puts back exactly who
could push before the freeze, as `freeze` recorded it.

**Why.** A frozen branch blocks everybody; leaving it frozen after the release is a common slip.

**How to recover.** Retry; lifting a freeze that is already lifted does nothing. If the rule was
changed by somebody else during the release, the step asks before overwriting it.
"""
    check_after_interruption = "whether the branch is still frozen"

    def plan(self, release: Release) -> list[Action]:
        method = release.profile.freeze.method
        if method == "sandbox-hook":
            bare = release.profile.repos.upstream
            return [
                Action(
                    f"unfreeze {release.branch} in {bare}",
                    f"git -C {bare} config --unset rmtui.frozen {release.branch}",
                )
            ]
        if method == "github":
            return _github_actions(release, freezing=False)
        return [Action(_manual_instructions(release, freezing=False))]

    def probe(self, ctx: StepContext) -> Probe:
        release = ctx.release
        method = release.profile.freeze.method
        if method == "sandbox-hook":
            bare = Path(release.profile.repos.upstream)
            if release.branch in freeze_hook.frozen_branches(bare):
                return Probe.not_done(f"{release.branch} is still frozen")
            return Probe.done(f"{release.branch} is not frozen")
        if method == "github":
            return self._probe_github(ctx)
        return Probe.not_done("a manual unfreeze cannot be checked from here; the RM confirms it")

    @staticmethod
    def _probe_github(ctx: StepContext) -> Probe:
        before = _recorded_before(ctx)
        if not before:
            return Probe.not_done("no record of the rule before the freeze; the RM confirms it")
        api = _github_for_probe(ctx.release)
        if api is None:
            return Probe.not_done("no github-token in the keyring to look with")
        try:
            differ = [
                b
                for b, wanted in before.items()
                if not _matches(api.push_restrictions(b), PushRestrictions.from_fact(wanted))
            ]
        except RmtuiError as exc:
            return Probe.unknown(exc.problem)
        if differ:
            return Probe.not_done(f"{', '.join(differ)} not yet back to the earlier rule")
        return Probe.done("every frozen branch has its earlier push restrictions back")

    def run(self, ctx: StepContext) -> None:
        release = ctx.release
        branches = list(ctx.facts.get(FACT_FROZEN) or frozen_branches_for(release))
        method = release.profile.freeze.method
        if method == "sandbox-hook":
            bare = Path(release.profile.repos.upstream)
            for branch in branches:
                freeze_hook.unfreeze(bare, branch)
                ctx.output(f"{branch} is no longer frozen in {bare}")
        elif method == "github":
            _github_unfreeze(ctx, branches)
        else:
            _confirm_manual(ctx, freezing=False)
