"""release.tools never discards the RM's work: each file it writes, edited by hand, is kept."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from rmtui.core.status import Status
from rmtui.ops.git import GitRepo
from rmtui.sandbox.build import Sandbox
from rmtui.steps.kit.edits import WAY_OUT, changed_paths
from tests.helpers import git, refs, short_tmpdir
from tests.helpers.world import journal_lines
from tests.steps.test_git_half import VERSION, Rehearsal, _kill_before_commit, sandbox

HAND_EDIT = "\n.. edited by the release manager, not committed yet\n"


@pytest.fixture
def tmp() -> Iterator[Path]:
    with short_tmpdir("oe") as path:
        yield path


def first_next_entry(clone: Path) -> str:
    entries = sorted(
        p for p in (clone / "Misc/NEWS.d/next").rglob("*.rst") if p.name != "README.rst"
    )
    return entries[0].relative_to(clone).as_posix()


def append(name: str) -> Callable[[Path], str]:
    def edit(clone: Path) -> str:
        path = clone / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text((path.read_text() if path.exists() else "") + HAND_EDIT)
        return name

    return edit


def edit_next_entry(clone: Path) -> str:
    return append(first_next_entry(clone))(clone)


def recreate_next_entry(name: str) -> Callable[[Path], str]:
    return append(name)


NEW_ENTRY = "Misc/NEWS.d/next/Library/2026-01-01-00-00-00.gh-issue-1.mine.rst"

# (what the RM edits before the first attempt, what it edits after an interrupted one)
CASES = {
    "README.rst": (append("README.rst"), append("README.rst")),
    "patchlevel.h": (append("Include/patchlevel.h"), append("Include/patchlevel.h")),
    "a NEWS entry blurb folds": (edit_next_entry, None),
    "a new uncommitted NEWS entry": (append(NEW_ENTRY), append(NEW_ENTRY)),
    "the NEWS file blurb writes": (
        append("Misc/NEWS.d/3.13.5.rst"),
        append("Misc/NEWS.d/3.13.5.rst"),
    ),
}


def refused_keeping(rehearsal: Rehearsal, sb: Sandbox, name: str) -> None:
    """release.tools stops naming `name`, whose hand edit is still there, history intact."""
    before = journal_lines(sb.workspace)
    record = rehearsal.fails_at("release.tools")
    assert f"changes this step did not make: {name}" in record.error
    assert record.hint == WAY_OUT
    assert (sb.clone / name).read_text().endswith(HAND_EDIT)
    assert name in changed_paths(GitRepo(sb.clone))
    after = journal_lines(sb.workspace)
    assert after[: len(before)] == before


def retry_until_killed(rehearsal: Rehearsal, monkeypatch: pytest.MonkeyPatch) -> None:
    _kill_before_commit(monkeypatch)
    with pytest.raises(KeyboardInterrupt), rehearsal.engine.opened():
        rehearsal.engine.retry("release.tools")
        rehearsal.engine.run_until()


@pytest.mark.parametrize("case", sorted(CASES))
def test_a_hand_edit_of_a_file_release_tools_writes_is_never_discarded(
    tmp: Path, monkeypatch: pytest.MonkeyPatch, case: str
) -> None:
    edit_first, edit_between = CASES[case]
    sb = sandbox(tmp)
    rehearsal = Rehearsal(sb)
    rehearsal.run(until="fork.update")
    next_entry = first_next_entry(sb.clone)

    # Before the first attempt: refused, the edit kept.
    name = edit_first(sb.clone)
    refused_keeping(rehearsal, sb, name)
    git("stash", "-q", "-u", cwd=sb.clone)

    # After an interrupted attempt: the step's own edits are there; the RM edits again.
    retry_until_killed(rehearsal, monkeypatch)
    assert rehearsal.record("release.tools").status is Status.RUNNING
    assert (sb.workspace / "edits" / "release.tools.json").is_file()
    name = (edit_between or recreate_next_entry(next_entry))(sb.clone)
    refused_keeping(rehearsal, sb, name)


def test_upstream_push_never_commits_or_discards_a_hand_edit_of_patchlevel(
    tmp: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sb = sandbox(tmp)
    rehearsal = Rehearsal(sb)
    rehearsal.run(until="fork.push")
    upstream = refs(sb.upstream)
    name = "Include/patchlevel.h"

    # Before the first attempt: refused, kept, nothing pushed.
    append(name)(sb.clone)
    before = journal_lines(sb.workspace)
    record = rehearsal.fails_at("upstream.push")
    assert f"changes this step did not make: {name}" in record.error
    assert record.hint == WAY_OUT
    assert (sb.clone / name).read_text().endswith(HAND_EDIT)
    assert journal_lines(sb.workspace)[: len(before)] == before
    assert refs(sb.upstream) == upstream
    git("stash", "-q", cwd=sb.clone)

    # Interrupted between its own edit and the post-release commit, then edited by hand.
    _kill_before_commit(monkeypatch)
    with pytest.raises(KeyboardInterrupt), rehearsal.engine.opened():
        rehearsal.engine.retry("upstream.push")
        rehearsal.engine.run_until()
    assert (sb.workspace / "edits" / "upstream.push.json").is_file()
    saved = (sb.clone / name).read_text()
    append(name)(sb.clone)
    record = rehearsal.fails_at("upstream.push")
    assert f"changes this step did not make: {name}" in record.error
    assert (sb.clone / name).read_text().endswith(HAND_EDIT)
    assert refs(sb.upstream) == upstream

    # Its own edit alone is put back and redone: the post-release commit is made once.
    (sb.clone / name).write_text(saved)
    rehearsal.retry_and_finish("upstream.push")
    assert not (sb.workspace / "edits" / "upstream.push.json").exists()
    log = git("log", "--format=%s", "-3", "3.13", cwd=sb.upstream).splitlines()
    assert log.count(f"Post {VERSION}") == 1
