"""The final gate: what every irreversible step checks first, so nothing unchecked leaves."""

# `gate(ctx)` checks that the manifest is complete (both source tarballs, their SBOMs, the docs
# when the release type has them, each expert's installers as the profile declares them), that
# every file still has the digest recorded when it was built or imported, that every signature
# the signing policy requires exists and verifies, and that the tag and the release commit on
# the clone and on the fork are still the recorded ones. The first mismatch stops the step
# before it acts, naming the file, both digests, and the way to recover.

from __future__ import annotations

import shlex
from dataclasses import dataclass

from rmtui.core import facts
from rmtui.core.errors import RmtuiError, StepFailed
from rmtui.core.profile import EXPERT_ROLES
from rmtui.core.release import Release
from rmtui.core.status import Status
from rmtui.core.step import Action, ProbeContext, StepContext
from rmtui.ops.checksums import sha256_file
from rmtui.steps.kit.manifest import (
    builds_docs,
    delivered_files,
    has_handoff,
    recorded_files,
    sbom_names,
    shipped_artifacts,
    tarball_names,
)
from rmtui.steps.kit.repo import clone, require_fork_tag, require_release_commit
from rmtui.steps.kit.signing import check_artifact, fact_key, signing_policy

EXPORT, SBOM, DOCS, HANDOFF, SIGN = (
    "export.source",
    "sbom.generate",
    "docs.build",
    "handoff.experts",
    "sign.artifacts",
)


@dataclass(frozen=True)
class Promised:
    """One file the release ships: the digest recorded when it was made, and who made it."""

    name: str
    sha256: str | None
    made_by: str


def redo_hint(release: Release, step_id: str) -> str:
    workspace = shlex.quote(str(release.workspace))
    return (
        f"re-run the step that made it and everything after it with `rmtui redo {workspace} "
        f"{step_id} --reason TEXT`"
    )


def skipped_steps(ctx: ProbeContext) -> dict[str, str]:
    """{step id: reason} of the steps the RM skipped: their files are not promised."""
    from rmtui.core.store import StateStore

    try:
        steps = StateStore(ctx.release.state_path).load().steps
    except RmtuiError:
        return {}
    return {sid: r.reason for sid, r in steps.items() if r.status is Status.SKIPPED}


def promised_files(ctx: ProbeContext, skipped: dict[str, str]) -> tuple[list[Promised], list[str]]:
    """Every file the plan promises, with its recorded digest; and what is missing outright
    (an installer never delivered, docs never built), as sentences."""
    release = ctx.release
    files: list[Promised] = []
    missing: list[str] = []
    if EXPORT not in skipped:
        built = recorded_files(ctx, facts.TARBALLS)
        files += [Promised(n, _sha(built.get(n)), EXPORT) for n in tarball_names(release)]
    if SBOM not in skipped:
        sboms = recorded_files(ctx, facts.SBOMS)
        files += [Promised(n, _sha(sboms.get(n)), SBOM) for n in sbom_names(release)]
    if builds_docs(release) and DOCS not in skipped:
        docs = recorded_files(ctx, facts.DOCS)
        if not docs:
            missing.append(f"the docs archives ({DOCS} recorded none)")
        files += [Promised(n, _sha(r), DOCS) for n, r in sorted(docs.items())]
    if has_handoff(release) and HANDOFF not in skipped:
        version = str(release.version)
        for role in EXPERT_ROLES:
            delivered = delivered_files(ctx.facts.get, role)
            files += [Promised(n, _sha(r), HANDOFF) for n, r in sorted(delivered.items())]
            for installer in release.profile.installers_of(role):
                found = sum(installer.matches(n, version) for n in delivered)
                if found < installer.count and not installer.optional:
                    missing.append(
                        f"{role}'s {installer.name_pattern(version)} ({installer.platform})"
                    )
    return files, missing


def _sha(record: object) -> str | None:
    return str(record["sha256"]) if isinstance(record, dict) and "sha256" in record else None


def require_promised_files(ctx: StepContext, *, so_far: str = "") -> list[Promised]:
    """Stop unless every promised file is there with the digest recorded when it was made."""
    release = ctx.release
    skipped = skipped_steps(ctx)
    for step_id, reason in skipped.items():
        if step_id in (EXPORT, SBOM, DOCS, HANDOFF, SIGN):
            ctx.output(f"gate: {step_id} was skipped ({reason}): its files are not checked")
    files, missing = promised_files(ctx, skipped)
    after = f". {so_far}" if so_far else ""
    if missing:
        raise StepFailed(
            f"the release lacks {missing[0]}{after}",
            "import the missing installers with `rmtui handoff import`, or build what is "
            "missing; an installer the release may ship without is marked optional in the "
            "profile's [[installers]]",
        )
    check_files(release, files, after)
    return files


def recorded_promises(ctx: ProbeContext) -> list[Promised]:
    """The files built or imported so far, each with the digest recorded then."""
    found: list[Promised] = []
    for fact, made_by in ((facts.TARBALLS, EXPORT), (facts.SBOMS, SBOM), (facts.DOCS, DOCS)):
        found += [Promised(n, _sha(r), made_by) for n, r in recorded_files(ctx, fact).items()]
    for role in EXPERT_ROLES:
        delivered = delivered_files(ctx.facts.get, role)
        found += [Promised(n, _sha(r), HANDOFF) for n, r in sorted(delivered.items())]
    return found


