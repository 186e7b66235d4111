"""Runs external commands, streaming their output line by line with secrets redacted."""

from __future__ import annotations

import os
import shlex
import subprocess
import threading
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from rmtui.core.errors import ShellError, StepFailed
from rmtui.core.redact import redact

Sink = Callable[[str], None]
# Lines of output kept for an error message when a command fails.
TAIL_LINES = 20


@dataclass(frozen=True)
class CommandResult:
    argv: tuple[str, ...]
    code: int
    output: str


def display(argv: Sequence[str]) -> str:
    """The command as a person would type it, with secrets masked."""
    return redact(shlex.join([str(a) for a in argv]))


def run(
    argv: Sequence[str | Path],
    *,
    cwd: Path | None = None,
    env: Mapping[str, str] | None = None,
    sink: Sink | None = None,
    check: bool = True,
    input_text: str | None = None,
    pass_fds: Sequence[int] = (),
    cancel: threading.Event | None = None,
    echo: bool = True,
    hint: str = "",
) -> CommandResult:
    """Run `argv`, send each output line (stdout and stderr merged) to `sink`, return the result.

    With `check`, a non-zero exit raises ShellError quoting the last lines of output.
    Setting `cancel` terminates the command and raises StepFailed.
    """
    args = [str(a) for a in argv]
    shown = display(args)
    if sink is not None and echo:
        sink(f"$ {shown}")
    full_env = None if env is None else {**os.environ, **env}
    try:
        proc = subprocess.Popen(
            args,
            cwd=cwd,
            env=full_env,
            stdin=subprocess.PIPE if input_text is not None else subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            pass_fds=tuple(pass_fds),
            text=True,
            errors="replace",
            bufsize=1,
        )
    except FileNotFoundError:
        raise ShellError(
            f"cannot run {args[0]!r}: it is not installed or not on PATH",
            hint or f"install {args[0]} and make sure it is on PATH, then retry",
        ) from None
    lines: list[str] = []
    tail: deque[str] = deque(maxlen=TAIL_LINES)

    def pump() -> None:
        assert proc.stdout is not None
        for raw in proc.stdout:
            line = redact(raw.rstrip("\n"))
            lines.append(line)
            tail.append(line)
            if sink is not None:
                sink(line)

    reader = threading.Thread(target=pump, name=f"pump:{args[0]}", daemon=True)
    reader.start()
    if input_text is not None:
        assert proc.stdin is not None
        try:
            proc.stdin.write(input_text)
            proc.stdin.close()
        except BrokenPipeError:
            pass
    cancelled = False
    while True:
        try:
            proc.wait(timeout=0.1)
            break
        except subprocess.TimeoutExpired:
            if cancel is not None and cancel.is_set():
                cancelled = True
                proc.terminate()
                try:
                    proc.wait(timeout=5)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()
                break
    reader.join()
    if cancelled:
        raise StepFailed(
            f"stopped by the RM while running `{shown}`",
            "retry the step when ready; its probe decides what is left to do",
        )
    result = CommandResult(tuple(args), proc.returncode, "\n".join(lines))
    if check and proc.returncode != 0:
        last = "\n".join(tail)
        raise ShellError(
            f"`{shown}` failed with exit code {proc.returncode}" + (f":\n{last}" if last else ""),
            hint or "read the output above, fix the cause, then retry the step",
        )
    return result
