"""The TUI tests' plan: marker-file steps with output and help, and apps opened on them."""

from __future__ import annotations

import html
import re
import shutil
import sys
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from textual.pilot import Pilot

from rmtui.core.engine import Engine
from rmtui.core.errors import StepFailed
from rmtui.core.events import Listener
from rmtui.core.release import Release
from rmtui.core.step import (
    Action,
    Phase,
    Plan,
    Prompter,
    Step,
    StepContext,
    Waiting,
)
from rmtui.core.store import StateStore
from rmtui.ops import shell
from rmtui.tui.app import RmtuiApp
from tests.helpers import FakeStep, fake_release, headless_prompter

FIXED_TIME = "2026-11-03T10:00:00Z"
FAKE_VERSION = "3.14.0"


def fixed_clock() -> str:
    return FIXED_TIME


def no_stand_ins(workspace: Path) -> dict[str, Path]:
    """A fake release has no sandbox around it, so no stand-in deliveries."""
    return {}


class MarkerStep(FakeStep):
    """The suite's one FakeStep, with its effect as the marker file world/<id> in the
    workspace (so it survives a restart, as resume needs); subclasses set title, help, lines."""

    marker_file = True


class CheckStep(MarkerStep):
    id = "check"
    title = "Check the tools"
    phase = Phase.PREPARE
    help = "**What it does.** Checks that the tools are there.\n\n**How to recover.** Retry."
    lines = ("git version 2.39.5", "gpg (GnuPG) 2.2.40", "all tools present")


class BuildStep(MarkerStep):
    id = "build"
    title = "Build the tarballs"
    phase = Phase.BUILD
    requires = ("check",)
    help = "**What it does.** Builds `Python-3.14.0.tgz` from the recorded commit."
    lines = tuple(f"adding Python-3.14.0/Lib/module_{n}.py" for n in range(12))

    def act(self, ctx: StepContext) -> None:
        ctx.record_fact("build.sha256", "9f2c" + "0" * 60)


class DocsStep(MarkerStep):
    id = "docs"
    title = "Build the documentation"
    phase = Phase.BUILD
    requires = ("build",)
    help = "**What it does.** Builds the HTML and PDF docs (rc and final only)."


class FragileStep(MarkerStep):
    """Fails until world/fixed exists: the failed-step-with-hint state."""

    id = "verify"
    title = "Verify the tarball contents"
    phase = Phase.BUILD
    requires = ("docs",)
    help = "**What it does.** Compares the tarball with `git archive` of the release commit."

    def act(self, ctx: StepContext) -> None:
        if not (ctx.workspace / "world" / "fixed").exists():
            ctx.output("comparing Python-3.14.0.tgz with git archive 1327d24e")
            raise StepFailed(
                "Python-3.14.0.tgz holds Lib/extra.py, which git archive of 1327d24e lacks",
                "rebuild the tarball from the recorded commit (retry build), then retry",
            )


class HandoffStep(MarkerStep):
    id = "handoff.experts"  # the real step's id: the import action (i) applies to it
    title = "Hand the tag to the experts"
    phase = Phase.HANDOFF
    requires = ("verify",)
    help = "**What it does.** Sends the tag and SHA to the Windows and macOS experts."

    def run(self, ctx: StepContext) -> Waiting | None:
        ctx.output("tag v3.14.0 = 1327d24e sent to the experts")
        return Waiting(("Windows", "macOS"), "Build the installers from v3.14.0 (1327d24e).")


class PublishStep(MarkerStep):
    id = "publish"
    title = "Publish to the downloads server"
    phase = Phase.PUBLISH
    irreversible = True
    requires = ("handoff.experts",)
    consequences = "Mirrors copy the files within minutes; a published file is never replaced."
    help = "**What it does.** Copies the signed artifacts to the downloads server."

    def plan(self, release: Release) -> list[Action]:
        return [
            Action(
                "copy the artifacts to downloads/3.14.0/",
                "rsync -a artifacts/ downloads.example:/srv/www/ftp/python/3.14.0/",
            )
        ]


class SlowStep(MarkerStep):
    """Runs `sleep` through the real shell runner, so Stop cancels a real command."""

    id = "slow"
    title = "A slow build"
    phase = Phase.BUILD
    seconds = 30.0

    def act(self, ctx: StepContext) -> None:
        ctx.output("building slowly")
        shell.run(["sleep", str(self.seconds)], sink=ctx.output, cancel=ctx.cancel)