def require_recorded_files(ctx: StepContext, *, so_far: str = "") -> None:
    """Stop unless every file built or imported so far is there, with its recorded digest:
    signing must never "succeed" without a source tarball that was deleted."""
    check_files(ctx.release, recorded_promises(ctx), f". {so_far}" if so_far else "")


def check_files(release: Release, files: list[Promised], after: str) -> None:
    for promised in files:
        path = release.artifacts / promised.name
        if promised.sha256 is None:
            raise StepFailed(
                f"{promised.name} has no digest recorded by {promised.made_by}{after}",
                redo_hint(release, promised.made_by),
            )
        if not path.is_file():
            raise StepFailed(
                f"{promised.name} is missing from {release.artifacts} ({promised.made_by} made "
                f"it with sha256 {promised.sha256}){after}",
                f"restore the file, or {redo_hint(release, promised.made_by)}",
            )
        now = sha256_file(path)
        if now != promised.sha256:
            raise StepFailed(
                f"{promised.name} changed after {promised.made_by} made it: sha256 "
                f"{promised.sha256} then, {now} now{after}",
                f"find out what changed it; restore the original, or "
                f"{redo_hint(release, promised.made_by)}",
            )


def require_signatures(
    ctx: StepContext, promised: list[Promised], skipped: dict[str, str], *, so_far: str = ""
) -> None:
    """Stop unless every shipped file is promised and carries the signatures policy requires."""
    release = ctx.release
    after = f". {so_far}" if so_far else ""
    known = {p.name for p in promised}
    for path in shipped_artifacts(release.artifacts):
        name = path.relative_to(release.artifacts).as_posix()
        if name not in known:
            raise StepFailed(
                f"{name} is in {release.artifacts} but no step built or imported it{after}",
                "find out where it came from; remove it if it does not ship, then retry",
            )
    if SIGN in skipped:
        return
    policy = signing_policy(release)
    sigstore = policy.sigstore_on and not facts.SIGSTORE_SKIPPED.get(ctx.facts)
    gpg = None
    if policy.gpg_key is not None:
        from rmtui.ops.gpg import Gpg

        gpg = Gpg(policy.gpg_home)
    for promised_file in promised:
        artifact = release.artifacts / promised_file.name
        checked = check_artifact(artifact, policy, gpg, sigstore)
        problems = [*(f"{n} is missing" for n in checked.missing), *checked.failures]
        if problems:
            raise StepFailed(
                f"{promised_file.name}: {'; '.join(problems)}{after}",
                f"restore the signature files, or {redo_hint(release, SIGN)}",
            )
        signed = ctx.facts.get(fact_key(release, artifact))
        recorded = _sha(signed)
        if recorded != checked.record["sha256"]:
            raise StepFailed(
                f"{promised_file.name} was signed with sha256 {recorded or 'nothing recorded'}, "
                f"it is {checked.record['sha256']} now{after}",
                redo_hint(release, SIGN),
            )


def require_recorded_refs(ctx: StepContext, *, so_far: str = "") -> str:
    """The recorded release commit, after checking the clone's tag (commit and tag object)
    and the fork's tag still resolve to it."""
    repo = clone(ctx)
    commit = require_release_commit(ctx, repo, so_far=so_far)
    tag = ctx.release.version.tag
    local = repo.commit_of(f"refs/tags/{tag}")
    if local is None:
        raise StepFailed(
            f"the local tag {tag} is gone; the recorded release commit is {commit}"
            + (f". {so_far}" if so_far else ""),
            "find out who deleted it; fetch it back from your fork "
            f"(git -C {ctx.release.clone} fetch {ctx.release.profile.repos.fork_remote} tag "
            f"{tag}), then retry",
        )
    recorded_object = facts.TAG_OBJECT.get(ctx.facts)
    tag_object = repo.rev_parse(f"refs/tags/{tag}")
    if recorded_object is not None and tag_object != recorded_object:
        raise StepFailed(
            f"the local tag {tag} is object {tag_object}, but tag.create made {recorded_object}:"
            " it was re-made" + (f". {so_far}" if so_far else ""),
            "find out who re-made it; the tag pushed to your fork is the one experts built "
            "from. Restore it from the fork, then retry",
        )
    require_fork_tag(ctx, repo, commit, so_far=so_far)
    return commit


def gate(ctx: StepContext, *, so_far: str) -> str:
    """Check everything before an irreversible step acts; the release commit when all holds.

    `so_far` says what has (not) happened yet ("Nothing was pushed to upstream.").
    """
    ctx.output("gate: checking the manifest, digests, signatures, tag and commit")
    promised = require_promised_files(ctx, so_far=so_far)
    require_signatures(ctx, promised, skipped_steps(ctx), so_far=so_far)
    commit = require_recorded_refs(ctx, so_far=so_far)
    ctx.output(f"gate: {len(promised)} file(s) match their records; tag and commit {commit}")
    return commit


def gate_actions() -> list[Action]:
    return [
        Action(
            "the final gate (read-only): both source tarballs, their SBOMs, the docs when this "
            "release has them and each expert's installers as the profile declares them are "
            "in artifacts/ with the digests recorded when they were built or imported; every "
            ".asc and .sigstore the signing policy requires verifies; the local and the fork's "
            "tag still resolve to the recorded commit {release.commit_sha}"
        )
    ]
