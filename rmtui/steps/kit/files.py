"""Copying files into a folder all at once: hashed as written, fsynced, renamed together."""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import IO, Any

from rmtui.core.atomic import fsync_directory
from rmtui.core.errors import StepFailed
from rmtui.core.facts import FileRecords

_COPY_CHUNK = 1 << 20


def install_files(
    sources: Mapping[str, Path], folder: Path, *, expected: Mapping[str, str] | None = None
) -> FileRecords:
    """Copy each source into `folder` under its new name: all renamed in place, or none.

    Every copy is written under a temporary name, hashed as it is written, and fsynced; when
    `expected` gives a name's SHA-256, a copy with another digest stops everything. Only when
    all are complete are they renamed. The records hold the digests of the copies.
    """
    folder.mkdir(parents=True, exist_ok=True)
    staged: list[tuple[Path, Path]] = []
    records: FileRecords = {}
    try:
        for name, source in sources.items():
            handle = tempfile.NamedTemporaryFile(  # noqa: SIM115 (closed just below)
                dir=folder, prefix=f".{name}.{os.getpid()}.", suffix=".tmp", delete=False
            )
            temp = Path(handle.name)
            staged.append((temp, folder / name))
            with handle:
                os.fchmod(handle.fileno(), 0o644)
                records[name] = _copy_hashing(source, handle)
                handle.flush()
                os.fsync(handle.fileno())
            wanted = (expected or {}).get(name)
            if wanted is not None and records[name]["sha256"] != wanted:
                raise StepFailed(
                    f"{source} changed while it was copied (sha256 {records[name]['sha256']}, "
                    f"checked as {wanted}); nothing was copied",
                    "make sure nothing writes to the folder, then import again",
                )
        for temp, final in staged:
            os.replace(temp, final)
        fsync_directory(folder)
    except OSError as exc:
        raise StepFailed(
            f"cannot copy into {folder}: {exc}",
            "check free disk space and permissions there, then retry",
        ) from exc
    finally:
        for temp, _final in staged:
            temp.unlink(missing_ok=True)
    return records


def _copy_hashing(source: Path, target: IO[bytes]) -> dict[str, Any]:
    digest = hashlib.sha256()
    size = 0
    with source.open("rb") as stream:
        while chunk := stream.read(_COPY_CHUNK):
            digest.update(chunk)
            target.write(chunk)
            size += len(chunk)
    return {"sha256": digest.hexdigest(), "size": size}
