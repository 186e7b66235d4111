"""signing.preflight and sign.artifacts: prove signing works, then sign and verify artifacts."""

from __future__ import annotations

import hashlib
import logging
import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rmtui.core.errors import RmtuiError, SecretsError, SigningError, StepFailed
from rmtui.core.release import Release
from rmtui.core.step import Action, Phase, Probe, Prompter, Step, StepContext
from rmtui.steps.common import FACT_RELEASE_COMMIT, quiet_clone, require_release_commit
from rmtui.steps.tag import GPG_PASSPHRASE_SECRET, gnupghome, signing_key, stored_passphrase

if TYPE_CHECKING:
    from sigstore.oidc import IdentityToken

    from rmtui.ops.gpg import Gpg
    from rmtui.ops.sigstore import Signer, SigstoreIdentity

# Facts: why Sigstore was skipped, and per artifact ("signed.<name>") its digest and signatures.
FACT_SIGSTORE_SKIPPED = "sigstore.skipped"
FACT_SIGNED_PREFIX = "signed."
SUMS_NAME = "SHA256SUMS"
# Signatures, certificates and unfinished writes sit beside artifacts but are never shipped.
_NOT_SHIPPED = (".asc", ".sig", ".sigstore", ".sigstore.json", ".crt", ".pem", ".tmp", ".part")
_SCRATCH_TEXT = "rmtui signing pre-flight: a throwaway file to prove the key signs\n"

# What builds the Sigstore Signer of a run: (context, staging?, expected identity) -> Signer.
SignerFactory = Callable[[StepContext, bool, "SigstoreIdentity"], "Signer"]
NetworkCheck = Callable[[bool], bool]


class SigstoreUnavailable(SigningError):
    """Sigstore cannot sign here (no identity, no network, no token): a rehearsal skips it."""


def fact_key(release: Release, artifact: Path) -> str:
    """The fact that records how `artifact` was signed."""
    return FACT_SIGNED_PREFIX + artifact.relative_to(release.artifacts).as_posix()


def shipped_artifacts(folder: Path) -> list[Path]:
    """Every file of `folder` (and below) that the release ships and that gets signatures."""
    if not folder.is_dir():
        return []
    found = []
    for path in sorted(folder.rglob("*")):
        relative = path.relative_to(folder)
        if any(part.startswith(".") for part in relative.parts) or not path.is_file():
            continue
        if path.name == SUMS_NAME or path.name.endswith(_NOT_SHIPPED):
            continue
        found.append(path)
    return found


def sha256_of(path: Path) -> str:
    with path.open("rb") as stream:
        return hashlib.file_digest(stream, "sha256").hexdigest()


# The profile's signing rules for one release


@dataclass(frozen=True)
class SigningPolicy:
    """Who signs this release, how, and whether Sigstore may be skipped."""

    version: str
    minor: str
    gpg_key: str | None
    gpg_home: Path | None
    why_no_gpg: str
    sigstore_mode: str
    staging: bool
    identity: str
    issuer: str
    rehearsal: bool

    @property
    def instance(self) -> str:
        return "staging" if self.staging else "production"

    @property
    def sigstore_on(self) -> bool:
        return self.sigstore_mode != "off"

    def expected_identity(self) -> SigstoreIdentity:
        from rmtui.ops.sigstore import SigstoreIdentity

        return SigstoreIdentity(self.identity, self.issuer)

    def sigstore_blocker(self, network_check: NetworkCheck) -> str:
        """Why Sigstore cannot sign here ("" when it can try); the profile is checked first."""
        if not self.sigstore_on:
            return 'the profile turns Sigstore off (signing.sigstore = "off")'
        if not (self.identity and self.issuer):
            return f"the profile names no Sigstore identity and issuer for Python {self.minor}"
        if not network_check(self.staging):
            return f"Sigstore {self.instance} is not reachable from here (no network)"
        return ""

    def sigstore_hint(self) -> str:
        signer = f'[signing.signers."{self.minor}"]'
        return (
            f"set sigstore_identity and sigstore_issuer in {signer} (a sandbox takes them from "
            "RMTUI_SIGSTORE_IDENTITY and RMTUI_SIGSTORE_ISSUER), restore the network, or set "
            "SIGSTORE_IDENTITY_TOKEN to a fresh token; then retry. To ship without Sigstore on "
            'purpose, set signing.sigstore = "off" in the profile'
        )


