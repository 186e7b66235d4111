"""Benchmark the TUI: time to first paint, and a step printing 200,000 lines with the TUI open.

Usage (from the repository root):

    .venv/bin/python bench/bench_tui.py                 # 7 paint runs, 5 flood runs each way
    .venv/bin/python bench/bench_tui.py --paint-runs 11 --flood-runs 5 --lines 200000

Every app runs in a real pseudo-terminal (100x30) with Textual's real driver, and the parent
keeps reading the terminal so output never backs up. Results go to bench/out/tui.json.

- First paint: from spawning the process to the first bytes of its first screen reaching
  the terminal, for `rmtui` (home screen, no releases) and for a minimal Textual app painting
  one label, interleaved.
- Flood: one step runs a subprocess printing N lines through the real shell runner and engine.
  Wall time is from the step's start transition to its done transition, with the TUI open
  (the run started by pressing `n`) and headless (the engine with the quiet terminal listener,
  as `rmtui run --quiet`). While the TUI floods, the parent presses arrow keys every 100 ms;
  the latency is from writing the key to the terminal to the app having handled it.

Targets (issue 9): first paint at most 1.2x the minimal app; the flood with the TUI open at
most 1.2x headless in EACH run (a headless run and a TUI run side by side make one run);
key presses during the flood handled with a p99 under 100 ms.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import fcntl
import json
import os
import platform
import pty
import select
import shutil
import signal
import statistics
import struct
import sys
import tempfile
import termios
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out"
SIZE = (100, 30)
PAINT_TARGET = 1.2
FLOOD_TARGET = 1.2
KEY_TARGET_MS = 100.0
KEY_INTERVAL = 0.1
MINIMAL_MARKER = "FIRSTPAINT"
RMTUI_MARKER = "rehearsals"

MINIMAL_APP = f"""
from textual.app import App
from textual.widgets import Label

class Minimal(App):
    def compose(self):
        yield Label("{MINIMAL_MARKER}")

Minimal().run()
"""


# -- the pseudo-terminal ----------------------------------------------------------


def spawn(argv: Sequence[str], env: dict[str, str]) -> tuple[int, int]:
    """Start argv on a new pty of SIZE; return (pid, master fd)."""
    pid, master = pty.fork()
    if pid == 0:
        try:
            os.execvpe(argv[0], list(argv), env)
        finally:
            os._exit(127)
    cols, rows = SIZE
    fcntl.ioctl(master, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
    return pid, master


def drain(master: int, timeout: float) -> bytes:
    ready, _, _ = select.select([master], [], [], timeout)
    if not ready:
        return b""
    try:
        return os.read(master, 1 << 16)
    except OSError:
        return b""


def stop(pid: int, master: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        drain(master, 0.01)
        done, _ = os.waitpid(pid, os.WNOHANG)
        if done:
            break
    os.close(master)


def time_to_marker(argv: Sequence[str], env: dict[str, str], marker: str) -> float:
    start = time.monotonic()
    pid, master = spawn(argv, env)
    seen = b""
    try:
        while time.monotonic() - start < 30:
            seen += drain(master, 0.05)
            if marker.encode() in seen:
                return time.monotonic() - start
        raise SystemExit(f"bench_tui: {argv[0]} never painted {marker!r}")
    finally:
        stop(pid, master)


# -- first paint ------------------------------------------------------------------


def bench_paint(runs: int, env: dict[str, str]) -> dict[str, Any]:
    rmtui = [str(Path(sys.executable).parent / "rmtui")]
    tui_only = [sys.executable, "-c", "from rmtui.tui.app import run_app; run_app(None)"]
    minimal = [sys.executable, "-c", MINIMAL_APP]
    for argv, marker in ((minimal, MINIMAL_MARKER), (rmtui, RMTUI_MARKER)):
        time_to_marker(argv, env, marker)  # warm the page cache
    mine: list[float] = []
    tui: list[float] = []
    base: list[float] = []
    for _ in range(runs):
        base.append(time_to_marker(minimal, env, MINIMAL_MARKER))
        mine.append(time_to_marker(rmtui, env, RMTUI_MARKER))
        tui.append(time_to_marker(tui_only, env, RMTUI_MARKER))
    ratio = statistics.median(mine) / statistics.median(base)
    return {
        "rmtui_s": mine,
        "tui_only_s": tui,
        "minimal_s": base,
        "rmtui_median_s": statistics.median(mine),
        "tui_only_median_s": statistics.median(tui),
        "minimal_median_s": statistics.median(base),
        "ratio": ratio,
        "tui_only_ratio": statistics.median(tui) / statistics.median(base),
        "target": PAINT_TARGET,
        "ok": ratio <= PAINT_TARGET,
    }


# -- the flood: a plan with one noisy step ------------------------------------------------


def flood_release(workspace: Path, lines: int) -> Any:
    """A release whose plan is one step printing `lines` lines; returns (release, plan)."""
    from rmtui.cli.terminal_prompter import TerminalPrompter
    from rmtui.core.engine import Engine
    from rmtui.core.release import Release, builtin_profile
    from rmtui.core.step import Action, Phase, Plan, Probe, Step, StepContext
    from rmtui.core.version import parse_version
    from rmtui.ops import shell

    class FloodStep(Step):
        id = "flood"
        title = f"Print {lines:,} lines"
        phase = Phase.BUILD

        def plan(self, release: Release) -> list[Action]:
            return [Action("print many lines", f"python -c 'for i in range({lines}): ...'")]

        def probe(self, ctx: StepContext) -> Probe:
            return Probe.not_done("it always runs")

        def run(self, ctx: StepContext) -> None:
            code = f"import sys\nfor i in range({lines}): print('line', i, 'of the flood')"
            shell.run([sys.executable, "-c", code], sink=ctx.output, echo=False)

    profile = dataclasses.replace(builtin_profile("cpython"), rehearsal=True)
    release = Release(parse_version("3.14.0"), profile, workspace)
    plan = Plan((FloodStep(),))
    workspace.mkdir(parents=True, exist_ok=True)
    Engine(release, plan, TerminalPrompter(interactive=False)).initialise()
    return release, plan


class StepTimer:
    """A listener noting when the flood step starts and ends (monotonic clock)."""

    def __init__(self) -> None:
        self.started = 0.0
        self.finished = 0.0
        self.cpu = 0.0  # CPU seconds of the whole process (all threads) during the step
        self.done = threading.Event()

    def __call__(self, event: Any) -> None:
        from rmtui.core.events import StatusChanged
        from rmtui.core.status import Status

        if isinstance(event, StatusChanged):
            if event.new is Status.RUNNING:
                self.started = time.monotonic()
                self.cpu = -time.process_time()
            elif event.old is Status.RUNNING:
                self.finished = time.monotonic()
                self.cpu += time.process_time()
                self.done.set()


def quiet_terminal_listener() -> Any:
    """`rmtui run --quiet`'s listener: the headless side of the comparison."""
    from rmtui.cli.terminal_prompter import TerminalListener

    return TerminalListener(quiet=True)


