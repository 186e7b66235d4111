"""A tarball must hold exactly `git archive` of its commit plus the declared differences."""

from __future__ import annotations

import io
import tarfile
from collections.abc import Callable
from pathlib import Path

import pytest

from rmtui.core.errors import GitError
from rmtui.ops.archive import RELEASE_PY_TOUCHABLES, ArchiveError
from rmtui.ops.treecompare import AllowedDifferences, Difference, compare_tarball_to_commit
from tests.ops.test_archive import COMMIT_TIME, NEWS, PREFIX, commit_tree, export, make_repo

ALLOWED = AllowedDifferences.for_export(
    extra_files=NEWS, touch=RELEASE_PY_TOUCHABLES, drop=("Misc/NEWS.d",)
)

Member = tuple[tarfile.TarInfo, bytes | None]
Transform = Callable[[list[Member]], list[Member]]


@pytest.fixture
def built(tmp_path: Path) -> tuple[Path, str, Path]:
    """A repo, its release commit, and a clean .tgz export of it."""
    repo, sha = make_repo(tmp_path)
    tgz, _ = export(repo, sha, tmp_path / "out")
    return repo, sha, tgz.path


def rewrite(source: Path, target: Path, transform: Transform) -> Path:
    """Copy the tarball `source` to `target` (.tgz), letting `transform` edit its members."""
    with tarfile.open(source) as archive:
        items: list[Member] = []
        for info in archive.getmembers():
            stream = archive.extractfile(info) if info.isfile() else None
            items.append((info, stream.read() if stream else None))
    with tarfile.open(target, "w:gz", format=tarfile.PAX_FORMAT) as out:
        for info, data in transform(items):
            out.addfile(info, io.BytesIO(data) if data is not None else None)
    return target


def new_file(name: str, data: bytes, mode: int = 0o644, mtime: int = COMMIT_TIME) -> Member:
    info = tarfile.TarInfo(name)
    info.size, info.mode, info.mtime = len(data), mode, mtime
    return info, data


def edit(name: str, change: Callable[[tarfile.TarInfo, bytes | None], Member]) -> Transform:
    def transform(items: list[Member]) -> list[Member]:
        return [change(i, d) if i.name == f"{PREFIX}/{name}" else (i, d) for i, d in items]

    return transform


def compare(
    tarball: Path, repo: Path, sha: str, allowed: AllowedDifferences = ALLOWED
) -> list[Difference]:
    return compare_tarball_to_commit(tarball, repo, sha, PREFIX, allowed)


def kinds(differences: list[Difference]) -> list[tuple[str, str]]:
    return [(d.path, d.kind) for d in differences]


def test_clean_exports_report_nothing(tmp_path: Path) -> None:
    repo, sha = make_repo(tmp_path)
    tgz, txz = export(repo, sha, tmp_path / "out")
    assert compare(tgz.path, repo, sha) == []
    assert compare(txz.path, repo, sha) == []
    assert compare_tarball_to_commit(txz.path, repo, sha, PREFIX + "/", ALLOWED) == []


def test_injected_file_is_reported(built: tuple[Path, str, Path], tmp_path: Path) -> None:
    repo, sha, tgz = built

    def inject(items: list[Member]) -> list[Member]:
        return [*items, new_file(f"{PREFIX}/Lib/backdoor.py", b"import os\n")]

    bad = rewrite(tgz, tmp_path / "injected.tgz", inject)
    differences = compare(bad, repo, sha)
    assert kinds(differences) == [("Lib/backdoor.py", "injected")]
    assert sha[:12] in differences[0].detail


def test_removed_file_is_reported(built: tuple[Path, str, Path], tmp_path: Path) -> None:
    repo, sha, tgz = built

    def remove(items: list[Member]) -> list[Member]:
        return [(i, d) for i, d in items if i.name != f"{PREFIX}/Python/ceval.c"]

    bad = rewrite(tgz, tmp_path / "removed.tgz", remove)
    assert kinds(compare(bad, repo, sha)) == [("Python/ceval.c", "removed")]


def test_changed_file_is_reported(built: tuple[Path, str, Path], tmp_path: Path) -> None:
    repo, sha, tgz = built

    def tamper(info: tarfile.TarInfo, data: bytes | None) -> Member:
        return new_file(info.name, b"import sys, evil\n")

    bad = rewrite(tgz, tmp_path / "changed.tgz", edit("Lib/os.py", tamper))
    differences = compare(bad, repo, sha)
    assert kinds(differences) == [("Lib/os.py", "changed-content")]
    assert "expected" in differences[0].detail


def test_changed_mode_and_type_are_reported(built: tuple[Path, str, Path], tmp_path: Path) -> None:
    repo, sha, tgz = built

    def chmod(info: tarfile.TarInfo, data: bytes | None) -> Member:
        info.mode = 0o644
        return info, data

    def to_symlink(info: tarfile.TarInfo, data: bytes | None) -> Member:
        link = tarfile.TarInfo(info.name)
        link.type, link.linkname, link.mtime, link.mode = (
            tarfile.SYMTYPE,
            "/etc",
            COMMIT_TIME,
            0o777,
        )
        return link, None

    bad = rewrite(tgz, tmp_path / "a.tgz", edit("configure", chmod))
    assert [(d.path, d.kind, d.detail) for d in compare(bad, repo, sha)] == [
        ("configure", "changed-mode", "mode 0644, expected 0755")
    ]
    bad = rewrite(tgz, tmp_path / "b.tgz", edit("Lib/os.py", to_symlink))
    assert [(d.path, d.kind, d.detail) for d in compare(bad, repo, sha)] == [
        ("Lib/os.py", "changed-mode", "is a symlink, expected a file")
    ]


