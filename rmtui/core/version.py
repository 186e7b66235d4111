"""CPython release versions: parsing, validation, tags, branches and release types."""

from __future__ import annotations

import enum
import functools
import re
from dataclasses import dataclass

from rmtui.core.errors import InvalidVersion

EXAMPLES = "3.14.0a1, 3.14.0b1, 3.14.0rc2, 3.14.0 or 3.13.5"

_VERSION_RE = re.compile(r"(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:(a|b|rc)(\d+))?")


class ReleaseType(enum.StrEnum):
    """The kinds of release, each with its own plan."""

    ALPHA = "alpha"
    BETA_1 = "beta-1"
    BETA = "beta"
    RC = "rc"
    FINAL = "final"
    BUGFIX = "bugfix"


class Level(enum.StrEnum):
    """Pre-release level as written in the version string ("" for final)."""

    ALPHA = "a"
    BETA = "b"
    RC = "rc"
    FINAL = ""


PATCHLEVEL_LEVEL_NAMES = {
    Level.ALPHA: "PY_RELEASE_LEVEL_ALPHA",
    Level.BETA: "PY_RELEASE_LEVEL_BETA",
    Level.RC: "PY_RELEASE_LEVEL_GAMMA",
    Level.FINAL: "PY_RELEASE_LEVEL_FINAL",
}


# Release order of the levels: the final release comes after every pre-release.
_LEVEL_RANK = {Level.ALPHA: 0, Level.BETA: 1, Level.RC: 2, Level.FINAL: 3}


def patchlevel_numbers(
    major: int, minor: int, micro: int, level: Level, serial: int
) -> dict[str, str]:
    """The five numeric and level `#define` values of patchlevel.h (all but PY_VERSION)."""
    return {
        "PY_MAJOR_VERSION": str(major),
        "PY_MINOR_VERSION": str(minor),
        "PY_MICRO_VERSION": str(micro),
        "PY_RELEASE_LEVEL": PATCHLEVEL_LEVEL_NAMES[level],
        "PY_RELEASE_SERIAL": str(serial),
    }


@functools.total_ordering
@dataclass(frozen=True)
class ReleaseVersion:
    """A validated CPython release version such as 3.14.0rc2; versions sort in release order."""

    major: int
    minor: int
    micro: int
    level: Level = Level.FINAL
    serial: int = 0

    def _sort_key(self) -> tuple[int, int, int, int, int]:
        return (self.major, self.minor, self.micro, _LEVEL_RANK[self.level], self.serial)

    def __lt__(self, other: object) -> bool:
        if not isinstance(other, ReleaseVersion):
            return NotImplemented
        return self._sort_key() < other._sort_key()

    def __str__(self) -> str:
        if self.level is Level.FINAL:
            return f"{self.major}.{self.minor}.{self.micro}"
        return f"{self.major}.{self.minor}.{self.micro}{self.level.value}{self.serial}"

    @property
    def tag(self) -> str:
        return f"v{self}"

    @property
    def minor_version(self) -> str:
        """`3.14`: the name of the maintenance branch and of the Sigstore signer entry."""
        return f"{self.major}.{self.minor}"

    @property
    def release_type(self) -> ReleaseType:
        if self.level is Level.ALPHA:
            return ReleaseType.ALPHA
        if self.level is Level.BETA:
            return ReleaseType.BETA_1 if self.serial == 1 else ReleaseType.BETA
        if self.level is Level.RC:
            return ReleaseType.RC
        return ReleaseType.FINAL if self.micro == 0 else ReleaseType.BUGFIX

    @property
    def branch(self) -> str:
        """The branch the release is cut from: `main` for alphas and b1, else `X.Y`."""
        if self.release_type in (ReleaseType.ALPHA, ReleaseType.BETA_1):
            return "main"
        return self.minor_version

    @property
    def is_prerelease(self) -> bool:
        return self.level is not Level.FINAL

    @property
    def dev_suffix(self) -> str:
        """What marks a tree as "after this release": `+` before 3.15, `+dev` from then."""
        return "+dev" if (self.major, self.minor) >= (3, 15) else "+"

    @property
    def post_release(self) -> str:
        """The PY_VERSION the branch carries right after this release."""
        return f"{self}{self.dev_suffix}"

    @property
    def patchlevel_fields(self) -> dict[str, str]:
        """The `#define` values of Include/patchlevel.h for this release."""
        fields = patchlevel_numbers(self.major, self.minor, self.micro, self.level, self.serial)
        return {**fields, "PY_VERSION": str(self)}

    @property
    def gpg_by_default(self) -> bool:
        """PEP 761: GPG signatures are made for releases before 3.14 only."""
        return (self.major, self.minor) < (3, 14)

    def next_minor_alpha0(self) -> str:
        """What `main` becomes after this b1: `X.(Y+1).0a0`."""
        return f"{self.major}.{self.minor + 1}.0a0"


