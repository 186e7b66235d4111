"""Forms on the home screen: start a rehearsal, start a new release from a profile."""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.widgets import Button, Checkbox, Input, Label, Static

from rmtui.core.errors import RmtuiError
from rmtui.core.version import ReleaseVersion, parse_version
from rmtui.tui.screens.dialogs import Dialog


@dataclass(frozen=True)
class ReleaseRequest:
    """What the RM filled in; checked, but nothing is created yet."""

    version: ReleaseVersion
    directory: Path | None
    security_only: bool
    profile_file: Path | None = None


class _Form(Dialog[ReleaseRequest | None]):
    BINDINGS = [Binding("escape", "cancel", "Cancel", id="form.cancel")]

    submit_label = "Create"

    def fields(self) -> ComposeResult:
        yield from ()

    def body(self) -> ComposeResult:
        yield from self.fields()
        yield Checkbox("Security-only release (source only)", id="security-only")
        yield Label("", id="problem", classes="problem")
        with Horizontal(classes="buttons"):
            yield Button(self.submit_label, id="submit", variant="primary", compact=True)
            yield Button("Cancel", id="cancel", compact=True)

    def on_mount(self) -> None:
        self.query(Input).first().focus()

    def action_cancel(self) -> None:
        self.dismiss(None)

    @on(Button.Pressed, "#cancel")
    def _cancel(self) -> None:
        self.dismiss(None)

    @on(Button.Pressed, "#submit")
    @on(Input.Submitted)
    def _submit(self) -> None:
        try:
            request = self.gather()
        except RmtuiError as exc:
            self.query_one("#problem", Label).update(
                f"{exc.problem}" + (f"\nHow to fix: {exc.hint}" if exc.hint else "")
            )
            return
        self.dismiss(request)

    def value(self, field_id: str) -> str:
        return self.query_one(f"#{field_id}", Input).value.strip()

    def gather(self) -> ReleaseRequest:
        """The fields every form has; subclasses add theirs."""
        return ReleaseRequest(
            version=parse_version(self.value("version")),
            directory=None,
            security_only=self.query_one("#security-only", Checkbox).value,
        )


class RehearsalForm(_Form):
    """A version to rehearse and where to build the sandbox."""

    submit_label = "Build the sandbox"

    def __init__(self, default_version: str, default_directory: Path) -> None:
        super().__init__("Start a rehearsal")
        self.default_version = default_version
        self.default_directory = default_directory

    def fields(self) -> ComposeResult:
        yield Static(
            "A rehearsal builds a throwaway sandbox (upstream and fork repositories, a working "
            "clone, a GPG key, a downloads folder) and drives the very same steps as a real "
            "release against it.",
            classes="explanation",
        )
        yield Label("Version to rehearse")
        yield Input(value=self.default_version, id="version")
        yield Label("Sandbox directory (must not exist yet, or be empty)")
        yield Input(value=str(self.default_directory), id="directory")

    def gather(self) -> ReleaseRequest:
        request = super().gather()
        directory = self.value("directory")
        if not directory:
            raise RmtuiError("the sandbox directory is empty", "type where to build the sandbox")
        return replace(request, directory=Path(directory).expanduser())


class NewReleaseForm(_Form):
    """A real release: version, profile file, and optionally where its workspace goes."""

    submit_label = "Start the release"

    def __init__(self, releases_root: Path) -> None:
        super().__init__("Start a new release")
        self.releases_root = releases_root

    def fields(self) -> ComposeResult:
        yield Label("Version (e.g. 3.14.1, 3.15.0b2)")
        yield Input(placeholder="3.14.1", id="version")
        yield Label("Profile file (`rmtui profile show cpython > my.toml`, then edit it)")
        yield Input(placeholder="~/rmtui-cpython.toml", id="profile")
        yield Label(f"Workspace directory (empty: {self.releases_root}/VERSION)")
        yield Input(placeholder="(default)", id="directory")

    def gather(self) -> ReleaseRequest:
        request = super().gather()
        profile = self.value("profile")
        if not profile:
            raise RmtuiError(
                "a real release needs a profile file",
                "copy the built-in one with `rmtui profile show cpython > my.toml`, set your "
                "fork and clone in it, and give its path here",
            )
        path = Path(profile).expanduser()
        if not path.is_file():
            raise RmtuiError(
                f"there is no profile file at {path}",
                "check the path, or create one with `rmtui profile show cpython > my.toml`",
            )
        directory = self.value("directory")
        return replace(
            request,
            directory=Path(directory).expanduser() if directory else None,
            profile_file=path,
        )