def signing_policy(release: Release) -> SigningPolicy:
    """Read the profile for this release; a missing signer or fingerprint raises clearly."""
    signing = release.profile.signing
    version = release.version
    key = signing_key(release)
    identity = issuer = ""
    if signing.sigstore != "off":
        signer = signing.signer_for(version)
        identity, issuer = signer.sigstore_identity, signer.sigstore_issuer
    if key is not None:
        why_no_gpg = ""
    elif signing.gpg == "never":
        why_no_gpg = 'the profile says signing.gpg = "never"'
    else:
        why_no_gpg = f"PEP 761: Python {version.minor_version} is signed with Sigstore only"
    return SigningPolicy(
        version=str(version),
        minor=version.minor_version,
        gpg_key=key,
        gpg_home=gnupghome(release),
        why_no_gpg=why_no_gpg,
        sigstore_mode=signing.sigstore,
        staging=signing.sigstore == "staging" or release.rehearsal,
        identity=identity,
        issuer=issuer,
        rehearsal=release.rehearsal,
    )


def _quiet_sigstore_logs() -> None:
    # sigstore-python warns on every offline trust-root load, and offline is what rmtui asks for.
    logging.getLogger("sigstore").setLevel(logging.ERROR)


def default_network_check(staging: bool) -> bool:
    from rmtui.ops.sigstore import network_available

    return network_available(staging)


# GPG with the passphrase from keyring or asked once


class GpgSession:
    """The release's GPG key in its home, with the passphrase from keyring or asked once."""

    def __init__(self, key: str, home: Path | None, release: Release, prompter: Prompter) -> None:
        from rmtui.ops.gpg import Gpg

        self.key = key
        self.gpg: Gpg = Gpg(home)
        self._prompter = prompter
        self._passphrase = stored_passphrase(release)
        self._asked = False

    def sign(self, path: Path) -> Path:
        """Sign into `path.asc`; ask the passphrase once if keyring has none and gpg needs it."""
        while True:
            try:
                return self.gpg.sign_detached(path, self.key, self._passphrase)
            except SigningError as exc:
                if self._asked or self._passphrase or "needs a passphrase" not in exc.problem:
                    raise
            self._passphrase = self._prompter.secret(f"Passphrase for GPG key {self.key}")
            self._asked = True

    def verify(self, path: Path, signature: Path) -> None:
        self.gpg.verify_detached(path, signature, self.key)


# Sigstore: the identity token and the one signing seam


def identity_token(prompter: Prompter, staging: bool) -> IdentityToken:
    """A token from the environment, CI, or a login through the prompter when it can ask."""
    from rmtui.ops.sigstore import TOKEN_ENV, obtain_identity_token

    if getattr(prompter, "interactive", True):
        return obtain_identity_token(staging, ask_code=prompter.oauth_code)
    try:
        return obtain_identity_token(staging, ask_code=None)
    except SigningError as exc:
        if os.environ.get(TOKEN_ENV, "").strip():
            raise  # a token was given and is unusable: that is never a reason to skip
        raise SigstoreUnavailable(
            f"{exc.problem} (this run cannot ask for a login)", exc.hint
        ) from exc


def sigstore_signer(ctx: StepContext, staging: bool, expected: SigstoreIdentity) -> Signer:
    """The real Signer: a token for the expected identity, then Fulcio and Rekor."""
    from rmtui.ops.sigstore import SigstoreSigner, check_token_identity

    token = identity_token(ctx.prompter, staging)
    check_token_identity(token, expected)
    return SigstoreSigner(token, staging=staging)


