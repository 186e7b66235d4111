"""Expert deliveries: the roles, the checks of a delivered folder, and its import."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from rmtui.core import facts
from rmtui.core.errors import RmtuiError
from rmtui.core.facts import FileRecords
from rmtui.core.profile import Installer
from rmtui.core.release import Release
from rmtui.core.status import Status
from rmtui.core.step import Role
from rmtui.ops.checksums import SUMS_FILE_NAME, check_sha256sums, sha256_file
from rmtui.steps.kit.files import install_files
from rmtui.steps.kit.manifest import (
    assert_sums_current,
    listing,
    refresh_sha256sums,
    sbom_names,
    shipped_artifacts,
    tarball_names,
)

if TYPE_CHECKING:
    from rmtui.core.engine import Engine

HANDOFF_STEP_ID = "handoff.experts"
# Who records a delivery's fact in the journal: the import, not the (waiting) step itself.
HANDOFF_IMPORT = "handoff.import"
EXPERT_ROLES: tuple[str, ...] = (Role.WINDOWS.value, Role.MACOS.value)


def delivery_fact(role: str) -> str:
    """The fact that records what `role` delivered: {"files": {...}, "stand_in": ...}."""
    return facts.DELIVERED.of(role).name


def canonical_role(role: str) -> str:
    """`role` spelled as the plan spells it ("windows" -> "Windows"), or a clear error."""
    for known in EXPERT_ROLES:
        if role.strip().lower() == known.lower():
            return known
    raise RmtuiError(
        f"{role!r} is not an expert role", f"use --role {' or --role '.join(EXPERT_ROLES)}"
    )


def import_command(release: Release, role: str = "ROLE") -> str:
    import shlex

    return f"rmtui handoff import {shlex.quote(str(release.workspace))} DIR --role {role}"


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


def looks_like(name: str, release: Release) -> Installer | None:
    """The profile's installer whose pattern `name` matches (None when it matches none)."""
    version = str(release.version)
    return next((i for i in release.profile.installers if i.matches(name, version)), None)


def check_role(names: Iterable[str], release: Release, role: str, source: Path) -> None:
    """Refuse a delivery that is not `role`'s installers exactly as the profile declares them:
    another role's files, files no installer pattern names, too many, or a missing one."""
    version = str(release.version)
    files = sorted(names)
    wrong: dict[str, list[str]] = {}
    unknown: list[str] = []
    for name in files:
        installer = looks_like(name, release)
        if installer is None:
            unknown.append(name)
        elif installer.role != role:
            wrong.setdefault(installer.role, []).append(f"{name} ({installer.platform})")
    if wrong:
        which = ", ".join(f"{listing(items)} look like {other}'s" for other, items in wrong.items())
        raise RmtuiError(
            f"the delivery in {source} is not {role}'s: {which}; nothing was copied and the "
            f"hand-off still waits for {role}",
            " or ".join(f"import it with --role {other}" for other in wrong)
            + f", and ask the {role} expert for {role}'s own installers",
        )
    expected = release.profile.installers_of(role)
    wanted = ", ".join(i.name_pattern(version) for i in expected) or "nothing"
    if unknown:
        raise RmtuiError(
            f"{listing(unknown)} in {source} is no installer the profile expects from {role} "
            f"(it expects {wanted}); nothing was copied",
            f"deliver only {role}'s installers; if this file ships too, add it to the "
            "release's profile as an [[installers]] entry (docs/profile.md)",
        )
    surplus, missing = [], []
    for installer in expected:
        found = sum(installer.matches(name, version) for name in files)
        pattern = installer.name_pattern(version)
        if found > installer.count:
            surplus.append(f"{found} files match {pattern}, {installer.count} expected")
        elif found < installer.count and not installer.optional:
            missing.append(f"{pattern} ({installer.platform})")
    if surplus:
        raise RmtuiError(
            f"the {role} delivery in {source} has too many installers: {'; '.join(surplus)}; "
            "nothing was copied",
            f"ask the {role} expert which one ships, then import the folder again",
        )
    if missing:
        raise RmtuiError(
            f"the {role} delivery in {source} lacks {listing(missing)}; nothing was copied and "
            f"the hand-off still waits for {role}",
            f"ask the {role} expert for it and import the whole folder again; to ship without "
            'it, mark it optional = "why" in the release\'s [[installers]] (docs/profile.md)',
        )


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
    check_role(expected, release, role, source)
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
