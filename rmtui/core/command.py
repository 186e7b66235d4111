"""One command a step runs, described once: argv, working directory, sentence, placeholders."""

from __future__ import annotations

import re
import shlex
from collections.abc import Mapping
from dataclasses import dataclass, replace

# A named value only `run` learns, such as `{release.commit_sha}` or `{worktree}`.
PLACEHOLDER = re.compile(r"\{([a-z][a-z0-9_.]*)\}")
# Characters a shell takes literally; an argument made of them (and placeholders) is shown bare.
_PLAIN = re.compile(r"[\w@%+=:,./{}^~-]+")


class UnfilledPlaceholder(ValueError):
    """A command was about to run with a placeholder nobody filled in."""


@dataclass(frozen=True)
class Command:
    """What `plan()` shows and `run()` executes: the very same object for both.

    `argv` may hold placeholders (`{release.commit_sha}`); `filled()` replaces them with what
    the run learnt. `read_only` commands only look, so a probe may run them too.
    """

    argv: tuple[str, ...]
    sentence: str
    cwd: str = ""
    read_only: bool = False

    @classmethod
    def of(cls, *argv: object, sentence: str, cwd: object = "", read_only: bool = False) -> Command:
        return cls(tuple(str(a) for a in argv), sentence, str(cwd or ""), read_only)

    def placeholders(self) -> list[str]:
        names: list[str] = []
        for part in (*self.argv, self.cwd):
            for name in PLACEHOLDER.findall(part):
                if name not in names:
                    names.append(name)
        return names

    def filled(self, values: Mapping[str, object]) -> Command:
        """This command with every placeholder replaced; a missing value raises."""

        def fill(text: str) -> str:
            def one(match: re.Match[str]) -> str:
                name = match.group(1)
                if name not in values:
                    raise UnfilledPlaceholder(f"{{{name}}} in `{self.display()}` has no value")
                return str(values[name])

            return PLACEHOLDER.sub(one, text)

        return replace(self, argv=tuple(fill(a) for a in self.argv), cwd=fill(self.cwd))

    def display(self) -> str:
        """As a person would type it, placeholders left readable (secrets never reach argv)."""
        shown = " ".join(a if _PLAIN.fullmatch(a) else shlex.quote(a) for a in self.argv)
        return f"cd {_quote(self.cwd)} && {shown}" if self.cwd else shown


def _quote(text: str) -> str:
    return text if _PLAIN.fullmatch(text) else shlex.quote(text)
