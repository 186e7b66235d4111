"""The git half of a release in a real sandbox: each fault stops cleanly and a retry finishes."""

from __future__ import annotations

import dataclasses
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from rmtui.core import facts
from rmtui.core.engine import Engine, _Context
from rmtui.core.errors import GitError
from rmtui.core.release import write_release_file
from rmtui.core.status import Status
from rmtui.core.store import Journal, StateStore, StepRecord
from rmtui.ops.git import GitRepo
from rmtui.ops.gpg import Gpg
from rmtui.ops.secrets import Secrets
from rmtui.sandbox.build import Sandbox
from rmtui.steps.kit import commands
from rmtui.usecases.lifecycle import make_engine
from tests import helpers
from tests.e2e.test_release_types import assert_released
from tests.helpers import (
    TEST_PASSPHRASE,
    ScriptedPrompter,
    _generate_in_the_past,
    empty_gpg_home,
    git,
    make_sandbox,
    refs,
    short_tmpdir,
)

FACT_RELEASE_COMMIT = facts.RELEASE_COMMIT.name
FACT_UPSTREAM_BASE = facts.UPSTREAM_BASE.name

VERSION = "3.13.5"
TAG = "v3.13.5"
RELEASE_BRANCH = "branch-3.13.5"
PUSH_OPTION = "rmtui-release-manager"


@pytest.fixture
def tmp() -> Iterator[Path]:
    with short_tmpdir("gh") as path:
        yield path


GIT_HALF = (
    "preflight",
    "freeze",
    "fork.update",
    "release.tools",
    "tag.create",
    "fork.push",
    "upstream.push",
    "unfreeze",
)


def skip_outside_git_half(engine: Engine) -> None:
    """Skip (with a reason, as an RM would) the steps of other phases: builds, signing..."""
    with engine.opened():
        for step in engine.plan:
            if step.id not in GIT_HALF and engine.state.steps[step.id].status is Status.PENDING:
                engine.skip(step.id, "the git-half tests exercise only the git steps")


class Rehearsal:
    """A sandbox release driven by the real engine, opened afresh for each move like a CLI run."""

    def __init__(self, sandbox: Sandbox, prompter: ScriptedPrompter | None = None) -> None:
        self.sandbox = sandbox
        self.prompter = prompter or ScriptedPrompter(confirm_by_default=True)
        self.engine: Engine = make_engine(sandbox.workspace, self.prompter)
        skip_outside_git_half(self.engine)

    def run(self, until: str | None = None) -> Status | None:
        with self.engine.opened():
            return self.engine.run_until(until)

    def record(self, step_id: str) -> StepRecord:
        return StateStore(self.sandbox.workspace / "state.json").load().steps[step_id]

    def fact(self, key: str) -> Any:
        return StateStore(self.sandbox.workspace / "state.json").load().fact(key)

    def fails_at(self, step_id: str) -> StepRecord:
        """Run on; the release must stop with `step_id` failed and its history intact."""
        assert self.run() is Status.FAILED
        record = self.record(step_id)
        assert record.status is Status.FAILED, (step_id, record)
        assert_history_intact(self.sandbox.workspace)
        return record

    def retry_and_finish(self, step_id: str) -> None:
        with self.engine.opened():
            self.engine.retry(step_id)
            self.engine.run_until()
            if not self.engine.is_complete():
                left = [
                    f"{s}: {r.status.value}: {r.error} / {r.hint}"
                    for s, r in self.engine.state.steps.items()
                    if r.status not in (Status.DONE, Status.SKIPPED)
                ]
                pytest.fail("the release did not complete:\n" + "\n".join(left))
        assert_history_intact(self.sandbox.workspace)
        assert_released(self.sandbox.root, str(self.sandbox.version))


def assert_history_intact(workspace: Path) -> None:
    state = StateStore(workspace / "state.json").load()
    assert Journal(workspace / "journal.jsonl").verify((state.journal_seq, state.journal_sha)) == []


def sandbox(tmp: Path, version: str = VERSION) -> Sandbox:
    built, _release = make_sandbox(tmp, version)
    return built


def other_clone(tmp: Path, source: Path, name: str) -> Path:
    """A second clone, as somebody else's machine, with its own identity."""
    path = tmp / name
    git("clone", "-q", source, path)
    git("config", "user.name", "Someone Else", cwd=path)
    git("config", "user.email", "else@example.invalid", cwd=path)
    return path


