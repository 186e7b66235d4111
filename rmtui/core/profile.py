"""Release profiles: where the repos are, branch rules, signing identities, commands, publishing."""

from __future__ import annotations

import dataclasses
import difflib
import fnmatch
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from rmtui.core.errors import ProfileError
from rmtui.core.version import ReleaseVersion

FREEZE_METHODS = ("github", "manual", "sandbox-hook")
GPG_POLICIES = ("pep761", "always", "never")
SIGSTORE_INSTANCES = ("production", "staging", "off")
PUBLISH_METHODS = ("local", "sftp")


@dataclass(frozen=True)
class Repos:
    """The three repositories of a release."""

    upstream: str
    fork: str
    clone: str
    upstream_remote: str = "upstream"
    fork_remote: str = "origin"

    @property
    def clone_path(self) -> Path:
        return Path(self.clone).expanduser()


@dataclass(frozen=True)
class Branches:
    main: str = "main"
    # Python format string for a maintenance branch; {minor} is "3.14".
    maintenance: str = "{minor}"
    release_prefix: str = "branch-"

    def for_version(self, version: ReleaseVersion) -> str:
        if version.branch == "main":
            return self.main
        return self.maintenance.format(minor=version.minor_version)


@dataclass(frozen=True)
class Files:
    version_file: str = "Include/patchlevel.h"
    readme: str = "README.rst"


@dataclass(frozen=True)
class Freeze:
    method: str = "manual"
    github_api: str = "https://api.github.com"
    github_repo: str = "python/cpython"
    # The git push option that lets the RM through a sandbox-hook freeze.
    push_option: str = "rmtui-release-manager"


@dataclass(frozen=True)
class Signer:
    """Who signs one minor version's releases."""

    gpg_fingerprint: str = ""
    sigstore_identity: str = ""
    sigstore_issuer: str = ""


@dataclass(frozen=True)
class Signing:
    gpg: str = "pep761"
    gnupghome: str = ""
    sigstore: str = "production"
    signers: dict[str, Signer] = field(default_factory=dict)

    def signer_for(self, version: ReleaseVersion) -> Signer:
        signer = self.signers.get(version.minor_version)
        if signer is None:
            known = ", ".join(sorted(self.signers)) or "none"
            raise ProfileError(
                f"the profile names no signer for Python {version.minor_version}",
                f"add a [signing.signers.{version.minor_version!r}] table; profiles know: {known}",
            )
        return signer

    def uses_gpg(self, version: ReleaseVersion) -> bool:
        if self.gpg == "always":
            return True
        if self.gpg == "never":
            return False
        return version.gpg_by_default


@dataclass(frozen=True)
class Commands:
    docs: str = ""
    test: str = ""
    # blurb is optional: without it NEWS entries are left for the RM.
    blurb: str = "blurb"


@dataclass(frozen=True)
class Publish:
    method: str = "local"
    target: str = ""
    url: str = ""


@dataclass(frozen=True)
class Installer:
    """One installer an expert role delivers: its file-name pattern, platform and count.

    `pattern` is a shell-style pattern in which `{version}` is the release's version; a file
    matches when its name does. `optional` says why a release may ship without it ("" means
    the hand-off waits until it is delivered).
    """

    role: str
    pattern: str
    platform: str
    count: int = 1
    optional: str = ""

    def name_pattern(self, version: str) -> str:
        return self.pattern.replace("{version}", version)

    def matches(self, name: str, version: str) -> bool:
        return fnmatch.fnmatchcase(name, self.name_pattern(version))


EXPERT_ROLES = ("Windows", "macOS")

# What CPython's experts deliver for a release with installers (PEP 101).
CPYTHON_INSTALLERS: tuple[Installer, ...] = (
    Installer("Windows", "python-{version}-amd64.exe", "Windows x86-64"),
    Installer("Windows", "python-{version}-arm64.exe", "Windows ARM64"),
    Installer("Windows", "python-{version}.exe", "Windows x86 (32-bit)"),
    Installer("macOS", "python-{version}-macos11.pkg", "macOS 10.13+ universal2"),
)


