"""Writes docs/steps.md from the steps' guides: `python scripts/steps_doc.py [--check]`."""

from __future__ import annotations

import sys
from pathlib import Path

from rmtui.core.release import Release
from rmtui.core.step import Step
from rmtui.core.version import parse_version
from rmtui.sandbox.build import Sandbox, sandbox_profile
from rmtui.steps.plan import build_plan

TARGET = Path(__file__).resolve().parent.parent / "docs" / "steps.md"
# Release types whose plans together hold every step (a bugfix release has them all today;
# the others are here so that a step only they have still gets documented).
VERSIONS = ("3.13.5", "3.14.0b1", "3.15.0a1", "3.14.0rc1")


def every_step() -> list[Step]:
    found: dict[str, Step] = {}
    for text in VERSIONS:
        version = parse_version(text)
        sandbox = Sandbox(Path("/nonexistent"), version)
        release = Release(version, sandbox_profile(sandbox, "0" * 40), sandbox.workspace)
        for step in build_plan(release):
            found.setdefault(step.id, step)
    return list(found.values())


def render() -> str:
    """docs/steps.md: one section per step, the guide's fields in order."""
    lines = [
        "# The steps",
        "",
        "Generated from each step's guide (`rmtui/steps/*.py`) by `scripts/steps_doc.py`;",
        "edit the guides, not this file. `tests/steps/test_guides.py` checks it is current.",
        "",
    ]
    for step in every_step():
        guide = step.guide
        assert guide is not None, step.id
        lines += [f"## `{step.id}`: {step.title}", ""]
        lines += [f"Phase: {step.phase.value}. Role: {step.role.value}.", ""]
        if step.irreversible:
            lines += ["**A point of no return.** " + " ".join(step.consequences.split()), ""]
        for heading, text in guide.sections():
            lines += [f"**{heading}.** {' '.join(text.split())}", ""]
    return "\n".join(lines).rstrip() + "\n"


def main(argv: list[str]) -> int:
    text = render()
    if "--check" in argv:
        current = TARGET.read_text(encoding="utf-8") if TARGET.exists() else ""
        if current != text:
            print(f"{TARGET} is stale: run python scripts/steps_doc.py", file=sys.stderr)
            return 1
        return 0
    TARGET.write_text(text, encoding="utf-8")
    print(f"wrote {TARGET}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
