"""`rmtui rehearse --auto` end to end, and an interrupted rehearsal finished by `rmtui run`.

Every release type is rehearsed end to end in test_release_types.py.
"""

from __future__ import annotations

import json
import shutil
import signal
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from rmtui.core.store import StateStore
from tests.helpers import (
    RMTUI,
    child_env,
    git,
    journal_lines,
    kill_group,
    make_sandbox,
    rmtui,
    short_tmpdir,
    status_json,
    wait_for,
)

STEP_KEYS = {"id", "title", "phase", "role", "status", "reason", "started", "finished"}


@pytest.fixture
def root() -> Iterator[Path]:
    with short_tmpdir("re") as path:
        yield path


def _assert_finished(workspace: Path) -> dict[str, dict[str, object]]:
    """Every step done (or skipped with its reason journaled); the journal verifies."""
    doc = status_json(workspace)
    skips = {
        e["step"]: e["reason"]
        for e in journal_lines(workspace)
        if e["kind"] == "transition" and e["event"] == "skip"
    }
    for step_id, step in doc.steps.items():
        if step["status"] == "skipped":
            assert step["reason"], f"{step_id} was skipped without a reason"
            assert skips.get(step_id) == step["reason"], f"{step_id}'s skip is not journaled"
        else:
            assert step["status"] == "done", f"{step_id} is {step['status']}: {step}"
    verified = rmtui("journal", workspace, "--verify")
    assert verified.returncode == 0, verified.stdout + verified.stderr
    return doc.steps


@pytest.mark.slow
def test_rehearse_auto_builds_the_sandbox_and_completes_every_step(root: Path) -> None:
    directory = root / "d"
    done = rmtui("rehearse", "--dir", directory, "--auto")
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr
    for part in ("upstream.git", "fork.git", "cpython", "gnupg", "downloads", "workspace"):
        assert (directory / part).exists(), part
        assert str(directory / part) in done.stdout, f"the summary shows where {part} is"
    assert "Summary" in done.stdout and "The release is complete." in done.stdout

    workspace = directory / "workspace"
    doc = status_json(workspace)
    assert doc.data["version"] == "3.13.10"
    assert doc.data["type"] == "bugfix"
    assert doc.data["workspace"] == str(workspace)
    for step in doc.data["steps"]:
        assert set(step) >= STEP_KEYS, f"status --json lacks {STEP_KEYS - set(step)}"
        assert step["started"] and step["finished"]
    steps = _assert_finished(workspace)

    planned = rmtui("plan", workspace, "--json")
    assert planned.returncode == 0
    assert [s["id"] for s in json.loads(planned.stdout)["steps"]] == list(steps)
    created = journal_lines(workspace)[0]
    assert created["kind"] == "release.created"
    assert created["plan"] == list(steps) and created["rehearsal"] is True

    for key, value in doc.data["facts"].items():
        if isinstance(value, str) and len(value) == 40:
            kind = git("cat-file", "-t", value, cwd=directory / "cpython")
            assert kind in ("commit", "tag"), f"fact {key} names no real object"

    # Work went on around the hand-off: the source was built and tested while the experts
    # (the sandbox's stand-ins) were awaited, and nothing was signed before they delivered.
    entries = journal_lines(workspace)
    done_at = {
        e["step"]: e["seq"]
        for e in entries
        if e["kind"] == "transition" and e["new"] in ("done", "skipped")
    }
    waited = next(e["seq"] for e in entries if e.get("event") == "wait")
    delivered = [e["seq"] for e in entries if e["kind"] == "fulfilled"]
    assert len(delivered) == 2
    for built in ("export.source", "export.verify", "sbom.generate", "artifacts.test"):
        assert waited < done_at[built] < min(delivered), built
    assert done_at["sign.artifacts"] > max(delivered)


