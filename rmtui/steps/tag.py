"""tag.create: the annotated (and, where the profile says, GPG-signed) release tag."""

from __future__ import annotations

from rmtui.core import facts
from rmtui.core.command import Command
from rmtui.core.errors import RmtuiError, StepFailed
from rmtui.core.guide import Guide, Threat
from rmtui.core.release import Release
from rmtui.core.step import Action, Phase, Probe, ProbeContext, Step, StepContext
from rmtui.ops.git import GitRepo
from rmtui.steps.kit import commands
from rmtui.steps.kit.gpg import GpgSession, gnupghome, signing_key, verify_tag_env
from rmtui.steps.kit.repo import clone, planned, quiet_clone

GUIDE = Guide(
    does="Creates the annotated tag `v<version>` on the release commit, signed with the RM's GPG "
    "key when the profile says so (PEP 761: releases before 3.14), verifies the signature with "
    "`git verify-tag`, and records both the commit SHA and the tag object SHA. The passphrase "
    "comes from keyring (`rmtui secrets set gpg-passphrase`) or from a prompt, and reaches gpg "
    "in loopback mode through a pipe: pinentry never runs, and the passphrase never touches "
    "disk, logs or the journal.",
    why="From here on the recorded *commit SHA* is the truth. A tag is only a name and can be "
    "moved; every later step checks that the tag still resolves to the recorded commit.",
    goes_wrong="A tag of that name left from an earlier attempt, a mistyped passphrase, or a "
    "key whose secret part lives on another machine.",
    threat=Threat.SOURCE_REPOSITORY,
    threat_detail="A moved or forged tag: the signed tag and the recorded commit and tag-object "
    "SHAs let every later step, and the experts, check they build from the release commit.",
    recover="A tag of that name pointing elsewhere stops the step, naming both SHAs: delete the "
    "stray tag (`git tag -d v<version>`) if it is yours, then retry. A wrong passphrase: store "
    "the right one and retry.",
    who="The release manager, with their GPG key for releases before 3.14.",
    references=("PEP 101: Tag the release", "PEP 761"),
)


def tag_commands(release: Release, key: str | None) -> dict[str, Command]:
    tag, message = release.version.tag, f"Python {release.version}"
    if key is None:
        create = commands.git(
            release,
            "tag",
            "-a",
            "-m",
            message,
            tag,
            "{release.commit_sha}",
            sentence=f"annotated tag {tag}",
        )
    else:
        create = commands.git(
            release,
            "-c",
            "gpg.program={gpg.wrapper}",
            "tag",
            "-s",
            "-u",
            key,
            "-m",
            message,
            tag,
            "{release.commit_sha}",
            sentence=f"signed tag {tag} (gpg in loopback mode through a wrapper script "
            "{gpg.wrapper} that reads the passphrase from a pipe)",
        )
    verify = commands.git(
        release, "verify-tag", tag, sentence="verify the signature", read_only=True
    )
    return {"create": create, "verify": verify}


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
    guide = GUIDE
    check_after_interruption = "whether the tag v<version> exists and points at the release commit"

    def plan(self, release: Release) -> list[Action]:
        return planned("the tag", lambda: self._plan(release))

    @staticmethod
    def _plan(release: Release) -> list[Action]:
        key = signing_key(release)
        run = tag_commands(release, key)
        actions = [Action.of(run["create"])]
        if key:
            actions.append(Action.of(run["verify"]))
        return actions

    def probe(self, ctx: ProbeContext) -> Probe:
        commit = facts.RELEASE_COMMIT.get(ctx.facts)
        if commit is None:
            return Probe.not_done("no release commit recorded yet")
        repo = quiet_clone(ctx)
        tag = ctx.release.version.tag
        if repo.rev_parse(f"refs/tags/{tag}") is None:
            return Probe.not_done(f"{tag} does not exist yet")
        problem = tag_problem(repo, tag, str(commit))
        if problem:
            return Probe.inconsistent(problem)
        tag_object = repo.rev_parse(f"refs/tags/{tag}")
        return Probe.done(
            f"{tag} points at the release commit {str(commit)[:12]}",
            {facts.TAG_OBJECT.name: tag_object, facts.TAG_SIGNED.name: self._is_signed(repo, tag)},
        )

    @staticmethod
    def _is_signed(repo: GitRepo, tag: str) -> bool:
        body = repo.quiet("cat-file", "tag", f"refs/tags/{tag}")
        return "-----BEGIN PGP SIGNATURE-----" in body

    def run(self, ctx: StepContext) -> None:
        release = ctx.release
        commit = facts.RELEASE_COMMIT.require(ctx.facts)
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
            create = tag_commands(release, key)["create"]
            if key is None:
                commands.run(ctx, create, {"release.commit_sha": commit})
            else:
                self._signed_tag(ctx, key, create, commit)
        tag_object = repo.rev_parse(f"refs/tags/{tag}")
        signed = self._is_signed(repo, tag)
        if signed:
            commands.run(
                ctx,
                tag_commands(release, None)["verify"],
                env=verify_tag_env(release),
                hint="the tag signature does not verify: check the key and gpg",
            )
        ctx.record_fact(facts.TAG_OBJECT.name, tag_object)
        ctx.record_fact(facts.TAG_SIGNED.name, signed)
        ctx.output(f"{tag} = tag object {tag_object} on commit {commit}")

    @staticmethod
    def _signed_tag(ctx: StepContext, key: str, create: Command, commit: str) -> None:
        """Sign through the kit's GPG session: a typed "passphrase needed" asks once."""
        from rmtui.ops.gpg import loopback_git_signing

        session = GpgSession(key, gnupghome(ctx.release), ctx.release, ctx.prompter)
        for warning in session.gpg.check_signing_key(key):
            ctx.output(f"warning: {warning}")

        def attempt(passphrase: str | None) -> None:
            with loopback_git_signing(passphrase, session.home) as signing:
                wrapper = signing.git_config_args[-1].split("=", 1)[1]
                try:
                    commands.run(
                        ctx,
                        create,
                        {"release.commit_sha": commit, "gpg.wrapper": wrapper},
                        env=signing.env,
                        pass_fds=signing.pass_fds,
                    )
                except RmtuiError:
                    raise signing.failure(key) from None

        session.with_passphrase(attempt)
