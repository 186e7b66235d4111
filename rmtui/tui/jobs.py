"""What the release screen's workers run on the engine, through its public moves only."""

from __future__ import annotations

import traceback

from rmtui.core.engine import Engine
from rmtui.core.errors import RmtuiError
from rmtui.core.status import Status

BUG = (
    "this is a bug in rmtui; the state and journal are intact, so open the release again "
    "and go on (see `rmtui status`)"
)


def run_on(engine: Engine) -> None:
    """Step after step, through the engine's own choice of what can run next (so around any
    waiting step), until nothing can run, one fails or is declined, or the RM stops."""
    while not engine.cancel_event.is_set():
        step = engine.next_step()
        if step is None:
            return
        before = engine.state.steps[step.id].status
        after = engine.run_step(step.id)
        if after is Status.FAILED or after is before:
            return  # it failed, or its point of no return was declined: the RM decides


def retry(engine: Engine, step_id: str) -> Status:
    engine.retry(step_id)
    return engine.run_step(step_id)


def as_error(exc: BaseException | None, problem: str, hint: str) -> RmtuiError:
    """A worker's failure as a problem with a way out (`problem` gets the details)."""
    if isinstance(exc, RmtuiError):
        return exc
    detail = "".join(traceback.format_exception_only(exc)).strip() if exc else "no detail"
    return RmtuiError(f"{problem}: {detail}", hint)
