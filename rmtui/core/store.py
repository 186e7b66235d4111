"""Durable release state: state.json (atomic), journal.jsonl (hash-chained) and the lock."""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rmtui.core.atomic import atomic_write_text, remove_stale_temp_files
from rmtui.core.errors import JournalError, LockedError, StateError
from rmtui.core.redact import redact
from rmtui.core.status import Status

SCHEMA_VERSION = 1
GENESIS = "0" * 64

_REPAIR_HINT = (
    "rmtui never resets state silently: restore the file from a backup, or compare it "
    "with the journal (`rmtui journal RELEASE`) and repair it by hand"
)

JsonValue = Any


@dataclass
class StepRecord:
    """What the state file knows about one step."""

    status: Status = Status.PENDING
    reason: str = ""
    started: str | None = None
    finished: str | None = None
    error: str = ""
    hint: str = ""
    attempts: int = 0
    waiting_on: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, JsonValue]:
        return {
            "status": self.status.value,
            "reason": self.reason,
            "started": self.started,
            "finished": self.finished,
            "error": self.error,
            "hint": self.hint,
            "attempts": self.attempts,
            "waiting_on": list(self.waiting_on),
        }

    @classmethod
    def from_json(cls, step_id: str, data: JsonValue) -> StepRecord:
        try:
            if not isinstance(data, dict):
                raise TypeError(f"it is a JSON {type(data).__name__}, not an object")
            waiting_on = data.get("waiting_on", [])
            if not isinstance(waiting_on, list):
                raise TypeError("waiting_on is not a list")
            for stamp in ("started", "finished"):
                if not isinstance(data.get(stamp), str | None):
                    raise TypeError(f"{stamp} is not a timestamp")
            return cls(
                status=Status(data["status"]),
                reason=str(data.get("reason", "")),
                started=data.get("started"),
                finished=data.get("finished"),
                error=str(data.get("error", "")),
                hint=str(data.get("hint", "")),
                attempts=int(data.get("attempts", 0)),
                waiting_on=[str(r) for r in waiting_on],
            )
        except (KeyError, ValueError, TypeError) as exc:
            raise StateError(
                f"the record of step {step_id!r} in state.json is malformed ({exc})",
                "restore state.json from a backup, or rebuild it with `rmtui journal --verify` "
                "as the reference; rmtui will not guess",
            ) from None


@dataclass
class ReleaseState:
    """Everything state.json holds."""

    version: str
    steps: dict[str, StepRecord] = field(default_factory=dict)
    facts: dict[str, dict[str, JsonValue]] = field(default_factory=dict)
    journal_seq: int = 0
    journal_sha: str = GENESIS
    updated: str | None = None

    def fact(self, key: str) -> JsonValue:
        entry = self.facts.get(key)
        return None if entry is None else entry.get("value")

    def to_json(self) -> dict[str, JsonValue]:
        return {
            "schema": SCHEMA_VERSION,
            "version": self.version,
            "updated": self.updated,
            "journal": {"seq": self.journal_seq, "sha": self.journal_sha},
            "steps": {sid: rec.to_json() for sid, rec in self.steps.items()},
            "facts": self.facts,
        }