def parse_version(text: str) -> ReleaseVersion:
    """Parse and validate a CPython release version, with a precise error for bad input."""
    hint = f"write a CPython release version such as {EXAMPLES}"
    if not text or not text.strip():
        raise InvalidVersion("the version is empty", hint)
    if text != text.strip():
        raise InvalidVersion(f"version {text!r} has surrounding whitespace", hint)
    if text[0] in "vV":
        raise InvalidVersion(
            f"version {text!r} starts with {text[0]!r}",
            f"drop the prefix: write {text[1:]!r}; the tag name ({text!r}) is derived from it",
        )
    match = _VERSION_RE.fullmatch(text)
    if match is None:
        raise InvalidVersion(f"{text!r} is not a release version: {_diagnose(text)}", hint)
    major, minor, micro = (int(g) for g in match.group(1, 2, 3))
    level = Level(match.group(4) or "")
    serial = int(match.group(5) or 0)
    if match.group(5) is not None and match.group(5) != str(serial):
        raise InvalidVersion(f"{text!r}: the pre-release number has a leading zero", hint)
    if major != 3:
        raise InvalidVersion(f"{text!r}: rmtui releases Python 3 only (major version 3)", hint)
    if level is not Level.FINAL:
        if serial < 1:
            raise InvalidVersion(
                f"{text!r}: pre-release numbers start at 1 ({level.value}0 is the "
                "development state before the first release, not a release)",
                f"the first one is {major}.{minor}.{micro}{level.value}1",
            )
        if micro != 0:
            raise InvalidVersion(
                f"{text!r}: only X.Y.0 has alphas, betas and release candidates",
                f"a bugfix release is written {major}.{minor}.{micro}",
            )
    return ReleaseVersion(major, minor, micro, level, serial)


def _diagnose(text: str) -> str:
    parts = re.match(r"^(\d+)(?:\.(\d+))?(?:\.(\d+))?(.*)$", text)
    if parts is None:
        return "it must start with digits, like 3.14.0"
    _, minor, micro, rest = parts.groups()
    if minor is None:
        return "the minor and micro numbers are missing (3.14.0, not 3)"
    if micro is None:
        return f"the micro number is missing: {text}.0 is the first release of that series"
    if re.fullmatch(r"\.\d+.*", rest):
        return "it has more than three numbers"
    if rest.startswith("+"):
        return _post_release_suffix(rest)
    if rest.startswith(("-", "_", ".")):
        bad = rest[0]
        return f"no {bad!r} goes before the pre-release part: write {text.replace(bad, '', 1)}"
    level = re.match(r"^([A-Za-z]+)(\d*)(.*)$", rest)
    if level is not None:
        name, number, extra = level.groups()
        if name.lower() in ("a", "b", "rc") and name != name.lower():
            return f"pre-release levels are lower case: {name.lower()}, not {name}"
        if name in ("a", "b", "rc"):
            if not number:
                return f"the {name} level needs a number after it, like {name}1"
            if extra.startswith("+"):
                return _post_release_suffix(extra)
            return f"unexpected text {extra!r} after the pre-release number"
        return f"{name!r} is not a pre-release level (use a, b or rc; 'c' was retired)"
    if re.search(r"\b0\d", text):
        return "a number has a leading zero"
    return "unexpected text after the micro number"


def _post_release_suffix(suffix: str) -> str:
    return (
        f"it ends with {suffix!r}, which marks the development state after a release "
        f"(the post-release version), not a release: drop {suffix!r}"
    )
