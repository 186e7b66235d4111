"""Resume by probe: a step left running when rmtui died is settled by what its probe finds."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from rmtui.core.engine import Engine
from rmtui.core.resume import Interruption, Settlement
from rmtui.core.status import Status
from rmtui.core.step import Probe, StepContext
from rmtui.core.store import Journal, StateStore
from tests.helpers import FakeStep, new_engine


def _ws(tmp_path: Path) -> Path:
    return tmp_path / "ws"


def _status(workspace: Path, step_id: str) -> Status:
    return StateStore(workspace / "state.json").load().steps[step_id].status


def _leave_running(tmp_path: Path, step: FakeStep) -> Path:
    """A release whose step `one` was running when its process died."""
    engine = new_engine(_ws(tmp_path), [step, FakeStep("two")])
    with engine.opened():
        engine.run_step("one")
    store = StateStore(engine.release.state_path)
    # Edit state.json as a kill between "running" and "done" leaves it.
    data = json.loads(store.path.read_text())
    data["steps"]["one"]["status"] = "running"
    data["steps"]["one"]["finished"] = None
    store.path.write_text(json.dumps(data))
    return engine.release.workspace


def _reopen(workspace: Path, step: FakeStep) -> Engine:
    return new_engine(workspace, [step, FakeStep("two")], initialise=False)


def test_resume_probe_done_settles_done_without_running_again(tmp_path: Path) -> None:
    step = FakeStep("one", probe=lambda _ctx: Probe.done("tag in place", {"tag.sha": "e" * 40}))
    workspace = _leave_running(tmp_path, step)
    step.runs = 0
    engine = _reopen(workspace, step)
    with engine.opened() as interruptions:
        assert [i.step_id for i in interruptions] == ["one"]
        record = engine.state.steps["one"]
        assert record.status is Status.DONE
        assert "resumed" in record.reason and "tag in place" in record.reason
        assert engine.state.fact("tag.sha") == "e" * 40
        engine.run_until()
    assert step.runs == 0
    assert _status(workspace, "two") is Status.DONE


def test_resume_probe_not_done_runs_the_step_again(tmp_path: Path) -> None:
    step = FakeStep("one", probe=lambda _ctx: Probe.not_done("no tag"))
    workspace = _leave_running(tmp_path, step)
    step.runs = 0
    engine = _reopen(workspace, step)
    with engine.opened():
        assert engine.state.steps["one"].status is Status.PENDING
        engine.run_until()
        assert engine.state.steps["one"].attempts == 2
    assert step.runs == 1
    assert _status(workspace, "one") is Status.DONE


@pytest.mark.parametrize(
    "probe",
    [Probe.unknown("cannot reach GitHub"), Probe.inconsistent("tag points elsewhere")],
    ids=["unknown", "inconsistent"],
)
def test_resume_an_undecided_probe_fails_for_the_rm(tmp_path: Path, probe: Probe) -> None:
    step = FakeStep("one", probe=lambda _ctx: probe, check="the tag on the fork")
    workspace = _leave_running(tmp_path, step)
    step.runs = 0
    engine = _reopen(workspace, step)
    with engine.opened():
        record = engine.state.steps["one"]
        assert record.status is Status.FAILED
        assert record.error.startswith("interrupted: check the tag on the fork")
        assert probe.why in record.error
        assert record.hint
    assert step.runs == 0


def test_resume_a_probe_that_crashes_counts_as_unknown(tmp_path: Path) -> None:
    def broken(_ctx: StepContext) -> Probe:
        raise OSError("disk on fire")

    step = FakeStep("one", probe=broken)
    workspace = _leave_running(tmp_path, FakeStep("one"))
    engine = _reopen(workspace, step)
    with engine.opened():
        record = engine.state.steps["one"]
        assert record.status is Status.FAILED
        assert "the probe itself failed: OSError: disk on fire" in record.error


def test_the_rm_may_overrule_the_probe(tmp_path: Path) -> None:
    step = FakeStep("one", probe=lambda _ctx: Probe.unknown("no idea"))
    workspace = _leave_running(tmp_path, step)
    engine = _reopen(workspace, step)
    with engine.opened(auto_settle=False) as interruptions:
        assert interruptions == [Interruption("one", Probe.unknown("no idea"))]
        assert engine.default_settlement(interruptions[0].probe) is Settlement.MARK_FAILED
        assert engine.settle(interruptions[0], Settlement.ACCEPT_DONE) is Status.DONE


def test_a_crash_between_journal_and_state_write_is_resumed(tmp_path: Path) -> None:
    # The journal is written first: a kill before state.json is saved leaves the journal one
    # line ahead. That is a consistent history and must open.
    engine = new_engine(_ws(tmp_path), [FakeStep("one"), FakeStep("two")])
    workspace = engine.release.workspace
    before_state = (workspace / "state.json").read_bytes()
    with engine.opened():
        engine.run_step("one")
    (workspace / "state.json").write_bytes(before_state)
    again = new_engine(workspace, [FakeStep("one"), FakeStep("two")], initialise=False)
    with again.opened():
        again.run_until()
        assert again.is_complete()
    state = StateStore(workspace / "state.json").load()
    assert Journal(workspace / "journal.jsonl").verify((state.journal_seq, state.journal_sha)) == []
