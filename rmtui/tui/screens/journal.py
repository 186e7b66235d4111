"""The journal screen: every recorded event of the release, and whether its hash chain holds."""

from __future__ import annotations

import json
from typing import Any

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Static

from rmtui.core.engine import Engine
from rmtui.core.errors import RmtuiError

HIDDEN_FIELDS = ("seq", "ts", "kind", "prev", "step")
KIND_STYLE = {
    "transition": "",
    "fact": "green",
    "point-of-no-return": "bold red",
    "declined": "yellow",
    "fulfilled": "cyan",
}


def entry_detail(entry: dict[str, Any]) -> str:
    fields = {k: v for k, v in entry.items() if k not in HIDDEN_FIELDS}
    if entry.get("kind") == "transition":
        moved = f"{fields.pop('old', '?')} → {fields.pop('new', '?')}"
        fields.pop("event", None)
        rest = " ".join(f"{k}={v}" for k, v in fields.items() if v not in ("", None, []))
        return f"{moved} {rest}".strip()
    return " ".join(f"{k}={v}" for k, v in fields.items() if v not in ("", None, []))


def short_time(ts: str) -> str:
    """`2026-11-03T10:00:00Z` as `11-03 10:00:00`: the table keeps its width for the detail."""
    return ts[5:19].replace("T", " ") if len(ts) >= 19 else ts


def entry_text(entry: dict[str, Any]) -> Text:
    """The whole entry, every field on its own line, for the row under the cursor."""
    text = Text()
    text.append(f"#{entry.get('seq', '')} ", style="bold")
    text.append(f"{entry.get('ts', '')} ", style="dim")
    kind = str(entry.get("kind", ""))
    text.append(kind, style=KIND_STYLE.get(kind, "") or "bold")
    if entry.get("step"):
        text.append(f" · {entry['step']}", style="bold")
    for key, value in entry.items():
        if key in HIDDEN_FIELDS or value in ("", None, []):
            continue
        shown = value if isinstance(value, str) else json.dumps(value, sort_keys=True)
        text.append(f"\n{key}", style="cyan")
        text.append(f" = {shown}")
    return text


class JournalScreen(Screen[None]):
    """Read-only view of journal.jsonl, newest last."""

    BINDINGS = [
        Binding("escape,j", "app.pop_screen", "Back", id="journal.back"),
    ]

    def __init__(self, engine: Engine) -> None:
        super().__init__()
        self.engine = engine
        self.entries: list[dict[str, Any]] = []

    def compose(self) -> ComposeResult:
        yield Static(id="journal-head")
        table: DataTable[Text | str] = DataTable(id="journal", cursor_type="row")
        yield table
        yield Static(id="journal-entry")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        journal = self.engine.journal
        state = self.engine.state
        head = self.query_one("#journal-head", Static)
        try:
            entries = self.entries = journal.entries()
            problems = journal.verify((state.journal_seq, state.journal_sha))
        except RmtuiError as exc:
            head.update(Text(f"The journal cannot be read: {exc.problem}", style="bold red"))
            return
        if problems:
            head.update(Text("Chain BROKEN: " + "; ".join(problems), style="bold red"))
        else:
            head.update(
                Text.assemble(
                    ("✔ ", "green"),
                    f"{len(entries)} entries, hash chain verified · ",
                    (str(journal.path), "dim"),
                )
            )
        table = self.query_one(DataTable)
        table.add_columns("#", "time", "event", "step", "detail")
        for entry in entries:
            kind = str(entry.get("kind", ""))
            table.add_row(
                str(entry.get("seq", "")),
                short_time(str(entry.get("ts", ""))),
                Text(kind, style=KIND_STYLE.get(kind, "")),
                str(entry.get("step", "")),
                entry_detail(entry),
            )
        table.move_cursor(row=len(entries) - 1)
        table.focus()

    @on(DataTable.RowHighlighted)
    def _show_entry(self, event: DataTable.RowHighlighted) -> None:
        if 0 <= event.cursor_row < len(self.entries):
            entry = self.entries[event.cursor_row]
            self.query_one("#journal-entry", Static).update(entry_text(entry))
