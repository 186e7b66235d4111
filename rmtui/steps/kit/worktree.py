"""The release commit, checked out in a throwaway worktree of the workspace's scratch folder."""

from __future__ import annotations

import contextlib
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

from rmtui.core.command import Command
from rmtui.core.release import Release
from rmtui.core.step import Action, StepContext
from rmtui.steps.kit import commands

SCRATCH = "scratch"  # under the workspace: temporary worktrees and extracted trees


def scratch(release: Release) -> Path:
    path = release.workspace / SCRATCH
    path.mkdir(parents=True, exist_ok=True)
    return path


def worktree_add(release: Release, purpose: str) -> Command:
    return commands.git(
        release,
        "worktree",
        "add",
        "--detach",
        "--quiet",
        "{worktree}",
        "{release.commit_sha}",
        sentence=f"check the release commit out into a throwaway worktree {{worktree}} "
        f"({release.workspace / SCRATCH}/{purpose}-<random>), never your working tree",
    )


def worktree_remove(release: Release, placeholder: str = "worktree") -> Command:
    return commands.git(
        release,
        "worktree",
        "remove",
        "--force",
        f"{{{placeholder}}}",
        sentence=f"remove the throwaway worktree {{{placeholder}}}",
    )


def worktree_prune(release: Release) -> Command:
    return commands.git(release, "worktree", "prune", sentence="forget removed worktrees")


def clear_scratch_actions(release: Release) -> list[Action]:
    return [
        Action.of(worktree_remove(release, "leftover")),
        Action.of(worktree_prune(release)),
    ]


def worktree_actions(release: Release, purpose: str) -> list[Action]:
    """The plan's lines for `commit_worktree`: leftovers cleared, checked out, removed."""
    return [
        *clear_scratch_actions(release),
        Action.of(worktree_add(release, purpose)),
        Action.of(worktree_remove(release)),
        Action.of(worktree_prune(release)),
    ]


def clear_scratch(ctx: StepContext) -> None:
    """Remove what an interrupted step left in the scratch folder (the release lock is held)."""
    release = ctx.release
    folder = release.workspace / SCRATCH
    if not folder.is_dir():
        return
    leftovers = list(folder.iterdir())
    if not leftovers:
        return
    has_clone = release.clone.is_dir()
    for path in leftovers:
        if has_clone and path.is_dir():
            commands.run(
                ctx,
                worktree_remove(release, "leftover"),
                {"leftover": path},
                check=False,
                echo=False,
                cancellable=False,
            )
        if path.is_dir():
            shutil.rmtree(path, ignore_errors=True)
        else:
            path.unlink(missing_ok=True)
    if has_clone:
        commands.run(ctx, worktree_prune(release), check=False, echo=False, cancellable=False)


@contextlib.contextmanager
def commit_worktree(ctx: StepContext, commit: str, purpose: str) -> Iterator[Path]:
    """A detached worktree of `commit` in the workspace's scratch folder, removed afterwards."""
    release = ctx.release
    clear_scratch(ctx)
    path = Path(tempfile.mkdtemp(prefix=f"{purpose}-", dir=scratch(release)))
    values = {"worktree": path, "release.commit_sha": commit}
    try:
        commands.run(ctx, worktree_add(release, purpose), values)
        yield path
    finally:
        # Cleanup must run even after the RM pressed stop, so it ignores the cancel event.
        commands.run(
            ctx, worktree_remove(release), values, check=False, echo=False, cancellable=False
        )
        shutil.rmtree(path, ignore_errors=True)
        commands.run(ctx, worktree_prune(release), check=False, echo=False, cancellable=False)