def commit_file(repo: Path, name: str, message: str) -> str:
    (repo / name).write_text(f"{message}\n")
    git("add", name, cwd=repo)
    git("commit", "-q", "-m", message, cwd=repo)
    return git("rev-parse", "HEAD", cwd=repo)


def use_signing_key(sb: Sandbox, fingerprint: str) -> None:
    """Point the release's profile at another GPG key (as editing release.toml would)."""
    from rmtui.core.release import load_release

    release = load_release(sb.workspace)
    signing = release.profile.signing
    minor = release.version.minor_version
    signer = dataclasses.replace(signing.signers[minor], gpg_fingerprint=fingerprint)
    signing = dataclasses.replace(signing, signers={**signing.signers, minor: signer})
    profile = dataclasses.replace(release.profile, signing=signing)
    write_release_file(dataclasses.replace(release, profile=profile))


def gpg(home: Path, *args: str, stdin: str = "") -> str:
    done = subprocess.run(
        ["gpg", "--homedir", str(home), "--batch", "--pinentry-mode", "loopback", *args],
        input=stdin,
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout


def workspace_text(workspace: Path) -> str:
    return "\n".join(
        p.read_text(errors="replace") for p in sorted(workspace.rglob("*")) if p.is_file()
    )


# -- the clone ---------------------------------------------------------------------------------


def test_a_dirty_clone_on_the_wrong_branch_stops_preflight_until_both_are_fixed(
    tmp: Path,
) -> None:
    sb = sandbox(tmp)
    git("switch", "-q", "-c", "my-topic", cwd=sb.clone)
    (sb.clone / "notes.txt").write_text("an uncommitted change\n")
    rehearsal = Rehearsal(sb)
    record = rehearsal.fails_at("preflight")
    assert "uncommitted changes: notes.txt" in record.error
    assert "stash" in record.hint
    (sb.clone / "notes.txt").unlink()
    with rehearsal.engine.opened():
        rehearsal.engine.retry("preflight")
    record = rehearsal.fails_at("preflight")
    assert "on my-topic, not 3.13" in record.error
    assert "switch 3.13" in record.hint
    git("switch", "-q", "3.13", cwd=sb.clone)
    rehearsal.retry_and_finish("preflight")
    # The fork was behind upstream (the sandbox's late fix); fork.update brought it level.
    assert "Late fix" in git("log", "--format=%s", "3.13", cwd=sb.fork)


def test_a_fork_that_diverged_is_never_force_pushed(tmp: Path) -> None:
    sb = sandbox(tmp)
    elsewhere = other_clone(tmp, sb.fork, "elsewhere")
    git("switch", "-q", "3.13", cwd=elsewhere)
    commit_file(elsewhere, "stray.txt", "A stray commit on the fork")
    git("push", "-q", "origin", "3.13", cwd=elsewhere)
    stray = git("rev-parse", "3.13", cwd=sb.fork)
    rehearsal = Rehearsal(sb)
    record = rehearsal.fails_at("fork.update")
    assert "diverged" in record.error and "A stray commit on the fork" in record.error
    assert "never force-pushes" in record.hint
    assert git("rev-parse", "3.13", cwd=sb.fork) == stray
    # The way out the hint gives, run as the RM would.
    git("push", "-q", "--force-with-lease", "origin", "upstream/3.13:3.13", cwd=sb.clone)
    rehearsal.retry_and_finish("fork.update")


# -- release.tools -----------------------------------------------------------------------------


def test_a_different_release_commit_already_on_the_branch_stops_release_tools(tmp: Path) -> None:
    sb = sandbox(tmp)
    rehearsal = Rehearsal(sb)
    rehearsal.run(until="fork.update")
    git("switch", "-q", "-c", RELEASE_BRANCH, cwd=sb.clone)
    impostor = commit_file(sb.clone, "README.rst", f"Python {VERSION}")
    record = rehearsal.fails_at("release.tools")
    assert f"{RELEASE_BRANCH} exists at {impostor[:12]}" in record.error
    assert "Include/patchlevel.h has" in record.error
    assert rehearsal.fact(FACT_RELEASE_COMMIT) is None
    git("switch", "-q", "3.13", cwd=sb.clone)
    git("branch", "-q", "-D", RELEASE_BRANCH, cwd=sb.clone)
    rehearsal.retry_and_finish("release.tools")


def _kill_before_commit(monkeypatch: pytest.MonkeyPatch) -> None:
    """Kill the step at the kit's command runner, just before it runs `git commit`."""
    original = commands.run

    def run(ctx: Any, command: Any, *args: Any, **kwargs: Any) -> Any:
        if command.argv[3:4] == ("commit",):
            monkeypatch.setattr(commands, "run", original)
            raise KeyboardInterrupt
        return original(ctx, command, *args, **kwargs)

    monkeypatch.setattr(commands, "run", run)


def test_release_tools_killed_before_its_commit_redoes_it_once(
    tmp: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sb = sandbox(tmp)
    rehearsal = Rehearsal(sb)
    rehearsal.run(until="fork.update")
    _kill_before_commit(monkeypatch)
    with pytest.raises(KeyboardInterrupt):
        rehearsal.run()
    assert rehearsal.record("release.tools").status is Status.RUNNING
    assert_history_intact(sb.workspace)
    dirty = GitRepo(sb.clone).dirty_files()
    assert "Include/patchlevel.h" in dirty and any("NEWS.d" in f for f in dirty)
    # A change the step did not make is never thrown away.
    (sb.clone / "Lib" / "mine.py").write_text("KEEP = True\n")
    record = rehearsal.fails_at("release.tools")
    assert "changes this step did not make: Lib/mine.py" in record.error
    (sb.clone / "Lib" / "mine.py").unlink()
    rehearsal.retry_and_finish("release.tools")
    base = rehearsal.fact(FACT_UPSTREAM_BASE)
    assert git("rev-list", "--count", f"{base}..{RELEASE_BRANCH}", cwd=sb.clone) == "1"
    changed = git("show", "--name-only", "--format=", RELEASE_BRANCH, cwd=sb.clone).split()
    assert "Misc/NEWS.d/3.13.5.rst" in changed and "Include/patchlevel.h" in changed


def test_release_tools_killed_after_its_commit_does_not_commit_again(
    tmp: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sb = sandbox(tmp)
    rehearsal = Rehearsal(sb)
    rehearsal.run(until="fork.update")
    original = _Context.record_fact

    def record_fact(self: _Context, key: str, value: Any) -> None:
        if key == FACT_RELEASE_COMMIT:
            monkeypatch.setattr(_Context, "record_fact", original)
            raise KeyboardInterrupt
        original(self, key, value)

    monkeypatch.setattr(_Context, "record_fact", record_fact)
    with pytest.raises(KeyboardInterrupt):
        rehearsal.run()
    made = git("rev-parse", RELEASE_BRANCH, cwd=sb.clone)
    assert rehearsal.record("release.tools").status is Status.RUNNING
    assert rehearsal.fact(FACT_RELEASE_COMMIT) is None
    # Reopening settles the step by its probe: the commit in place is accepted, not redone.
    with rehearsal.engine.opened() as interruptions:
        assert [i.step_id for i in interruptions] == ["release.tools"]
        assert rehearsal.engine.state.steps["release.tools"].status is Status.DONE
        assert rehearsal.engine.state.fact(FACT_RELEASE_COMMIT) == made
        rehearsal.engine.run_until()
        assert rehearsal.engine.is_complete()
    assert git("rev-parse", f"{TAG}^{{commit}}", cwd=sb.upstream) == made
    assert_released(sb.root, VERSION)


# -- the tag -----------------------------------------------------------------------------------


def test_a_tag_pointing_elsewhere_stops_tag_create_naming_both_shas(tmp: Path) -> None:
    sb = sandbox(tmp)
    rehearsal = Rehearsal(sb)
    rehearsal.run(until="release.tools")
    commit = rehearsal.fact(FACT_RELEASE_COMMIT)
    base = rehearsal.fact(FACT_UPSTREAM_BASE)
    git("tag", "-a", "-m", "not the release", TAG, base, cwd=sb.clone)
    record = rehearsal.fails_at("tag.create")
    assert base in record.error and commit in record.error
    git("tag", "-d", TAG, cwd=sb.clone)
    rehearsal.retry_and_finish("tag.create")


def test_a_tag_moved_on_the_fork_stops_before_anything_reaches_upstream(tmp: Path) -> None:
    sb = sandbox(tmp)
    rehearsal = Rehearsal(sb)
    rehearsal.run(until="fork.push")
    commit = rehearsal.fact(FACT_RELEASE_COMMIT)
    base = rehearsal.fact(FACT_UPSTREAM_BASE)
    intruder = other_clone(tmp, sb.fork, "intruder")
    git("tag", "-f", "-a", "-m", "moved", TAG, base, cwd=intruder)
    git("push", "-q", "--force", "origin", f"refs/tags/{TAG}", cwd=intruder)
    upstream_before = refs(sb.upstream)
    clone_before = refs(sb.clone)
    record = rehearsal.fails_at("upstream.push")
    assert base in record.error and commit in record.error
    assert "the tag was moved" in record.error and "Nothing was pushed" in record.error
    assert refs(sb.upstream) == upstream_before
    assert refs(sb.clone) == clone_before
    git("push", "-q", "--force", "origin", f"refs/tags/{TAG}", cwd=sb.clone)
    rehearsal.retry_and_finish("upstream.push")


# -- upstream and the freeze ---------------------------------------------------------------------


def test_upstream_moving_during_the_release_stops_the_push(tmp: Path) -> None:
    sb = sandbox(tmp)
    rehearsal = Rehearsal(sb)
    rehearsal.run(until="fork.update")
    base = rehearsal.fact(FACT_UPSTREAM_BASE)
    core_dev = other_clone(tmp, sb.upstream, "coredev")
    git("switch", "-q", "3.13", cwd=core_dev)
    landed = commit_file(core_dev, "late.txt", "A merge that slipped past the freeze")
    git("push", "-q", "-o", PUSH_OPTION, "origin", "3.13", cwd=core_dev)
    record = rehearsal.fails_at("upstream.push")
    assert "moved during the release" in record.error and "not fast-forward" in record.error
    assert base in record.error and landed in record.error
    assert git("rev-parse", "3.13", cwd=sb.upstream) == landed
    assert TAG not in git("tag", cwd=sb.upstream)
    # An admin takes the stray merge back off the frozen branch.
    git(
        "push",
        "-q",
        "--force",
        "-o",
        PUSH_OPTION,
        "origin",
        f"{base}:refs/heads/3.13",
        cwd=core_dev,
    )
    rehearsal.retry_and_finish("upstream.push")


def test_the_freeze_hook_rejects_an_ordinary_push(tmp: Path) -> None:
    sb = sandbox(tmp)
    rehearsal = Rehearsal(sb)
    rehearsal.run(until="freeze")
    core_dev = other_clone(tmp, sb.upstream, "coredev")
    git("switch", "-q", "3.13", cwd=core_dev)
    commit_file(core_dev, "late.txt", "A merge during the freeze")
    before = refs(sb.upstream)
    pushed = subprocess.run(
        ["git", "-C", str(core_dev), "push", "origin", "3.13"], capture_output=True, text=True
    )
    assert pushed.returncode != 0
    assert "rmtui: branch 3.13 is frozen for a release" in pushed.stderr
    with pytest.raises(GitError) as caught:
        GitRepo(core_dev).push("origin", ["refs/heads/3.13:refs/heads/3.13"])
    assert "pre-receive hook declined" in caught.value.problem
    assert "the branch is frozen" in caught.value.hint and "push option" in caught.value.hint
    assert refs(sb.upstream) == before
    rehearsal.run()
    assert rehearsal.record("unfreeze").status is Status.DONE
    assert_released(sb.root, VERSION)


# -- signing -----------------------------------------------------------------------------------


def test_a_signing_key_missing_from_the_gnupg_home_stops_tag_create(tmp: Path) -> None:
    sb = sandbox(tmp)
    with empty_gpg_home() as elsewhere:
        # The same (possibly frozen) gpg clock as the sandbox's, so the key imports cleanly.
        for conf in sb.gnupghome.glob("gpg.conf"):
            shutil.copy(conf, elsewhere)
        fingerprint = Gpg(elsewhere).generate_key("Sandbox RM", "rm@sandbox.invalid", None)
        secret_key = gpg(elsewhere, "--armor", "--export-secret-keys", fingerprint)
    use_signing_key(sb, fingerprint)
    rehearsal = Rehearsal(sb)
    record = rehearsal.fails_at("tag.create")
    assert f"no key with fingerprint {fingerprint}" in record.error
    assert "gpg --import" in record.hint
    gpg(sb.gnupghome, "--import", stdin=secret_key)
    rehearsal.retry_and_finish("tag.create")


def test_an_expired_signing_key_stops_tag_create_until_extended(tmp: Path) -> None:
    sb = sandbox(tmp)
    expired = _generate_in_the_past(sb.gnupghome, "Sandbox RM <rm@sandbox.invalid>", None)
    use_signing_key(sb, expired)
    rehearsal = Rehearsal(sb)
    record = rehearsal.fails_at("tag.create")
    assert f"key {expired} expired on 2020-01-02" in record.error
    assert "--quick-set-expire" in record.hint
    gpg(sb.gnupghome, "--passphrase", "", "--quick-set-expire", expired, "1y")
    rehearsal.retry_and_finish("tag.create")


@pytest.fixture(scope="module")
def protected_key() -> Iterator[tuple[str, str]]:
    """A passphrase-protected key, made once (a protected key takes seconds to make)."""
    with empty_gpg_home() as home:
        shared = helpers._shared_gpg_home()[0] / "gpg.conf"
        if shared.exists():
            shutil.copy(shared, home)
        fingerprint = Gpg(home).generate_key(
            "Sandbox RM", "rm2@sandbox.invalid", TEST_PASSPHRASE, expire="1y"
        )
        armored = gpg(
            home, "--passphrase", TEST_PASSPHRASE, "--armor", "--export-secret-keys", fingerprint
        )
    yield fingerprint, armored


def use_protected_key(sb: Sandbox, protected_key: tuple[str, str]) -> str:
    fingerprint, armored = protected_key
    gpg(sb.gnupghome, "--import", stdin=armored)
    use_signing_key(sb, fingerprint)
    return fingerprint


def test_a_wrong_passphrase_stops_tag_create_and_the_right_one_completes(
    tmp: Path, protected_key: tuple[str, str]
) -> None:
    sb = sandbox(tmp)
    fingerprint = use_protected_key(sb, protected_key)
    secrets = Secrets("sandbox")
    secrets.set("gpg-passphrase", "wrong horse battery staple")
    rehearsal = Rehearsal(sb)
    record = rehearsal.fails_at("tag.create")
    assert f"wrong passphrase for GPG key {fingerprint}" in record.error
    assert "rmtui secrets set gpg-passphrase" in record.hint
    assert TAG not in git("tag", cwd=sb.clone)
    secrets.set("gpg-passphrase", TEST_PASSPHRASE)
    rehearsal.retry_and_finish("tag.create")
    text = workspace_text(sb.workspace)
    assert TEST_PASSPHRASE not in text and "wrong horse battery staple" not in text


def test_a_passphrase_not_in_the_keyring_is_asked_for_once(
    tmp: Path, protected_key: tuple[str, str]
) -> None:
    sb = sandbox(tmp)
    fingerprint = use_protected_key(sb, protected_key)
    prompter = ScriptedPrompter(TEST_PASSPHRASE, confirm_by_default=True)
    rehearsal = Rehearsal(sb, prompter)
    with rehearsal.engine.opened():
        rehearsal.engine.run_until()
        assert rehearsal.engine.is_complete()
    secrets = [q for q in prompter.questions if q.kind == "secret"]
    assert [q.text for q in secrets] == [f"Passphrase for GPG key {fingerprint}"]
    assert_released(sb.root, VERSION)
    assert TEST_PASSPHRASE not in workspace_text(sb.workspace)


# -- the network -------------------------------------------------------------------------------


def test_an_unreachable_fork_stops_fork_push_and_nothing_is_lost(tmp: Path) -> None:
    sb = sandbox(tmp)
    rehearsal = Rehearsal(sb)
    rehearsal.run(until="tag.create")
    git("remote", "set-url", "origin", str(tmp / "nowhere" / "fork.git"), cwd=sb.clone)
    record = rehearsal.fails_at("fork.push")
    assert "push to origin failed" in record.error
    assert "unreachable" in record.hint
    assert TAG not in git("tag", cwd=sb.fork)
    git("remote", "set-url", "origin", str(sb.fork), cwd=sb.clone)
    rehearsal.retry_and_finish("fork.push")


def test_a_network_failure_pushing_upstream_is_retried_without_a_second_post_commit(
    tmp: Path,
) -> None:
    sb = sandbox(tmp)
    rehearsal = Rehearsal(sb)
    rehearsal.run(until="fork.push")
    before = refs(sb.upstream)
    # Fetching still works; only the push goes to a port where nothing listens.
    git("config", "remote.upstream.pushurl", "http://127.0.0.1:1/upstream.git", cwd=sb.clone)
    record = rehearsal.fails_at("upstream.push")
    assert "push to upstream failed" in record.error and "127.0.0.1" in record.error
    assert "unreachable" in record.hint
    assert refs(sb.upstream) == before
    git("config", "--unset", "remote.upstream.pushurl", cwd=sb.clone)
    rehearsal.retry_and_finish("upstream.push")
    base = rehearsal.fact(FACT_UPSTREAM_BASE)
    assert git("rev-list", "--count", f"{base}..3.13", cwd=sb.upstream) == "2"
