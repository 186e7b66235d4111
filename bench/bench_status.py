"""Benchmark the fast commands: `rmtui --version` and `rmtui status --json` beside `python -c pass`.

Usage (from the repository root):

    .venv/bin/python bench/bench_status.py                     # builds a finished rehearsal
    .venv/bin/python bench/bench_status.py --runs 31 --workspace D/workspace

Without --workspace it first builds a finished rehearsal with `rmtui rehearse --auto --dir`
in a temporary folder. Then it runs each command --runs times, interleaved (one of each per
round, so a busy machine slows them all alike), and times each from spawn to exit (wall).
Every command runs the `rmtui` console script of this interpreter, with this repository
first on PYTHONPATH. Results go to bench/out/status.json.

Targets (issue 9): `status --json` at most 120 ms wall; `--version` at most 60 ms more than
`python -c pass`.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out"
STATUS_TARGET_MS = 120.0
VERSION_OVER_PYTHON_MS = 60.0


def _env() -> dict[str, str]:
    env = dict(os.environ)
    # As installed: bytecode is cached (the warm-up run writes it), not compiled every run.
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH", "")]))
    return env


def _rmtui() -> str:
    script = Path(sys.executable).parent / "rmtui"
    if not script.exists():
        raise SystemExit(f"no rmtui console script beside {sys.executable}: pip install -e .")
    return str(script)


def build_rehearsal(folder: Path) -> Path:
    """A finished rehearsal under `folder`; returns its workspace."""
    directory = folder / "rehearsal"
    done = subprocess.run(
        [_rmtui(), "rehearse", "--auto", "--quiet", "--dir", str(directory)],
        env=_env(),
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0 or "The release is complete." not in done.stdout:
        raise SystemExit(f"the rehearsal did not finish:\n{done.stdout[-3000:]}{done.stderr}")
    return directory / "workspace"


def _time(argv: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    done = subprocess.run(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} failed: {done.stderr.decode()[-2000:]}")
    return elapsed * 1000


def measure(workspace: Path, runs: int) -> dict[str, list[float]]:
    rmtui = _rmtui()
    commands = {
        "python -c pass": [sys.executable, "-c", "pass"],
        "rmtui --version": [rmtui, "--version"],
        "rmtui status --json": [rmtui, "status", str(workspace), "--json"],
        "rmtui journal --verify": [rmtui, "journal", str(workspace), "--verify"],
    }
    env = _env()
    for argv in commands.values():  # warm the file cache and the bytecode
        _time(argv, env)
    times: dict[str, list[float]] = {name: [] for name in commands}
    for _round in range(runs):
        for name, argv in commands.items():
            times[name].append(_time(argv, env))
    return times


def report(times: dict[str, list[float]], workspace: Path) -> dict[str, Any]:
    summary = {
        name: {"median_ms": statistics.median(ms), "min_ms": min(ms), "runs_ms": ms}
        for name, ms in times.items()
    }
    python = summary["python -c pass"]["median_ms"]
    version_over = summary["rmtui --version"]["median_ms"] - python
    status = summary["rmtui status --json"]["median_ms"]
    return {
        "when": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}",
        "load_average": list(os.getloadavg()),
        "workspace": str(workspace),
        "commands": summary,
        "version_over_python_ms": version_over,
        "status_ok": status <= STATUS_TARGET_MS,
        "version_ok": version_over <= VERSION_OVER_PYTHON_MS,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=21, help="rounds of every command")
    parser.add_argument("--workspace", type=Path, help="a finished rehearsal's workspace")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bs") as tmp:
        workspace = args.workspace or build_rehearsal(Path(tmp))
        result = report(measure(workspace, args.runs), workspace)
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "status.json").write_text(json.dumps(result, indent=2) + "\n")
    print(
        f"{result['machine']}; load average {' '.join(f'{x:.2f}' for x in result['load_average'])}"
    )
    print(f"{'command':<24} {'median ms':>10} {'min ms':>8}   ({args.runs} runs each)")
    for name, row in result["commands"].items():
        print(f"{name:<24} {row['median_ms']:>10.1f} {row['min_ms']:>8.1f}")
    status = result["commands"]["rmtui status --json"]["median_ms"]
    print(
        f"status --json {status:.1f} ms (target <= {STATUS_TARGET_MS:.0f}): "
        f"{'OK' if result['status_ok'] else 'OVER'}"
    )
    print(
        f"--version {result['version_over_python_ms']:+.1f} ms over python -c pass "
        f"(target <= {VERSION_OVER_PYTHON_MS:.0f}): {'OK' if result['version_ok'] else 'OVER'}"
    )


if __name__ == "__main__":
    main()
