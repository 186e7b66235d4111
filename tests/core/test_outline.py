"""The plan's outline: `rmtui status` shows exactly what the built plan says, without its code."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from rmtui.core.outline import OUTLINE_FILE, outline_key, outline_of, read_outline
from rmtui.core.release import RELEASE_FILE, load_release
from rmtui.core.standing import standing
from rmtui.core.store import StateStore
from rmtui.steps.plan import build_plan
from rmtui.usecases.standing import read_release, status_document
from tests.helpers import child_env, make_sandbox, short_tmpdir

VERSION = "3.13.10"


@pytest.fixture
def workspace() -> Iterator[Path]:
    with short_tmpdir("ol") as tmp:
        sandbox, _release = make_sandbox(tmp, VERSION)
        yield sandbox.workspace


def built_document(workspace: Path) -> dict[str, object]:
    """The status document as the full plan gives it, outline or no outline."""
    release = load_release(workspace)
    plan = build_plan(release)
    view = read_release(workspace)
    outline = outline_of(plan)
    assert view.plan == outline
    state = StateStore(release.state_path).load()
    assert standing(plan, state) == standing(outline, state)
    return status_document(view)


def test_the_outline_is_kept_and_then_read_with_the_same_result(workspace: Path) -> None:
    first = built_document(workspace)
    stored = json.loads((workspace / OUTLINE_FILE).read_text())
    key = outline_key((workspace / RELEASE_FILE).read_bytes())
    assert stored["key"] == key
    assert read_outline(workspace, key) == outline_of(build_plan(load_release(workspace)))
    assert status_document(read_release(workspace)) == first


def test_a_changed_release_file_never_gets_the_old_outline(workspace: Path) -> None:
    read_release(workspace)
    old_key = outline_key((workspace / RELEASE_FILE).read_bytes())
    release_file = workspace / RELEASE_FILE
    release_file.write_text(release_file.read_text() + "\n# edited\n")
    new_key = outline_key(release_file.read_bytes())
    assert new_key != old_key
    assert read_outline(workspace, new_key) is None
    read_release(workspace)
    assert read_outline(workspace, new_key) is not None


@pytest.mark.parametrize(
    "damage",
    [b"", b"{not json", b'{"key": 1}', b'{"key": "KEY", "steps": [{"id": "x"}]}', b"[]"],
)
def test_a_damaged_outline_is_rebuilt_not_trusted(workspace: Path, damage: bytes) -> None:
    expected = built_document(workspace)
    key = outline_key((workspace / RELEASE_FILE).read_bytes())
    (workspace / OUTLINE_FILE).write_bytes(damage.replace(b"KEY", key.encode()))
    assert read_outline(workspace, key) is None
    assert status_document(read_release(workspace)) == expected
    assert read_outline(workspace, key) is not None


def test_a_workspace_that_cannot_be_written_still_shows_its_status(workspace: Path) -> None:
    expected = built_document(workspace)
    (workspace / OUTLINE_FILE).unlink()
    # A folder where the outline would go: the write fails even for root, the view does not.
    (workspace / OUTLINE_FILE).mkdir()
    assert status_document(read_release(workspace)) == expected


PROBE = textwrap.dedent(
    """
    import sys
    from rmtui.cli import main

    try:
        main.main(args=sys.argv[1:], prog_name="rmtui", standalone_mode=False)
    finally:
        steps = sorted(m for m in sys.modules if m.startswith("rmtui.steps"))
        print("STEP MODULES:", len(steps), file=sys.stderr)
    """
)


def test_status_with_a_current_outline_imports_no_step(workspace: Path) -> None:
    def status() -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-c", PROBE, "status", str(workspace), "--json"],
            env=child_env(),
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )

    first, second = status(), status()
    assert first.returncode == second.returncode == 0, first.stderr + second.stderr
    assert "STEP MODULES: 0" not in first.stderr  # built the plan once, and kept its outline
    assert "STEP MODULES: 0" in second.stderr
    assert json.loads(first.stdout) == json.loads(second.stdout)