@dataclass(frozen=True)
class Profile:
    """A whole profile, as read from TOML and validated."""

    name: str
    repos: Repos
    rehearsal: bool = False
    branches: Branches = field(default_factory=Branches)
    files: Files = field(default_factory=Files)
    freeze: Freeze = field(default_factory=Freeze)
    signing: Signing = field(default_factory=Signing)
    commands: Commands = field(default_factory=Commands)
    publish: Publish = field(default_factory=Publish)
    installers: tuple[Installer, ...] = CPYTHON_INSTALLERS

    def to_toml_dict(self) -> dict[str, Any]:
        data = dataclasses.asdict(self)
        signers = data["signing"].pop("signers")
        data["signing"]["signers"] = signers
        data["installers"] = [dataclasses.asdict(i) for i in self.installers]
        return data

    def installers_of(self, role: str) -> tuple[Installer, ...]:
        return tuple(i for i in self.installers if i.role == role)


T = TypeVar("T")


def _check_keys(table: dict[str, Any], allowed: list[str], where: str, source: str) -> None:
    for key in table:
        if key not in allowed:
            # 0.5 rather than difflib's 0.6, so that transpositions like "singing" still match.
            close = difflib.get_close_matches(key.lower(), allowed, n=1, cutoff=0.5)
            suggestion = f"did you mean {close[0]!r}? " if close else ""
            raise ProfileError(
                f"{source}: unknown key {key!r} in [{where}]",
                f"{suggestion}the keys allowed there are: {', '.join(allowed)}",
            )


def _build(cls: type[T], table: Any, where: str, source: str) -> T:
    if not isinstance(table, dict):
        raise ProfileError(f"{source}: [{where}] must be a table", "see docs/profile.md")
    fields = {f.name: f for f in dataclasses.fields(cls)}  # type: ignore[arg-type]
    _check_keys(table, list(fields), where, source)
    missing = [
        name
        for name, f in fields.items()
        if f.default is dataclasses.MISSING
        and f.default_factory is dataclasses.MISSING
        and name not in table
    ]
    if missing:
        raise ProfileError(
            f"{source}: [{where}] lacks the required key {missing[0]!r}", "see docs/profile.md"
        )
    for name, value in table.items():
        expected = fields[name].type
        kinds = {"str": str, "bool": bool, "int": int}
        if expected in kinds and (
            not isinstance(value, kinds[expected])
            or (expected == "int" and isinstance(value, bool))
        ):
            raise ProfileError(
                f"{source}: [{where}] {name} must be a {expected}, not {type(value).__name__}",
                "see docs/profile.md",
            )
    return cls(**table)


def _choice(value: str, allowed: tuple[str, ...], key: str, source: str) -> None:
    if value not in allowed:
        raise ProfileError(
            f"{source}: {key} = {value!r} is not one of {', '.join(allowed)}",
            "see docs/profile.md",
        )


def _check_minor(minor: str, source: str) -> bool:
    if re.fullmatch(r"3\.(0|[1-9]\d*)", minor) is None:
        raise ProfileError(
            f"{source}: [signing.signers.{minor}] is not named by a minor version like 3.14",
            'quote the minor version in the table name: [signing.signers."3.14"] (unquoted, '
            "TOML reads 3.14 as two nested tables)",
        )
    return True


def _check_maintenance_pattern(pattern: str, source: str) -> None:
    try:
        branch = pattern.format(minor="3.14")
    except (KeyError, IndexError, ValueError) as exc:
        raise ProfileError(
            f"{source}: branches.maintenance = {pattern!r} is not a usable pattern ({exc!r})",
            'use {minor} for the minor version, e.g. maintenance = "{minor}"',
        ) from None
    if not branch or branch == pattern:
        raise ProfileError(
            f"{source}: branches.maintenance = {pattern!r} does not contain {{minor}}",
            'every minor version has its own branch: write e.g. maintenance = "{minor}"',
        )