class StateStore:
    """Reads and atomically writes state.json."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def exists(self) -> bool:
        return self.path.exists()

    def load(self) -> ReleaseState:
        remove_stale_temp_files(self.path)
        try:
            raw = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            raise StateError(
                f"no state file at {self.path}",
                "start the release with `rmtui start` or `rmtui rehearse` first",
            ) from None
        except UnicodeDecodeError as exc:
            raise StateError(
                f"{self.path} is corrupt: byte {exc.start} is not UTF-8 text",
                _REPAIR_HINT,
            ) from None
        try:
            data = json.loads(raw)
        except json.JSONDecodeError as exc:
            raise StateError(
                f"{self.path} is corrupt or truncated (JSON error at line {exc.lineno}, "
                f"column {exc.colno}: {exc.msg})",
                _REPAIR_HINT,
            ) from None
        if not isinstance(data, dict):
            raise StateError(f"{self.path} does not hold a JSON object", "restore it from a backup")
        schema = data.get("schema")
        if not isinstance(schema, int):
            raise StateError(f"{self.path} has no schema version", "restore it from a backup")
        if schema > SCHEMA_VERSION:
            raise StateError(
                f"{self.path} was written by a newer rmtui (schema {schema}; this one reads "
                f"up to {SCHEMA_VERSION})",
                "upgrade rmtui (`pip install -U rmtui`) before opening this release",
            )
        try:
            journal = data["journal"]
            steps = data["steps"]
            facts = data["facts"]
            version = data["version"]
        except KeyError as exc:
            raise StateError(
                f"{self.path} lacks the key {exc.args[0]!r}", "restore it from a backup"
            ) from None
        if not isinstance(steps, dict):
            raise StateError(f"{self.path}: 'steps' is not a JSON object", _REPAIR_HINT)
        if not isinstance(facts, dict) or not all(isinstance(f, dict) for f in facts.values()):
            raise StateError(f"{self.path}: 'facts' is not an object of fact records", _REPAIR_HINT)
        if (
            not isinstance(journal, dict)
            or type(journal.get("seq")) is not int
            or not isinstance(journal.get("sha"), str)
        ):
            raise StateError(
                f"{self.path}: 'journal' must hold the journal head as {{seq, sha}}",
                _REPAIR_HINT,
            )
        if not isinstance(version, str) or not version:
            raise StateError(f"{self.path}: 'version' is not a version string", _REPAIR_HINT)
        return ReleaseState(
            version=version,
            steps={str(sid): StepRecord.from_json(str(sid), rec) for sid, rec in steps.items()},
            facts=dict(facts),
            journal_seq=journal["seq"],
            journal_sha=journal["sha"],
            updated=data.get("updated"),
        )

    def save(self, state: ReleaseState) -> None:
        text = json.dumps(redact_values(state.to_json()), indent=2, sort_keys=True) + "\n"
        atomic_write_text(self.path, redact(text))


def redact_values(value: JsonValue) -> JsonValue:
    """`value` with every registered secret masked in every string, keys included.

    Redacting the JSON text alone is not enough: JSON escapes quotes, backslashes and control
    characters, so a secret holding one of them would no longer match once encoded.
    """
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, dict):
        return {redact_values(k): redact_values(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [redact_values(v) for v in value]
    return value


@dataclass(frozen=True)
class JournalEntry:
    seq: int
    sha: str
    data: dict[str, JsonValue]


def _line_sha(line: bytes) -> str:
    return hashlib.sha256(line).hexdigest()


class Journal:
    """An append-only, hash-chained event log: each line carries the SHA-256 of the previous one."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._head: tuple[int, str] | None = None

    def head(self) -> tuple[int, str]:
        """(sequence number, SHA-256) of the last line; (0, GENESIS) when empty."""
        if self._head is None:
            lines = self._read_raw()
            if lines:
                data = self._parse(lines[-1], len(lines))
                seq = data.get("seq")
                if type(seq) is not int:
                    raise JournalError(
                        f"the last line of {self.path} has no sequence number",
                        "run `rmtui journal RELEASE --verify` to see what changed",
                    )
                self._head = (seq, _line_sha(lines[-1]))
            else:
                self._head = (0, GENESIS)
        return self._head

    def _parse(self, line: bytes, number: int) -> dict[str, JsonValue]:
        try:
            data = json.loads(line)
        except (json.JSONDecodeError, UnicodeDecodeError):
            data = None
        if not isinstance(data, dict):
            raise JournalError(
                f"line {number} of {self.path} is not a journal entry (edited or damaged)",
                "run `rmtui journal RELEASE --verify` to see every break in the chain",
            )
        return data

    def append(self, kind: str, timestamp: str, **fields: JsonValue) -> JournalEntry:
        seq, prev = self.head()
        record: dict[str, JsonValue] = {"seq": seq + 1, "ts": timestamp, "kind": kind}
        record.update(fields)
        record["prev"] = prev
        text = json.dumps(redact_values(record), sort_keys=True, ensure_ascii=False)
        line = redact(text).encode("utf-8")
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            os.write(fd, line + b"\n")
            os.fsync(fd)
        finally:
            os.close(fd)
        sha = _line_sha(line)
        self._head = (seq + 1, sha)
        return JournalEntry(seq + 1, sha, record)

    def _read_raw(self) -> list[bytes]:
        try:
            content = self.path.read_bytes()
        except FileNotFoundError:
            return []
        if not content:
            return []
        lines = content.split(b"\n")
        if lines[-1] == b"":
            lines.pop()
        else:
            raise JournalError(
                f"the last line of {self.path} is incomplete (the machine stopped mid-write)",
                "run `rmtui journal RELEASE --verify` to see it, then move the incomplete "
                "last line aside by hand; rmtui will not cut it off for you",
            )
        return lines

    def entries(self) -> list[dict[str, JsonValue]]:
        return [self._parse(line, n) for n, line in enumerate(self._read_raw(), start=1)]

    def verify(self, expected_head: tuple[int, str] | None = None) -> list[str]:
        """Every break in the chain, as sentences; an empty list means the journal is whole."""
        try:
            lines = self._read_raw()
        except JournalError as exc:
            return [exc.problem]
        problems: list[str] = []
        prev = GENESIS
        for index, line in enumerate(lines, start=1):
            try:
                data = self._parse(line, index)
            except JournalError:
                problems.append(f"line {index} is not a journal entry (edited or damaged)")
                prev = _line_sha(line)
                continue
            if data.get("prev") != prev:
                problems.append(
                    f"line {index} (seq {data.get('seq')}) does not follow line {index - 1}: "
                    "a line before it was edited, removed or reordered"
                )
            if data.get("seq") != index:
                problems.append(
                    f"line {index} has sequence number {data.get('seq')}, expected {index}: "
                    "lines were removed or reordered"
                )
            prev = _line_sha(line)
        if expected_head is not None:
            seq, sha = expected_head
            if seq > len(lines):
                problems.append(
                    f"the state file saw {seq} journal lines but the journal has {len(lines)}: "
                    "the journal was truncated"
                )
            elif seq > 0 and seq <= len(lines) and _line_sha(lines[seq - 1]) != sha:
                problems.append(
                    f"journal line {seq}, the last one the state file saw, was changed since"
                )
        return problems


class ReleaseLock:
    """An exclusive `flock` on the release's lock file, naming the holder's pid when refused."""

    def __init__(self, path: Path, release_name: str) -> None:
        self.path = path
        self.release_name = release_name
        self._fd: int | None = None

    def acquire(self) -> None:
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 64, 0).decode("ascii", "replace").strip() or "unknown"
            os.close(fd)
            raise LockedError(
                f"release {self.release_name} is being driven by another rmtui process "
                f"(pid {holder})",
                f"finish or quit that one first (kill {holder} if it hangs); two processes "
                "on one release could repeat an irreversible step",
            ) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        os.fsync(fd)
        self._fd = fd

    def release(self) -> None:
        if self._fd is not None:
            with contextlib.suppress(OSError):
                os.ftruncate(self._fd, 0)
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None

    @property
    def held(self) -> bool:
        return self._fd is not None

    @contextlib.contextmanager
    def held_for(self) -> Iterator[None]:
        self.acquire()
        try:
            yield
        finally:
            self.release()
