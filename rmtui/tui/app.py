"""The rmtui Textual app, built from injected services; `run_app` is what the CLI calls."""

from __future__ import annotations

import gc
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from textual.app import App
from textual.screen import Screen

from rmtui.tui import services
from rmtui.tui.actions import APP_ACTIONS, bindings
from rmtui.tui.clock import now
from rmtui.tui.screens.home import HomeScreen

if TYPE_CHECKING:
    from rmtui.tui.screens.release import ReleaseScreen


class RmtuiApp(App[None]):
    """The home screen at the bottom of the stack, a release screen on top when one is open."""

    # Absolute, so that subclasses defined elsewhere (benchmarks) still find it.
    CSS_PATH = Path(__file__).with_name("app.tcss")
    TITLE = "rmtui"
    ENABLE_COMMAND_PALETTE = True

    BINDINGS = bindings(APP_ACTIONS)

    def __init__(
        self,
        workspace: Path | None = None,
        *,
        engine_factory: services.EngineFactory = services.open_engine,
        clock: services.Clock = now,
        finder: services.Finder = services.find_releases,
        sandbox_builder: services.SandboxBuilder = services.build_rehearsal,
        release_starter: services.ReleaseStarter = services.start_release,
        stand_in_finder: services.StandInFinder = services.stand_in_folders,
        keymap: Mapping[str, str] | None = None,
        default_rehearsal_version: str = "",
    ) -> None:
        super().__init__()
        self.workspace = workspace
        self.engine_factory = engine_factory
        self.clock = clock
        self.finder = finder
        self.sandbox_builder = sandbox_builder
        self.release_starter = release_starter
        self.stand_in_finder = stand_in_finder
        # None: read $RMTUI_HOME/keymap.toml once the first screen is up.
        self.startup_keymap = None if keymap is None else dict(keymap)
        self.keys_remapped: dict[str, str] = {}  # binding id -> key, as the keymap set them
        # "": the sandbox's own default, looked up when a rehearsal is started.
        self.default_rehearsal_version = default_rehearsal_version

    def get_default_screen(self) -> Screen[None]:
        return HomeScreen()

    def on_mount(self) -> None:
        # Everything built so far (Textual, styles, the first screen) lives as long as the
        # app: keep it out of the garbage collector's full passes, which a step printing
        # hundreds of thousands of lines would otherwise trigger again and again.
        self.call_after_refresh(gc.freeze)
        if self.startup_keymap is None:
            self.call_after_refresh(self._load_keymap)
        else:
            self.remap(self.startup_keymap)
        if self.workspace is not None:
            from rmtui.tui.screens.release import ReleaseScreen

            self.push_screen(ReleaseScreen(self.workspace))

    def _load_keymap(self) -> None:
        from rmtui.tui.keymap import load_keymap

        keymap, problems = load_keymap()
        if keymap:
            self.remap(keymap)
        for problem in problems:
            self.notify(problem, title="keymap", severity="warning", timeout=10)

    def remap(self, keymap: Mapping[str, str]) -> None:
        self.keys_remapped = dict(keymap)
        self.set_keymap(self.keys_remapped)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        from textual.widgets import Input

        # A letter typed into a field is text, not a key: offer q only where it quits.
        return not (action == "quit" and isinstance(self.screen.focused, Input))

    def release_screen(self) -> ReleaseScreen | None:
        from rmtui.tui.screens.release import ReleaseScreen

        for screen in reversed(self.screen_stack):
            if isinstance(screen, ReleaseScreen):
                return screen
        return None

    def action_help(self) -> None:
        from rmtui.tui.guidance import current_step
        from rmtui.tui.screens.help import HelpScreen, ProcessPosition, gather_keys

        if isinstance(self.screen, HelpScreen):
            self.pop_screen()
            return
        keys = gather_keys(self.screen)
        position = None
        release = self.release_screen()
        if release is not None and release.engine is not None:
            engine = release.engine
            position = ProcessPosition(
                tuple(engine.plan), dict(engine.state.steps), current_step(engine)
            )
        self.push_screen(HelpScreen(keys, position))

    async def action_quit(self) -> None:
        release = self.release_screen()
        if release is not None:
            release.request_quit()
            return
        self.exit()


def run_app(workspace: Path | None) -> None:
    """Open the TUI: the home screen, or straight on the release in `workspace`."""
    RmtuiApp(workspace).run()