def _installers(table: Any, source: str) -> tuple[Installer, ...]:
    """[[installers]] of a profile: each names an expert role, a {version} pattern, a count."""
    if not isinstance(table, list):
        raise ProfileError(
            f"{source}: installers must be a list of tables ([[installers]])",
            "see docs/profile.md",
        )
    found = []
    for number, entry in enumerate(table, 1):
        where = f"installers #{number}"
        installer = _build(Installer, entry, where, source)
        if installer.role not in EXPERT_ROLES:
            raise ProfileError(
                f"{source}: [{where}] role = {installer.role!r} is not an expert role",
                f"use one of {', '.join(EXPERT_ROLES)}",
            )
        if "{version}" not in installer.pattern:
            raise ProfileError(
                f"{source}: [{where}] pattern = {installer.pattern!r} lacks {{version}}",
                'name the release\'s version in it, e.g. pattern = "python-{version}-amd64.exe"',
            )
        if installer.count < 1:
            raise ProfileError(
                f"{source}: [{where}] count = {installer.count} is below 1",
                'an installer that may be missing is marked optional = "why" instead',
            )
        found.append(installer)
    return tuple(found)


def profile_from_dict(data: dict[str, Any], source: str = "profile") -> Profile:
    """Validate a parsed profile; unknown keys and typos are errors naming the key."""
    top = [f.name for f in dataclasses.fields(Profile)]
    _check_keys(data, top, "top level", source)
    if "name" not in data or not isinstance(data["name"], str) or not data["name"]:
        raise ProfileError(f"{source}: the profile needs a `name`", 'add name = "..." at the top')
    if "repos" not in data:
        raise ProfileError(f"{source}: the profile needs a [repos] table", "see docs/profile.md")
    raw_signing = data.get("signing", {})
    if not isinstance(raw_signing, dict):
        raise ProfileError(f"{source}: [signing] must be a table", "see docs/profile.md")
    signing_table = dict(raw_signing)
    signers_table = signing_table.pop("signers", {})
    if not isinstance(signers_table, dict):
        raise ProfileError(f"{source}: [signing.signers] must be a table", "see docs/profile.md")
    signers = {
        minor: _build(Signer, entry, f"signing.signers.{minor}", source)
        for minor, entry in signers_table.items()
        if _check_minor(minor, source)
    }
    signing = _build(Signing, signing_table, "signing", source)
    signing = dataclasses.replace(signing, signers=signers)
    rehearsal = data.get("rehearsal", False)
    if not isinstance(rehearsal, bool):
        raise ProfileError(f"{source}: rehearsal must be true or false", "see docs/profile.md")
    profile = Profile(
        name=data["name"],
        rehearsal=rehearsal,
        repos=_build(Repos, data["repos"], "repos", source),
        branches=_build(Branches, data.get("branches", {}), "branches", source),
        files=_build(Files, data.get("files", {}), "files", source),
        freeze=_build(Freeze, data.get("freeze", {}), "freeze", source),
        signing=signing,
        commands=_build(Commands, data.get("commands", {}), "commands", source),
        publish=_build(Publish, data.get("publish", {}), "publish", source),
        installers=(
            _installers(data["installers"], source) if "installers" in data else CPYTHON_INSTALLERS
        ),
    )
    _check_maintenance_pattern(profile.branches.maintenance, source)
    _choice(profile.freeze.method, FREEZE_METHODS, "freeze.method", source)
    _choice(profile.signing.gpg, GPG_POLICIES, "signing.gpg", source)
    _choice(profile.signing.sigstore, SIGSTORE_INSTANCES, "signing.sigstore", source)
    _choice(profile.publish.method, PUBLISH_METHODS, "publish.method", source)
    return profile


def load_profile(path: Path) -> Profile:
    """Read and validate a profile file."""
    try:
        raw = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ProfileError(
            f"no profile file at {path}",
            "pass --profile with the path of a profile (see docs/profile.md), "
            "or copy the built-in one with `rmtui profile show cpython > my.toml`",
        ) from None
    try:
        data = tomllib.loads(raw)
    except tomllib.TOMLDecodeError as exc:
        raise ProfileError(f"{path} is not valid TOML: {exc}", "fix the syntax") from None
    return profile_from_dict(data, source=str(path))


def dump_profile(profile: Profile) -> str:
    import tomli_w

    return tomli_w.dumps(profile.to_toml_dict())
