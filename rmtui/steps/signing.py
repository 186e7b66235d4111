"""sign.artifacts: sign every shipped artifact with Sigstore and GPG, then verify them all."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from rmtui.core import facts
from rmtui.core.errors import RmtuiError, SigningError, StepFailed
from rmtui.core.guide import Guide, Threat
from rmtui.core.release import Release
from rmtui.core.step import Action, Phase, Probe, ProbeContext, Step, StepContext
from rmtui.steps.kit.gate import require_recorded_files
from rmtui.steps.kit.gpg import GpgSession
from rmtui.steps.kit.manifest import (
    SUMS_FILE_NAME,
    changed_since_sums,
    listing,
    shipped_artifacts,
)
from rmtui.steps.kit.repo import planned, quiet_clone, require_release_commit
from rmtui.steps.kit.signing import (
    NetworkCheck,
    SignerFactory,
    SigningPolicy,
    SigstoreUnavailable,
    check_artifact,
    default_network_check,
    fact_key,
    signing_policy,
    sigstore_signer,
)

if TYPE_CHECKING:
    from rmtui.ops.gpg import Gpg
    from rmtui.ops.sigstore import Signer

FACT_SIGSTORE_SKIPPED = facts.SIGSTORE_SKIPPED.name
__all__ = ["FACT_SIGSTORE_SKIPPED", "SignArtifactsStep", "shipped_artifacts", "sigstore_signer"]

GUIDE = Guide(
    does="Signs every file the release ships in `artifacts/` (source tarballs, the experts' "
    "installers, the SBOMs; not `SHA256SUMS`, not existing signatures): a Sigstore bundle "
    "`FILE.sigstore` for every release (staging in rehearsals), and a detached ASCII-armored "
    "GPG signature `FILE.asc` where the profile says (PEP 761: releases before 3.14). Then it "
    "verifies every signature at once against the key and identity the profile expects, and "
    "records each artifact's SHA-256 and signature files as facts.",
    why="Users and redistributors check these signatures against CPython's published list of "
    "release managers. Verifying right away means a wrong key, identity or issuer is noticed "
    "by you, now, and not by users after publishing.",
    goes_wrong="The passphrase prompt times out, the Sigstore token expires between login and "
    "signing, an installer imported late is left unsigned, or an artifact changed after it was "
    "listed in SHA256SUMS (signing refuses it).",
    threat=Threat.MODIFIED_PACKAGE,
    threat_detail="A tarball swapped or changed after it was built or signed: its signatures no "
    "longer verify, and this step's probe reports it as inconsistent, naming the file. Where "
    "Sigstore cannot run (rehearsal without network or identity, or the profile turns it off) "
    "it is skipped with the reason written to the journal; no bundle is ever faked.",
    recover="A wrong passphrase: `rmtui secrets set gpg-passphrase`, then retry. A bundle for "
    "the wrong identity: log in with the account the profile names. A tampered or deleted "
    "artifact (signing refuses to go on without it): restore the original, or re-run the step "
    "that made it and everything after it (`rmtui redo RELEASE STEP_ID --reason TEXT`); "
    "signatures that still verify are kept.",
    who="The release manager (Sigstore login with the identity the profile lists).",
    references=("PEP 101: Sign the release artifacts", "PEP 761"),
)


class SignArtifactsStep(Step):
    id = "sign.artifacts"
    title = "Sign the artifacts"
    phase = Phase.SIGN
    # Everything the release ships must exist, checked, before anything is signed.
    requires = ("signing.preflight",)
    requires_if_planned = (
        "handoff.experts",
        "docs.build",
        "export.verify",
        "sbom.generate",
        "artifacts.test",
    )
    guide = GUIDE
    check_after_interruption = "which artifacts in artifacts/ have a .asc and .sigstore beside them"

    def __init__(
        self,
        signer_factory: SignerFactory = sigstore_signer,
        network_check: NetworkCheck = default_network_check,
    ) -> None:
        self.signer_factory = signer_factory
        self.network_check = network_check

    def plan(self, release: Release) -> list[Action]:
        return planned("the signing", lambda: self._plan(release))

    def _plan(self, release: Release) -> list[Action]:
        policy = signing_policy(release)
        folder = release.artifacts
        actions = [
            Action(f"every shipped file in {folder}, except {SUMS_FILE_NAME} and signatures")
        ]
        if policy.gpg_key:
            home = f"--homedir {policy.gpg_home} " if policy.gpg_home else ""
            actions += [
                Action(
                    f"GPG-sign each FILE with key {policy.gpg_key} into FILE.asc",
                    f"gpg {home}--pinentry-mode loopback --detach-sign --armor "
                    f"-u {policy.gpg_key} FILE",
                ),
                Action("verify each FILE.asc", f"gpg {home}--verify FILE.asc FILE"),
            ]
        else:
            actions.append(Action(f"no GPG signatures: {policy.why_no_gpg}"))
        if policy.sigstore_on:
            staging = " --staging" if policy.staging else ""
            who = f"{policy.identity} (issuer {policy.issuer})" if policy.identity else "?"
            actions += [
                Action(
                    f"Sigstore-sign each FILE on {policy.instance} into FILE.sigstore",
                    f"python -m sigstore{staging} sign --bundle FILE.sigstore FILE",
                ),
                Action(
                    f"verify each bundle for {who}",
                    f"python -m sigstore{staging} verify identity --bundle FILE.sigstore "
                    f"--cert-identity {policy.identity or 'IDENTITY'} "
                    f"--cert-oidc-issuer {policy.issuer or 'ISSUER'} --offline FILE",
                ),
            ]
        else:
            actions.append(Action('no Sigstore bundles: signing.sigstore = "off"'))
        return actions

    # probe

    def probe(self, ctx: ProbeContext) -> Probe:
        release = ctx.release
        artifacts = shipped_artifacts(release.artifacts)
        if not artifacts:
            return Probe.not_done("no artifacts to sign yet (export.source makes them)")
        policy = signing_policy(release)
        sigstore = policy.sigstore_on and not ctx.facts.get(FACT_SIGSTORE_SKIPPED)
        gpg = self._gpg(policy)
        missing: list[str] = []
        facts: dict[str, Any] = {}
        for artifact in artifacts:
            checked = check_artifact(artifact, policy, gpg, sigstore)
            missing += checked.missing
            if checked.failures:
                recorded = ctx.facts.get(fact_key(release, artifact))
                why = "; ".join(checked.failures)
                if recorded:
                    return Probe.inconsistent(
                        f"{artifact.name} no longer matches the signatures made for it: {why}"
                        + _digest_note(recorded, checked.record)
                    )
                missing.append(f"{artifact.name} (its signature does not verify: {why})")
                continue
            facts[fact_key(release, artifact)] = checked.record
        if missing:
            return Probe.not_done(f"not signed yet: {listing(missing, 4)}")
        return Probe.done(
            f"{len(artifacts)} artifact(s) carry good signatures "
            f"({self._by_whom(policy, sigstore)})",
            facts,
        )

    @staticmethod
    def _gpg(policy: SigningPolicy) -> Gpg | None:
        if policy.gpg_key is None:
            return None
        from rmtui.ops.gpg import Gpg

        return Gpg(policy.gpg_home)

    @staticmethod
    def _by_whom(policy: SigningPolicy, sigstore: bool) -> str:
        parts = []
        if policy.gpg_key:
            parts.append(f"GPG key {policy.gpg_key}")
        if sigstore:
            parts.append(f"Sigstore {policy.instance} {policy.identity} ({policy.issuer})")
        return ", ".join(parts) or "no signatures expected"

    # run

    def run(self, ctx: StepContext) -> None:
        release = ctx.release
        artifacts = shipped_artifacts(release.artifacts)
        if not artifacts:
            raise StepFailed(
                f"nothing to sign: {release.artifacts} holds no artifacts",
                "run export.source first (and import the experts' installers), then retry",
            )
        if ctx.facts.get(facts.RELEASE_COMMIT.name) is not None and release.clone.is_dir():
            require_release_commit(ctx, quiet_clone(ctx))
        _check_against_sums(release.artifacts, artifacts)
        require_recorded_files(ctx, so_far="Nothing was signed.")
        try:
            policy = signing_policy(release)
        except RmtuiError as exc:
            raise StepFailed(exc.problem, exc.hint) from exc
        signer = self._sigstore(ctx, policy)
        if policy.gpg_key is None and signer is None:
            if not release.rehearsal:
                raise StepFailed(
                    f"nothing would sign Python {policy.version}: no GPG ({policy.why_no_gpg}) "
                    "and no Sigstore",
                    'set signing.sigstore to "production" (or signing.gpg = "always") in the '
                    "profile; a release is never shipped unsigned",
                )
            ctx.output("warning: this rehearsal signs nothing: no GPG and no Sigstore here")
        session = (
            GpgSession(policy.gpg_key, policy.gpg_home, release, ctx.prompter)
            if policy.gpg_key
            else None
        )
        if session is not None:
            for warning in session.gpg.check_signing_key(session.key):
                ctx.output(f"warning: {warning}")
        self._sign_all(ctx, policy, artifacts, session, signer)
        self._verify_all(ctx, policy, artifacts, session, signer is not None)

    def _sigstore(self, ctx: StepContext, policy: SigningPolicy) -> Signer | None:
        """The Signer of this run, or None after journaling why Sigstore is skipped."""
        blocker = policy.sigstore_blocker(self.network_check)
        try:
            if blocker:
                raise SigstoreUnavailable(blocker, policy.sigstore_hint())
            signer = self.signer_factory(ctx, policy.staging, policy.expected_identity())
        except SigstoreUnavailable as exc:
            if policy.sigstore_on and not policy.rehearsal:
                raise StepFailed(
                    f"{exc.problem}; a real release must be signed with Sigstore", exc.hint
                ) from exc
            reason = exc.problem
            ctx.output(f"Sigstore skipped: {reason}")
            if ctx.facts.get(FACT_SIGSTORE_SKIPPED) != reason:
                ctx.record_fact(FACT_SIGSTORE_SKIPPED, reason)
            return None
        if ctx.facts.get(FACT_SIGSTORE_SKIPPED):
            ctx.record_fact(FACT_SIGSTORE_SKIPPED, None)
        ctx.output(f"Sigstore: signing on {policy.instance} as {policy.expected_identity()}")
        return signer

    def _sign_all(
        self,
        ctx: StepContext,
        policy: SigningPolicy,
        artifacts: list[Path],
        session: GpgSession | None,
        signer: Signer | None,
    ) -> None:
        from rmtui.ops.sigstore import sign_artifact

        total = len(artifacts)
        for number, artifact in enumerate(artifacts):
            if ctx.cancel.is_set():
                raise StepFailed(
                    f"signing stopped by the RM after {number} of {total} artifacts",
                    "retry when ready: signatures that verify are kept, the rest are made",
                )
            ctx.progress(number, total, f"signing {artifact.name}")
            if session is not None:
                if check_artifact(artifact, policy, session.gpg, False).good:
                    ctx.output(f"{artifact.name}.asc already verifies: kept")
                else:
                    ctx.output(f"GPG-signed: {session.sign(artifact).name}")
            if signer is not None:
                if check_artifact(artifact, policy, None, True).good:
                    ctx.output(f"{artifact.name}.sigstore already verifies: kept")
                else:
                    bundle = sign_artifact(signer, artifact, staging=policy.staging)
                    ctx.output(f"Sigstore-signed: {bundle.name}")
        ctx.progress(total, total, "signed")

    def _verify_all(
        self,
        ctx: StepContext,
        policy: SigningPolicy,
        artifacts: list[Path],
        session: GpgSession | None,
        sigstore: bool,
    ) -> None:
        records: dict[Path, dict[str, Any]] = {}
        for number, artifact in enumerate(artifacts):
            ctx.progress(number, len(artifacts), f"verifying {artifact.name}")
            checked = check_artifact(artifact, policy, session.gpg if session else None, sigstore)
            if not checked.good:
                problems = [*checked.failures, *(f"{name} is missing" for name in checked.missing)]
                raise SigningError(
                    f"{artifact.name} was just signed but does not verify: {'; '.join(problems)}",
                    "check the profile's GPG fingerprint and Sigstore identity and issuer for "
                    f"Python {policy.minor}, and the account you signed in with; then retry",
                )
            records[artifact] = checked.record
            ctx.output(f"verified: {artifact.name} ({self._by_whom(policy, sigstore)})")
        ctx.progress(len(artifacts), len(artifacts), "verified")
        for artifact, record in records.items():
            ctx.record_fact(fact_key(ctx.release, artifact), record)


def _digest_note(recorded: Any, now: dict[str, Any]) -> str:
    if isinstance(recorded, dict) and recorded.get("sha256") not in (None, now["sha256"]):
        return f" (sha256 was {recorded['sha256']} when signed, now {now['sha256']})"
    return ""


def _check_against_sums(folder: Path, artifacts: list[Path]) -> None:
    """Refuse to sign a file that differs from an existing SHA256SUMS: sign only what was built."""
    changed = changed_since_sums(folder, artifacts)
    if changed:
        raise StepFailed(
            f"{listing(changed, 4)} differ from their digests in {SUMS_FILE_NAME}: they changed "
            "after they were built",
            "find out why; restore the originals, or re-run the step that built them and "
            "everything after it (`rmtui redo RELEASE export.source --reason TEXT`), then retry",
        )
