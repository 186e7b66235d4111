"""The import dialog: which expert delivered, and their folder (or the sandbox stand-ins)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.widgets import Button, Input, Label, OptionList, Static
from textual.widgets.option_list import Option

from rmtui.ops.checksums import SUMS_FILE_NAME as SUMS
from rmtui.tui.screens.dialogs import Dialog

if TYPE_CHECKING:
    from rmtui.tui.services import Imported

WHAT_THE_FOLDER_HOLDS = (
    f"It must hold their installers and a {SUMS} made there with `sha256sum * > {SUMS}`, "
    "nothing else. Every file is checked against it before any is copied into artifacts/."
)


@dataclass(frozen=True)
class ImportRequest:
    """What the RM asked for: one expert's folder, or the sandbox's stand-ins for everyone."""

    role: str
    folder: Path | None
    stand_ins: bool = False

    @property
    def what(self) -> str:
        if self.stand_ins:
            return "importing the sandbox stand-ins"
        return f"importing {self.role}'s artifacts"


def imported_summary(imported: Imported) -> str:
    """What came in, and what the hand-off waits on now, in a few lines."""
    lines = []
    for role, names in imported.delivered.items():
        kind = "sandbox stand-in file" if imported.stand_ins else "file"
        plural = "" if len(names) == 1 else "s"
        lines.append(f"{role}: {len(names)} {kind}{plural} into artifacts/ ({', '.join(names)})")
    if imported.remaining:
        lines.append(f"Still waiting on {' and '.join(imported.remaining)}.")
    else:
        lines.append("The hand-off is complete.")
    return "\n".join(lines)


class ImportDialog(Dialog[ImportRequest | None]):
    """Asks for the role (among those still awaited) and the folder; escape cancels."""

    BINDINGS = [Binding("escape", "cancel", "Cancel", id="import.cancel")]

    def __init__(
        self,
        roles: Sequence[str],
        *,
        stand_ins: Sequence[str] = (),
        previous: ImportRequest | None = None,
    ) -> None:
        super().__init__("Import an expert's artifacts")
        self.roles = list(roles)
        # The awaited roles the sandbox has stand-ins for (only ever in a rehearsal).
        self.stand_ins = [role for role in stand_ins if role in self.roles]
        self.previous = previous

    def body(self) -> ComposeResult:
        awaited = " and ".join(self.roles)
        yield Static(
            Text.assemble("handoff.experts waits on ", (awaited, "bold"), "."),
            classes="question",
        )
        if len(self.roles) > 1:
            yield Label("Which expert delivered?  [dim](↑↓, then tab)[/]")
            yield OptionList(
                *[Option(role, id=role) for role in self.roles], id="role", compact=True
            )
        else:
            yield Label(Text.assemble("From ", (self.roles[0], "bold"), " (the only one awaited)"))
        yield Label("The folder they delivered", id="folder-label")
        previous = self.previous.folder if self.previous is not None else None
        yield Input(
            value=str(previous) if previous is not None else "",
            placeholder="~/Downloads/installers",
            id="folder",
        )
        yield Static(WHAT_THE_FOLDER_HOLDS, classes="folder-help")
        if self.stand_ins:
            yield Static(
                Text.assemble(
                    ("REHEARSAL", "bold reverse magenta"),
                    " no expert delivers here; the sandbox has stand-ins for ",
                    (" and ".join(self.stand_ins), "bold"),
                    ", imported and checked the same way.",
                ),
                classes="explanation",
            )
        # Shown only with something to say: at 80x24 every row counts.
        problem = Label("", id="problem", classes="problem")
        problem.display = False
        yield problem
        with Horizontal(classes="buttons"):
            if self.stand_ins:
                yield Button(
                    "Use the sandbox stand-ins", id="stand-ins", variant="primary", compact=True
                )
            yield Button(
                "Import the folder",
                id="import",
                variant="default" if self.stand_ins else "primary",
                compact=True,
            )
            yield Button("Cancel", id="cancel", compact=True)
        if self._stand_ins_first():
            keys = "[b]enter[/b] use the stand-ins   [b]shift+tab[/b] type a folder"
        else:
            keys = "[b]tab[/b] next field   [b]enter[/b] import the folder"
        yield Static(keys + "   [b]escape[/b] cancel", classes="keys")

    def _stand_ins_first(self) -> bool:
        # In a rehearsal the stand-ins are what there is to import: enter takes them.
        return bool(self.stand_ins) and (self.previous is None or self.previous.stand_ins)

    def on_mount(self) -> None:
        self.add_class("import")  # laid out tighter: it must fit 80x24 above its footer
        if self.previous is not None and len(self.roles) > 1 and self.previous.role in self.roles:
            self.query_one("#role", OptionList).highlighted = self.roles.index(self.previous.role)
        elif len(self.roles) > 1:
            self.query_one("#role", OptionList).highlighted = 0
        if self._stand_ins_first():
            self.query_one("#stand-ins", Button).focus()
        elif len(self.roles) > 1 and self.previous is None:
            self.query_one("#role", OptionList).focus()
        else:
            self.query_one("#folder", Input).focus()

    def chosen_role(self) -> str:
        if len(self.roles) == 1:
            return self.roles[0]
        index = self.query_one("#role", OptionList).highlighted
        return self.roles[index or 0]

    def gather(self) -> ImportRequest | str:
        """The request, or what is wrong with the folder field (said under it)."""
        typed = self.query_one("#folder", Input).value.strip()
        if not typed:
            return f"Type the path of the folder {self.chosen_role()} delivered."
        folder = Path(typed).expanduser()
        if not folder.exists():
            return f"{folder} does not exist: check the path."
        if not folder.is_dir():
            return f"{folder} is a file: give the folder that holds the installers."
        return ImportRequest(self.chosen_role(), folder)

    def _import(self) -> None:
        request = self.gather()
        if isinstance(request, str):
            problem = self.query_one("#problem", Label)
            problem.update(Text(request))
            problem.display = True
            # Room for it at 80x24: the stand-ins' button stays, its explanation goes.
            self.query(".explanation").set(display=False)
            self.query_one("#folder", Input).focus()
            return
        self.dismiss(request)

    @on(OptionList.OptionSelected, "#role")
    def _role_chosen(self) -> None:
        self.query_one("#folder", Input).focus()

    @on(Input.Submitted, "#folder")
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self._import()

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "import":
            self._import()
        elif event.button.id == "stand-ins":
            self.dismiss(ImportRequest(", ".join(self.stand_ins), None, stand_ins=True))
        else:
            self.dismiss(None)

    def action_cancel(self) -> None:
        self.dismiss(None)
