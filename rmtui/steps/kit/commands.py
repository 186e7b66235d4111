"""Runs a step's Commands: the very objects its plan shows, placeholders filled, probes refused."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from rmtui.core.command import Command
from rmtui.core.errors import StepFailed
from rmtui.core.release import Release
from rmtui.core.step import ProbeContext
from rmtui.ops import shell
from rmtui.ops.git import GitRepo, PushedRef


def may_change(ctx: ProbeContext) -> bool:
    """Whether `ctx` belongs to a run (a probe's context cannot record facts or write output)."""
    return callable(getattr(ctx, "record_fact", None))


def _sink(ctx: ProbeContext) -> Callable[[str], None] | None:
    output = getattr(ctx, "output", None)
    return output if callable(output) and may_change(ctx) else None


def prepare(ctx: ProbeContext, command: Command, values: Mapping[str, Any]) -> Command:
    """`command` filled in, after refusing a changing command in a probe."""
    if not command.read_only and not may_change(ctx):
        raise StepFailed(
            f"a probe tried to run `{command.display()}`, which changes things",
            "probes only look: this is a bug in the step, please report it",
        )
    return command.filled(values)


def run(
    ctx: ProbeContext,
    command: Command,
    values: Mapping[str, Any] | None = None,
    *,
    check: bool = True,
    echo: bool = True,
    hint: str = "",
    env: Mapping[str, str] | None = None,
    pass_fds: Sequence[int] = (),
    cancellable: bool = True,
) -> shell.CommandResult:
    """Run `command` (filled with `values`), streaming into the step log; the log shows it.

    Cleanup that must run even after the RM pressed stop passes `cancellable=False`.
    """
    filled = prepare(ctx, command, values or {})
    return shell.run(
        filled.argv,
        cwd=Path(filled.cwd) if filled.cwd else None,
        env=env,
        sink=_sink(ctx),
        check=check,
        cancel=ctx.cancel if cancellable else None,
        echo=echo,
        hint=hint,
        pass_fds=pass_fds,
    )


def push(
    ctx: ProbeContext, repo: GitRepo, command: Command, remote: str, values: Mapping[str, Any]
) -> list[PushedRef]:
    """Run a `git push --porcelain` Command (see push_command) and read back what it did."""
    filled = prepare(ctx, command, values)
    return repo.push_command(filled.argv, remote)


def git(release: Release, *args: object, sentence: str, read_only: bool = False) -> Command:
    """A git command in the RM's working clone."""
    return Command.of("git", "-C", release.clone, *args, sentence=sentence, read_only=read_only)


def git_in(path: object, *args: object, sentence: str, read_only: bool = False) -> Command:
    """A git command in another repository (a bare upstream, a scratch worktree)."""
    return Command.of("git", "-C", path, *args, sentence=sentence, read_only=read_only)


def push_command(
    release: Release,
    remote: str,
    refspecs: Sequence[str],
    *,
    sentence: str,
    push_options: Sequence[str] = (),
    dry_run: bool = False,
) -> Command:
    """The exact atomic porcelain push, as ops.git builds it."""
    from rmtui.ops.git import push_argv

    argv = push_argv(release.clone, remote, refspecs, push_options=push_options, dry_run=dry_run)
    return Command.of(*argv, sentence=sentence, read_only=dry_run)
