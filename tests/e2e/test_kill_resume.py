"""kill -9 at any point of any step, then `rmtui run`, ends exactly like an uninterrupted run."""

from __future__ import annotations

import json
import re
import signal
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from rmtui.core.release import Release
from rmtui.core.store import Journal, StateStore
from rmtui.core.version import parse_version
from rmtui.sandbox.build import DEFAULT_VERSION, Sandbox, sandbox_profile
from rmtui.steps.plan import build_plan
from rmtui.usecases.standing import read_release, status_document
from tests.helpers import (
    FIXED_GIT_DATES,
    child_env,
    git,
    journal_lines,
    kill_group,
    make_sandbox,
    refs,
    rmtui,
    short_tmpdir,
    wait_for,
)

pytestmark = pytest.mark.slow


def _plan_ids() -> list[str]:
    version = parse_version(DEFAULT_VERSION)
    sandbox = Sandbox(Path("/tmp/plan-only"), version)
    profile = sandbox_profile(sandbox, "0" * 40)
    return build_plan(Release(version, profile, sandbox.workspace)).ids


PLAN_IDS = _plan_ids()
SHA = re.compile(r"[0-9a-f]{40}|[0-9a-f]{64}")

# The child is `rmtui run WORKSPACE --yes` itself, with one step's run() wrapped to SIGKILL
# the process at the chosen moment; the runner's own logic (resume, hand-off stand-ins) is kept.
CHILD = textwrap.dedent(
    """
    import os, signal, sys
    import rmtui.usecases.lifecycle as releases
    from rmtui.cli import main

    workspace, target, moment = sys.argv[1], sys.argv[2], sys.argv[3]
    real_make_engine = releases.make_engine

    def die():
        sys.stdout.flush()
        os.kill(os.getpid(), signal.SIGKILL)

    def make_engine(*args, **kwargs):
        engine = real_make_engine(*args, **kwargs)
        step = engine.plan.get(target)
        real_run = step.run
        real_record_fact = engine.record_fact

        def run(ctx):
            if moment == "before-run":
                die()
            outcome = real_run(ctx)
            if moment == "after-run":
                die()
            return outcome

        def record_fact(step_id, key, value):
            if moment == "before-first-fact" and step_id == target:
                die()
            real_record_fact(step_id, key, value)

        step.run = run
        engine.record_fact = record_fact
        return engine

    releases.make_engine = make_engine
    main(["run", workspace, "--yes"], prog_name="rmtui")
    """
)


@dataclass(frozen=True)
class Outcome:
    """What a finished release leaves behind, with the sandbox's own path taken out."""

    statuses: dict[str, str]
    fact_keys: set[str]
    sha_facts: dict[str, str]
    upstream_refs: dict[str, str]
    fork_refs: dict[str, str]
    frozen: str


def outcome_of(sandbox: Sandbox) -> Outcome:
    doc = status_document(read_release(sandbox.workspace))
    facts: dict[str, Any] = doc["facts"]
    frozen = git("config", "--get-all", "rmtui.frozen", cwd=sandbox.upstream, check=False)
    return Outcome(
        statuses={step["id"]: step["status"] for step in doc["steps"]},
        fact_keys=set(facts),
        sha_facts={k: v for k, v in facts.items() if isinstance(v, str) and SHA.fullmatch(v)},
        upstream_refs=refs(sandbox.upstream),
        fork_refs=refs(sandbox.fork),
        frozen=frozen,
    )


def steps_that_record_facts(sandbox: Sandbox) -> set[str]:
    state = StateStore(sandbox.workspace / "state.json").load()
    return {str(entry["step"]) for entry in state.facts.values()}


@pytest.fixture(scope="module")
def module_root() -> Iterator[Path]:
    with short_tmpdir("kr") as root:
        yield root


_reference: dict[str, Any] = {}


@pytest.fixture
def env() -> dict[str, str]:
    return child_env(**FIXED_GIT_DATES)


@pytest.fixture
def reference(module_root: Path, env: dict[str, str]) -> tuple[Outcome, set[str]]:
    """An uninterrupted run, built once per module (inside a test, so isolation applies)."""
    if "failure" in _reference:
        pytest.fail(f"the uninterrupted reference run failed: {_reference['failure']}")
    if not _reference:
        sandbox, _release = make_sandbox(module_root / "ref")
        done = rmtui("run", sandbox.workspace, "--yes", env=env)
        if done.returncode != 0:
            _reference["failure"] = done.stdout[-3000:] + done.stderr[-3000:]
            pytest.fail(f"the uninterrupted reference run failed: {_reference['failure']}")
        outcome = outcome_of(sandbox)
        # Steps that cannot run in a sandbox (Sigstore without identity) are skipped.
        assert set(outcome.statuses.values()) <= {"done", "skipped"}, outcome.statuses
        assert list(outcome.statuses) == PLAN_IDS
        _reference["outcome"] = outcome
        _reference["fact_steps"] = steps_that_record_facts(sandbox)
    return _reference["outcome"], _reference["fact_steps"]


@pytest.fixture
def sandbox_root() -> Iterator[Path]:
    with short_tmpdir("kc") as root:
        yield root


