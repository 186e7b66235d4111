"""The two decisions that matter most: a point of no return, and a step left running by a crash."""

from __future__ import annotations

from rich.console import Group
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.message import Message
from textual.widgets import Button, Input, Label, Static

from rmtui.core.engine import Interruption, Settlement
from rmtui.core.step import PointOfNoReturn, ProbeOutcome, Step
from rmtui.core.store import StepRecord
from rmtui.tui.present import actions_grid
from rmtui.tui.screens.dialogs import Dialog

WHY_STRICTER = (
    "In a real release you would type the version ({version}) here: a pushed tag or a "
    "published file cannot be taken back, so rmtui makes you stop and read first."
)


def consequences_text(point: PointOfNoReturn) -> Text:
    text = Text()
    text.append("What cannot be undone: ", style="bold red")
    text.append(point.consequences.strip() or "this step changes the world for good.")
    return text


def point_actions(point: PointOfNoReturn) -> Group:
    """The exact commands and refs, in the order they run."""
    return Group(
        Text("These will run:", style="bold"),
        actions_grid(point.actions, command_style="bold cyan"),
    )


class CommandList(VerticalScroll):
    """The commands of a point of no return; says when its size changed (what fits changes)."""

    class Resized(Message):
        """The list was laid out at a new size."""

    def on_resize(self) -> None:
        self.post_message(self.Resized())


class PointOfNoReturnDialog(Dialog[bool]):
    """Blocks an irreversible step until the RM confirms: one key in a rehearsal, the version
    typed in a real release."""

    BINDINGS = [
        Binding("y", "confirm", "Go ahead", id="point.confirm"),
        Binding("n", "no", "Stop", id="point.decline"),
        Binding("escape", "decline", "Stop", id="point.escape"),
    ]

    def __init__(self, point: PointOfNoReturn) -> None:
        super().__init__(f"POINT OF NO RETURN · {point.step_id}")
        self.point = point

    def body(self) -> ComposeResult:
        point = self.point
        yield Static(Text(point.title, style="bold"), classes="question")
        yield Static(consequences_text(point), classes="consequences")
        with CommandList(classes="detail"):
            yield Static(point_actions(point))
        more = Static("", id="more", classes="more")
        more.display = False  # until the commands are laid out and found not to fit
        yield more
        if point.rehearsal:
            yield Static(
                Text.assemble(
                    ("REHEARSAL", "bold reverse magenta"),
                    " ",
                    (WHY_STRICTER.format(version=point.version), "italic"),
                ),
                classes="explanation",
            )
            with Horizontal(classes="buttons"):
                yield Button("Go ahead  \\[y]", id="confirm", variant="error", compact=True)
                yield Button("Stop  \\[n or escape]", id="decline", variant="primary", compact=True)
        else:
            yield Static(
                Text.assemble(
                    "Type the version ",
                    (point.version, "bold"),
                    " and press enter to go ahead; ",
                    ("escape", "bold"),
                    " stops.",
                ),
                classes="explanation",
            )
            yield Input(placeholder=f"type {point.version}", id="typed")
            yield Label("", id="problem", classes="problem")

    def on_mount(self) -> None:
        self.add_class("danger", "tall")
        commands = self.query_one(CommandList)
        # What did not fit is said, with the way to see it: never cut off silently.
        self.watch(commands, "scroll_y", self._say_what_is_below, init=False)
        self.watch(commands, "virtual_size", self._say_what_is_below, init=False)
        if self.point.rehearsal:
            # The commands get the focus, so arrows scroll them; y and n answer.
            commands.focus()
        else:
            self.query_one(Input).focus()

    @on(CommandList.Resized)
    def _say_what_is_below(self) -> None:
        commands = self.query_one(CommandList)
        below = round(commands.max_scroll_y - commands.scroll_y)
        more = self.query_one("#more", Static)
        if below <= 0:
            more.update("")
            more.display = False
            return
        how = "↓ or pgdn shows them" if self.point.rehearsal else "tab, then ↓, shows them"
        lines = f"{below} more line{'s' if below != 1 else ''}"
        more.update(Text.assemble((f"▼ {lines} below", "bold yellow"), f" · {how}"))
        more.display = True

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        # In a real release no single key may confirm: only the typed version does (and
        # y and n are letters of the version field).
        if action in ("confirm", "no"):
            return self.point.rehearsal
        return True

    def action_confirm(self) -> None:
        if self.point.rehearsal:
            self.dismiss(True)

    def action_decline(self) -> None:
        self.dismiss(False)

    def action_no(self) -> None:
        self.dismiss(False)

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "confirm" and self.point.rehearsal)

    @on(Input.Submitted)
    def _typed(self, event: Input.Submitted) -> None:
        event.stop()
        if event.value.strip() == self.point.version:
            self.dismiss(True)
            return
        self.query_one("#problem", Label).update(
            f"That is not {self.point.version}. Type it exactly, or press escape to stop."
        )


