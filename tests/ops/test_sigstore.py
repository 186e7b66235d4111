"""Sigstore: real offline verification of the shared bundles, signing faked at its one seam."""

from __future__ import annotations

import os
import re
import shutil
import time
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import jwt
import pytest
import requests
from sigstore.models import ClientTrustConfig

from rmtui.core.errors import SigningError
from rmtui.core.redact import redact
from rmtui.ops import sigstore as ops_sigstore
from rmtui.ops.sigstore import (
    SigstoreIdentity,
    SigstoreSigner,
    bundle_path,
    check_token_identity,
    network_available,
    obtain_identity_token,
    parse_identity_token,
    sign_and_verify,
    sign_artifact,
    verify_bundle,
)
from tests.conftest import sigstore_fixtures

# Read before the autouse isolation fixture removes it from the environment.
ONLINE_TOKEN = os.environ.get("SIGSTORE_IDENTITY_TOKEN", "")

STAGING_ID = SigstoreIdentity("william@yossarian.net", "https://github.com/login/oauth")
PRODUCTION_ID = SigstoreIdentity(
    "https://github.com/trailofbits/rfc8785.py/.github/workflows/release.yml@refs/tags/v0.1.2",
    "https://token.actions.githubusercontent.com",
)
FEDERATED_ISSUER = "https://github.com/login/oauth"


@pytest.fixture
def fixtures() -> Path:
    return sigstore_fixtures()


@pytest.fixture
def staging_copy(fixtures: Path, tmp_path: Path) -> Path:
    """bundle_v3.txt and its bundle, copied where a test may change them."""
    artifact = tmp_path / "bundle_v3.txt"
    shutil.copy(fixtures / "bundle_v3.txt", artifact)
    shutil.copy(fixtures / "bundle_v3.txt.sigstore", bundle_path(artifact))
    return artifact


def make_token(
    *,
    email: str = STAGING_ID.identity,
    expires_in: int = 600,
    audience: str = "sigstore",
    connector: str = FEDERATED_ISSUER,
) -> str:
    now = int(time.time())
    claims = {
        "iss": "https://oauth2.sigstage.dev/auth",
        "aud": audience,
        "sub": "12345",
        "email": email,
        "iat": now - 10,
        "exp": now + expires_in,
        "federated_claims": {"connector_id": connector, "user_id": "1"},
    }
    return jwt.encode(claims, "not-a-real-signing-key-for-tests", algorithm="HS256")


# Verification against the real fixture bundles


def test_staging_bundle_verifies_with_its_identity(fixtures: Path) -> None:
    artifact = fixtures / "bundle_v3.txt"
    verify_bundle(artifact, bundle_path(artifact), STAGING_ID, staging=True)


def test_production_bundle_verifies_with_its_identity(fixtures: Path) -> None:
    artifact = fixtures / "bundle_v3_github.whl"
    verify_bundle(artifact, bundle_path(artifact), PRODUCTION_ID, staging=False)


def test_tampered_artifact_is_a_digest_mismatch(fixtures: Path) -> None:
    with pytest.raises(SigningError, match=r"bad\.txt does not match .*digest mismatch") as caught:
        verify_bundle(
            fixtures / "bad.txt", fixtures / "bundle_v3.txt.sigstore", STAGING_ID, staging=True
        )
    assert "do not use this file" in caught.value.hint


def test_wrong_identity_names_both(fixtures: Path) -> None:
    artifact = fixtures / "bundle_v3.txt"
    expected = SigstoreIdentity("rm@python.org", STAGING_ID.issuer)
    with pytest.raises(SigningError, match="not signed by the expected identity") as caught:
        verify_bundle(artifact, bundle_path(artifact), expected, staging=True)
    assert "rm@python.org" in str(caught.value)
    assert "william@yossarian.net" in str(caught.value)


