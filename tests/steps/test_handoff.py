"""handoff.experts and `rmtui handoff import`: the tag goes to the experts, installers come back."""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from rmtui.core.engine import Engine
from rmtui.core.errors import RmtuiError
from rmtui.core.status import Status
from rmtui.ops.checksums import write_sha256sums
from rmtui.sandbox.build import Sandbox, stand_in_folders
from rmtui.steps.handoff import HANDOFF_STEP_ID, import_delivery
from rmtui.usecases.lifecycle import make_engine
from tests.helpers import (
    RecordingListener,
    ScriptedPrompter,
    child_env,
    git,
    make_sandbox,
    rmtui,
    short_tmpdir,
    snapshot,
)

VERSION = "3.13.10"
WINDOWS = (f"python-{VERSION}-amd64.exe.stand-in", f"python-{VERSION}-arm64.exe.stand-in")
MACOS = (f"python-{VERSION}-macos11.pkg.stand-in",)


@dataclass
class Waiting:
    sandbox: Sandbox
    engine: Engine

    @property
    def artifacts(self) -> Path:
        return self.engine.release.artifacts

    def state_files(self) -> dict[str, bytes | None]:
        workspace = self.sandbox.workspace
        return snapshot(workspace / "state.json", *sorted(self.artifacts.glob("*")))

    def delivery(self, role: str, tmp: Path) -> Path:
        """A copy of the sandbox's stand-in delivery for `role`, to spoil as a test needs."""
        copy = tmp / f"delivery-{role}"
        shutil.copytree(stand_in_folders(self.sandbox.workspace)[role], copy)
        return copy


@contextmanager
def waiting_release(version: str = VERSION) -> Iterator[Waiting]:
    """A sandbox release run until handoff.experts waits, its engine kept open."""
    with short_tmpdir("ho") as tmp:
        sandbox, _release = make_sandbox(tmp, version)
        listener = RecordingListener()
        engine = make_engine(
            sandbox.workspace, ScriptedPrompter(confirm_by_default=True), [listener]
        )
        with engine.opened():
            assert engine.run_until() is Status.WAITING
            record = engine.state.steps[HANDOFF_STEP_ID]
            assert record.status is Status.WAITING
            yield Waiting(sandbox, engine)


def test_the_hand_off_names_fork_tag_commit_and_commands_that_really_verify_the_tag(
    tmp_path: Path,
) -> None:
    with waiting_release() as w:
        record = w.engine.state.steps[HANDOFF_STEP_ID]
        assert record.waiting_on == ["Windows", "macOS"]
        assert f"rmtui handoff import {w.sandbox.workspace} DIR --role Windows" in record.reason
        commit = w.engine.state.fact("release.commit_sha")
        handoff = w.sandbox.workspace / "handoff"
        document = json.loads((handoff / f"{VERSION}.json").read_text())
        assert document["fork"] == str(w.sandbox.fork)
        assert document["tag"] == f"v{VERSION}" and document["commit"] == commit
        assert document["tag_signed"] is True
        markdown = (handoff / f"{VERSION}.md").read_text()
        for command in document["checkout"]:
            assert command in markdown
        assert "git verify-tag" in markdown and commit in markdown
        # The commands work as written, in a shell, from an empty folder.
        env = child_env(GNUPGHOME=str(w.sandbox.gnupghome))
        script = " && ".join(document["checkout"])
        done = subprocess.run(
            ["sh", "-c", script], cwd=tmp_path, env=env, capture_output=True, text=True
        )
        assert done.returncode == 0, done.stdout + done.stderr
        assert "Good signature" in done.stderr
        # ...and they refuse a tag that points elsewhere.
        other = tmp_path / "other"
        other.mkdir()
        moved = script.replace(commit, git("rev-parse", f"{commit}^", cwd=w.sandbox.fork))
        refused = subprocess.run(["sh", "-c", moved], cwd=other, env=env, capture_output=True)
        assert refused.returncode != 0


def test_bad_deliveries_are_refused_naming_the_problem_and_copy_nothing(tmp_path: Path) -> None:
    with waiting_release() as w:
        before = w.state_files()

        def refused(role: str | None, folder: Path, *needles: str) -> None:
            with pytest.raises(RmtuiError) as caught:
                import_delivery(w.engine, role, folder)
            for needle in needles:
                assert needle in str(caught.value), str(caught.value)
            assert w.state_files() == before, "a refused import changes nothing"
            record = w.engine.state.steps[HANDOFF_STEP_ID]
            assert record.status is Status.WAITING
            assert record.waiting_on == ["Windows", "macOS"]

        wrong = w.delivery("Windows", tmp_path / "wrong")
        (wrong / WINDOWS[1]).write_text("swapped on the way\n")
        refused("Windows", wrong, f"{WINDOWS[1]}: checksum mismatch", "nothing was copied")

        missing = w.delivery("Windows", tmp_path / "missing")
        (missing / WINDOWS[0]).unlink()
        refused("Windows", missing, f"{WINDOWS[0]}: missing")

        extra = w.delivery("macOS", tmp_path / "extra")
        (extra / "python-3.13.10-macos11-debug.pkg").write_text("not listed\n")
        (extra / "notes").mkdir()
        refused(
            "macOS",
            extra,
            "python-3.13.10-macos11-debug.pkg: not listed in SHA256SUMS",
            "notes/: a folder",
        )

        unlisted = w.delivery("macOS", tmp_path / "nolist")
        (unlisted / "SHA256SUMS").unlink()
        refused("macOS", unlisted, "has no SHA256SUMS", "sha256sum * > SHA256SUMS")

        clash = tmp_path / "clash"
        clash.mkdir()
        (clash / f"Python-{VERSION}.tgz").write_bytes(b"a tarball from an expert?\n")
        (clash / "installer.exe.asc").write_text("a signature\n")
        write_sha256sums(clash, [clash / f"Python-{VERSION}.tgz", clash / "installer.exe.asc"])
        refused(
            "Windows",
            clash,
            f"Python-{VERSION}.tgz: clashes with the release's own",
            "installer.exe.asc: a signature",
        )

        good = w.delivery("Windows", tmp_path / "good")
        refused("Linux", good, "'Linux' is not an expert role", "--role Windows or --role macOS")
        refused(None, good, "say which expert delivered", "--role Windows or --role macOS")
        refused("Windows", tmp_path / "nowhere", "is not a folder")


