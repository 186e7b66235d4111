"""Reading and rewriting Include/patchlevel.h and the README.rst title, as release.py does."""

from __future__ import annotations

import re
from dataclasses import dataclass

from rmtui.core.errors import InvalidVersion, RmtuiError
from rmtui.core.version import (
    PATCHLEVEL_LEVEL_NAMES,
    Level,
    ReleaseVersion,
    patchlevel_numbers,
)

START_MARKER = "/*--start constants--*/"
END_MARKER = "/*--end constants--*/"
README_TITLE_PREFIX = "This is Python version "

PATCHLEVEL_FIELDS = (
    "PY_MAJOR_VERSION",
    "PY_MINOR_VERSION",
    "PY_MICRO_VERSION",
    "PY_RELEASE_LEVEL",
    "PY_RELEASE_SERIAL",
    "PY_VERSION",
)
DEV_SUFFIXES = ("", "+", "+dev")

_LEVEL_BY_PATCHLEVEL_NAME = {name: level for level, name in PATCHLEVEL_LEVEL_NAMES.items()}
_LONG_LEVEL_NAMES = {Level.ALPHA: "alpha", Level.BETA: "beta", Level.RC: "release candidate"}
_TREE_VERSION_RE = re.compile(
    r"(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:(a|b|rc)(0|[1-9]\d*))?(\+dev|\+)?"
)
_DEFINE_RE = re.compile(r"^#define[ \t]+(PY_[A-Z_]+)[ \t]+(.*?)[ \t\r]*$", re.MULTILINE)
_TREE_EXAMPLES = "3.14.0rc2, 3.14.0rc2+, 3.15.0a1+dev or 3.15.0a0"


class PatchlevelError(RmtuiError):
    """Include/patchlevel.h or README.rst is not in the shape the release tools edit."""


@dataclass(frozen=True)
class TreeVersion:
    """The version a source tree carries: a release (3.14.0rc2), a dev state after one
    (3.14.0rc2+, 3.15.0a1+dev), or main right after a branch point (3.15.0a0)."""

    major: int
    minor: int
    micro: int
    level: Level = Level.FINAL
    serial: int = 0
    suffix: str = ""

    def __post_init__(self) -> None:
        _check_tree_fields(self, str(self))

    @classmethod
    def parse(cls, text: str) -> TreeVersion:
        return parse_tree_version(text)

    @classmethod
    def of_release(cls, version: ReleaseVersion, suffix: str = "") -> TreeVersion:
        """The tree state of `version` itself (suffix "") or right after it ("+"/"+dev")."""
        return cls(
            version.major, version.minor, version.micro, version.level, version.serial, suffix
        )

    def __str__(self) -> str:
        return f"{self.release_text}{self.suffix}"

    @property
    def release_text(self) -> str:
        """The version without its dev suffix: `3.14.0rc2` for `3.14.0rc2+`."""
        if self.level is Level.FINAL:
            return f"{self.major}.{self.minor}.{self.micro}"
        return f"{self.major}.{self.minor}.{self.micro}{self.level.value}{self.serial}"

    @property
    def long_name(self) -> str:
        """How README.rst names it: `3.14.0 release candidate 2` (never a dev suffix)."""
        if self.level is Level.FINAL:
            return self.release_text
        base = f"{self.major}.{self.minor}.{self.micro}"
        return f"{base} {_LONG_LEVEL_NAMES[self.level]} {self.serial}"

    @property
    def patchlevel_numbers(self) -> dict[str, str]:
        """The five numeric/level `#define` values (everything but PY_VERSION)."""
        return patchlevel_numbers(self.major, self.minor, self.micro, self.level, self.serial)

    @property
    def patchlevel_fields(self) -> dict[str, str]:
        """All six `#define` values, PY_VERSION unquoted."""
        return {**self.patchlevel_numbers, "PY_VERSION": str(self)}


def parse_tree_version(text: str) -> TreeVersion:
    """Parse the PY_VERSION of a tree (`3.14.0rc2+`, `3.15.0a0`...), with a precise error."""
    hint = f"write a tree version such as {_TREE_EXAMPLES}"
    match = _TREE_VERSION_RE.fullmatch(text)
    if match is None:
        raise InvalidVersion(f"{text!r} is not a CPython tree version", hint)
    major, minor, micro = (int(group) for group in match.group(1, 2, 3))
    level = Level(match.group(4) or "")
    serial = int(match.group(5) or 0)
    return TreeVersion(major, minor, micro, level, serial, match.group(6) or "")


