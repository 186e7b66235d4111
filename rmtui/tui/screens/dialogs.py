"""Small modal dialogs: confirm, text and secret input, choice, Sigstore sign-in, reason, error."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypeVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Footer, Input, Label, OptionList, Static
from textual.widgets.option_list import Option

T = TypeVar("T")


class Dialog(ModalScreen[T]):
    """A centred box; subclasses fill it in `body`."""

    DEFAULT_CLASSES = "dialog-screen"

    def __init__(self, title: str) -> None:
        super().__init__()
        self.dialog_title = title

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog") as box:
            box.border_title = self.dialog_title
            yield from self.body()
        # Its own footer covers the screen's underneath: only the dialog's keys work now.
        yield Footer(compact=True)

    def body(self) -> ComposeResult:
        yield from ()


class ConfirmDialog(Dialog[bool]):
    """Yes or no. Escape answers no."""

    BINDINGS = [
        Binding("y", "answer(True)", "Yes", id="dialog.yes"),
        Binding("n,escape", "answer(False)", "No", id="dialog.no"),
    ]

    def __init__(self, question: str, *, detail: str = "", default: bool = False) -> None:
        super().__init__("Question")
        self.question = question
        self.detail = detail
        self.default = default

    def body(self) -> ComposeResult:
        yield Static(Text(self.question), classes="question")
        if self.detail:
            with VerticalScroll(classes="detail"):
                yield Static(Text(self.detail))
        with Horizontal(classes="buttons"):
            yield Button(
                "Yes  \\[y]",
                id="yes",
                variant="primary" if self.default else "default",
                compact=True,
            )
            yield Button(
                "No  \\[n]", id="no", variant="default" if self.default else "primary", compact=True
            )

    def on_mount(self) -> None:
        self.query_one("#yes" if self.default else "#no", Button).focus()

    def action_answer(self, answer: bool) -> None:
        self.dismiss(answer)

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "yes")


class TextDialog(Dialog[str | None]):
    """One line of text; `secret` masks it. Enter answers, escape declines (None)."""

    BINDINGS = [Binding("escape", "decline", "Cancel", id="dialog.cancel")]

    def __init__(
        self,
        question: str,
        *,
        default: str = "",
        secret: bool = False,
        title: str = "",
        explanation: str = "",
        placeholder: str = "",
    ) -> None:
        super().__init__(title or ("Secret" if secret else "Question"))
        self.question = question
        self.default = default
        self.secret = secret
        self.explanation = explanation
        self.placeholder = placeholder

    def body(self) -> ComposeResult:
        yield Static(Text(self.question), classes="question")
        if self.explanation:
            yield Static(Text(self.explanation), classes="explanation")
        yield Input(
            value=self.default,
            password=self.secret,
            placeholder=self.placeholder,
            id="answer",
        )
        yield Label("", id="problem", classes="problem")
        note = "masked; never written to a log" if self.secret else ""
        yield Static(
            "[b]enter[/b] answer   [b]escape[/b] cancel" + (f"   ({note})" if note else ""),
            classes="keys",
        )

    def on_mount(self) -> None:
        self.query_one(Input).focus()

    def validate_answer(self, value: str) -> str:
        """A problem with `value` to show under the field, or "" to accept it."""
        return ""

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        problem = self.validate_answer(event.value)
        if problem:
            self.query_one("#problem", Label).update(problem)
            return
        self.dismiss(event.value)

    def action_decline(self) -> None:
        self.dismiss(None)


class ReasonDialog(TextDialog):
    """A reason for a manual move (skip, mark done); it goes into the journal, so it is required."""

    def __init__(self, title: str, question: str) -> None:
        super().__init__(
            question,
            title=title,
            explanation="The reason is written to the journal, so whoever reads it later "
            "knows why.",
            placeholder="why?",
        )

    def validate_answer(self, value: str) -> str:
        if not value.strip():
            return "A reason is required: say why, so the journal explains it later."
        return ""


class ChoiceDialog(Dialog[str | None]):
    """Pick one of a few options. Escape declines (None)."""

    BINDINGS = [Binding("escape", "decline", "Cancel", id="dialog.cancel")]

    def __init__(self, question: str, options: Sequence[str], *, default: str = "") -> None:
        super().__init__("Choose")
        self.question = question
        self.options = list(options)
        self.default = default

    def body(self) -> ComposeResult:
        yield Static(Text(self.question), classes="question")
        yield OptionList(*[Option(Text(text), id=str(i)) for i, text in enumerate(self.options)])
        yield Static("[b]↑↓[/b] move   [b]enter[/b] choose   [b]escape[/b] cancel", classes="keys")

    def on_mount(self) -> None:
        options = self.query_one(OptionList)
        if self.default in self.options:
            options.highlighted = self.options.index(self.default)
        options.focus()

    @on(OptionList.OptionSelected)
    def _chosen(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(self.options[event.option_index])

    def action_decline(self) -> None:
        self.dismiss(None)


class OAuthDialog(Dialog[str | None]):
    """Sigstore's sign-in: open the URL, sign in, paste the code (masked)."""

    BINDINGS = [
        Binding("escape", "decline", "Cancel", id="dialog.cancel"),
        Binding("ctrl+y", "copy_url", "Copy URL", id="dialog.copy-url"),
    ]

    def __init__(self, url: str) -> None:
        super().__init__("Sign in to Sigstore")
        self.url = url

    def body(self) -> ComposeResult:
        yield Static(
            "Open this address in a browser, sign in with the identity the profile names, "
            "and paste the code you are shown:",
            classes="question",
        )
        yield Static(Text(self.url, style="bold underline"), id="url")
        yield Input(password=True, placeholder="code", id="answer")
        yield Static(
            "[b]enter[/b] send the code   [b]ctrl+y[/b] copy the address   "
            "[b]escape[/b] cancel   (the code is masked and never logged)",
            classes="keys",
        )

    def on_mount(self) -> None:
        self.query_one(Input).focus()

    def action_copy_url(self) -> None:
        self.app.copy_to_clipboard(self.url)
        self.notify("Address copied to the clipboard (if your terminal allows it).")

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.dismiss(event.value)

    def action_decline(self) -> None:
        self.dismiss(None)


