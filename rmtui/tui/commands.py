"""Command palette providers: the release actions, and jumping to any step."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from functools import partial
from typing import TYPE_CHECKING

from textual.command import DiscoveryHit, Hit, Hits, Provider

if TYPE_CHECKING:
    from rmtui.tui.screens.home import HomeScreen
    from rmtui.tui.screens.release import ReleaseScreen

# (label, help, action name on the screen): the palette runs the same actions as the keys.
RELEASE_ACTIONS: tuple[tuple[str, str, str], ...] = (
    ("Run the next step", "run the step marked ▸", "run_next"),
    ("Run the selected step", "run the step under the cursor", "run_selected"),
    ("Run on until something needs me", "run step after step", "run_on"),
    ("Retry the selected step", "run a failed step again", "retry"),
    ("Skip the selected step…", "asks for a reason", "skip"),
    ("Mark the selected step done by hand…", "asks for a reason", "mark_done"),
    ("Take back a skip", "the selected step becomes pending", "unskip"),
    (
        "Import an expert's artifacts…",
        "a folder with its SHA256SUMS; ends their wait",
        "import_handoff",
    ),
    ("Stop the running step", "cancels its command", "stop"),
    ("Show the journal", "every transition, command and digest", "journal"),
    ("Show the plan", "every step with its commands", "plan"),
    ("Back to the list of releases", "closes this release", "home"),
)

HOME_ACTIONS: tuple[tuple[str, str, str], ...] = (
    ("Start a rehearsal", "build a sandbox and open it", "rehearse"),
    ("Start a new release from a profile…", "version, profile file, directory", "new_release"),
    ("Refresh the list of releases", "read every workspace again", "refresh"),
)


def _actions(
    screen: ReleaseScreen | HomeScreen, table: tuple[tuple[str, str, str], ...]
) -> Iterator[tuple[str, str, Callable[[], object]]]:
    for label, help_text, action in table:
        if screen.check_action(action, ()) is False:
            continue
        yield label, help_text, partial(screen.app.run_action, action, screen)


class _ScreenCommands(Provider):
    table: tuple[tuple[str, str, str], ...] = ()

    def commands(self) -> Iterator[tuple[str, str, Callable[[], object]]]:
        yield from _actions(self.screen, self.table)  # type: ignore[arg-type]

    async def discover(self) -> Hits:
        for label, help_text, run in self.commands():
            yield DiscoveryHit(label, run, help=help_text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for label, help_text, run in self.commands():
            score = matcher.match(label)
            if score > 0:
                yield Hit(score, matcher.highlight(label), run, text=label, help=help_text)


class ReleaseCommands(_ScreenCommands):
    """The release screen's actions, and "go to step" for every step of the plan."""

    table = RELEASE_ACTIONS

    def commands(self) -> Iterator[tuple[str, str, Callable[[], object]]]:
        yield from super().commands()
        screen: ReleaseScreen = self.screen  # type: ignore[assignment]
        if screen.engine is None:
            return
        for step in screen.engine.plan:
            status = screen.engine.state.steps[step.id].status.value
            yield (
                f"Go to step {step.id}",
                f"{step.title} ({status})",
                partial(screen.checklist.select_step, step.id),
            )


class HomeCommands(_ScreenCommands):
    """The home screen's actions, and "open" for every release found."""

    table = HOME_ACTIONS

    def commands(self) -> Iterator[tuple[str, str, Callable[[], object]]]:
        yield from super().commands()
        screen: HomeScreen = self.screen  # type: ignore[assignment]
        for summary in screen.summaries:
            kind = "rehearsal" if summary.rehearsal else "release"
            yield (
                f"Open {summary.version} ({kind})",
                f"{summary.progress} · {summary.state} · {summary.workspace}",
                partial(screen.open_release, summary.workspace),
            )
