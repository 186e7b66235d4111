"""The detail pane: the selected step's status, error and hint, commands, facts and help."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.console import Group, RenderableType
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import Markdown, Static

from rmtui.core.errors import RmtuiError
from rmtui.core.status import Status
from rmtui.core.step import Action, Step
from rmtui.core.store import StepRecord
from rmtui.tui.clock import short_time
from rmtui.tui.guidance import HANDOFF_STEP_ID
from rmtui.tui.present import actions_grid, glyph, status_text

if TYPE_CHECKING:
    from rmtui.core.engine import Engine


@dataclass(frozen=True)
class Fact:
    key: str
    value: Any
    step_id: str


@dataclass(frozen=True)
class StepView:
    """Everything the pane shows about one step, gathered on the UI thread from the engine."""

    step: Step
    record: StepRecord
    actions: tuple[Action, ...]
    facts: tuple[Fact, ...]
    workspace: Path
    is_next: bool = False
    plan_error: str = ""
    # Whether the import action (i) ends this step's waits: the experts' hand-off.
    importable: bool = False

    @property
    def log_path(self) -> Path:
        return self.workspace / "logs" / f"{self.step.id}.log"


def handoff_command(workspace: Path) -> str:
    return f"rmtui handoff import {workspace} DIR --role ROLE"


def title_text(view: StepView) -> Text:
    step = view.step
    text = Text()
    text.append(step.id, style="bold")
    text.append(f"  {step.title}\n")
    text.append(f"{step.phase.value}", style="dim")
    text.append(" · ", style="dim")
    text.append(f"done by {step.role.value}", style="dim")
    if step.irreversible:
        text.append("  ")
        text.append(" ! POINT OF NO RETURN ", style="bold white on red")
    return text


def status_line(view: StepView) -> Text:
    record = view.record
    text = Text()
    text.append_text(glyph(record.status))
    text.append(" ")
    text.append_text(status_text(record.status))
    if view.is_next:
        text.append("  ▸ next to run", style="bold yellow")
    if record.started:
        text.append("\n")
        if record.attempts > 1:
            text.append(f"attempt {record.attempts} · ", style="dim")
        text.append(short_time(record.started), style="dim")
        if record.finished:
            finished = short_time(record.finished)
            same_day = finished[:10] == short_time(record.started)[:10]
            text.append(f" → {finished[11:] if same_day else finished}", style="dim")
        text.append(" UTC", style="dim")
    if record.reason and record.status is not Status.WAITING:
        text.append("\n")
        text.append("reason: ", style="bold")
        text.append(record.reason)
    return text


def problem_text(record: StepRecord) -> Text:
    text = Text()
    text.append("✘ What went wrong\n", style="bold red")
    text.append(record.error.rstrip() + "\n")
    if record.hint:
        text.append("\nHow to fix\n", style="bold yellow")
        text.append(record.hint.rstrip() + "\n")
    text.append("\nThen: ", style="dim")
    text.append("t", style="bold")
    text.append(" retry · ", style="dim")
    text.append("s", style="bold")
    text.append(" skip (with a reason) · ", style="dim")
    text.append("d", style="bold")
    text.append(" mark done by hand", style="dim")
    return text


def waiting_text(view: StepView) -> Text:
    """Who it waits on and what ends the wait first; then what the step asked of them."""
    record = view.record
    text = Text()
    text.append("◷ Waiting on ", style="bold cyan")
    text.append(", ".join(record.waiting_on) or "others", style="bold")
    text.append("\nWhen they deliver, press ", style="bold")
    if view.importable:
        text.append("i", style="bold reverse")
        text.append(" to import their artifacts\n", style="bold")
        text.append("(or run ", style="dim")
        text.append(handoff_command(view.workspace), style="cyan")
        text.append(" when rmtui is closed).\n", style="dim")
        text.append("An expert who cannot deliver: ", style="dim")
        text.append("d", style="bold")
        text.append(" marks it done by hand, with a reason.", style="dim")
    else:
        text.append("d", style="bold reverse")
        text.append(" to mark it done by hand, with a reason.", style="bold")
    if record.reason:
        text.append("\n\n")
        text.append(record.reason.rstrip())
    return text


def commands_text(view: StepView) -> Group:
    """Each action as a bullet, its command under it; wrapped lines keep their indent."""
    heading = "What it did" if view.record.status is Status.DONE else "What it will do"
    parts: list[RenderableType] = [Text(heading, style="bold underline")]
    if view.plan_error:
        parts.append(Text(f"(the plan cannot be shown: {view.plan_error})", style="red"))
    grid = actions_grid(view.actions)
    parts.append(grid)
    if not view.actions and not view.plan_error:
        parts.append(Text("(nothing to run: it asks or checks)", style="dim"))
    return Group(*parts)


def facts_text(view: StepView) -> Text:
    text = Text()
    own = [f for f in view.facts if f.step_id == view.step.id]
    earlier = [f for f in view.facts if f.step_id != view.step.id]
    text.append("Facts recorded\n", style="bold underline")
    if not view.facts:
        text.append("none yet\n", style="dim")
    for fact in own:
        text.append(f"{fact.key}", style="bold green")
        text.append(f" = {format_value(fact.value)}\n")
    for fact in earlier:
        text.append(f"{fact.key}", style="green")
        text.append(f" = {format_value(fact.value)}", style="")
        text.append(f"  ({fact.step_id})\n", style="dim")
    return text


def format_value(value: Any) -> str:
    if isinstance(value, list | tuple):
        return ", ".join(str(v) for v in value)
    if isinstance(value, dict):
        # Nested records (the files an expert delivered, each with size and digest): the
        # names say enough here; the journal and state.json hold the rest.
        return ", ".join(
            f"{k}=({', '.join(map(str, v))})" if isinstance(v, dict) else f"{k}={v}"
            for k, v in value.items()
        )
    return str(value)


class StepDetail(VerticalScroll):
    """Shows one StepView; the sections with nothing to say are hidden."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        # What each section shows now, so that unchanged sections are left alone.
        self._shown: dict[str, object] = {}

    def compose(self) -> ComposeResult:
        yield Static(id="detail-title")
        yield Static(id="detail-status")
        yield Static(id="detail-problem", classes="problem-box")
        yield Static(id="detail-waiting", classes="waiting-box")
        yield Static(id="detail-commands")
        yield Static(id="detail-facts")
        yield Markdown(id="detail-help")

    def show_step(self, engine: Engine, step: Step, *, is_next: bool) -> None:
        """Show `step` as the engine has it now (UI thread)."""
        plan_error = ""
        try:
            actions = tuple(step.plan(engine.release))
        except RmtuiError as exc:
            actions, plan_error = (), exc.problem
        facts = tuple(
            Fact(key, entry.get("value"), str(entry.get("step", "")))
            for key, entry in engine.state.facts.items()
        )
        self.show(
            StepView(
                step=step,
                record=engine.state.steps[step.id],
                actions=actions,
                facts=facts,
                workspace=engine.release.workspace,
                is_next=is_next,
                plan_error=plan_error,
                importable=step.id == HANDOFF_STEP_ID,
            )
        )

    def show(self, view: StepView) -> None:
        record = view.record
        new_step = self._shown.get("step") != view.step.id
        self._shown["step"] = view.step.id
        self._put("detail-title", view.step.id, lambda: title_text(view))
        self._put("detail-status", (repr(record), view.is_next), lambda: status_line(view))
        failed = record.status is Status.FAILED and bool(record.error)
        self._put(
            "detail-problem", (record.error, record.hint), lambda: problem_text(record), failed
        )
        self._put(
            "detail-waiting",
            (tuple(record.waiting_on), record.reason, view.workspace, view.importable),
            lambda: waiting_text(view),
            record.status is Status.WAITING,
        )
        self._put(
            "detail-commands",
            (view.actions, view.plan_error, record.status is Status.DONE),
            lambda: commands_text(view),
        )
        self._put("detail-facts", repr(view.facts), lambda: facts_text(view), bool(view.facts))
        if new_step:
            self.query_one("#detail-help", Markdown).update(view.step.help or "_No help text._")
            self.scroll_home(animate=False)

    def _put(
        self,
        widget_id: str,
        key: object,
        render: Callable[[], RenderableType],
        visible: bool = True,
    ) -> None:
        """Show a section only if what it shows has changed: every update costs a layout."""
        widget = self.query_one(f"#{widget_id}", Static)
        if widget.display != visible:
            widget.display = visible
        if visible and self._shown.get(widget_id) != key:
            self._shown[widget_id] = key
            widget.update(render())