SETTLEMENT_LABELS: dict[Settlement, tuple[str, str, str]] = {
    Settlement.ACCEPT_DONE: ("a", "Accept it as done", "its effect is in place; move on"),
    Settlement.RUN_AGAIN: ("r", "Run it again", "back to pending; it runs from the start"),
    Settlement.MARK_FAILED: (
        "f",
        "Mark it failed and look",
        "stop here; look at the step log, then retry or mark it done by hand",
    ),
}


BUTTON_LABELS: dict[Settlement, str] = {
    Settlement.ACCEPT_DONE: "Accept done",
    Settlement.RUN_AGAIN: "Run again",
    Settlement.MARK_FAILED: "Mark failed",
}


class ResumeDialog(Dialog[Settlement]):
    """A step was left running: show what its probe found and let the RM settle it."""

    BINDINGS = [
        Binding(
            "a",
            "settle('accept-done')",
            BUTTON_LABELS[Settlement.ACCEPT_DONE],
            id="resume.accept-done",
        ),
        Binding(
            "r", "settle('run-again')", BUTTON_LABELS[Settlement.RUN_AGAIN], id="resume.run-again"
        ),
        Binding(
            "f",
            "settle('mark-failed')",
            BUTTON_LABELS[Settlement.MARK_FAILED],
            id="resume.mark-failed",
        ),
    ]

    def __init__(
        self,
        interruption: Interruption,
        step: Step,
        record: StepRecord,
        suggested: Settlement,
        log_path: str,
    ) -> None:
        super().__init__(f"Resume · {step.id} was left running")
        self.interruption = interruption
        self.step = step
        self.record = record
        self.suggested = suggested
        self.log_path = log_path

    def body(self) -> ComposeResult:
        probe = self.interruption.probe
        started = f", started {self.record.started}" if self.record.started else ""
        yield Static(
            Text.assemble(
                "rmtui stopped while ",
                (self.step.id, "bold"),
                f" ({self.step.title}) was running (attempt {self.record.attempts}{started}).",
            ),
            classes="question",
        )
        outcome_style = {
            ProbeOutcome.DONE: "bold green",
            ProbeOutcome.NOT_DONE: "bold yellow",
            ProbeOutcome.INCONSISTENT: "bold red",
            ProbeOutcome.UNKNOWN: "bold red",
        }[probe.outcome]
        with VerticalScroll(classes="detail"):
            yield Static(
                Text.assemble(
                    ("Its probe looked at the world and found: ", "bold"),
                    (probe.outcome.value.upper(), outcome_style),
                    "\n",
                    probe.why,
                    "\n\n",
                    ("Check by hand: ", "bold"),
                    self.step.check_after_interruption,
                    "\n",
                    ("Its log: ", "bold"),
                    self.log_path,
                )
            )
        with Horizontal(classes="buttons"):
            for settlement, (key, _label, _why) in SETTLEMENT_LABELS.items():
                # Short, as in the footer, so that all three fit 80 columns; the lines below
                # say what each does.
                suffix = " ✓" if settlement is self.suggested else ""
                label = BUTTON_LABELS[settlement]
                yield Button(f"{label}  \\[{key}]{suffix}", id=settlement.value, compact=True)
        yield Static(self._explanation(), classes="explanation")

    def _explanation(self) -> Text:
        text = Text()
        for settlement, (key, label, why) in SETTLEMENT_LABELS.items():
            text.append(f"{key}  ", style="bold")
            text.append(f"{label}: {why}")
            if settlement is self.suggested:
                text.append("  (what the probe suggests)", style="bold green")
            text.append("\n")
        return text

    def on_mount(self) -> None:
        self.query_one(f"#{self.suggested.value}", Button).focus()

    def action_settle(self, value: str) -> None:
        self.dismiss(Settlement(value))

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        assert event.button.id is not None
        self.dismiss(Settlement(event.button.id))
