"""Check that a source tarball holds exactly `git archive` of its commit, plus declared changes."""

from __future__ import annotations

import hashlib
import subprocess
import tarfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import IO, Literal

from rmtui.core.errors import GitError
from rmtui.ops.archive import (
    DIRECTORY_MODE,
    FILE_MODE,
    ArchiveError,
    check_tree_path,
    git_archive_command,
    is_dropped,
    resolve_commit,
    streamed_tarball,
    tree_sort_key,
)

DifferenceKind = Literal["injected", "removed", "changed-content", "changed-mode"]

# The tree root (the `Python-<version>/` directory itself) in `Difference.path`.
ROOT = "."
_ANY_CONTENT = ""
_READ_SIZE = 1 << 20


@dataclass(frozen=True)
class Difference:
    """A way the tarball differs from its commit that was not declared.

    `kind` is "injected" (in the tarball, not in the commit, or there more than once),
    "removed" (in the commit, not in the tarball), "changed-content" (file bytes or link
    target) or "changed-mode" (file type, permission bits or mtime).
    """

    path: str
    kind: DifferenceKind
    detail: str


@dataclass(frozen=True)
class AllowedDifferences:
    """The differences an export declares: what it adds, drops and touches.

    `generated` maps each added file (e.g. `Misc/NEWS`) to its expected SHA-256, or to None
    to accept any content. `dropped` lists paths removed beyond the standard drop rules
    (`archive.is_dropped`), like `Misc/NEWS.d`. `touched` files may carry another mtime.
    """

    generated: Mapping[str, str | None] = field(default_factory=lambda: MappingProxyType({}))
    dropped: tuple[str, ...] = ()
    touched: frozenset[str] = frozenset()

    @classmethod
    def for_export(
        cls,
        *,
        extra_files: Mapping[str, bytes] | None = None,
        touch: Sequence[str] = (),
        drop: Sequence[str] = (),
    ) -> AllowedDifferences:
        """What `export_source` called with the same arguments is allowed to change."""
        generated = {
            check_tree_path(path): hashlib.sha256(content).hexdigest()
            for path, content in (extra_files or {}).items()
        }
        return cls(
            generated=MappingProxyType(generated),
            dropped=tuple(check_tree_path(p) for p in drop),
            touched=frozenset(check_tree_path(p) for p in touch),
        )


@dataclass
class _Entry:
    kind: str  # "file", "dir", "symlink", or another tar member type
    mode: int
    mtime: int
    content: str = ""  # SHA-256 of a file, target of a symlink
    copies: int = 1


def compare_tarball_to_commit(
    tarball: Path,
    repo: Path,
    commit: str,
    prefix: str,
    allowed: AllowedDifferences,
) -> list[Difference]:
    """Compare `tarball` file by file with `git archive` of `commit`; [] when they match.

    Both are streamed (never extracted to disk, never held in memory) and hashed in
    parallel. Paths, file contents, link targets, file types, permission bits and mtimes
    are compared; the only accepted differences are the standard drop rules and those in
    `allowed`. `prefix` is the tarball's top directory, e.g. "Python-3.14.0".
    """
    sha, commit_time = resolve_commit(repo, commit)
    prefix = prefix.rstrip("/")
    # Imported here: concurrent.futures costs ~8 ms that every plan-building command would pay.
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=2, thread_name_prefix="treecompare") as pool:
        in_tarball = pool.submit(_scan_tarball, tarball, prefix)
        in_commit = pool.submit(_scan_commit, repo, sha)
        found, injected = in_tarball.result()
        committed = in_commit.result()
    expected = _expected_tree(committed, commit_time, allowed)
    differences = list(injected)
    for path in found.keys() | expected.keys() | committed.keys():
        differences.extend(
            _differences_at(path, found.get(path), expected.get(path), committed, allowed, sha)
        )
    return sorted(differences, key=lambda d: (tree_sort_key(d.path), d.kind, d.detail))


