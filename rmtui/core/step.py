"""The step contract: identity, guide, commands, and plan / probe / run against a context."""

from __future__ import annotations

import enum
import threading
from abc import ABC, abstractmethod
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from rmtui.core.command import Command
from rmtui.core.errors import RmtuiError
from rmtui.core.guide import Guide

if TYPE_CHECKING:
    from rmtui.core.release import Release


class Role(enum.StrEnum):
    """Who does the step."""

    RM = "RM"
    WINDOWS = "Windows"
    MACOS = "macOS"


class Phase(enum.StrEnum):
    """The phases of the release, in the order of PEP 101's process."""

    PREPARE = "Prepare"
    TOOLS = "Release tools"
    TAG = "Tag and fork"
    HANDOFF = "Hand-off"
    BUILD = "Build and test"
    SIGN = "Sign"
    PUBLISH = "Publish"
    UPSTREAM = "Upstream"


class ProbeOutcome(enum.StrEnum):
    DONE = "done"
    NOT_DONE = "not done"
    INCONSISTENT = "inconsistent"
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class Probe:
    """What a step found when it looked at the world."""

    outcome: ProbeOutcome
    why: str
    # Facts the effect in place proves (e.g. the release commit); recorded when accepted as done.
    facts: Mapping[str, Any] = field(default_factory=dict)

    @classmethod
    def done(cls, why: str, facts: Mapping[str, Any] | None = None) -> Probe:
        return cls(ProbeOutcome.DONE, why, dict(facts or {}))

    @classmethod
    def not_done(cls, why: str) -> Probe:
        return cls(ProbeOutcome.NOT_DONE, why)

    @classmethod
    def inconsistent(cls, why: str) -> Probe:
        return cls(ProbeOutcome.INCONSISTENT, why)

    @classmethod
    def unknown(cls, why: str) -> Probe:
        return cls(ProbeOutcome.UNKNOWN, why)


@dataclass(frozen=True)
class Action:
    """One thing a step will do: a sentence, and the exact command when there is one.

    `argv` is the structured Command that `run` executes; `command` is its display text, or,
    for work done through a library (python-gnupg, sigstore), the equivalent by hand.
    """

    description: str
    command: str = ""
    argv: Command | None = None

    @classmethod
    def of(cls, command: Command) -> Action:
        """The plan's line for a command `run` executes."""
        return cls(command.sentence, command.display(), command)

    def render(self) -> str:
        return f"{self.description}\n    $ {self.command}" if self.command else self.description


@dataclass(frozen=True)
class Waiting:
    """Returned by `run` when the step hands work to other people."""

    roles: tuple[str, ...]
    instructions: str


@dataclass(frozen=True)
class PointOfNoReturn:
    """What the RM must confirm before an irreversible step acts."""

    step_id: str
    title: str
    version: str
    rehearsal: bool
    actions: tuple[Action, ...]
    consequences: str


class Prompter(Protocol):
    """How steps and the engine ask the RM; the TUI, the headless runner and tests implement it."""

    def confirm(self, question: str, *, detail: str = "", default: bool = False) -> bool: ...

    def confirm_point_of_no_return(self, point: PointOfNoReturn) -> bool: ...

    def text(self, question: str, *, default: str = "") -> str: ...

    def secret(self, question: str) -> str: ...

    def choice(self, question: str, options: Sequence[str], *, default: str = "") -> str: ...

    def oauth_code(self, url: str) -> str: ...


class Facts(Protocol):
    def get(self, key: str) -> Any: ...

    def require(self, key: str) -> Any: ...


class ProbeContext(Protocol):
    """What a probe may use: it can look, never record a fact, write output or ask anyone."""

    @property
    def release(self) -> Release: ...

    @property
    def facts(self) -> Facts: ...

    @property
    def cancel(self) -> threading.Event: ...

    @property
    def workspace(self) -> Path: ...


class StepContext(ProbeContext, Protocol):
    """What a running step may use; the engine provides it."""

    @property
    def prompter(self) -> Prompter: ...

    def output(self, line: str) -> None: ...

    def record_fact(self, key: str, value: Any) -> None: ...

    def progress(self, done: float, total: float, label: str = "") -> None: ...


class Step(ABC):
    """A release step. Subclasses set the class attributes and implement the three methods."""

    id: str
    title: str
    phase: Phase
    role: Role = Role.RM
    irreversible: bool = False
    guide: Guide | None = None
    # What an interrupted run means for the RM, shown with "interrupted: check X".
    check_after_interruption: str = "the repositories and the step log"
    consequences: str = ""
    # Steps whose effect this one needs; it is not offered before they are done or skipped.
    requires: tuple[str, ...] = ()
    # Steps this one needs when the release's plan has them (docs.build, handoff.experts...);
    # the Plan adds those present to `requires`, so both are declared here, on the step only.
    requires_if_planned: tuple[str, ...] = ()

    @abstractmethod
    def plan(self, release: Release) -> list[Action]:
        """What `run` will do, as exact commands and effects, without doing anything."""

    @property
    def help(self) -> str:
        """The guide rendered as Markdown (the TUI's detail pane and `rmtui plan` show it)."""
        return self.guide.markdown() if self.guide is not None else ""

    @abstractmethod
    def probe(self, ctx: ProbeContext) -> Probe:
        """Look at the world and say whether the step's effect is in place."""

    @abstractmethod
    def run(self, ctx: StepContext) -> Waiting | None:
        """Do the work; raise an RmtuiError with a hint when it cannot."""

    def __repr__(self) -> str:
        return f"<Step {self.id}>"


@dataclass(frozen=True)
class Plan:
    """The ordered steps of one release."""

    steps: tuple[Step, ...]

    def __post_init__(self) -> None:
        seen: set[str] = set()
        for step in self.steps:
            if step.requires_if_planned:
                planned = {s.id for s in self.steps}
                step.requires = type(step).requires + tuple(
                    r for r in step.requires_if_planned if r in planned
                )
            if step.id in seen:
                raise ValueError(f"step id {step.id!r} appears twice in the plan")
            for required in step.requires:
                if required not in seen:
                    raise ValueError(f"{step.id} requires {required}, which does not come before")
            seen.add(step.id)

    def __iter__(self) -> Iterator[Step]:
        return iter(self.steps)

    def __len__(self) -> int:
        return len(self.steps)

    @property
    def ids(self) -> list[str]:
        return [s.id for s in self.steps]

    def get(self, step_id: str) -> Step:
        for step in self.steps:
            if step.id == step_id:
                return step
        raise RmtuiError(
            f"no step {step_id!r} in this release's plan",
            f"the steps are: {', '.join(self.ids)}",
        )
