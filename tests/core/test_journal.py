"""The hash-chained journal: an untouched one verifies, every kind of tampering is caught."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner

from rmtui.cli import main
from rmtui.core.engine import Engine
from rmtui.core.errors import JournalError
from rmtui.core.redact import MASK, register_secret
from rmtui.core.release import load_release, write_release_file
from rmtui.core.step import Plan
from rmtui.core.store import GENESIS, Journal, StateStore
from tests.helpers import FakeStep, ScriptedPrompter, new_engine, rmtui, workspace_files


def _journal(tmp_path: Path, lines: int = 6) -> Journal:
    journal = Journal(tmp_path / "journal.jsonl")
    for n in range(lines):
        journal.append("note", f"2026-11-01T10:00:{n:02d}Z", step="x", n=n)
    return journal


def _lines(path: Path) -> list[bytes]:
    return path.read_bytes().splitlines(keepends=True)


def test_each_line_carries_the_hash_of_the_one_before(tmp_path: Path) -> None:
    journal = _journal(tmp_path, 4)
    raw = journal.path.read_bytes().splitlines()
    entries = journal.entries()
    assert [e["seq"] for e in entries] == [1, 2, 3, 4]
    assert entries[0]["prev"] == GENESIS
    for before, entry in zip(raw, entries[1:], strict=False):
        assert entry["prev"] == hashlib.sha256(before).hexdigest()
    assert journal.head() == (4, hashlib.sha256(raw[-1]).hexdigest())
    assert Journal(journal.path).head() == journal.head(), "the head is re-read from disk"


def test_an_untouched_journal_verifies(tmp_path: Path) -> None:
    journal = _journal(tmp_path)
    assert journal.verify() == []
    assert journal.verify(journal.head()) == []
    assert Journal(tmp_path / "missing.jsonl").verify() == []


def test_secrets_never_reach_the_journal(tmp_path: Path) -> None:
    register_secret("pa55phrase-for-the-key")
    journal = Journal(tmp_path / "journal.jsonl")
    journal.append("note", "t", detail="gpg said pa55phrase-for-the-key was wrong")
    assert "pa55phrase" not in journal.path.read_text()
    assert MASK in journal.entries()[0]["detail"]
    assert journal.verify(journal.head()) == []


def test_secrets_that_json_escapes_never_reach_the_journal(tmp_path: Path) -> None:
    secret = 'pa"ss\\w0rd'
    register_secret(secret)
    journal = Journal(tmp_path / "journal.jsonl")
    journal.append("note", "t", detail=f"wrong passphrase {secret}", extra={"k": secret})
    text = journal.path.read_text()
    assert secret not in text and json.dumps(secret)[1:-1] not in text
    assert journal.entries()[0]["detail"] == f"wrong passphrase {MASK}"
    assert journal.verify(journal.head()) == []


def _edit(path: Path) -> None:
    lines = _lines(path)
    lines[2] = lines[2].replace(b'"n": 2', b'"n": 7')
    path.write_bytes(b"".join(lines))


def _remove(path: Path) -> None:
    lines = _lines(path)
    del lines[2]
    path.write_bytes(b"".join(lines))


def _reorder(path: Path) -> None:
    lines = _lines(path)
    lines[1], lines[3] = lines[3], lines[1]
    path.write_bytes(b"".join(lines))


def _garble(path: Path) -> None:
    lines = _lines(path)
    lines[1] = b"{not json\n"
    path.write_bytes(b"".join(lines))


def _cut_mid_line(path: Path) -> None:
    path.write_bytes(path.read_bytes()[:-10])


TAMPERING = {
    "edited": (_edit, "line 4 (seq 4) does not follow line 3"),
    "removed": (_remove, "does not follow line 2"),
    "reordered": (_reorder, "lines were removed or reordered"),
    "not json": (_garble, "line 2 is not a journal entry"),
    "cut mid-line": (_cut_mid_line, "incomplete"),
}


@pytest.mark.parametrize("case", list(TAMPERING))
def test_tampering_in_the_middle_is_detected(tmp_path: Path, case: str) -> None:
    tamper, expected = TAMPERING[case]
    journal = _journal(tmp_path)
    head = journal.head()
    tamper(journal.path)
    problems = Journal(journal.path).verify(head)
    assert problems, f"{case} went unnoticed"
    assert any(expected in p for p in problems), problems


def test_a_truncated_tail_is_caught_against_the_state_head(tmp_path: Path) -> None:
    journal = _journal(tmp_path)
    head = journal.head()
    lines = _lines(journal.path)
    journal.path.write_bytes(b"".join(lines[:-2]))
    fresh = Journal(journal.path)
    assert fresh.verify() == [], "without the state's head a clean cut looks whole"
    problems = fresh.verify(head)
    assert any("truncated" in p for p in problems), problems


def test_an_edit_of_the_last_line_the_state_saw_is_caught(tmp_path: Path) -> None:
    journal = _journal(tmp_path)
    head = journal.head()
    lines = _lines(journal.path)
    lines[-1] = lines[-1].replace(b'"n": 5', b'"n": 9')
    journal.path.write_bytes(b"".join(lines))
    problems = Journal(journal.path).verify(head)
    assert any("last one the state file saw, was changed" in p for p in problems), problems


def test_reading_a_damaged_journal_is_a_journal_error(tmp_path: Path) -> None:
    journal = _journal(tmp_path)
    _garble(journal.path)
    with pytest.raises(JournalError) as caught:
        Journal(journal.path).entries()
    assert "line 2" in caught.value.problem
    _cut_mid_line(journal.path)
    with pytest.raises(JournalError) as caught:
        Journal(journal.path).head()
    assert "incomplete" in caught.value.problem


# -- through the engine and `rmtui journal --verify` ----------------------------------------


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    """A release whose three fake steps all ran: a dozen journal lines, state at the head."""
    steps = [FakeStep("one"), FakeStep("two"), FakeStep("three")]
    engine = new_engine(tmp_path / "ws", steps)
    write_release_file(engine.release)
    with engine.opened():
        engine.run_until()
        engine.record_fact("three", "release.commit_sha", "c" * 40)
    return engine.release.workspace


def _verify(workspace: Path) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["journal", str(workspace), "--verify"])
    return result.exit_code, result.output


def test_the_cli_verifies_an_untouched_journal(workspace: Path) -> None:
    code, output = _verify(workspace)
    assert code == 0, output
    assert "journal OK" in output
    shown = CliRunner().invoke(main, ["journal", str(workspace)])
    assert shown.exit_code == 0
    assert "release.created" in shown.output and "transition" in shown.output


def _state_head_beyond_journal(path: Path) -> None:
    lines = _lines(path)
    path.write_bytes(b"".join(lines[:-3]))


def _rename_a_step(path: Path) -> None:
    path.write_bytes(path.read_bytes().replace(b'"step": "two"', b'"step": "tow"', 1))


CLI_TAMPERING: dict[str, tuple[Callable[[Path], None], str]] = {
    "edited": (_rename_a_step, "does not follow"),
    "removed": (_remove, "does not follow"),
    "reordered": (_reorder, "removed or reordered"),
    "tail truncated": (_state_head_beyond_journal, "the journal was truncated"),
}


@pytest.mark.parametrize("case", list(CLI_TAMPERING))
def test_the_cli_reports_tampering_and_exits_1(workspace: Path, case: str) -> None:
    tamper, expected = CLI_TAMPERING[case]
    tamper(workspace / "journal.jsonl")
    before = workspace_files(workspace)
    code, output = _verify(workspace)
    assert code == 1
    assert "BROKEN" in output and expected in output, output
    assert workspace_files(workspace) == before, "verifying changes nothing"


def test_the_real_command_reports_tampering(workspace: Path) -> None:
    _reorder(workspace / "journal.jsonl")
    done = rmtui("journal", workspace, "--verify")
    assert done.returncode == 1
    assert "BROKEN" in done.stdout and "reordered" in done.stdout


def test_the_engine_refuses_to_drive_a_tampered_release(workspace: Path) -> None:
    _remove(workspace / "journal.jsonl")
    before = workspace_files(workspace)
    engine = _reopen(workspace)
    with pytest.raises(JournalError) as caught:
        engine.open()
    assert "does not verify" in caught.value.problem
    assert "--verify" in caught.value.hint
    assert workspace_files(workspace) == before
    assert not engine.lock.held, "a refused open releases the lock"


def _reopen(workspace: Path) -> Engine:
    steps = (FakeStep("one"), FakeStep("two"), FakeStep("three"))
    return Engine(load_release(workspace), Plan(steps), ScriptedPrompter())


def test_every_journal_line_is_vouched_for_by_the_state(workspace: Path) -> None:
    with _reopen(workspace).opened():
        pass  # e.g. `rmtui run` on a release that is already complete
    journal = workspace / "journal.jsonl"
    lines = _lines(journal)
    lines[-1] = lines[-1].replace(b"release.opened", b"release.opened-by-mallory")
    journal.write_bytes(b"".join(lines))
    code, output = _verify(workspace)
    assert code == 1, output


def test_state_and_journal_agree_after_every_move(workspace: Path) -> None:
    state = StateStore(workspace / "state.json").load()
    journal = Journal(workspace / "journal.jsonl")
    assert journal.verify((state.journal_seq, state.journal_sha)) == []
    transitions = [e for e in journal.entries() if e["kind"] == "transition"]
    assert [(e["step"], e["new"]) for e in transitions] == [
        ("one", "running"),
        ("one", "done"),
        ("two", "running"),
        ("two", "done"),
        ("three", "running"),
        ("three", "done"),
    ]
    facts = [e for e in journal.entries() if e["kind"] == "fact"]
    assert facts[-1]["value"] == "c" * 40
    assert json.loads((workspace / "state.json").read_text())["journal"]["seq"] == state.journal_seq
