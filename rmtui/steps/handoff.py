"""handoff.experts, and the import of what the Windows and macOS experts deliver."""

from __future__ import annotations

import json
import shlex
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rmtui.core.atomic import atomic_write_text
from rmtui.core.errors import RmtuiError
from rmtui.core.release import Release
from rmtui.core.status import Status
from rmtui.core.step import Action, Phase, Probe, Role, Step, StepContext, Waiting
from rmtui.ops.checksums import SUMS_FILE_NAME, check_sha256sums, sha256_file
from rmtui.steps.artifacts import (
    FileRecords,
    assert_sums_current,
    install_files,
    listing,
    refresh_sha256sums,
    sbom_names,
    tarball_names,
)
from rmtui.steps.common import (
    FACT_TAG_SIGNED,
    clone,
    require_fork_tag,
    require_release_commit,
)
from rmtui.steps.signing import shipped_artifacts

if TYPE_CHECKING:
    from rmtui.core.engine import Engine

HANDOFF_STEP_ID = "handoff.experts"
# Who records a delivery's fact in the journal: the import, not the (waiting) step itself.
HANDOFF_IMPORT = "handoff.import"
EXPERT_ROLES: tuple[str, ...] = (Role.WINDOWS.value, Role.MACOS.value)

FactGetter = Callable[[str], Any]


def delivery_fact(role: str) -> str:
    """The fact that records what `role` delivered: {"files": {...}, "stand_in": ...}."""
    return f"handoff.{role}"


def delivered_files(get: FactGetter, role: str) -> FileRecords:
    value = get(delivery_fact(role))
    files = value.get("files") if isinstance(value, dict) else None
    return {str(k): dict(v) for k, v in files.items()} if isinstance(files, dict) else {}


def canonical_role(role: str) -> str:
    """`role` spelled as the plan spells it ("windows" -> "Windows"), or a clear error."""
    for known in EXPERT_ROLES:
        if role.strip().lower() == known.lower():
            return known
    raise RmtuiError(
        f"{role!r} is not an expert role", f"use --role {' or --role '.join(EXPERT_ROLES)}"
    )


def import_command(release: Release, role: str = "ROLE") -> str:
    return f"rmtui handoff import {shlex.quote(str(release.workspace))} DIR --role {role}"


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
    from rmtui.steps.tag import signing_key

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
    help = """\
**What it does.** Checks that the fork's tag still resolves to the recorded release commit, then
writes `handoff/<version>.md` (to send) and `handoff/<version>.json` (for tools) with the fork
URL, the tag, the commit SHA, and the exact commands that check the tag out and prove it is
that commit (`git verify-tag` where the tag is GPG-signed). Then it waits, once for each
expert. Meanwhile the source tarballs can be built; signing waits until both have delivered.
When an expert sends a folder of installers with a `SHA256SUMS`, import it with
`rmtui handoff import RELEASE DIR --role Windows` (or `macOS`): every file is checked against
that list, copied into `artifacts/`, and the wait for that role ends. Security-only releases
ship source only and have no hand-off.

**Why.** The installers must be built from the same public commit as the source tarballs.

**Threat it guards against.** Installers built from another commit or a moved tag (the experts
check the SHA before building), and files altered on the way back (each is checked against the
expert's checksum list, and nothing is copied if one fails).

**How to recover.** A refused import copies nothing: ask the expert for the missing file or a
corrected list, then import again. An expert who cannot deliver: mark the step done by hand with
a reason; the release then ships without those installers.
"""
    check_after_interruption = "the files in handoff/ (writing them again is safe)"

    def plan(self, release: Release) -> list[Action]:
        markdown, data = handoff_paths(release)
        signed = release.profile.signing.uses_gpg(release.version)
        return [
            Action(
                "check the fork's tag still resolves to the recorded commit",
                f"git -C {release.clone} ls-remote {release.profile.repos.fork_remote} "
                f"refs/tags/{release.version.tag}",
            ),
            Action(f"write the hand-off for the experts: {markdown} and {data.name}"),
            Action(
                "the experts check out the tag and check it is the release commit",
                " && ".join(checkout_commands(release, "RELEASE_COMMIT", signed)),
            ),
            *(
                Action(f"wait for {role}; import what they deliver", import_command(release, role))
                for role in EXPERT_ROLES
            ),
        ]

    def probe(self, ctx: StepContext) -> Probe:
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
        repo = clone(ctx)
        commit = require_release_commit(ctx, repo)
        require_fork_tag(ctx, repo, commit)
        signed = bool(ctx.facts.get(FACT_TAG_SIGNED))
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


# -- the import ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Delivery:
    """What one import brought in, and who is still awaited afterwards."""

    role: str
    files: FileRecords
    remaining: tuple[str, ...]
    stand_in: bool


