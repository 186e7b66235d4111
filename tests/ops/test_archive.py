"""Reproducible source export from a git commit, and SHA256SUMS lists."""

from __future__ import annotations

import gzip
import hashlib
import lzma
import os
import shutil
import subprocess
import tarfile
from collections.abc import Mapping
from pathlib import Path

import pytest

from rmtui.core.errors import GitError
from rmtui.ops import tarball
from rmtui.ops.archive import (
    RELEASE_PY_TOUCHABLES,
    ArchiveError,
    ArtifactDigest,
    is_dropped,
    tree_sort_key,
)
from rmtui.ops.checksums import (
    ChecksumError,
    check_sha256sums,
    sha256_file,
    write_sha256sums,
)
from rmtui.ops.tarball import export_source

COMMIT_TIME = 1_700_000_000
VERSION = "3.14.0rc2"
PREFIX = f"Python-{VERSION}"
NEWS = {"Misc/NEWS": b"Python News\n+++++++++++\n"}

# A small tree shaped like CPython, with something for every export rule.
CPYTHON_TREE: dict[str, bytes] = {
    "README.rst": b"This is Python version 3.14.0 release candidate 2\n",
    "LICENSE": b"A. HISTORY OF THE SOFTWARE\n",
    "configure": b"#!/bin/sh\necho configuring\n",
    "Lib/os.py": b"import sys\n",
    "Lib/__pycache__/os.cpython-314.pyc": b"\x00bytecode",
    "Lib/stray.pyc": b"\x00bytecode",
    "Lib/test/.gitignore": b"*.tmp\n",
    "Include/Python-ast.h": b"/* generated */\n",
    "Python/Python-ast.c": b"/* generated */\n",
    "Python/ceval.c": b"int main(void) { return 0; }\n",
    "PC/build.bat": b"@echo off\nrem build\n",
    "Misc/NEWS.d/next/Library/2024-01-01.gh-issue-1.abc.rst": b"Fixed a thing.\n",
    "Misc/mypy/typeshed.txt": b"mypy\n",
    "Doc/a.c": b"a dot c\n",
    "Doc/a/b.txt": b"a slash b\n",
    ".gitignore": b"*.o\n",
    ".gitattributes": b"*.bat text eol=crlf\n",
    ".github/workflows/build.yml": b"on: push\n",
    ".azure-pipelines/ci.yml": b"trigger: none\n",
}
EXECUTABLES = ("configure",)
SYMLINKS = {"Tools/python-config": "../configure"}


def git(repo: Path, *args: str, env: Mapping[str, str] | None = None) -> str:
    """Run git in `repo` (the test isolation comes from conftest) and return its stdout."""
    full_env = {**os.environ, **(env or {})}
    done = subprocess.run(
        ["git", "-C", str(repo), *args], capture_output=True, text=True, env=full_env, check=True
    )
    return done.stdout.strip()


def commit_tree(
    repo: Path,
    files: Mapping[str, bytes],
    *,
    executables: tuple[str, ...] = EXECUTABLES,
    symlinks: Mapping[str, str] | None = None,
    when: int = COMMIT_TIME,
    message: str = "Python 3.14.0rc2",
) -> str:
    """Write `files` into the work tree of `repo`, commit everything, return the SHA."""
    for name, content in files.items():
        path = repo / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)
        if name in executables:
            path.chmod(0o755)
    for name, target in (SYMLINKS if symlinks is None else symlinks).items():
        link = repo / name
        link.parent.mkdir(parents=True, exist_ok=True)
        if not link.is_symlink():
            link.symlink_to(target)
    dates = {"GIT_AUTHOR_DATE": f"@{when} +0000", "GIT_COMMITTER_DATE": f"@{when} +0000"}
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "--allow-empty", "-m", message, env=dates)
    return git(repo, "rev-parse", "HEAD")


def make_repo(
    root: Path, files: Mapping[str, bytes] = CPYTHON_TREE, **kwargs: object
) -> tuple[Path, str]:
    """A fresh git repo under `root` holding one commit of `files`."""
    repo = root / "cpython"
    repo.mkdir(parents=True)
    git(repo, "init", "-q", "-b", "main")
    return repo, commit_tree(repo, files, **kwargs)  # type: ignore[arg-type]


def export(repo: Path, commit: str, out: Path, **kwargs: object) -> list[ArtifactDigest]:
    """Export with the options a CPython release uses."""
    options: dict[str, object] = {
        "extra_files": NEWS,
        "touch": RELEASE_PY_TOUCHABLES,
        "drop": ("Misc/NEWS.d",),
    }
    options.update(kwargs)
    return export_source(repo, commit, VERSION, out, **options)  # type: ignore[arg-type]


