"""Freezing a branch on GitHub: push restrictions read, recorded, narrowed and restored."""

from __future__ import annotations

from typing import Any

from rmtui.core import facts
from rmtui.core.errors import RmtuiError, StepFailed
from rmtui.core.redact import register_secret
from rmtui.core.release import Release
from rmtui.core.step import Action, ProbeContext, StepContext
from rmtui.ops.github import TOKEN_SECRET, GitHub, PushRestrictions


def frozen_branches_for(release: Release) -> list[str]:
    """The branches the release freezes: the one it is cut from."""
    return [release.branch]


def manual_instructions(release: Release, freezing: bool) -> str:
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


def confirm_manual(ctx: StepContext, freezing: bool) -> None:
    release = ctx.release
    instructions = manual_instructions(release, freezing)
    ctx.output(instructions)
    done = "frozen" if freezing else "unfrozen"
    if not ctx.prompter.confirm(f"Is {release.branch} {done}?", detail=instructions):
        raise StepFailed(
            f"the {'freeze' if freezing else 'unfreeze'} of {release.branch} was not confirmed",
            f"{instructions} Then retry the step.",
        )


def _stored_token(release: Release) -> str | None:
    from rmtui.ops.secrets import Secrets

    return Secrets(release.profile.name).get(TOKEN_SECRET)


def github_for_probe(release: Release) -> GitHub | None:
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


def matches(found: PushRestrictions | None, wanted: PushRestrictions) -> bool:
    return found is not None and found.matches(wanted)


def recorded_before(ctx: ProbeContext) -> dict[str, Any]:
    return dict(facts.GITHUB_BEFORE.get(ctx.facts) or {})


def github_freeze(ctx: StepContext) -> None:
    release = ctx.release
    api = _github_for_run(ctx)
    login = api.login()
    ctx.output(f"the token is {login}'s; only {login} will be able to push")
    before = recorded_before(ctx)
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
                ctx.record_fact(facts.GITHUB_BEFORE.name, before)
        if not current.is_only(login):
            api.set_push_restrictions(branch, PushRestrictions.only_user(login))
        after = _restrictions(api, branch)
        if not after.is_only(login):
            raise StepFailed(
                f"after the freeze, who may push to {branch} is still: {after.describe()}",
                "somebody changed the rule meanwhile; look at it on GitHub, then retry",
            )
        ctx.output(f"{branch} is frozen: only {login} may push")


def github_unfreeze(ctx: StepContext, branches: list[str]) -> None:
    before = recorded_before(ctx)
    missing = [b for b in branches if b not in before]
    if missing:
        ctx.output(
            f"no record of who could push to {', '.join(missing)} before the freeze "
            "(it was frozen outside this step)"
        )
        confirm_manual(ctx, freezing=False)
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


def github_actions(release: Release, freezing: bool) -> list[Action]:
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
