"""The home screen: the releases rmtui knows, and starting a new release or a rehearsal."""

from __future__ import annotations

import traceback
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.message import Message
from textual.reactive import reactive
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Label, Static
from textual.worker import Worker, WorkerState

from rmtui.core.errors import RmtuiError
from rmtui.tui.actions import HOME_ACTIONS, bindings, check
from rmtui.tui.clock import short_time
from rmtui.tui.commands import HomeCommands

if TYPE_CHECKING:
    from rmtui.tui.app import RmtuiApp
    from rmtui.tui.screens.forms import ReleaseRequest
    from rmtui.usecases.standing import ReleaseSummary

STATE_STYLE = {
    "done": "green",
    "failed": "bold red",
    "running": "bold yellow",
    "waiting": "cyan",
    "in progress": "yellow",
    "not started": "dim",
    "unreadable": "bold red",
}

WELCOME = (
    "[b]No releases yet.[/b]\n\n"
    "New here? Press [b]r[/b] to [b]rehearse[/b]: rmtui builds a throwaway sandbox (upstream "
    "and fork repositories, a working clone, a GPG key, a downloads folder) and walks you "
    "through the very same steps as a real release, against it. Nothing leaves your "
    "machine.\n\n"
    "Press [b]n[/b] to start a [b]real release[/b] from a profile file, and [b]f1[/b] for help."
)


def places(workspaces: list[Path], versions: list[str]) -> list[str]:
    """Where each release lives, in a few characters: the folder that names it, and for
    releases that share a version (two rehearsals of 3.13.10) the part that tells them apart."""
    shown: list[str] = []
    for workspace, version in zip(workspaces, versions, strict=True):
        parts = workspace.parts
        twins = [w.parts for w, v in zip(workspaces, versions, strict=True) if v == version]
        # A sandbox's workspace is always called "workspace": its folder names the rehearsal.
        depth = 2 if workspace.name == "workspace" and len(parts) > 2 else 1
        while depth < len(parts) and any(
            len(t) >= depth and t[-depth] == parts[-depth] for t in twins if t != parts
        ):
            depth += 1  # the last part of the path that no twin shares at the same place
        name = parts[-depth]
        shown.append(f"…/{name}/…" if depth > 1 else f"…/{name}")
    return shown


@dataclass
class ReleasesFound(Message):
    """The finder read every workspace."""

    summaries: list[ReleaseSummary]


@dataclass
class SandboxProgress(Message):
    """A line from the sandbox builder."""

    line: str


@dataclass
class SandboxBuilt(Message):
    """The sandbox is ready; this is its release's workspace."""

    workspace: Path


def minutes(timestamp: str) -> str:
    """`2026-11-03T10:00:00Z` as `2026-11-03 10:00`."""
    return short_time(timestamp)[:16] or "—"


