"""The sandbox's branch freeze: a real pre-receive hook in a bare repository."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import TYPE_CHECKING

from rmtui.core.atomic import atomic_write_text
from rmtui.core.errors import GitError

if TYPE_CHECKING:
    import git

HOOK_MARKER = "# rmtui freeze hook"

HOOK_SCRIPT = f"""#!/bin/sh
{HOOK_MARKER}: refuses pushes to frozen branches unless the release manager's push option is set.
frozen=$(git config --get-all rmtui.frozen)
option=$(git config --get rmtui.pushoption)
allowed=no
i=0
while [ "$i" -lt "${{GIT_PUSH_OPTION_COUNT:-0}}" ]; do
    eval "value=\\${{GIT_PUSH_OPTION_$i}}"
    if [ -n "$option" ] && [ "$value" = "$option" ]; then allowed=yes; fi
    i=$((i + 1))
done
status=0
while read -r old new ref; do
    for branch in $frozen; do
        if [ "$ref" = "refs/heads/$branch" ] && [ "$allowed" != yes ]; then
            echo "rmtui: branch $branch is frozen for a release; only the release manager" >&2
            echo "rmtui: may push to it until the release is done." >&2
            status=1
        fi
    done
done
exit $status
"""


def _bare(path: Path) -> git.Repo:
    import git

    try:
        return git.Repo(path)
    except (git.NoSuchPathError, git.InvalidGitRepositoryError):
        raise GitError(
            f"{path} is not a local bare repository, so the sandbox freeze hook cannot go there",
            "the sandbox-hook freeze method works on a local upstream only; use the github "
            "or manual method for a real repository",
        ) from None


def hook_path(bare: Path) -> Path:
    return bare / "hooks" / "pre-receive"


def frozen_branches(bare: Path) -> list[str]:
    repo = _bare(bare)
    reader = repo.config_reader("repository")
    if not reader.has_option("rmtui", "frozen"):
        return []
    values = reader.get_values("rmtui", "frozen")
    return [str(v) for v in values]


def hook_installed(bare: Path) -> bool:
    path = hook_path(bare)
    try:
        return HOOK_MARKER in path.read_text(encoding="utf-8") and bool(path.stat().st_mode & 0o111)
    except FileNotFoundError:
        return False


def install_hook(bare: Path) -> None:
    """Write the pre-receive hook into `bare` (idempotent)."""
    _bare(bare)
    atomic_write_text(hook_path(bare), HOOK_SCRIPT, mode=0o755)


def freeze_argvs(bare: Path, branch: str, push_option: str) -> list[list[str]]:
    """The git commands that make the installed hook freeze `branch` (the RM's option passes)."""
    config = ["git", "-C", str(bare), "config"]
    return [
        [*config, "receive.advertisePushOptions", "true"],
        [*config, "rmtui.pushoption", push_option],
        [*config, "--add", "rmtui.frozen", branch],
    ]


def unfreeze_argvs(bare: Path, branch: str) -> list[list[str]]:
    """The git commands that take `branch` out of the frozen set ([] when it is not in it)."""
    frozen = frozen_branches(bare)
    if branch not in frozen:
        return []
    config = ["git", "-C", str(bare), "config"]
    return [
        [*config, "--unset-all", "rmtui.frozen"],
        *([*config, "--add", "rmtui.frozen", other] for other in frozen if other != branch),
    ]


def _run(argvs: list[list[str]]) -> None:
    for argv in argvs:
        done = subprocess.run(argv, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            raise GitError(
                f"`{' '.join(argv)}` failed: {done.stderr.strip()}", "check the bare repository"
            )


def freeze(bare: Path, branch: str, push_option: str) -> None:
    """Install the hook (idempotent) and add `branch` to the frozen set."""
    install_hook(bare)
    argvs = freeze_argvs(bare, branch, push_option)
    _run(argvs if branch not in frozen_branches(bare) else argvs[:-1])


def unfreeze(bare: Path, branch: str) -> None:
    _run(unfreeze_argvs(bare, branch))
