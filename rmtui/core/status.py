"""Step statuses and the explicit table of the transitions between them."""

from __future__ import annotations

import enum

from rmtui.core.errors import IllegalTransition


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

TRANSITIONS: dict[tuple[Status, Event], Status] = {
    (S.PENDING, E.START): S.RUNNING,
    (S.PENDING, E.SKIP): S.SKIPPED,
    (S.PENDING, E.MARK_DONE): S.DONE,
    (S.RUNNING, E.SUCCEED): S.DONE,
    (S.RUNNING, E.FAIL): S.FAILED,
    (S.RUNNING, E.WAIT): S.WAITING,
    (S.RUNNING, E.SETTLE_DONE): S.DONE,
    (S.RUNNING, E.SETTLE_NOT_DONE): S.PENDING,
    (S.FAILED, E.RETRY): S.PENDING,
    (S.FAILED, E.START): S.RUNNING,
    (S.FAILED, E.SKIP): S.SKIPPED,
    (S.FAILED, E.MARK_DONE): S.DONE,
    (S.WAITING, E.FULFIL): S.DONE,
    (S.WAITING, E.FAIL): S.FAILED,
    (S.WAITING, E.MARK_DONE): S.DONE,
    (S.WAITING, E.SKIP): S.SKIPPED,
    (S.SKIPPED, E.UNSKIP): S.PENDING,
}

# Events that must carry a human reason, because they bypass the step's own checks.
EVENTS_NEEDING_REASON = frozenset({E.SKIP, E.MARK_DONE})

# Statuses after which the plan may move on to the next step.
SETTLED = frozenset({S.DONE, S.SKIPPED})


def next_status(status: Status, event: Event) -> Status:
    """The status after `event`, or IllegalTransition naming what is allowed instead."""
    try:
        return TRANSITIONS[(status, event)]
    except KeyError:
        allowed = sorted(e.value for (s, e) in TRANSITIONS if s is status)
        raise IllegalTransition(
            f"a {status.value} step cannot take the event {event.value!r}",
            f"from {status.value} the allowed events are: {', '.join(allowed) or 'none'}",
        ) from None


def allowed_events(status: Status) -> list[Event]:
    return [e for (s, e) in TRANSITIONS if s is status]
