"""Reproducible `Python-<version>.tgz` and `.tar.xz` built from a git commit, in parallel."""

from __future__ import annotations

import contextlib
import gzip
import io
import os
import queue
import shutil
import subprocess
import tarfile
import tempfile
import threading
from collections.abc import Callable, Mapping, Sequence
from contextlib import ExitStack
from dataclasses import dataclass, replace
from pathlib import Path
from types import MappingProxyType
from typing import IO

from rmtui.core.atomic import fsync_directory
from rmtui.ops.archive import (
    DIRECTORY_MODE,
    FILE_MODE,
    SYMLINK_MODE,
    TOUCH_OFFSET_SECONDS,
    ArchiveError,
    ArtifactDigest,
    check_tree_path,
    is_dropped,
    normalized_mode,
    resolve_commit,
    spool_commit_tree,
    tarball_prefix,
    tree_sort_key,
)
from rmtui.ops.checksums import sha256_file

Progress = Callable[[str], None]

# xz's multi-threaded encoder writes the same bytes for any thread count >= 2 once the
# block size is pinned; its single-threaded mode writes different ones. So xz always
# runs threaded, and --no-adjust forbids it from falling back under memory pressure.
XZ_PRESET = "-9"
XZ_BLOCK_SIZE = "16MiB"
GZIP_LEVEL = 9

# Artifacts are published; mkstemp's private 0600 would follow them to the server.
PUBLISHED_MODE = 0o644

_CHUNK = 1 << 20
_QUEUE_DEPTH = 16
_PROGRESS_STEP = 16 << 20
_NO_EXTRA_FILES: Mapping[str, bytes] = MappingProxyType({})


@dataclass(frozen=True)
class _Member:
    """One entry of the tarball to write, in tree-relative terms."""

    path: str
    kind: str  # "dir", "file", "symlink"
    mode: int
    mtime: int
    size: int = 0
    linkname: str = ""
    source: tarfile.TarInfo | None = None
    content: bytes | None = None


def _plan_members(
    source: tarfile.TarFile,
    commit_time: int,
    extra_files: Mapping[str, bytes],
    touch: Sequence[str],
    drop: Sequence[str],
    progress: Progress,
) -> list[_Member]:
    members: dict[str, _Member] = {}
    for info in source.getmembers():
        path = info.name.rstrip("/")
        if not path or is_dropped(path, drop):
            continue
        if info.isdir():
            members[path] = _Member(path, "dir", DIRECTORY_MODE, commit_time)
        elif info.issym():
            members[path] = _Member(
                path, "symlink", SYMLINK_MODE, commit_time, linkname=info.linkname
            )
        elif info.isfile():
            members[path] = _Member(
                path, "file", normalized_mode(info), commit_time, size=info.size, source=info
            )
        else:
            raise ArchiveError(
                f"`git archive` produced an unexpected member {path!r} (type {info.type!r})",
                "report this: a git tree holds only files, symlinks and submodules",
            )
    for path, content in extra_files.items():
        members[path] = _Member(path, "file", FILE_MODE, commit_time, len(content), content=content)
        parent = path.rpartition("/")[0]
        while parent and parent not in members:
            members[parent] = _Member(parent, "dir", DIRECTORY_MODE, commit_time)
            parent = parent.rpartition("/")[0]
    for path in touch:
        member = members.get(path)
        if member is None or member.kind != "file":
            progress(f"touch: {path} is not a file in this tree, left alone")
            continue
        members[path] = replace(member, mtime=commit_time + TOUCH_OFFSET_SECONDS)
    return [members[p] for p in sorted(members, key=tree_sort_key)]


