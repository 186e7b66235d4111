"""signing.preflight: prove, before anything changes, that this machine can sign the release."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from rmtui.core.errors import RmtuiError, SecretsError, SigningError, StepFailed
from rmtui.core.guide import Guide, Threat
from rmtui.core.release import Release
from rmtui.core.step import Action, Phase, StepContext
from rmtui.steps.kit.gpg import GPG_PASSPHRASE_SECRET, GpgSession
from rmtui.steps.kit.probes import ReadOnlyStep
from rmtui.steps.kit.repo import planned
from rmtui.steps.kit.signing import (
    NetworkCheck,
    SigningPolicy,
    SigstoreUnavailable,
    default_network_check,
    signing_policy,
)

_SCRATCH_TEXT = "rmtui signing pre-flight: a throwaway file to prove the key signs\n"

GUIDE = Guide(
    does="Proves, before anything is changed, that this machine can sign the release: a test "
    "signature of a scratch file through the very GPG path `sign.artifacts` uses (passphrase "
    "from keyring or a prompt, loopback mode, the agent's cached passphrase dropped first so a "
    "wrong one cannot hide), the key's expiry (a warning within 30 days), the Sigstore identity "
    "(can a token be had, and is it the identity the profile lists for this version), and "
    "whether the OS keyring can hold the release's secrets. From Python 3.14 on there is no GPG "
    "(PEP 761) and the GPG checks are skipped, saying so.",
    why="Signing comes after the tag is pushed and the tarballs are built. Finding then that the "
    "key expired, the passphrase is wrong or the Sigstore account is not the expected one means "
    "a half-finished release; here it costs nothing.",
    goes_wrong="A key that expired since the last release, a passphrase remembered by the agent "
    "but not stored anywhere, signing in to Sigstore with a personal instead of the listed "
    "account, a keyring that is locked or absent on a headless machine.",
    threat=Threat.MODIFIED_PACKAGE,
    threat_detail="Artifacts must carry signatures users can check against CPython's published "
    "list of release managers; signing with the wrong key or identity would make a modified "
    "package indistinguishable from a good one.",
    recover="Each problem is listed with its fix: store the right passphrase (`rmtui secrets set "
    "gpg-passphrase`), extend the key (`gpg --quick-set-expire FPR 1y`), import its secret part, "
    "log in with the account the profile names, or fix the profile's signer. Then retry: the "
    "checks only read, so running them again is safe.",
    who="The release manager, on the machine that holds the signing key.",
    references=("PEP 101: Preparing for release (GPG key, Sigstore identity)", "PEP 761"),
)


class SigningPreflightStep(ReadOnlyStep):
    id = "signing.preflight"
    title = "Signing pre-flight"
    phase = Phase.PREPARE
    requires = ("preflight",)
    guide = GUIDE
    check_after_interruption = "nothing: the checks only read, so running them again is safe"

    def __init__(self, network_check: NetworkCheck = default_network_check) -> None:
        self.network_check = network_check

    def plan(self, release: Release) -> list[Action]:
        return planned("the signing checks", lambda: self._plan(release))

    def _plan(self, release: Release) -> list[Action]:
        policy = signing_policy(release)
        actions = []
        if policy.gpg_key is None:
            actions.append(Action(f"skip the GPG checks: {policy.why_no_gpg}"))
        else:
            home = f"--homedir {policy.gpg_home} " if policy.gpg_home else ""
            actions += [
                Action(
                    f"key {policy.gpg_key} exists, can sign, has its secret part, not expiring",
                    f"gpg {home}--list-secret-keys {policy.gpg_key}",
                ),
                Action(
                    "a test signature of a scratch file, verified (cached passphrase dropped)",
                    f"gpg {home}--pinentry-mode loopback --detach-sign --armor "
                    f"-u {policy.gpg_key} SCRATCH && gpg {home}--verify SCRATCH.asc SCRATCH",
                ),
            ]
        if policy.sigstore_on:
            actions.append(
                Action(
                    f"a Sigstore {policy.instance} token can be had for "
                    f"{policy.identity or '(no identity in the profile)'}",
                    "echo $SIGSTORE_IDENTITY_TOKEN, or an ambient CI credential, or a login",
                )
            )
        else:
            actions.append(Action('skip the Sigstore checks: signing.sigstore = "off"'))
        actions.append(
            Action(
                f"the keyring can hold the secrets of profile {release.profile.name}",
                "rmtui secrets get gpg-passphrase",
            )
        )
        return actions

    def run(self, ctx: StepContext) -> None:
        problems: list[RmtuiError] = []
        try:
            policy = signing_policy(ctx.release)
        except RmtuiError as exc:
            raise StepFailed(exc.problem, exc.hint) from exc
        for check in (self._check_gpg, self._check_sigstore, self._check_keyring):
            try:
                check(ctx, policy)
            except RmtuiError as exc:
                ctx.output(f"problem: {exc.problem}")
                problems.append(exc)
        if len(problems) == 1:
            raise StepFailed(problems[0].problem, problems[0].hint)
        if problems:
            raise StepFailed(
                f"signing is not ready ({len(problems)} problems):\n"
                + "\n".join(f"  - {p.problem}" for p in problems),
                "\n".join(f"  - {p.hint}" for p in problems if p.hint),
            )
        ctx.output("signing is ready")

    def _check_gpg(self, ctx: StepContext, policy: SigningPolicy) -> None:
        if policy.gpg_key is None:
            ctx.output(f"GPG: not used for {policy.version}: {policy.why_no_gpg}")
            return
        session = GpgSession(policy.gpg_key, policy.gpg_home, ctx.release, ctx.prompter)
        for warning in session.gpg.check_signing_key(policy.gpg_key):
            ctx.output(f"warning: {warning}")
        key = session.gpg.find_key(policy.gpg_key)
        expiry = f"expires {key.expires:%Y-%m-%d}" if key.expires else "never expires"
        ctx.output(f"GPG: key {key.fingerprint} ({', '.join(key.uids)}) {expiry}")
        session.gpg.forget_cached_passphrase(policy.gpg_key)
        with tempfile.TemporaryDirectory(prefix="rmtui-sigtest-") as scratch_dir:
            scratch = Path(scratch_dir) / "signing-preflight.txt"
            scratch.write_text(_SCRATCH_TEXT, encoding="utf-8")
            session.verify(scratch, session.sign(scratch))
        ctx.output(f"GPG: a test signature by {policy.gpg_key} was made and verifies")

    def _check_sigstore(self, ctx: StepContext, policy: SigningPolicy) -> None:
        blocker = policy.sigstore_blocker(self.network_check)
        if blocker:
            self._unavailable(ctx, policy, SigstoreUnavailable(blocker, policy.sigstore_hint()))
            return
        from rmtui.ops.sigstore import TOKEN_ENV, check_token_identity, obtain_identity_token

        expected = policy.expected_identity()
        ctx.output(f"Sigstore: {policy.instance}, expecting {expected}")
        given = bool(os.environ.get(TOKEN_ENV, "").strip())
        try:
            # Only the sources that need no one: the environment and an ambient CI credential.
            token = obtain_identity_token(policy.staging, ask_code=None)
        except SigningError as exc:
            if given:
                raise
            if getattr(ctx.prompter, "interactive", True):
                ctx.output(
                    "Sigstore: no token in the environment or from CI; sign.artifacts will show "
                    f"a login URL: sign in as {expected.identity}"
                )
                return
            self._unavailable(
                ctx,
                policy,
                SigstoreUnavailable(f"{exc.problem} (this run cannot log in)", exc.hint),
            )
            return
        check_token_identity(token, expected)
        source = f"{TOKEN_ENV} holds" if given else "an ambient CI credential gives"
        ctx.output(
            f"Sigstore: {source} a token for {token.identity}; tokens last minutes, so "
            "refresh it if it expires before sign.artifacts runs"
        )

    @staticmethod
    def _unavailable(ctx: StepContext, policy: SigningPolicy, reason: SigstoreUnavailable) -> None:
        if policy.sigstore_on and not policy.rehearsal:
            raise SigstoreUnavailable(
                f"{reason.problem}, and a real release must be signed with Sigstore",
                reason.hint,
            )
        ctx.output(f"warning: sign.artifacts will skip Sigstore: {reason.problem}")

    @staticmethod
    def _check_keyring(ctx: StepContext, policy: SigningPolicy) -> None:
        from rmtui.ops.secrets import Secrets

        try:
            secrets = Secrets(ctx.release.profile.name)
            stored = secrets.is_set(GPG_PASSPHRASE_SECRET)
        except SecretsError as exc:
            ctx.output(
                f"warning: no usable keyring ({exc.problem}); rmtui will ask for secrets when "
                f"needed instead. To keep them: {exc.hint}"
            )
            return
        where = f"keyring {secrets.backend_name}, service {secrets.service}"
        if policy.gpg_key is None:
            ctx.output(f"keyring: {where}")
        elif stored:
            ctx.output(f"keyring: {where}; the GPG passphrase is stored there")
        else:
            ctx.output(
                f"keyring: {where}; no GPG passphrase stored (fine for a key without one; "
                "otherwise rmtui asks, or store it: rmtui secrets set gpg-passphrase)"
            )
