"""The final gate: a tampered, missing or unsigned file, or a moved tag, stops the push first."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from rmtui.core.engine import Engine
from rmtui.core.status import Status
from rmtui.core.store import StateStore
from rmtui.ops.checksums import sha256_file
from rmtui.sandbox.build import Sandbox, run_rehearsal
from rmtui.usecases.lifecycle import make_engine
from tests.helpers import ScriptedPrompter, git, make_sandbox, refs, short_tmpdir
from tests.helpers.world import journal_lines
from tests.steps.test_git_half import assert_history_intact

VERSION = "3.13.10"
TGZ = f"Python-{VERSION}.tgz"
REDO = "rmtui redo"


@dataclass
class Signed:
    sandbox: Sandbox
    engine: Engine

    @property
    def artifacts(self) -> Path:
        return self.engine.release.artifacts

    def push_refused(self) -> str:
        """Run on: upstream.push fails before it acts; upstream and the history are intact."""
        upstream = refs(self.sandbox.upstream)
        before = journal_lines(self.sandbox.workspace)
        with self.engine.opened():
            assert self.engine.run_until() is Status.FAILED
            record = self.engine.state.steps["upstream.push"]
        assert record.status is Status.FAILED, record
        assert "Nothing was pushed to upstream." in record.error
        assert refs(self.sandbox.upstream) == upstream
        assert journal_lines(self.sandbox.workspace)[: len(before)] == before
        assert_history_intact(self.sandbox.workspace)
        assert "\n" not in record.error and "Traceback" not in record.error
        return f"{record.error} / {record.hint}"


@contextmanager
def signed_release(until: str = "sign.artifacts") -> Iterator[Signed]:
    """A sandbox release run through `until` (the stand-ins imported), engine closed."""
    with short_tmpdir("gt") as tmp:
        sandbox, _release = make_sandbox(tmp, VERSION)
        engine = make_engine(sandbox.workspace, ScriptedPrompter(confirm_by_default=True))
        with engine.opened():
            run_rehearsal(engine, until=until)
            assert engine.state.steps[until].status is Status.DONE
        yield Signed(sandbox, engine)


def test_a_tarball_changed_after_signing_is_refused_at_the_upstream_push() -> None:
    with signed_release() as s:
        tgz = s.artifacts / TGZ
        built = sha256_file(tgz)
        tgz.write_bytes(tgz.read_bytes() + b"tampered")
        message = s.push_refused()
        assert f"{TGZ} changed after export.source made it" in message
        assert built in message and sha256_file(tgz) in message
        assert f"{REDO} {s.sandbox.workspace} export.source --reason" in message


def test_a_missing_signature_is_refused_at_the_upstream_push() -> None:
    with signed_release() as s:
        (s.artifacts / f"{TGZ}.asc").unlink()
        message = s.push_refused()
        assert f"{TGZ}: {TGZ}.asc is missing" in message
        assert f"{REDO} {s.sandbox.workspace} sign.artifacts" in message


def test_a_moved_tag_is_refused_at_the_upstream_push() -> None:
    with signed_release() as s:
        clone = s.sandbox.clone
        tag = f"v{VERSION}"
        git("tag", "-f", "-a", "-m", "moved", tag, f"{tag}^{{commit}}^", cwd=clone)
        message = s.push_refused()
        assert f"the local tag {tag} now points at" in message
        assert "the tag was moved" in message


def test_an_installer_removed_after_the_hand_off_is_refused_at_the_upstream_push() -> None:
    with signed_release() as s:
        installer = next(s.artifacts.glob("*.pkg.stand-in"))
        installer.unlink()
        message = s.push_refused()
        assert f"{installer.name} is missing from {s.artifacts}" in message
        assert "handoff.experts" in message


def test_signing_refuses_to_go_on_without_a_deleted_source_tarball() -> None:
    with signed_release(until="artifacts.test") as s:
        upstream = refs(s.sandbox.upstream)
        (s.artifacts / TGZ).unlink()
        for attempt in range(2):
            with s.engine.opened():
                if attempt:
                    s.engine.retry("sign.artifacts")
                assert s.engine.run_until() is Status.FAILED
                record = s.engine.state.steps["sign.artifacts"]
            assert record.status is Status.FAILED
            assert f"{TGZ} is missing from {s.artifacts}" in record.error
            assert "Nothing was signed." in record.error
            assert f"{REDO} {s.sandbox.workspace} export.source" in record.hint
            assert not (s.artifacts / f"{TGZ}.asc").exists()
            assert_history_intact(s.sandbox.workspace)
        state = StateStore(s.sandbox.workspace / "state.json").load()
        assert state.steps["upstream.push"].status is Status.PENDING
        assert refs(s.sandbox.upstream) == upstream
