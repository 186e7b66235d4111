"""preflight, freeze and fork.update: run and probe against the sandbox's real repositories."""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from rmtui.core.engine import Engine
from rmtui.core.errors import GitError
from rmtui.core.status import Status
from rmtui.core.step import Probe, ProbeOutcome
from rmtui.core.store import Journal, StateStore, StepRecord
from rmtui.ops import freeze_hook
from rmtui.ops.git import GitRepo
from rmtui.sandbox.build import Sandbox
from rmtui.usecases.lifecycle import create_release, make_engine
from tests.helpers import (
    RecordingListener,
    ScriptedPrompter,
    git,
    journal_lines,
    make_sandbox,
    refs,
    rmtui,
    short_tmpdir,
)

PUSH_OPTION = "rmtui-release-manager"


@pytest.fixture
def root() -> Iterator[Path]:
    with short_tmpdir("st") as path:
        yield path


@pytest.fixture
def sandbox(root: Path) -> Sandbox:
    built, _release = make_sandbox(root)
    return built


class Driver:
    """An open engine on a workspace, with a listener to read the steps' output."""

    def __init__(self, workspace: Path) -> None:
        self.listener = RecordingListener()
        self.engine: Engine = make_engine(
            workspace, ScriptedPrompter(confirm_by_default=True), [self.listener]
        )
        self.engine.open()

    def run(self, step_id: str) -> Status:
        return self.engine.run_step(step_id)

    def probe(self, step_id: str) -> Probe:
        return self.engine._safe_probe(self.engine.plan.get(step_id))

    def record(self, step_id: str) -> StepRecord:
        return self.engine.state.steps[step_id]


@pytest.fixture
def driver(sandbox: Sandbox) -> Iterator[Driver]:
    opened = Driver(sandbox.workspace)
    try:
        yield opened
    finally:
        opened.engine.close()


# preflight only reads (and fetches), so its tests share one sandbox: each gets a fresh
# workspace, and the clone is put back as built afterwards.
_SHARED: dict[str, Any] = {}


@pytest.fixture(scope="module")
def shared_root() -> Iterator[Path]:
    with short_tmpdir("sp") as path:
        yield path


@dataclass(frozen=True)
class Checkout:
    sandbox: Sandbox
    workspace: Path
    root: Path

    @property
    def clone(self) -> Path:
        return self.sandbox.clone


@pytest.fixture
def checkout(shared_root: Path) -> Iterator[Checkout]:
    if not _SHARED:
        built, release = make_sandbox(shared_root)
        _SHARED.update(sandbox=built, release=release, count=0)
        _SHARED["tip"] = git("rev-parse", "HEAD", cwd=built.clone)
    _SHARED["count"] += 1
    workspace = shared_root / f"ws{_SHARED['count']}"
    release = dataclasses.replace(_SHARED["release"], workspace=workspace)
    create_release(release)
    here = Checkout(_SHARED["sandbox"], workspace, shared_root)
    try:
        yield here
    finally:
        _restore_clone(here, _SHARED["tip"])


def _restore_clone(here: Checkout, tip: str) -> None:
    moved = here.root / "moved"
    if moved.exists():
        moved.rename(here.clone)
    clone = here.clone
    git("checkout", "-q", "-f", "-B", "3.13", tip, cwd=clone)
    git("clean", "-qfdx", cwd=clone)
    for branch in git("for-each-ref", "--format=%(refname:short)", "refs/heads", cwd=clone).split():
        if branch != "3.13":
            git("branch", "-q", "-D", branch, cwd=clone)
    git("remote", "remove", "upstream", cwd=clone, check=False)
    git("remote", "add", "upstream", here.sandbox.upstream, cwd=clone)
    git("remote", "set-url", "origin", here.sandbox.fork, cwd=clone)


@pytest.fixture
def pre(checkout: Checkout) -> Iterator[Driver]:
    opened = Driver(checkout.workspace)
    try:
        yield opened
    finally:
        opened.engine.close()


def world(sandbox: Sandbox) -> dict[str, Any]:
    """Everything a refused step must leave alone: refs, the clone's files, the hook config."""
    return {
        "upstream": refs(sandbox.upstream),
        "fork": refs(sandbox.fork),
        "clone": refs(sandbox.clone),
        "head": git("rev-parse", "--abbrev-ref", "HEAD", cwd=sandbox.clone),
        "status": git("status", "--porcelain", cwd=sandbox.clone),
        "frozen": git("config", "--get-all", "rmtui.frozen", cwd=sandbox.upstream, check=False),
    }