@pytest.fixture
def repo(tmp_path: Path) -> tuple[Path, str]:
    return make_repo(tmp_path)


def members(path: Path) -> list[tarfile.TarInfo]:
    with tarfile.open(path) as archive:
        return archive.getmembers()


def read_member(path: Path, name: str) -> bytes:
    with tarfile.open(path) as archive:
        stream = archive.extractfile(f"{PREFIX}/{name}")
        assert stream is not None
        return stream.read()


# --- export_source ---------------------------------------------------------------------------


def test_building_twice_gives_byte_identical_files(repo: tuple[Path, str], tmp_path: Path) -> None:
    path, sha = repo
    first = export(path, sha, tmp_path / "one")
    second = export(path, sha, tmp_path / "two")

    assert [d.path.name for d in first] == [f"{PREFIX}.tgz", f"{PREFIX}.tar.xz"]
    for a, b in zip(first, second, strict=True):
        assert a.path.read_bytes() == b.path.read_bytes()
        assert (a.size, a.sha256) == (b.size, b.sha256)
        assert a.sha256 == hashlib.sha256(a.path.read_bytes()).hexdigest()
        assert a.size == a.path.stat().st_size
        assert a.path.stat().st_mode & 0o777 == 0o644


def test_both_formats_hold_the_same_tar_stream(repo: tuple[Path, str], tmp_path: Path) -> None:
    tgz, txz = export(*repo, tmp_path / "out")
    assert gzip.decompress(tgz.path.read_bytes()) == lzma.decompress(txz.path.read_bytes())
    subprocess.run(["xz", "--test", str(txz.path)], check=True)
    subprocess.run(["gzip", "--test", str(tgz.path)], check=True)


def test_gzip_header_has_no_name_and_no_timestamp(repo: tuple[Path, str], tmp_path: Path) -> None:
    tgz, _ = export(*repo, tmp_path / "out")
    header = tgz.path.read_bytes()[:10]
    flags, mtime = header[3], header[4:8]
    assert flags & 0x08 == 0, "FNAME flag set"
    assert mtime == b"\0\0\0\0"


def test_members_are_sorted_owned_by_root_and_normalized(
    repo: tuple[Path, str], tmp_path: Path
) -> None:
    tgz, _ = export(*repo, tmp_path / "out")
    infos = members(tgz.path)
    names = [m.name for m in infos]

    assert names[0] == PREFIX
    assert all(n.startswith(PREFIX) for n in names)
    relative = [n[len(PREFIX) + 1 :] for n in names[1:]]
    assert relative == sorted(relative, key=tree_sort_key)
    # GNU tar --sort=name order: the directory Doc/a and its files come before Doc/a.c.
    assert relative.index("Doc/a/b.txt") < relative.index("Doc/a.c")
    for info in infos:
        assert (info.uid, info.gid, info.uname, info.gname) == (0, 0, "", "")
        expected_mode = 0o755 if info.isdir() or info.name.endswith("/configure") else 0o644
        if info.issym():
            expected_mode = 0o777
        assert info.mode == expected_mode, info.name


def test_drop_rules_extra_files_and_touch(repo: tuple[Path, str], tmp_path: Path) -> None:
    tgz, _ = export(*repo, tmp_path / "out")
    by_name = {m.name[len(PREFIX) + 1 :]: m for m in members(tgz.path)}

    for dropped in (
        ".gitignore",
        ".gitattributes",
        ".github",
        ".github/workflows/build.yml",
        ".azure-pipelines/ci.yml",
        "Misc/mypy/typeshed.txt",
        "Misc/mypy",
        "Lib/__pycache__/os.cpython-314.pyc",
        "Lib/__pycache__",
        "Lib/stray.pyc",
        "Lib/test/.gitignore",
        "Misc/NEWS.d",
    ):
        assert dropped not in by_name, dropped
    assert read_member(tgz.path, "Misc/NEWS") == NEWS["Misc/NEWS"]
    assert by_name["Misc/NEWS"].mtime == COMMIT_TIME
    for touched in ("Include/Python-ast.h", "Python/Python-ast.c"):
        assert by_name[touched].mtime == COMMIT_TIME + 1
    untouched = [m for n, m in by_name.items() if n not in RELEASE_PY_TOUCHABLES]
    assert {m.mtime for m in untouched} == {COMMIT_TIME}
    assert by_name["Tools/python-config"].issym()
    assert by_name["Tools/python-config"].linkname == "../configure"


def test_contents_follow_the_commits_gitattributes(repo: tuple[Path, str], tmp_path: Path) -> None:
    # `git archive` applies eol=crlf from the commit's .gitattributes; so must we.
    tgz, _ = export(*repo, tmp_path / "out")
    assert read_member(tgz.path, "PC/build.bat") == b"@echo off\r\nrem build\r\n"


