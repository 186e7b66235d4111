"""Sigstore bundles: identity tokens, signing behind one seam, and offline verification."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Protocol

import jwt
import requests
from sigstore._internal.fulcio import ExpiredCertificate
from sigstore._internal.fulcio.client import FulcioClientError
from sigstore._internal.oidc.oauth import OOB_REDIRECT_URI, _OAuthSession
from sigstore._internal.rekor import RekorClientError
from sigstore.errors import CertValidationError, NetworkError, TUFError, VerificationError
from sigstore.errors import Error as SigstoreLibraryError
from sigstore.hashes import Hashed
from sigstore.models import Bundle, ClientTrustConfig, InvalidBundle
from sigstore.oidc import ExpiredIdentity, IdentityToken, Issuer, detect_credential
from sigstore.oidc import IdentityError as SigstoreIdentityError
from sigstore.sign import Signer as LibrarySigner
from sigstore.sign import SigningContext
from sigstore.verify import Verifier, policy
from sigstore_models.common.v1 import HashAlgorithm

from rmtui.core.atomic import atomic_write_text
from rmtui.core.errors import SigningError
from rmtui.core.redact import register_secret

TOKEN_ENV = "SIGSTORE_IDENTITY_TOKEN"
BUNDLE_SUFFIX = ".sigstore"
CLIENT_ID = "sigstore"
# The TUF repositories every Sigstore client starts from; reaching one means signing can work.
TUF_URLS = {False: "https://tuf-repo-cdn.sigstore.dev", True: "https://tuf-repo-cdn.sigstage.dev"}
_NETWORK_HINT = (
    "check the network connection and any proxy (HTTPS_PROXY), then retry; in a rehearsal "
    "without network, skip the Sigstore step and the journal records why"
)


@dataclass(frozen=True)
class SigstoreIdentity:
    """Who must have signed: the certificate's identity (SAN) and its OIDC issuer."""

    identity: str
    issuer: str

    def __str__(self) -> str:
        return f"{self.identity} (issuer {self.issuer})"


def instance_name(staging: bool) -> str:
    return "staging" if staging else "production"


def bundle_path(artifact: Path) -> Path:
    """Where the bundle of `artifact` lives: beside it, as `<artifact>.sigstore`."""
    return artifact.with_name(artifact.name + BUNDLE_SUFFIX)


def _sha256(path: Path) -> Hashed:
    # Hash in a stream: release tarballs need not be read into memory.
    with path.open("rb") as stream:
        digest = hashlib.file_digest(stream, "sha256").digest()
    return Hashed(algorithm=HashAlgorithm.SHA2_256, digest=digest)


@lru_cache(maxsize=4)
def _verifier(staging: bool, offline: bool) -> Verifier:
    return Verifier.staging(offline=offline) if staging else Verifier.production(offline=offline)


# Verification


def verify_bundle(
    artifact: Path,
    bundle: Path,
    expected: SigstoreIdentity,
    *,
    staging: bool,
    offline: bool = True,
) -> None:
    """Raise a SigningError unless `bundle` proves `expected` signed exactly this `artifact`."""
    instance = instance_name(staging)
    if not artifact.is_file():
        raise SigningError(
            f"cannot verify {artifact}: no such file", "check the path of the artifact"
        )
    if not bundle.is_file():
        raise SigningError(
            f"no Sigstore bundle for {artifact.name}: {bundle.name} is missing",
            "download the .sigstore file published beside the artifact, or sign it again",
        )
    try:
        parsed = Bundle.from_json(bundle.read_bytes())
    except InvalidBundle as exc:
        first_line = str(exc).splitlines()[0]
        raise SigningError(
            f"{bundle.name} is not a valid Sigstore bundle ({first_line})",
            "download the bundle again; if it stays broken, ask the signer to re-sign",
        ) from exc
    with sigstore_failures(f"load the {instance} trust root", staging=staging):
        verifier = _verifier(staging, offline)
    try:
        verifier.verify_artifact(
            _sha256(artifact),
            parsed,
            policy.Identity(identity=expected.identity, issuer=expected.issuer),
        )
    except CertValidationError as exc:
        other = "production (no --staging)" if staging else "--staging"
        raise SigningError(
            f"{bundle.name} does not chain to Sigstore {instance}'s trust root ({exc})",
            f"the bundle may come from the other instance: verify with {other} instead",
        ) from exc
    except VerificationError as exc:
        raise _verification_failure(artifact, bundle, expected, exc) from exc