def flood_headless(workdir: Path, lines: int) -> tuple[float, float]:
    from rmtui.cli.terminal_prompter import TerminalPrompter
    from rmtui.core.engine import Engine

    release, plan = flood_release(workdir, lines)
    timer = StepTimer()
    engine = Engine(
        release,
        plan,
        TerminalPrompter(interactive=False),
        listeners=[quiet_terminal_listener(), timer],
    )
    with engine.opened():
        engine.run_step("flood")
    return timer.finished - timer.started, timer.cpu


def child_flood(workdir: Path, lines: int, result: Path, ready: Path) -> None:
    """Runs inside the pty: the real app on the flood release; writes timings at the end."""
    from textual import events

    from rmtui.core.engine import Engine
    from rmtui.tui.app import RmtuiApp
    from rmtui.tui.screens.release import ReleaseScreen

    if os.environ.get("BENCH_TUI_SWITCH"):  # the GIL switch interval, for experiments
        sys.setswitchinterval(float(os.environ["BENCH_TUI_SWITCH"]))
    release, plan = flood_release(workdir, lines)
    timer = StepTimer()
    handled: dict[int, float] = {}
    seen: list[events.Key] = []
    ui_cpu: list[float] = []
    ready_seen: list[bool] = []
    # Where the UI thread's CPU time goes during the step (cProfile sees only this thread).
    profiler = None
    if os.environ.get("BENCH_TUI_PROFILE"):
        import cProfile

        profiler = cProfile.Profile(time.thread_time)

    def factory(workspace: Path, prompter: Any, listeners: Any, clock: Any) -> Engine:
        return Engine(release, plan, prompter, listeners=[*listeners, timer], clock=clock)

    class BenchApp(RmtuiApp):
        async def on_event(self, event: events.Event) -> None:
            await super().on_event(event)
            if isinstance(event, events.Key) and event.key in ("up", "down"):
                # A key reaches the app twice (from the driver, then bubbling back up):
                # the last time is when it has been handled.
                if id(event) not in handled:
                    seen.append(event)  # kept alive, so that no later key reuses its id
                handled[id(event)] = time.monotonic()

        def on_mount(self) -> None:
            # Textual calls RmtuiApp.on_mount too (handlers run along the MRO).
            self.set_interval(0.05, self._watch)

        def _watch(self) -> None:
            # The UI thread's own CPU time while the step runs (sampled every 50 ms).
            if timer.started and not ui_cpu:
                ui_cpu.append(time.thread_time())
                if profiler is not None:
                    profiler.enable()
            if timer.done.is_set() and len(ui_cpu) == 1:
                ui_cpu.append(time.thread_time())
                if profiler is not None:
                    profiler.disable()
            screen = self.screen
            if isinstance(screen, ReleaseScreen) and screen.engine is not None and not ready_seen:
                ready.touch()
                ready_seen.append(True)
            if timer.done.is_set() and not getattr(self, "_leaving", False):
                self._leaving = True
                self.set_timer(0.5, self.exit)

    BenchApp(release.workspace, engine_factory=factory).run()
    if profiler is not None:
        profiler.dump_stats(os.environ["BENCH_TUI_PROFILE"])
    result.write_text(
        json.dumps(
            {
                "started": timer.started,
                "finished": timer.finished,
                "cpu": timer.cpu,
                "ui_cpu": ui_cpu[1] - ui_cpu[0] if len(ui_cpu) == 2 else None,
                "handled": list(handled.values()),  # in the order the keys arrived
            }
        )
    )


