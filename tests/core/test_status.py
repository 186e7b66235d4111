"""The step state machine: the whole (status, event) grid, and random walks through it."""

from __future__ import annotations

import itertools
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rmtui.core.errors import IllegalTransition, RmtuiError
from rmtui.core.status import (
    DECISIONS,
    EVENTS_NEEDING_REASON,
    RULES,
    RUNNABLE,
    SETTLED,
    SKIPPABLE,
    TRANSITIONS,
    Event,
    Status,
    allowed_events,
    can,
    needs_reason,
    next_status,
    require_reason,
    statuses_allowing,
)
from rmtui.core.step import Probe, Waiting
from rmtui.core.store import Journal, StateStore
from tests.helpers import FakeStep, new_engine

GRID = list(itertools.product(Status, Event))


@pytest.mark.parametrize(("status", "event"), GRID, ids=[f"{s}-{e}" for s, e in GRID])
def test_every_pair_follows_the_table_or_raises(status: Status, event: Event) -> None:
    if (status, event) in TRANSITIONS:
        assert next_status(status, event) is TRANSITIONS[(status, event)]
        return
    with pytest.raises(IllegalTransition) as caught:
        next_status(status, event)
    error = caught.value
    assert status.value in error.problem
    assert repr(event.value) in error.problem
    allowed = sorted(e.value for e in allowed_events(status))
    if allowed:
        assert ", ".join(allowed) in error.hint
    else:
        assert "none" in error.hint


def test_the_table_only_names_real_statuses_and_events() -> None:
    for (status, event), target in TRANSITIONS.items():
        assert isinstance(status, Status)
        assert isinstance(event, Event)
        assert isinstance(target, Status)


def test_the_grid_is_covered_exactly() -> None:
    legal = [(s, e) for s, e in GRID if (s, e) in TRANSITIONS]
    assert len(legal) == len(TRANSITIONS)
    assert len(GRID) == len(Status) * len(Event)


def test_every_status_is_reachable_from_pending() -> None:
    seen = {Status.PENDING}
    frontier = [Status.PENDING]
    while frontier:
        status = frontier.pop()
        for event in allowed_events(status):
            target = next_status(status, event)
            if target not in seen:
                seen.add(target)
                frontier.append(target)
    assert seen == set(Status)


def test_done_is_final_and_running_only_ends_through_the_engine() -> None:
    assert allowed_events(Status.DONE) == []
    assert set(allowed_events(Status.RUNNING)) == {
        Event.SUCCEED,
        Event.FAIL,
        Event.WAIT,
        Event.SETTLE_DONE,
        Event.SETTLE_NOT_DONE,
    }
    # Nobody may skip or mark done a step that is acting right now.
    for event in (Event.SKIP, Event.MARK_DONE, Event.RETRY, Event.START):
        assert (Status.RUNNING, event) not in TRANSITIONS


def test_settled_statuses_and_reasons() -> None:
    assert {Status.DONE, Status.SKIPPED} == SETTLED
    assert {Event.SKIP, Event.MARK_DONE} == EVENTS_NEEDING_REASON


@pytest.mark.parametrize(("status", "event"), GRID, ids=[f"{s}-{e}" for s, e in GRID])
def test_can_is_the_table(status: Status, event: Event) -> None:
    assert can(status, event) is ((status, event) in TRANSITIONS)
    assert (status in statuses_allowing(event)) is can(status, event)


def test_what_runs_and_what_may_be_skipped_comes_from_the_table() -> None:
    assert {Status.PENDING, Status.FAILED} == RUNNABLE
    assert {Status.PENDING, Status.FAILED, Status.WAITING} == SKIPPABLE
    assert statuses_allowing(Event.MARK_DONE) == SKIPPABLE
    assert statuses_allowing(Event.RETRY) == {Status.FAILED}


