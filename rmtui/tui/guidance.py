"""The status line: one sentence saying what is happening and what the RM can do next."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from rich.markup import escape

if TYPE_CHECKING:
    from rmtui.core.engine import Engine
    from rmtui.core.step import Step

# The step whose waits the import action ends (rmtui.steps.handoff.HANDOFF_STEP_ID; that
# module is loaded only once a plan is, to keep the first paint fast).
HANDOFF_STEP_ID = "handoff.experts"


@dataclass(frozen=True)
class Activity:
    """What the screen is doing now: the part of the line the release's state cannot know."""

    busy: bool = False
    what: str = ""  # "running build", "opening the release", ...
    running: str = ""  # the step the engine runs now
    acting_on: str = ""  # the step a run was started for (it may not be running yet)
    asking: str | None = None  # who waits for an answer in a dialog ("": the running step)
    quitting: bool = False
    stopping: bool = False
    progress: str = ""  # "compressing 3/10"


def guidance(engine: Engine | None, activity: Activity, awaited: tuple[str, ...]) -> str:
    """The status line (markup). The only place it is worded."""
    if engine is None:
        return "Opening the release and probing any step left running…"
    if activity.busy:
        return _busy_line(activity)
    return _standing_line(engine, awaited)


def _busy_line(activity: Activity) -> str:
    if activity.quitting:
        what = activity.running or activity.acting_on or "the run"
        return f"Quitting once {what} has {'stopped' if activity.stopping else 'finished'}…"
    extra = f" · {activity.progress}" if activity.progress else ""
    if activity.asking is not None:
        who = activity.asking or activity.running or "A step"
        return f"[b]{who}[/b] is waiting for your answer in the dialog{extra}."
    if activity.running:
        return (
            f"Running [b]{activity.running}[/b]{extra} · [b]x[/b] stops it · "
            "[b]q[/b] asks before quitting"
        )
    return f"Busy {activity.what}…"


def _standing_line(engine: Engine, awaited: tuple[str, ...]) -> str:
    """Where the release stands (rmtui.core.standing), worded with the key that moves it on."""
    now = engine.standing()
    if now.complete:
        return "[b green]The release is complete.[/] [b]j[/b] shows the journal."
    if now.running:
        return f"[b]{now.running[0]}[/b] was left running · the dialog asks what to do with it"
    if now.failed:
        return (
            f"[b red]{now.failed[0]} failed[/] · read the hint, then [b]t[/b] retry, [b]s[/b] skip "
            "or [b]d[/b] mark done by hand"
        )
    if now.next_step is not None:
        nxt = engine.plan.get(now.next_step)
        mark = " (a point of no return: it asks first)" if nxt.irreversible else ""
        also = " · [b]i[/b] imports the experts' artifacts" if awaited else ""
        return f"Next: [b]{nxt.id}[/b]{mark} · press [b]n[/b] to run it{also}"
    if awaited:
        # Whatever else is blocked, it is blocked on them: say what ends the wait.
        return (
            f"[b]{HANDOFF_STEP_ID}[/b] waits on {', '.join(awaited)} · press [b]i[/b] to "
            "import their artifacts"
        )
    return f"Blocked: {escape(now.blocked)}" if now.blocked else ""


def current_step(engine: Engine) -> Step | None:
    """The step the release is at: the running one, else the next one, else a stuck one."""
    now = engine.standing()
    stuck = [s.id for s in engine.plan if s.id in now.failed or s.id in now.waiting]
    for step_id in (*now.running, now.next_step, *stuck):
        if step_id is not None:
            return engine.plan.get(step_id)
    return None
