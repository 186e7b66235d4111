"""state.json: atomic writes that survive a kill -9, and loud refusal of damaged files."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from rmtui.core import atomic
from rmtui.core.errors import StateError
from rmtui.core.redact import register_secret
from rmtui.core.status import Status
from rmtui.core.store import SCHEMA_VERSION, ReleaseState, StateStore, StepRecord


def _state(version: str = "3.14.0rc1", status: Status = Status.PENDING) -> ReleaseState:
    state = ReleaseState(version=version)
    state.steps["preflight"] = StepRecord(status=status, reason="checked", attempts=1)
    state.steps["freeze"] = StepRecord()
    state.facts["upstream.base_sha"] = {"value": "a" * 40, "step": "fork.update", "at": "t"}
    state.journal_seq, state.journal_sha = 3, "b" * 64
    state.updated = "2026-11-01T10:00:00Z"
    return state


def _temp_files(path: Path) -> list[Path]:
    return sorted(path.parent.glob(f".{path.name}.*.tmp"))


def test_save_then_load_round_trips(tmp_path: Path) -> None:
    store = StateStore(tmp_path / "state.json")
    store.save(_state())
    loaded = store.load()
    assert loaded == _state()
    assert json.loads(store.path.read_text())["schema"] == SCHEMA_VERSION
    assert _temp_files(store.path) == []


def test_saved_state_is_redacted(tmp_path: Path) -> None:
    register_secret("hunter2-token-value")
    state = _state()
    state.steps["preflight"].error = "auth failed with hunter2-token-value"
    store = StateStore(tmp_path / "state.json")
    store.save(state)
    assert "hunter2-token-value" not in store.path.read_text()


@pytest.mark.parametrize(
    "secret",
    ['pa"ss\\w0rd', "tab\tand\nnewline", "ünïcode-säcret"],
    ids=["quote", "control", "unicode"],
)
def test_secrets_that_json_escapes_are_redacted_too(tmp_path: Path, secret: str) -> None:
    register_secret(secret)
    state = _state()
    state.steps["preflight"].error = f"gpg said: bad passphrase {secret}"
    state.facts["note"] = {"value": [secret], "step": "x", "at": "t"}
    store = StateStore(tmp_path / "state.json")
    store.save(state)
    text = store.path.read_text()
    assert secret not in text
    assert json.dumps(secret)[1:-1] not in text, "not even in its JSON-escaped form"
    loaded = store.load()
    assert secret not in loaded.steps["preflight"].error
    assert loaded.fact("note") == ["[REDACTED]"]


# -- atomicity under kill -9 --------------------------------------------------------------


def _save_and_die_at(path: Path, target: str) -> int:
    """Fork a child that saves new state and SIGKILLs itself inside `target`; return its status."""
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child never returns
        try:

            def die(*_args: object, **_kwargs: object) -> None:
                os.kill(os.getpid(), signal.SIGKILL)

            if target == "replace":
                os.replace = die
            else:
                atomic.fsync_directory = die
            StateStore(path).save(_state(status=Status.DONE))
        finally:
            os._exit(3)  # reached only if the kill did not happen
    _, status = os.waitpid(pid, 0)
    return status


def test_kill_between_write_and_rename_leaves_the_old_state_whole(tmp_path: Path) -> None:
    store = StateStore(tmp_path / "state.json")
    store.save(_state())
    old = store.path.read_bytes()

    status = _save_and_die_at(store.path, "replace")

    assert os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGKILL
    assert store.path.read_bytes() == old
    leftovers = _temp_files(store.path)
    assert len(leftovers) == 1, "the child died with its complete temp file written"
    assert json.loads(leftovers[0].read_text())["steps"]["preflight"]["status"] == "done"
    loaded = store.load()
    assert loaded.steps["preflight"].status is Status.PENDING
    assert _temp_files(store.path) == [], "the next load cleans the dead writer's temp file"


def test_kill_after_rename_leaves_the_new_state_whole(tmp_path: Path) -> None:
    store = StateStore(tmp_path / "state.json")
    store.save(_state())

    status = _save_and_die_at(store.path, "fsync_directory")

    assert os.WIFSIGNALED(status)
    assert store.load().steps["preflight"].status is Status.DONE
    assert _temp_files(store.path) == []


def test_load_leaves_the_temp_file_of_a_live_writer_alone(tmp_path: Path) -> None:
    # `rmtui status` reads without the lock while another process drives the release: it must
    # not delete the temp file that process is about to rename into place.
    store = StateStore(tmp_path / "state.json")
    store.save(_state())
    writer = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        live = tmp_path / f".state.json.{writer.pid}.abcd1234.tmp"
        live.write_text("{}")
        mine = tmp_path / f".state.json.{os.getpid()}.efgh5678.tmp"
        mine.write_text("{}")
        store.load()
        assert live.exists() and mine.exists()
    finally:
        writer.kill()
        writer.wait()
    store.load()
    assert not live.exists(), "once the writer is gone its temp file is stale"
    assert mine.exists()
    old = time.time() - atomic.STALE_AFTER_SECONDS - 60
    os.utime(mine, (old, old))
    store.load()
    assert not mine.exists(), "a temp file older than any write is stale whoever wrote it"


def test_a_reader_cleaning_up_never_breaks_a_concurrent_save(tmp_path: Path) -> None:
    store = StateStore(tmp_path / "state.json")
    store.save(_state())
    script = textwrap.dedent(
        f"""
        import sys
        sys.path.insert(0, {str(Path(__file__).resolve().parents[2])!r})
        from pathlib import Path
        from rmtui.core.store import StateStore
        from tests.core.test_store import _state
        store = StateStore(Path({str(store.path)!r}))
        for _ in range(150):
            store.save(_state())
        """
    )
    writer = subprocess.Popen([sys.executable, "-c", script], stderr=subprocess.PIPE, text=True)
    while writer.poll() is None:
        StateStore(store.path).load()
    _, errors = writer.communicate()
    assert writer.returncode == 0, errors


# -- damaged state files ----------------------------------------------------------------------

GOOD = _state().to_json()


def _with(**changes: object) -> str:
    data = json.loads(json.dumps(GOOD))
    for key, value in changes.items():
        if value is KeyError:
            del data[key]
        else:
            data[key] = value
    return json.dumps(data)


DAMAGED = {
    "garbage": ("this is not json at all", "corrupt or truncated"),
    "empty": ("", "corrupt or truncated"),
    "truncated": (json.dumps(GOOD, indent=2)[:150], "corrupt or truncated"),
    "binary": ("\x00\x01", "corrupt or truncated"),
    "newer schema": (_with(schema=SCHEMA_VERSION + 1), "newer rmtui"),
    "no schema": (_with(schema=KeyError), "no schema version"),
    "not an object": ("[1, 2, 3]", "does not hold a JSON object"),
    "no steps": (_with(steps=KeyError), "lacks the key 'steps'"),
    "no journal head": (_with(journal=KeyError), "lacks the key 'journal'"),
    "steps a list": (_with(steps=["preflight"]), "'steps' is not a JSON object"),
    "facts a list": (_with(facts=["x"]), "'facts' is not an object"),
    "journal head a string": (_with(journal="3"), "'journal' must hold the journal head"),
    "journal seq a string": (_with(journal={"seq": "3", "sha": "b"}), "'journal' must hold"),
    "version missing": (_with(version=KeyError), "lacks the key 'version'"),
    "unknown status": (
        _with(steps={"preflight": {"status": "exploded"}}),
        "record of step 'preflight' in state.json is malformed",
    ),
    "record a string": (_with(steps={"preflight": "done"}), "step 'preflight'"),
    "record without status": (_with(steps={"freeze": {"reason": "x"}}), "step 'freeze'"),
    "waiting_on a string": (
        _with(steps={"freeze": {"status": "waiting", "waiting_on": "Windows"}}),
        "step 'freeze'",
    ),
}


@pytest.mark.parametrize("case", list(DAMAGED))
def test_a_damaged_state_file_is_a_clear_error_and_is_left_untouched(
    tmp_path: Path, case: str
) -> None:
    text, expected = DAMAGED[case]
    path = tmp_path / "state.json"
    path.write_text(text)
    before = path.read_bytes()
    with pytest.raises(StateError) as caught:
        StateStore(path).load()
    assert expected in caught.value.problem
    assert caught.value.hint
    assert path.read_bytes() == before, "rmtui never silently resets a state file"


def test_invalid_utf8_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "state.json"
    path.write_bytes(b'{"schema": 1, "version": "\xff\xfe"}')
    before = path.read_bytes()
    with pytest.raises(StateError) as caught:
        StateStore(path).load()
    assert "not UTF-8" in caught.value.problem
    assert path.read_bytes() == before


def test_a_missing_state_file_says_how_to_start(tmp_path: Path) -> None:
    with pytest.raises(StateError) as caught:
        StateStore(tmp_path / "state.json").load()
    assert "no state file" in caught.value.problem
    assert "rmtui start" in caught.value.hint
    assert not (tmp_path / "state.json").exists()


def test_an_older_schema_without_optional_fields_still_loads(tmp_path: Path) -> None:
    path = tmp_path / "state.json"
    path.write_text(
        json.dumps(
            {
                "schema": 1,
                "version": "3.14.0",
                "journal": {"seq": 1, "sha": "c" * 64},
                "steps": {"preflight": {"status": "done"}},
                "facts": {},
            }
        )
    )
    state = StateStore(path).load()
    assert state.steps["preflight"] == StepRecord(status=Status.DONE)
    assert state.updated is None


# -- what the commands do with a damaged state file ------------------------------------------


@pytest.mark.parametrize(
    "command",
    [
        ["run", "{ws}", "--yes"],
        ["status", "{ws}", "--json"],
        ["journal", "{ws}", "--verify"],
        ["skip", "{ws}", "one", "--reason", "x"],
    ],
    ids=lambda c: c[0],
)
def test_commands_refuse_a_corrupt_state_file_and_change_nothing(
    tmp_path: Path, command: list[str]
) -> None:
    from click.testing import CliRunner

    from rmtui.cli import main
    from rmtui.core.release import write_release_file
    from tests.helpers import FakeStep, new_engine, workspace_files

    engine = new_engine(tmp_path / "ws", [FakeStep("one")])
    write_release_file(engine.release)
    state = engine.release.state_path
    state.write_text(state.read_text()[:-20])
    before = workspace_files(engine.release.workspace)
    args = [part.format(ws=engine.release.workspace) for part in command]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 2, result.output
    assert "state.json is corrupt or truncated" in result.output
    assert "never resets state silently" in result.output
    assert workspace_files(engine.release.workspace) == before
