"""Shared test helpers: a scripted prompter, a recording listener, sandboxes and fake steps."""

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
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from unittest import mock

from rmtui.core.engine import Engine
from rmtui.core.events import EngineEvent, OutputLine, StatusChanged
from rmtui.core.profile import profile_from_dict
from rmtui.core.redact import register_secret
from rmtui.core.release import Release
from rmtui.core.status import Status
from rmtui.core.step import (
    Action,
    Phase,
    PointOfNoReturn,
    Probe,
    ProbeContext,
    Step,
    StepContext,
    Waiting,
)
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


# -- prompting and listening --------------------------------------------------------------


@dataclass(frozen=True)
class Question:
    """One question a step or the engine asked."""

    kind: str
    text: str
    detail: str = ""


class ScriptedPrompter:
    """A Prompter that answers from a queue and records every question it was asked.

    With `confirm_by_default` set, confirmations (including points of no return) that find
    the queue empty get that answer; any other unscripted question fails the test.
    """

    def __init__(self, *answers: Any, confirm_by_default: bool | None = None) -> None:
        self.answers: deque[Any] = deque(answers)
        self.questions: list[Question] = []
        self.confirm_by_default = confirm_by_default

    def _answer(self, kind: str, text: str, detail: str = "") -> Any:
        self.questions.append(Question(kind, text, detail))
        if self.answers:
            return self.answers.popleft()
        if kind in ("confirm", "point-of-no-return") and self.confirm_by_default is not None:
            return self.confirm_by_default
        raise AssertionError(f"unscripted {kind} question: {text}")

    def confirm(self, question: str, *, detail: str = "", default: bool = False) -> bool:
        return bool(self._answer("confirm", question, detail))

    def confirm_point_of_no_return(self, point: PointOfNoReturn) -> bool:
        detail = "\n".join(a.render() for a in point.actions)
        return bool(self._answer("point-of-no-return", f"{point.step_id}: {point.title}", detail))

    def text(self, question: str, *, default: str = "") -> str:
        return str(self._answer("text", question))

    def secret(self, question: str) -> str:
        value = str(self._answer("secret", question))
        register_secret(value)
        return value

    def choice(self, question: str, options: Sequence[str], *, default: str = "") -> str:
        answer = str(self._answer("choice", question, ", ".join(options)))
        assert answer in options, f"scripted answer {answer!r} is not one of {options}"
        return answer

    def oauth_code(self, url: str) -> str:
        value = str(self._answer("oauth", url))
        register_secret(value)
        return value


class RecordingListener:
    """An in-memory engine listener."""

    def __init__(self) -> None:
        self.events: list[EngineEvent] = []

    def __call__(self, event: EngineEvent) -> None:
        self.events.append(event)

    def transitions(self, step_id: str | None = None) -> list[tuple[str, Status, Status]]:
        return [
            (e.step_id, e.old, e.new)
            for e in self.events
            if isinstance(e, StatusChanged) and (step_id is None or e.step_id == step_id)
        ]

    def output(self, step_id: str) -> list[str]:
        return [e.line for e in self.events if isinstance(e, OutputLine) and e.step_id == step_id]


# -- fake steps and engines -----------------------------------------------------------------

RunBehaviour = Callable[[StepContext], Waiting | None]


class FakeStep(Step):
    """A step whose effect is a flag in memory; its probe looks at that flag by default."""

    # A plain attribute instead of the guide rendered as Markdown (Step.help is read-only).
    help: str = ""  # type: ignore[assignment]

    def __init__(
        self,
        step_id: str,
        *,
        run: RunBehaviour | None = None,
        probe: Callable[[ProbeContext], Probe] | None = None,
        requires: tuple[str, ...] = (),
        irreversible: bool = False,
        phase: Phase = Phase.PREPARE,
        check: str = "the fake world",
    ) -> None:
        self.id = step_id
        self.title = f"Fake step {step_id}"
        self.phase = phase
        self.requires = requires
        self.irreversible = irreversible
        self.check_after_interruption = check
        self.help = f"A fake step for tests ({step_id})."
        self.effect_in_place = False
        self.runs = 0
        self._run = run
        self._probe = probe

    def plan(self, release: Release) -> list[Action]:
        return [Action(f"do {self.id}", f"fake {self.id}")]

    def probe(self, ctx: ProbeContext) -> Probe:
        if self._probe is not None:
            return self._probe(ctx)
        if self.effect_in_place:
            return Probe.done(f"{self.id} effect in place")
        return Probe.not_done(f"{self.id} effect missing")

    def run(self, ctx: StepContext) -> Waiting | None:
        self.runs += 1
        outcome = self._run(ctx) if self._run is not None else None
        self.effect_in_place = True
        return outcome


def fake_release(workspace: Path, version: str = "3.14.0rc1", *, rehearsal: bool = True) -> Release:
    """A Release whose profile points nowhere real (fake steps never touch the repos)."""
    profile = profile_from_dict(
        {
            "name": "test",
            "rehearsal": rehearsal,
            "repos": {
                "upstream": str(workspace.parent / "upstream.git"),
                "fork": str(workspace.parent / "fork.git"),
                "clone": str(workspace.parent / "clone"),
            },
        }
    )
    return Release(parse_version(version), profile, workspace, created="2026-11-01T00:00:00Z")


class TickingClock:
    """A deterministic clock: each call is one second later."""

    def __init__(self) -> None:
        self.ticks = 0

    def __call__(self) -> str:
        self.ticks += 1
        minutes, seconds = divmod(self.ticks, 60)
        return f"2026-11-01T10:{minutes:02d}:{seconds:02d}Z"


def new_engine(
    workspace: Path,
    steps: Sequence[Step],
    prompter: ScriptedPrompter | None = None,
    listener: RecordingListener | None = None,
    *,
    initialise: bool = True,
    rehearsal: bool = True,
) -> Engine:
    """An Engine over fake steps; with `initialise`, state.json and the journal are created."""
    from rmtui.core.step import Plan

    engine = Engine(
        fake_release(workspace, rehearsal=rehearsal),
        Plan(tuple(steps)),
        prompter or ScriptedPrompter(confirm_by_default=True),
        listeners=[listener] if listener is not None else [],
        clock=TickingClock(),
    )
    if initialise:
        engine.initialise()
    return engine


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
