"""The TUI's typed messages: engine events posted from a step's thread, and workers' results."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from textual.message import Message

from rmtui.core.events import FactRecorded, Notice, ProgressUpdate, StatusChanged

if TYPE_CHECKING:
    from rmtui.core.engine import Engine, Interruption
    from rmtui.core.errors import RmtuiError
    from rmtui.tui.screens.handoff import ImportRequest
    from rmtui.tui.services import Imported


@dataclass
class StepStatusChanged(Message):
    """A step moved in the state machine."""

    event: StatusChanged


@dataclass
class StepFactRecorded(Message):
    """A step recorded a fact."""

    event: FactRecorded


@dataclass
class StepProgress(Message):
    """A step said how far it has got."""

    event: ProgressUpdate


@dataclass
class EngineNotice(Message):
    """The engine has something to tell the RM."""

    event: Notice


# Which message carries which engine event.
ENGINE_MESSAGES: dict[type, Callable[[Any], Message]] = {
    StatusChanged: StepStatusChanged,
    FactRecorded: StepFactRecorded,
    ProgressUpdate: StepProgress,
    Notice: EngineNotice,
}


@dataclass
class ReleaseOpened(Message):
    """The opening worker holds the release's lock; these steps were left running."""

    engine: Engine
    interruptions: list[Interruption]


@dataclass
class ImportFinished(Message):
    """An import worker brought an expert's files (or the stand-ins) into artifacts/."""

    imported: Imported


@dataclass
class ImportRefused(Message):
    """Nothing was imported; the dialog opens again with what the RM typed."""

    error: RmtuiError
    request: ImportRequest
