"""The engine's Prompter in the TUI: each question is a modal, asked by message from a step."""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from typing import Any

from textual.message import Message
from textual.message_pump import MessagePump
from textual.screen import Screen

from rmtui.core.errors import StepFailed
from rmtui.core.redact import register_secret
from rmtui.core.step import PointOfNoReturn
from rmtui.tui.screens.decisions import PointOfNoReturnDialog
from rmtui.tui.screens.dialogs import ChoiceDialog, ConfirmDialog, OAuthDialog, TextDialog

# How often a waiting step thread checks whether the TUI closed the question under it.
POLL_SECONDS = 0.1


class PromptClosed(StepFailed):
    """The question was withdrawn (the RM stopped the step or rmtui is closing)."""


class Question(Message):
    """A step asks the RM: the receiver shows the dialog with `show` (UI thread)."""

    def __init__(self, prompter: TuiPrompter, make_dialog: Callable[[], Screen[Any]]) -> None:
        super().__init__()
        self.prompter = prompter
        self.make_dialog = make_dialog
        self.answered = threading.Event()
        self.answer: Any = None

    def show(self, push: Callable[..., object]) -> None:
        if self.prompter.withdrawn:
            return  # stopped before it reached the screen: nobody waits for the answer
        dialog = self.make_dialog()
        self.prompter.opened(dialog)

        def receive(result: Any) -> None:
            self.prompter.opened(None)
            self.answer = result
            self.answered.set()

        push(dialog, callback=receive)


class TuiPrompter:
    """Implements `rmtui.core.step.Prompter` for steps running in a thread worker.

    Every method is called from the worker thread: it posts a `Question` to the release
    screen, which pushes the modal, and waits on a `threading.Event` for the RM's answer, so
    the UI keeps running while the step waits. `withdraw()` (UI thread) dismisses the open
    question, and the waiting step fails with a clear reason instead of hanging.
    """

    def __init__(self, target: MessagePump) -> None:
        self._target = target
        self._ui_thread = threading.get_ident()  # made on the UI thread, by the screen
        self._lock = threading.Lock()
        self._open: Screen[Any] | None = None
        self._withdrawn = threading.Event()
        # The step a point of no return is about (it is not running yet while it asks).
        self.asking_about = ""

    # -- plumbing ----------------------------------------------------------------

    def _ask(self, make_dialog: Callable[[], Screen[Any]]) -> Any:
        if threading.get_ident() == self._ui_thread:
            raise RuntimeError("TuiPrompter must be called from a worker thread, not the UI")
        self._withdrawn.clear()
        question = Question(self, make_dialog)
        if not self._target.post_message(question):
            raise PromptClosed(
                "rmtui is closing, so the question could not be asked",
                "open the release again and run the step once more",
            )
        while not question.answered.wait(POLL_SECONDS):
            if self._withdrawn.is_set():
                raise PromptClosed(
                    "the question was withdrawn because the step was stopped",
                    "run the step again when ready; its probe decides what is left to do",
                )
        return question.answer

    def opened(self, dialog: Screen[Any] | None) -> None:
        """The dialog now on screen for the question (None: answered) (UI thread)."""
        with self._lock:
            self._open = dialog

    def withdraw(self) -> None:
        """Close the open question, if any (UI thread); the step waiting on it fails."""
        self._withdrawn.set()
        with self._lock:
            screen, self._open = self._open, None
        if screen is not None and screen.is_attached:
            screen.dismiss(None)

    @property
    def withdrawn(self) -> bool:
        return self._withdrawn.is_set()

    @property
    def asking(self) -> bool:
        with self._lock:
            return self._open is not None

    @staticmethod
    def _declined(question: str) -> PromptClosed:
        return PromptClosed(
            f"the question “{question}” was closed without an answer",
            "run the step again and answer it",
        )

    # -- the Prompter protocol ------------------------------------------------------

    def confirm(self, question: str, *, detail: str = "", default: bool = False) -> bool:
        answer = self._ask(lambda: ConfirmDialog(question, detail=detail, default=default))
        return bool(answer)

    def confirm_point_of_no_return(self, point: PointOfNoReturn) -> bool:
        self.asking_about = point.step_id
        try:
            return bool(self._ask(lambda: PointOfNoReturnDialog(point)))
        finally:
            self.asking_about = ""

    def text(self, question: str, *, default: str = "") -> str:
        answer = self._ask(lambda: TextDialog(question, default=default))
        if answer is None:
            raise self._declined(question)
        return str(answer)

    def secret(self, question: str) -> str:
        answer = self._ask(lambda: TextDialog(question, secret=True))
        if answer is None:
            raise self._declined(question)
        value = str(answer)
        register_secret(value)
        return value

    def choice(self, question: str, options: Sequence[str], *, default: str = "") -> str:
        answer = self._ask(lambda: ChoiceDialog(question, options, default=default))
        if answer is None:
            raise self._declined(question)
        return str(answer)

    def oauth_code(self, url: str) -> str:
        answer = self._ask(lambda: OAuthDialog(url))
        if answer is None:
            raise self._declined("the Sigstore sign-in code")
        code = str(answer)
        register_secret(code)
        return code
