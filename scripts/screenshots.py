"""Drive the TUI through a rehearsal with run_test() and save SVG and PNG screenshots.

Usage: .venv/bin/python scripts/screenshots.py [--out screenshots] [--size 100x30]

Builds a sandbox in /tmp/rmtui-screens (emptied first, so that the paths in the pictures stay
the same), opens it from the home screen, and takes a picture of each state the README shows:
home, the release at start, a step running with its output, a failed step with its recovery
hint, the point-of-no-return modal, help, resume after a kill, the finished release, and the
hand-off waiting on the experts with the import dialog. PNGs need `rsvg-convert` (Debian:
librsvg2-bin).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from textual.pilot import Pilot

FIXED_CLOCK = "2026-11-03T10:00:00Z"
SHOTS_ROOT = Path("/tmp/rmtui-screens")
# The running-step picture is taken when a step has printed this many lines.
LINES_BEFORE_PICTURE = 6


def isolate(home: Path) -> None:
    """Keep git and rmtui away from the user's own config and releases."""
    os.environ.update(
        GIT_CONFIG_GLOBAL="/dev/null",
        GIT_CONFIG_NOSYSTEM="1",
        RMTUI_HOME=str(home),
        RMTUI_KEYRING="memory",
    )


class OutputGate:
    """An engine listener that holds the first step printing enough lines, for a picture."""

    def __init__(self, lines: int) -> None:
        self.lines = lines
        self.counts: dict[str, int] = {}
        self.armed = False
        self.holding = threading.Event()
        self.release = threading.Event()

    def __call__(self, event: Any) -> None:
        from rmtui.core.events import OutputLine

        if not isinstance(event, OutputLine) or not self.armed:
            return
        count = self.counts.get(event.step_id, 0) + 1
        self.counts[event.step_id] = count
        if count == self.lines:
            self.armed = False
            self.holding.set()
            self.release.wait(30)


def svg_for_rsvg(svg: str) -> str:
    """Textual's SVG, adjusted so that rsvg keeps the spaces at the start of text runs."""
    svg = svg.replace("<svg ", '<svg xml:space="preserve" ', 1)
    return svg.replace("&#160;", " ")


class Camera:
    """Saves each picture as SVG, and as PNG when rsvg-convert is there."""

    def __init__(self, out: Path) -> None:
        self.out = out
        self.rsvg = shutil.which("rsvg-convert")
        self.taken: list[str] = []
        out.mkdir(parents=True, exist_ok=True)

    def shoot(self, pilot: Pilot[Any], name: str) -> None:
        svg = pilot.app.export_screenshot(title="rmtui")
        svg_path = self.out / f"{name}.svg"
        svg_path.write_text(svg, encoding="utf-8")
        if self.rsvg is not None:
            with tempfile.NamedTemporaryFile("w", suffix=".svg", delete=False) as tmp:
                tmp.write(svg_for_rsvg(svg))
            try:
                subprocess.run(
                    [self.rsvg, tmp.name, "-o", str(self.out / f"{name}.png")], check=True
                )
            finally:
                os.unlink(tmp.name)
        self.taken.append(name)
        print(f"  {name}")


async def until(
    pilot: Pilot[Any], predicate: Callable[[], bool], what: str, timeout: float = 60
) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise SystemExit(f"screenshots: timed out waiting for {what}")
        await pilot.pause(0.05)


async def settle(pilot: Pilot[Any]) -> None:
    await pilot.pause(0.3)
    await pilot.wait_for_scheduled_animations()


