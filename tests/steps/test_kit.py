"""The kit's contract pieces: Commands with placeholders, typed facts, read-only probe contexts."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from rmtui.core import facts
from rmtui.core.command import Command, UnfilledPlaceholder
from rmtui.core.context import ReadOnlyContext
from rmtui.core.errors import StepFailed
from rmtui.core.step import Action
from rmtui.core.store import ReleaseState
from rmtui.ops.checksums import NOT_SHIPPED_SUFFIXES, SUMS_FILE_NAME
from rmtui.steps.kit import commands
from rmtui.steps.kit.manifest import shipped_artifacts
from tests.helpers import fake_release


def test_a_command_shows_its_placeholders_and_runs_them_filled() -> None:
    tag = Command.of(
        "git",
        "-C",
        "/c",
        "tag",
        "-a",
        "-m",
        "Python 3.13.5",
        "v3.13.5",
        "{release.commit_sha}",
        sentence="annotated tag v3.13.5",
    )
    assert tag.placeholders() == ["release.commit_sha"]
    assert tag.display() == "git -C /c tag -a -m 'Python 3.13.5' v3.13.5 {release.commit_sha}"
    filled = tag.filled({"release.commit_sha": "a" * 40})
    assert filled.argv[-1] == "a" * 40 and filled.sentence == tag.sentence
    with pytest.raises(UnfilledPlaceholder):
        tag.filled({})
    action = Action.of(tag)
    assert (action.description, action.command, action.argv) == (tag.sentence, tag.display(), tag)
    assert action.render() == f"{tag.sentence}\n    $ {tag.display()}"
    inside = Command.of("sh", "-c", "make -j", cwd="{worktree}", sentence="build")
    assert inside.display() == "cd {worktree} && sh -c 'make -j'"


def test_facts_are_typed_and_registered_once() -> None:
    state = ReleaseState(version="3.13.5")
    state.facts["release.commit_sha"] = {"value": "b" * 40}
    state.facts["tag.signed"] = {"value": "yes"}
    from rmtui.core.context import FactView

    view = FactView(state)
    assert facts.RELEASE_COMMIT.get(view) == "b" * 40
    assert facts.TAG_SIGNED.get(view) is None, "a value of another type is not the fact"
    with pytest.raises(StepFailed, match=r"run fork\.update"):
        facts.UPSTREAM_BASE.require(view)
    with pytest.raises(TypeError):
        facts.TAG_SIGNED.check("yes")
    assert facts.describe("signed.Python-3.13.5.tgz") is not None
    assert facts.describe("handoff.Windows") is not None
    assert facts.describe("no.such.fact") is None
    names = [f.name for f in facts.FACTS]
    assert len(names) == len(set(names))


def test_a_probe_context_cannot_record_write_or_run_a_changing_command(tmp_path: Path) -> None:
    release = fake_release(tmp_path / "ws")
    ctx = ReadOnlyContext(release, ReleaseState(version="3.14.0rc1"), threading.Event())
    for forbidden in ("record_fact", "output", "progress", "prompter"):
        assert not hasattr(ctx, forbidden), forbidden
    assert not commands.may_change(ctx)
    changing = Command.of("touch", tmp_path / "made", sentence="make a file")
    with pytest.raises(StepFailed, match="probes only look"):
        commands.run(ctx, changing)
    assert not (tmp_path / "made").exists()
    looking = Command.of("true", sentence="look", read_only=True)
    assert commands.run(ctx, looking).code == 0


def test_one_list_of_what_is_not_shipped(tmp_path: Path) -> None:
    for name in ("Python-3.13.5.tgz", SUMS_FILE_NAME, ".hidden"):
        (tmp_path / name).write_text("x")
    for suffix in NOT_SHIPPED_SUFFIXES:
        (tmp_path / f"Python-3.13.5.tgz{suffix}").write_text("x")
    assert [p.name for p in shipped_artifacts(tmp_path)] == ["Python-3.13.5.tgz"]
