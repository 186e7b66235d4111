"""A whole rehearsal runs exactly what its plan shows: every executed command is a planned one.

The seam is the process spawn itself: `subprocess.Popen.__init__` is wrapped for the length of
the rehearsal, so every process rmtui starts is seen, whichever module starts it: the kit's
command runner (through `rmtui.ops.shell`), `rmtui.ops.archive`, `rmtui.ops.tarball` and
`rmtui.ops.treecompare`, GitPython and python-gnupg (both create `subprocess.Popen` objects).
Each spawn is then judged by one of three rules:

1. **Planned commands.** Everything that is not covered by rules 2 and 3 must equal a Command of
   the release's plan, argv and working directory, with its placeholders filled: fact
   placeholders (`{release.commit_sha}`, `{upstream.base_sha}`) by the values the release
   recorded, run-time ones (`{worktree}`, `{gpg.wrapper}`, `{leftover}`...) by one argument
   each. A command the plan does not name fails the test.
2. **Read-only git looks.** GitPython's queries (`rev-parse`, `ls-remote`, `cat-file`, `status`,
   `log`, `show`, `rev-list`, `merge-base`...) and the commit reads of the tarball code
   (`git archive`, `rev-parse`, `show`) change nothing. The plan names these checks as
   "check (read-only)" sentences, not argument for argument, so here they are only checked to
   be read-only verbs: any other git verb must be planned (rule 1).
3. **GPG through its libraries.** python-gnupg builds its own gpg argv (status fds, colons
   listings), and `rmtui.ops.gpg` drops the agent's cached passphrase with gpg-connect-agent.
   The plan shows those as the equivalent `gpg --detach-sign ...` by hand, which is not what
   the library spawns; such spawns are allowed only for a GPG-signed release, whose plan has
   those gpg lines.

Processes started by the spawned programs themselves (gpg run by `git tag -s`, git run by
`blurb release`) are children of other processes and are not seen here.
"""

from __future__ import annotations

import re
import subprocess
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from rmtui.core.command import PLACEHOLDER, Command
from rmtui.core.engine import Engine
from rmtui.sandbox.build import run_rehearsal
from rmtui.usecases.lifecycle import make_engine
from tests.helpers import ScriptedPrompter, make_sandbox, short_tmpdir

READ_ONLY_GIT = {
    "rev-parse",
    "ls-remote",
    "cat-file",
    "status",
    "log",
    "show",
    "rev-list",
    "merge-base",
    "archive",
    "for-each-ref",
    "symbolic-ref",
    "version",
    "branch --show-current",
}
GPG_TOOLS = {"gpg", "gpg2", "gpg-connect-agent", "gpgconf", "gpg-agent"}


@dataclass(frozen=True)
class Spawn:
    argv: tuple[str, ...]
    cwd: str


@pytest.fixture
def spawns(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[Spawn]]:
    seen: list[Spawn] = []
    lock = threading.Lock()
    original = subprocess.Popen.__init__

    def recording(self: Any, args: Any, *rest: Any, **kwargs: Any) -> None:
        argv = (args,) if isinstance(args, str | Path) else tuple(args)
        with lock:
            seen.append(Spawn(tuple(str(a) for a in argv), str(kwargs.get("cwd") or "")))
        original(self, args, *rest, **kwargs)

    monkeypatch.setattr(subprocess.Popen, "__init__", recording)
    yield seen


def git_verb(argv: tuple[str, ...]) -> str:
    """The subcommand of a git argv, after `-C PATH` and `-c KEY=VALUE` options."""
    rest = list(argv[1:])
    while rest and rest[0] in ("-C", "-c"):
        rest = rest[2:]
    while rest and rest[0].startswith("-"):
        rest = rest[1:]
    if rest[:2] == ["branch", "--show-current"]:
        return "branch --show-current"
    return rest[0] if rest else ""


