"""The TUI commands refuse to start without a terminal, and say what to run instead."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path


def _rmtui(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "rmtui", *args],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_rehearse_without_a_terminal_builds_nothing_and_points_at_auto(tmp_path: Path) -> None:
    target = tmp_path / "sandbox"
    done = _rmtui("rehearse", "--dir", str(target))
    assert done.returncode == 2
    assert "the TUI needs a terminal" in done.stderr
    assert "--auto" in done.stderr
    assert not target.exists()


def test_home_screen_without_a_terminal_points_at_the_headless_runner() -> None:
    done = _rmtui()
    assert done.returncode == 2
    assert "the TUI needs a terminal" in done.stderr
    assert "rmtui run" in done.stderr
    assert "Traceback" not in done.stderr