def test_mtime_may_differ_only_for_touched_files(
    built: tuple[Path, str, Path], tmp_path: Path
) -> None:
    repo, sha, tgz = built

    def age(info: tarfile.TarInfo, data: bytes | None) -> Member:
        info.mtime = 1
        return info, data

    touched = rewrite(tgz, tmp_path / "a.tgz", edit("Include/Python-ast.h", age))
    assert compare(touched, repo, sha) == []
    untouched = rewrite(tgz, tmp_path / "b.tgz", edit("Lib/os.py", age))
    assert kinds(compare(untouched, repo, sha)) == [("Lib/os.py", "changed-mode")]


def test_dropped_dotfiles_must_stay_out(built: tuple[Path, str, Path], tmp_path: Path) -> None:
    repo, sha, tgz = built

    def add_back(items: list[Member]) -> list[Member]:
        return [*items, new_file(f"{PREFIX}/.github/workflows/build.yml", b"on: push\n")]

    bad = rewrite(tgz, tmp_path / "dotfiles.tgz", add_back)
    differences = compare(bad, repo, sha)
    assert kinds(differences) == [(".github/workflows/build.yml", "injected")]
    assert "drop rules" in differences[0].detail


def test_undeclared_generated_file_is_injected(built: tuple[Path, str, Path]) -> None:
    repo, sha, tgz = built
    undeclared = AllowedDifferences.for_export(touch=RELEASE_PY_TOUCHABLES, drop=("Misc/NEWS.d",))
    assert kinds(compare(tgz, repo, sha, undeclared)) == [("Misc/NEWS", "injected")]


def test_generated_file_with_other_content_is_changed(
    built: tuple[Path, str, Path], tmp_path: Path
) -> None:
    repo, sha, tgz = built
    other = AllowedDifferences.for_export(
        extra_files={"Misc/NEWS": b"other news"}, touch=RELEASE_PY_TOUCHABLES, drop=("Misc/NEWS.d",)
    )
    assert kinds(compare(tgz, repo, sha, other)) == [("Misc/NEWS", "changed-content")]
    any_content = AllowedDifferences(
        generated={"Misc/NEWS": None},
        touched=frozenset(RELEASE_PY_TOUCHABLES),
        dropped=("Misc/NEWS.d",),
    )
    assert compare(tgz, repo, sha, any_content) == []


def test_undeclared_drop_is_a_removal(built: tuple[Path, str, Path]) -> None:
    repo, sha, tgz = built
    no_drop = AllowedDifferences.for_export(extra_files=NEWS, touch=RELEASE_PY_TOUCHABLES)
    assert set(kinds(compare(tgz, repo, sha, no_drop))) == {
        ("Misc/NEWS.d", "removed"),
        ("Misc/NEWS.d/next", "removed"),
        ("Misc/NEWS.d/next/Library", "removed"),
        ("Misc/NEWS.d/next/Library/2024-01-01.gh-issue-1.abc.rst", "removed"),
    }


def test_duplicates_and_paths_outside_the_prefix_are_injected(
    built: tuple[Path, str, Path], tmp_path: Path
) -> None:
    repo, sha, tgz = built

    def smuggle(items: list[Member]) -> list[Member]:
        return [
            *items,
            new_file(f"{PREFIX}/Lib/os.py", b"import sys\n"),
            new_file(f"{PREFIX}/../evil.sh", b"rm -rf /\n"),
            new_file("elsewhere/x", b"x"),
        ]

    bad = rewrite(tgz, tmp_path / "smuggle.tgz", smuggle)
    differences = compare(bad, repo, sha)
    assert sorted(kinds(differences)) == [
        ("Lib/os.py", "injected"),
        (f"{PREFIX}/../evil.sh", "injected"),
        ("elsewhere/x", "injected"),
    ]
    assert any("2 times" in d.detail for d in differences)


def test_comparing_against_another_commit_names_every_file(
    built: tuple[Path, str, Path],
) -> None:
    repo, _, tgz = built
    later = commit_tree(repo, {"Lib/os.py": b"import sys, os\n", "Lib/new.py": b"new\n"})
    assert kinds(compare(tgz, repo, later)) == [
        ("Lib/new.py", "removed"),
        ("Lib/os.py", "changed-content"),
    ]


def test_unreadable_tarballs_are_clear_errors(
    built: tuple[Path, str, Path], tmp_path: Path
) -> None:
    repo, sha, tgz = built
    truncated = tmp_path / "truncated.tgz"
    truncated.write_bytes(tgz.read_bytes()[: len(tgz.read_bytes()) // 2])
    with pytest.raises(ArchiveError, match="cannot read tarball") as caught:
        compare(truncated, repo, sha)
    assert "export.source" in caught.value.hint
    with pytest.raises(ArchiveError, match="does not exist"):
        compare(tmp_path / "missing.tgz", repo, sha)
    garbage = tmp_path / "garbage.tgz"
    garbage.write_bytes(b"not a tarball at all" * 100)
    with pytest.raises(ArchiveError, match="cannot read tarball"):
        compare(garbage, repo, sha)
    _, txz = export(repo, sha, tmp_path / "xz")
    cut_xz = tmp_path / "truncated.tar.xz"
    cut_xz.write_bytes(txz.path.read_bytes()[:-20])
    with pytest.raises(ArchiveError, match="cannot read tarball"):
        compare(cut_xz, repo, sha)


def test_unknown_commit_is_a_git_error(built: tuple[Path, str, Path]) -> None:
    repo, _, tgz = built
    with pytest.raises(GitError, match="not found"):
        compare(tgz, repo, "f" * 40)
