"""Small messages the engine sends to its listeners (TUI, headless runner, tests)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from rmtui.core.status import Status


@dataclass(frozen=True)
class StatusChanged:
    step_id: str
    old: Status
    new: Status
    reason: str = ""
    error: str = ""
    hint: str = ""


@dataclass(frozen=True)
class OutputLine:
    step_id: str
    line: str


@dataclass(frozen=True)
class FactRecorded:
    step_id: str
    key: str
    value: Any


@dataclass(frozen=True)
class ProgressUpdate:
    step_id: str
    done: float
    total: float
    label: str = ""


@dataclass(frozen=True)
class Notice:
    text: str
    level: str = "info"


EngineEvent = StatusChanged | OutputLine | FactRecorded | ProgressUpdate | Notice
Listener = Callable[[EngineEvent], None]
