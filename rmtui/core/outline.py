"""A plan's outline: what the read-only views need of each step, kept in the workspace.

`rmtui status` and the home screen need each step's id, title, phase, role, irreversibility
and requirements, but not the steps' code. Building the plan imports every step module (and
with them hashing, archives, signing): most of what `rmtui status` used to cost. The outline
is written next to the state (`plan-outline.json`) the first time a view builds the plan, and
read instead of building it while its key still matches: the key covers rmtui's version, the
release's inputs (release.toml) and the size and mtime of every module a plan is made of, so
an upgraded or edited rmtui, or a changed release, never gets an outline that is out of date.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from rmtui import __version__
from rmtui.core.atomic import atomic_write_text

if TYPE_CHECKING:
    from rmtui.core.step import Step

OUTLINE_FILE = "plan-outline.json"
_PACKAGE = Path(__file__).resolve().parent.parent
# The plan is composed in rmtui/steps from the classes of rmtui/core: a change to any module
# there may change the plan, so all of them are part of the key.
_PLAN_SOURCES = ("core", "steps")


@dataclass(frozen=True)
class OutlineStep:
    """One step as the views show it; `requires` is the effective list (after the plan)."""

    id: str
    title: str
    phase: str
    role: str
    irreversible: bool
    requires: tuple[str, ...]


@dataclass(frozen=True)
class PlanOutline:
    """The ordered steps of one release, without their code."""

    steps: tuple[OutlineStep, ...]

    def __iter__(self) -> Iterator[OutlineStep]:
        return iter(self.steps)

    def __len__(self) -> int:
        return len(self.steps)

    @property
    def ids(self) -> list[str]:
        return [step.id for step in self.steps]


def outline_of(steps: Iterable[Step]) -> PlanOutline:
    """The outline of a built plan (its steps, in order)."""
    return PlanOutline(
        tuple(
            OutlineStep(
                id=step.id,
                title=step.title,
                phase=step.phase.value,
                role=step.role.value,
                irreversible=step.irreversible,
                requires=tuple(step.requires),
            )
            for step in steps
        )
    )


def _sources() -> Iterator[os.DirEntry[str]]:
    for folder in _PLAN_SOURCES:
        stack = [str(_PACKAGE / folder)]
        while stack:
            with os.scandir(stack.pop()) as entries:
                for entry in entries:
                    if entry.is_dir(follow_symlinks=False):
                        if entry.name != "__pycache__":
                            stack.append(entry.path)
                    elif entry.name.endswith(".py"):
                        yield entry


def outline_key(release_file: bytes) -> str:
    """What an outline was made from: rmtui's version and modules, and the release's inputs."""
    digest = hashlib.sha256()
    digest.update(__version__.encode())
    digest.update(hashlib.sha256(release_file).digest())
    for entry in sorted(_sources(), key=lambda e: e.path):
        stat = entry.stat()
        digest.update(f"{entry.path}\0{stat.st_size}\0{stat.st_mtime_ns}\n".encode())
    return digest.hexdigest()


def read_outline(workspace: Path, key: str) -> PlanOutline | None:
    """The stored outline when it was made from exactly `key`; None otherwise (build the plan)."""
    try:
        data = json.loads((workspace / OUTLINE_FILE).read_text(encoding="utf-8"))
        if data.get("key") != key:
            return None
        return PlanOutline(
            tuple(
                OutlineStep(**{**step, "requires": tuple(step["requires"])})
                for step in data["steps"]
            )
        )
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        # Missing, from another version, or damaged: it is only a cache of the plan.
        return None


def store_outline(workspace: Path, key: str, outline: PlanOutline) -> None:
    """Keep the outline for the next view; a workspace that cannot be written is left alone."""
    document = {"key": key, "steps": [asdict(step) for step in outline.steps]}
    try:
        atomic_write_text(workspace / OUTLINE_FILE, json.dumps(document, indent=1) + "\n")
    except OSError:
        # A read-only view of a read-only workspace still works; it just builds the plan.
        return
