"""The plan screen: every step in order, its status, and the exact commands it runs."""

from __future__ import annotations

from rich.console import Group, RenderableType
from rich.padding import Padding
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import Footer, Static

from rmtui.core.engine import Engine
from rmtui.core.errors import RmtuiError
from rmtui.tui.present import IRREVERSIBLE_MARK, actions_grid, glyph


def plan_document(engine: Engine) -> Group:
    """The whole plan, as `rmtui plan` prints it, with each step's status."""
    release = engine.release
    kind = release.release_type.value + (", security-only" if release.security_only else "")
    head = Text.assemble(
        (f"Plan for {release.version}", "bold"),
        f" ({kind}{', rehearsal' if release.rehearsal else ''}) · {len(engine.plan)} steps · ",
        (f" {IRREVERSIBLE_MARK} ", "bold white on red"),
        " marks a point of no return\n",
    )
    parts: list[RenderableType] = [head]
    for number, step in enumerate(engine.plan, start=1):
        record = engine.state.steps[step.id]
        title = Text.assemble(f"{number:>2}. ", glyph(record.status), " ", (step.id, "bold"))
        if step.irreversible:
            title.append(" ")
            title.append(f" {IRREVERSIBLE_MARK} ", style="bold white on red")
        title.append(f"  {step.title}")
        title.append(f"  · {step.phase.value} · {step.role.value} · {record.status.value}", "dim")
        parts.append(title)
        try:
            body: RenderableType = actions_grid(step.plan(release))
        except RmtuiError as exc:
            body = Text(f"(cannot be planned yet: {exc.problem})", style="dim")
        parts.append(Padding(body, (0, 0, 1, 4)))
    return Group(*parts)


class PlanScreen(Screen[None]):
    """Read-only: what the whole release does, step by step."""

    BINDINGS = [Binding("escape,p", "app.pop_screen", "Back", id="plan.back")]

    def __init__(self, engine: Engine) -> None:
        super().__init__()
        self.engine = engine

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="plan-scroll"):
            yield Static(plan_document(self.engine), id="plan")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self.query_one("#plan-scroll").focus()
