"""A release and its workspace: inputs in release.toml, and where every file of it lives."""

from __future__ import annotations

import json
import os
import tomllib
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from rmtui.core.atomic import atomic_write_text
from rmtui.core.errors import ProfileError, ReleaseNotFound, StateError
from rmtui.core.profile import Profile, dump_profile, profile_from_dict
from rmtui.core.version import ReleaseType, ReleaseVersion, parse_version


def rmtui_home() -> Path:
    """`$RMTUI_HOME`, or platformdirs' user data dir."""
    configured = os.environ.get("RMTUI_HOME")
    if configured:
        return Path(configured).expanduser()
    import platformdirs

    return Path(platformdirs.user_data_dir("rmtui", appauthor=False))


def builtin_profile(name: str) -> Profile:
    try:
        # Imported here: importlib.resources costs `rmtui status` more than the rest of core.
        from importlib import resources

        text = resources.files("rmtui.profiles").joinpath(f"{name}.toml").read_text("utf-8")
    except FileNotFoundError:
        raise ProfileError(
            f"there is no built-in profile {name!r}", "the built-in profile is 'cpython'"
        ) from None
    return profile_from_dict(tomllib.loads(text), source=f"built-in profile {name}")


@dataclass(frozen=True)
class Release:
    """What is being released, how, and where its files live."""

    version: ReleaseVersion
    profile: Profile
    workspace: Path
    security_only: bool = False
    created: str = ""

    @property
    def rehearsal(self) -> bool:
        return self.profile.rehearsal

    @property
    def release_type(self) -> ReleaseType:
        return self.version.release_type

    @property
    def branch(self) -> str:
        return self.profile.branches.for_version(self.version)

    @property
    def release_branch(self) -> str:
        """The temporary branch that carries the release commit: `branch-<version>`."""
        return f"{self.profile.branches.release_prefix}{self.version}"

    @property
    def clone(self) -> Path:
        return self.profile.repos.clone_path

    @property
    def artifacts(self) -> Path:
        return self.workspace / "artifacts"

    @property
    def logs(self) -> Path:
        return self.workspace / "logs"

    @property
    def handoff_dir(self) -> Path:
        return self.workspace / "handoff"

    @property
    def state_path(self) -> Path:
        return self.workspace / "state.json"

    @property
    def journal_path(self) -> Path:
        return self.workspace / "journal.jsonl"

    @property
    def lock_path(self) -> Path:
        return self.workspace / "lock"


RELEASE_FILE = "release.toml"


def write_release_file(release: Release) -> None:
    import tomli_w

    data: dict[str, Any] = {
        "release": {
            "version": str(release.version),
            "security_only": release.security_only,
            "created": release.created,
        },
    }
    text = tomli_w.dumps(data) + "\n" + _nest_profile(dump_profile(release.profile))
    atomic_write_text(release.workspace / RELEASE_FILE, text)


def _nest_profile(profile_toml: str) -> str:
    # The profile is kept under [profile] so release.toml stays one self-contained file.
    data = tomllib.loads(profile_toml)
    import tomli_w

    return tomli_w.dumps({"profile": data})


def load_release(workspace: Path) -> Release:
    path = workspace / RELEASE_FILE
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ReleaseNotFound(
            f"{workspace} is not a release workspace (no {RELEASE_FILE})",
            "pass a version under $RMTUI_HOME/releases or the path of a workspace",
        ) from None
    except tomllib.TOMLDecodeError as exc:
        raise StateError(f"{path} is not valid TOML: {exc}", "restore it from a backup") from None
    section = data.get("release", {})
    return Release(
        version=parse_version(str(section.get("version", ""))),
        profile=profile_from_dict(data.get("profile", {}), source=str(path)),
        workspace=workspace.resolve(),
        security_only=bool(section.get("security_only", False)),
        created=str(section.get("created", "")),
    )


def releases_root() -> Path:
    return rmtui_home() / "releases"


def resolve_workspace(release: str) -> Path:
    """RELEASE on the command line: a workspace path, or a version under $RMTUI_HOME/releases."""
    candidate = Path(release).expanduser()
    if (candidate / RELEASE_FILE).exists():
        return candidate.resolve()
    by_version = releases_root() / release
    if (by_version / RELEASE_FILE).exists():
        return by_version
    known = sorted(p.name for p in releases_root().glob("*") if (p / RELEASE_FILE).exists())
    raise ReleaseNotFound(
        f"no release {release!r}: it is neither a workspace directory nor a version "
        f"under {releases_root()}",
        f"known releases: {', '.join(known)}"
        if known
        else "start one with `rmtui start` or `rmtui rehearse`",
    )


def now_utc() -> str:
    return datetime.now(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


REGISTRY = "workspaces.json"


def register_workspace(workspace: Path) -> None:
    """Remember a workspace outside $RMTUI_HOME/releases (rehearsals) for the home screen."""
    path = rmtui_home() / REGISTRY
    known = known_workspaces()
    resolved = str(workspace.resolve())
    if resolved not in known:
        known.append(resolved)
        atomic_write_text(path, json.dumps(known, indent=2) + "\n")


def known_workspaces() -> list[str]:
    path = rmtui_home() / REGISTRY
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (FileNotFoundError, json.JSONDecodeError):
        return []
    return [str(p) for p in data if isinstance(p, str)]


def all_workspaces() -> list[Path]:
    """Every release workspace rmtui knows: releases/ and registered rehearsals that still exist."""
    found = {p.resolve() for p in releases_root().glob("*") if (p / RELEASE_FILE).exists()}
    for entry in known_workspaces():
        path = Path(entry)
        if (path / RELEASE_FILE).exists():
            found.add(path)
    return sorted(found)
