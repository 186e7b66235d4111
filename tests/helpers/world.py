"""The real world in tests: sandboxes, throwaway gpg homes, git, the rmtui command, processes."""

from __future__ import annotations

import atexit
import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from unittest import mock

from rmtui.core.release import Release
from rmtui.core.version import parse_version
from rmtui.sandbox import build
from rmtui.sandbox.build import Sandbox

VENV_BIN = Path(sys.executable).parent
RMTUI = str(VENV_BIN / "rmtui")
# Release commits made during a test run get these dates, so that two runs make equal SHAs.
FIXED_GIT_DATES = {
    "GIT_AUTHOR_DATE": "2026-11-03T12:00:00+00:00",
    "GIT_COMMITTER_DATE": "2026-11-03T12:00:00+00:00",
}


# -- files ------------------------------------------------------------------------------------


def snapshot(*paths: Path) -> dict[str, bytes | None]:
    """The exact bytes of files (None when missing), to show that something changed nothing."""
    return {str(p): (p.read_bytes() if p.exists() else None) for p in paths}


def workspace_files(workspace: Path) -> dict[str, bytes | None]:
    return snapshot(workspace / "state.json", workspace / "journal.jsonl")


def journal_lines(workspace: Path) -> list[dict[str, Any]]:
    path = workspace / "journal.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines()]


# -- sandboxes ----------------------------------------------------------------------------------

_shared_key: tuple[Path, str] | None = None


def _shared_gpg_home() -> tuple[Path, str]:
    """One throwaway key per test process, copied into every sandbox built by make_sandbox.

    Copying saves a key generation per sandbox and gives every sandbox the same key, and the
    frozen gpg clock makes signatures (and so signed tag objects) equal from run to run.
    """
    global _shared_key
    if _shared_key is None:
        from rmtui.ops.gpg import THROWAWAY_AGENT_CONF, Gpg

        home = Path(tempfile.mkdtemp(prefix="gk", dir="/tmp"))
        home.chmod(0o700)
        (home / "gpg-agent.conf").write_text(THROWAWAY_AGENT_CONF)
        (home / "gpg.conf").write_text("faked-system-time 20261101T120000!\n")
        fingerprint = Gpg(home).generate_key(
            "Sandbox Release Manager", "rm@sandbox.invalid", passphrase=None, expire="0"
        )
        kill_gpg_agent(home)
        _shared_key = (home, fingerprint)
        atexit.register(shutil.rmtree, home, True)
    return _shared_key


GPGCONF = shutil.which("gpgconf") or "/usr/bin/gpgconf"


def kill_gpg_agent(home: Path) -> None:
    """Stop the gpg-agent of a throwaway home (tests may have emptied PATH meanwhile)."""
    if Path(GPGCONF).exists():
        subprocess.run(
            [GPGCONF, "--homedir", str(home), "--kill", "gpg-agent"],
            capture_output=True,
            check=False,
        )


def _copy_shared_key(gnupghome: Path) -> str:
    source, fingerprint = _shared_gpg_home()
    shutil.copytree(source, gnupghome, ignore=shutil.ignore_patterns("S.*", "*.lock"))
    gnupghome.chmod(0o700)
    return fingerprint


def make_sandbox(
    tmp: Path,
    version: str = "3.13.10",
    *,
    security_only: bool = False,
    shared_key: bool = True,
) -> tuple[Sandbox, Release]:
    """Build a rehearsal sandbox in `tmp/s` (keep `tmp` short: gpg-agent sockets live there)."""
    root = tmp / "s"
    if shared_key and hasattr(build, "_make_key"):
        with mock.patch.object(build, "_make_key", _copy_shared_key):
            return build.build_sandbox(root, parse_version(version), security_only=security_only)
    return build.build_sandbox(root, parse_version(version), security_only=security_only)


@contextmanager
def short_tmpdir(prefix: str = "r") -> Iterator[Path]:
    """A directory directly under /tmp, removed afterwards along with any gpg-agent in it."""
    path = Path(tempfile.mkdtemp(prefix=prefix, dir="/tmp"))
    try:
        yield path
    finally:
        for home in path.glob("**/gnupg"):
            kill_gpg_agent(home)
        shutil.rmtree(path, ignore_errors=True)


def child_env(**extra: str) -> dict[str, str]:
    """The test's (isolated) environment for subprocesses, with the venv first on PATH."""
    env = dict(os.environ)
    env["PATH"] = f"{VENV_BIN}{os.pathsep}{env.get('PATH', '')}"
    env.update(extra)
    return env


def rmtui(
    *args: str | Path, env: dict[str, str] | None = None, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    """Run the real `rmtui` console script."""
    return subprocess.run(
        [RMTUI, *(str(a) for a in args)],
        env=env or child_env(),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def git(*args: str | Path, cwd: Path | None = None, check: bool = True) -> str:
    done = subprocess.run(
        ["git", *(str(a) for a in args)], cwd=cwd, capture_output=True, text=True, check=False
    )
    if check and done.returncode != 0:
        raise AssertionError(f"git {' '.join(map(str, args))} failed:\n{done.stderr}")
    return done.stdout.strip()


def refs(bare: Path) -> dict[str, str]:
    """Every ref of a repository and the object it names."""
    out = git("for-each-ref", "--format=%(refname) %(objectname)", cwd=bare)
    pairs = (line.split(" ", 1) for line in out.splitlines())
    return {name: sha for name, sha in pairs}


def wait_for(predicate: Callable[[], bool], timeout: float = 30, interval: float = 0.001) -> bool:
    """Poll `predicate` until it holds or `timeout` passes."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return False


def kill_group(process: subprocess.Popen[Any]) -> None:
    """SIGKILL a process started with start_new_session=True and everything it started."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    process.wait()


@dataclass
class StatusDoc:
    """`rmtui status --json`, parsed."""

    data: dict[str, Any]
    steps: dict[str, dict[str, Any]] = field(init=False)

    def __post_init__(self) -> None:
        self.steps = {s["id"]: s for s in self.data["steps"]}

    @property
    def statuses(self) -> dict[str, str]:
        return {sid: s["status"] for sid, s in self.steps.items()}


def status_json(workspace: Path) -> StatusDoc:
    done = rmtui("status", workspace, "--json")
    assert done.returncode == 0, done.stderr
    return StatusDoc(json.loads(done.stdout))
