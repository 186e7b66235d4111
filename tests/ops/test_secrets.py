"""Keyring secrets: per-profile service names, redaction, and refusing unsafe backends."""

from __future__ import annotations

import keyring
import keyring.errors
import pytest
from keyring.backend import KeyringBackend
from keyring.backends import chainer, fail
from keyring.compat import properties

from rmtui.core.errors import SecretsError
from rmtui.core.redact import redact
from rmtui.ops.secrets import MemoryKeyring, SecretName, Secrets, secret_name


class PlaintextLookalike(KeyringBackend):
    """Poses as keyrings.alt's plain-text file backend (which is not installed here)."""

    def __init__(self) -> None:
        super().__init__()  # type: ignore[no-untyped-call]

    @properties.classproperty
    def priority(cls) -> float:
        raise RuntimeError("only for tests")

    def get_password(self, service: str, username: str) -> str | None:
        return None

    def set_password(self, service: str, username: str, password: str) -> None:
        raise AssertionError("a plain-text backend must never receive a secret")

    def delete_password(self, service: str, username: str) -> None:
        return None


PlaintextLookalike.__module__ = "keyrings.alt.file"


class LockedKeyring(PlaintextLookalike):
    def get_password(self, service: str, username: str) -> str | None:
        raise keyring.errors.KeyringLocked("collection is locked")

    def set_password(self, service: str, username: str, password: str) -> None:
        raise keyring.errors.KeyringLocked("collection is locked")


LockedKeyring.__module__ = "keyring.backends.SecretService"


def _chainer() -> KeyringBackend:
    return chainer.ChainerBackend()  # type: ignore[no-untyped-call]


def test_round_trip_under_the_profile_service() -> None:
    secrets = Secrets("cpython")
    assert secrets.service == "rmtui:cpython"
    assert not secrets.is_set("gpg-passphrase")
    secrets.set("gpg-passphrase", "hunter2-but-longer")
    assert secrets.is_set(SecretName.GPG_PASSPHRASE)
    assert secrets.get("gpg-passphrase") == "hunter2-but-longer"
    assert MemoryKeyring().get_password("rmtui:cpython", "gpg-passphrase") == "hunter2-but-longer"
    assert secrets.delete("gpg-passphrase") is True
    assert secrets.get("gpg-passphrase") is None
    assert secrets.delete("gpg-passphrase") is False


def test_profiles_do_not_share_secrets() -> None:
    Secrets("cpython").set("github-token", "ghp_cpython_token")
    assert Secrets("rehearsal").get("github-token") is None


def test_values_are_registered_for_redaction() -> None:
    MemoryKeyring().set_password("rmtui:cpython", "downloads-password", "s3cret-from-keyring")
    value = Secrets("cpython").get("downloads-password")
    assert redact(f"login with {value}") == "login with [REDACTED]"


def test_values_set_are_registered_too() -> None:
    Secrets("cpython").set("github-token", "ghp_typed_at_a_prompt")
    assert "ghp_typed_at_a_prompt" not in redact("token ghp_typed_at_a_prompt")


@pytest.mark.parametrize("bad", ["gpg_passphrase", "password", ""])
def test_unknown_secret_names_list_the_valid_ones(bad: str) -> None:
    with pytest.raises(SecretsError, match="unknown secret") as caught:
        secret_name(bad)
    assert "gpg-passphrase, github-token, downloads-password" in caught.value.hint


def test_empty_value_is_refused() -> None:
    with pytest.raises(SecretsError, match="empty") as caught:
        Secrets("cpython").set("github-token", "")
    assert "rmtui secrets delete github-token" in caught.value.hint


def test_multi_line_value_is_refused() -> None:
    with pytest.raises(SecretsError, match="line break"):
        Secrets("cpython").set("gpg-passphrase", "first line\nsecond line")


@pytest.mark.parametrize("bad", ["", "../etc", "has space", "-flag"])
def test_bad_profile_names_are_refused(bad: str) -> None:
    with pytest.raises(SecretsError, match="not a usable profile name"):
        Secrets(bad)


def test_unknown_backend_choice_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RMTUI_KEYRING", "plaintext")
    with pytest.raises(SecretsError, match="not a keyring rmtui knows") as caught:
        Secrets("cpython")
    assert "memory" in caught.value.hint


def test_no_backend_names_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("RMTUI_KEYRING")
    monkeypatch.setattr(keyring, "get_keyring", fail.Keyring)
    with pytest.raises(SecretsError, match="no keyring backend is available") as caught:
        Secrets("cpython")
    assert "never stores them in a plain-text file" in caught.value.problem
    assert "Secret Service" in caught.value.hint and "keyrings.cryptfile" in caught.value.hint


def test_plaintext_backend_is_refused() -> None:
    with pytest.raises(SecretsError, match=r"keyrings\.alt"):
        Secrets("cpython", keyring_backend=PlaintextLookalike())


def test_chainer_without_backends_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(chainer.ChainerBackend, "backends", [])
    with pytest.raises(SecretsError, match="no keyring backend"):
        Secrets("cpython", keyring_backend=_chainer())


def test_chainer_with_a_plaintext_member_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(chainer.ChainerBackend, "backends", [PlaintextLookalike()])
    with pytest.raises(SecretsError, match=r"keyrings\.alt"):
        Secrets("cpython", keyring_backend=_chainer())


def test_locked_keyring_says_unlock() -> None:
    secrets = Secrets("cpython", keyring_backend=LockedKeyring())
    with pytest.raises(SecretsError, match="could not read gpg-passphrase") as caught:
        secrets.get("gpg-passphrase")
    assert "unlock" in caught.value.hint
    with pytest.raises(SecretsError, match="could not store") as stored:
        secrets.set("gpg-passphrase", "never-shown-anywhere")
    assert "never-shown-anywhere" not in str(stored.value)


def test_memory_backend_is_never_keyrings_default() -> None:
    assert not any(
        isinstance(backend, MemoryKeyring) for backend in keyring.backend.get_all_keyring()
    )
