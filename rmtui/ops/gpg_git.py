"""Signing a git tag with GPG in loopback mode, the passphrase passed through a pipe."""

from __future__ import annotations

import os
import shlex
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import NamedTuple

from rmtui.core.errors import SigningError
from rmtui.core.redact import register_secret
from rmtui.ops.gpg import (
    _MAX_PASSPHRASE_BYTES,
    _STATUS_LOG,
    PASSPHRASE_FD_ENV,
    Gpg,
    _gpg_binary,
    _tail,
    passphrase_failure,
)


class GitSigning(NamedTuple):
    """What `git -c ... tag -s` needs to sign in loopback mode; unpacks as a 3-tuple."""

    git_config_args: list[str]
    env: dict[str, str]
    pass_fds: tuple[int, ...]

    @property
    def status_log(self) -> Path:
        """Where the wrapper copies gpg's status lines (beside the wrapper itself)."""
        wrapper = Path(self.git_config_args[-1].split("=", 1)[1])
        return wrapper.with_name(_STATUS_LOG)

    def failure(self, fingerprint: str) -> SigningError:
        """Explain a failed signing git command (git itself only says "gpg failed")."""
        status = self.status_log.read_text(errors="replace") if self.status_log.exists() else ""
        typed = passphrase_failure(status, fingerprint, given=bool(self.pass_fds))
        if typed is not None:
            return typed
        return SigningError(
            f"gpg could not sign the tag with key {fingerprint}: {_tail(status) or 'no output'}",
            f"check the key with `gpg --list-secret-keys {fingerprint}`",
        )


@contextmanager
def loopback_git_signing(passphrase: str | None, gnupghome: Path | None) -> Iterator[GitSigning]:
    """Yield `(git -c args, env, pass_fds)` for one `git tag -s` signing in loopback mode.

    The passphrase travels only through a pipe whose read end the git child inherits
    (via `pass_fds`); the wrapper script learns the descriptor's number from the env.
    One pipe holds one passphrase, so run exactly one signing git command per context.
    gpg's status lines (never the passphrase) go to a log beside the wrapper, so that
    `GitSigning.failure` can name a wrong passphrase after git's terse "gpg failed".
    """
    register_secret(passphrase)
    Gpg._check_passphrase(passphrase)
    gpg = _gpg_binary()
    workdir = Path(tempfile.mkdtemp(prefix="rmtui-gitgpg-"))
    read_fd = -1
    try:
        wrapper = workdir / "gpg-loopback"
        status_log = workdir / _STATUS_LOG
        command = f"{shlex.quote(gpg)} --batch --pinentry-mode loopback"
        env = dict(os.environ)
        if gnupghome is not None:
            env["GNUPGHOME"] = str(gnupghome)
        pass_fds: tuple[int, ...] = ()
        if passphrase:
            data = f"{passphrase}\n".encode()
            if len(data) > _MAX_PASSPHRASE_BYTES:
                raise SigningError(
                    "the GPG passphrase is too long to hand to gpg",
                    "use a passphrase shorter than 4096 bytes",
                )
            read_fd, write_fd = os.pipe()
            with os.fdopen(write_fd, "wb") as writer:
                writer.write(data)
            os.set_inheritable(read_fd, True)
            command += f' --passphrase-fd "${PASSPHRASE_FD_ENV}"'
            env[PASSPHRASE_FD_ENV] = str(read_fd)
            pass_fds = (read_fd,)
        log = shlex.quote(str(status_log))
        wrapper.write_text(
            f'#!/bin/sh\n{command} "$@" 2>{log}\nstatus=$?\ncat {log} >&2\nexit $status\n'
        )
        wrapper.chmod(0o700)
        yield GitSigning(["-c", f"gpg.program={wrapper}"], env, pass_fds)
    finally:
        if read_fd >= 0:
            os.close(read_fd)
        shutil.rmtree(workdir, ignore_errors=True)