class GateStep(MarkerStep):
    """Runs until the test opens its gate (or the RM stops it)."""

    id = "gate"
    title = "A build the test finishes"
    phase = Phase.BUILD

    def __init__(self) -> None:
        self.gate = threading.Event()

    def act(self, ctx: StepContext) -> None:
        ctx.output("waiting for the gate")
        while not self.gate.wait(0.05):
            if ctx.cancel.is_set():
                raise StepFailed("stopped by the RM at the gate", "retry the step")


class FloodStep(MarkerStep):
    """Prints many lines through a real subprocess, like a build does."""

    id = "flood"
    title = "A noisy build"
    phase = Phase.BUILD
    count = 20_000

    def act(self, ctx: StepContext) -> None:
        shell.run(
            [sys.executable, "-c", f"for i in range({self.count}): print('line', i)"],
            sink=ctx.output,
            cancel=ctx.cancel,
            echo=False,
        )


class AskingStep(MarkerStep):
    """Asks every kind of question a real step may ask."""

    id = "ask"
    title = "Ask the RM"
    phase = Phase.SIGN

    def act(self, ctx: StepContext) -> None:
        secret = ctx.prompter.secret("GPG passphrase")
        ctx.output(f"received a passphrase of {len(secret)} characters")
        ctx.output(f"echoing it would show: {secret}")
        name = ctx.prompter.text("Your name", default="Sandbox RM")
        ctx.output(f"name: {name}")
        kind = ctx.prompter.choice("Which signature?", ["sigstore", "gpg"], default="sigstore")
        ctx.output(f"kind: {kind}")
        code = ctx.prompter.oauth_code("https://oauth2.sigstage.dev/auth?state=xyz")
        ctx.output(f"code: {code}")
        if not ctx.prompter.confirm("Go on?"):
            raise StepFailed("not confirmed", "retry and confirm")


def fake_plan(*extra: Step) -> Plan:
    return Plan(
        (CheckStep(), BuildStep(), DocsStep(), FragileStep(), HandoffStep(), PublishStep(), *extra)
    )


class FakeRelease:
    """A workspace initialised for a fake plan, and the factory the app opens it with."""

    def __init__(self, workspace: Path, plan: Plan, *, rehearsal: bool = True) -> None:
        self.workspace = workspace
        self.plan = plan
        self.release = fake_release(workspace, FAKE_VERSION, rehearsal=rehearsal)
        workspace.mkdir(parents=True, exist_ok=True)
        Engine(self.release, plan, headless_prompter(), clock=fixed_clock).initialise()

    def factory(
        self,
        workspace: Path,
        prompter: Prompter,
        listeners: Sequence[Listener],
        clock: Callable[[], str],
    ) -> Engine:
        assert workspace == self.workspace
        return Engine(self.release, self.plan, prompter, listeners=listeners, clock=clock)

    def app(self, **kwargs: Any) -> RmtuiApp:
        kwargs.setdefault("stand_in_finder", no_stand_ins)
        return RmtuiApp(self.workspace, engine_factory=self.factory, clock=fixed_clock, **kwargs)

    def state(self) -> dict[str, Any]:
        """state.json as the engine last wrote it, step id -> record."""
        loaded = StateStore(self.release.state_path).load()
        return {sid: rec for sid, rec in loaded.steps.items()}

    def engine_for_setup(self) -> Engine:
        """An engine outside the app, to put the release in a state before a test opens it."""
        return Engine(self.release, self.plan, headless_prompter(), clock=fixed_clock)


def fixed_workspace(name: str) -> Path:
    """A fixed path (snapshots show paths), emptied first."""
    path = Path("/tmp") / f"rmtui-snap-{name}"
    if path.exists():
        shutil.rmtree(path)
    return path


def screen_text(app: RmtuiApp) -> str:
    """What the terminal shows, as plain text (from the app's own SVG export)."""
    svg = app.export_screenshot()
    return html.unescape(re.sub(r"<[^>]+>", "", svg)).replace("\xa0", " ")


async def until(
    pilot: Pilot[Any], predicate: Callable[[], bool], what: str, timeout: float = 20.0
) -> None:
    """Let the app run until `predicate` holds."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await pilot.pause(0.02)
    # A screen that just became current may not have composed its widgets yet: let the app
    # process what is pending before the caller queries it.
    await pilot.pause()