def _waiting_role(engine: Engine, role: str | None) -> str:
    if HANDOFF_STEP_ID not in engine.plan.ids:
        raise RmtuiError(
            f"release {engine.release.version} has no hand-off to import into",
            "security-only releases ship source only: there are no installers to import",
        )
    record = engine.state.steps[HANDOFF_STEP_ID]
    if role is None:
        if record.status is Status.WAITING and len(record.waiting_on) == 1:
            return record.waiting_on[0]
        raise RmtuiError(
            "say which expert delivered this folder",
            f"add --role {' or --role '.join(record.waiting_on or list(EXPERT_ROLES))}",
        )
    role = canonical_role(role)
    if record.status is Status.WAITING and role in record.waiting_on:
        return role
    if record.status is Status.WAITING:
        hint = f"it waits on {', '.join(record.waiting_on)} only: {role} has already delivered"
    elif record.status is Status.DONE:
        hint = "every expert has delivered (or it was marked done): nothing is awaited"
    else:
        hint = f"it is {record.status.value}: run it first (`rmtui run {engine.release.workspace}`)"
    raise RmtuiError(f"{HANDOFF_STEP_ID} is not waiting on {role}", hint)


def _reserved_names(release: Release) -> set[str]:
    return {*tarball_names(release), *sbom_names(release), SUMS_FILE_NAME}


def check_delivery(source: Path, release: Release) -> dict[str, str]:
    """{file name: sha256} of the delivery in `source`, after checking every file against its
    SHA256SUMS; one error names every problem, and nothing is copied."""
    if not source.is_dir():
        raise RmtuiError(f"{source} is not a folder", "give the folder the expert delivered")
    artifacts = release.artifacts.resolve()
    resolved = source.resolve()
    if resolved == artifacts or resolved.is_relative_to(artifacts):
        raise RmtuiError(
            f"{source} is inside the release's artifacts folder",
            "import from the folder the expert sent, not from artifacts/",
        )
    sums = source / SUMS_FILE_NAME
    if not sums.is_file():
        raise RmtuiError(
            f"{source} has no {SUMS_FILE_NAME}",
            f"ask the expert for the checksum list, made in the folder with "
            f"`sha256sum * > {SUMS_FILE_NAME}`",
        )
    problems: list[str] = []
    expected: dict[str, str] = {}
    shipped = {p.name for p in shipped_artifacts(source)}
    reserved = _reserved_names(release)
    for result in check_sha256sums(sums):
        name = result.name
        path = source / name
        if name in expected:
            problems.append(f"{name}: listed twice")
        elif "/" in name or name.startswith("."):
            problems.append(f"{name}: not a plain file name (deliver a flat folder)")
        elif not result.ok:
            problems.append(f"{name}: {result.reason}")
        elif path.is_symlink():
            problems.append(f"{name}: a symbolic link (deliver the file itself)")
        elif name not in shipped:
            problems.append(f"{name}: a signature or temporary file; sign.artifacts signs")
        elif name in reserved:
            problems.append(f"{name}: clashes with the release's own {name}")
        else:
            expected[name] = sha256_file(path)
            existing = release.artifacts / name
            if existing.exists() and sha256_file(existing) != expected[name]:
                problems.append(f"{name}: a different {name} is already in artifacts/")
    for entry in sorted(source.iterdir()):
        if entry.name == SUMS_FILE_NAME or entry.name in expected:
            continue
        if entry.is_dir() and not entry.is_symlink():
            problems.append(f"{entry.name}/: a folder (deliver a flat folder)")
        elif not any(p.startswith(f"{entry.name}:") for p in problems):
            problems.append(f"{entry.name}: not listed in {SUMS_FILE_NAME}")
    if problems:
        raise RmtuiError(
            f"the delivery in {source} cannot be imported; nothing was copied:\n"
            + "\n".join(f"  {line}" for line in problems),
            "ask the expert for the missing or corrected files and a SHA256SUMS that lists "
            "exactly the files of the folder, then import again",
        )
    return expected


def import_delivery(
    engine: Engine,
    role: str | None,
    source: Path,
    *,
    stand_in: bool = False,
    note: str = "",
) -> Delivery:
    """Import an expert's folder into the open release `engine` and end the wait for `role`.

    Every file is checked against the folder's SHA256SUMS before anything is copied; the
    copies land in artifacts/ all together, their digests are recorded as a fact (journaled),
    SHA256SUMS is refreshed, and the engine records that `role` delivered.
    """
    role = _waiting_role(engine, role)
    release = engine.release
    expected = check_delivery(source, release)
    assert_sums_current(release.artifacts)
    copied = install_files(
        {name: source / name for name in expected}, release.artifacts, expected=expected
    )
    refresh_sha256sums(release.artifacts, rebuilt=copied)
    engine.record_fact(
        HANDOFF_IMPORT,
        delivery_fact(role),
        {"files": copied, "stand_in": stand_in, "source": str(source.resolve())},
    )
    what = f"{role} delivered {listing(sorted(copied))} from {source.resolve()}"
    if stand_in:
        what += " (sandbox stand-ins imported by the rehearsal, not real installers)"
    engine.fulfil(HANDOFF_STEP_ID, role, f"{what}; {note}" if note else what)
    remaining = engine.state.steps[HANDOFF_STEP_ID]
    left = tuple(remaining.waiting_on) if remaining.status is Status.WAITING else ()
    return Delivery(role, copied, left, stand_in)
