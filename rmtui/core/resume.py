"""Resume after a kill: a step left running, what its probe says, and what the RM may decide."""

from __future__ import annotations

import enum
from dataclasses import dataclass

from rmtui.core.step import Probe, ProbeOutcome


class Settlement(enum.StrEnum):
    """What the RM may decide for a step that was left running."""

    ACCEPT_DONE = "accept-done"
    RUN_AGAIN = "run-again"
    MARK_FAILED = "mark-failed"


@dataclass(frozen=True)
class Interruption:
    """A step found running when the release was opened, and what its probe says."""

    step_id: str
    probe: Probe


def default_settlement(probe: Probe) -> Settlement:
    """What the headless runner decides: trust a clear probe, else stop for the RM."""
    if probe.outcome is ProbeOutcome.DONE:
        return Settlement.ACCEPT_DONE
    if probe.outcome is ProbeOutcome.NOT_DONE:
        return Settlement.RUN_AGAIN
    return Settlement.MARK_FAILED
