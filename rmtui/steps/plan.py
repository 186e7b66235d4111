"""The plan builder: which steps a release runs, in which order, for its release type."""

from __future__ import annotations

from rmtui.core.release import Release
from rmtui.core.step import Plan, Step
from rmtui.core.version import ReleaseType
from rmtui.steps.artifact_tests import ArtifactsTestStep
from rmtui.steps.docs import DocsBuildStep
from rmtui.steps.export import ExportSourceStep, ExportVerifyStep
from rmtui.steps.fork import ForkPushStep, ForkUpdateStep
from rmtui.steps.freeze import FreezeStep, UnfreezeStep
from rmtui.steps.handoff import HandoffExpertsStep
from rmtui.steps.preflight import PreflightStep
from rmtui.steps.release_tools import ReleaseToolsStep
from rmtui.steps.sbom import SbomGenerateStep
from rmtui.steps.signing import SignArtifactsStep
from rmtui.steps.signing_preflight import SigningPreflightStep
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
    if has_handoff(release):
        steps.append(HandoffExpertsStep())
    steps.append(ExportSourceStep())
    if builds_docs(release):
        steps.append(DocsBuildStep())
    steps += [ExportVerifyStep(), SbomGenerateStep(), ArtifactsTestStep(), SignArtifactsStep()]
    steps += [UpstreamPushStep(), UnfreezeStep()]
    return Plan(tuple(steps))
