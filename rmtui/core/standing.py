"""Where a release stands, computed once from its plan and state for every view that says so."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Protocol, TypeVar

from rmtui.core.status import RUNNABLE, SETTLED, Status
from rmtui.core.store import ReleaseState, StepRecord


class PlannedStep(Protocol):
    """What standing needs of a step: a built Step, or its outline (core/outline.py)."""

    @property
    def id(self) -> str: ...

    @property
    def requires(self) -> tuple[str, ...]: ...


AnyStep = TypeVar("AnyStep", bound=PlannedStep)

# The values of Standing.overall, from the most to the least pressing.
OVERALL = ("done", "failed", "running", "waiting", "in progress", "not started")


@dataclass(frozen=True)
class Standing:
    """Where a release stands: the counts, what runs next, and what holds it up.

    - `overall`: one of OVERALL. "waiting" means nothing can run until someone delivers.
    - `next_step`: the id of the step that can run now, or None.
    - `running`, `failed`: step ids, in plan order.
    - `waiting`: step id -> the roles it still waits on, in plan order.
    - `blocked`: why nothing can run now, naming every step awaited and from whom ("" when
      something can run, or when all is done).
    """

    overall: str
    done: int
    total: int
    next_step: str | None
    running: tuple[str, ...] = ()
    failed: tuple[str, ...] = ()
    waiting: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    blocked: str = ""

    @property
    def complete(self) -> bool:
        return self.overall == "done"

    @property
    def progress(self) -> str:
        return f"{self.done}/{self.total}"

    @property
    def line(self) -> str:
        """One line of text: how far, then what comes next or what holds the release up."""
        text = f"{self.overall}: {self.progress} done or skipped"
        if self.complete:
            return text
        if self.running:
            text += f" · running {', '.join(self.running)}"
        if self.failed:
            text += f" · failed {', '.join(self.failed)}"
        if self.next_step is not None:
            text += f" · next {self.next_step}"
            if self.waiting:
                text += f" · {_awaited(self.waiting)}"
        elif self.blocked:
            text += f" · blocked: {self.blocked}"
        return text


def _awaited(waiting: Mapping[str, tuple[str, ...]]) -> str:
    return "; ".join(
        f"{sid} waits on {', '.join(roles) or 'nobody'}" for sid, roles in waiting.items()
    )


def requirements_met(step: PlannedStep, records: Mapping[str, StepRecord]) -> bool:
    """Whether every step `step` requires is done or skipped."""
    return all(records[r].status in SETTLED for r in step.requires)


def next_runnable(plan: Iterable[AnyStep], records: Mapping[str, StepRecord]) -> AnyStep | None:
    """The first step, in plan order, that can run now.

    Waiting steps are passed over, so work goes on around a wait; any other step that cannot
    run holds up everything after it, because the plan's order is part of its safety (nothing
    is pushed upstream before it is signed).
    """
    for step in plan:
        status = records[step.id].status
        if status in SETTLED or status is Status.WAITING:
            continue
        if status in RUNNABLE and requirements_met(step, records):
            return step
        return None
    return None


def _blocked(
    plan: Iterable[PlannedStep],
    records: Mapping[str, StepRecord],
    waiting: Mapping[str, tuple[str, ...]],
) -> str:
    """Why nothing can run (the caller knows that nothing can), naming every awaited step."""

    def awaited(sid: str) -> str:
        return f"{sid} (waiting on {', '.join(waiting[sid]) or 'nobody'})"

    named: list[str] = []
    reason = ""
    for step in plan:
        record = records[step.id]
        if record.status in SETTLED or record.status is Status.WAITING:
            continue
        if record.status is Status.RUNNING:
            reason = f"{step.id} is running"
            break
        # The first step that cannot run. What it needs comes before it in the plan, so it is
        # settled or waiting: nothing before it could run either.
        named = [r for r in step.requires if records[r].status not in SETTLED]
        reason = f"{step.id} needs {', '.join(awaited(r) if r in waiting else r for r in named)}"
        break
    others = [sid for sid in waiting if sid not in named]
    if not reason:
        return f"waiting on others: {', '.join(awaited(sid) for sid in others)}" if others else ""
    if others:
        reason += f"; also waiting: {', '.join(awaited(sid) for sid in others)}"
    return reason


def standing(plan: Iterable[PlannedStep], state: ReleaseState) -> Standing:
    """Where the release stands: pure, from the plan and the state alone (no I/O)."""
    plan = list(plan)
    records = {step.id: state.steps.get(step.id) or StepRecord() for step in plan}
    by_status: dict[Status, list[str]] = {status: [] for status in Status}
    for step in plan:
        by_status[records[step.id].status].append(step.id)
    done = sum(1 for record in records.values() if record.status in SETTLED)
    total = len(records)
    waiting = {sid: tuple(records[sid].waiting_on) for sid in by_status[Status.WAITING]}
    nxt = next_runnable(plan, records)
    if done == total:
        overall = "done"
    elif by_status[Status.FAILED]:
        overall = "failed"
    elif by_status[Status.RUNNING]:
        overall = "running"
    elif waiting and nxt is None:
        overall = "waiting"
    elif done == 0:
        overall = "not started"
    else:
        overall = "in progress"
    return Standing(
        overall=overall,
        done=done,
        total=total,
        next_step=None if nxt is None else nxt.id,
        running=tuple(by_status[Status.RUNNING]),
        failed=tuple(by_status[Status.FAILED]),
        waiting=waiting,
        blocked="" if nxt is not None or done == total else _blocked(plan, records, waiting),
    )
