"""Bad input through the real CLI: the RM's work, artifacts and deliveries (docs/reliability.md).

Each case asserts the exact message, the exit code, what the state and the journal hold
afterwards, and that the journal's chain still verifies.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from rmtui.core.status import Status
from rmtui.core.store import Journal, StateStore
from rmtui.ops.checksums import sha256_file, write_sha256sums
from rmtui.sandbox.build import Sandbox, run_rehearsal, stand_in_folders
from rmtui.usecases.lifecycle import make_engine
from tests.helpers import ScriptedPrompter, make_sandbox, refs, rmtui, short_tmpdir
from tests.helpers.world import journal_lines

VERSION = "3.13.10"
TGZ = f"Python-{VERSION}.tgz"


@pytest.fixture
def sandbox() -> Iterator[Sandbox]:
    with short_tmpdir("bi") as tmp:
        built, _release = make_sandbox(tmp, VERSION)
        yield built


def advance(sandbox: Sandbox, until: str | None) -> Status | None:
    engine = make_engine(sandbox.workspace, ScriptedPrompter(confirm_by_default=True))
    with engine.opened():
        if until is None:
            return engine.run_until()
        run_rehearsal(engine, until=until)
        return engine.state.steps[until].status


def status_of(sandbox: Sandbox, step_id: str) -> Status:
    return StateStore(sandbox.workspace / "state.json").load().steps[step_id].status


def chain_verifies(workspace: Path) -> bool:
    state = StateStore(workspace / "state.json").load()
    return Journal(workspace / "journal.jsonl").verify((state.journal_seq, state.journal_sha)) == []


def steps_and_facts(workspace: Path) -> tuple[object, object]:
    state = StateStore(workspace / "state.json").load()
    return {k: v.to_json() for k, v in state.steps.items()}, state.facts


def failed_run(sandbox: Sandbox, step_id: str, *args: str) -> str:
    """`rmtui run --yes` stops with exit 1 at `step_id`, journaled as started then failed."""
    seq = len(journal_lines(sandbox.workspace))
    done = rmtui("run", sandbox.workspace, "--yes", *args, timeout=600)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "Traceback" not in done.stdout + done.stderr
    assert status_of(sandbox, step_id) is Status.FAILED
    events = journal_lines(sandbox.workspace)[seq:]
    moves = [e["new"] for e in events if e["kind"] == "transition" and e["step"] == step_id]
    assert moves[-2:] == ["running", "failed"], moves
    assert chain_verifies(sandbox.workspace)
    record = StateStore(sandbox.workspace / "state.json").load().steps[step_id]
    assert record.error in done.stdout + done.stderr
    return f"{record.error} / {record.hint}"


def test_an_uncommitted_readme_edit_before_release_tools(sandbox: Sandbox) -> None:
    advance(sandbox, "fork.update")
    readme = sandbox.clone / "README.rst"
    edited = readme.read_text() + "\nmy note\n"
    readme.write_text(edited)
    message = failed_run(sandbox, "release.tools")
    assert message == (
        f"the working clone {sandbox.clone} has uncommitted changes this step did not make: "
        "README.rst / commit or stash them, then retry"
    )
    assert readme.read_text() == edited


def test_an_uncommitted_news_entry_before_release_tools(sandbox: Sandbox) -> None:
    advance(sandbox, "fork.update")
    entry = sandbox.clone / "Misc/NEWS.d/next/Library/2026-01-01-00-00-00.gh-issue-2.mine.rst"
    entry.write_text("A NEWS entry not committed yet.\n")
    message = failed_run(sandbox, "release.tools")
    assert f"did not make: {entry.relative_to(sandbox.clone)} / commit or stash" in message
    assert entry.is_file()


def test_a_tarball_changed_after_signing(sandbox: Sandbox) -> None:
    advance(sandbox, "sign.artifacts")
    upstream = refs(sandbox.upstream)
    tgz = sandbox.workspace / "artifacts" / TGZ
    built = sha256_file(tgz)
    tgz.write_bytes(tgz.read_bytes() + b"!")
    message = failed_run(sandbox, "upstream.push")
    assert message.startswith(
        f"{TGZ} changed after export.source made it: sha256 {built} then, {sha256_file(tgz)} "
        "now. Nothing was pushed to upstream. / find out what changed it; restore the "
        f"original, or re-run the step that made it and everything after it with `rmtui redo "
        f"{sandbox.workspace} export.source --reason TEXT`"
    )
    assert refs(sandbox.upstream) == upstream


def test_a_deleted_source_tarball_before_signing(sandbox: Sandbox) -> None:
    advance(sandbox, "artifacts.test")
    (sandbox.workspace / "artifacts" / TGZ).unlink()
    message = failed_run(sandbox, "sign.artifacts")
    assert f"{TGZ} is missing from {sandbox.workspace / 'artifacts'}" in message
    assert "Nothing was signed. / restore the file, or re-run the step that made it" in message
    assert not list((sandbox.workspace / "artifacts").glob("*.asc"))


def waiting(sandbox: Sandbox) -> None:
    assert advance(sandbox, None) is Status.WAITING


def refused_import(sandbox: Sandbox, folder: Path, role: str) -> str:
    """`rmtui handoff import` refuses with exit 2; the journal only gains `release.opened`."""
    workspace = sandbox.workspace
    before, lines = steps_and_facts(workspace), journal_lines(workspace)
    done = rmtui("handoff", "import", workspace, folder, "--role", role)
    assert done.returncode == 2, done.stdout + done.stderr
    assert "Traceback" not in done.stderr
    assert steps_and_facts(workspace) == before
    after = journal_lines(workspace)
    assert after[: len(lines)] == lines
    assert [e["kind"] for e in after[len(lines) :]] == ["release.opened"]
    assert chain_verifies(workspace)
    assert status_of(sandbox, "handoff.experts") is Status.WAITING
    assert not list((workspace / "artifacts").glob("*.stand-in"))
    return done.stderr


def test_a_macos_delivery_imported_as_windows(sandbox: Sandbox, tmp_path: Path) -> None:
    waiting(sandbox)
    folder = shutil.copytree(stand_in_folders(sandbox.workspace)["macOS"], tmp_path / "mac")
    err = refused_import(sandbox, folder, "Windows")
    assert (
        f"error: the delivery in {folder} is not Windows's: python-{VERSION}-macos11.pkg.stand-in "
        "(macOS (sandbox stand-in)) look like macOS's; nothing was copied and the hand-off still "
        "waits for Windows"
    ) in err
    assert "how to fix: import it with --role macOS" in err


def test_a_windows_delivery_without_one_installer(sandbox: Sandbox, tmp_path: Path) -> None:
    waiting(sandbox)
    folder = shutil.copytree(stand_in_folders(sandbox.workspace)["Windows"], tmp_path / "win")
    (folder / f"python-{VERSION}-arm64.exe.stand-in").unlink()
    write_sha256sums(folder, sorted(folder.glob("*.stand-in")))
    err = refused_import(sandbox, folder, "Windows")
    assert (
        f"error: the Windows delivery in {folder} lacks python-{VERSION}-arm64.exe.stand-in "
        "(Windows (sandbox stand-in)); nothing was copied and the hand-off still waits for "
        "Windows"
    ) in err