class ErrorDialog(Dialog[None]):
    """A problem and the way out."""

    BINDINGS = [Binding("escape,enter", "close", "Close", id="dialog.close")]

    def __init__(self, problem: str, hint: str = "", *, title: str = "Error") -> None:
        super().__init__(title)
        self.problem = problem
        self.hint = hint

    def body(self) -> ComposeResult:
        yield Static(Text(self.problem, style="bold"), classes="question")
        if self.hint:
            yield Static(Text.assemble(("How to fix: ", "bold"), self.hint), classes="hint")
        yield Static("[b]enter[/b] close", classes="keys")

    def on_mount(self) -> None:
        self.add_class("error")

    def action_close(self) -> None:
        self.dismiss(None)


class QuitDialog(Dialog[str | None]):
    """Quitting while a step runs: stop it, or let it finish and then quit."""

    BINDINGS = [
        Binding("s", "answer('stop')", "Stop it", id="dialog.stop"),
        Binding("f", "answer('finish')", "Let it finish", id="dialog.finish"),
        Binding("escape", "answer(None)", "Keep working", id="dialog.keep"),
    ]

    def __init__(self, step_id: str) -> None:
        super().__init__("Quit while a step runs?")
        self.step_id = step_id

    def body(self) -> ComposeResult:
        yield Static(
            f"[b]{self.step_id}[/b] is running. rmtui quits once it has stopped.",
            classes="question",
        )
        yield Static(
            "[b]s[/b]  Stop it: its command is cancelled and the step is marked failed; "
            "retry it later, its probe decides what is left to do.\n"
            "[b]f[/b]  Let it finish, then quit.\n"
            "[b]escape[/b]  Keep working.",
            classes="explanation",
        )
        with Horizontal(classes="buttons"):
            yield Button("Stop it  \\[s]", id="stop", variant="error", compact=True)
            yield Button("Let it finish  \\[f]", id="finish", variant="primary", compact=True)
            yield Button("Keep working", id="keep", compact=True)

    def on_mount(self) -> None:
        self.query_one("#finish", Button).focus()

    def action_answer(self, answer: str | None) -> None:
        self.dismiss(answer)

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        self.dismiss(None if event.button.id == "keep" else event.button.id)
