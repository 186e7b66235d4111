"""The plan builder: which steps a release runs, in which order, for its release type."""

from __future__ import annotations

from rmtui.core.release import Release
from rmtui.core.step import Plan, Step
from rmtui.steps.artifact_tests import ArtifactsTestStep
from rmtui.steps.docs import DocsBuildStep
from rmtui.steps.export import ExportSourceStep, ExportVerifyStep
from rmtui.steps.fork import ForkPushStep, ForkUpdateStep
from rmtui.steps.freeze import FreezeStep, UnfreezeStep
from rmtui.steps.handoff import HandoffExpertsStep
from rmtui.steps.kit.manifest import builds_docs, has_handoff
from rmtui.steps.preflight import PreflightStep
from rmtui.steps.release_tools import ReleaseToolsStep
from rmtui.steps.sbom import SbomGenerateStep
from rmtui.steps.signing import SignArtifactsStep
from rmtui.steps.signing_preflight import SigningPreflightStep
from rmtui.steps.tag import TagCreateStep
from rmtui.steps.upstream import UpstreamPushStep


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