def test_wrong_issuer_names_both(fixtures: Path) -> None:
    artifact = fixtures / "bundle_v3.txt"
    expected = SigstoreIdentity(STAGING_ID.identity, "https://accounts.google.com")
    with pytest.raises(
        SigningError, match=re.escape("expected issuer https://accounts.google.com")
    ) as c:
        verify_bundle(artifact, bundle_path(artifact), expected, staging=True)
    assert STAGING_ID.issuer in str(c.value)


def test_wrong_instance_is_explained(fixtures: Path) -> None:
    artifact = fixtures / "bundle_v3.txt"
    with pytest.raises(SigningError, match="production's trust root") as caught:
        verify_bundle(artifact, bundle_path(artifact), STAGING_ID, staging=False)
    assert "--staging" in caught.value.hint


def test_missing_bundle_is_named(fixtures: Path) -> None:
    with pytest.raises(SigningError, match=r"bad\.txt\.sigstore is missing"):
        verify_bundle(
            fixtures / "bad.txt", bundle_path(fixtures / "bad.txt"), STAGING_ID, staging=True
        )


def test_missing_artifact_is_named(tmp_path: Path, fixtures: Path) -> None:
    with pytest.raises(SigningError, match="no such file"):
        verify_bundle(
            tmp_path / "gone.txt", fixtures / "bundle_v3.txt.sigstore", STAGING_ID, staging=True
        )


@pytest.mark.parametrize("content", ["", "not json", "{}", '{"mediaType": 3}'])
def test_malformed_bundle_is_named(staging_copy: Path, content: str) -> None:
    bundle_path(staging_copy).write_text(content)
    with pytest.raises(SigningError, match="is not a valid Sigstore bundle"):
        verify_bundle(staging_copy, bundle_path(staging_copy), STAGING_ID, staging=True)


# Signing through the seam


class FixtureSigner:
    """Stands in for Sigstore: "signs" by writing the fixture bundle."""

    def __init__(self, bundle: Path) -> None:
        self.bundle = bundle
        self.calls: list[tuple[Path, Path]] = []

    def sign(self, artifact: Path, bundle_out: Path) -> None:
        self.calls.append((artifact, bundle_out))
        shutil.copy(self.bundle, bundle_out)


class OfflineSigner:
    def sign(self, artifact: Path, bundle_out: Path) -> None:
        raise requests.ConnectionError("Failed to resolve 'fulcio.sigstage.dev'")


def test_fake_signer_then_real_verification(fixtures: Path, tmp_path: Path) -> None:
    artifact = tmp_path / "bundle_v3.txt"
    shutil.copy(fixtures / "bundle_v3.txt", artifact)
    signer = FixtureSigner(fixtures / "bundle_v3.txt.sigstore")
    bundle = sign_and_verify(signer, artifact, STAGING_ID, staging=True)
    assert bundle == tmp_path / "bundle_v3.txt.sigstore"
    assert signer.calls == [(artifact, bundle)]


def test_sign_and_verify_catches_a_bundle_for_other_content(fixtures: Path, tmp_path: Path) -> None:
    artifact = tmp_path / "Python-3.14.0.tgz"
    artifact.write_bytes(b"not what the fixture bundle signed")
    signer = FixtureSigner(fixtures / "bundle_v3.txt.sigstore")
    with pytest.raises(SigningError, match="digest mismatch"):
        sign_and_verify(signer, artifact, STAGING_ID, staging=True)


def test_no_network_while_signing_says_what_to_do(tmp_path: Path) -> None:
    artifact = tmp_path / "a.tgz"
    artifact.write_bytes(b"x")
    with pytest.raises(SigningError, match="cannot reach Sigstore staging") as caught:
        sign_artifact(OfflineSigner(), artifact, staging=True)
    assert "network" in caught.value.hint and "skip" in caught.value.hint


def test_signing_a_missing_file(tmp_path: Path) -> None:
    with pytest.raises(SigningError, match="no such file"):
        sign_artifact(OfflineSigner(), tmp_path / "nope", staging=True)


