"""handoff.experts: hand the tag and commit to the Windows and macOS experts, then wait."""

from __future__ import annotations

import json
import shlex
from pathlib import Path
from typing import Any

from rmtui.core import facts
from rmtui.core.atomic import atomic_write_text
from rmtui.core.errors import RmtuiError
from rmtui.core.guide import Guide, Threat
from rmtui.core.release import Release
from rmtui.core.step import Action, Phase, Probe, ProbeContext, Step, StepContext, Waiting
from rmtui.ops.checksums import SUMS_FILE_NAME, sha256_file
from rmtui.steps.kit.delivery import (
    EXPERT_ROLES,
    HANDOFF_STEP_ID,
    import_command,
    import_delivery,
)
from rmtui.steps.kit.gpg import signing_key
from rmtui.steps.kit.manifest import delivered_files
from rmtui.steps.kit.repo import checked_release_commit, tag_checks

# The import service lives in the kit; the CLI, the TUI and the sandbox find it here too.
__all__ = ["HANDOFF_STEP_ID", "HandoffExpertsStep", "delivered_files", "import_delivery"]

GUIDE = Guide(
    does="Checks that the fork's tag still resolves to the recorded release commit, then writes "
    "`handoff/<version>.md` (to send) and `handoff/<version>.json` (for tools) with the fork "
    "URL, the tag, the commit SHA, and the exact commands that check the tag out and prove it "
    "is that commit (`git verify-tag` where the tag is GPG-signed). Then it waits, once for "
    "each expert. Meanwhile the source tarballs can be built; signing waits until both have "
    "delivered. When an expert sends a folder of installers with a `SHA256SUMS`, import it with "
    "`rmtui handoff import RELEASE DIR --role Windows` (or `macOS`): every file is checked "
    "against that list, copied into `artifacts/`, and the wait for that role ends. "
    "Security-only releases ship source only and have no hand-off.",
    why="The installers must be built from the same public commit as the source tarballs.",
    goes_wrong="An expert builds from a branch instead of the tag, a file is lost or truncated "
    "on the way back, or an expert is unavailable for days. The import checks each role's "
    "files against its installers as the profile's `[[installers]]` declare them (names, "
    "platforms, counts): another role's files are refused, naming that role, and a delivery "
    "missing a declared installer is refused while the hand-off keeps waiting.",
    threat=Threat.BUILD_PROCESS,
    threat_detail="Installers built from another commit or a moved tag (the experts check the "
    "SHA before building), and files altered on the way back (each is checked against the "
    "expert's checksum list, and nothing is copied if one fails).",
    recover="A refused import copies nothing: ask the expert for the missing file or a corrected "
    "list, then import again. Files for the other role: import them with that `--role`. An "
    'installer this release ships without: mark it `optional = "why"` in the release\'s '
    "`[[installers]]`; the final gate before the upstream push checks every installer that "
    "is not optional is there.",
    who="The release manager hands off; the Windows and macOS experts build and deliver.",
    references=("PEP 101: Hand off to the Windows and macOS experts",),
)


def handoff_paths(release: Release) -> tuple[Path, Path]:
    folder, version = release.handoff_dir, release.version
    return folder / f"{version}.md", folder / f"{version}.json"


def checkout_commands(release: Release, commit: str, signed: bool) -> list[str]:
    """What an expert types to get the tag and prove it is the release commit."""
    tag = release.version.tag
    folder = f"python-{release.version}"
    commands = [
        f"git clone --branch {tag} {shlex.quote(release.profile.repos.fork)} {folder}",
        f"cd {folder}",
    ]
    if signed:
        commands.append(f"git verify-tag {tag}")
    commands.append(f"test \"$(git rev-parse '{tag}^{{commit}}')\" = {commit}")
    return commands


def _signer(release: Release) -> str:
    try:
        return signing_key(release) or ""
    except RmtuiError:
        return ""


def handoff_document(release: Release, commit: str, signed: bool) -> dict[str, Any]:
    """The machine-readable hand-off: no timestamps, so writing it twice changes nothing."""
    return {
        "version": str(release.version),
        "fork": release.profile.repos.fork,
        "tag": release.version.tag,
        "commit": commit,
        "tag_signed": signed,
        "gpg_key": _signer(release) if signed else None,
        "roles": list(EXPERT_ROLES),
        "checkout": checkout_commands(release, commit, signed),
        "deliver": f"one folder holding the installers and a {SUMS_FILE_NAME} made in it with "
        f"`sha256sum * > {SUMS_FILE_NAME}`, and nothing else",
        "import": {role: import_command(release, role) for role in EXPERT_ROLES},
    }


