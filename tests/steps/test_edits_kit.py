"""kit/edits.py: which uncommitted changes a step may take for its own, and the record's life."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from rmtui.core.errors import StepFailed
from rmtui.ops.git import GitRepo
from rmtui.steps.kit.edits import (
    PENDING,
    EditRecord,
    Image,
    bytes_digest,
    changed_paths,
    digest_of,
    record_path,
)
from tests.helpers import fake_release, git

A, B, C = (bytes_digest(x) for x in (b"a", b"b", b"c"))


def test_only_a_recorded_image_counts_as_the_steps_own() -> None:
    edited = Image(before=A, after=B)
    assert edited.matches(A) and edited.matches(B)
    assert not edited.matches(C), "a hand edit of a file the step writes"
    assert not edited.matches(None), "a file the step rewrites, deleted by hand"
    created = Image(before=None, after=B)
    assert created.matches(B) and created.matches(None) and not created.matches(C)


def test_a_tool_still_running_owns_only_the_deletions_of_what_it_was_given() -> None:
    given = Image(before=A, after=PENDING)
    assert given.matches(A) and given.matches(None)
    assert not given.matches(C)
    written = Image(before=None, after=PENDING)
    assert not written.matches(C), "what the tool was writing has no image to prove it"


def test_the_record_is_written_before_the_edit_and_forgotten_after_the_commit(
    tmp_path: Path,
) -> None:
    release = fake_release(tmp_path / "ws")
    clone = release.clone
    clone.mkdir()
    git("init", "-q", cwd=clone)
    (clone / "README.rst").write_text("a")
    record = EditRecord(release, "release.tools")
    record.will_write("base1", {"README.rst": b"b", "NEW.rst": b"c"})
    saved = json.loads(record_path(release, "release.tools").read_text())
    assert saved["base"] == "base1"
    assert saved["files"]["README.rst"] == {"before": A, "after": B}
    assert saved["files"]["NEW.rst"] == {"before": None, "after": C}
    # A second attempt from the same base keeps the first pre-image, whatever the file is now.
    (clone / "README.rst").write_text("b")
    EditRecord(release, "release.tools").will_write("base1", {"README.rst": b"b"})
    assert EditRecord(release, "release.tools").files["README.rst"] == Image(A, B)
    # Another base starts a new record.
    EditRecord(release, "release.tools").will_write("base2", {"README.rst": b"c"})
    assert EditRecord(release, "release.tools").files == {"README.rst": Image(B, C)}
    EditRecord(release, "release.tools").forget()
    assert not record_path(release, "release.tools").exists()


def test_an_unreadable_record_restores_nothing(tmp_path: Path) -> None:
    release = fake_release(tmp_path / "ws")
    path = record_path(release, "release.tools")
    path.parent.mkdir(parents=True)
    path.write_text("{not json")
    with pytest.raises(StepFailed) as caught:
        EditRecord(release, "release.tools")
    assert "cannot be read" in caught.value.problem
    assert caught.value.hint.startswith("commit or stash them, then retry")


def test_changed_paths_lists_untracked_files_one_by_one(tmp_path: Path) -> None:
    git("init", "-q", cwd=tmp_path)
    (tmp_path / "kept.txt").write_text("x")
    git("add", "kept.txt", cwd=tmp_path)
    git("-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "one", cwd=tmp_path)
    (tmp_path / "kept.txt").write_text("y")
    (tmp_path / "news" / "next").mkdir(parents=True)
    (tmp_path / "news" / "next" / "mine one.rst").write_text("z")
    assert sorted(changed_paths(GitRepo(tmp_path))) == ["kept.txt", "news/next/mine one.rst"]
    assert digest_of(tmp_path / "news") is None
