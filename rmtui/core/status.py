"""Step statuses and the one transition table: what each event allows, and what needs a reason."""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass

from rmtui.core.errors import IllegalTransition, RmtuiError


class Status(enum.StrEnum):
    """Where a step stands."""

    PENDING = "pending"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"
    SKIPPED = "skipped"
    WAITING = "waiting"


class Event(enum.StrEnum):
    """What can happen to a step."""

    START = "start"  # the engine is about to act
    SUCCEED = "succeed"  # run() finished and the effect is in place
    FAIL = "fail"  # run() raised, or an interruption could not be settled
    WAIT = "wait"  # the step handed work to another person
    FULFIL = "fulfil"  # the awaited person delivered
    SKIP = "skip"  # the RM decided to skip it, with a reason
    MARK_DONE = "mark_done"  # the RM did it by hand, with a reason
    RETRY = "retry"  # back to pending after a failure
    UNSKIP = "unskip"  # take a skip back
    SETTLE_DONE = "settle_done"  # after a crash: the probe found the effect in place
    SETTLE_NOT_DONE = "settle_not_done"  # after a crash: the probe found no effect


S, E = Status, Event


@dataclass(frozen=True)
class Rule:
    """One event: the moves it makes, from status to status, and whether it needs a reason.

    `needs_reason` marks the events that bypass the step's own checks: the journal must say why.
    `decision` marks the events the RM causes by hand (the others come from running, waiting
    and resuming). `doing` is how an error names the act ("a reason is required to skip").
    """

    moves: Mapping[Status, Status]
    needs_reason: bool = False
    decision: bool = False
    doing: str = ""


RULES: dict[Event, Rule] = {
    E.START: Rule({S.PENDING: S.RUNNING, S.FAILED: S.RUNNING}),
    E.SUCCEED: Rule({S.RUNNING: S.DONE}),
    E.FAIL: Rule({S.RUNNING: S.FAILED, S.WAITING: S.FAILED}),
    E.WAIT: Rule({S.RUNNING: S.WAITING}),
    E.FULFIL: Rule({S.WAITING: S.DONE}),
    E.SKIP: Rule(
        {S.PENDING: S.SKIPPED, S.FAILED: S.SKIPPED, S.WAITING: S.SKIPPED},
        needs_reason=True,
        decision=True,
        doing="skip",
    ),
    E.MARK_DONE: Rule(
        {S.PENDING: S.DONE, S.FAILED: S.DONE, S.WAITING: S.DONE},
        needs_reason=True,
        decision=True,
        doing="mark a step done by hand",
    ),
    E.RETRY: Rule({S.FAILED: S.PENDING}, decision=True),
    E.UNSKIP: Rule({S.SKIPPED: S.PENDING}, decision=True),
    E.SETTLE_DONE: Rule({S.RUNNING: S.DONE}),
    E.SETTLE_NOT_DONE: Rule({S.RUNNING: S.PENDING}),
}

# The same table, keyed by (status, event), ordered by status as it reads best.
TRANSITIONS: dict[tuple[Status, Event], Status] = {
    (old, event): new
    for status in Status
    for event, rule in RULES.items()
    for old, new in rule.moves.items()
    if old is status
}

# The events the RM causes by hand, in the table's order.
DECISIONS = tuple(event for event, rule in RULES.items() if rule.decision)

# Events that must carry a human reason, because they bypass the step's own checks.
EVENTS_NEEDING_REASON = frozenset(event for event, rule in RULES.items() if rule.needs_reason)

# Statuses after which the plan may move on to the next step.
SETTLED = frozenset({S.DONE, S.SKIPPED})


def can(status: Status, event: Event) -> bool:
    """Whether a step in `status` may take `event`."""
    return status in RULES[event].moves


def statuses_allowing(event: Event) -> frozenset[Status]:
    """Every status from which `event` is allowed."""
    return frozenset(RULES[event].moves)


# What the engine may run (START), and what the RM may skip or mark done by hand.
RUNNABLE = statuses_allowing(E.START)
SKIPPABLE = statuses_allowing(E.SKIP)


def needs_reason(event: Event) -> bool:
    """Whether `event` must carry a reason from the RM."""
    return RULES[event].needs_reason


def require_reason(event: Event, reason: str) -> None:
    """Raise when `event` needs a reason and `reason` is blank."""
    if needs_reason(event) and not reason.strip():
        raise RmtuiError(
            f"a reason is required to {RULES[event].doing}",
            "say why, so the journal explains it later",
        )


def next_status(status: Status, event: Event) -> Status:
    """The status after `event`, or IllegalTransition naming what is allowed instead."""
    try:
        return TRANSITIONS[(status, event)]
    except KeyError:
        allowed = sorted(e.value for e in allowed_events(status))
        raise IllegalTransition(
            f"a {status.value} step cannot take the event {event.value!r}",
            f"from {status.value} the allowed events are: {', '.join(allowed) or 'none'}",
        ) from None


def allowed_events(status: Status) -> list[Event]:
    """The events a step in `status` may take, in the table's order."""
    return [event for event in Event if can(status, event)]
