"""Where a release stands: one value from the plan and the state, for every view that says so."""

from __future__ import annotations

import dataclasses

import pytest

from rmtui.core.standing import OVERALL, Standing, next_runnable, standing
from rmtui.core.status import Status
from rmtui.core.step import Plan, Step
from rmtui.core.store import ReleaseState, StepRecord
from tests.helpers import FakeStep


def _plan(*steps: Step) -> Plan:
    return Plan(tuple(steps))


def _state(**records: Status | tuple[Status, list[str]]) -> ReleaseState:
    """A state whose steps have the given statuses (a tuple adds the roles awaited)."""
    state = ReleaseState(version="3.14.0rc1")
    for step_id, spec in records.items():
        status, roles = spec if isinstance(spec, tuple) else (spec, [])
        state.steps[step_id] = StepRecord(status=status, waiting_on=roles)
    return state


RELEASE = _plan(
    FakeStep("tag"),
    FakeStep("handoff", requires=("tag",)),
    FakeStep("build", requires=("tag",)),
    FakeStep("sign", requires=("handoff", "build")),
    FakeStep("push", requires=("tag",)),
)
BOTH = (Status.WAITING, ["Windows", "macOS"])


def test_a_release_not_started() -> None:
    now = standing(RELEASE, _state())
    assert now == Standing("not started", 0, 5, "tag")
    assert now.line == "not started: 0/5 done or skipped · next tag"
    assert now.overall in OVERALL


def test_work_goes_on_around_a_wait() -> None:
    now = standing(RELEASE, _state(tag=Status.DONE, handoff=BOTH))
    assert now.overall == "in progress"
    assert now.next_step == "build"
    assert now.waiting == {"handoff": ("Windows", "macOS")}
    assert now.blocked == ""
    assert now.line == (
        "in progress: 1/5 done or skipped · next build · handoff waits on Windows, macOS"
    )


def test_blocked_names_the_step_awaited_and_from_whom() -> None:
    now = standing(RELEASE, _state(tag=Status.DONE, handoff=BOTH, build=Status.DONE))
    assert now.overall == "waiting"
    # push needs only tag, but comes after sign: the plan's order holds it back.
    assert now.next_step is None
    assert now.blocked == "sign needs handoff (waiting on Windows, macOS)"
    assert now.line == (
        "waiting: 2/5 done or skipped · blocked: sign needs handoff (waiting on Windows, macOS)"
    )


def test_blocked_names_every_step_awaited() -> None:
    plan = _plan(
        FakeStep("win"),
        FakeStep("mac"),
        FakeStep("docs"),
        FakeStep("sign", requires=("win", "mac")),
    )
    state = _state(
        win=(Status.WAITING, ["Windows"]),
        mac=(Status.WAITING, ["macOS"]),
        docs=(Status.WAITING, ["Docs"]),
    )
    now = standing(plan, state)
    assert now.blocked == (
        "sign needs win (waiting on Windows), mac (waiting on macOS); "
        "also waiting: docs (waiting on Docs)"
    )
    assert list(now.waiting) == ["win", "mac", "docs"]


def test_when_only_waits_are_left_they_are_all_named() -> None:
    plan = _plan(FakeStep("tag"), FakeStep("handoff"), FakeStep("docs"))
    state = _state(tag=Status.DONE, handoff=BOTH, docs=(Status.WAITING, ["Docs"]))
    now = standing(plan, state)
    assert now.overall == "waiting"
    assert now.blocked == (
        "waiting on others: handoff (waiting on Windows, macOS), docs (waiting on Docs)"
    )


def test_a_step_left_running_blocks_and_is_named() -> None:
    now = standing(RELEASE, _state(tag=Status.RUNNING))
    assert now.overall == "running"
    assert now.running == ("tag",)
    assert now.next_step is None
    assert now.blocked == "tag is running"
    assert "running tag" in now.line


def test_a_failed_step_is_what_runs_next() -> None:
    now = standing(RELEASE, _state(tag=Status.DONE, handoff=Status.FAILED))
    assert now.overall == "failed"
    assert now.failed == ("handoff",)
    assert now.next_step == "handoff"
    assert now.blocked == ""
    assert "failed handoff" in now.line


def test_skipped_requirements_count_as_settled() -> None:
    plan = _plan(FakeStep("a"), FakeStep("b"), FakeStep("c", requires=("a",)))
    now = standing(plan, _state(a=Status.SKIPPED, b=Status.SKIPPED, c=Status.SKIPPED))
    assert now.overall == "done" and now.complete
    unskipped = standing(plan, _state(a=Status.DONE, b=Status.SKIPPED))
    assert unskipped.next_step == "c"


def test_done_and_skipped_count_as_done() -> None:
    state = _state(
        tag=Status.DONE,
        handoff=Status.SKIPPED,
        build=Status.DONE,
        sign=Status.DONE,
        push=Status.DONE,
    )
    now = standing(RELEASE, state)
    assert now == Standing("done", 5, 5, None)
    assert now.line == "done: 5/5 done or skipped"
    assert now.progress == "5/5"


def test_standing_is_pure_and_frozen() -> None:
    state = _state(tag=Status.DONE)
    before = state.to_json()
    now = standing(RELEASE, state)
    assert state.to_json() == before, "steps missing from the state are not added to it"
    assert now.next_step == "handoff"
    with pytest.raises(dataclasses.FrozenInstanceError):
        now.overall = "done"  # type: ignore[misc]


def test_next_runnable_passes_over_waits_only() -> None:
    records = _state(tag=Status.DONE, handoff=BOTH, build=Status.PENDING).steps
    records.update({s: StepRecord() for s in ("sign", "push")})
    step = next_runnable(RELEASE, records)
    assert step is not None and step.id == "build"