def test_export_reads_the_commit_not_the_working_tree(
    repo: tuple[Path, str], tmp_path: Path
) -> None:
    path, sha = repo
    (path / "Lib/os.py").write_bytes(b"import evil\n")
    (path / "Lib/untracked.py").write_bytes(b"oops\n")
    tgz, _ = export(path, sha, tmp_path / "out")
    assert read_member(tgz.path, "Lib/os.py") == b"import sys\n"
    assert f"{PREFIX}/Lib/untracked.py" not in [m.name for m in members(tgz.path)]


def test_export_works_from_a_bare_repository(repo: tuple[Path, str], tmp_path: Path) -> None:
    path, sha = repo
    bare = tmp_path / "upstream.git"
    subprocess.run(["git", "clone", "-q", "--bare", str(path), str(bare)], check=True)
    from_bare = export(bare, sha, tmp_path / "bare-out")
    from_clone = export(path, sha, tmp_path / "clone-out")
    assert [d.sha256 for d in from_bare] == [d.sha256 for d in from_clone]


def test_xz_bytes_do_not_depend_on_thread_count_or_xz_env(
    repo: tuple[Path, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path, sha = repo
    monkeypatch.setattr(os, "cpu_count", lambda: 1)
    one_cpu = export(path, sha, tmp_path / "one")
    monkeypatch.setattr(os, "cpu_count", lambda: 8)
    monkeypatch.setenv("XZ_OPT", "-0")
    monkeypatch.setenv("XZ_DEFAULTS", "--check=none")
    eight_cpus = export(path, sha, tmp_path / "eight")
    assert one_cpu[1].sha256 == eight_cpus[1].sha256


def test_progress_is_reported(repo: tuple[Path, str], tmp_path: Path) -> None:
    messages: list[str] = []
    export(*repo, tmp_path / "out", progress=messages.append)
    assert any("git archive" in m for m in messages)
    assert any(m.startswith(f"wrote {PREFIX}.tar.xz") for m in messages)
    assert any("Python/opcode_targets.h" in m and "left alone" in m for m in messages)


def test_unknown_commit_is_a_clear_git_error(repo: tuple[Path, str], tmp_path: Path) -> None:
    path, _ = repo
    with pytest.raises(GitError) as caught:
        export(path, "0" * 40, tmp_path / "out")
    assert "not found" in caught.value.problem
    assert "fetch" in caught.value.hint


def test_missing_repository_is_a_clear_git_error(tmp_path: Path) -> None:
    with pytest.raises(GitError, match="not found"):
        export(tmp_path / "nowhere", "HEAD", tmp_path / "out")


@pytest.mark.parametrize("version", ["", "../3.14", "3.14 final", "-3"])
def test_bad_version_is_rejected(repo: tuple[Path, str], tmp_path: Path, version: str) -> None:
    with pytest.raises(ArchiveError, match="cannot name a tarball") as caught:
        export_source(repo[0], repo[1], version, tmp_path / "out")
    assert caught.value.hint


@pytest.mark.parametrize("bad", ["/etc/passwd", "../NEWS", "Misc//NEWS", "Misc/./NEWS", ""])
def test_extra_file_outside_the_tree_is_rejected(
    repo: tuple[Path, str], tmp_path: Path, bad: str
) -> None:
    with pytest.raises(ArchiveError, match="not a relative path") as caught:
        export(*repo, tmp_path / "out", extra_files={bad: b"x"})
    assert "Misc/NEWS" in caught.value.hint


def test_extra_file_that_the_rules_drop_is_rejected(repo: tuple[Path, str], tmp_path: Path) -> None:
    with pytest.raises(ArchiveError, match="drop rules"):
        export(*repo, tmp_path / "out", extra_files={".github/NEWS": b"x"})


def test_missing_xz_fails_cleanly_and_leaves_nothing_behind(
    repo: tuple[Path, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_which = shutil.which
    monkeypatch.setattr(
        tarball.shutil, "which", lambda name: None if name == "xz" else real_which(name)
    )
    out = tmp_path / "out"
    with pytest.raises(ArchiveError, match="xz") as caught:
        export(*repo, out)
    assert "install" in caught.value.hint
    assert list(out.iterdir()) == []


def test_compressor_failure_midway_leaves_no_partial_artifact(
    repo: tuple[Path, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(tarball, "xz_command", lambda: ["xz", "--no-such-option"])
    out = tmp_path / "out"
    with pytest.raises(ArchiveError, match="compress"):
        export(*repo, out)
    assert list(out.iterdir()) == []


def test_is_dropped_rules() -> None:
    assert is_dropped(".github/workflows/x.yml")
    assert is_dropped(".git-blame-ignore-revs")
    assert is_dropped("Lib/test/.gitattributes")
    assert is_dropped(".azure-pipelines")
    assert is_dropped("Misc/mypy/x")
    assert is_dropped("Lib/__pycache__/x.py")
    assert is_dropped("Lib/x.pyo")
    assert is_dropped("Misc/NEWS.d/x.rst", ("Misc/NEWS.d",))
    assert not is_dropped("Misc/NEWS.dx", ("Misc/NEWS.d",))
    assert not is_dropped("Misc/mypyc.txt")
    assert not is_dropped("Lib/azure-pipelines.py")
    assert not is_dropped("Lib/pyc.py")


# --- checksums ---------------------------------------------------------------------------------


def test_sha256_file_matches_hashlib(tmp_path: Path) -> None:
    data = os.urandom(3 * (1 << 20) + 12345)
    (tmp_path / "big").write_bytes(data)
    (tmp_path / "empty").write_bytes(b"")
    assert sha256_file(tmp_path / "big") == hashlib.sha256(data).hexdigest()
    assert sha256_file(tmp_path / "empty") == hashlib.sha256(b"").hexdigest()


def test_sha256sums_is_accepted_by_sha256sum_and_by_our_check(tmp_path: Path) -> None:
    names = ["Python-3.14.0.tgz", "Python-3.14.0.tar.xz", "Python-3.14.0.tgz.spdx.json"]
    for index, name in enumerate(names):
        (tmp_path / name).write_bytes(bytes([index]) * 1000)
    sums = write_sha256sums(tmp_path, [tmp_path / n for n in names])

    assert sums == tmp_path / "SHA256SUMS"
    lines = sums.read_text().splitlines()
    assert [line.split("  ")[1] for line in lines] == sorted(names)
    done = subprocess.run(["sha256sum", "-c", "SHA256SUMS"], cwd=tmp_path, capture_output=True)
    assert done.returncode == 0, done.stdout + done.stderr
    assert check_sha256sums(sums) == [(n, True, "OK") for n in sorted(names)]


def test_check_reports_mismatch_missing_and_outside(tmp_path: Path) -> None:
    (tmp_path / "a.tgz").write_bytes(b"original")
    (tmp_path / "b.tgz").write_bytes(b"b")
    sums = write_sha256sums(tmp_path, [tmp_path / "a.tgz", tmp_path / "b.tgz"])
    (tmp_path / "a.tgz").write_bytes(b"tampered")
    (tmp_path / "b.tgz").unlink()
    with sums.open("a") as stream:
        stream.write(f"{'0' * 64}  ../escape.tgz\n")
        stream.write(f"{hashlib.sha256(b'x').hexdigest().upper()} *star.bin\n")
    (tmp_path / "star.bin").write_bytes(b"x")

    assert check_sha256sums(sums) == [
        ("a.tgz", False, "checksum mismatch"),
        ("b.tgz", False, "missing"),
        ("../escape.tgz", False, "outside the directory"),
        ("star.bin", True, "OK"),
    ]


def test_check_reads_sha256sum_escaped_names(tmp_path: Path) -> None:
    odd = tmp_path / "back\\slash.bin"
    odd.write_bytes(b"odd")
    listing = subprocess.run(
        ["sha256sum", odd.name], cwd=tmp_path, capture_output=True, text=True, check=True
    ).stdout
    assert listing.startswith("\\")
    (tmp_path / "SUMS").write_text(listing)
    assert check_sha256sums(tmp_path / "SUMS") == [(odd.name, True, "OK")]


@pytest.mark.parametrize("content", ["not a checksum line\n", "abc  short.tgz\n", "\n"])
def test_malformed_or_empty_sums_file_is_an_error(tmp_path: Path, content: str) -> None:
    (tmp_path / "SHA256SUMS").write_text(content)
    with pytest.raises(ChecksumError) as caught:
        check_sha256sums(tmp_path / "SHA256SUMS")
    assert caught.value.hint


def test_unreadable_sums_file_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ChecksumError, match="cannot read"):
        check_sha256sums(tmp_path / "nope")


def test_write_refuses_files_outside_the_directory(tmp_path: Path) -> None:
    (tmp_path / "inside").mkdir()
    (tmp_path / "outside.tgz").write_bytes(b"x")
    with pytest.raises(ChecksumError, match="not inside"):
        write_sha256sums(tmp_path / "inside", [tmp_path / "outside.tgz"])
    with pytest.raises(ChecksumError, match="not a file"):
        write_sha256sums(tmp_path / "inside", [tmp_path / "inside" / "missing.tgz"])
    assert not (tmp_path / "inside" / "SHA256SUMS").exists()