async def rehearse(camera: Camera, root: Path, size: tuple[int, int]) -> Path:
    from rmtui.core.engine import Engine
    from rmtui.core.status import Status
    from rmtui.core.version import parse_version
    from rmtui.sandbox.build import DEFAULT_VERSION, build_sandbox
    from rmtui.tui import services
    from rmtui.tui.app import RmtuiApp
    from rmtui.tui.screens.decisions import PointOfNoReturnDialog
    from rmtui.tui.screens.dialogs import ConfirmDialog, ErrorDialog, TextDialog
    from rmtui.tui.screens.handoff import ImportDialog
    from rmtui.tui.screens.help import HelpScreen
    from rmtui.tui.screens.release import ReleaseScreen

    sandbox, _release = build_sandbox(root / "sandbox", parse_version(DEFAULT_VERSION))
    gate = OutputGate(LINES_BEFORE_PICTURE)

    def engine_with_gate(
        workspace: Path, prompter: Any, listeners: Sequence[Any], clock: Any
    ) -> Engine:
        return services.open_engine(workspace, prompter, [*listeners, gate], clock)

    app = RmtuiApp(engine_factory=engine_with_gate, clock=lambda: FIXED_CLOCK)
    async with app.run_test(size=size) as pilot:
        await until(pilot, lambda: app.screen.query("#releases").first().display, "the list")
        await settle(pilot)
        camera.shoot(pilot, "01-home")

        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, ReleaseScreen), "the release screen")
        screen = app.screen
        assert isinstance(screen, ReleaseScreen)
        await until(pilot, lambda: screen.engine is not None and not screen.busy, "the engine")
        await settle(pilot)
        camera.shoot(pilot, "02-release-at-start")
        engine = screen.engine
        assert engine is not None

        # A stray file in the working clone: the first step refuses to go on, and says how.
        stray = sandbox.clone / "notes.txt"
        stray.write_text("an uncommitted note\n")
        await pilot.press("n")
        await until(pilot, lambda: not screen.busy, "the first step")
        await settle(pilot)
        camera.shoot(pilot, "03-failed-step-with-hint")
        stray.unlink()
        await pilot.press("t")
        await until(pilot, lambda: not screen.busy, "the retry")

        gate.armed = True
        shot_running = shot_help = shot_point = False
        for _ in range(300):
            top = app.screen
            if gate.holding.is_set() and not shot_running:
                await settle(pilot)
                camera.shoot(pilot, "04-step-running-with-output")
                shot_running = True
                gate.release.set()
                continue
            if isinstance(top, PointOfNoReturnDialog):
                if not shot_point:
                    await settle(pilot)
                    camera.shoot(pilot, "05-point-of-no-return")
                    shot_point = True
                await pilot.press("y")
                continue
            if isinstance(top, ConfirmDialog):
                await pilot.press("y")
                continue
            if isinstance(top, TextDialog) and not top.secret:
                await pilot.press("enter")
                continue
            if isinstance(top, ErrorDialog):
                raise SystemExit(f"screenshots: {top.problem} ({top.hint})")
            if screen.busy:
                await pilot.pause(0.05)
                continue
            if engine.is_complete():
                break
            if shot_running and not shot_help:
                await pilot.press("f1", "w")
                await until(pilot, lambda: isinstance(app.screen, HelpScreen), "help")
                await settle(pilot)
                camera.shoot(pilot, "06-help-process")
                await pilot.press("k")
                await settle(pilot)
                camera.shoot(pilot, "06-help-keys")
                await pilot.press("escape")
                shot_help = True
                continue
            failed = [s for s in engine.plan if engine.state.steps[s.id].status is Status.FAILED]
            waiting = [s for s in engine.plan if engine.state.steps[s.id].status is Status.WAITING]
            if failed:
                # Offline there is no Sigstore identity: skip, with the reason journaled.
                screen.checklist.select_step(failed[0].id)
                await pilot.press("s")
                await until(pilot, lambda: isinstance(app.screen, TextDialog), "the reason")
                app.screen.query_one("Input").value = "offline rehearsal"  # type: ignore[attr-defined]
                await pilot.press("enter")
                continue
            if engine.next_step() is None and waiting:
                # Everything else waits on the experts: import the sandbox's stand-ins.
                screen.checklist.select_step(waiting[0].id)
                await settle(pilot)
                camera.shoot(pilot, "09-handoff-waiting")
                await pilot.press("i")
                await until(pilot, lambda: isinstance(app.screen, ImportDialog), "the import")
                await settle(pilot)
                camera.shoot(pilot, "10-handoff-import")
                await pilot.press("enter")
                await until(pilot, lambda: not isinstance(app.screen, ImportDialog), "import")
                await until(pilot, lambda: not screen.busy, "the import to finish")
                continue
            await pilot.press("n")
        gate.release.set()
        await settle(pilot)
        camera.shoot(pilot, "08-release-complete")
        await pilot.press("q")
    return sandbox.workspace


async def resume_after_kill(camera: Camera, workspace: Path, size: tuple[int, int]) -> None:
    """Leave the last step 'running' in state.json, as a kill would, and open it again."""
    from rmtui.tui.app import RmtuiApp
    from rmtui.tui.screens.decisions import ResumeDialog

    state_path = workspace / "state.json"
    data = json.loads(state_path.read_text())
    last = list(data["steps"])[-1]
    data["steps"][last].update(status="running", finished=None)
    state_path.write_text(json.dumps(data, indent=2))
    app = RmtuiApp(workspace, clock=lambda: FIXED_CLOCK)
    async with app.run_test(size=size) as pilot:
        await until(pilot, lambda: isinstance(app.screen, ResumeDialog), "the resume dialog")
        await settle(pilot)
        camera.shoot(pilot, "07-resume-after-kill")
        dialog = app.screen
        assert isinstance(dialog, ResumeDialog)
        await pilot.press(
            {"accept-done": "a", "run-again": "r", "mark-failed": "f"}[dialog.suggested.value]
        )
        await pilot.pause(0.3)
        await pilot.press("q")


def stop_agent(root: Path) -> None:
    gnupg = root / "sandbox" / "gnupg"
    if gnupg.exists():
        subprocess.run(["gpgconf", "--homedir", str(gnupg), "--kill", "gpg-agent"], check=False)


def parse_size(text: str) -> tuple[int, int]:
    match = re.fullmatch(r"(\d+)x(\d+)", text)
    if match is None:
        raise SystemExit(f"screenshots: --size must look like 100x30, not {text!r}")
    return int(match[1]), int(match[2])


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--out", type=Path, default=Path(__file__).resolve().parent.parent / "screenshots"
    )
    parser.add_argument("--size", default="100x30")
    args = parser.parse_args(argv)
    size = parse_size(args.size)
    # A fixed place: the paths in the pictures stay the same from one run to the next.
    root = SHOTS_ROOT
    if root.exists():
        stop_agent(root)
        shutil.rmtree(root)
    root.mkdir()
    isolate(root / "home")
    camera = Camera(args.out)
    if camera.rsvg is None:
        print("rsvg-convert not found: writing SVG only (Debian: apt-get install librsvg2-bin)")
    print(f"screenshots into {args.out}:")
    try:
        workspace = asyncio.run(rehearse(camera, root, size))
        asyncio.run(resume_after_kill(camera, workspace, size))
    finally:
        stop_agent(root)
        shutil.rmtree(root, ignore_errors=True)
    print(f"{len(camera.taken)} pictures")
    return 0


if __name__ == "__main__":
    sys.exit(main())
