"""The release screen's header: version, release type, REHEARSAL banner, progress."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import Label

from rmtui.core.release import Release
from rmtui.tui.present import progress_bar


class ReleaseHeader(Horizontal):
    """One line: what is being released, whether it is for real, and how far it is."""

    def compose(self) -> ComposeResult:
        yield Label("rmtui", id="app-name")
        yield Label("opening…", id="release-name")
        yield Label("", id="banner")
        yield Label("", id="progress")

    def show_release(self, release: Release, security_only: bool = False) -> None:
        kind = release.release_type.value + (", security-only" if security_only else "")
        self.query_one("#release-name", Label).update(f"{release.version} · {kind}")
        banner = self.query_one("#banner", Label)
        banner.set_class(release.rehearsal, "rehearsal")
        banner.set_class(not release.rehearsal, "real")
        banner.update(" REHEARSAL " if release.rehearsal else " REAL RELEASE ")

    def show_opening(self, name: str) -> None:
        self.query_one("#release-name", Label).update(f"opening {name}…")

    def show_progress(self, done: int, total: int) -> None:
        self.query_one("#progress", Label).update(f"{progress_bar(done, total)} {done}/{total}")
