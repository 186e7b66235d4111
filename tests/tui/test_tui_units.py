"""Unit tests of the TUI's plain parts: keymap file, log tails, the process picture, the bridge."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest

from rmtui.core.events import FactRecorded, Notice, OutputLine, ProgressUpdate, StatusChanged
from rmtui.core.status import Status
from rmtui.core.store import StepRecord
from rmtui.tui.bridge import EngineBridge
from rmtui.tui.keymap import BINDING_IDS, load_keymap
from rmtui.tui.messages import EngineNotice, StepFactRecorded, StepProgress, StepStatusChanged
from rmtui.tui.present import process_picture
from rmtui.tui.screens.handoff import imported_summary
from rmtui.tui.services import Imported
from rmtui.tui.widgets.detail import format_value
from rmtui.tui.widgets.output import TAIL_BYTES, LineFeed, read_tail
from tests.tui.test_tui_fakes import fake_plan


def test_keymap_missing_file_means_usual_keys(tmp_path: Path) -> None:
    assert load_keymap(tmp_path / "keymap.toml") == ({}, [])


def test_keymap_maps_known_ids(tmp_path: Path) -> None:
    path = tmp_path / "keymap.toml"
    path.write_text('[keys]\nrun-next = "ctrl+n"\nskip = "s,f6"\n')
    assert load_keymap(path) == ({"run-next": "ctrl+n", "skip": "s,f6"}, [])


@pytest.mark.parametrize(
    ("text", "problem", "way_out"),
    [
        ("[keys\n", "is not valid TOML", "fix it or delete it"),
        ('keys = "n"\n', "[keys] must be a table", 'binding-id = "key"'),
        ('[keys]\nrun-nxt = "n"\n', "there is no binding 'run-nxt'", "run-next"),
        ("[keys]\nskip = 3\n", "skip must be a key", '"ctrl+n"'),
        ('[keys]\nskip = " "\n', "skip must be a key", '"ctrl+n"'),
    ],
)
def test_keymap_problems_name_the_way_out(
    tmp_path: Path, text: str, problem: str, way_out: str
) -> None:
    path = tmp_path / "keymap.toml"
    path.write_text(text)
    keymap, problems = load_keymap(path)
    assert keymap == {}
    assert len(problems) == 1 and problem in problems[0] and way_out in problems[0]
    assert str(path) in problems[0]


def test_keymap_ids_are_the_bindings_ids() -> None:
    from rmtui.tui.app import RmtuiApp
    from rmtui.tui.screens.home import HomeScreen
    from rmtui.tui.screens.release import ReleaseScreen

    defined = {
        b.id
        for cls in (RmtuiApp, HomeScreen, ReleaseScreen)
        for b in cls.BINDINGS
        if not isinstance(b, tuple) and b.id is not None
    }
    assert defined == BINDING_IDS


def test_read_tail_of_a_big_log_starts_on_a_whole_line(tmp_path: Path) -> None:
    log = tmp_path / "flood.log"
    log.write_text("".join(f"line {i:07d}\n" for i in range(100_000)))
    assert log.stat().st_size > TAIL_BYTES
    tail = read_tail(log, max_lines=10_000)
    assert tail[-1] == "line 0099999"
    assert all(line.startswith("line ") and len(line) == 12 for line in tail)
    assert read_tail(tmp_path / "missing.log") == []


def test_process_picture_marks_done_current_and_absent_stages() -> None:
    plan = fake_plan()
    records = {step.id: StepRecord() for step in plan}
    records["check"] = StepRecord(status=Status.DONE)
    picture = process_picture(plan, records, plan.get("build")).plain
    assert "✔  1. Freeze" in picture and "✔  2. Update the fork" in picture
    assert "▶  6. Build" in picture and "▶  7. Test" in picture
    assert "   3. Release tools" in picture  # not in this plan: no mark
    assert "·  9. Publish" in picture


class FakeTarget:
    def __init__(self) -> None:
        self.posted: list[Any] = []

    def post_message(self, message: Any) -> bool:
        self.posted.append(message)
        return True


def test_bridge_batches_lines_and_posts_once_per_batch() -> None:
    announced: list[int] = []
    feed = LineFeed(lambda: announced.append(1))
    target = FakeTarget()
    bridge = EngineBridge(target, feed)  # type: ignore[arg-type]

    def worker() -> None:
        for i in range(1000):
            bridge(OutputLine("build", f"line {i}"))
        bridge(Notice("half way"))

    thread = threading.Thread(target=worker)
    thread.start()
    thread.join()
    assert len(announced) == 1  # one message for the whole batch
    assert feed.take() == [f"line {i}" for i in range(1000)]
    assert feed.take() == []
    assert bridge.lines_seen == 1000
    assert [type(m) for m in target.posted] == [EngineNotice]
    assert target.posted[0].event == Notice("half way")
    bridge(OutputLine("build", "again"))
    assert len(announced) == 2  # the next batch announces itself again
    bridge.close()
    bridge(Notice("after close"))
    assert [m.event for m in target.posted] == [Notice("half way")]


def test_bridge_posts_each_engine_event_as_its_typed_message() -> None:
    target = FakeTarget()
    bridge = EngineBridge(target, LineFeed(lambda: None))  # type: ignore[arg-type]
    events = [
        StatusChanged("build", Status.PENDING, Status.RUNNING),
        FactRecorded("build", "build.sha256", "00"),
        ProgressUpdate("build", 1, 3, "compressing"),
        Notice("from the UI thread"),
    ]
    for event in events:
        bridge(event)
    kinds = [StepStatusChanged, StepFactRecorded, StepProgress, EngineNotice]
    assert [type(m) for m in target.posted] == kinds
    assert [m.event for m in target.posted] == events


def test_the_release_screen_names_the_real_handoff_step() -> None:
    # Kept as a literal there so that opening a release does not load every step module first.
    from rmtui.steps.handoff import HANDOFF_STEP_ID
    from rmtui.tui import guidance

    assert guidance.HANDOFF_STEP_ID == HANDOFF_STEP_ID


def test_imported_summary_says_what_came_in_and_who_is_left() -> None:
    one = Imported({"Windows": ("a.exe", "b.exe")}, ("macOS",))
    assert imported_summary(one) == (
        "Windows: 2 files into artifacts/ (a.exe, b.exe)\nStill waiting on macOS."
    )
    both = Imported({"Windows": ("a.exe",), "macOS": ("c.pkg",)}, (), stand_ins=True)
    assert imported_summary(both).splitlines() == [
        "Windows: 1 sandbox stand-in file into artifacts/ (a.exe)",
        "macOS: 1 sandbox stand-in file into artifacts/ (c.pkg)",
        "The hand-off is complete.",
    ]


def test_nested_fact_values_show_their_names() -> None:
    value = {"files": {"a.exe": {"sha256": "00", "size": 3}}, "stand_in": False}
    assert format_value(value) == "files=(a.exe), stand_in=False"