def _check_tree_fields(version: TreeVersion, text: str) -> None:
    hint = f"write a tree version such as {_TREE_EXAMPLES}"
    if version.major != 3:
        raise InvalidVersion(f"{text!r}: rmtui handles Python 3 trees only", hint)
    if min(version.minor, version.micro, version.serial) < 0:
        raise InvalidVersion(f"{text!r}: version numbers cannot be negative", hint)
    if version.suffix not in DEV_SUFFIXES:
        raise InvalidVersion(f"{text!r}: {version.suffix!r} is not a dev suffix", hint)
    if version.level is Level.FINAL:
        if version.serial != 0:
            raise InvalidVersion(f"{text!r}: a final version has serial 0", hint)
        return
    if version.micro != 0:
        raise InvalidVersion(f"{text!r}: only X.Y.0 has alphas, betas and release candidates", hint)
    if version.serial == 0:
        if version.level is not Level.ALPHA:
            raise InvalidVersion(
                f"{text!r}: only alphas have a 0 state (a0, main right after branching)", hint
            )
        if version.suffix:
            raise InvalidVersion(
                f"{text!r}: a0 is written without a dev suffix",
                f"write {version.major}.{version.minor}.0a0",
            )


def _tree_version_for(version: ReleaseVersion | TreeVersion, py_version: str) -> TreeVersion:
    """Check that `py_version` is `version` or its dev state, and return it parsed."""
    tree = parse_tree_version(py_version)
    expected = version.release_text if isinstance(version, TreeVersion) else str(version)
    if tree.release_text != expected:
        raise PatchlevelError(
            f"PY_VERSION {py_version!r} does not belong to version {expected}",
            f"pass {expected!r} or its dev state ({expected}+ or {expected}+dev)",
        )
    return tree


def render_constants(version: ReleaseVersion | TreeVersion, py_version: str) -> str:
    """The lines between the constants markers, exactly as release.py's tweak_patchlevel
    writes them (tab-separated, then tabs expanded to 8 columns), each ending in a newline."""
    tree = _tree_version_for(version, py_version)
    lines = [f"#define {name}\t{value}" for name, value in tree.patchlevel_numbers.items()]
    lines += ["", "/* Version as a string */", f'#define PY_VERSION      \t"{py_version}"']
    return "".join(f"{line.expandtabs()}\n" for line in lines)


def update_patchlevel(text: str, version: ReleaseVersion | TreeVersion, py_version: str) -> str:
    """Replace the constants block of a whole patchlevel.h; everything else is kept as is."""
    lines = text.splitlines(keepends=True)
    bare = [line.rstrip("\r\n") for line in lines]
    start, end = _marker_positions(bare)
    newline = "\r\n" if lines[start].endswith("\r\n") else "\n"
    constants = render_constants(version, py_version).replace("\n", newline)
    return "".join([*lines[: start + 1], constants, *lines[end:]])


def _marker_positions(bare_lines: list[str]) -> tuple[int, int]:
    hint = (
        f"Include/patchlevel.h needs a {START_MARKER} line and an {END_MARKER} line around "
        "the #define block; restore them from the upstream file (git checkout upstream/main "
        "-- Include/patchlevel.h)"
    )
    starts = [index for index, line in enumerate(bare_lines) if line == START_MARKER]
    ends = [index for index, line in enumerate(bare_lines) if line == END_MARKER]
    if not starts:
        raise PatchlevelError(f"patchlevel.h has no {START_MARKER} line", hint)
    if not ends:
        raise PatchlevelError(f"patchlevel.h has no {END_MARKER} line", hint)
    if len(starts) > 1 or len(ends) > 1:
        raise PatchlevelError("patchlevel.h has more than one constants block", hint)
    if ends[0] < starts[0]:
        raise PatchlevelError(f"patchlevel.h has {END_MARKER} before {START_MARKER}", hint)
    return starts[0], ends[0]


def parse_patchlevel(text: str) -> dict[str, str]:
    """The six `#define` values of a patchlevel.h (PY_VERSION unquoted), checked for shape."""
    hint = "restore the #define block of Include/patchlevel.h from the upstream file"
    found: dict[str, str] = {}
    for name, value in _DEFINE_RE.findall(text):
        if name not in PATCHLEVEL_FIELDS:
            continue
        if name in found:
            raise PatchlevelError(f"patchlevel.h defines {name} twice", hint)
        found[name] = value
    missing = [name for name in PATCHLEVEL_FIELDS if name not in found]
    if missing:
        raise PatchlevelError(f"patchlevel.h does not define {', '.join(missing)}", hint)
    for name in ("PY_MAJOR_VERSION", "PY_MINOR_VERSION", "PY_MICRO_VERSION", "PY_RELEASE_SERIAL"):
        if not found[name].isdigit():
            raise PatchlevelError(f"{name} is {found[name]!r}, not a number", hint)
    if found["PY_RELEASE_LEVEL"] not in _LEVEL_BY_PATCHLEVEL_NAME:
        known = ", ".join(PATCHLEVEL_LEVEL_NAMES.values())
        raise PatchlevelError(
            f"PY_RELEASE_LEVEL is {found['PY_RELEASE_LEVEL']!r}, not one of {known}", hint
        )
    quoted = found["PY_VERSION"]
    if len(quoted) < 2 or not (quoted.startswith('"') and quoted.endswith('"')):
        raise PatchlevelError(f"PY_VERSION is {quoted!r}, not a quoted string", hint)
    found["PY_VERSION"] = quoted[1:-1]
    return {name: found[name] for name in PATCHLEVEL_FIELDS}


