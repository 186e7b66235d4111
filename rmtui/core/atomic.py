"""Crash-safe file writes: temp file, fsync, rename, fsync of the directory."""

from __future__ import annotations

import glob
import os
import tempfile
import time
from pathlib import Path

# A write takes milliseconds; a temp file this old is stale whoever its pid now names.
STALE_AFTER_SECONDS = 3600


def fsync_directory(directory: Path) -> None:
    """Make a rename inside `directory` durable."""
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def atomic_write_bytes(path: Path, data: bytes, *, mode: int = 0o644) -> None:
    """Replace `path` with `data` so that a crash leaves either the old or the new file whole."""
    directory = path.parent
    directory.mkdir(parents=True, exist_ok=True)
    # The writer's pid in the name lets readers tell a live write from a crashed one.
    fd, tmp_name = tempfile.mkstemp(
        prefix=f".{path.name}.{os.getpid()}.", suffix=".tmp", dir=directory
    )
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    fsync_directory(directory)


def atomic_write_text(path: Path, text: str, *, mode: int = 0o644) -> None:
    atomic_write_bytes(path, text.encode("utf-8"), mode=mode)


def remove_stale_temp_files(path: Path) -> list[Path]:
    """Delete temp files an interrupted `atomic_write_bytes` of `path` left behind.

    A temp file whose writer is still alive is left alone: readers that do not hold the
    release lock (`rmtui status`, the TUI's home screen) must never pull a file away from a
    writer that is about to rename it.
    """
    prefix = f".{path.name}."
    removed = []
    for name in glob.glob(f"{glob.escape(prefix)}*.tmp", root_dir=path.parent, include_hidden=True):
        stale = path.parent / name
        if _written_by_live_process(stale, name[len(prefix) :]):
            continue
        stale.unlink(missing_ok=True)
        removed.append(stale)
    return removed


def _written_by_live_process(temp: Path, rest: str) -> bool:
    try:
        age = time.time() - temp.stat().st_mtime
    except FileNotFoundError:
        return True  # the writer renamed it meanwhile: nothing to clean
    if age > STALE_AFTER_SECONDS:
        return False
    pid_text = rest.split(".", 1)[0]
    if not pid_text.isdigit():
        return False
    pid = int(pid_text)
    if pid == os.getpid():
        return True  # another thread of this process may be mid-write
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
