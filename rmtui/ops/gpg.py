"""GPG signing keys, detached signatures and git tag signing, always in loopback mode."""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rmtui.core.atomic import atomic_write_text
from rmtui.core.errors import SigningError
from rmtui.core.redact import redact, register_secret
from rmtui.ops.gpg_keys import (
    KeyInfo,
    PassphraseNeeded,
    WrongPassphrase,
    normalize_fingerprint,
    passphrase_failure,
)

if TYPE_CHECKING:
    import gnupg

EXPIRY_WARNING = timedelta(days=30)
PASSPHRASE_FD_ENV = "RMTUI_GPG_PASSPHRASE_FD"
# Written into throwaway homes: loopback allowed, and no passphrase cache, so a wrong
# passphrase is always noticed instead of being masked by an earlier right one.
THROWAWAY_AGENT_CONF = "allow-loopback-pinentry\ndefault-cache-ttl 0\nmax-cache-ttl 0\n"
# A pipe holds at least this much without a reader, so writing the passphrase never blocks.
_MAX_PASSPHRASE_BYTES = 4096
_EXPIRE = re.compile(r"^(?:0|never|\d+[dwmy]?|\d{4}-\d{2}-\d{2})$")
_STATUS_LOG = "gpg-status.log"


def _gpg_binary() -> str:
    binary = shutil.which("gpg")
    if binary is None:
        raise SigningError("gpg is not installed or not on PATH", "install GnuPG 2.2 or newer")
    return binary


def _timestamp(value: str) -> datetime | None:
    return datetime.fromtimestamp(int(value), tz=UTC) if value else None


def _status_text(result: Any) -> str:
    return str(getattr(result, "stderr", "") or "")


def _tail(text: str, lines: int = 6) -> str:
    return redact("\n".join(text.strip().splitlines()[-lines:]))