def pattern(template: str, facts: dict[str, str]) -> re.Pattern[str]:
    """`template` as a regex: fact placeholders are their values, the others one argument."""
    parts: list[str] = []
    last = 0
    for match in PLACEHOLDER.finditer(template):
        parts.append(re.escape(template[last : match.start()]))
        name = match.group(1)
        parts.append(re.escape(facts[name]) if name in facts else r"\S+")
        last = match.end()
    parts.append(re.escape(template[last:]))
    return re.compile("".join(parts))


def matches(command: Command, spawn: Spawn, facts: dict[str, str]) -> bool:
    if len(command.argv) != len(spawn.argv):
        return False
    if not all(
        pattern(t, facts).fullmatch(a) for t, a in zip(command.argv, spawn.argv, strict=True)
    ):
        return False
    return bool(pattern(command.cwd, facts).fullmatch(spawn.cwd))


def planned_commands(engine: Engine) -> list[Command]:
    return [
        action.argv
        for step in engine.plan
        for action in step.plan(engine.release)
        if action.argv is not None
    ]


@dataclass
class Rehearsed:
    engine: Engine
    facts: dict[str, str]
    spawns: list[Spawn]


def rehearse(root: Path, version: str, spawns: list[Spawn]) -> Rehearsed:
    """A whole rehearsal through the engine; only the spawns of the rehearsal itself count."""
    sandbox, _release = make_sandbox(root, version)
    engine = make_engine(sandbox.workspace, ScriptedPrompter(confirm_by_default=True))
    start = len(spawns)
    with engine.opened():
        run_rehearsal(engine)
        assert engine.is_complete(), engine.blocked_reason()
        facts = {name: str(engine.state.fact(name)) for name in engine.state.facts}
    return Rehearsed(engine, facts, spawns[start:])


@pytest.mark.slow
@pytest.mark.parametrize("version", ["3.13.10", "3.14.0b1", "3.15.0a1"])
def test_every_command_a_rehearsal_runs_is_one_its_plan_shows(
    version: str, spawns: list[Spawn]
) -> None:
    with short_tmpdir("pa") as root:
        done = rehearse(root, version, spawns)
        engine, facts, seen = done.engine, done.facts, done.spawns
        planned = planned_commands(engine)
        signs_with_gpg = any(
            "gpg" in action.command for step in engine.plan for action in step.plan(engine.release)
        )
        unplanned: list[str] = []
        ran: list[Command] = []
        for spawn in seen:
            found = [c for c in planned if matches(c, spawn, facts)]
            if found:
                ran.append(found[0])
                continue
            program = Path(spawn.argv[0]).name
            if program == "git" and git_verb(spawn.argv) in READ_ONLY_GIT:
                continue
            if program in GPG_TOOLS and signs_with_gpg:
                continue
            where = f"  (in {spawn.cwd})" if spawn.cwd else ""
            unplanned.append(" ".join(spawn.argv) + where)
        assert not unplanned, "commands the plan does not name:\n" + "\n".join(unplanned)
        # The planned commands did run: the release's changes all went through them.
        verbs = {git_verb(c.argv) if c.argv[0] == "git" else Path(c.argv[0]).name for c in ran}
        expected = {"fetch", "switch", "add", "commit", "tag", "merge", "push", "worktree", "xz"}
        expected |= {"config", "sh"}
        assert expected <= verbs, f"never ran: {expected - verbs}"
        assert any("--atomic" in c.argv and "--dry-run" not in c.argv for c in ran)
        # The run log shows the filled-in values, never a placeholder.
        logs = sorted(engine.release.logs.glob("*.log"))
        shown = [
            line for log in logs for line in log.read_text().splitlines() if line.startswith("$ ")
        ]
        assert shown
        assert not [line for line in shown if PLACEHOLDER.search(line)], "unfilled placeholders"
        commit = facts["release.commit_sha"]
        assert any(commit in line for line in shown), "the log shows the release commit's SHA"
