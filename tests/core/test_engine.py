"""The engine over fake steps: order, write-ahead, failures, manual moves, and resume by probe."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from rmtui.core.errors import RmtuiError, StateError, StepFailed
from rmtui.core.events import FactRecorded, Notice
from rmtui.core.redact import MASK, register_secret
from rmtui.core.status import Event, Status
from rmtui.core.step import Probe, StepContext, Waiting
from rmtui.core.store import StateStore
from tests.helpers import (
    FakeStep,
    RecordingListener,
    ScriptedPrompter,
    journal_lines,
    new_engine,
    workspace_files,
)


def _ws(tmp_path: Path) -> Path:
    return tmp_path / "ws"


def _status(workspace: Path, step_id: str) -> Status:
    return StateStore(workspace / "state.json").load().steps[step_id].status


def test_initialise_creates_state_and_journal_once(tmp_path: Path) -> None:
    engine = new_engine(_ws(tmp_path), [FakeStep("one"), FakeStep("two")])
    workspace = engine.release.workspace
    state = StateStore(workspace / "state.json").load()
    assert list(state.steps) == ["one", "two"]
    assert all(r.status is Status.PENDING for r in state.steps.values())
    first = journal_lines(workspace)[0]
    assert first["kind"] == "release.created"
    assert first["plan"] == ["one", "two"]
    assert first["version"] == "3.14.0rc1" and first["rehearsal"] is True
    before = workspace_files(workspace)
    with pytest.raises(StateError) as caught:
        engine.initialise()
    assert "already holds a release" in caught.value.problem
    assert "rmtui run" in caught.value.hint
    assert workspace_files(workspace) == before


def test_steps_run_in_plan_order_and_events_reach_listeners(tmp_path: Path) -> None:
    listener = RecordingListener()

    def say(ctx: StepContext) -> None:
        ctx.output("hello from two")
        ctx.progress(1, 2, "half")

    steps = [FakeStep("one"), FakeStep("two", run=say), FakeStep("three")]
    engine = new_engine(_ws(tmp_path), steps, listener=listener)
    with engine.opened():
        assert engine.run_until() is Status.DONE
        assert engine.is_complete()
        assert engine.progress() == (3, 3)
    assert listener.transitions() == [
        ("one", Status.PENDING, Status.RUNNING),
        ("one", Status.RUNNING, Status.DONE),
        ("two", Status.PENDING, Status.RUNNING),
        ("two", Status.RUNNING, Status.DONE),
        ("three", Status.PENDING, Status.RUNNING),
        ("three", Status.RUNNING, Status.DONE),
    ]
    assert listener.output("two") == ["hello from two"]
    log = (engine.release.logs / "two.log").read_text()
    assert "hello from two" in log and "attempt 1" in log and "DONE" in log
    assert [s.runs for s in steps] == [1, 1, 1]


def test_a_step_is_marked_running_and_journaled_before_it_acts(tmp_path: Path) -> None:
    seen: dict[str, object] = {}

    def look_at_disk(ctx: StepContext) -> None:
        workspace = ctx.workspace
        seen["status"] = _status(workspace, "one")
        seen["last"] = journal_lines(workspace)[-1]

    engine = new_engine(_ws(tmp_path), [FakeStep("one", run=look_at_disk)])
    with engine.opened():
        engine.run_step("one")
    assert seen["status"] is Status.RUNNING
    last = seen["last"]
    assert isinstance(last, dict)
    assert (last["kind"], last["step"], last["new"]) == ("transition", "one", "running")


def test_run_until_stops_after_the_named_step(tmp_path: Path) -> None:
    steps = [FakeStep("one"), FakeStep("two"), FakeStep("three")]
    engine = new_engine(_ws(tmp_path), steps)
    with engine.opened():
        engine.run_until("two")
        assert [engine.state.steps[s].status for s in ("one", "two", "three")] == [
            Status.DONE,
            Status.DONE,
            Status.PENDING,
        ]
        assert engine.next_step() is steps[2]
        with pytest.raises(RmtuiError) as caught:
            engine.run_until("nope")
        assert "no step 'nope'" in caught.value.problem
        assert "one, two, three" in caught.value.hint


def test_a_failing_step_stops_the_run_with_its_error_and_hint(tmp_path: Path) -> None:
    def fail(_ctx: StepContext) -> None:
        raise StepFailed("the tree is dirty", "stash your changes")

    engine = new_engine(_ws(tmp_path), [FakeStep("one", run=fail), FakeStep("two")])
    with engine.opened():
        assert engine.run_until() is Status.FAILED
        record = engine.state.steps["one"]
        assert (record.error, record.hint) == ("the tree is dirty", "stash your changes")
        assert engine.state.steps["two"].status is Status.PENDING
        assert "FAILED: the tree is dirty" in (engine.release.logs / "one.log").read_text()


def test_an_unexpected_exception_fails_the_step_with_a_traceback_in_the_log(
    tmp_path: Path,
) -> None:
    def crash(_ctx: StepContext) -> None:
        raise KeyError("boom")

    engine = new_engine(_ws(tmp_path), [FakeStep("one", run=crash)])
    with engine.opened():
        assert engine.run_step("one") is Status.FAILED
        record = engine.state.steps["one"]
        assert "unexpected error: KeyError" in record.error
        assert "one.log" in record.hint
    assert "Traceback" in (engine.release.logs / "one.log").read_text()


def test_retry_after_failure_runs_again(tmp_path: Path) -> None:
    attempts: list[int] = []

    def flaky(_ctx: StepContext) -> None:
        attempts.append(1)
        if len(attempts) == 1:
            raise StepFailed("network down", "retry")

    engine = new_engine(_ws(tmp_path), [FakeStep("one", run=flaky)])
    with engine.opened():
        assert engine.run_step("one") is Status.FAILED
        assert engine.retry("one") is Status.PENDING
        assert engine.run_step("one") is Status.DONE
        assert engine.state.steps["one"].attempts == 2
        assert engine.state.steps["one"].error == ""


def test_a_failed_step_may_run_again_directly(tmp_path: Path) -> None:
    calls: list[int] = []

    def once_bad(_ctx: StepContext) -> None:
        calls.append(1)
        if len(calls) == 1:
            raise StepFailed("no", "again")

    engine = new_engine(_ws(tmp_path), [FakeStep("one", run=once_bad)])
    with engine.opened():
        engine.run_until()
        assert engine.run_until() is Status.DONE


def test_skip_and_mark_done_need_a_reason_and_journal_it(tmp_path: Path) -> None:
    engine = new_engine(_ws(tmp_path), [FakeStep("one"), FakeStep("two"), FakeStep("three")])
    workspace = engine.release.workspace
    with engine.opened():
        for action in (engine.skip, engine.mark_done):
            before = workspace_files(workspace)
            with pytest.raises(RmtuiError) as caught:
                action("one", "   ")
            assert "reason is required" in caught.value.problem
            assert workspace_files(workspace) == before
        engine.skip("one", "no Windows build this time")
        engine.mark_done("two", "pushed from another machine")
        assert engine.state.steps["one"].reason == "no Windows build this time"
        assert engine.state.steps["two"].reason == "by hand: pushed from another machine"
        next_step = engine.next_step()
        assert next_step is not None and next_step.id == "three"
        assert engine.unskip("one") is Status.PENDING
    moves = [
        (e["step"], e["event"], e["reason"])
        for e in journal_lines(workspace)
        if e["kind"] == "transition"
    ]
    assert ("one", "skip", "no Windows build this time") in moves
    assert ("two", "mark_done", "by hand: pushed from another machine") in moves


def test_illegal_manual_moves_raise_and_change_nothing(tmp_path: Path) -> None:
    engine = new_engine(_ws(tmp_path), [FakeStep("one")])
    workspace = engine.release.workspace
    with engine.opened():
        engine.run_step("one")
        before = workspace_files(workspace)
        moves: list[Callable[[], object]] = [
            lambda: engine.retry("one"),
            lambda: engine.skip("one", "why not"),
            lambda: engine.run_step("one"),
            lambda: engine.unskip("one"),
        ]
        for move in moves:
            with pytest.raises(RmtuiError):
                move()
        assert workspace_files(workspace) == before


def test_a_done_step_is_not_run_twice(tmp_path: Path) -> None:
    step = FakeStep("one")
    engine = new_engine(_ws(tmp_path), [step])
    with engine.opened():
        engine.run_step("one")
        with pytest.raises(RmtuiError) as caught:
            engine.run_step("one")
    assert "only pending or failed steps run" in caught.value.problem
    assert "already done" in caught.value.hint
    assert step.runs == 1


def test_requirements_hold_a_step_back(tmp_path: Path) -> None:
    def fail(_ctx: StepContext) -> None:
        raise StepFailed("nope", "fix")

    steps = [FakeStep("one", run=fail), FakeStep("two", requires=("one",))]
    engine = new_engine(_ws(tmp_path), steps)
    with engine.opened():
        engine.run_until()
        with pytest.raises(RmtuiError) as caught:
            engine.run_step("two")
        assert "two needs one" in caught.value.problem
        engine.skip("one", "done elsewhere")
        assert engine.run_step("two") is Status.DONE


def test_a_probe_that_finds_the_effect_skips_the_work(tmp_path: Path) -> None:
    step = FakeStep("one", probe=lambda _ctx: Probe.done("already there", {"tag.sha": "f" * 40}))
    engine = new_engine(_ws(tmp_path), [step])
    with engine.opened():
        assert engine.run_step("one") is Status.DONE
        assert step.runs == 0
        assert engine.state.steps["one"].reason == "already in place: already there"
        assert engine.state.fact("tag.sha") == "f" * 40


def test_an_inconsistent_world_fails_the_step_without_acting(tmp_path: Path) -> None:
    step = FakeStep("one", probe=lambda _ctx: Probe.inconsistent("the tag moved"))
    engine = new_engine(_ws(tmp_path), [step])
    with engine.opened():
        assert engine.run_step("one") is Status.FAILED
        assert step.runs == 0
        assert engine.state.steps["one"].error == "the tag moved"


def test_waiting_steps_are_passed_over_and_fulfilled(tmp_path: Path) -> None:
    def hand_off(_ctx: StepContext) -> Waiting:
        return Waiting(("Windows", "macOS"), "build the installers")

    steps = [FakeStep("handoff", run=hand_off), FakeStep("after")]
    listener = RecordingListener()
    engine = new_engine(_ws(tmp_path), steps, listener=listener)
    with engine.opened():
        assert engine.run_step("handoff") is Status.WAITING
        record = engine.state.steps["handoff"]
        assert record.waiting_on == ["Windows", "macOS"]
        assert record.reason == "build the installers"
        assert engine.next_step() is steps[1]
        with pytest.raises(RmtuiError):
            engine.fulfil("handoff", "Linux")
        assert engine.fulfil("handoff", "Windows") is Status.WAITING
        assert engine.state.steps["handoff"].waiting_on == ["macOS"]
        assert engine.fulfil("handoff", "macOS") is Status.DONE
    assert any(isinstance(e, Notice) and "still waiting" in e.text for e in listener.events)


def test_points_of_no_return_need_confirmation(tmp_path: Path) -> None:
    step = FakeStep("push", irreversible=True)
    prompter = ScriptedPrompter(False, True)
    engine = new_engine(_ws(tmp_path), [step], prompter=prompter)
    with engine.opened():
        assert engine.run_step("push") is Status.PENDING
        assert step.runs == 0
        assert engine.run_step("push") is Status.DONE
        assert step.runs == 1
    asked = [q for q in prompter.questions if q.kind == "point-of-no-return"]
    assert len(asked) == 2 and "push" in asked[0].text
    assert "fake push" in asked[0].detail
    confirmations = [
        e["confirmed"]
        for e in journal_lines(engine.release.workspace)
        if e["kind"] == "point-of-no-return"
    ]
    assert confirmations == [False, True]


def test_steps_ask_through_the_prompter(tmp_path: Path) -> None:
    answers: list[object] = []

    def ask(ctx: StepContext) -> None:
        answers.append(ctx.prompter.confirm("Is the branch frozen?", detail="on GitHub"))
        answers.append(ctx.prompter.choice("Which?", ["a", "b"]))

    prompter = ScriptedPrompter(True, "b")
    engine = new_engine(_ws(tmp_path), [FakeStep("one", run=ask)], prompter=prompter)
    with engine.opened():
        assert engine.run_step("one") is Status.DONE
    assert answers == [True, "b"]
    assert [q.text for q in prompter.questions] == ["Is the branch frozen?", "Which?"]


def test_facts_are_recorded_durably_and_required_by_later_steps(tmp_path: Path) -> None:
    listener = RecordingListener()
    got: list[object] = []

    def record(ctx: StepContext) -> None:
        ctx.record_fact("release.commit_sha", "a" * 40)

    def need(ctx: StepContext) -> None:
        got.append(ctx.facts.require("release.commit_sha"))
        ctx.facts.require("tag.object_sha")

    steps = [FakeStep("commit", run=record), FakeStep("tag", run=need)]
    engine = new_engine(_ws(tmp_path), steps, listener=listener)
    with engine.opened():
        engine.run_until()
        tag = engine.state.steps["tag"]
    assert got == ["a" * 40]
    assert tag.status is Status.FAILED
    assert "'tag.object_sha' has not been recorded" in tag.error
    state = StateStore(engine.release.state_path).load()
    assert state.facts["release.commit_sha"]["step"] == "commit"
    assert state.fact("release.commit_sha") == "a" * 40
    assert FactRecorded("commit", "release.commit_sha", "a" * 40) in listener.events


def test_secrets_in_step_output_are_redacted_everywhere(tmp_path: Path) -> None:
    register_secret("s3cret-passphrase")
    listener = RecordingListener()

    def leak(ctx: StepContext) -> None:
        ctx.output("gpg: using passphrase s3cret-passphrase")
        raise StepFailed("bad passphrase s3cret-passphrase", "type it again")

    engine = new_engine(_ws(tmp_path), [FakeStep("sign", run=leak)], listener=listener)
    with engine.opened():
        engine.run_step("sign")
    workspace = engine.release.workspace
    for path in (
        workspace / "state.json",
        workspace / "journal.jsonl",
        workspace / "logs/sign.log",
    ):
        assert "s3cret-passphrase" not in path.read_text()
    assert listener.output("sign") == [f"gpg: using passphrase {MASK}"]


def test_a_read_only_view_cannot_change_the_release(tmp_path: Path) -> None:
    engine = new_engine(_ws(tmp_path), [FakeStep("one")])
    engine.peek()
    before = workspace_files(engine.release.workspace)
    with pytest.raises(RmtuiError) as caught:
        engine.skip("one", "why")
    assert "read-only" in caught.value.problem
    assert workspace_files(engine.release.workspace) == before


def test_opening_a_corrupt_state_changes_nothing_and_frees_the_lock(tmp_path: Path) -> None:
    engine = new_engine(_ws(tmp_path), [FakeStep("one")])
    state_path = engine.release.state_path
    state_path.write_text(state_path.read_text()[:40])
    before = workspace_files(engine.release.workspace)
    with pytest.raises(StateError) as caught:
        engine.open()
    assert "corrupt or truncated" in caught.value.problem
    assert workspace_files(engine.release.workspace) == before
    assert not engine.lock.held
    engine.lock.acquire()
    engine.lock.release()


# -- run on around a wait ---------------------------------------------------------------------


def _hand_off(_ctx: StepContext) -> Waiting:
    return Waiting(("Windows", "macOS"), "build the installers")


def test_run_on_goes_on_around_a_wait_and_says_what_is_awaited(tmp_path: Path) -> None:
    steps = [
        FakeStep("tag"),
        FakeStep("handoff", run=_hand_off, requires=("tag",)),
        FakeStep("tarballs", requires=("tag",)),
        FakeStep("sbom", requires=("tarballs",)),
        FakeStep("sign", requires=("handoff", "sbom")),
        FakeStep("push", requires=("tag",), irreversible=True),
    ]
    engine = new_engine(_ws(tmp_path), steps, ScriptedPrompter(confirm_by_default=True))
    with engine.opened():
        assert engine.run_until() is Status.WAITING
        statuses = {sid: r.status for sid, r in engine.state.steps.items()}
        assert statuses == {
            "tag": Status.DONE,
            "handoff": Status.WAITING,
            "tarballs": Status.DONE,
            "sbom": Status.DONE,
            "sign": Status.PENDING,
            "push": Status.PENDING,
        }
        # push needs only the tag, but the plan's order keeps it after signing.
        assert steps[5].runs == 0
        assert engine.next_step() is None
        assert engine.blocked_reason() == "sign needs handoff (waiting on Windows, macOS)"
        assert engine.standing().overall == "waiting"
        # Nothing left to run: a second run-on changes nothing and says the same.
        assert engine.run_until() is Status.WAITING
        engine.fulfil("handoff", "Windows")
        engine.fulfil("handoff", "macOS")
        assert engine.run_until() is Status.DONE
        assert engine.is_complete()
    assert [s.runs for s in steps] == [1, 1, 1, 1, 1, 1]


def test_run_on_still_stops_at_a_failure_after_a_wait(tmp_path: Path) -> None:
    def broken(_ctx: StepContext) -> None:
        raise StepFailed("the tarball is wrong", "look at it")

    steps = [
        FakeStep("handoff", run=_hand_off),
        FakeStep("tarballs", run=broken),
        FakeStep("sbom"),
    ]
    engine = new_engine(_ws(tmp_path), steps)
    with engine.opened():
        assert engine.run_until() is Status.FAILED
        assert engine.state.steps["handoff"].status is Status.WAITING
        assert engine.state.steps["sbom"].status is Status.PENDING
        assert engine.standing().overall == "failed"


def test_run_on_with_stop_after_a_step_behind_a_wait(tmp_path: Path) -> None:
    steps = [FakeStep("handoff", run=_hand_off), FakeStep("tarballs"), FakeStep("sbom")]
    engine = new_engine(_ws(tmp_path), steps)
    with engine.opened():
        assert engine.run_until("tarballs") is Status.DONE
        assert engine.state.steps["sbom"].status is Status.PENDING
        assert engine.state.steps["handoff"].status is Status.WAITING


def test_only_runnable_statuses_run(tmp_path: Path) -> None:
    engine = new_engine(_ws(tmp_path), [FakeStep("handoff", run=_hand_off)])
    with engine.opened():
        engine.run_step("handoff")
        with pytest.raises(RmtuiError) as caught:
            engine.run_step("handoff")
        assert caught.value.problem == "handoff is waiting; only pending or failed steps run"
        assert "rmtui handoff import" in caught.value.hint


def test_the_rms_decisions_go_through_one_door(tmp_path: Path) -> None:
    steps = [FakeStep("one", run=_hand_off), FakeStep("two")]
    engine = new_engine(_ws(tmp_path), steps)
    with engine.opened():
        before = workspace_files(engine.release.workspace)
        with pytest.raises(RmtuiError) as caught:
            engine.decide("one", Event.SUCCEED)
        assert caught.value.problem == "'succeed' is not a decision the RM makes"
        assert caught.value.hint == "the RM may skip, mark_done, retry, unskip"
        with pytest.raises(RmtuiError, match="a reason is required to skip"):
            engine.decide("one", Event.SKIP, " ")
        assert workspace_files(engine.release.workspace) == before
        assert engine.decide("two", Event.SKIP, "not this time") is Status.SKIPPED
        assert engine.decide("two", Event.UNSKIP, "after all") is Status.PENDING
        assert engine.state.steps["two"].reason == "after all"
        assert engine.decide("two", Event.MARK_DONE, "did it") is Status.DONE
        assert engine.state.steps["two"].reason == "by hand: did it"
