"""The plan builder: which steps a release runs, in which order, for its release type."""

from __future__ import annotations

from rmtui.core.release import Release
from rmtui.core.step import Plan, Step
from rmtui.core.version import ReleaseType
from rmtui.steps.artifact_commands import ArtifactsTestStep, DocsBuildStep
from rmtui.steps.artifacts import ExportSourceStep, ExportVerifyStep, SbomGenerateStep
from rmtui.steps.fork import ForkPushStep, ForkUpdateStep
from rmtui.steps.freeze import FreezeStep, UnfreezeStep
from rmtui.steps.handoff import HandoffExpertsStep
from rmtui.steps.preflight import PreflightStep
from rmtui.steps.release_tools import ReleaseToolsStep
from rmtui.steps.signing import SignArtifactsStep, SigningPreflightStep
from rmtui.steps.tag import TagCreateStep
from rmtui.steps.upstream import UpstreamPushStep

# release.py builds docs for `tag.is_final or tag.level == "rc"`: level "f" covers bugfix
# releases (3.13.5) as well as X.Y.0. Security-only releases ship source only.
DOCS_RELEASE_TYPES = frozenset({ReleaseType.RC, ReleaseType.FINAL, ReleaseType.BUGFIX})


def has_handoff(release: Release) -> bool:
    """Whether the Windows and macOS experts build installers for this release."""
    return not release.security_only


def builds_docs(release: Release) -> bool:
    return not release.security_only and release.release_type in DOCS_RELEASE_TYPES


def _requiring(step: Step, needs: list[str]) -> Step:
    """`step`, needing `needs` first: the plan decides what comes before signing."""
    step.requires = tuple(needs)
    return step


def build_plan(release: Release) -> Plan:
    """The ordered steps for `release`; they differ by release type and security-only flag."""
    steps: list[Step] = [
        PreflightStep(),
        SigningPreflightStep(),
        FreezeStep(),
        ForkUpdateStep(),
        ReleaseToolsStep(),
        TagCreateStep(),
        ForkPushStep(),
    ]
    # Everything the release ships must exist, checked, before anything is signed.
    signing_needs = ["signing.preflight"]
    if has_handoff(release):
        steps.append(HandoffExpertsStep())
        signing_needs.append(HandoffExpertsStep.id)
    steps.append(ExportSourceStep())
    if builds_docs(release):
        steps.append(DocsBuildStep())
        signing_needs.append(DocsBuildStep.id)
    steps += [ExportVerifyStep(), SbomGenerateStep(), ArtifactsTestStep()]
    signing_needs += [ExportVerifyStep.id, SbomGenerateStep.id, ArtifactsTestStep.id]
    steps.append(_requiring(SignArtifactsStep(), signing_needs))
    steps += [UpstreamPushStep(), UnfreezeStep()]
    return Plan(tuple(steps))
