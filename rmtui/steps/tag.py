"""tag.create: the annotated (and, where the profile says, GPG-signed) release tag."""

from __future__ import annotations

import os
from pathlib import Path

from rmtui.core.errors import RmtuiError, SigningError, StepFailed
from rmtui.core.release import Release
from rmtui.core.step import Action, Phase, Probe, Step, StepContext
from rmtui.ops.git import GitRepo
from rmtui.steps.common import FACT_RELEASE_COMMIT, FACT_TAG_OBJECT, FACT_TAG_SIGNED, clone

GPG_PASSPHRASE_SECRET = "gpg-passphrase"


def signing_key(release: Release) -> str | None:
    """The GPG fingerprint that signs this release's tag, or None for an unsigned tag."""
    if not release.profile.signing.uses_gpg(release.version):
        return None
    fingerprint = release.profile.signing.signer_for(release.version).gpg_fingerprint
    if not fingerprint:
        raise StepFailed(
            f"the profile says to GPG-sign {release.version} but names no GPG fingerprint for "
            f"{release.version.minor_version}",
            f'set gpg_fingerprint in [signing.signers."{release.version.minor_version}"]',
        )
    return fingerprint


def gnupghome(release: Release) -> Path | None:
    configured = release.profile.signing.gnupghome
    if configured:
        return Path(configured).expanduser()
    env = os.environ.get("GNUPGHOME")
    return Path(env) if env else None


def stored_passphrase(release: Release) -> str | None:
    """The GPG passphrase from keyring, if the RM stored one (never from a file)."""
    from rmtui.ops.secrets import Secrets

    try:
        return Secrets(release.profile.name).get(GPG_PASSPHRASE_SECRET)
    except RmtuiError:
        return None


def verify_tag_env(release: Release) -> dict[str, str]:
    home = gnupghome(release)
    return {"GNUPGHOME": str(home)} if home else {}


def tag_problem(repo: GitRepo, tag: str, commit: str) -> str:
    """Why the existing `tag` is not the release tag ("" when it points at `commit`)."""
    target = repo.commit_of(f"refs/tags/{tag}")
    if target is None:
        return f"{tag} does not exist"
    if target != commit:
        return f"the tag {tag} exists but points at {target}, not at the release commit {commit}"
    return ""


class TagCreateStep(Step):
    id = "tag.create"
    title = "Create the release tag"
    phase = Phase.TAG
    requires = ("release.tools",)
    help = """\
**What it does.** Creates the annotated tag `v<version>` on the release commit, signed with the
RM's GPG key when the profile says so (PEP 761: releases before 3.14), verifies the signature with
`git verify-tag`, and records both the commit SHA and the tag object SHA.

**Why.** From here on the recorded *commit SHA* is the truth. A tag is only a name and can be
moved; every later step checks that the tag still resolves to the recorded commit.

**Passphrase.** It comes from keyring (`rmtui secrets set gpg-passphrase`) or from a prompt, and
reaches gpg in loopback mode through a pipe: pinentry never runs, and the passphrase never
touches disk, logs or the journal.

**How to recover.** A tag of that name pointing elsewhere stops the step, naming both SHAs:
delete the stray tag (`git tag -d v<version>`) if it is yours, then retry. A wrong passphrase:
store the right one and retry.
"""
    check_after_interruption = "whether the tag v<version> exists and points at the release commit"

    def plan(self, release: Release) -> list[Action]:
        tag = release.version.tag
        path = release.clone
        try:
            key = signing_key(release)
        except RmtuiError as exc:
            return [Action(f"cannot plan the tag: {exc.problem}")]
        create = (
            f"git -C {path} tag -s -u {key} -m 'Python {release.version}' {tag} <release commit>"
            if key
            else f"git -C {path} tag -a -m 'Python {release.version}' {tag} <release commit>"
        )
        actions = [Action(f"{'signed' if key else 'annotated'} tag {tag}", create)]
        if key:
            actions.append(Action("verify the signature", f"git -C {path} verify-tag {tag}"))
        return actions

    def probe(self, ctx: StepContext) -> Probe:
        commit = ctx.facts.get(FACT_RELEASE_COMMIT)
        if commit is None:
            return Probe.not_done("no release commit recorded yet")
        repo = GitRepo(ctx.release.clone)
        tag = ctx.release.version.tag
        if repo.rev_parse(f"refs/tags/{tag}") is None:
            return Probe.not_done(f"{tag} does not exist yet")
        problem = tag_problem(repo, tag, str(commit))
        if problem:
            return Probe.inconsistent(problem)
        tag_object = repo.rev_parse(f"refs/tags/{tag}")
        return Probe.done(
            f"{tag} points at the release commit {str(commit)[:12]}",
            {FACT_TAG_OBJECT: tag_object, FACT_TAG_SIGNED: self._is_signed(repo, tag)},
        )

    @staticmethod
    def _is_signed(repo: GitRepo, tag: str) -> bool:
        body = repo.quiet("cat-file", "tag", f"refs/tags/{tag}")
        return "-----BEGIN PGP SIGNATURE-----" in body

    def run(self, ctx: StepContext) -> None:
        release = ctx.release
        commit = str(ctx.facts.require(FACT_RELEASE_COMMIT))
        tag = release.version.tag
        repo = clone(ctx)
        if repo.rev_parse(f"refs/tags/{tag}") is not None:
            problem = tag_problem(repo, tag, commit)
            if problem:
                raise StepFailed(
                    problem,
                    f"if the tag is a leftover of yours, delete it (git -C {release.clone} "
                    f"tag -d {tag}) and retry; if not, find out who made it",
                )
            ctx.output(f"{tag} already points at the release commit")
        else:
            key = signing_key(release)
            message = f"Python {release.version}"
            if key is None:
                repo.run("tag", "-a", "-m", message, tag, commit)
            else:
                self._signed_tag(ctx, repo, key, message, tag, commit)
        tag_object = repo.rev_parse(f"refs/tags/{tag}")
        signed = self._is_signed(repo, tag)
        if signed:
            repo.run(
                "verify-tag",
                tag,
                env=verify_tag_env(release),
                hint="the tag signature does not verify: check the key and gpg",
            )
        ctx.record_fact(FACT_TAG_OBJECT, tag_object)
        ctx.record_fact(FACT_TAG_SIGNED, signed)
        ctx.output(f"{tag} = tag object {tag_object} on commit {commit}")

    def _signed_tag(
        self, ctx: StepContext, repo: GitRepo, key: str, message: str, tag: str, commit: str
    ) -> None:
        from rmtui.ops.gpg import Gpg, loopback_git_signing

        release = ctx.release
        home = gnupghome(release)
        gpg = Gpg(home)
        for warning in gpg.check_signing_key(key):
            ctx.output(f"warning: {warning}")
        passphrase = stored_passphrase(release)
        for attempt in range(2):
            with loopback_git_signing(passphrase, home) as signing:
                try:
                    repo.run(
                        *signing.git_config_args,
                        "tag",
                        "-s",
                        "-u",
                        key,
                        "-m",
                        message,
                        tag,
                        commit,
                        env=signing.env,
                        pass_fds=signing.pass_fds,
                    )
                    return
                except RmtuiError:
                    failure = signing.failure(key)
            needs_passphrase = "needs a passphrase" in failure.problem
            if attempt == 0 and needs_passphrase and passphrase is None:
                passphrase = ctx.prompter.secret(f"Passphrase for GPG key {key}")
                continue
            raise SigningError(failure.problem, failure.hint)
