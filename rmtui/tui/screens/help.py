"""F1 help: the keys that work where you are, the whole process with you on it, a glossary."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from importlib import resources

from rich.console import Group
from rich.table import Table
from rich.text import Text
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import Footer, Markdown, Static, TabbedContent, TabPane

from rmtui.core.step import Step
from rmtui.core.store import StepRecord
from rmtui.tui.present import process_picture


@dataclass(frozen=True)
class KeyHelp:
    """One key that works at the moment F1 was pressed."""

    key: str
    description: str
    tooltip: str
    where: str
    enabled: bool


@dataclass(frozen=True)
class ProcessPosition:
    """Where the open release stands, for the process picture."""

    steps: tuple[Step, ...]
    records: Mapping[str, StepRecord]
    current: Step | None


def gather_keys(screen: Screen[object]) -> list[KeyHelp]:
    """The screen's own actions first (those that do not apply now, dim), then the keys of
    the focused widget, then those that work everywhere."""
    app = screen.app
    active = screen.active_bindings
    rows: list[tuple[int, KeyHelp]] = []
    seen: set[str] = set()
    for binding_info in active.values():
        binding: Binding = binding_info.binding
        node = binding_info.node
        if binding.system:
            continue
        if node is screen and binding.id is not None:
            rank, where = 0, "this screen"
            seen.add(binding.id)
        elif node is screen or node is app:
            rank, where = 2, "everywhere"
        else:
            rank, where = 1, f"{type(node).__name__} (focused)"
        rows.append((rank, _key_help(app, binding, where, binding_info.enabled)))
    # Keys hidden because they do not apply right now are still worth knowing.
    remapped: Mapping[str, str] = getattr(app, "keys_remapped", {})
    for binding in Binding.make_bindings(type(screen).BINDINGS):
        if binding.id is not None and binding.id not in seen and not binding.system:
            seen.add(binding.id)
            key = remapped.get(binding.id, binding.key).split(",")[0].strip()
            hidden = dataclasses.replace(binding, key=key)
            rows.append((0, _key_help(app, hidden, "this screen", False)))
    rows.sort(key=lambda ranked: ranked[0])
    return [row for _rank, row in rows]


def _key_help(app: App[object], binding: Binding, where: str, enabled: bool) -> KeyHelp:
    return KeyHelp(
        key=app.get_key_display(binding),
        description=binding.description or binding.action,
        tooltip=binding.tooltip,
        where=where,
        enabled=enabled,
    )


def keys_table(rows: Iterable[KeyHelp]) -> Group:
    """One small table per place the keys come from, each under its heading."""
    parts: list[Text | Table] = []
    groups: dict[str, list[KeyHelp]] = {}
    for row in rows:
        groups.setdefault(row.where, []).append(row)
    for where, members in groups.items():
        parts.append(Text(where.capitalize(), style="bold underline"))
        table = Table(box=None, expand=True, show_header=False, padding=(0, 1))
        table.add_column("key", no_wrap=True, style="bold cyan", min_width=8)
        table.add_column("does", ratio=1)
        for row in members:
            what = Text(row.description, style="" if row.enabled else "dim")
            if row.tooltip:
                what.append(f" — {row.tooltip}", style="dim")
            table.add_row(Text(row.key, style="" if row.enabled else "dim"), what)
        parts.append(table)
        parts.append(Text(""))
    return Group(*parts)


def glossary() -> str:
    return resources.files("rmtui.tui.text").joinpath("glossary.md").read_text("utf-8")


class HelpScreen(Screen[None]):
    """Three tabs: keys, the 10-step process with the current step marked, glossary."""

    BINDINGS = [
        Binding("escape,f1", "app.pop_screen", "Back", id="help.back"),
        Binding("k", "show_tab('keys')", "Keys", id="help.keys"),
        Binding("w", "show_tab('process')", "Process", id="help.process"),
        Binding("l", "show_tab('glossary')", "Glossary", id="help.glossary"),
    ]

    def __init__(self, keys: list[KeyHelp], position: ProcessPosition | None) -> None:
        super().__init__()
        self.keys = keys
        self.position = position

    def compose(self) -> ComposeResult:
        with TabbedContent(id="help-tabs"):
            with TabPane("Keys", id="keys"), VerticalScroll():
                yield Static(self.keys_intro(), classes="help-intro")
                yield Static(keys_table(self.keys), id="keys-table")
            with TabPane("The process", id="process"), VerticalScroll():
                yield Static(self.process_text(), id="process-picture")
            with TabPane("Glossary", id="glossary"):
                yield Markdown(glossary(), id="glossary-text")
        yield Footer(compact=True)

    def keys_intro(self) -> Text:
        return Text.assemble(
            ("Keys that work where you pressed F1. ", "bold"),
            "Dim ones do not apply right now. ctrl+p opens the command palette with the same "
            'actions. Keys can be remapped in $RMTUI_HOME/keymap.toml ([keys] id = "key").',
        )

    def process_text(self) -> Text:
        text = Text()
        text.append("A CPython release in 10 stages (PEP 101)\n", style="bold")
        if self.position is None:
            text.append("Open a release to see where it stands.\n\n", style="dim")
            picture = process_picture((), {}, None)
        else:
            current = self.position.current
            where = f"you are at {current.id} ({current.phase.value})" if current else "all done"
            text.append(f"▶ marks where this release is: {where}.\n\n", style="dim")
            picture = process_picture(
                self.position.steps, self.position.records, self.position.current
            )
        text.append_text(picture)
        text.append(
            "\nStages 6 and 7 run on three machines at once: the RM builds the source "
            "tarballs while the Windows and macOS experts build installers from the same tag.\n"
            "The points of no return are stage 9 (files go public) and stage 10 (the tag goes "
            "upstream); until then, every step can be redone.",
            style="dim",
        )
        return text

    def action_show_tab(self, tab: str) -> None:
        self.query_one(TabbedContent).active = tab