def test_real_signer_maps_no_network(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def unreachable(*args: Any, **kwargs: Any) -> Any:
        raise requests.ConnectionError("Max retries exceeded with url: /targets")

    monkeypatch.setattr(ClientTrustConfig, "staging", unreachable)
    artifact = tmp_path / "a.tgz"
    artifact.write_bytes(b"x")
    raw = make_token()
    signer = SigstoreSigner(parse_identity_token(raw), staging=True)
    with pytest.raises(SigningError, match="cannot reach Sigstore staging") as caught:
        signer.sign(artifact, bundle_path(artifact))
    assert raw not in str(caught.value)
    assert not bundle_path(artifact).exists()


def test_real_signer_maps_an_expired_token(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    token = parse_identity_token(make_token())
    monkeypatch.setattr(token, "in_validity_period", lambda: False)
    artifact = tmp_path / "a.tgz"
    artifact.write_bytes(b"x")
    with pytest.raises(SigningError, match="token expired") as caught:
        SigstoreSigner(token, staging=True).sign(artifact, bundle_path(artifact))
    assert "fresh token" in caught.value.hint


# Identity tokens


def test_token_is_parsed_and_registered_for_redaction() -> None:
    raw = make_token()
    token = parse_identity_token(raw + "\n")
    assert token.identity == STAGING_ID.identity
    assert token.federated_issuer == FEDERATED_ISSUER
    assert redact(f"Authorization: Bearer {raw}") == "Authorization: Bearer [REDACTED]"


# Fixed ids: the token holds the time it was made, and pytest-xdist workers, which collect
# separately, must name every test the same.
@pytest.mark.parametrize(
    "raw",
    ["not-a-jwt", "a.b.c", make_token(audience="someone-else")],
    ids=["not-a-jwt", "three-dots", "wrong-audience"],
)
def test_malformed_token_is_explained(raw: str) -> None:
    with pytest.raises(SigningError, match="identity token is malformed") as caught:
        parse_identity_token(raw)
    assert "JWT" in caught.value.hint


def test_expired_token_is_explained() -> None:
    with pytest.raises(SigningError, match="has expired"):
        parse_identity_token(make_token(expires_in=-3600))


def test_token_identity_must_match_the_profile() -> None:
    token = parse_identity_token(make_token(email="someone@example.com"))
    with pytest.raises(SigningError, match=re.escape("token is for someone@example.com")) as caught:
        check_token_identity(token, STAGING_ID)
    assert STAGING_ID.identity in str(caught.value)


def test_token_issuer_must_match_the_profile() -> None:
    token = parse_identity_token(make_token(connector="https://accounts.google.com"))
    with pytest.raises(SigningError, match=re.escape("issuer https://accounts.google.com")):
        check_token_identity(token, STAGING_ID)


def test_matching_token_passes() -> None:
    check_token_identity(parse_identity_token(make_token()), STAGING_ID)


def test_environment_token_comes_first(monkeypatch: pytest.MonkeyPatch) -> None:
    raw = make_token()
    monkeypatch.setenv("SIGSTORE_IDENTITY_TOKEN", raw)
    monkeypatch.setattr(ops_sigstore, "detect_credential", _must_not_be_called)
    assert str(obtain_identity_token(True, ask_code=_must_not_be_called)) == raw


def test_malformed_environment_token(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SIGSTORE_IDENTITY_TOKEN", "garbage")
    with pytest.raises(SigningError, match="malformed"):
        obtain_identity_token(True, ask_code=None)


def test_ambient_credential_comes_second(monkeypatch: pytest.MonkeyPatch) -> None:
    raw = make_token(email="ci@example.com")
    monkeypatch.setattr(ops_sigstore, "detect_credential", lambda client_id: raw)
    token = obtain_identity_token(False, ask_code=_must_not_be_called)
    assert token.identity == "ci@example.com"


def test_no_token_and_no_login_is_explained(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ops_sigstore, "detect_credential", lambda client_id: None)
    with pytest.raises(SigningError, match="no Sigstore identity token") as caught:
        obtain_identity_token(True, ask_code=None)
    assert "SIGSTORE_IDENTITY_TOKEN" in caught.value.hint and "--staging" in caught.value.hint


class FakeTokenEndpoint:
    def __init__(self, status: int, payload: dict[str, str]) -> None:
        self.status = status
        self.payload = payload
        self.posted: dict[str, Any] = {}

    def post(self, url: str, **kwargs: Any) -> SimpleNamespace:
        self.posted = {"url": url, **kwargs}
        return SimpleNamespace(status_code=self.status, json=lambda: self.payload)


def _fake_issuer(endpoint: FakeTokenEndpoint) -> Any:
    config = SimpleNamespace(
        authorization_endpoint="https://oauth2.sigstage.dev/auth/auth",
        token_endpoint="https://oauth2.sigstage.dev/auth/token",
    )
    return SimpleNamespace(oidc_config=config, session=endpoint)


def test_out_of_band_login_exchanges_the_pasted_code(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ops_sigstore, "detect_credential", lambda client_id: None)
    raw = make_token()
    endpoint = FakeTokenEndpoint(200, {"access_token": raw})
    shown: list[str] = []

    def ask_code(url: str) -> str:
        shown.append(url)
        return "  the-code \n"

    token = obtain_identity_token(True, ask_code=ask_code, issuer=_fake_issuer(endpoint))
    assert str(token) == raw
    assert shown[0].startswith("https://oauth2.sigstage.dev/auth/auth?")
    assert "code_challenge_method=S256" in shown[0]
    assert "redirect_uri=urn%3Aietf%3Awg%3Aoauth%3A2.0%3Aoob" in shown[0]
    assert endpoint.posted["data"]["code"] == "the-code"
    assert endpoint.posted["data"]["code_verifier"]


def test_rejected_code_is_explained(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ops_sigstore, "detect_credential", lambda client_id: None)
    endpoint = FakeTokenEndpoint(400, {"error": "invalid_grant"})
    with pytest.raises(SigningError, match="rejected the code") as caught:
        obtain_identity_token(True, ask_code=lambda url: "old", issuer=_fake_issuer(endpoint))
    assert "open the URL again" in caught.value.hint


def test_empty_code_is_explained(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ops_sigstore, "detect_credential", lambda client_id: None)
    endpoint = FakeTokenEndpoint(200, {})
    with pytest.raises(SigningError, match="no verification code"):
        obtain_identity_token(True, ask_code=lambda url: " ", issuer=_fake_issuer(endpoint))


def test_login_without_network_is_explained(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ops_sigstore, "detect_credential", lambda client_id: None)

    def offline_issuer(staging: bool) -> Any:
        raise requests.ConnectionError("Failed to resolve 'oauth2.sigstage.dev'")

    monkeypatch.setattr(ops_sigstore, "_oidc_issuer", offline_issuer)
    with pytest.raises(SigningError, match="cannot reach Sigstore staging to log in"):
        obtain_identity_token(True, ask_code=lambda url: "code")


def test_network_probe(monkeypatch: pytest.MonkeyPatch) -> None:
    def offline(*args: Any, **kwargs: Any) -> Any:
        raise requests.ConnectionError("no route to host")

    monkeypatch.setattr(requests, "head", offline)
    assert network_available(True) is False
    monkeypatch.setattr(requests, "head", lambda *a, **k: SimpleNamespace())
    assert network_available(False) is True


def _must_not_be_called(*args: object) -> str:
    raise AssertionError("this source must not be asked")


@pytest.mark.online
@pytest.mark.skipif(not ONLINE_TOKEN, reason="needs SIGSTORE_IDENTITY_TOKEN for staging")
def test_staging_round_trip(tmp_path: Path) -> None:
    if not network_available(True):
        pytest.skip("Sigstore staging is not reachable from here")
    token = parse_identity_token(ONLINE_TOKEN)
    expected = SigstoreIdentity(token.identity, token.federated_issuer)
    artifact = tmp_path / "rmtui-online-test.txt"
    artifact.write_text(f"rmtui staging round trip {time.time()}\n")
    bundle = sign_and_verify(SigstoreSigner(token, staging=True), artifact, expected, staging=True)
    verify_bundle(artifact, bundle, expected, staging=True, offline=False)
