"""The checklist: every step of the plan grouped by phase, with status, role and marks."""

from __future__ import annotations

from collections.abc import Mapping

from rich.text import Text
from textual.widgets import OptionList
from textual.widgets.option_list import Option, OptionDoesNotExist

from rmtui.core.step import Plan, Step
from rmtui.core.store import StepRecord
from rmtui.tui.present import IRREVERSIBLE_MARK, ROLE_STYLE, glyph, phase_heading

PHASE_PREFIX = "phase:"


def row_text(
    step: Step, record: StepRecord, *, is_next: bool, id_width: int, role_width: int = 2
) -> Text:
    """`▸ ✔ fork.update    ! RM`: next marker, status glyph, id, irreversible mark, role."""
    row = Text(no_wrap=True, overflow="ellipsis")
    row.append("▸" if is_next else " ", style="bold yellow")
    row.append_text(glyph(record.status))
    row.append(" ")
    row.append(step.id.ljust(id_width), style="bold yellow" if is_next else "")
    row.append(" ")
    if step.irreversible:
        row.append(IRREVERSIBLE_MARK, style="bold white on red")
    else:
        row.append(" ")
    row.append(" ")
    role = step.role.value
    row.append(role.ljust(role_width), style=ROLE_STYLE.get(role, ""))
    return row


class Checklist(OptionList):
    """An OptionList whose options are step ids; phase headings are disabled options."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._plan: Plan | None = None
        self._id_width = 12
        self._role_width = 2
        self._row_keys: dict[str, object] = {}

    def load(self, plan: Plan, records: Mapping[str, StepRecord], next_id: str | None) -> None:
        self._plan = plan
        self._id_width = max((len(s.id) for s in plan), default=12)
        self._role_width = max((len(s.role.value) for s in plan), default=2)
        # marker, glyph, space, id, space, mark, space, role; then borders and scrollbar.
        self.styles.width = max(self._id_width + self._role_width + 10, 26)
        options: list[Option] = []
        for phase in dict.fromkeys(step.phase for step in plan):
            members = [s for s in plan if s.phase is phase]
            options.append(
                Option(
                    phase_heading(phase, (records[s.id] for s in members)),
                    id=PHASE_PREFIX + phase.value,
                    disabled=True,
                )
            )
            for step in members:
                options.append(Option(self._row(step, records, next_id), id=step.id))
        highlighted = self.highlighted_step_id
        self._row_keys = {}
        self.clear_options()
        self.add_options(options)
        self.select_step(highlighted or next_id or plan.ids[0])

    def _row(self, step: Step, records: Mapping[str, StepRecord], next_id: str | None) -> Text:
        return row_text(
            step,
            records[step.id],
            is_next=step.id == next_id,
            id_width=self._id_width,
            role_width=self._role_width,
        )

    def update_rows(self, records: Mapping[str, StepRecord], next_id: str | None) -> None:
        if self._plan is None:
            return
        for phase in dict.fromkeys(step.phase for step in self._plan):
            members = [s for s in self._plan if s.phase is phase]
            heading = phase_heading(phase, (records[s.id] for s in members))
            if self._row_keys.get(phase.value) != heading.plain:
                self._row_keys[phase.value] = heading.plain
                self.replace_option_prompt(PHASE_PREFIX + phase.value, heading)
            for step in members:
                # Only rows that changed: each replacement redraws the list.
                key = (records[step.id].status, step.id == next_id)
                if self._row_keys.get(step.id) != key:
                    self._row_keys[step.id] = key
                    self.replace_option_prompt(step.id, self._row(step, records, next_id))

    @property
    def highlighted_step_id(self) -> str | None:
        if self.highlighted is None or self.option_count == 0:
            return None
        option_id = self.get_option_at_index(self.highlighted).id
        if option_id is None or option_id.startswith(PHASE_PREFIX):
            return None
        return option_id

    def select_step(self, step_id: str) -> None:
        try:
            self.highlighted = self.get_option_index(step_id)
        except OptionDoesNotExist:
            return
