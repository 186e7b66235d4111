"""The profile's signing rules for one release, Sigstore's seam, and checking signatures."""

from __future__ import annotations

import hashlib
import logging
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rmtui.core import facts
from rmtui.core.errors import SigningError
from rmtui.core.release import Release
from rmtui.core.step import Prompter, StepContext
from rmtui.steps.kit.gpg import gnupghome, signing_key

if TYPE_CHECKING:
    from sigstore.oidc import IdentityToken

    from rmtui.ops.gpg import Gpg
    from rmtui.ops.sigstore import Signer, SigstoreIdentity

# What builds the Sigstore Signer of a run: (context, staging?, expected identity) -> Signer.
SignerFactory = Callable[[StepContext, bool, "SigstoreIdentity"], "Signer"]
NetworkCheck = Callable[[bool], bool]


class SigstoreUnavailable(SigningError):
    """Sigstore cannot sign here (no identity, no network, no token): a rehearsal skips it."""


def fact_key(release: Release, artifact: Path) -> str:
    """The fact that records how `artifact` was signed."""
    return facts.SIGNED.of(artifact.relative_to(release.artifacts).as_posix()).name


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