def core_dev_clone(sandbox: Sandbox, root: Path, name: str = "dev") -> Path:
    """Another developer's clone of upstream, on the release branch."""
    path = root / name
    git("clone", "-q", "-b", "3.13", sandbox.upstream, path)
    return path


def commit_file(repo: Path, name: str, text: str = "x\n") -> str:
    (repo / name).write_text(text)
    git("add", name, cwd=repo)
    git("commit", "-q", "-m", f"Add {name}", cwd=repo)
    return git("rev-parse", "HEAD", cwd=repo)


# -- preflight --------------------------------------------------------------------------------


def test_preflight_passes_on_a_fresh_sandbox(pre: Driver) -> None:
    assert pre.run("preflight") is Status.DONE
    output = pre.listener.output("preflight")
    assert "working clone is clean" in output
    assert "on branch 3.13" in output
    assert any("1 commit(s) behind upstream" in line for line in output)
    assert pre.probe("preflight").outcome is ProbeOutcome.NOT_DONE, "read-only: always rerun"


def _failed_preflight(pre: Driver, sandbox: Sandbox) -> tuple[str, str]:
    before = world(sandbox)
    assert pre.run("preflight") is Status.FAILED
    after = world(sandbox)
    assert after == before, "a failed preflight touches nothing"
    assert pre.record("freeze").status is Status.PENDING
    record = pre.record("preflight")
    return record.error, record.hint


def test_preflight_refuses_a_dirty_tree(pre: Driver, checkout: Checkout) -> None:
    (checkout.clone / "README.rst").write_text("local edit\n")
    (checkout.clone / "scratch.txt").write_text("notes\n")
    error, hint = _failed_preflight(pre, checkout.sandbox)
    assert "uncommitted changes" in error
    assert "README.rst" in error and "scratch.txt" in error
    assert "stash" in hint


def test_preflight_refuses_the_wrong_branch(pre: Driver, checkout: Checkout) -> None:
    git("switch", "-q", "-c", "my-feature", cwd=checkout.clone)
    error, hint = _failed_preflight(pre, checkout.sandbox)
    assert "on my-feature, not 3.13" in error
    assert "switch 3.13" in hint


def test_preflight_refuses_a_detached_head(pre: Driver, checkout: Checkout) -> None:
    git("switch", "-q", "--detach", "HEAD", cwd=checkout.clone)
    error, _hint = _failed_preflight(pre, checkout.sandbox)
    assert "a detached HEAD" in error


def test_preflight_refuses_a_wrong_remote(pre: Driver, checkout: Checkout) -> None:
    git("remote", "set-url", "origin", checkout.root / "elsewhere.git", cwd=checkout.clone)
    error, hint = _failed_preflight(pre, checkout.sandbox)
    assert f"remote 'origin' is {checkout.root / 'elsewhere.git'}" in error
    assert f"the profile says {checkout.sandbox.fork}" in error
    assert f"set-url origin {checkout.sandbox.fork}" in hint


def test_preflight_refuses_a_missing_remote(pre: Driver, checkout: Checkout) -> None:
    git("remote", "remove", "upstream", cwd=checkout.clone)
    error, hint = _failed_preflight(pre, checkout.sandbox)
    assert "remote 'upstream' is missing" in error
    assert f"remote add upstream {checkout.sandbox.upstream}" in hint


def test_preflight_refuses_local_commits_upstream_lacks(pre: Driver, checkout: Checkout) -> None:
    git("fetch", "-q", "upstream", cwd=checkout.clone)
    git("merge", "-q", "--ff-only", "upstream/3.13", cwd=checkout.clone)
    commit_file(checkout.clone, "stray.py")
    assert pre.run("preflight") is Status.FAILED
    record = pre.record("preflight")
    assert "has commits that upstream lacks" in record.error
    assert "Add stray.py" in record.error
    assert "reset --keep upstream/3.13" in record.hint


def test_preflight_refuses_a_missing_clone(pre: Driver, checkout: Checkout) -> None:
    checkout.clone.rename(checkout.root / "moved")
    assert pre.run("preflight") is Status.FAILED
    assert "does not exist" in pre.record("preflight").error
    assert "git clone" in pre.record("preflight").hint


