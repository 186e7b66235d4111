"""Read SPDX SBOMs and compare two of them component by component (`rmtui sbom diff`)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.text import Text

from rmtui.core.errors import RmtuiError

JsonDict = dict[str, Any]


class SbomError(RmtuiError):
    """An SBOM that cannot be built, read or compared."""


@dataclass(frozen=True)
class Component:
    """A package of an SBOM, reduced to what a release comparison looks at."""

    name: str
    version: str
    license: str
    checksums: tuple[str, ...]  # "ALGORITHM:value", sorted


@dataclass(frozen=True)
class FieldChange:
    """One field of a component that differs between the two SBOMs."""

    field: str  # "version", "checksum" or "license"
    old: str
    new: str


@dataclass(frozen=True)
class ComponentChange:
    """A component present in both SBOMs with different version, checksum or license."""

    name: str
    changes: tuple[FieldChange, ...]


@dataclass(frozen=True)
class SbomDiff:
    """Components added, removed and changed between an old and a new SBOM."""

    added: tuple[Component, ...]
    removed: tuple[Component, ...]
    changed: tuple[ComponentChange, ...]
    old_count: int
    new_count: int

    @property
    def identical(self) -> bool:
        """No component was added, removed or changed."""
        return not (self.added or self.removed or self.changed)

    def to_dict(self) -> JsonDict:
        """The diff as plain JSON-ready data."""
        return {
            "identical": self.identical,
            "old_components": self.old_count,
            "new_components": self.new_count,
            "added": [asdict(c) for c in self.added],
            "removed": [asdict(c) for c in self.removed],
            "changed": [asdict(c) for c in self.changed],
        }

    def to_json(self) -> str:
        """The diff as a JSON text (sorted keys, stable order)."""
        return json.dumps(self.to_dict(), indent=2, sort_keys=True)


def load_sbom(path: Path) -> JsonDict:
    """Read an SPDX JSON document, or raise SbomError saying what is wrong with the file."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise SbomError(
            f"cannot read SBOM {path}: {exc.strerror or exc}",
            "check the path; SBOMs sit next to their artifact as <artifact>.spdx.json",
        ) from exc
    try:
        document = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise SbomError(
            f"{path} is not valid JSON: {exc}", "give an SPDX 2.x JSON SBOM (*.spdx.json)"
        ) from exc
    if (
        not isinstance(document, dict)
        or not str(document.get("spdxVersion", "")).startswith("SPDX-")
        or not isinstance(document.get("packages", []), list)
    ):
        raise SbomError(
            f"{path} is not an SPDX JSON document (no spdxVersion or packages)",
            "give an SPDX 2.x JSON SBOM (*.spdx.json)",
        )
    return document


def components(document: Mapping[str, Any]) -> dict[str, Component]:
    """The packages of an SBOM keyed by name (name plus SPDX ID where names repeat)."""
    packages = [p for p in document.get("packages", []) if isinstance(p, dict)]
    names = [str(p.get("name", p.get("SPDXID", "?"))) for p in packages]
    found: dict[str, Component] = {}
    for name, package in zip(names, packages, strict=True):
        key = name if names.count(name) == 1 else f"{name} [{package.get('SPDXID', '?')}]"
        checksums = tuple(
            sorted(
                f"{c.get('algorithm', '?')}:{str(c.get('checksumValue', '')).lower()}"
                for c in package.get("checksums", [])
                if isinstance(c, dict)
            )
        )
        license_ = package.get("licenseConcluded") or package.get("licenseDeclared") or ""
        found[key] = Component(key, str(package.get("versionInfo", "")), str(license_), checksums)
    return found


def diff_sboms(old: Mapping[str, Any], new: Mapping[str, Any]) -> SbomDiff:
    """Compare two SBOM documents component by component (by package name)."""
    before, after = components(old), components(new)
    changed = []
    for name in sorted(before.keys() & after.keys()):
        a, b = before[name], after[name]
        fields = [
            FieldChange(label, x, y)
            for label, x, y in (
                ("version", a.version, b.version),
                ("checksum", ", ".join(a.checksums), ", ".join(b.checksums)),
                ("license", a.license, b.license),
            )
            if x != y
        ]
        if fields:
            changed.append(ComponentChange(name, tuple(fields)))
    return SbomDiff(
        added=tuple(after[n] for n in sorted(after.keys() - before.keys())),
        removed=tuple(before[n] for n in sorted(before.keys() - after.keys())),
        changed=tuple(changed),
        old_count=len(before),
        new_count=len(after),
    )


def render_diff(diff: SbomDiff, console: Console) -> None:
    """Print the diff: removed in red, added in green, changed in yellow."""
    if diff.identical:
        console.print(Text(f"No component differences ({diff.old_count} components).", "bold"))
        return
    console.print(
        Text(
            f"{diff.old_count} → {diff.new_count} components: {len(diff.added)} added, "
            f"{len(diff.removed)} removed, {len(diff.changed)} changed",
            "bold",
        )
    )
    for component in diff.removed:
        console.print(Text(f"- {component.name} {component.version}".rstrip(), "red"))
    for component in diff.added:
        console.print(Text(f"+ {component.name} {component.version}".rstrip(), "green"))
    for change in diff.changed:
        console.print(Text(f"~ {change.name}", "yellow"))
        for field in change.changes:
            console.print(
                Text(f"    {field.field}: {field.old or '(none)'} → {field.new}", "yellow")
            )
