"""The release's GPG key: which one, where, its passphrase from keyring or asked once."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from rmtui.core.errors import RmtuiError, StepFailed
from rmtui.core.release import Release
from rmtui.core.step import Prompter

if TYPE_CHECKING:
    from rmtui.ops.gpg import Gpg

GPG_PASSPHRASE_SECRET = "gpg-passphrase"
T = TypeVar("T")


def signing_key(release: Release) -> str | None:
    """The GPG fingerprint that signs this release, or None when it is not GPG-signed."""
    if not release.profile.signing.uses_gpg(release.version):
        return None
    fingerprint = release.profile.signing.signer_for(release.version).gpg_fingerprint
    if not fingerprint:
        raise StepFailed(
            f"the profile says to GPG-sign {release.version} but names no GPG fingerprint for "
            f"{release.version.minor_version}",
            f'set gpg_fingerprint in [signing.signers."{release.version.minor_version}"]',
        )
    return fingerprint


def gnupghome(release: Release) -> Path | None:
    configured = release.profile.signing.gnupghome
    if configured:
        return Path(configured).expanduser()
    env = os.environ.get("GNUPGHOME")
    return Path(env) if env else None


def verify_tag_env(release: Release) -> dict[str, str]:
    home = gnupghome(release)
    return {"GNUPGHOME": str(home)} if home else {}


def stored_passphrase(release: Release) -> str | None:
    """The GPG passphrase from keyring, if the RM stored one (never from a file)."""
    from rmtui.ops.secrets import Secrets

    try:
        return Secrets(release.profile.name).get(GPG_PASSPHRASE_SECRET)
    except RmtuiError:
        return None


class GpgSession:
    """The release's GPG key in its home, with the passphrase from keyring or asked once.

    gpg says "passphrase needed" as a typed error (ops.gpg.PassphraseNeeded); only then, and
    only once, is the RM asked. A wrong passphrase (WrongPassphrase) is never retried here.
    """

    def __init__(self, key: str, home: Path | None, release: Release, prompter: Prompter) -> None:
        from rmtui.ops.gpg import Gpg

        self.key = key
        self.home = home
        self.gpg: Gpg = Gpg(home)
        self._prompter = prompter
        self._passphrase = stored_passphrase(release)
        self._asked = False

    def with_passphrase(self, attempt: Callable[[str | None], T]) -> T:
        """`attempt(passphrase)`, asking for the passphrase once when gpg needs one."""
        from rmtui.ops.gpg import PassphraseNeeded

        while True:
            try:
                return attempt(self._passphrase)
            except PassphraseNeeded:
                if self._asked or self._passphrase:
                    raise
            self._passphrase = self._prompter.secret(f"Passphrase for GPG key {self.key}")
            self._asked = True

    def sign(self, path: Path) -> Path:
        """Sign into `path.asc`."""
        return self.with_passphrase(lambda p: self.gpg.sign_detached(path, self.key, p))

    def verify(self, path: Path, signature: Path) -> None:
        self.gpg.verify_detached(path, signature, self.key)