def test_preflight_refuses_when_gpg_is_missing(
    pre: Driver, checkout: Checkout, monkeypatch: pytest.MonkeyPatch
) -> None:
    only_git = checkout.root / "bin"
    only_git.mkdir(exist_ok=True)
    real_git = subprocess.run(["which", "git"], capture_output=True, text=True).stdout.strip()
    (only_git / "git").symlink_to(real_git)
    monkeypatch.setenv("PATH", str(only_git))
    assert pre.run("preflight") is Status.FAILED
    record = pre.record("preflight")
    assert "gpg is not installed" in record.error
    assert "apt-get install gnupg" in record.hint


def _make_dirty(clone: Path) -> None:
    (clone / "README.rst").write_text("local edit\n")


def _switch_away(clone: Path) -> None:
    git("switch", "-q", "-c", "my-feature", cwd=clone)


@pytest.mark.parametrize(
    ("spoil", "message"),
    [
        (_make_dirty, "the working clone has uncommitted changes: README.rst"),
        (_switch_away, "the working clone is on my-feature, not 3.13"),
    ],
    ids=["dirty tree", "wrong branch"],
)
def test_rmtui_run_stops_at_a_bad_clone_with_a_clear_message(
    checkout: Checkout, spoil: Any, message: str
) -> None:
    spoil(checkout.clone)
    state_before = StateStore(checkout.workspace / "state.json").load()
    journal_before = (checkout.workspace / "journal.jsonl").read_bytes()
    before = world(checkout.sandbox)
    done = rmtui("run", checkout.workspace, "--yes")
    assert done.returncode == 1
    assert message in done.stdout + done.stderr
    assert "how to fix" in done.stdout + done.stderr
    assert world(checkout.sandbox) == before
    state = StateStore(checkout.workspace / "state.json").load()
    changed = {s for s in state.steps if state.steps[s] != state_before.steps[s]}
    assert changed == {"preflight"}, "only the failed check is recorded"
    assert state.facts == state_before.facts
    assert (checkout.workspace / "journal.jsonl").read_bytes().startswith(journal_before)


# -- freeze -------------------------------------------------------------------------------------


def _push(clone: Path, *options: str) -> subprocess.CompletedProcess[str]:
    args = ["git", "push", *[f"--push-option={o}" for o in options], "origin", "HEAD:3.13"]
    return subprocess.run(args, cwd=clone, capture_output=True, text=True, check=False)


def test_freeze_rejects_ordinary_pushes_and_lets_the_rm_through(
    driver: Driver, sandbox: Sandbox, root: Path
) -> None:
    assert driver.probe("freeze").outcome is ProbeOutcome.NOT_DONE
    assert driver.run("freeze") is Status.DONE
    probe = driver.probe("freeze")
    assert probe.outcome is ProbeOutcome.DONE
    assert probe.facts == {"freeze.branches": ["3.13"]}
    hook = sandbox.upstream / "hooks" / "pre-receive"
    assert hook.is_file() and os.access(hook, os.X_OK)
    assert driver.engine.state.fact("freeze.branches") == ["3.13"]

    dev = core_dev_clone(sandbox, root)
    tip = refs(sandbox.upstream)["refs/heads/3.13"]
    commit_file(dev, "late_merge.py")
    rejected = _push(dev)
    assert rejected.returncode != 0
    assert "branch 3.13 is frozen for a release" in rejected.stderr
    assert "pre-receive hook declined" in rejected.stderr
    assert refs(sandbox.upstream)["refs/heads/3.13"] == tip

    accepted = _push(dev, PUSH_OPTION)
    assert accepted.returncode == 0, accepted.stderr
    assert refs(sandbox.upstream)["refs/heads/3.13"] == git("rev-parse", "HEAD", cwd=dev)

    other = subprocess.run(
        ["git", "push", "origin", "HEAD:refs/heads/some-feature"],
        cwd=dev,
        capture_output=True,
        text=True,
        check=False,
    )
    assert other.returncode == 0, "only the release branch is frozen"


def test_a_rejected_push_raises_through_the_git_layer(
    driver: Driver, sandbox: Sandbox, root: Path
) -> None:
    driver.run("freeze")
    dev = core_dev_clone(sandbox, root)
    commit_file(dev, "late_merge.py")
    with pytest.raises(GitError) as caught:
        GitRepo(dev).push("origin", ["HEAD:refs/heads/3.13"])
    assert "frozen" in caught.value.problem or "declined" in caught.value.problem
    assert "frozen" in caught.value.hint