def _resume_and_compare(
    sandbox: Sandbox, target: str, env: dict[str, str], expected: Outcome
) -> None:
    resumed = rmtui("run", sandbox.workspace, "--yes", env=env)
    assert resumed.returncode == 0, resumed.stdout + resumed.stderr
    assert "The release is complete." in resumed.stdout
    state = StateStore(sandbox.workspace / "state.json").load()
    journal = Journal(sandbox.workspace / "journal.jsonl")
    assert journal.verify((state.journal_seq, state.journal_sha)) == []
    assert outcome_of(sandbox) == expected
    assert state.steps[target].attempts >= 1


def _kill_inside(sandbox: Sandbox, target: str, moment: str, env: dict[str, str]) -> str:
    """Run `rmtui run --yes` in a child that SIGKILLs itself at `moment` of step `target`.

    Returns the status the step was left in: running, or waiting when the kill came while
    the runner recorded what another person delivered for a step waiting on them.
    """
    child = subprocess.run(
        [sys.executable, "-c", CHILD, str(sandbox.workspace), target, moment],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    where = f"{moment} of {target}"
    assert child.returncode == -signal.SIGKILL, (
        f"not killed at {where}:\n{child.stdout[-3000:]}{child.stderr[-3000:]}"
    )
    left = StateStore(sandbox.workspace / "state.json").load()
    status = left.steps[target].status.value
    allowed = ("running", "waiting") if moment == "before-first-fact" else ("running",)
    assert status in allowed, f"killed at {where}, but the step is {status}"
    later = PLAN_IDS[PLAN_IDS.index(target) + 1 :]
    assert all(left.steps[s].status.value == "pending" for s in later), where
    return status


def _settled(sandbox: Sandbox) -> list[str]:
    """The steps found running on open, in order: settled by probe, or failed as interrupted."""
    found = []
    for entry in journal_lines(sandbox.workspace):
        if entry.get("kind") != "transition" or entry.get("old") != "running":
            continue
        by_probe = entry["event"] in ("settle_done", "settle_not_done")
        if by_probe or str(entry.get("error", "")).startswith("interrupted"):
            found.append(entry["step"])
    return found


# Every step of the plan is killed in turn in one sandbox: each child process resumes the
# step the previous one left running (settled by its probe) and runs on to its own kill; a
# last plain `rmtui run --yes` finishes. A fresh sandbox per step would cost a whole release
# per step (the plan has grown to a dozen and more steps of real git, gpg and tarballs).
@pytest.mark.parametrize("moment", ["before-run", "after-run"])
def test_kill_9_inside_every_step_then_resume(
    moment: str, sandbox_root: Path, env: dict[str, str], reference: tuple[Outcome, set[str]]
) -> None:
    expected, _ = reference
    sandbox, _release = make_sandbox(sandbox_root)
    for target in PLAN_IDS:
        _kill_inside(sandbox, target, moment, env)
    _resume_and_compare(sandbox, PLAN_IDS[-1], env, expected)
    assert _settled(sandbox) == PLAN_IDS, "each step was left running once and settled"


def test_kill_9_before_each_fact_is_recorded_then_resume(
    sandbox_root: Path, env: dict[str, str], reference: tuple[Outcome, set[str]]
) -> None:
    """Killed just before a step records a fact: whatever the probe then finds (the effect in
    place, to be recorded from the world, or not complete, to be redone), the release must end
    with the same facts as an uninterrupted one."""
    expected, fact_steps = reference
    targets = [step for step in PLAN_IDS if step in fact_steps]
    assert targets, "the plan records facts"
    sandbox, _release = make_sandbox(sandbox_root)
    left_running = [
        target
        for target in targets
        if _kill_inside(sandbox, target, "before-first-fact", env) == "running"
    ]
    _resume_and_compare(sandbox, targets[-1], env, expected)
    assert _settled(sandbox) == left_running, "each step left running was settled by its probe"


def _transition_to_running(workspace: Path, target: str) -> bool:
    try:
        text = (workspace / "journal.jsonl").read_text()
    except FileNotFoundError:
        return False
    for line in text.splitlines():
        try:
            entry = json.loads(line)
        except json.JSONDecodeError:
            continue  # a line being written right now
        if (entry.get("kind"), entry.get("step"), entry.get("new")) == (
            "transition",
            target,
            "running",
        ):
            return True
    return False


@pytest.mark.parametrize("target", [PLAN_IDS[len(PLAN_IDS) // 2]])
def test_kill_9_of_a_real_run_as_a_step_starts(
    target: str, sandbox_root: Path, env: dict[str, str], reference: tuple[Outcome, set[str]]
) -> None:
    expected, _ = reference
    sandbox, _release = make_sandbox(sandbox_root)
    process = subprocess.Popen(
        [sys.executable, "-m", "rmtui", "run", str(sandbox.workspace), "--yes"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        seen = wait_for(lambda: _transition_to_running(sandbox.workspace, target), timeout=60)
    finally:
        kill_group(process)
    assert seen, f"{target} never started"
    assert process.returncode == -signal.SIGKILL

    _resume_and_compare(sandbox, target, env, expected)
