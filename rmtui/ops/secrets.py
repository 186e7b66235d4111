"""Release secrets in the OS keyring, one service per profile, never in a plain-text file."""

from __future__ import annotations

import os
import re
import threading
from enum import StrEnum

import keyring
import keyring.errors
from keyring.backend import KeyringBackend
from keyring.backends import chainer, fail, null
from keyring.compat import properties

from rmtui.core.errors import SecretsError
from rmtui.core.redact import register_secret

BACKEND_ENV = "RMTUI_KEYRING"
SERVICE_PREFIX = "rmtui:"
_PROFILE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
_INSTALL_HINT = (
    "install and unlock a real keyring: on Linux the Secret Service (gnome-keyring or KWallet, "
    "with a D-Bus session), on macOS the Keychain, on Windows the Credential Manager; on a "
    "headless machine, keyrings.cryptfile with its password set "
    "(PYTHON_KEYRING_BACKEND=keyrings.cryptfile.cryptfile.CryptFileKeyring)"
)


class SecretName(StrEnum):
    """The secrets a release needs."""

    GPG_PASSPHRASE = "gpg-passphrase"
    GITHUB_TOKEN = "github-token"
    DOWNLOADS_PASSWORD = "downloads-password"


def secret_name(name: str) -> SecretName:
    """The SecretName spelled `name`, or a SecretsError listing the valid ones."""
    try:
        return SecretName(name)
    except ValueError:
        valid = ", ".join(member.value for member in SecretName)
        raise SecretsError(f"unknown secret {name!r}", f"use one of: {valid}") from None


class MemoryKeyring(KeyringBackend):
    """A process-local keyring for tests and rehearsals, chosen only by RMTUI_KEYRING=memory.

    Values live in this process's memory and vanish with it; nothing touches disk.
    """

    _lock = threading.Lock()
    _store: dict[tuple[str, str], str] = {}

    def __init__(self) -> None:
        super().__init__()  # type: ignore[no-untyped-call]  # keyring leaves it unannotated

    @properties.classproperty
    def priority(cls) -> float:
        # Not viable for keyring's own discovery: it must never become anyone's default.
        raise RuntimeError("MemoryKeyring is only selected explicitly (RMTUI_KEYRING=memory)")

    def get_password(self, service: str, username: str) -> str | None:
        with self._lock:
            return self._store.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        with self._lock:
            self._store[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        with self._lock:
            if self._store.pop((service, username), None) is None:
                raise keyring.errors.PasswordDeleteError(f"{username} is not set")

    @classmethod
    def clear(cls) -> None:
        """Forget every value (tests use this between cases)."""
        with cls._lock:
            cls._store.clear()


def _backend_label(backend: KeyringBackend) -> str:
    kind = type(backend)
    return f"{kind.__module__}.{kind.__qualname__}"


def _unusable_reason(backend: KeyringBackend) -> str | None:
    """Why this backend must not hold release secrets, or None when it may."""
    if isinstance(backend, MemoryKeyring):
        return None
    if isinstance(backend, fail.Keyring | null.Keyring):
        return "no keyring backend is available"
    if isinstance(backend, chainer.ChainerBackend):
        chained = list(backend.backends)
        if not chained:
            return "no keyring backend is available"
        reasons = [reason for reason in map(_unusable_reason, chained) if reason]
        return reasons[0] if reasons else None
    if type(backend).__module__.startswith("keyrings.alt"):
        return (
            f"the keyring backend {_backend_label(backend)} (keyrings.alt) keeps secrets in a "
            "file that is plain text or weakly protected"
        )
    return None


def default_backend() -> KeyringBackend:
    """The backend RMTUI_KEYRING selects: `memory`, or keyring's own choice when unset."""
    choice = os.environ.get(BACKEND_ENV, "").strip().lower()
    if choice == "memory":
        return MemoryKeyring()
    if choice:
        raise SecretsError(
            f"{BACKEND_ENV}={choice!r} is not a keyring rmtui knows",
            f"unset {BACKEND_ENV} to use the system keyring, or set it to 'memory' for a "
            "rehearsal whose secrets vanish when rmtui exits",
        )
    return keyring.get_keyring()


class Secrets:
    """The secrets of one profile, kept under the keyring service `rmtui:<profile>`."""

    def __init__(self, profile_name: str, keyring_backend: KeyringBackend | None = None) -> None:
        if not _PROFILE_NAME.match(profile_name):
            raise SecretsError(
                f"{profile_name!r} is not a usable profile name",
                "use letters, digits, '.', '_' or '-', starting with a letter or digit",
            )
        self.profile_name = profile_name
        self.service = SERVICE_PREFIX + profile_name
        self.backend = keyring_backend if keyring_backend is not None else default_backend()
        reason = _unusable_reason(self.backend)
        if reason is not None:
            raise SecretsError(
                f"cannot keep release secrets safely: {reason}; rmtui never stores them in "
                "a plain-text file",
                _INSTALL_HINT,
            )

    @property
    def backend_name(self) -> str:
        return _backend_label(self.backend)

    def get(self, name: str) -> str | None:
        """The secret's value (registered for redaction at once), or None when not set."""
        key = secret_name(name)
        try:
            value = self.backend.get_password(self.service, key.value)
        except keyring.errors.KeyringError as exc:
            raise self._backend_failure("read", key, exc) from exc
        register_secret(value)
        return value

    def set(self, name: str, value: str) -> None:
        key = secret_name(name)
        register_secret(value)
        if not value:
            raise SecretsError(
                f"refusing to store an empty {key.value}",
                f"to remove it, run `rmtui secrets delete {key.value}`",
            )
        if "\n" in value or "\r" in value:
            raise SecretsError(
                f"the {key.value} contains a line break",
                "store it on one line (a trailing newline from stdin is dropped for you)",
            )
        try:
            self.backend.set_password(self.service, key.value, value)
        except keyring.errors.KeyringError as exc:
            raise self._backend_failure("store", key, exc) from exc

    def delete(self, name: str) -> bool:
        """Remove the secret; False when it was not set."""
        key = secret_name(name)
        if not self.is_set(key):
            return False
        try:
            self.backend.delete_password(self.service, key.value)
        except keyring.errors.KeyringError as exc:
            raise self._backend_failure("delete", key, exc) from exc
        return True

    def is_set(self, name: str) -> bool:
        return self.get(name) is not None

    def _backend_failure(
        self, action: str, key: SecretName, exc: keyring.errors.KeyringError
    ) -> SecretsError:
        return SecretsError(
            f"the keyring ({self.backend_name}) could not {action} {key.value} for profile "
            f"{self.profile_name}: {exc}",
            "unlock the keyring (log in to the desktop session or unlock it in its app) and retry",
        )
