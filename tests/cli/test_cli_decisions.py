"""`rmtui skip`, `mark-done`, `retry`, `unskip` and `status` on a release whose steps never ran."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from rmtui.cli import main
from rmtui.core.status import Status
from rmtui.core.store import StateStore
from rmtui.usecases.lifecycle import create_release
from tests.helpers import fake_release, journal_lines


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    release = fake_release(tmp_path / "ws", "3.13.5")
    create_release(release)
    return release.workspace


def _rmtui(*args: str | Path) -> tuple[int, str, str]:
    done = CliRunner().invoke(main, [str(a) for a in args])
    return done.exit_code, done.stdout, done.stderr


def _status(workspace: Path) -> dict[str, object]:
    code, out, err = _rmtui("status", workspace, "--json")
    assert code == 0, err
    doc: dict[str, object] = json.loads(out)
    return doc


@pytest.mark.parametrize("command", ["skip", "mark-done"])
def test_the_state_model_says_skip_and_mark_done_need_a_reason(
    workspace: Path, command: str
) -> None:
    before = (workspace / "journal.jsonl").read_bytes()
    code, _out, err = _rmtui(command, workspace, "freeze", "--reason", "  ")
    assert code == 2
    assert f"error: {command} needs --reason" in err
    assert (workspace / "journal.jsonl").read_bytes() == before


def test_skip_then_unskip_is_journaled_with_its_reason(workspace: Path) -> None:
    code, out, err = _rmtui("skip", workspace, "freeze", "--reason", "frozen by hand")
    assert code == 0, err
    assert "freeze: skipped (frozen by hand)" in out
    steps = {s["id"]: s for s in _status(workspace)["steps"]}  # type: ignore[attr-defined]
    assert steps["freeze"]["status"] == "skipped"
    code, out, err = _rmtui("unskip", workspace, "freeze")
    assert code == 0, err
    events = [e["event"] for e in journal_lines(workspace) if e["kind"] == "transition"]
    assert events == ["skip", "unskip"]


def test_retry_of_a_pending_step_is_refused_by_the_table(workspace: Path) -> None:
    code, _out, err = _rmtui("retry", workspace, "freeze")
    assert code == 2
    assert "a pending step cannot take the event 'retry'" in err
    assert "the allowed events are: mark_done, skip, start" in err


def test_status_of_a_new_release_says_what_runs_next(workspace: Path) -> None:
    doc = _status(workspace)
    assert doc["overall"] == "not started"
    assert doc["next"] == "preflight"
    assert doc["blocked"] == "" and doc["waiting"] == {}
    assert str(doc["line"]).startswith("not started: 0/")
    code, out, err = _rmtui("status", workspace)
    assert code == 0, err
    assert "next: preflight" in out


def test_mark_done_by_hand_counts_in_the_standing(workspace: Path) -> None:
    code, _out, err = _rmtui("mark-done", workspace, "preflight", "--reason", "checked")
    assert code == 0, err
    doc = _status(workspace)
    assert doc["progress"]["done"] == 1  # type: ignore[index]
    assert doc["overall"] == "in progress"
    assert doc["next"] == "signing.preflight"


def test_status_says_what_runs_next_and_who_is_awaited_meanwhile(workspace: Path) -> None:
    in_order = [step["id"] for step in _status(workspace)["steps"]]  # type: ignore[attr-defined]
    store = StateStore(workspace / "state.json")
    state = store.load()
    for step_id in in_order[: in_order.index("handoff.experts")]:
        state.steps[step_id].status = Status.DONE
    state.steps["handoff.experts"].status = Status.WAITING
    state.steps["handoff.experts"].waiting_on = ["Windows", "macOS"]
    store.save(state)
    doc = _status(workspace)
    assert doc["overall"] == "in progress"
    assert doc["next"] == "export.source"
    assert doc["waiting"] == {"handoff.experts": ["Windows", "macOS"]}
    code, out, err = _rmtui("status", workspace)
    assert code == 0, err
    assert "next: export.source" in out
    assert "meanwhile handoff.experts waits on Windows, macOS" in out
