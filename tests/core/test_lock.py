"""The release lock: one process drives a release; a second one is refused, naming the first."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from rmtui.core.errors import LockedError
from rmtui.core.release import write_release_file
from rmtui.core.store import ReleaseLock
from tests.helpers import (
    FakeStep,
    child_env,
    make_sandbox,
    new_engine,
    rmtui,
    short_tmpdir,
    status_json,
    workspace_files,
)


def test_a_second_holder_is_refused_with_the_first_ones_pid(tmp_path: Path) -> None:
    first = ReleaseLock(tmp_path / "lock", "3.14.0rc1")
    second = ReleaseLock(tmp_path / "lock", "3.14.0rc1")
    first.acquire()
    try:
        assert (tmp_path / "lock").read_text().strip() == str(os.getpid())
        with pytest.raises(LockedError) as caught:
            second.acquire()
        assert f"pid {os.getpid()}" in caught.value.problem
        assert "3.14.0rc1" in caught.value.problem
        assert f"kill {os.getpid()}" in caught.value.hint
        assert not second.held
    finally:
        first.release()
    assert (tmp_path / "lock").read_text() == "", "a released lock names nobody"
    with second.held_for():
        assert second.held
    assert not second.held


@pytest.fixture
def fake_workspace(tmp_path: Path) -> Path:
    engine = new_engine(tmp_path / "ws", [FakeStep("one")])
    write_release_file(engine.release)
    return engine.release.workspace


def test_rmtui_run_is_refused_while_this_process_drives(fake_workspace: Path) -> None:
    holder = new_engine(fake_workspace, [FakeStep("one")], initialise=False)
    with holder.opened():
        before = workspace_files(fake_workspace)
        done = rmtui("run", fake_workspace, "--yes")
        assert done.returncode == 2
        assert f"pid {os.getpid()}" in done.stderr
        assert "another rmtui process" in done.stderr
        assert "how to fix" in done.stderr
        assert workspace_files(fake_workspace) == before
        # Reading needs no lock: status works while another process drives.
        shown = rmtui("status", fake_workspace, "--json")
        assert shown.returncode == 0, shown.stderr
        assert workspace_files(fake_workspace) == before


HOLDER = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    from rmtui.cli.terminal_prompter import TerminalPrompter
    from rmtui.usecases.lifecycle import make_engine

    engine = make_engine(Path(sys.argv[1]), TerminalPrompter(assume_yes=True, interactive=False))
    engine.open()
    print("holding", flush=True)
    sys.stdin.read()
    """
)


@pytest.fixture
def sandbox_root() -> Iterator[Path]:
    with short_tmpdir("lk") as root:
        yield root


def test_a_real_second_process_is_refused_until_the_first_dies(sandbox_root: Path) -> None:
    sandbox, _release = make_sandbox(sandbox_root)
    workspace = sandbox.workspace
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(workspace)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        env=child_env(),
    )
    try:
        assert holder.stdout is not None
        assert holder.stdout.readline().strip() == "holding"
        before = workspace_files(workspace)
        refused = rmtui("run", workspace, "--yes")
        assert refused.returncode == 2, refused.stdout + refused.stderr
        assert f"pid {holder.pid}" in refused.stderr
        assert workspace_files(workspace) == before, "the refused process changed nothing"
    finally:
        os.kill(holder.pid, signal.SIGKILL)
        holder.wait()
    # The kernel drops a dead holder's flock: the release can be resumed at once.
    resumed = rmtui("run", workspace, "--until", "preflight", "--yes")
    assert resumed.returncode == 0, resumed.stdout + resumed.stderr
    assert status_json(workspace).statuses["preflight"] == "done"