def read_tree_version(text: str) -> TreeVersion:
    """The tree version a patchlevel.h declares, after checking PY_VERSION agrees with
    the numeric fields (a half-edited file is caught here, not in a tarball)."""
    fields = parse_patchlevel(text)
    try:
        tree = parse_tree_version(fields["PY_VERSION"])
    except InvalidVersion as error:
        raise PatchlevelError(f"PY_VERSION in patchlevel.h: {error.problem}", error.hint) from None
    numbers = {name: value for name, value in fields.items() if name != "PY_VERSION"}
    if numbers != tree.patchlevel_numbers:
        disagree = ", ".join(
            f"{name} is {numbers[name]} but {tree.patchlevel_numbers[name]} for {tree}"
            for name in numbers
            if numbers[name] != tree.patchlevel_numbers[name]
        )
        raise PatchlevelError(
            f"patchlevel.h is inconsistent: {disagree}",
            "rewrite the constants block with update_patchlevel (what release.py --bump does)",
        )
    return tree


def render_patchlevel_h(version: ReleaseVersion | TreeVersion, py_version: str) -> str:
    """A whole Include/patchlevel.h laid out as CPython's."""
    return _PATCHLEVEL_HEAD + render_constants(version, py_version) + _PATCHLEVEL_TAIL


def readme_title(version: str) -> str:
    """The first two lines of README.rst for a tree at `version` (dev suffix not shown)."""
    title = README_TITLE_PREFIX + parse_tree_version(version).long_name
    return f"{title}\n{'=' * len(title)}\n"


def update_readme_version(text: str, version: str) -> str:
    """Rewrite README.rst's title line and its `=` underline (length kept equal), as
    release.py's tweak_readme does; the rest of the file is kept byte for byte."""
    lines = text.splitlines(keepends=True)
    hint = (
        f"README.rst must start with a '{README_TITLE_PREFIX}X.Y.Z' line underlined with "
        "'='; restore the first two lines from the upstream file"
    )
    if not lines or not lines[0].startswith(README_TITLE_PREFIX):
        first = lines[0].rstrip("\r\n") if lines else ""
        raise PatchlevelError(
            f"README.rst does not start with {README_TITLE_PREFIX!r} (it starts {first!r})", hint
        )
    underline = lines[1].rstrip("\r\n") if len(lines) > 1 else ""
    if not underline or set(underline) != {"="}:
        raise PatchlevelError("README.rst's title has no '=' underline on its second line", hint)
    newline = "\r\n" if lines[0].endswith("\r\n") else "\n"
    title, rule = readme_title(version).splitlines()
    return "".join([title + newline, rule + newline, *lines[2:]])


_PATCHLEVEL_HEAD = (
    """\
#ifndef _Py_PATCHLEVEL_H
#define _Py_PATCHLEVEL_H
/* Python version identification scheme.

   When the major or minor version changes, the VERSION variable in
   configure.ac must also be changed.

   There is also (independent) API version information in modsupport.h.

   This header should self-contained; PC/python_ver_rc.h includes it
   without the rest of Python.h.
*/

/* Values for PY_RELEASE_LEVEL */
#define PY_RELEASE_LEVEL_ALPHA  0xA
#define PY_RELEASE_LEVEL_BETA   0xB
#define PY_RELEASE_LEVEL_GAMMA  0xC     /* For release candidates */
#define PY_RELEASE_LEVEL_FINAL  0xF     /* Serial should be 0 here */
                                        /* Higher for patch releases */

/* Version parsed out into numeric values */
"""
    + START_MARKER
    + "\n"
)

_PATCHLEVEL_TAIL = (
    END_MARKER
    + """

#define _Py_PACK_FULL_VERSION(X, Y, Z, LEVEL, SERIAL) ( \\
    (((X) & 0xff) << 24) |                              \\
    (((Y) & 0xff) << 16) |                              \\
    (((Z) & 0xff) << 8) |                               \\
    (((LEVEL) & 0xf) << 4) |                            \\
    (((SERIAL) & 0xf) << 0))

/* Version as a single 4-byte hex number, e.g. 0x010502B2 == 1.5.2b2.
   Use this for numeric comparisons, e.g. #if PY_VERSION_HEX >= ... */
#define PY_VERSION_HEX _Py_PACK_FULL_VERSION( \\
    PY_MAJOR_VERSION,                         \\
    PY_MINOR_VERSION,                         \\
    PY_MICRO_VERSION,                         \\
    PY_RELEASE_LEVEL,                         \\
    PY_RELEASE_SERIAL)

/* The API and ABI versions are left for backwards compatibility. */
#define PYTHON_API_VERSION 1013
#define PYTHON_API_STRING "1013"
#define PYTHON_ABI_VERSION 3
#define PYTHON_ABI_STRING "3"

#endif //_Py_PATCHLEVEL_H
"""
)