def flood_tui(workdir: Path, lines: int, env: dict[str, str]) -> dict[str, Any]:
    result, ready = workdir / "result.json", workdir / "ready"
    argv = [sys.executable, __file__, "--child-flood", str(workdir / "ws"), str(lines)]
    argv += [str(result), str(ready)]
    pid, master = spawn(argv, env)
    sent: list[float] = []
    try:
        deadline = time.monotonic() + 60
        while not ready.exists():
            drain(master, 0.02)
            if time.monotonic() > deadline:
                raise SystemExit("bench_tui: the flood app never opened its release")
        os.write(master, b"n")
        next_key, down = time.monotonic() + 0.3, True
        while not result.exists():
            drain(master, 0.005)
            now = time.monotonic()
            if now >= next_key:
                sent.append(time.monotonic())
                os.write(master, b"\x1b[B" if down else b"\x1b[A")
                down, next_key = not down, now + KEY_INTERVAL
            if now > deadline + 300:
                raise SystemExit("bench_tui: the flood never finished")
        while drain(master, 0.1):
            pass
    finally:
        stop(pid, master)
    data = json.loads(result.read_text())
    latencies = [
        (handled - sent_at) * 1000
        for sent_at, handled in zip(sent, data["handled"], strict=False)
        if data["started"] <= sent_at <= data["finished"]
    ]
    return {
        "wall_s": data["finished"] - data["started"],
        "cpu_s": data["cpu"],
        "ui_cpu_s": data["ui_cpu"],
        "key_latency_ms": latencies,
    }


def bench_flood(runs: int, lines: int, env: dict[str, str]) -> dict[str, Any]:
    tui: list[float] = []
    headless: list[float] = []
    tui_cpu: list[float] = []
    ui_cpu: list[float] = []
    headless_cpu: list[float] = []
    latencies: list[float] = []
    loads: list[float] = []
    for run in range(runs):
        loads.append(os.getloadavg()[0])
        with tempfile.TemporaryDirectory(prefix="flood") as tmp:
            wall, cpu = flood_headless(Path(tmp) / f"h{run}", lines)
            headless.append(wall)
            headless_cpu.append(cpu)
        with tempfile.TemporaryDirectory(prefix="flood") as tmp:
            measured = flood_tui(Path(tmp), lines, env)
            tui.append(measured["wall_s"])
            tui_cpu.append(measured["cpu_s"])
            if measured["ui_cpu_s"] is not None:
                ui_cpu.append(measured["ui_cpu_s"])
            latencies.extend(measured["key_latency_ms"])
    ratio = statistics.median(tui) / statistics.median(headless)
    ratios = [t / h for t, h in zip(tui, headless, strict=True)]
    worst = max(latencies) if latencies else float("nan")
    p99 = percentile(latencies, 0.99)
    return {
        "lines": lines,
        "tui_s": tui,
        "headless_s": headless,
        "run_ratios": ratios,
        "load_at_each_run": loads,
        "tui_median_s": statistics.median(tui),
        "headless_median_s": statistics.median(headless),
        "ratio": ratio,
        "target": FLOOD_TARGET,
        "ok": max(ratios) <= FLOOD_TARGET,
        "tui_cpu_median_s": statistics.median(tui_cpu),
        "headless_cpu_median_s": statistics.median(headless_cpu),
        "cpu_ratio": statistics.median(tui_cpu) / statistics.median(headless_cpu),
        "ui_thread_cpu_median_s": statistics.median(ui_cpu) if ui_cpu else None,
        "keys_pressed": len(latencies),
        "key_latency_median_ms": statistics.median(latencies) if latencies else None,
        "key_latency_p95_ms": percentile(latencies, 0.95),
        "key_latency_p99_ms": p99,
        "key_latency_max_ms": worst,
        "key_target_ms": KEY_TARGET_MS,
        "keys_ok": p99 is not None and p99 < KEY_TARGET_MS,
    }


