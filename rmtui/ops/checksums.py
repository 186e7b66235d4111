"""SHA-256 of files, and `SHA256SUMS` lists that `sha256sum -c` accepts."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from pathlib import Path
from typing import NamedTuple

from rmtui.core.atomic import atomic_write_bytes
from rmtui.core.errors import RmtuiError

SUMS_FILE_NAME = "SHA256SUMS"
# Signatures, certificates and unfinished writes sit beside artifacts but are never shipped.
NOT_SHIPPED_SUFFIXES = (
    ".asc",
    ".sig",
    ".sigstore",
    ".sigstore.json",
    ".crt",
    ".pem",
    ".tmp",
    ".part",
)

# Large reads into one reused buffer: hashlib (OpenSSL) then runs at memory speed.
_BUFFER_SIZE = 1 << 20
_LINE_RE = re.compile(r"^(\\?)([0-9a-fA-F]{64}) ([ *])(.+)$")


class ChecksumError(RmtuiError):
    """A checksum list that cannot be written or read."""


class ChecksumResult(NamedTuple):
    """One line of a checksum list checked against the file it names."""

    name: str
    ok: bool
    reason: str


def sha256_file(path: Path) -> str:
    """The hex SHA-256 of the file at `path`."""
    digest = hashlib.sha256()
    buffer = bytearray(_BUFFER_SIZE)
    view = memoryview(buffer)
    with open(path, "rb", buffering=0) as stream:
        while count := stream.readinto(buffer):
            digest.update(view[:count])
    return digest.hexdigest()


def write_sha256sums(directory: Path, paths: Iterable[Path]) -> Path:
    """Write `directory/SHA256SUMS` for `paths` (files inside `directory`), atomically.

    One `<sha256>  <name>` line per file, sorted by name, names relative to `directory`:
    `cd directory && sha256sum -c SHA256SUMS` checks them all.
    """
    root = directory.resolve()
    lines = []
    for path in paths:
        resolved = path.resolve()
        if not resolved.is_relative_to(root):
            raise ChecksumError(
                f"{path} is not inside {directory}",
                "checksum lists name files next to them; move the file into the directory",
            )
        name = resolved.relative_to(root).as_posix()
        if any(ch in name for ch in "\n\r\\"):
            raise ChecksumError(
                f"file name {name!r} cannot be written in a checksum list",
                "rename the file without newlines or backslashes",
            )
        if not resolved.is_file():
            raise ChecksumError(f"{path} is not a file", "build the artifact before listing it")
        lines.append((name, sha256_file(resolved)))
    text = "".join(f"{digest}  {name}\n" for name, digest in sorted(lines))
    target = directory / SUMS_FILE_NAME
    atomic_write_bytes(target, text.encode("utf-8"))
    return target


def check_sha256sums(sums_file: Path) -> list[ChecksumResult]:
    """Check every file named in `sums_file` (relative to its directory), like `sha256sum -c`.

    Returns one result per line, with `reason` "OK", "missing", "not a regular file",
    "outside the directory" or "checksum mismatch". A list that cannot be read or holds a
    malformed line raises ChecksumError.
    """
    try:
        text = sums_file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ChecksumError(
            f"cannot read checksum list {sums_file}: {exc}",
            "ask for the list again; it must be a UTF-8 `sha256sum` output",
        ) from exc
    base = sums_file.parent.resolve()
    results = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        match = _LINE_RE.match(line)
        if match is None:
            raise ChecksumError(
                f"{sums_file}, line {number} is not a sha256sum line: {line[:80]!r}",
                "each line must be '<64 hex digits>  <file name>' as `sha256sum` prints it",
            )
        escaped, expected, _mode, name = match.groups()
        if escaped:
            name = _unescape(name)
        results.append(ChecksumResult(name, *_check_one(base, name, expected.lower())))
    if not results:
        raise ChecksumError(f"{sums_file} lists no files", "ask for a complete checksum list")
    return results


def _check_one(base: Path, name: str, expected: str) -> tuple[bool, str]:
    path = (base / name).resolve()
    if not path.is_relative_to(base):
        return False, "outside the directory"
    if not path.exists():
        return False, "missing"
    if not path.is_file():
        return False, "not a regular file"
    if sha256_file(path) != expected:
        return False, "checksum mismatch"
    return True, "OK"


def _unescape(name: str) -> str:
    # sha256sum escapes names holding a backslash or a newline and marks the line with '\'.
    return re.sub(r"\\(.)", lambda m: "\n" if m.group(1) == "n" else m.group(1), name)
