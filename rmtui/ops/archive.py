"""What a CPython source tarball holds: drop rules, modes, member order and its git input."""

from __future__ import annotations

import gzip
import io
import lzma
import re
import subprocess
import tarfile
import zlib
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from rmtui.core.errors import GitError, RmtuiError

# Generated files whose mtime CPython's release.py bumps so that `make` does not try to
# regenerate them in a fresh tarball; pass them to `export_source(touch=...)`.
RELEASE_PY_TOUCHABLES: tuple[str, ...] = (
    "Include/Python-ast.h",
    "Include/internal/pycore_ast.h",
    "Include/internal/pycore_ast_state.h",
    "Python/Python-ast.c",
    "Python/opcode_targets.h",
)

# Every member carries the commit time; a touched file gets this much more, so it is newer
# than its sources for make while staying a pure function of the commit.
TOUCH_OFFSET_SECONDS = 1

FILE_MODE = 0o644
EXECUTABLE_MODE = 0o755
DIRECTORY_MODE = 0o755
SYMLINK_MODE = 0o777

_VERSION_RE = re.compile(r"^[0-9][0-9A-Za-z.+-]*$")
_DROPPED_TOP_DIRS = (".azure-pipelines",)
_DROPPED_PREFIXES = ("Misc/mypy",)


class ArchiveError(RmtuiError):
    """A source tarball could not be built, read or verified."""


@dataclass(frozen=True)
class ArtifactDigest:
    """A written artifact: where it is, how big it is, and its SHA-256."""

    path: Path
    size: int
    sha256: str

    def to_dict(self) -> dict[str, str | int]:
        """A JSON-ready form for the state file and the journal."""
        return {"path": str(self.path), "size": self.size, "sha256": self.sha256}


def is_dropped(path: str, extra: Sequence[str] = ()) -> bool:
    """Whether the export leaves `path` (relative to the tree root) out of the tarball.

    CPython's release.py rules: VCS metadata (`.git*`: `.gitignore`, `.gitattributes`,
    `.github/`...), `.azure-pipelines/`, `Misc/mypy/`, `__pycache__/`, `*.pyc` and `*.pyo`.
    `.git*` goes at any depth, not only at the top as in release.py: VCS metadata has no
    place in a source release. `extra` drops more whole paths (e.g. `Misc/NEWS.d`, which
    `blurb export` deletes).
    """
    parts = path.split("/")
    if parts[0] in _DROPPED_TOP_DIRS:
        return True
    if any(part.startswith(".git") or part == "__pycache__" for part in parts):
        return True
    if parts[-1].endswith((".pyc", ".pyo")):
        return True
    return any(path == p or path.startswith(p + "/") for p in (*_DROPPED_PREFIXES, *extra))


def normalized_mode(member: tarfile.TarInfo) -> int:
    """The permission bits a member gets in our tarballs (as `git archive` with umask 022)."""
    if member.isdir():
        return DIRECTORY_MODE
    if member.issym():
        return SYMLINK_MODE
    return EXECUTABLE_MODE if member.mode & 0o111 else FILE_MODE


def tree_sort_key(path: str) -> tuple[str, ...]:
    """GNU `tar --sort=name` order: by name within a directory, a directory before its files."""
    return tuple(path.split("/"))


def check_tree_path(path: str, what: str = "path") -> str:
    """Return `path` if it is a plain relative path inside the tree, else raise ArchiveError."""
    parts = path.split("/")
    if (
        not path
        or path.startswith("/")
        or any(part in ("", ".", "..") for part in parts)
        or any(ch in path for ch in "\0\n\\")
    ):
        raise ArchiveError(
            f"{what} {path!r} is not a relative path inside the source tree",
            "use a path relative to the tree root with '/' separators, like 'Misc/NEWS'",
        )
    return path


def check_version(version: str) -> str:
    """Return `version` if it can name a tarball, else raise ArchiveError."""
    if not _VERSION_RE.match(version):
        raise ArchiveError(
            f"version {version!r} cannot name a tarball",
            "give the release version, like '3.14.0rc2'",
        )
    return version


def tarball_prefix(version: str) -> str:
    """The top directory of the source tarball, without a trailing slash."""
    return f"Python-{check_version(version)}"


