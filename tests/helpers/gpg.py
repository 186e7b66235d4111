"""Throwaway GnuPG homes holding a ready key, as context managers."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from rmtui.ops.gpg import Gpg, create_throwaway_home, remove_throwaway_home

TEST_PASSPHRASE = "correct horse battery staple"
# Long enough ago that a key made then with a one-day lifetime has long expired.
PAST = "20200101T000000"


@dataclass(frozen=True)
class GpgTestHome:
    """A GnuPG home under /tmp and the one key made in it."""

    home: Path
    fingerprint: str
    passphrase: str | None
    email: str

    @property
    def gpg(self) -> Gpg:
        return Gpg(self.home)


def _generate_in_the_past(home: Path, uid: str, passphrase: str | None) -> str:
    """A key created in 2020 that lived one day: gpg lists it as expired."""
    done = subprocess.run(
        [
            "gpg",
            "--homedir",
            str(home),
            "--batch",
            "--pinentry-mode",
            "loopback",
            "--passphrase-fd",
            "0",
            "--status-fd",
            "1",
            "--faked-system-time",
            PAST,
            "--quick-generate-key",
            uid,
            "ed25519",
            "sign",
            "1d",
        ],
        input=f"{passphrase or ''}\n",
        capture_output=True,
        text=True,
        check=True,
    )
    for line in done.stdout.splitlines():
        fields = line.split()
        if fields[:2] == ["[GNUPG:]", "KEY_CREATED"]:
            return fields[3]
    raise AssertionError(f"gpg made no key: {done.stderr}")


@contextmanager
def empty_gpg_home() -> Iterator[Path]:
    """A fresh GnuPG home with no keys; its agent is killed and the dir removed afterwards."""
    home = create_throwaway_home()
    try:
        yield home
    finally:
        remove_throwaway_home(home)


@contextmanager
def gpg_home_with_key(
    *,
    passphrase: str | None = None,
    expire: str = "1y",
    expired: bool = False,
    name: str = "Test RM",
    email: str = "rm@example.invalid",
) -> Iterator[GpgTestHome]:
    """A home with one ed25519 signing key; `expire="10d"` makes one expiring soon."""
    with empty_gpg_home() as home:
        if expired:
            fingerprint = _generate_in_the_past(home, f"{name} <{email}>", passphrase)
        else:
            fingerprint = Gpg(home).generate_key(name, email, passphrase, expire=expire)
        yield GpgTestHome(home, fingerprint, passphrase, email)


@contextmanager
def public_only_home(source: GpgTestHome) -> Iterator[GpgTestHome]:
    """A home holding only the public part of `source`'s key (for "no secret key" cases)."""
    with empty_gpg_home() as home:
        Gpg(home).import_keys(source.gpg.export_public_key(source.fingerprint))
        yield GpgTestHome(home, source.fingerprint, None, source.email)
