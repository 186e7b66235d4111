"""What gpg tells about keys and passphrases: key facts, fingerprints, typed passphrase errors."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from rmtui.core.errors import SigningError

_FINGERPRINT = re.compile(r"^(?:[0-9A-F]{40}|[0-9A-F]{64})$")
# gpg's status and error lines that mean the passphrase was wrong, or missing.
_BAD_PASSPHRASE = ("BAD_PASSPHRASE", "Bad passphrase", "ERROR pkdecrypt_failed", "sign 67108875")
_NO_PASSPHRASE = ("No passphrase given", "can't get input", "MISSING_PASSPHRASE")


class PassphraseNeeded(SigningError):
    """The key needs a passphrase and none was given: ask the RM for it, then try again."""


class WrongPassphrase(SigningError):
    """gpg refused the passphrase given."""


def passphrase_failure(status: str, fingerprint: str, *, given: bool) -> SigningError | None:
    """The typed error gpg's status lines show (None when the passphrase was not the cause)."""
    if any(marker in status for marker in _BAD_PASSPHRASE):
        return WrongPassphrase(
            f"wrong passphrase for GPG key {fingerprint}",
            "store the right one with `rmtui secrets set gpg-passphrase` or type it again",
        )
    if not given and any(marker in status for marker in (*_NO_PASSPHRASE, "NEED_PASSPHRASE")):
        return PassphraseNeeded(
            f"GPG key {fingerprint} needs a passphrase and none was given",
            "store it with `rmtui secrets set gpg-passphrase` or enter it when asked",
        )
    return None


@dataclass(frozen=True)
class KeyInfo:
    """What the keyring knows about one OpenPGP key."""

    fingerprint: str
    uids: tuple[str, ...]
    created: datetime
    expires: datetime | None
    has_secret: bool
    can_sign: bool = True
    revoked: bool = False
    subkey_fingerprints: tuple[str, ...] = ()
    keygrips: tuple[str, ...] = ()

    def owns(self, fingerprint: str) -> bool:
        """True when `fingerprint` is this key or one of its subkeys."""
        return fingerprint == self.fingerprint or fingerprint in self.subkey_fingerprints


def normalize_fingerprint(fingerprint: str) -> str:
    """Return a full fingerprint in upper case without spaces, or explain what is wrong."""
    cleaned = fingerprint.replace(" ", "").upper().removeprefix("0X")
    if not _FINGERPRINT.match(cleaned):
        raise SigningError(
            f"{fingerprint!r} is not a full OpenPGP key fingerprint",
            "use the 40-hex-digit fingerprint shown by `gpg --list-keys --with-fingerprint`; "
            "short key ids can be forged",
        )
    return cleaned