# Checking one artifact's signatures


@dataclass(frozen=True)
class ArtifactCheck:
    """What the signatures beside one artifact prove."""

    artifact: Path
    missing: tuple[str, ...]
    failures: tuple[str, ...]
    record: dict[str, Any]

    @property
    def good(self) -> bool:
        return not self.missing and not self.failures


def check_artifact(
    artifact: Path,
    policy: SigningPolicy,
    gpg: Gpg | None,
    sigstore: bool,
) -> ArtifactCheck:
    """Verify the .asc and .sigstore beside `artifact` that this release expects."""
    missing: list[str] = []
    failures: list[str] = []
    record: dict[str, Any] = {"sha256": sha256_of(artifact), "size": artifact.stat().st_size}
    if gpg is not None and policy.gpg_key is not None:
        signature = artifact.with_name(artifact.name + ".asc")
        if not signature.is_file():
            missing.append(signature.name)
        else:
            try:
                gpg.verify_detached(artifact, signature, policy.gpg_key)
                record.update(
                    gpg=signature.name, gpg_key=policy.gpg_key, gpg_sha256=sha256_of(signature)
                )
            except SigningError as exc:
                failures.append(exc.problem)
    if sigstore:
        from rmtui.ops.sigstore import bundle_path, verify_bundle

        bundle = bundle_path(artifact)
        if not bundle.is_file():
            missing.append(bundle.name)
        else:
            expected = policy.expected_identity()
            try:
                _quiet_sigstore_logs()
                verify_bundle(artifact, bundle, expected, staging=policy.staging)
                record.update(
                    sigstore=bundle.name,
                    sigstore_identity=str(expected),
                    sigstore_instance=policy.instance,
                    sigstore_sha256=sha256_of(bundle),
                )
            except SigningError as exc:
                failures.append(exc.problem)
    return ArtifactCheck(artifact, tuple(missing), tuple(failures), record)


def _listing(items: list[str], limit: int = 4) -> str:
    shown = ", ".join(items[:limit])
    return shown + (f" and {len(items) - limit} more" if len(items) > limit else "")


# signing.preflight


class SigningPreflightStep(Step):
    id = "signing.preflight"
    title = "Signing pre-flight"
    phase = Phase.PREPARE
    requires = ("preflight",)
    help = """\
**What it does.** Proves, before anything is changed, that this machine can sign the release:
a test signature of a scratch file through the very GPG path `sign.artifacts` uses (passphrase
from keyring or a prompt, loopback mode, the agent's cached passphrase dropped first so a wrong
one cannot hide), the key's expiry (a warning within 30 days), the Sigstore identity (can a token
be had, and is it the identity the profile lists for this version), and whether the OS keyring
can hold the release's secrets. From Python 3.14 on there is no GPG (PEP 761) and the GPG checks
are skipped, saying so.

**Why.** Signing comes after the tag is pushed and the tarballs are built. Finding then that the
key expired, the passphrase is wrong or the Sigstore account is not the expected one means a
half-finished release; here it costs nothing.

**Threat it guards against.** Artifacts signed by the wrong key or identity, which users'
verification (and CPython's published list of release managers) would reject.

**How to recover.** Each problem is listed with its fix: store the right passphrase
(`rmtui secrets set gpg-passphrase`), extend the key (`gpg --quick-set-expire FPR 1y`), import
its secret part, log in with the account the profile names, or fix the profile's signer. Then
retry: the checks only read, so running them again is safe.
"""
    check_after_interruption = "nothing: the checks only read, so running them again is safe"

    def __init__(self, network_check: NetworkCheck = default_network_check) -> None:
        self.network_check = network_check

    def plan(self, release: Release) -> list[Action]:
        try:
            policy = signing_policy(release)
        except RmtuiError as exc:
            return [Action(f"cannot plan the signing checks: {exc.problem}")]
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

    def probe(self, ctx: StepContext) -> Probe:
        return Probe.not_done("read-only checks; running them again is safe")

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


