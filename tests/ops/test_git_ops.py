"""GitRepo.push: a refused push raises with the remote's own reason, and nothing is pushed."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from rmtui.core.errors import GitError
from rmtui.ops.freeze_hook import freeze
from rmtui.ops.git import GitRepo


def _git(*args: str, cwd: Path | None = None) -> str:
    done = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, check=True)
    return done.stdout.strip()


@pytest.fixture
def frozen_upstream(tmp_path: Path) -> tuple[Path, Path]:
    upstream, clone = tmp_path / "upstream.git", tmp_path / "clone"
    _git("init", "-q", "--bare", "-b", "main", str(upstream))
    _git("clone", "-q", str(upstream), str(clone))
    _git("commit", "-q", "--allow-empty", "-m", "first", cwd=clone)
    _git("push", "-q", "origin", "main", cwd=clone)
    freeze(upstream, "main", "the-rm-option")
    _git("commit", "-q", "--allow-empty", "-m", "second", cwd=clone)
    return upstream, clone


def test_a_frozen_branch_refusal_carries_the_hooks_reason(
    frozen_upstream: tuple[Path, Path], capfd: pytest.CaptureFixture[str]
) -> None:
    upstream, clone = frozen_upstream
    before = _git("rev-parse", "main", cwd=upstream)
    with pytest.raises(GitError) as caught:
        GitRepo(clone).push("origin", ["refs/heads/main:refs/heads/main"])
    assert "pre-receive hook declined" in caught.value.problem
    assert "branch main is frozen for a release" in caught.value.problem
    assert "Total " not in caught.value.problem
    assert "frozen" in caught.value.hint
    assert _git("rev-parse", "main", cwd=upstream) == before
    # GitPython's own log of the error lines does not reach the terminal unredacted.
    assert "Error lines received" not in capfd.readouterr().err


def test_the_rms_push_option_goes_through(frozen_upstream: tuple[Path, Path]) -> None:
    upstream, clone = frozen_upstream
    GitRepo(clone).push(
        "origin", ["refs/heads/main:refs/heads/main"], push_options=["the-rm-option"]
    )
    assert _git("rev-parse", "main", cwd=upstream) == _git("rev-parse", "main", cwd=clone)
