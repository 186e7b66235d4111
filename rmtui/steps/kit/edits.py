"""Edits a step makes in the RM's clone: recorded before they happen, undone only when proven."""

# A step that writes files in the clone first records, atomically, each file's digest before
# (its pre-image) and the digest it will write (its post-image) in `edits/<step>.json` in the
# workspace. When a later attempt finds uncommitted changes, it undoes only files whose content
# is exactly one of those two images; anything else is the RM's work, and the step refuses,
# naming the files: nothing the RM wrote is ever discarded.

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rmtui.core.atomic import atomic_write_text
from rmtui.core.command import Command
from rmtui.core.errors import StepFailed
from rmtui.core.release import Release
from rmtui.core.step import Action, StepContext
from rmtui.ops.git import GitRepo
from rmtui.steps.kit import commands
from rmtui.steps.kit.manifest import listing

EDITS_FOLDER = "edits"
# The post-image of a file a tool (blurb) writes, until the tool has finished and it is known.
PENDING = "pending"
WAY_OUT = "commit or stash them, then retry"


def record_path(release: Release, step_id: str) -> Path:
    return release.workspace / EDITS_FOLDER / f"{step_id}.json"


def digest_of(path: Path) -> str | None:
    """SHA-256 of the file's bytes, or None when there is no file."""
    if not path.is_file() or path.is_symlink():
        return None
    with path.open("rb") as stream:
        return hashlib.file_digest(stream, "sha256").hexdigest()


def bytes_digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@dataclass(frozen=True)
class Image:
    """One file's content before the step touched it, and what the step writes (None: absent)."""

    before: str | None
    after: str | None

    def matches(self, current: str | None) -> bool:
        """Whether `current` is one of the recorded images, so undoing it loses nothing."""
        if self.after == PENDING:
            # The tool may have deleted a file it was given (its pre-image comes back whole);
            # what it was writing has no recorded image yet, so it is never taken for ours.
            return current == self.before or (current is None and self.before is not None)
        return current in (self.before, self.after)


class EditRecord:
    """The files one step of one release edits in the clone, from `base` on."""

    def __init__(self, release: Release, step_id: str) -> None:
        self.release = release
        self.step_id = step_id
        self.path = record_path(release, step_id)
        self.base = ""
        self.files: dict[str, Image] = {}
        if self.path.is_file():
            self._load()

    def _load(self) -> None:
        try:
            data = json.loads(self.path.read_text())
            self.base = str(data["base"])
            self.files = {
                str(k): Image(v.get("before"), v.get("after")) for k, v in data["files"].items()
            }
        except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
            raise StepFailed(
                f"the record of {self.step_id}'s own edits, {self.path}, cannot be read ({exc})",
                f"{WAY_OUT}: with no record the step restores nothing; delete {self.path} "
                "only when the clone has no uncommitted changes",
            ) from None

    def _save(self) -> None:
        files = {k: {"before": v.before, "after": v.after} for k, v in sorted(self.files.items())}
        text = json.dumps({"step": self.step_id, "base": self.base, "files": files}, indent=1)
        atomic_write_text(self.path, text + "\n")

    def will_write(self, base: str, contents: Mapping[str, bytes | None]) -> None:
        """Record the pre- and post-image of each relative path before the step writes it."""
        self._start(base)
        for name, data in contents.items():
            after = None if data is None else bytes_digest(data)
            self.files[name] = Image(self._before(name), after)
        self._save()

    def tool_will_write(self, base: str, names: Iterable[str]) -> None:
        """Record the pre-images of files a tool changes in ways known only once it has run."""
        self._start(base)
        for name in names:
            self.files[name] = Image(self._before(name), PENDING)
        self._save()

    def settle(self, names: Iterable[str]) -> None:
        """The tool has run: record the post-image each of `names` has now."""
        tree = self.release.clone
        for name in names:
            before = self.files[name].before if name in self.files else None
            self.files[name] = Image(before, digest_of(tree / name))
        self._save()

    def forget(self) -> None:
        """The edits are committed: nothing is left to undo."""
        self.path.unlink(missing_ok=True)

    def _start(self, base: str) -> None:
        if self.base != base:
            self.base, self.files = base, {}

    def _before(self, name: str) -> str | None:
        known = self.files.get(name)
        return known.before if known is not None else digest_of(self.release.clone / name)


def changed_paths(repo: GitRepo) -> list[str]:
    """Every path with uncommitted changes, staged or not, untracked ones file by file."""
    out = repo.quiet("status", "--porcelain=v1", "-z", "--untracked-files=all")
    fields = out.split("\0")
    paths: list[str] = []
    index = 0
    while index < len(fields):
        entry = fields[index]
        index += 1
        if len(entry) < 4:
            continue
        paths.append(entry[3:])
        if entry[0] in "RC":
            index += 1  # a rename's source follows: the change is recorded under its target
    return paths


def restore_command(release: Release) -> Command:
    return commands.git(
        release,
        "restore",
        "--source={edits.base}",
        "--staged",
        "--worktree",
        "--",
        "{path}",
        sentence="put back {path}, an edit of an interrupted attempt proven to be its own "
        "(its content is the one the step recorded)",
    )


def unstage_command(release: Release) -> Command:
    return commands.git(
        release,
        "rm",
        "-q",
        "--cached",
        "--ignore-unmatch",
        "--",
        "{path}",
        sentence="unstage {path}, a file an interrupted attempt created (then it is deleted)",
    )


def restore_actions(release: Release) -> list[Action]:
    return [
        Action(
            "read the record of this step's own edits (edits/<step>.json); any uncommitted "
            f"change it cannot prove is its own stops the step: {WAY_OUT}"
        ),
        Action.of(restore_command(release)),
        Action.of(unstage_command(release)),
    ]


def undo_own_edits(ctx: StepContext, repo: GitRepo, step_id: str, base: str) -> None:
    """Undo an interrupted attempt's uncommitted edits, or refuse when one is not provably ours.

    The clone's HEAD must be `base`. Nothing is undone unless every changed path is proven.
    """
    changed = changed_paths(repo)
    if not changed:
        return
    record = EditRecord(ctx.release, step_id)
    tree = ctx.release.clone
    mine = record.files if record.base == base else {}
    foreign = [p for p in changed if p not in mine or not mine[p].matches(digest_of(tree / p))]
    if foreign:
        raise StepFailed(
            f"the working clone {tree} has uncommitted changes this step did not make: "
            f"{listing(foreign)}",
            WAY_OUT,
        )
    head = repo.commit_of("HEAD")
    if head != base:
        raise StepFailed(
            f"the clone's HEAD is {str(head)[:12]}, not the {base[:12]} its edits started from",
            f"switch back to the branch the step works on, or {WAY_OUT}",
        )
    ctx.output(f"an interrupted attempt left its own edits behind: putting back {listing(changed)}")
    for name in changed:
        values: dict[str, Any] = {"edits.base": base, "path": name}
        if mine[name].before is None:
            commands.run(ctx, unstage_command(ctx.release), values)
            (tree / name).unlink(missing_ok=True)
        else:
            commands.run(ctx, restore_command(ctx.release), values)
