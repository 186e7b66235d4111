"""The plan builder: which steps a release runs, in which order, for its release type."""

from __future__ import annotations

from rmtui.core.release import Release
from rmtui.core.step import Plan, Step
from rmtui.steps.fork import ForkUpdateStep
from rmtui.steps.freeze import FreezeStep, UnfreezeStep
from rmtui.steps.preflight import PreflightStep


def build_plan(release: Release) -> Plan:
    """The ordered steps for `release`; they differ by release type and security-only flag."""
    steps: list[Step] = [PreflightStep(), FreezeStep(), ForkUpdateStep()]
    steps.append(UnfreezeStep())
    return Plan(tuple(steps))
