"""Engine-level fakes: a scripted prompter, a listener, the fake step, release and engine."""

from __future__ import annotations

import dataclasses
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rmtui.core.engine import Engine
from rmtui.core.events import EngineEvent, Listener, OutputLine, StatusChanged
from rmtui.core.profile import Profile, profile_from_dict
from rmtui.core.redact import register_secret
from rmtui.core.release import Release
from rmtui.core.status import Status
from rmtui.core.step import (
    Action,
    Phase,
    Plan,
    PointOfNoReturn,
    Probe,
    ProbeContext,
    Prompter,
    Step,
    StepContext,
    Waiting,
)
from rmtui.core.version import parse_version

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
ProbeBehaviour = Callable[[ProbeContext], Probe]


class FakeStep(Step):
    """The one fake step of the test suite, used two ways.

    - Built with arguments, `FakeStep("one", run=..., probe=..., requires=...)`: its effect is
      a flag in memory and its probe looks at that flag (engine and journal tests).
    - Subclassed with class attributes (`id`, `title`, `phase`, `requires`, `help`, `lines`,
      `marker_file = True`) and an `act` hook, as the TUI's fake plan is: its effect is then
      the file world/<id> in the workspace, which outlives the step object, so an app that
      reopens the release with new step objects still finds it.

    Either way it prints `lines`, calls `act`, then the `run` behaviour, then records its
    effect; `runs` counts the runs.
    """

    id = "fake"
    title = ""
    # A plain attribute instead of the guide rendered as Markdown (Step.help is read-only).
    help: str = ""  # type: ignore[assignment]
    phase = Phase.PREPARE
    lines: Sequence[str] = ()
    marker_file = False
    runs = 0
    effect_in_place = False
    _run: RunBehaviour | None = None
    _probe: ProbeBehaviour | None = None

    def __init__(
        self,
        step_id: str | None = None,
        *,
        run: RunBehaviour | None = None,
        probe: ProbeBehaviour | None = None,
        requires: tuple[str, ...] | None = None,
        irreversible: bool | None = None,
        phase: Phase | None = None,
        check: str | None = None,
        lines: Sequence[str] | None = None,
        marker_file: bool | None = None,
    ) -> None:
        if step_id is not None:
            self.id = step_id
            self.help = f"A fake step for tests ({step_id})."
            self.check_after_interruption = "the fake world"
        if not self.title:
            self.title = f"Fake step {self.id}"
        for name, value in (
            ("requires", requires),
            ("irreversible", irreversible),
            ("phase", phase),
            ("check_after_interruption", check),
            ("lines", lines),
            ("marker_file", marker_file),
        ):
            if value is not None:
                setattr(self, name, value)
        self._run = run
        self._probe = probe

    def marker(self, ctx: ProbeContext) -> Path:
        """The file that is this step's effect when `marker_file` is set."""
        return ctx.workspace / "world" / self.id

    def plan(self, release: Release) -> list[Action]:
        if self.marker_file:
            return [Action(f"write the marker for {self.id}", f"touch world/{self.id}")]
        return [Action(f"do {self.id}", f"fake {self.id}")]

    def probe(self, ctx: ProbeContext) -> Probe:
        if self._probe is not None:
            return self._probe(ctx)
        if self.marker_file:
            if self.marker(ctx).exists():
                return Probe.done(f"world/{self.id} exists")
            return Probe.not_done(f"world/{self.id} is missing")
        if self.effect_in_place:
            return Probe.done(f"{self.id} effect in place")
        return Probe.not_done(f"{self.id} effect missing")

    def run(self, ctx: StepContext) -> Waiting | None:
        self.runs += 1
        for line in self.lines:
            ctx.output(line)
        self.act(ctx)
        outcome = self._run(ctx) if self._run is not None else None
        self.effect_in_place = True
        if self.marker_file:
            marker = self.marker(ctx)
            marker.parent.mkdir(parents=True, exist_ok=True)
            marker.write_text("done\n")
        return outcome

    def act(self, ctx: StepContext) -> None:
        """What a subclass does besides recording its effect (nothing here)."""


def fake_release(
    workspace: Path,
    version: str = "3.14.0rc1",
    *,
    rehearsal: bool = True,
    profile: Profile | None = None,
    created: str = "2026-11-01T00:00:00Z",
) -> Release:
    """A Release for fake steps.

    By default its profile points nowhere real (fake steps never touch the repos); pass a
    profile, e.g. `builtin_profile("cpython")`, to show a real one (its `rehearsal` is set
    from the argument either way).
    """
    if profile is None:
        profile = profile_from_dict(
            {
                "name": "test",
                "rehearsal": rehearsal,
                "repos": {
                    "upstream": str(workspace.parent / "upstream.git"),
                    "fork": str(workspace.parent / "fork.git"),
                    "clone": str(workspace.parent / "clone"),
                },
                # What the fake experts deliver: one installer each.
                "installers": [
                    {"role": "Windows", "pattern": "python-{version}-amd64.exe", "platform": "x64"},
                    {"role": "macOS", "pattern": "python-{version}-macos11.pkg", "platform": "mac"},
                ],
            }
        )
    else:
        profile = dataclasses.replace(profile, rehearsal=rehearsal)
    return Release(parse_version(version), profile, workspace, created=created)


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
    steps: Sequence[Step] | Plan,
    prompter: Prompter | None = None,
    listener: Listener | None = None,
    *,
    initialise: bool = True,
    rehearsal: bool = True,
    release: Release | None = None,
    listeners: Sequence[Listener] = (),
    clock: Callable[[], str] | None = None,
) -> Engine:
    """The one engine harness: an Engine over `steps` (fake or real) for `release`.

    Without `release` it drives `fake_release(workspace)`; the prompter confirms everything
    unless one is given; the clock ticks a second a call unless one is given. With
    `initialise`, state.json and the journal are created. Open it with `engine.opened()` or
    `engine.open()` as the test needs.
    """
    plan = steps if isinstance(steps, Plan) else Plan(tuple(steps))
    engine = Engine(
        release or fake_release(workspace, rehearsal=rehearsal),
        plan,
        prompter or ScriptedPrompter(confirm_by_default=True),
        listeners=[*([listener] if listener is not None else []), *listeners],
        clock=clock or TickingClock(),
    )
    if initialise:
        engine.initialise()
    return engine


def headless_prompter(*, assume_yes: bool = False) -> Prompter:
    """The terminal prompter of `rmtui run`, never asking: for engines set up outside the TUI."""
    from rmtui.cli.terminal_prompter import TerminalPrompter

    if assume_yes:
        return TerminalPrompter(assume_yes=True)
    return TerminalPrompter(interactive=False)