def test_freezing_twice_is_harmless_and_unfreeze_lifts_it(
    driver: Driver, sandbox: Sandbox, root: Path
) -> None:
    driver.run("freeze")
    freeze_hook.freeze(sandbox.upstream, "3.13", PUSH_OPTION)
    assert freeze_hook.frozen_branches(sandbox.upstream) == ["3.13"]
    assert driver.probe("unfreeze").outcome is ProbeOutcome.NOT_DONE
    assert driver.run("unfreeze") is Status.DONE
    assert driver.probe("unfreeze").outcome is ProbeOutcome.DONE
    assert driver.probe("freeze").outcome is ProbeOutcome.NOT_DONE
    dev = core_dev_clone(sandbox, root)
    commit_file(dev, "after_release.py")
    assert _push(dev).returncode == 0


@pytest.mark.slow
def test_a_dry_run_push_with_the_rm_option_never_fails_at_random(
    driver: Driver, sandbox: Sandbox, root: Path
) -> None:
    driver.run("freeze")
    dev = core_dev_clone(sandbox, root)
    commit_file(dev, "release.py")
    # git (2.39) sends push options after a dry run's empty command list; receive-pack may
    # hang up first and git dies of SIGPIPE in a few percent of runs, failing rehearsals at
    # random. 200 tries catch that with near certainty.
    repo = GitRepo(dev)
    for _ in range(200):
        repo.push("origin", ["HEAD:refs/heads/3.13"], push_options=[PUSH_OPTION], dry_run=True)


# -- fork.update ----------------------------------------------------------------------------------


def test_fork_update_fast_forwards_a_fork_that_is_behind(driver: Driver, sandbox: Sandbox) -> None:
    upstream_tip = refs(sandbox.upstream)["refs/heads/3.13"]
    assert refs(sandbox.fork)["refs/heads/3.13"] != upstream_tip
    driver.run("preflight")
    assert driver.probe("fork.update").outcome is ProbeOutcome.NOT_DONE
    assert driver.run("fork.update") is Status.DONE
    assert refs(sandbox.fork)["refs/heads/3.13"] == upstream_tip
    assert refs(sandbox.clone)["refs/heads/3.13"] == upstream_tip
    assert driver.engine.state.fact("upstream.base_sha") == upstream_tip
    probe = driver.probe("fork.update")
    assert probe.outcome is ProbeOutcome.DONE
    assert probe.facts == {"upstream.base_sha": upstream_tip}


def test_fork_update_refuses_a_diverged_fork_and_never_force_pushes(
    driver: Driver, sandbox: Sandbox, root: Path
) -> None:
    mine = root / "fork-work"
    git("clone", "-q", "-b", "3.13", sandbox.fork, mine)
    commit_file(mine, "experiment.py")
    git("push", "-q", "origin", "3.13", cwd=mine)
    driver.run("preflight")
    before = world(sandbox)
    facts_before = dict(driver.engine.state.facts)

    assert driver.run("fork.update") is Status.FAILED

    record = driver.record("fork.update")
    assert "your fork's 3.13 has diverged from upstream" in record.error
    assert "Add experiment.py" in record.error
    assert "never force-pushes" in record.hint
    after = world(sandbox)
    assert after["fork"] == before["fork"], "the fork keeps its commits"
    assert after["upstream"] == before["upstream"]
    assert after["clone"]["refs/heads/3.13"] == before["clone"]["refs/heads/3.13"]
    assert driver.engine.state.facts == facts_before
    assert driver.engine.state.fact("upstream.base_sha") is None
    state = StateStore(sandbox.workspace / "state.json").load()
    assert state.steps["fork.update"].status is Status.FAILED
    journal = Journal(sandbox.workspace / "journal.jsonl")
    assert journal.verify((state.journal_seq, state.journal_sha)) == []
    assert not [e for e in journal_lines(sandbox.workspace) if e["kind"] == "fact"]


def test_fork_update_refuses_a_diverged_local_branch(driver: Driver, sandbox: Sandbox) -> None:
    driver.run("preflight")
    commit_file(sandbox.clone, "local_only.py")
    assert driver.run("fork.update") is Status.FAILED
    record = driver.record("fork.update")
    assert "your local 3.13 has diverged from upstream" in record.error
    assert "reset --keep" in record.hint