def _verification_failure(
    artifact: Path, bundle: Path, expected: SigstoreIdentity, exc: VerificationError
) -> SigningError:
    reason = str(exc)
    if "digest mismatch" in reason or "Signature is invalid for input" in reason:
        return SigningError(
            f"{artifact.name} does not match {bundle.name} (digest mismatch): "
            "the file changed after it was signed",
            "do not use this file: download it again, or rebuild and re-sign it",
        )
    if "SANs do not match" in reason:
        return SigningError(
            f"{bundle.name} was not signed by the expected identity {expected.identity}: {reason}",
            "check --identity (or the profile's signer for this version); if it is right, "
            "the file was signed by someone else and must not be trusted",
        )
    if "OIDCIssuer" in reason:
        return SigningError(
            f"{bundle.name} was not signed through the expected issuer {expected.issuer}: {reason}",
            "check --issuer (or the profile's signer for this version); a different issuer "
            "means a different account vouched for the signature",
        )
    return SigningError(
        f"{bundle.name} does not verify for {artifact.name}: {reason}",
        "download the artifact and its bundle again; if it persists, do not trust the file",
    )


# Failures shared by signing and token handling


@contextmanager
def sigstore_failures(action: str, *, staging: bool) -> Iterator[None]:
    """Turn what sigstore-python and requests raise into SigningErrors that say what to do."""
    instance = instance_name(staging)
    try:
        yield
    except SigningError:
        raise
    except (ExpiredIdentity, ExpiredCertificate) as exc:
        raise SigningError(
            f"the Sigstore identity token expired, so rmtui could not {action}",
            "get a fresh token (log in again, or refresh SIGSTORE_IDENTITY_TOKEN; "
            "tokens last minutes) and retry",
        ) from exc
    except (requests.ConnectionError, requests.Timeout, NetworkError, TUFError) as exc:
        raise SigningError(
            f"cannot reach Sigstore {instance} to {action}: {type(exc).__name__}: {exc}",
            _NETWORK_HINT,
        ) from exc
    except (FulcioClientError, RekorClientError, requests.RequestException) as exc:
        raise SigningError(
            f"Sigstore {instance} refused to {action}: {exc}",
            f"check that the identity token was issued for Sigstore {instance} and is "
            "still valid, then retry",
        ) from exc
    except SigstoreIdentityError as exc:
        raise SigningError(
            f"no usable Sigstore identity to {action}: {exc}", _identity_hint(staging)
        ) from exc
    except SigstoreLibraryError as exc:
        raise SigningError(
            f"Sigstore could not {action}: {exc}",
            "retry; if it persists, run `python -m sigstore --verbose` for details",
        ) from exc


def _identity_hint(staging: bool) -> str:
    flag = " --staging" if staging else ""
    return (
        f"set {TOKEN_ENV} to a fresh token (e.g. from `python -m sigstore{flag} "
        "get-identity-token`), or log in interactively when rmtui asks"
    )


# Signing: the single seam


class Signer(Protocol):
    """Whatever signs an artifact into a bundle; tests replace this seam only."""

    def sign(self, artifact: Path, bundle_out: Path) -> None: ...


class SigstoreSigner:
    """The real Signer: a Fulcio certificate for the token, a Rekor entry per artifact."""

    def __init__(self, token: IdentityToken, *, staging: bool) -> None:
        register_secret(str(token))
        self._token = token
        self._staging = staging
        self._signer: LibrarySigner | None = None

    def _library_signer(self) -> LibrarySigner:
        # One certificate serves every artifact of the release, so build it once.
        if self._signer is None:
            trust = ClientTrustConfig.staging() if self._staging else ClientTrustConfig.production()
            context = SigningContext.from_trust_config(trust)
            self._signer = LibrarySigner(self._token, context, cache=True)
        return self._signer

    def sign(self, artifact: Path, bundle_out: Path) -> None:
        with sigstore_failures(f"sign {artifact.name}", staging=self._staging):
            if not self._token.in_validity_period():
                raise ExpiredIdentity
            bundle = self._library_signer().sign_artifact(_sha256(artifact))
        atomic_write_text(bundle_out, bundle.to_json())


def sign_artifact(
    signer: Signer, artifact: Path, *, staging: bool, bundle_out: Path | None = None
) -> Path:
    """Sign `artifact` through `signer` into `<artifact>.sigstore`; failures say what to do."""
    if not artifact.is_file():
        raise SigningError(f"cannot sign {artifact}: no such file", "check the artifacts folder")
    target = bundle_out or bundle_path(artifact)
    with sigstore_failures(f"sign {artifact.name}", staging=staging):
        signer.sign(artifact, target)
    return target