def _differences_at(
    path: str,
    actual: _Entry | None,
    expected: _Entry | None,
    committed: Mapping[str, _Entry],
    allowed: AllowedDifferences,
    sha: str,
) -> list[Difference]:
    if actual is None and expected is None:
        return []  # in the commit, dropped by the rules, and indeed absent
    if actual is None:
        assert expected is not None
        if path in allowed.generated:
            return [Difference(path, "removed", "declared generated file is missing")]
        return [Difference(path, "removed", f"in commit {sha[:12]}, missing from the tarball")]
    if expected is None:
        if path in committed:
            return [Difference(path, "injected", "the export's drop rules remove this path")]
        return [Difference(path, "injected", f"not in commit {sha[:12]}")]
    found: list[Difference] = []
    if actual.copies > 1:
        found.append(
            Difference(
                path, "injected", f"appears {actual.copies} times; extraction keeps the last"
            )
        )
    if actual.kind != expected.kind:
        found.append(
            Difference(path, "changed-mode", f"is a {actual.kind}, expected a {expected.kind}")
        )
        return found
    if expected.content != _ANY_CONTENT and actual.content != expected.content:
        what = "points to" if actual.kind == "symlink" else "sha256"
        found.append(
            Difference(
                path,
                "changed-content",
                f"{what} {actual.content}, expected {expected.content}",
            )
        )
    if actual.mode != expected.mode:
        found.append(
            Difference(
                path, "changed-mode", f"mode {actual.mode:04o}, expected {expected.mode:04o}"
            )
        )
    if actual.mtime != expected.mtime and path not in allowed.touched:
        found.append(
            Difference(
                path,
                "changed-mode",
                f"mtime {actual.mtime}, expected the commit time {expected.mtime}",
            )
        )
    return found


def _expected_tree(
    committed: Mapping[str, _Entry], commit_time: int, allowed: AllowedDifferences
) -> dict[str, _Entry]:
    expected = {
        path: entry for path, entry in committed.items() if not is_dropped(path, allowed.dropped)
    }
    expected[ROOT] = _Entry("dir", DIRECTORY_MODE, commit_time)
    for path, digest in allowed.generated.items():
        expected[path] = _Entry("file", FILE_MODE, commit_time, digest or _ANY_CONTENT)
        parent = path.rpartition("/")[0]
        while parent and parent not in expected:
            expected[parent] = _Entry("dir", DIRECTORY_MODE, commit_time)
            parent = parent.rpartition("/")[0]
    return expected


def _scan_tarball(tarball: Path, prefix: str) -> tuple[dict[str, _Entry], list[Difference]]:
    entries: dict[str, _Entry] = {}
    strays: list[Difference] = []
    with streamed_tarball(tarball, ArchiveError) as archive:
        for member in archive:
            name = member.name.rstrip("/")
            path = _tree_path(name, prefix)
            if path is None:
                strays.append(Difference(name, "injected", f"outside the {prefix}/ directory"))
                continue
            _record(entries, path, member, archive)
    return entries, strays


def _scan_commit(repo: Path, sha: str) -> dict[str, _Entry]:
    entries: dict[str, _Entry] = {}
    try:
        process = subprocess.Popen(
            git_archive_command(repo, sha), stdout=subprocess.PIPE, stderr=subprocess.PIPE
        )
    except OSError as exc:
        raise GitError(f"cannot run git: {exc}", "install git and put it on PATH") from exc
    assert process.stdout is not None and process.stderr is not None
    with process:
        try:
            with tarfile.open(fileobj=process.stdout, mode="r|") as archive:
                for member in archive:
                    _record(entries, member.name.rstrip("/"), member, archive)
        except tarfile.TarError as exc:
            process.kill()
            raise GitError(
                f"cannot read `git archive {sha}`: {exc}", "check the repository with git fsck"
            ) from exc
        process.stdout.read()
        stderr = process.stderr.read()
    if process.returncode != 0:
        raise GitError(
            f"`git archive {sha}` failed: {stderr.decode(errors='replace').strip()}",
            "check that all of the commit's objects are present (git fsck) and retry",
        )
    return entries


def _tree_path(name: str, prefix: str) -> str | None:
    if name == prefix:
        return ROOT
    if not name.startswith(prefix + "/"):
        return None
    path = name[len(prefix) + 1 :]
    if any(part in ("", ".", "..") for part in path.split("/")):
        return None
    return path


def _record(
    entries: dict[str, _Entry], path: str, member: tarfile.TarInfo, archive: tarfile.TarFile
) -> None:
    previous = entries.get(path)
    entry = _Entry(_kind(member), member.mode & 0o7777, int(member.mtime))
    if member.isfile():
        stream = archive.extractfile(member)
        assert stream is not None
        entry.content = _sha256_stream(stream)
    elif member.issym():
        entry.content = member.linkname
    if previous is not None:
        entry.copies = previous.copies + 1
    entries[path] = entry


def _kind(member: tarfile.TarInfo) -> str:
    if member.isfile():
        return "file"
    if member.isdir():
        return "dir"
    if member.issym():
        return "symlink"
    if member.islnk():
        return "hard link"
    return f"special file (tar type {member.type!r})"


def _sha256_stream(stream: IO[bytes]) -> str:
    digest = hashlib.sha256()
    while chunk := stream.read(_READ_SIZE):
        digest.update(chunk)
    return digest.hexdigest()
