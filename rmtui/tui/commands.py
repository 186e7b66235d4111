"""Command palette providers: the release actions, and jumping to any step."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from functools import partial
from typing import TYPE_CHECKING

from textual.command import DiscoveryHit, Hit, Hits, Provider

from rmtui.tui.actions import HOME_ACTIONS, RELEASE_ACTIONS, ActionSpec

if TYPE_CHECKING:
    from rmtui.tui.screens.home import HomeScreen
    from rmtui.tui.screens.release import ReleaseScreen


def _actions(
    screen: ReleaseScreen | HomeScreen, table: tuple[ActionSpec, ...]
) -> Iterator[tuple[str, str, Callable[[], object]]]:
    """The table's palette entries that apply now: the palette runs the same actions as keys."""
    for spec in table:
        if not spec.palette or screen.check_action(spec.action, ()) is False:
            continue
        yield spec.palette, spec.palette_help, partial(screen.app.run_action, spec.action, screen)


class _ScreenCommands(Provider):
    table: tuple[ActionSpec, ...] = ()

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