def test_good_imports_fulfil_each_role_and_are_journaled(tmp_path: Path) -> None:
    with waiting_release() as w:
        windows = w.delivery("Windows", tmp_path)
        delivery = import_delivery(w.engine, "windows", windows)
        assert delivery.role == "Windows" and delivery.remaining == ("macOS",)
        assert sorted(delivery.files) == sorted(WINDOWS)
        for name in WINDOWS:
            assert (w.artifacts / name).read_bytes() == (windows / name).read_bytes()
        sums = (w.artifacts / "SHA256SUMS").read_text()
        assert all(name in sums for name in WINDOWS)
        fact = w.engine.state.fact("handoff.Windows")
        assert fact["stand_in"] is False and set(fact["files"]) == set(WINDOWS)
        record = w.engine.state.steps[HANDOFF_STEP_ID]
        assert record.status is Status.WAITING and record.waiting_on == ["macOS"]
        with pytest.raises(RmtuiError, match="is not waiting on Windows"):
            import_delivery(w.engine, "Windows", windows)
        # With one expert left, the role can be left out.
        delivery = import_delivery(w.engine, None, w.delivery("macOS", tmp_path / "m"))
        assert delivery.role == "macOS" and delivery.remaining == ()
        assert w.engine.state.steps[HANDOFF_STEP_ID].status is Status.DONE
        journal = [
            json.loads(line)
            for line in (w.sandbox.workspace / "journal.jsonl").read_text().splitlines()
        ]
        assert [e["role"] for e in journal if e["kind"] == "fulfilled"] == ["Windows", "macOS"]
        recorded = {e["key"]: e["step"] for e in journal if e["kind"] == "fact"}
        assert recorded["handoff.Windows"] == recorded["handoff.macOS"] == "handoff.import"
        with pytest.raises(RmtuiError, match="every expert has delivered"):
            import_delivery(w.engine, "macOS", w.delivery("macOS", tmp_path / "again"))


def test_the_cli_imports_and_a_second_process_gets_the_lock_error(tmp_path: Path) -> None:
    with short_tmpdir("hc") as tmp:
        sandbox, _release = make_sandbox(tmp)
        workspace = sandbox.workspace
        ran = rmtui("run", workspace, "--yes", "--until", "fork.push")
        assert ran.returncode == 0, ran.stdout + ran.stderr
        engine = make_engine(workspace, ScriptedPrompter(confirm_by_default=True))
        with engine.opened():
            assert engine.run_step(HANDOFF_STEP_ID) is Status.WAITING
            # While this process drives the release, an import from another one is refused.
            folders = stand_in_folders(workspace)
            locked = rmtui("handoff", "import", workspace, folders["Windows"], "--role", "Windows")
            assert locked.returncode == 2
            assert "being driven by another rmtui process" in locked.stderr
            assert not any((workspace / "artifacts").glob("*.stand-in"))
        done = rmtui("handoff", "import", workspace, folders["Windows"], "--role", "windows")
        assert done.returncode == 0, done.stderr
        assert f"imported {WINDOWS[0]}" in done.stdout
        assert "still waiting on macOS" in done.stdout
        wrong = rmtui("handoff", "import", workspace, folders["macOS"], "--role", "Linux")
        assert wrong.returncode == 2 and "Linux" in wrong.stderr
        done = rmtui("handoff", "import", workspace, folders["macOS"])
        assert done.returncode == 0, done.stderr
        assert "the hand-off is complete" in done.stdout
        again = rmtui("handoff", "import", workspace, folders["macOS"], "--role", "macOS")
        assert again.returncode == 2
        assert "error: handoff.experts is not waiting on macOS" in again.stderr
        assert "how to fix:" in again.stderr
        status = rmtui("status", workspace, "--json")
        steps = {s["id"]: s for s in json.loads(status.stdout)["steps"]}
        assert steps[HANDOFF_STEP_ID]["status"] == "done"


def test_a_security_only_release_has_no_hand_off_and_no_docs() -> None:
    with short_tmpdir("hs") as tmp:
        sandbox, _release = make_sandbox(tmp, "3.13.5", security_only=True)
        assert not sandbox.experts.exists(), "no stand-ins: there is no hand-off to rehearse"
        engine = make_engine(sandbox.workspace, ScriptedPrompter(confirm_by_default=True))
        assert HANDOFF_STEP_ID not in engine.plan.ids
        assert "docs.build" not in engine.plan.ids
        with engine.opened(), pytest.raises(RmtuiError, match="has no hand-off") as caught:
            import_delivery(engine, "Windows", tmp)
        assert "security-only" in caught.value.hint
        done = rmtui("handoff", "import", sandbox.workspace, tmp, "--role", "Windows")
        assert done.returncode == 2 and "has no hand-off" in done.stderr