def test_rehearse_refuses_a_directory_that_is_not_empty(root: Path) -> None:
    directory = root / "busy"
    directory.mkdir()
    (directory / "something").write_text("mine\n")
    done = rmtui("rehearse", "--dir", directory, "--auto")
    assert done.returncode == 2
    assert "is not empty" in done.stderr
    assert "--dir" in done.stderr
    assert sorted(p.name for p in directory.iterdir()) == ["something"]


SLOW_GIT = """#!/bin/sh
case " $* " in *" fetch "*) sleep 0.2 ;; esac
exec {git} "$@"
"""


@pytest.mark.slow
def test_an_interrupted_rehearsal_is_finished_by_rmtui_run(root: Path) -> None:
    # Slow fetches keep the first steps busy, so the kill lands once the workspace exists
    # and before the plan is done.
    bin_dir = root / "bin"
    bin_dir.mkdir()
    real_git = subprocess.run(["which", "git"], capture_output=True, text=True).stdout.strip()
    (bin_dir / "git").write_text(SLOW_GIT.format(git=real_git))
    (bin_dir / "git").chmod(0o755)
    env = child_env()
    env["PATH"] = f"{bin_dir}:{env['PATH']}"
    directory = root / "d"
    workspace = directory / "workspace"
    process = subprocess.Popen(
        [RMTUI, "rehearse", "--dir", str(directory), "--auto"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        assert wait_for(lambda: (workspace / "state.json").exists(), timeout=60)
    finally:
        kill_group(process)
    assert process.returncode == -signal.SIGKILL
    left = StateStore(workspace / "state.json").load()
    assert not all(r.status.value == "done" for r in left.steps.values()), "killed mid-plan"

    resumed = rmtui("run", workspace, "--yes", env=env)
    assert resumed.returncode == 0, resumed.stdout[-4000:] + resumed.stderr
    assert "The release is complete." in resumed.stdout
    _assert_finished(workspace)


@pytest.mark.slow
def test_rmtui_run_builds_around_the_wait_and_says_who_is_awaited(root: Path) -> None:
    sandbox, _release = make_sandbox(root / "sb")
    workspace = sandbox.workspace
    # Without the sandbox's stand-ins, the rehearsal waits for the experts as a release does.
    deliveries = root / "from-the-experts"
    shutil.move(sandbox.experts, deliveries)

    first = rmtui("run", workspace, "--yes", "--quiet")
    assert first.returncode == 0, first.stdout[-4000:] + first.stderr
    awaited = "sign.artifacts needs handoff.experts (waiting on Windows, macOS)"
    assert f"stopped: {awaited}" in first.stdout
    doc = status_json(workspace)
    statuses = {step_id: step["status"] for step_id, step in doc.steps.items()}
    for built in ("export.source", "docs.build", "export.verify", "sbom.generate"):
        assert statuses[built] == "done", (built, statuses)
    assert statuses["artifacts.test"] == "done", statuses
    assert statuses["handoff.experts"] == "waiting"
    assert statuses["sign.artifacts"] == statuses["upstream.push"] == "pending"
    assert doc.data["overall"] == "waiting"
    assert doc.data["next"] is None
    assert doc.data["blocked"] == awaited
    assert doc.data["waiting"] == {"handoff.experts": ["Windows", "macOS"]}
    progress = doc.data["progress"]
    assert doc.data["line"] == (
        f"waiting: {progress['done']}/{progress['total']} done or skipped · blocked: {awaited}"
    )
    shown = rmtui("status", workspace)
    assert shown.returncode == 0, shown.stderr
    assert f"blocked: {awaited}" in shown.stdout

    for role, folder in (("Windows", "windows"), ("macOS", "macos")):
        imported = rmtui("handoff", "import", workspace, deliveries / folder, "--role", role)
        assert imported.returncode == 0, imported.stdout + imported.stderr
    second = rmtui("run", workspace, "--yes", "--quiet")
    assert second.returncode == 0, second.stdout[-4000:] + second.stderr
    assert "The release is complete." in second.stdout
    steps = _assert_finished(workspace)
    assert steps["export.source"]["attempts"] == 1, "the tarballs were built once, early"