class _Sink:
    """A consumer of the tar stream running in its own thread behind a bounded queue."""

    def __init__(self, name: str, consume: Callable[[bytes], object]) -> None:
        self.name = name
        self.error: BaseException | None = None
        self._consume = consume
        self._queue: queue.Queue[bytes | None] = queue.Queue(maxsize=_QUEUE_DEPTH)
        self._thread = threading.Thread(target=self._run, name=f"export-{name}", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while (chunk := self._queue.get()) is not None:
            if self.error is not None:
                continue  # keep draining so the producer never blocks on a dead sink
            try:
                self._consume(chunk)
            except BaseException as exc:
                self.error = exc

    def put(self, chunk: bytes) -> None:
        self._queue.put(chunk)

    def finish(self) -> None:
        self._queue.put(None)
        self._thread.join()


class _Fanout(io.RawIOBase):
    """A write-only file that hands 1 MiB chunks of what it receives to every sink."""

    def __init__(self, sinks: Sequence[_Sink], on_progress: Callable[[int], None]) -> None:
        super().__init__()
        self._sinks = sinks
        self._buffer = bytearray()
        self._written = 0
        self._on_progress = on_progress

    def writable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._written

    def write(self, data: bytes | bytearray | memoryview) -> int:  # type: ignore[override]
        self._buffer += data
        self._written += len(data)
        if len(self._buffer) >= _CHUNK:
            self._dispatch()
        return len(data)

    def drain(self) -> None:
        if self._buffer:
            self._dispatch()

    def _dispatch(self) -> None:
        chunk = bytes(self._buffer)
        self._buffer.clear()
        for sink in self._sinks:
            if sink.error is not None:
                raise ArchiveError(
                    f"the {sink.name} compressor failed: {sink.error}",
                    "check free disk space in the artifacts directory and retry",
                )
            sink.put(chunk)
        self._on_progress(self._written)


def xz_command() -> list[str]:
    """The fixed xz invocation: preset, block size and check pinned, always multi-threaded."""
    threads = max(2, os.cpu_count() or 2)
    return [
        "xz",
        "--format=xz",
        "--check=crc64",
        XZ_PRESET,
        f"--block-size={XZ_BLOCK_SIZE}",
        f"--threads={threads}",
        "--no-adjust",
        "--stdout",
    ]


def _xz_environment() -> dict[str, str]:
    # XZ_DEFAULTS / XZ_OPT would silently change the compressed bytes.
    return {k: v for k, v in os.environ.items() if k not in ("XZ_DEFAULTS", "XZ_OPT")}


def _start_xz(output: IO[bytes]) -> subprocess.Popen[bytes]:
    if shutil.which("xz") is None:
        raise ArchiveError(
            "the `xz` program is not installed",
            "install XZ Utils (Debian/Ubuntu: apt install xz-utils; macOS: brew install xz)",
        )
    return subprocess.Popen(
        xz_command(),
        stdin=subprocess.PIPE,
        stdout=output,
        stderr=subprocess.PIPE,
        env=_xz_environment(),
    )


def _write_tar(
    members: Sequence[_Member],
    source: tarfile.TarFile,
    prefix: str,
    commit_time: int,
    out: _Fanout,
) -> None:
    with tarfile.TarFile(
        fileobj=out, mode="w", format=tarfile.PAX_FORMAT, copybufsize=_CHUNK
    ) as archive:
        root = _Member("", "dir", DIRECTORY_MODE, commit_time)
        for member in (root, *members):
            info = tarfile.TarInfo(f"{prefix}/{member.path}" if member.path else prefix)
            info.mtime = member.mtime
            info.mode = member.mode
            info.uid = info.gid = 0
            info.uname = info.gname = ""
            if member.kind == "dir":
                info.type = tarfile.DIRTYPE
                archive.addfile(info)
            elif member.kind == "symlink":
                info.type = tarfile.SYMTYPE
                info.linkname = member.linkname
                archive.addfile(info)
            else:
                info.type = tarfile.REGTYPE
                info.size = member.size
                archive.addfile(info, _open_content(source, member))
    out.drain()


def _open_content(source: tarfile.TarFile, member: _Member) -> IO[bytes]:
    if member.content is not None:
        return io.BytesIO(member.content)
    assert member.source is not None
    stream = source.extractfile(member.source)
    assert stream is not None
    return stream


def _progress_reporter(progress: Progress, total: int) -> Callable[[int], None]:
    next_report = [_PROGRESS_STEP]

    def report(written: int) -> None:
        if written >= next_report[0]:
            next_report[0] = written + _PROGRESS_STEP
            progress(f"compressing: {written >> 20} of ~{total >> 20} MiB")

    return report


def _temp_output(stack: ExitStack, out_dir: Path, final_name: str) -> tuple[IO[bytes], Path]:
    # Closed by the ExitStack, which also removes the file unless it was renamed. The name
    # follows rmtui.core.atomic's, so remove_stale_temp_files() cleans up after a crash.
    handle = tempfile.NamedTemporaryFile(  # noqa: SIM115
        dir=out_dir, prefix=f".{final_name}.{os.getpid()}.", suffix=".tmp", delete=False
    )
    temp_path = Path(handle.name)
    os.fchmod(handle.fileno(), PUBLISHED_MODE)
    stack.callback(lambda: temp_path.unlink(missing_ok=True))
    stack.callback(handle.close)
    return handle, temp_path


def export_source(
    repo: Path,
    commit: str,
    version: str,
    out_dir: Path,
    *,
    extra_files: Mapping[str, bytes] = _NO_EXTRA_FILES,
    touch: Sequence[str] = (),
    drop: Sequence[str] = (),
    progress: Progress | None = None,
) -> list[ArtifactDigest]:
    """Build `Python-<version>.tgz` and `.tar.xz` in `out_dir` from `commit` of `repo`.

    The tree comes from `git archive` of the commit (attributes from the commit, never a
    working tree), minus the drop rules (`is_dropped`, plus `drop`), plus `extra_files`
    (e.g. `Misc/NEWS`). Members are sorted by name, owned by 0:0 with empty names, have
    normalized modes and mtime = commit time (`touch`ed files: commit time + 1 s). gzip
    and xz run in parallel from one tar stream; each artifact is written under a temporary
    name, fsynced and renamed. The same inputs always give byte-identical files.
    """
    report = progress or (lambda _message: None)
    prefix = tarball_prefix(version)
    for path in (*extra_files, *touch, *drop):
        check_tree_path(path)
    for path in extra_files:
        if is_dropped(path, drop):
            raise ArchiveError(
                f"extra file {path!r} would be removed by the export's drop rules",
                "generated files must live outside .git*, .github, .azure-pipelines, "
                "Misc/mypy and __pycache__",
            )
    sha, commit_time = resolve_commit(repo, commit)
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ArchiveError(
            f"cannot create {out_dir}: {exc}", "choose a writable artifacts directory"
        ) from exc

    with ExitStack() as stack:
        spool = stack.enter_context(tempfile.TemporaryFile(dir=out_dir, prefix=".spool-"))
        report(f"reading commit {sha[:12]} with git archive")
        spool_commit_tree(repo, sha, spool)
        source = stack.enter_context(tarfile.TarFile(fileobj=spool, mode="r", copybufsize=_CHUNK))
        members = _plan_members(source, commit_time, extra_files, touch, drop, report)
        total = sum(m.size for m in members)

        tgz_handle, tgz_temp = _temp_output(stack, out_dir, f"{prefix}.tgz")
        xz_handle, xz_temp = _temp_output(stack, out_dir, f"{prefix}.tar.xz")
        # filename="" and mtime=0 keep the gzip header free of a name and a timestamp.
        gz = gzip.GzipFile(
            filename="", mode="wb", compresslevel=GZIP_LEVEL, fileobj=tgz_handle, mtime=0
        )
        xz = _start_xz(xz_handle)
        stack.callback(_reap, xz)
        assert xz.stdin is not None
        xz_stdin = xz.stdin
        sinks = [_Sink("gzip", gz.write), _Sink("xz", xz_stdin.write)]
        report(f"writing {prefix}.tgz and {prefix}.tar.xz ({len(members)} members)")
        try:
            fanout = _Fanout(sinks, _progress_reporter(report, total))
            _write_tar(members, source, prefix, commit_time, fanout)
        finally:
            for sink in sinks:
                sink.finish()
        _close_quietly(xz_stdin)
        xz_stderr = xz.stderr.read() if xz.stderr else b""
        failure = next((str(s.error) for s in sinks if s.error), "")
        if xz.wait() != 0 or failure:
            raise ArchiveError(
                f"compression failed: {failure or xz_stderr.decode(errors='replace').strip()}",
                "check free disk space and memory, then run the export again",
            )
        try:
            gz.close()
            results = [
                _commit_file(tgz_handle, tgz_temp, out_dir / f"{prefix}.tgz"),
                _commit_file(xz_handle, xz_temp, out_dir / f"{prefix}.tar.xz"),
            ]
            fsync_directory(out_dir)
        except OSError as exc:
            raise ArchiveError(
                f"cannot write the tarballs to {out_dir}: {exc}",
                "check free disk space and permissions, then run the export again",
            ) from exc
    digests = [ArtifactDigest(p, p.stat().st_size, sha256_file(p)) for p in results]
    for digest in digests:
        report(f"wrote {digest.path.name}: {digest.size} bytes, sha256 {digest.sha256}")
    return digests


def _commit_file(handle: IO[bytes], temp: Path, final: Path) -> Path:
    handle.flush()
    os.fsync(handle.fileno())
    handle.close()
    os.replace(temp, final)
    return final


def _close_quietly(stream: IO[bytes]) -> None:
    # xz may already have exited; its exit status tells what went wrong.
    with contextlib.suppress(OSError):
        stream.close()


def _reap(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.kill()
    process.wait()
    if process.stderr:
        process.stderr.close()
