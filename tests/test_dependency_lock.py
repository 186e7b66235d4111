"""The hash-locked dependency sets in requirements/ agree with pyproject.toml's ranges."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parent.parent
PIN_RE = re.compile(r"^(?P<name>[A-Za-z0-9][A-Za-z0-9._-]*)==(?P<version>\S+)")


def pins(lock: str) -> dict[str, str]:
    """Name -> pinned version of a lock file; fails on any requirement without a hash."""
    text = (ROOT / "requirements" / lock).read_text()
    found: dict[str, str] = {}
    for entry in re.split(r"\n(?=\S)", text):
        match = PIN_RE.match(entry)
        if match is None:
            assert entry.startswith("#") or not entry.strip(), f"{lock}: unpinned {entry!r}"
            continue
        assert "--hash=sha256:" in entry, f"{lock}: {match['name']} has no hash"
        found[canonicalize_name(match["name"])] = match["version"]
    return found


def declared(*extras: str) -> list[Requirement]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    specs = list(project["dependencies"])
    for extra in extras:
        specs += project["optional-dependencies"][extra]
    return [Requirement(spec) for spec in specs]


@pytest.mark.parametrize(("lock", "extra"), [("run.txt", "cpython"), ("test.txt", "test")])
def test_every_declared_dependency_is_pinned_within_its_range(lock: str, extra: str) -> None:
    locked = pins(lock)
    for requirement in declared(extra):
        name = canonicalize_name(requirement.name)
        assert name in locked, f"{lock} lacks {requirement}: run `make lock`"
        assert requirement.specifier.contains(locked[name], prereleases=True), (
            f"{lock} pins {name}=={locked[name]}, outside {requirement}: run `make lock`"
        )


def test_the_test_set_keeps_the_runtime_pins() -> None:
    runtime, test = pins("run.txt"), pins("test.txt")
    assert {name: test.get(name) for name in runtime} == runtime


def test_both_sets_can_build_rmtui_itself() -> None:
    for lock in ("run.txt", "test.txt"):
        assert {"hatchling", "editables"} <= pins(lock).keys(), lock


def test_no_plain_text_keyring_backend_is_installed() -> None:
    assert "keyrings-alt" not in pins("run.txt")
    assert "keyrings-alt" not in pins("test.txt")


def test_the_lock_tool_is_pinned_too() -> None:
    assert "uv" in pins("lock-tool.txt")
