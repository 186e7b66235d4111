"""The one table of the TUI's actions: keys, footer, palette, keymap ids and when each applies."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from textual.binding import Binding, BindingType

from rmtui.core.standing import requirements_met
from rmtui.core.status import Event, Status
from rmtui.core.status import can as status_allows

if TYPE_CHECKING:
    from rmtui.core.engine import Engine
    from rmtui.core.step import Step


class ReleaseKeys(Protocol):
    """What the release screen's actions depend on (its reactives)."""

    opened: bool
    busy: bool
    selected_status: Status | None
    selected_waits_for_others: bool  # a step it requires is not settled yet
    next_id: str
    awaited: tuple[str, ...]


def can(status: Status | None, event: Event) -> bool:
    """Whether a step in `status` may take `event`: the transition table decides, not the TUI."""
    return status is not None and status_allows(status, event)


def selection(engine: Engine, step: Step) -> tuple[Status, bool]:
    """What the selected step's keys depend on: its status, and whether a step it requires
    is not settled yet (then it cannot run, whatever its status)."""
    records = engine.state.steps
    return records[step.id].status, not requirements_met(step, records)


Condition = Callable[[object], bool]


@dataclass(frozen=True)
class ActionSpec:
    """One thing the RM can do: its binding, its palette entry, and when it applies."""

    id: str  # the binding id, as named in $RMTUI_HOME/keymap.toml
    key: str
    action: str  # the action method, without `action_`
    description: str  # the footer's word for it
    tooltip: str
    palette: str = ""  # the command palette's label ("" keeps it out of the palette)
    palette_help: str = ""
    show: bool = True  # in the footer (hidden ones are in F1 help and the palette)
    applies: Condition | None = None  # None: always

    def binding(self) -> Binding:
        return Binding(
            self.key,
            self.action,
            self.description,
            show=self.show,
            id=self.id,
            tooltip=self.tooltip,
        )


def _idle_with(test: Callable[[ReleaseKeys], bool]) -> Condition:
    def applies(screen: object) -> bool:
        keys: ReleaseKeys = screen  # type: ignore[assignment]
        return keys.opened and not keys.busy and test(keys)

    return applies


def _selected_can(event: Event) -> Condition:
    return _idle_with(lambda keys: can(keys.selected_status, event))


RELEASE_ACTIONS: tuple[ActionSpec, ...] = (
    ActionSpec("run-next", "n", "run_next", "Next",
               "Run the next step that can run (marked ▸ in the checklist)",
               "Run the next step", "run the step marked ▸",
               applies=_idle_with(lambda keys: bool(keys.next_id))),
    ActionSpec("run-selected", "r", "run_selected", "Run",
               "Run the step selected in the checklist",
               "Run the selected step", "run the step under the cursor",
               applies=_idle_with(lambda keys: can(keys.selected_status, Event.START)
                                  and not keys.selected_waits_for_others)),
    ActionSpec("run-on", "g", "run_on", "Run on",
               "Run step after step, around any wait, until one fails or needs you",
               "Run on until something needs me", "run step after step", show=False,
               applies=_idle_with(lambda keys: bool(keys.next_id))),
    ActionSpec("retry", "t", "retry", "Retry", "Run the selected failed step again",
               "Retry the selected step", "run a failed step again",
               applies=_selected_can(Event.RETRY)),
    ActionSpec("skip", "s", "skip", "Skip",
               "Skip the selected step; asks for a reason for the journal",
               "Skip the selected step…", "asks for a reason",
               applies=_selected_can(Event.SKIP)),
    ActionSpec("mark-done", "d", "mark_done", "Mark done",
               "Mark the selected step done by hand; asks for a reason",
               "Mark the selected step done by hand…", "asks for a reason",
               applies=_selected_can(Event.MARK_DONE)),
    ActionSpec("unskip", "u", "unskip", "Unskip", "Take back the skip of the selected step",
               "Take back a skip", "the selected step becomes pending",
               applies=_selected_can(Event.UNSKIP)),
    ActionSpec("import-handoff", "i", "import_handoff", "Import",
               "Import an expert's folder of installers, checked against its SHA256SUMS",
               "Import an expert's artifacts…", "a folder with its SHA256SUMS; ends their wait",
               applies=_idle_with(lambda keys: bool(keys.awaited))),
    ActionSpec("stop", "x", "stop", "Stop", "Stop the running step at its next command boundary",
               "Stop the running step", "cancels its command",
               applies=lambda screen: bool(getattr(screen, "busy", False))),
    ActionSpec("journal", "j", "journal", "Journal",
               "Show the hash-chained journal of everything that happened",
               "Show the journal", "every transition, command and digest",
               applies=lambda screen: bool(getattr(screen, "opened", False))),
    ActionSpec("plan", "p", "plan", "Plan",
               "Show every step of the plan with the commands it runs",
               "Show the plan", "every step with its commands",
               applies=lambda screen: bool(getattr(screen, "opened", False))),
    ActionSpec("output-left", "left", "output_left", "Output ←",
               "Scroll the output pane left (its long lines scroll sideways)", show=False),
    ActionSpec("output-right", "right", "output_right", "Output →",
               "Scroll the output pane right, to the rest of its long lines", show=False),
    ActionSpec("output", "o", "toggle_output", "Output",
               "Give the whole screen to the output pane (again to restore)", show=False),
    ActionSpec("home", "escape", "home", "Home",
               "Close this release and go back to the list of releases",
               "Back to the list of releases", "closes this release", show=False),
)  # fmt: skip

HOME_ACTIONS: tuple[ActionSpec, ...] = (
    ActionSpec("open-release", "enter", "open", "Open", "Open the highlighted release",
               applies=lambda screen: bool(getattr(screen, "has_releases", False))),
    ActionSpec("rehearse", "r", "rehearse", "Rehearse",
               "Build a sandbox and rehearse a release in it",
               "Start a rehearsal", "build a sandbox and open it"),
    ActionSpec("new-release", "n", "new_release", "New release",
               "Start a real release from a profile file",
               "Start a new release from a profile…", "version, profile file, directory"),
    ActionSpec("refresh", "g", "refresh", "Refresh", "Read every release again",
               "Refresh the list of releases", "read every workspace again"),
)  # fmt: skip

APP_ACTIONS: tuple[ActionSpec, ...] = (
    ActionSpec("help", "f1", "help", "Help",
               "Keys for where you are, the whole process, a glossary"),
    ActionSpec("quit", "q", "quit", "Quit",
               "Quit; asks first whether to stop a running step or let it finish"),
)  # fmt: skip

# Every binding id the keymap file may name; another is a typo worth reporting.
BINDING_IDS = frozenset(spec.id for spec in (*RELEASE_ACTIONS, *HOME_ACTIONS, *APP_ACTIONS))


def bindings(table: Sequence[ActionSpec]) -> list[BindingType]:
    """The table as Textual bindings (ids and tooltips included)."""
    return [spec.binding() for spec in table]


def check(table: Iterable[ActionSpec], screen: object, action: str) -> bool:
    """Whether `action` of the table applies now; an action not in the table always does.

    False hides the key from the footer: it offers only what works right now.
    """
    for spec in table:
        if spec.action == action:
            return spec.applies is None or spec.applies(screen)
    return True