# sign.artifacts


class SignArtifactsStep(Step):
    id = "sign.artifacts"
    title = "Sign the artifacts"
    phase = Phase.SIGN
    requires = ("signing.preflight",)
    help = """\
**What it does.** Signs every file the release ships in `artifacts/` (source tarballs, the
experts' installers, the SBOMs; not `SHA256SUMS`, not existing signatures): a Sigstore bundle
`FILE.sigstore` for every release (staging in rehearsals), and a detached ASCII-armored GPG
signature `FILE.asc` where the profile says (PEP 761: releases before 3.14). Then it verifies
every signature at once against the key and identity the profile expects, and records each
artifact's SHA-256 and signature files as facts.

**Why.** Users and redistributors check these signatures against CPython's published list of
release managers. Verifying right away means a wrong key, identity or issuer is noticed by you,
now, and not by users after publishing.

**Threat it guards against.** A tarball swapped or changed after it was built or signed: its
signatures no longer verify, and this step's probe reports it as inconsistent, naming the file.
Where Sigstore cannot run (rehearsal without network or identity, or the profile turns it off)
it is skipped with the reason written to the journal; no bundle is ever faked.

**How to recover.** A wrong passphrase: `rmtui secrets set gpg-passphrase`, then retry. A bundle
for the wrong identity: log in with the account the profile names. A tampered artifact: rebuild
it (`export.source`) or fetch the right one, delete its stale `.asc`/`.sigstore`, and retry;
signatures that still verify are kept.
"""
    check_after_interruption = "which artifacts in artifacts/ have a .asc and .sigstore beside them"

    def __init__(
        self,
        signer_factory: SignerFactory = sigstore_signer,
        network_check: NetworkCheck = default_network_check,
    ) -> None:
        self.signer_factory = signer_factory
        self.network_check = network_check

    def plan(self, release: Release) -> list[Action]:
        try:
            policy = signing_policy(release)
        except RmtuiError as exc:
            return [Action(f"cannot plan the signing: {exc.problem}")]
        folder = release.artifacts
        actions = [Action(f"every shipped file in {folder}, except {SUMS_NAME} and signatures")]
        if policy.gpg_key:
            home = f"--homedir {policy.gpg_home} " if policy.gpg_home else ""
            actions += [
                Action(
                    f"GPG-sign each FILE with key {policy.gpg_key} into FILE.asc",
                    f"gpg {home}--pinentry-mode loopback --detach-sign --armor "
                    f"-u {policy.gpg_key} FILE",
                ),
                Action("verify each FILE.asc", f"gpg {home}--verify FILE.asc FILE"),
            ]
        else:
            actions.append(Action(f"no GPG signatures: {policy.why_no_gpg}"))
        if policy.sigstore_on:
            staging = " --staging" if policy.staging else ""
            who = f"{policy.identity} (issuer {policy.issuer})" if policy.identity else "?"
            actions += [
                Action(
                    f"Sigstore-sign each FILE on {policy.instance} into FILE.sigstore",
                    f"python -m sigstore{staging} sign --bundle FILE.sigstore FILE",
                ),
                Action(
                    f"verify each bundle for {who}",
                    f"python -m sigstore{staging} verify identity --bundle FILE.sigstore "
                    f"--cert-identity {policy.identity or 'IDENTITY'} "
                    f"--cert-oidc-issuer {policy.issuer or 'ISSUER'} --offline FILE",
                ),
            ]
        else:
            actions.append(Action('no Sigstore bundles: signing.sigstore = "off"'))
        return actions

    # probe

    def probe(self, ctx: StepContext) -> Probe:
        release = ctx.release
        artifacts = shipped_artifacts(release.artifacts)
        if not artifacts:
            return Probe.not_done("no artifacts to sign yet (export.source makes them)")
        policy = signing_policy(release)
        sigstore = policy.sigstore_on and not ctx.facts.get(FACT_SIGSTORE_SKIPPED)
        gpg = self._gpg(policy)
        missing: list[str] = []
        facts: dict[str, Any] = {}
        for artifact in artifacts:
            checked = check_artifact(artifact, policy, gpg, sigstore)
            missing += checked.missing
            if checked.failures:
                recorded = ctx.facts.get(fact_key(release, artifact))
                why = "; ".join(checked.failures)
                if recorded:
                    return Probe.inconsistent(
                        f"{artifact.name} no longer matches the signatures made for it: {why}"
                        + _digest_note(recorded, checked.record)
                    )
                missing.append(f"{artifact.name} (its signature does not verify: {why})")
                continue
            facts[fact_key(release, artifact)] = checked.record
        if missing:
            return Probe.not_done(f"not signed yet: {_listing(missing)}")
        return Probe.done(
            f"{len(artifacts)} artifact(s) carry good signatures "
            f"({self._by_whom(policy, sigstore)})",
            facts,
        )

    @staticmethod
    def _gpg(policy: SigningPolicy) -> Gpg | None:
        if policy.gpg_key is None:
            return None
        from rmtui.ops.gpg import Gpg

        return Gpg(policy.gpg_home)

    @staticmethod
    def _by_whom(policy: SigningPolicy, sigstore: bool) -> str:
        parts = []
        if policy.gpg_key:
            parts.append(f"GPG key {policy.gpg_key}")
        if sigstore:
            parts.append(f"Sigstore {policy.instance} {policy.identity} ({policy.issuer})")
        return ", ".join(parts) or "no signatures expected"

    # run

    def run(self, ctx: StepContext) -> None:
        release = ctx.release
        artifacts = shipped_artifacts(release.artifacts)
        if not artifacts:
            raise StepFailed(
                f"nothing to sign: {release.artifacts} holds no artifacts",
                "run export.source first (and import the experts' installers), then retry",
            )
        if ctx.facts.get(FACT_RELEASE_COMMIT) is not None and release.clone.is_dir():
            require_release_commit(ctx, quiet_clone(ctx))
        _check_against_sums(release.artifacts, artifacts)
        try:
            policy = signing_policy(release)
        except RmtuiError as exc:
            raise StepFailed(exc.problem, exc.hint) from exc
        signer = self._sigstore(ctx, policy)
        if policy.gpg_key is None and signer is None:
            if not release.rehearsal:
                raise StepFailed(
                    f"nothing would sign Python {policy.version}: no GPG ({policy.why_no_gpg}) "
                    "and no Sigstore",
                    'set signing.sigstore to "production" (or signing.gpg = "always") in the '
                    "profile; a release is never shipped unsigned",
                )
            ctx.output("warning: this rehearsal signs nothing: no GPG and no Sigstore here")
        session = (
            GpgSession(policy.gpg_key, policy.gpg_home, release, ctx.prompter)
            if policy.gpg_key
            else None
        )
        if session is not None:
            for warning in session.gpg.check_signing_key(session.key):
                ctx.output(f"warning: {warning}")
        self._sign_all(ctx, policy, artifacts, session, signer)
        self._verify_all(ctx, policy, artifacts, session, signer is not None)

    def _sigstore(self, ctx: StepContext, policy: SigningPolicy) -> Signer | None:
        """The Signer of this run, or None after journaling why Sigstore is skipped."""
        blocker = policy.sigstore_blocker(self.network_check)
        try:
            if blocker:
                raise SigstoreUnavailable(blocker, policy.sigstore_hint())
            signer = self.signer_factory(ctx, policy.staging, policy.expected_identity())
        except SigstoreUnavailable as exc:
            if policy.sigstore_on and not policy.rehearsal:
                raise StepFailed(
                    f"{exc.problem}; a real release must be signed with Sigstore", exc.hint
                ) from exc
            reason = exc.problem
            ctx.output(f"Sigstore skipped: {reason}")
            if ctx.facts.get(FACT_SIGSTORE_SKIPPED) != reason:
                ctx.record_fact(FACT_SIGSTORE_SKIPPED, reason)
            return None
        if ctx.facts.get(FACT_SIGSTORE_SKIPPED):
            ctx.record_fact(FACT_SIGSTORE_SKIPPED, None)
        ctx.output(f"Sigstore: signing on {policy.instance} as {policy.expected_identity()}")
        return signer

    def _sign_all(
        self,
        ctx: StepContext,
        policy: SigningPolicy,
        artifacts: list[Path],
        session: GpgSession | None,
        signer: Signer | None,
    ) -> None:
        from rmtui.ops.sigstore import sign_artifact

        total = len(artifacts)
        for number, artifact in enumerate(artifacts):
            if ctx.cancel.is_set():
                raise StepFailed(
                    f"signing stopped by the RM after {number} of {total} artifacts",
                    "retry when ready: signatures that verify are kept, the rest are made",
                )
            ctx.progress(number, total, f"signing {artifact.name}")
            if session is not None:
                if check_artifact(artifact, policy, session.gpg, False).good:
                    ctx.output(f"{artifact.name}.asc already verifies: kept")
                else:
                    ctx.output(f"GPG-signed: {session.sign(artifact).name}")
            if signer is not None:
                if check_artifact(artifact, policy, None, True).good:
                    ctx.output(f"{artifact.name}.sigstore already verifies: kept")
                else:
                    bundle = sign_artifact(signer, artifact, staging=policy.staging)
                    ctx.output(f"Sigstore-signed: {bundle.name}")
        ctx.progress(total, total, "signed")

    def _verify_all(
        self,
        ctx: StepContext,
        policy: SigningPolicy,
        artifacts: list[Path],
        session: GpgSession | None,
        sigstore: bool,
    ) -> None:
        records: dict[Path, dict[str, Any]] = {}
        for number, artifact in enumerate(artifacts):
            ctx.progress(number, len(artifacts), f"verifying {artifact.name}")
            checked = check_artifact(artifact, policy, session.gpg if session else None, sigstore)
            if not checked.good:
                problems = [*checked.failures, *(f"{name} is missing" for name in checked.missing)]
                raise SigningError(
                    f"{artifact.name} was just signed but does not verify: {'; '.join(problems)}",
                    "check the profile's GPG fingerprint and Sigstore identity and issuer for "
                    f"Python {policy.minor}, and the account you signed in with; then retry",
                )
            records[artifact] = checked.record
            ctx.output(f"verified: {artifact.name} ({self._by_whom(policy, sigstore)})")
        ctx.progress(len(artifacts), len(artifacts), "verified")
        for artifact, record in records.items():
            ctx.record_fact(fact_key(ctx.release, artifact), record)


def _digest_note(recorded: Any, now: dict[str, Any]) -> str:
    if isinstance(recorded, dict) and recorded.get("sha256") not in (None, now["sha256"]):
        return f" (sha256 was {recorded['sha256']} when signed, now {now['sha256']})"
    return ""


def _check_against_sums(folder: Path, artifacts: list[Path]) -> None:
    """Refuse to sign a file that differs from an existing SHA256SUMS: sign only what was built."""
    sums = folder / SUMS_NAME
    if not sums.is_file():
        return
    from rmtui.ops.checksums import check_sha256sums

    shipped = {path.relative_to(folder).as_posix() for path in artifacts}
    changed = [
        result.name
        for result in check_sha256sums(sums)
        if result.name in shipped and result.reason == "checksum mismatch"
    ]
    if changed:
        raise StepFailed(
            f"{_listing(changed)} differ from their digests in {SUMS_NAME}: they changed "
            "after they were built",
            "find out why; rebuild them (export.source) so that both agree, then retry",
        )