def test_fork_update_updates_the_branch_when_the_clone_is_elsewhere(
    driver: Driver, sandbox: Sandbox
) -> None:
    driver.run("preflight")
    git("switch", "-q", "-c", "side", cwd=sandbox.clone)
    assert driver.run("fork.update") is Status.DONE
    upstream_tip = refs(sandbox.upstream)["refs/heads/3.13"]
    assert refs(sandbox.clone)["refs/heads/3.13"] == upstream_tip
    assert git("rev-parse", "--abbrev-ref", "HEAD", cwd=sandbox.clone) == "side"


# -- resume of a real step left running --------------------------------------------------------


def _leave_running(sandbox: Sandbox, step_id: str) -> None:
    """Edit state.json as a kill in the middle of `step_id` leaves it."""
    path = sandbox.workspace / "state.json"
    data = json.loads(path.read_text())
    data["steps"][step_id]["status"] = "running"
    data["steps"][step_id]["finished"] = None
    path.write_text(json.dumps(data))


def _events(sandbox: Sandbox, step_id: str) -> list[str]:
    return [
        e["event"]
        for e in journal_lines(sandbox.workspace)
        if e["kind"] == "transition" and e["step"] == step_id
    ]


def test_resume_settles_a_finished_fork_update_as_done_without_rerunning(sandbox: Sandbox) -> None:
    assert rmtui("run", sandbox.workspace, "--until", "fork.update", "--yes").returncode == 0
    _leave_running(sandbox, "fork.update")
    fork_before = refs(sandbox.fork)

    done = rmtui("run", sandbox.workspace, "--until", "fork.update", "--yes")

    assert done.returncode == 0, done.stdout + done.stderr
    assert "resuming: fork.update was left running; its probe says done" in done.stdout
    assert _events(sandbox, "fork.update") == ["start", "succeed", "settle_done"]
    assert refs(sandbox.fork) == fork_before
    assert StateStore(sandbox.workspace / "state.json").load().steps["fork.update"].attempts == 1


def test_resume_runs_fork_update_again_when_its_effect_is_missing(sandbox: Sandbox) -> None:
    assert rmtui("run", sandbox.workspace, "--until", "freeze", "--yes").returncode == 0
    _leave_running(sandbox, "fork.update")

    done = rmtui("run", sandbox.workspace, "--until", "fork.update", "--yes")

    assert done.returncode == 0, done.stdout + done.stderr
    assert "its probe says not done" in done.stdout
    assert _events(sandbox, "fork.update") == ["settle_not_done", "start", "succeed"]
    assert refs(sandbox.fork)["refs/heads/3.13"] == refs(sandbox.upstream)["refs/heads/3.13"]


def test_resume_hands_an_undecidable_step_to_the_rm(sandbox: Sandbox, root: Path) -> None:
    assert rmtui("run", sandbox.workspace, "--until", "fork.update", "--yes").returncode == 0
    _leave_running(sandbox, "fork.update")
    sandbox.upstream.rename(root / "upstream-away.git")

    done = rmtui("run", sandbox.workspace, "--until", "fork.update", "--yes")

    assert done.returncode == 1
    assert "its probe says unknown" in done.stdout
    record = StateStore(sandbox.workspace / "state.json").load().steps["fork.update"]
    assert record.status is Status.FAILED
    assert _events(sandbox, "fork.update") == ["start", "succeed", "fail"], "not run again"
    assert record.attempts == 1
    assert record.error.startswith("interrupted: check that the fork's branch equals upstream's")
    assert record.hint


def test_after_an_undecidable_resume_the_rm_retries(sandbox: Sandbox, root: Path) -> None:
    assert rmtui("run", sandbox.workspace, "--until", "fork.update", "--yes").returncode == 0
    _leave_running(sandbox, "fork.update")
    sandbox.upstream.rename(root / "upstream-away.git")
    done = rmtui("run", sandbox.workspace, "--until", "fork.update", "--yes")
    assert done.returncode == 1
    assert "its probe says unknown" in done.stdout
    assert "settle" not in _events(sandbox, "fork.update")[-1]
    (root / "upstream-away.git").rename(sandbox.upstream)
    assert rmtui("retry", sandbox.workspace, "fork.update").returncode == 0
    again = rmtui("run", sandbox.workspace, "--until", "fork.update", "--yes")
    assert again.returncode == 0, again.stdout + again.stderr
    record = StateStore(sandbox.workspace / "state.json").load().steps["fork.update"]
    assert record.status is Status.DONE