def percentile(values: list[float], fraction: float) -> float | None:
    """The nearest-rank percentile (None without values)."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(fraction * len(ordered) + 0.5) - 1))]


def environment(home: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        TERM="xterm-256color",
        COLORTERM="truecolor",
        RMTUI_HOME=str(home),
        GIT_CONFIG_GLOBAL="/dev/null",
        GIT_CONFIG_NOSYSTEM="1",
    )
    env.pop("TEXTUAL", None)
    return env


def machine() -> dict[str, Any]:
    return {
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "load_at_start": os.getloadavg()[0],
    }


def report(results: dict[str, Any]) -> None:
    flood = results["flood"]
    print(f"machine: {results['machine']}")
    if "paint" in results:
        paint = results["paint"]
        print(
            f"first paint   rmtui {paint['rmtui_median_s'] * 1000:6.0f} ms   minimal "
            f"{paint['minimal_median_s'] * 1000:6.0f} ms   ratio {paint['ratio']:.2f} "
            f"(target <= {PAINT_TARGET})"
        )
        print(
            f"  the TUI alone (run_app, without the CLI) "
            f"{paint['tui_only_median_s'] * 1000:6.0f} ms   ratio {paint['tui_only_ratio']:.2f}"
        )
    print(
        f"flood {flood['lines']:,} lines   TUI {flood['tui_median_s']:.2f} s   headless "
        f"{flood['headless_median_s']:.2f} s   ratio {flood['ratio']:.2f} "
        f"(target <= {FLOOD_TARGET} in each run)"
    )
    columns = ("tui_s", "headless_s", "run_ratios", "load_at_each_run")
    runs = zip(*(flood[column] for column in columns), strict=True)
    for run, (tui, headless, ratio, load) in enumerate(runs, 1):
        print(
            f"  run {run}: TUI {tui:.2f} s, headless {headless:.2f} s, ratio {ratio:.2f} "
            f"(load {load:.1f})"
        )
    print(
        f"  CPU of the rmtui process during the step: TUI {flood['tui_cpu_median_s']:.2f} s, "
        f"headless {flood['headless_cpu_median_s']:.2f} s, ratio {flood['cpu_ratio']:.2f}; "
        f"the UI thread's share {flood['ui_thread_cpu_median_s']:.2f} s"
    )
    print(
        f"keys during the flood: {flood['keys_pressed']} pressed, median "
        f"{flood['key_latency_median_ms']:.1f} ms, p95 {flood['key_latency_p95_ms']:.1f} ms, "
        f"p99 {flood['key_latency_p99_ms']:.1f} ms, max {flood['key_latency_max_ms']:.1f} ms "
        f"(target: p99 < {KEY_TARGET_MS:.0f} ms)"
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="TUI benchmarks")
    parser.add_argument("--paint-runs", type=int, default=7)
    parser.add_argument("--flood-runs", type=int, default=5)
    parser.add_argument("--lines", type=int, default=200_000)
    parser.add_argument("--skip-paint", action="store_true")
    parser.add_argument("--child-flood", nargs=4, metavar=("WS", "LINES", "RESULT", "READY"))
    args = parser.parse_args(argv)
    if args.child_flood:
        workspace, lines, result, ready = args.child_flood
        child_flood(Path(workspace), int(lines), Path(result), Path(ready))
        return 0
    home = Path(tempfile.mkdtemp(prefix="tuibench"))
    try:
        env = environment(home)
        os.environ.update(RMTUI_HOME=str(home))
        results: dict[str, Any] = {"machine": machine()}
        if not args.skip_paint:
            results["paint"] = bench_paint(args.paint_runs, env)
        results["flood"] = bench_flood(args.flood_runs, args.lines, env)
    finally:
        shutil.rmtree(home, ignore_errors=True)
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "tui.json").write_text(json.dumps(results, indent=2) + "\n")
    report(results)
    ok = results["flood"]["ok"] and results["flood"]["keys_ok"]
    ok = ok and results.get("paint", {"ok": True})["ok"]
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