def run_git(repo: Path, *args: str) -> bytes:
    """Run a git command in `repo` and return its stdout, or raise GitError naming it."""
    try:
        done = subprocess.run(["git", "-C", str(repo), *args], capture_output=True, check=False)
    except OSError as exc:
        raise GitError(f"cannot run git: {exc}", "install git and put it on PATH") from exc
    if done.returncode != 0:
        raise GitError(
            f"`git {' '.join(args)}` failed in {repo}: "
            f"{done.stderr.decode(errors='replace').strip()}",
            "check that the repository exists and holds the recorded commit "
            "(fetch it from the fork or upstream)",
        )
    return done.stdout


def resolve_commit(repo: Path, commit: str) -> tuple[str, int]:
    """The full SHA of `commit` and its committer time in seconds since the epoch."""
    if not commit or commit.startswith("-"):
        raise GitError(f"{commit!r} is not a commit", "give a commit SHA or a tag name")
    try:
        sha = run_git(repo, "rev-parse", "--verify", "--quiet", f"{commit}^{{commit}}")
    except GitError as exc:
        raise GitError(
            f"commit {commit!r} not found in {repo}",
            "fetch the release commit into this repository, or check the recorded SHA",
        ) from exc
    full_sha = sha.decode().strip()
    timestamp = run_git(repo, "show", "-s", "--format=%ct", full_sha).decode().strip()
    return full_sha, int(timestamp)


def git_archive_command(repo: Path, sha: str) -> list[str]:
    """`git archive` of a commit as plain tar, modes 0644/0755, attributes from the commit."""
    return ["git", "-C", str(repo), "-c", "tar.umask=022", "archive", "--format=tar", sha]


def spool_commit_tree(repo: Path, sha: str, spool: IO[bytes]) -> None:
    """Write `git archive` of `sha` into the file `spool` and rewind it."""
    try:
        done = subprocess.run(
            git_archive_command(repo, sha), stdout=spool, stderr=subprocess.PIPE, check=False
        )
    except OSError as exc:
        raise GitError(f"cannot run git: {exc}", "install git and put it on PATH") from exc
    if done.returncode != 0:
        raise GitError(
            f"`git archive {sha}` failed: {done.stderr.decode(errors='replace').strip()}",
            "check that all of the commit's objects are present (git fsck) and retry",
        )
    spool.flush()
    spool.seek(0)


_GZIP_MAGIC = b"\x1f\x8b"
_XZ_MAGIC = b"\xfd7zXZ\x00"


@contextmanager
def open_decompressed(path: Path) -> Iterator[io.BufferedIOBase]:
    """The tar stream inside a .tgz, .tar.xz or plain .tar file, chosen by its magic bytes.

    Unlike tarfile's own stream mode, reading to the end raises EOFError when the
    compressed data is truncated (see `drain`).
    """
    with path.open("rb") as raw:
        magic = raw.read(len(_XZ_MAGIC))
        raw.seek(0)
        if magic.startswith(_GZIP_MAGIC):
            with gzip.GzipFile(fileobj=raw, mode="rb") as stream:
                yield stream
        elif magic == _XZ_MAGIC:
            with lzma.LZMAFile(raw, mode="rb") as stream:
                yield stream
        else:
            yield raw


def drain(stream: io.BufferedIOBase) -> None:
    """Read `stream` to its end, so a truncated compressed stream raises EOFError."""
    while stream.read(1 << 20):
        pass


@contextmanager
def streamed_tarball(path: Path, error: type[RmtuiError]) -> Iterator[tarfile.TarFile]:
    """One streaming pass over a .tgz or .tar.xz; a missing or damaged file raises `error`."""
    try:
        with (
            open_decompressed(path) as compressed,
            tarfile.open(fileobj=compressed, mode="r|") as archive,
        ):
            yield archive
            drain(compressed)
    except FileNotFoundError as exc:
        raise error(f"tarball {path} does not exist", "run export.source first") from exc
    except (OSError, EOFError, tarfile.TarError, lzma.LZMAError, zlib.error) as exc:
        raise error(
            f"cannot read tarball {path}: {exc}",
            "the file is truncated or corrupt; build it again with export.source",
        ) from exc
