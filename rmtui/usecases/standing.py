"""Where a release stands: the one-line summary and the `rmtui status --json` document."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rmtui.core.engine import Engine
from rmtui.core.release import load_release
from rmtui.core.status import SETTLED, Status
from rmtui.core.store import StateStore
from rmtui.steps.plan import build_plan


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
        release = load_release(workspace)
        plan = build_plan(release)
        state = StateStore(release.state_path).load()
    except Exception as exc:
        return ReleaseSummary(
            workspace, workspace.name, "?", False, 0, 0, "", "unreadable", str(exc)
        )
    statuses = [state.steps.get(s.id) for s in plan]
    done = sum(1 for r in statuses if r is not None and r.status in SETTLED)
    kinds = {r.status for r in statuses if r is not None}
    if done == len(plan):
        overall = "done"
    elif Status.FAILED in kinds:
        overall = "failed"
    elif Status.RUNNING in kinds:
        overall = "running"
    elif Status.WAITING in kinds:
        overall = "waiting"
    elif done == 0:
        overall = "not started"
    else:
        overall = "in progress"
    return ReleaseSummary(
        workspace=workspace,
        version=str(release.version),
        type=release.release_type.value + (" (security)" if release.security_only else ""),
        rehearsal=release.rehearsal,
        done=done,
        total=len(plan),
        last_activity=state.updated or "",
        state=overall,
    )


def status_document(engine: Engine) -> dict[str, Any]:
    """What `rmtui status --json` prints; scripts and later tools rely on these keys."""
    release = engine.release
    steps = []
    for step in engine.plan:
        record = engine.state.steps[step.id]
        steps.append(
            {
                "id": step.id,
                "title": step.title,
                "phase": step.phase.value,
                "role": step.role.value,
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
    done, total = engine.progress()
    next_step = engine.next_step()
    return {
        "version": str(release.version),
        "type": release.release_type.value,
        "security_only": release.security_only,
        "rehearsal": release.rehearsal,
        "workspace": str(release.workspace),
        "progress": {"done": done, "total": total},
        "next": next_step.id if next_step is not None else None,
        "blocked": engine.blocked_reason(),
        "facts": {k: v.get("value") for k, v in engine.state.facts.items()},
        "steps": steps,
    }