def sign_and_verify(
    signer: Signer, artifact: Path, expected: SigstoreIdentity, *, staging: bool
) -> Path:
    """Sign, then verify the new bundle against the expected identity right away."""
    bundle = sign_artifact(signer, artifact, staging=staging)
    verify_bundle(artifact, bundle, expected, staging=staging)
    return bundle


# Identity tokens


def parse_identity_token(raw: str) -> IdentityToken:
    """A checked IdentityToken from its raw JWT, registered for redaction first."""
    raw = raw.strip()
    register_secret(raw)
    try:
        return IdentityToken(raw, CLIENT_ID)
    except SigstoreIdentityError as exc:
        cause = exc.__cause__
        if isinstance(cause, jwt.ExpiredSignatureError) or "validity period" in str(exc):
            raise SigningError(
                "the Sigstore identity token has expired",
                "get a fresh one (tokens last minutes) and retry",
            ) from exc
        detail = f": {cause}" if cause else ""
        raise SigningError(
            f"the Sigstore identity token is malformed ({exc}{detail})",
            f"pass the whole JWT (three base64 parts joined by dots) issued for the "
            f"'{CLIENT_ID}' audience, e.g. from `python -m sigstore get-identity-token`",
        ) from exc


def check_token_identity(token: IdentityToken, expected: SigstoreIdentity) -> None:
    """Raise unless the token would produce a certificate for the expected identity."""
    # Sigstore's own OAuth service federates GitHub, Google...: the certificate records
    # the federated issuer, so that is the one to compare.
    issuer = token.federated_issuer
    if token.identity != expected.identity or issuer != expected.issuer:
        raise SigningError(
            f"the Sigstore token is for {token.identity} (issuer {issuer}), but the profile "
            f"expects {expected}",
            "log in with the account the profile names, or fix the signer in the profile",
        )


def _oidc_issuer(staging: bool) -> Issuer:
    trust = (
        ClientTrustConfig.staging(offline=True)
        if staging
        else ClientTrustConfig.production(offline=True)
    )
    return Issuer(trust.signing_config.get_oidc_url())


def obtain_identity_token(
    staging: bool,
    *,
    ask_code: Callable[[str], str] | None,
    issuer: Issuer | None = None,
) -> IdentityToken:
    """A token from SIGSTORE_IDENTITY_TOKEN, an ambient CI credential, or an OAuth login.

    The login is the out-of-band flow: `ask_code(url)` shows the URL to open in any
    browser and returns the code the page displays. Without `ask_code` there is no login.
    """
    from_env = os.environ.get(TOKEN_ENV, "").strip()
    if from_env:
        return parse_identity_token(from_env)
    with sigstore_failures("detect an ambient CI credential", staging=staging):
        ambient = detect_credential(CLIENT_ID)
    if ambient:
        return parse_identity_token(ambient)
    if ask_code is None:
        raise SigningError(
            "no Sigstore identity token: none in the environment, none from CI, "
            "and no one to log in",
            _identity_hint(staging),
        )
    with sigstore_failures("log in to Sigstore", staging=staging):
        return _out_of_band_login(issuer or _oidc_issuer(staging), ask_code)


def _out_of_band_login(issuer: Issuer, ask_code: Callable[[str], str]) -> IdentityToken:
    # sigstore-python's own out-of-band flow reads the code with input(); this is the same
    # flow (its PKCE session, its OOB redirect) with the code coming from `ask_code`.
    session = _OAuthSession(CLIENT_ID, "", issuer)
    code = ask_code(session.auth_endpoint(OOB_REDIRECT_URI)).strip()
    if not code:
        raise SigningError(
            "no verification code was entered", "open the URL, log in, and paste the code shown"
        )
    response = issuer.session.post(
        issuer.oidc_config.token_endpoint,
        data={
            "grant_type": "authorization_code",
            "redirect_uri": OOB_REDIRECT_URI,
            "code": code,
            "code_verifier": session.code_verifier,
        },
        auth=(CLIENT_ID, ""),
        timeout=30,
    )
    if response.status_code >= 400:
        raise SigningError(
            f"Sigstore's login service rejected the code (HTTP {response.status_code})",
            "codes work once and expire quickly: open the URL again and paste the new code",
        )
    payload = response.json()
    if "error" in payload or "access_token" not in payload:
        raise SigningError(
            f"Sigstore's login service returned no token ({payload.get('error', 'no token')})",
            "open the URL again and paste the new code",
        )
    return parse_identity_token(str(payload["access_token"]))


def network_available(staging: bool, timeout: float = 3.0) -> bool:
    """Whether Sigstore's TUF repository answers: a quick "can we sign at all" probe."""
    try:
        requests.head(TUF_URLS[staging], timeout=timeout, allow_redirects=True)
    except requests.RequestException:
        return False
    return True