class HomeScreen(Screen[None]):
    """Lists every release and rehearsal; opens one, or starts a new one."""

    COMMANDS = {HomeCommands}

    BINDINGS = bindings(HOME_ACTIONS)

    has_releases = reactive(False, bindings=True)

    def __init__(self) -> None:
        super().__init__()
        self.summaries: list[ReleaseSummary] = []
        self.building = False

    @property
    def rmtui(self) -> RmtuiApp:
        return self.app  # type: ignore[return-value]

    def compose(self) -> ComposeResult:
        yield Label("[b]rmtui[/b] · releases and rehearsals", id="home-title")
        table: DataTable[Text | str] = DataTable(id="releases", cursor_type="row")
        table.border_title = "releases"
        yield table
        yield Static("", id="home-detail")
        yield Static(WELCOME, id="welcome")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        table.add_columns("Version", "Where", "Type", "Kind", "Progress", "State", "Last activity")
        self.query_one("#welcome").display = False

    def on_screen_resume(self) -> None:
        # Also the first time the screen shows: the list is read after the first paint, so
        # that importing the release machinery in the worker does not delay it.
        self.call_after_refresh(self.action_refresh)

    def action_refresh(self) -> None:
        self._find()

    @work(thread=True, exclusive=True, group="home", exit_on_error=False)
    def _find(self) -> None:
        self.post_message(ReleasesFound(self.rmtui.finder()))

    @on(Worker.StateChanged)
    def _worker_failed(self, event: Worker.StateChanged) -> None:
        """The one place a worker's failure is shown (finding releases, building a sandbox)."""
        if event.state is not WorkerState.ERROR:
            return
        if event.worker.group == "build":
            self.building = False
        error = event.worker.error
        if not isinstance(error, RmtuiError):
            detail = "".join(traceback.format_exception_only(error)).strip() if error else ""
            error = RmtuiError(f"unexpected error: {detail}", "this is a bug in rmtui")
        self._show_error(error)

    @on(ReleasesFound)
    def _show(self, message: ReleasesFound) -> None:
        summaries = self.summaries = message.summaries
        table = self.query_one(DataTable)
        table.clear()
        where = places([s.workspace for s in summaries], [s.version for s in summaries])
        for summary, place in zip(summaries, where, strict=True):
            kind = (
                Text("rehearsal", style="bold magenta")
                if summary.rehearsal
                else Text("release", style="bold")
            )
            table.add_row(
                Text(summary.version, style="bold"),
                Text(place, style="dim"),
                summary.type,
                kind,
                summary.progress,
                Text(summary.state, style=STATE_STYLE.get(summary.state, "")),
                minutes(summary.last_activity),
                key=str(summary.workspace),
            )
        empty = not summaries
        self.has_releases = not empty
        table.display = not empty
        self.query_one("#home-detail").display = not empty
        self.query_one("#welcome").display = empty
        if not empty:
            table.focus()
            self._describe(0)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        return check(HOME_ACTIONS, self, action)

    @on(DataTable.RowHighlighted)
    def _highlighted(self, event: DataTable.RowHighlighted) -> None:
        self._describe(event.cursor_row)

    def _describe(self, row: int) -> None:
        if not 0 <= row < len(self.summaries):
            return
        summary = self.summaries[row]
        text = Text()
        text.append("enter", style="bold")
        text.append(" opens ", style="dim")
        text.append(str(summary.workspace))
        if summary.error:
            text.append("\n")
            text.append(summary.error, style="red")
        self.query_one("#home-detail", Static).update(text)

    @on(DataTable.RowSelected)
    def _selected(self, event: DataTable.RowSelected) -> None:
        self.action_open()

    def action_open(self) -> None:
        table = self.query_one(DataTable)
        if not self.summaries or not table.display:
            self.notify("No release to open yet: press r to start a rehearsal.")
            return
        row = table.cursor_row
        if 0 <= row < len(self.summaries):
            self.open_release(self.summaries[row].workspace)

    def open_release(self, workspace: Path) -> None:
        from rmtui.tui.screens.release import ReleaseScreen

        self.app.push_screen(ReleaseScreen(workspace))

    def action_rehearse(self) -> None:
        if self.building:
            self.notify("A sandbox is being built already.", severity="warning")
            return
        from rmtui.tui.screens.forms import RehearsalForm
        from rmtui.tui.services import default_rehearsal_dir

        version = self.rmtui.default_rehearsal_version
        if not version:
            from rmtui.sandbox.build import DEFAULT_VERSION

            version = DEFAULT_VERSION
        form = RehearsalForm(version, default_rehearsal_dir(version, self.rmtui.clock))
        self.app.push_screen(form, callback=self._build)

    def _build(self, request: ReleaseRequest | None) -> None:
        if request is None:
            return
        self.building = True
        self.notify(f"Building a sandbox for {request.version} in {request.directory}…")
        self._build_sandbox(request)

    @work(thread=True, exclusive=True, group="build", exit_on_error=False)
    def _build_sandbox(self, request: ReleaseRequest) -> None:
        def say(line: str) -> None:
            self.post_message(SandboxProgress(line))

        self.post_message(SandboxBuilt(self.rmtui.sandbox_builder(request, say)))

    @on(SandboxProgress)
    def _say(self, message: SandboxProgress) -> None:
        self.query_one("#home-detail", Static).update(Text(message.line, style="italic"))
        self.query_one("#home-detail").display = True

    @on(SandboxBuilt)
    def _built(self, message: SandboxBuilt) -> None:
        self.building = False
        self.open_release(message.workspace)

    def action_new_release(self) -> None:
        from rmtui.core.release import releases_root
        from rmtui.tui.screens.forms import NewReleaseForm

        self.app.push_screen(NewReleaseForm(releases_root()), callback=self._start)

    def _start(self, request: ReleaseRequest | None) -> None:
        if request is None:
            return
        try:
            workspace = self.rmtui.release_starter(request, self.rmtui.clock)
        except RmtuiError as exc:
            self._show_error(exc)
            return
        self.open_release(workspace)

    def _show_error(self, error: RmtuiError) -> None:
        from rmtui.tui.screens.dialogs import ErrorDialog

        self.app.push_screen(ErrorDialog(error.problem, error.hint))