def handoff_markdown(document: dict[str, Any]) -> str:
    version, tag, commit = document["version"], document["tag"], document["commit"]
    if document["tag_signed"]:
        key = document["gpg_key"] or "the release manager's key"
        signature = f"GPG-signed by `{key}` (import that public key before `git verify-tag`)"
    else:
        signature = "not GPG-signed (PEP 761): the commit check below is what proves it"
    checkout = "\n".join(document["checkout"])
    imports = "\n".join(document["import"].values())
    return f"""\
# Python {version}: hand-off to the Windows and macOS experts

The release commit is tagged and pushed to the release manager's fork. Build the installers
from this tag, and only after checking that it resolves to this commit.

- Fork: `{document["fork"]}`
- Tag: `{tag}`, {signature}
- Release commit: `{commit}`

## Check out and verify the tag

```sh
{checkout}
```

If a check fails, stop and tell the release manager: do not build from it.

## Deliver

Put the installers in one folder, with nothing else, and make the checksum list there:

```sh
sha256sum * > {SUMS_FILE_NAME}
```

Send the folder to the release manager, who imports it (each file is checked against the list):

```sh
{imports}
```
"""


def write_handoff(release: Release, commit: str, signed: bool) -> tuple[Path, Path]:
    document = handoff_document(release, commit, signed)
    markdown, data = handoff_paths(release)
    atomic_write_text(markdown, handoff_markdown(document))
    atomic_write_text(data, json.dumps(document, indent=2, sort_keys=True) + "\n")
    return markdown, data


class HandoffExpertsStep(Step):
    id = HANDOFF_STEP_ID
    title = "Hand the tag to the Windows and macOS experts"
    phase = Phase.HANDOFF
    requires = ("fork.push",)
    guide = GUIDE
    check_after_interruption = "the files in handoff/ (writing them again is safe)"

    def plan(self, release: Release) -> list[Action]:
        markdown, data = handoff_paths(release)
        signed = release.profile.signing.uses_gpg(release.version)
        return [
            *tag_checks(release.version.tag, release.profile.repos.fork_remote),
            Action(f"write the hand-off for the experts: {markdown} and {data.name}"),
            Action(
                "the experts check out the tag and check it is the release commit",
                " && ".join(checkout_commands(release, "{release.commit_sha}", signed)),
            ),
            *(
                Action(f"wait for {role}; import what they deliver", import_command(release, role))
                for role in EXPERT_ROLES
            ),
        ]

    def probe(self, ctx: ProbeContext) -> Probe:
        waiting: list[str] = []
        for role in EXPERT_ROLES:
            files = delivered_files(ctx.facts.get, role)
            if not files:
                waiting.append(role)
                continue
            for name, record in files.items():
                path = ctx.release.artifacts / name
                if not path.is_file() or sha256_file(path) != record.get("sha256"):
                    return Probe.inconsistent(
                        f"{name}, imported from {role}, is missing or changed since the import"
                    )
        if waiting:
            return Probe.not_done(f"nothing imported yet from {', '.join(waiting)}")
        return Probe.done("both experts' artifacts are imported and unchanged")

    def run(self, ctx: StepContext) -> Waiting | None:
        release = ctx.release
        commit = checked_release_commit(ctx, fork_tag=True)
        signed = bool(facts.TAG_SIGNED.get(ctx.facts))
        markdown, data = write_handoff(release, commit, signed)
        ctx.output(f"wrote {markdown} and {data}")
        for line in checkout_commands(release, commit, signed):
            ctx.output(f"  $ {line}")
        waiting = tuple(r for r in EXPERT_ROLES if not delivered_files(ctx.facts.get, r))
        if not waiting:
            return None
        return Waiting(
            roles=waiting,
            instructions=f"send {markdown} to the {' and '.join(waiting)} experts. When one "
            f"delivers a folder of installers with a {SUMS_FILE_NAME}, import it: "
            + "; ".join(import_command(release, role) for role in waiting),
        )
