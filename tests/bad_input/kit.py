"""What every bad-input case asserts: the message, the exit code, the files kept, the chain."""

from __future__ import annotations

import json
import subprocess
from dataclasses import dataclass
from pathlib import Path

from rmtui.core.store import Journal, StateStore

# The top-level handler's exit status for an unforeseen exception (a bug): no catalogued case
# may ever end there.
UNFORESEEN_EXIT = 70


@dataclass(frozen=True)
class Files:
    """The raw bytes of a workspace's state.json and journal.jsonl at one moment."""

    state: bytes | None
    journal: bytes | None

    @classmethod
    def of(cls, workspace: Path) -> Files:
        def read(name: str) -> bytes | None:
            path = workspace / name
            return path.read_bytes() if path.is_file() else None

        return cls(read("state.json"), read("journal.jsonl"))

    def journal_lines(self) -> list[bytes]:
        return (self.journal or b"").splitlines(keepends=True)


def chain_verifies(workspace: Path) -> bool:
    """The journal's hash chain is whole and ends where state.json says it does."""
    state = StateStore(workspace / "state.json").load()
    journal = Journal(workspace / "journal.jsonl")
    return journal.verify((state.journal_seq, state.journal_sha)) == []


def assert_refused(
    done: subprocess.CompletedProcess[str],
    *,
    exit_code: int,
    problem: str,
    fix: str,
) -> str:
    """The command printed one `error:` naming the problem and one `how to fix:` naming the way
    out, exited with `exit_code`, and never reached the traceback handler.

    `problem` and `fix` are substrings of the two lines. Returns the whole output.
    """
    output = done.stdout + done.stderr
    assert done.returncode == exit_code, output
    assert done.returncode != UNFORESEEN_EXIT, output
    assert "Traceback" not in output, output
    errors = [line for line in output.splitlines() if line.startswith("error: ")]
    fixes = [line for line in output.splitlines() if line.startswith("how to fix: ")]
    assert len(errors) == 1, output
    assert problem in errors[0], output
    assert fixes and fix in fixes[0], output
    return output


def assert_unchanged(workspace: Path, before: Files) -> None:
    """state.json and the journal hold exactly what they held before, and the chain verifies.

    A command that reads the release journals `release.opened`; a case that allows that says so
    with `assert_journal_grew_by`.
    """
    after = Files.of(workspace)
    assert after.state == before.state
    assert after.journal == before.journal
    if before.state is not None and before.journal is not None:
        assert chain_verifies(workspace)


def assert_journal_grew_by(workspace: Path, before: Files, kinds: list[str]) -> None:
    """The journal kept every line it had and gained only events of these kinds, in order."""
    after = Files.of(workspace)
    old, new = before.journal_lines(), after.journal_lines()
    assert new[: len(old)] == old
    assert [json.loads(line)["kind"] for line in new[len(old) :]] == kinds
    assert chain_verifies(workspace)