def test_the_table_says_which_events_need_a_reason() -> None:
    assert set(RULES) == set(Event), "every event has exactly one rule"
    for event in Event:
        assert needs_reason(event) is (event in EVENTS_NEEDING_REASON)
    for event, doing in ((Event.SKIP, "skip"), (Event.MARK_DONE, "mark a step done by hand")):
        for blank in ("", "   "):
            with pytest.raises(RmtuiError) as caught:
                require_reason(event, blank)
            assert caught.value.problem == f"a reason is required to {doing}"
            assert "journal" in caught.value.hint
        require_reason(event, "the docs server is down")
    for event in set(Event) - EVENTS_NEEDING_REASON:
        require_reason(event, "")


def test_the_rm_decides_skip_mark_done_retry_and_unskip() -> None:
    assert DECISIONS == (Event.SKIP, Event.MARK_DONE, Event.RETRY, Event.UNSKIP)
    assert set(DECISIONS) >= EVENTS_NEEDING_REASON


@given(st.lists(st.sampled_from(list(Event)), max_size=60))
def test_random_event_sequences_stay_inside_the_table(events: list[Event]) -> None:
    status = Status.PENDING
    for event in events:
        try:
            new = next_status(status, event)
        except IllegalTransition:
            assert (status, event) not in TRANSITIONS
            continue
        assert TRANSITIONS[(status, event)] is new
        assert new in Status
        status = new


# -- the same property through the engine, with the state and journal on disk ---------------

ACTIONS = [
    "run-ok",
    "run-fail",
    "run-wait",
    "skip",
    "mark_done",
    "retry",
    "unskip",
    "fulfil",
    "blank-skip",
    "blank-mark",
]


def _apply(engine: object, step: FakeStep, action: str, outcomes: list[str]) -> None:
    from rmtui.core.engine import Engine

    assert isinstance(engine, Engine)
    if action.startswith("run-"):
        outcomes.append(action)
        engine.run_step(step.id)
    elif action == "skip":
        engine.skip(step.id, "not needed in this test")
    elif action == "mark_done":
        engine.mark_done(step.id, "done by hand in this test")
    elif action == "blank-skip":
        engine.skip(step.id, "  ")
    elif action == "blank-mark":
        engine.mark_done(step.id, "")
    elif action == "retry":
        engine.retry(step.id)
    elif action == "unskip":
        engine.unskip(step.id)
    else:
        engine.fulfil(step.id, "Windows", "installer delivered")


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(st.lists(st.sampled_from(ACTIONS), min_size=1, max_size=14))
def test_random_engine_moves_never_reach_an_illegal_state(actions: list[str]) -> None:
    outcomes: list[str] = []

    def behaviour(_ctx: object) -> Waiting | None:
        kind = outcomes[-1]
        if kind == "run-fail":
            raise RmtuiError("the fake step failed", "retry it")
        if kind == "run-wait":
            return Waiting(("Windows",), "build the installer")
        return None

    with tempfile.TemporaryDirectory(prefix="sm", dir="/tmp") as tmp:
        step = FakeStep(
            "only", run=behaviour, probe=lambda _ctx: Probe.not_done("fake effect missing")
        )
        engine = new_engine(Path(tmp) / "ws", [step])
        store = StateStore(engine.release.state_path)
        with engine.opened():
            for action in actions:
                before = store.path.read_bytes()
                status_before = engine.state.steps["only"].status
                try:
                    _apply(engine, step, action, outcomes)
                except RmtuiError:
                    # A refused move changes nothing on disk.
                    assert store.path.read_bytes() == before
                    assert engine.state.steps["only"].status is status_before
                    continue
                record = store.load().steps["only"]
                assert record.status in Status
                assert record.status is not Status.RUNNING
                if action == "skip" and record.status is Status.SKIPPED:
                    assert record.reason == "not needed in this test"
                if action == "mark_done" and record.status is Status.DONE:
                    assert "done by hand in this test" in record.reason
        journal = Journal(engine.release.journal_path)
        state = store.load()
        assert journal.verify((state.journal_seq, state.journal_sha)) == []
        for entry in journal.entries():
            if entry["kind"] != "transition":
                continue
            assert TRANSITIONS[(Status(entry["old"]), Event(entry["event"]))] is Status(
                entry["new"]
            )
            if Event(entry["event"]) in EVENTS_NEEDING_REASON:
                assert entry["reason"].strip(), "skip and mark-done are journaled with a reason"
