"""Where a release stands, read without the lock: the home screen's row and `rmtui status`."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rmtui.core.outline import PlanOutline, outline_key, outline_of, read_outline, store_outline
from rmtui.core.release import RELEASE_FILE, Release, load_release
from rmtui.core.standing import Standing, standing
from rmtui.core.store import ReleaseState, StateStore, StepRecord


@dataclass(frozen=True)
class ReleaseView:
    """A release read for showing: its inputs, its plan's outline and its state (no lock)."""

    release: Release
    plan: PlanOutline
    state: ReleaseState

    @property
    def standing(self) -> Standing:
        return standing(self.plan, self.state)

    def record(self, step_id: str) -> StepRecord:
        return self.state.steps.get(step_id) or StepRecord()


def read_release(workspace: Path) -> ReleaseView:
    """Read-only: never takes the lock, so it works while another process drives the release."""
    release = load_release(workspace)
    return ReleaseView(release, plan_outline(release), StateStore(release.state_path).load())


def plan_outline(release: Release) -> PlanOutline:
    """The plan's outline: read from the workspace while it is current, else built and kept."""
    key = outline_key((release.workspace / RELEASE_FILE).read_bytes())
    outline = read_outline(release.workspace, key)
    if outline is None:
        # Only here are the step modules imported: the first view after a change pays for it.
        from rmtui.steps.plan import build_plan

        outline = outline_of(build_plan(release))
        store_outline(release.workspace, key, outline)
    return outline


@dataclass(frozen=True)
class ReleaseSummary:
    """One line of the home screen or `rmtui status`: where a release stands."""

    workspace: Path
    version: str
    type: str
    rehearsal: bool
    done: int
    total: int
    last_activity: str
    state: str
    error: str = ""

    @property
    def progress(self) -> str:
        return f"{self.done}/{self.total}"


def summarise(workspace: Path) -> ReleaseSummary:
    """Read-only summary; never takes the lock, so it works while another process drives."""
    try:
        view = read_release(workspace)
    except Exception as exc:
        return ReleaseSummary(
            workspace, workspace.name, "?", False, 0, 0, "", "unreadable", str(exc)
        )
    release, now = view.release, view.standing
    return ReleaseSummary(
        workspace=workspace,
        version=str(release.version),
        type=release.release_type.value + (" (security)" if release.security_only else ""),
        rehearsal=release.rehearsal,
        done=now.done,
        total=now.total,
        last_activity=view.state.updated or "",
        state=now.overall,
    )


def status_document(view: ReleaseView) -> dict[str, Any]:
    """What `rmtui status --json` prints; scripts and later tools rely on these keys."""
    release, now = view.release, view.standing
    steps = []
    for step in view.plan:
        record = view.record(step.id)
        steps.append(
            {
                "id": step.id,
                "title": step.title,
                "phase": step.phase,
                "role": step.role,
                "irreversible": step.irreversible,
                "status": record.status.value,
                "reason": record.reason,
                "started": record.started,
                "finished": record.finished,
                "error": record.error,
                "hint": record.hint,
                "attempts": record.attempts,
                "waiting_on": record.waiting_on,
            }
        )
    return {
        "version": str(release.version),
        "type": release.release_type.value,
        "security_only": release.security_only,
        "rehearsal": release.rehearsal,
        "workspace": str(release.workspace),
        "overall": now.overall,
        "progress": {"done": now.done, "total": now.total},
        "next": now.next_step,
        "blocked": now.blocked,
        "waiting": {step_id: list(roles) for step_id, roles in now.waiting.items()},
        "line": now.line,
        "facts": {k: v.get("value") for k, v in view.state.facts.items()},
        "steps": steps,
    }