class Gpg:
    """One GnuPG home (the user's default one when `gnupghome` is None)."""

    def __init__(self, gnupghome: Path | None = None) -> None:
        self.gnupghome = gnupghome
        if gnupghome is not None and not gnupghome.is_dir():
            raise SigningError(
                f"GnuPG home {gnupghome} does not exist",
                "create it with the key in it, or point the profile's gnupghome elsewhere",
            )
        self._binary = _gpg_binary()
        import gnupg

        try:
            self._gpg: gnupg.GPG = gnupg.GPG(
                gpgbinary=self._binary,
                gnupghome=str(gnupghome) if gnupghome else None,
                # python-gnupg only asks for loopback when it sends a passphrase; asking
                # always means a key that needs one fails cleanly instead of starting pinentry.
                options=["--pinentry-mode", "loopback"],
                encoding="utf-8",
            )
        except (OSError, ValueError) as exc:
            raise SigningError(f"cannot run gpg: {exc}", "check that GnuPG 2.2+ works") from exc

    def _base_args(self) -> list[str]:
        args = [self._binary, "--batch", "--no-tty", "--pinentry-mode", "loopback"]
        if self.gnupghome is not None:
            args += ["--homedir", str(self.gnupghome)]
        return args

    def _where(self) -> str:
        return str(self.gnupghome) if self.gnupghome else "your default GnuPG home"

    # Keys

    def find_key(self, fingerprint: str) -> KeyInfo:
        """The key with this fingerprint (primary or subkey), or a SigningError."""
        wanted = normalize_fingerprint(fingerprint)
        for listing in self._gpg.list_keys(keys=[wanted]):
            subkeys = tuple(str(sub[2]) for sub in listing.get("subkeys", []) if len(sub) > 2)
            if wanted == listing["fingerprint"] or wanted in subkeys:
                return self._key_info(listing, subkeys)
        raise SigningError(
            f"no key with fingerprint {wanted} in {self._where()}",
            "import the key (gpg --import KEY.asc) or correct the fingerprint in the profile",
        )

    def _key_info(self, listing: Mapping[str, Any], subkeys: tuple[str, ...]) -> KeyInfo:
        fingerprint = str(listing["fingerprint"])
        secret = [
            entry
            for entry in self._gpg.list_keys(True, keys=[fingerprint])
            if entry["fingerprint"] == fingerprint
        ]
        # A "#" token is a stub: gpg knows of the secret key but does not hold it.
        has_secret = bool(secret) and secret[0].get("token", "") != "#"
        created = _timestamp(str(listing.get("date", "")))
        return KeyInfo(
            fingerprint=fingerprint,
            uids=tuple(str(uid) for uid in listing.get("uids", [])),
            created=created or datetime.fromtimestamp(0, tz=UTC),
            expires=_timestamp(str(listing.get("expires", ""))),
            has_secret=has_secret,
            # An upper-case S means the key as a whole (some usable part of it) can sign.
            can_sign="S" in str(listing.get("cap", "")),
            revoked=str(listing.get("trust", "")) == "r",
            subkey_fingerprints=subkeys,
            keygrips=tuple(
                str(grip)
                for grip in [listing.get("keygrip")]
                + [sub[3] for sub in listing.get("subkeys", []) if len(sub) > 3]
                if grip
            ),
        )

    def check_signing_key(self, fingerprint: str, now: datetime | None = None) -> list[str]:
        """Raise if this key cannot sign here; return warnings (an expiry within 30 days)."""
        key = self.find_key(fingerprint)
        now = now or datetime.now(tz=UTC)
        if key.revoked:
            raise SigningError(
                f"key {key.fingerprint} is revoked",
                "sign with a valid key and update the fingerprint in the profile",
            )
        if key.expires is not None and key.expires <= now:
            raise SigningError(
                f"key {key.fingerprint} expired on {key.expires:%Y-%m-%d}",
                f"extend it (gpg --quick-set-expire {key.fingerprint} 1y) and publish the "
                "updated public key",
            )
        if not key.has_secret:
            raise SigningError(
                f"the secret part of key {key.fingerprint} is not in {self._where()}",
                "import the secret key on this machine (gpg --import), or sign on the machine "
                "that holds it",
            )
        if not key.can_sign:
            raise SigningError(
                f"key {key.fingerprint} has no part that can sign",
                "add a signing subkey (gpg --quick-add-key FPR ed25519 sign)",
            )
        warnings = []
        if key.expires is not None and key.expires - now <= EXPIRY_WARNING:
            days = (key.expires - now).days
            warnings.append(
                f"key {key.fingerprint} expires on {key.expires:%Y-%m-%d} (in {days} days): "
                f"extend it with gpg --quick-set-expire {key.fingerprint} 1y"
            )
        return warnings

    def generate_key(
        self, name: str, email: str, passphrase: str | None, expire: str = "1y"
    ) -> str:
        """Make an ed25519 signing key and return its fingerprint (for sandboxes and tests)."""
        if not _EXPIRE.match(expire):
            raise SigningError(
                f"{expire!r} is not a key expiry gpg understands",
                "use 0 (never), a count like 30d, 2w, 6m, 1y, or a date YYYY-MM-DD",
            )
        register_secret(passphrase)
        self._check_passphrase(passphrase)
        args = [
            *self._base_args(),
            "--status-fd",
            "1",
            "--passphrase-fd",
            "0",
            "--quick-generate-key",
            f"{name} <{email}>",
            "ed25519",
            "sign",
            expire,
        ]
        # An empty line on the passphrase fd makes an unprotected key.
        done = subprocess.run(
            args, input=f"{passphrase or ''}\n", capture_output=True, text=True, check=False
        )
        for line in done.stdout.splitlines():
            fields = line.split()
            if fields[:2] == ["[GNUPG:]", "KEY_CREATED"] and len(fields) >= 4:
                return fields[3]
        raise SigningError(
            f"gpg could not generate a key for {email}: {_tail(done.stderr)}",
            "check the GnuPG home is writable and gpg-agent can start (short path, no stale agent)",
        )

    def import_keys(self, armored: str) -> list[str]:
        """Import keys (or revocations) and return the fingerprints of keys gpg reports."""
        result = self._gpg.import_keys(armored)
        fingerprints = [str(fpr) for fpr in result.fingerprints]
        if not result.count:
            raise SigningError(
                f"no key could be imported into {self._where()}",
                "check that the input is an ASCII-armored OpenPGP key block",
            )
        return fingerprints

    def export_public_key(self, fingerprint: str) -> str:
        """The ASCII-armored public key, for publishing or importing elsewhere."""
        key = self.find_key(fingerprint)
        armored = str(self._gpg.export_keys(key.fingerprint))
        if "BEGIN PGP PUBLIC KEY BLOCK" not in armored:
            raise SigningError(
                f"gpg exported nothing for key {key.fingerprint}",
                f"run gpg --export --armor {key.fingerprint} to see why",
            )
        return armored

    # Signatures

    @staticmethod
    def _check_passphrase(passphrase: str | None) -> None:
        if passphrase and ("\n" in passphrase or "\r" in passphrase):
            raise SigningError(
                "the GPG passphrase contains a line break, which gpg cannot take in batch mode",
                "store it without a trailing newline: rmtui secrets set gpg-passphrase",
            )

    def sign_detached(self, path: Path, fingerprint: str, passphrase: str | None) -> Path:
        """Write `<path>.asc`, an ASCII-armored detached signature by `fingerprint`."""
        register_secret(passphrase)
        self._check_passphrase(passphrase)
        wanted = normalize_fingerprint(fingerprint)
        if not path.is_file():
            raise SigningError(f"cannot sign {path}: no such file", "check the artifacts folder")
        # Hand python-gnupg an open stream: given a path, it closes the file while its copier
        # thread still reads, and large artifacts get signed truncated.
        with path.open("rb") as stream:
            result = self._gpg.sign_file(
                stream,
                keyid=wanted,
                passphrase=passphrase or None,
                detach=True,
                clearsign=False,
            )
        armored = bytes(result.data or b"").decode("ascii", errors="replace")
        if not result.fingerprint or "BEGIN PGP SIGNATURE" not in armored:
            raise self._signing_failure(path, wanted, passphrase, _status_text(result))
        key = self.find_key(wanted)
        if not key.owns(str(result.fingerprint)):
            raise SigningError(
                f"gpg signed {path.name} with key {result.fingerprint}, not {wanted}",
                "check the profile's fingerprint and gpg's default-key settings",
            )
        signature = path.with_name(path.name + ".asc")
        atomic_write_text(signature, armored)
        return signature

    def _signing_failure(
        self, path: Path, fingerprint: str, passphrase: str | None, status: str
    ) -> SigningError:
        typed = passphrase_failure(status, fingerprint, given=bool(passphrase))
        if typed is not None:
            return typed
        # Let the key checks name a missing, expired or secret-less key precisely.
        self.check_signing_key(fingerprint)
        return SigningError(
            f"gpg could not sign {path.name} with key {fingerprint}: {_tail(status)}",
            "run `gpg --detach-sign --armor` by hand with the same key to see the full error",
        )

    def verify_detached(self, path: Path, signature: Path, expected_fingerprint: str) -> None:
        """Raise unless `signature` is a good signature of `path` by the expected key."""
        expected = normalize_fingerprint(expected_fingerprint)
        for needed in (path, signature):
            if not needed.is_file():
                raise SigningError(
                    f"cannot verify {path.name}: {needed} does not exist",
                    "download or create the file and its .asc signature side by side",
                )
        with signature.open("rb") as stream:
            result = self._gpg.verify_file(stream, data_filename=str(path))
        if not result.valid:
            raise self._verification_failure(path, signature, result)
        signer = str(result.pubkey_fingerprint or result.fingerprint)
        if expected not in (signer, str(result.fingerprint)):
            raise SigningError(
                f"{path.name} is signed by key {signer}, but {expected} was expected",
                "do not trust this file; re-sign it with the expected key or fix the profile",
            )

    def _verification_failure(self, path: Path, signature: Path, result: Any) -> SigningError:
        status = str(result.status or "")
        if status == "signature bad":
            return SigningError(
                f"BAD signature: {path.name} is not the file {signature.name} signed",
                "the file changed after signing or is corrupt: download it again or re-sign it",
            )
        if status == "no public key":
            return SigningError(
                f"{signature.name} was made by key {result.key_id}, which is not in "
                f"{self._where()}",
                "import the expected public key (gpg --import KEY.asc) and verify again",
            )
        return SigningError(
            f"could not verify {signature.name} for {path.name}: {status or 'no signature'}; "
            f"{_tail(_status_text(result), 3)}",
            "check that the .asc file is an ASCII-armored detached signature of this file",
        )

    def forget_cached_passphrase(self, fingerprint: str) -> None:
        """Drop the agent's cached passphrase for this key, so the next signing checks ours.

        A pre-flight test signature would otherwise pass on a passphrase the agent
        remembered, and the release would fail later when the cache runs out.
        """
        connect = shutil.which("gpg-connect-agent")
        if connect is None:
            return
        key = self.find_key(fingerprint)
        home = ["--homedir", str(self.gnupghome)] if self.gnupghome else []
        commands = [f"CLEAR_PASSPHRASE --mode=normal {grip}" for grip in key.keygrips]
        subprocess.run(
            [connect, *home, "--no-autostart", *commands, "/bye"],
            capture_output=True,
            check=False,
        )

    def kill_agent(self) -> None:
        """Stop this home's gpg-agent (throwaway homes must not leave one behind)."""
        gpgconf = shutil.which("gpgconf")
        if gpgconf is None or self.gnupghome is None:
            return
        subprocess.run(
            [gpgconf, "--homedir", str(self.gnupghome), "--kill", "gpg-agent"],
            capture_output=True,
            check=False,
        )


def create_throwaway_home(prefix: str = "g") -> Path:
    """A private GnuPG home under /tmp (gpg-agent's socket path must stay short)."""
    home = Path(tempfile.mkdtemp(prefix=prefix, dir="/tmp"))
    home.chmod(0o700)
    (home / "gpg-agent.conf").write_text(THROWAWAY_AGENT_CONF)
    return home


def remove_throwaway_home(home: Path) -> None:
    """Stop the home's agent and delete it."""
    if home.is_dir():
        Gpg(home).kill_agent()
    shutil.rmtree(home, ignore_errors=True)


# The git tag signing lives beside this module; imported here so callers find it in one place.
from rmtui.ops.gpg_git import GitSigning, loopback_git_signing  # noqa: E402

__all__ = [
    "EXPIRY_WARNING",
    "THROWAWAY_AGENT_CONF",
    "GitSigning",
    "Gpg",
    "KeyInfo",
    "PassphraseNeeded",
    "WrongPassphrase",
    "create_throwaway_home",
    "loopback_git_signing",
    "normalize_fingerprint",
    "passphrase_failure",
    "remove_throwaway_home",
]
