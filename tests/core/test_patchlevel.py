"""Include/patchlevel.h and README.rst editing match what CPython's release tools produce."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rmtui.core.errors import InvalidVersion
from rmtui.core.patchlevel import (
    END_MARKER,
    START_MARKER,
    PatchlevelError,
    TreeVersion,
    parse_patchlevel,
    parse_tree_version,
    read_tree_version,
    readme_title,
    render_constants,
    render_patchlevel_h,
    update_patchlevel,
    update_readme_version,
)
from rmtui.core.version import Level, parse_version

# The constants block of CPython's Include/patchlevel.h on main after 3.15.0a2, byte for
# byte: release.py writes tab-separated lines and expands the tabs (3.7.0a3 and later).
CPYTHON_3_15_0A2_PLUS = (
    "#define PY_MAJOR_VERSION        3\n"
    "#define PY_MINOR_VERSION        15\n"
    "#define PY_MICRO_VERSION        0\n"
    "#define PY_RELEASE_LEVEL        PY_RELEASE_LEVEL_ALPHA\n"
    "#define PY_RELEASE_SERIAL       2\n"
    "\n"
    "/* Version as a string */\n"
    '#define PY_VERSION              "3.15.0a2+"\n'
)

# CPython 3.7.13's file: an older layout around the same block, which must survive edits.
CPYTHON_3_7_13 = (
    "\n/* Python version identification scheme.\n*/\n\n"
    "/* Values for PY_RELEASE_LEVEL */\n"
    "#define PY_RELEASE_LEVEL_ALPHA  0xA\n"
    "#define PY_RELEASE_LEVEL_BETA   0xB\n"
    "#define PY_RELEASE_LEVEL_GAMMA  0xC     /* For release candidates */\n"
    "#define PY_RELEASE_LEVEL_FINAL  0xF     /* Serial should be 0 here */\n"
    "\n/* Version parsed out into numeric values */\n"
    "/*--start constants--*/\n"
    "#define PY_MAJOR_VERSION        3\n"
    "#define PY_MINOR_VERSION        7\n"
    "#define PY_MICRO_VERSION        13\n"
    "#define PY_RELEASE_LEVEL        PY_RELEASE_LEVEL_FINAL\n"
    "#define PY_RELEASE_SERIAL       0\n"
    "\n"
    "/* Version as a string */\n"
    '#define PY_VERSION              "3.7.13"\n'
    "/*--end constants--*/\n"
    "\n"
    "#define PY_VERSION_HEX ((PY_MAJOR_VERSION << 24) | \\\n"
    "                        (PY_RELEASE_SERIAL << 0))\n"
)

RELEASES = [
    "3.14.0a1",
    "3.14.0a7",
    "3.14.0b1",
    "3.14.0b3",
    "3.14.0rc1",
    "3.14.0rc2",
    "3.14.0",
    "3.13.5",
    "3.15.0a1",
    "3.15.0b2",
    "3.15.0",
]


def test_constants_block_is_byte_for_byte_cpythons() -> None:
    version = parse_version("3.15.0a2")
    assert render_constants(version, "3.15.0a2+") == CPYTHON_3_15_0A2_PLUS


def test_whole_file_carries_the_block_between_the_markers() -> None:
    text = render_patchlevel_h(parse_version("3.15.0a2"), "3.15.0a2+")
    assert f"{START_MARKER}\n{CPYTHON_3_15_0A2_PLUS}{END_MARKER}\n" in text
    assert text.startswith("#ifndef _Py_PATCHLEVEL_H\n")
    assert "#define PY_VERSION_HEX _Py_PACK_FULL_VERSION(" in text
    assert text.endswith("#endif //_Py_PATCHLEVEL_H\n")


@pytest.mark.parametrize("text", RELEASES)
@pytest.mark.parametrize("suffix", ["", "+", "+dev"])
def test_render_parse_round_trip_for_every_release_type(text: str, suffix: str) -> None:
    version = parse_version(text)
    header = render_patchlevel_h(version, f"{version}{suffix}")
    fields = parse_patchlevel(header)
    assert fields == {**version.patchlevel_fields, "PY_VERSION": f"{version}{suffix}"}
    assert read_tree_version(header) == TreeVersion.of_release(version, suffix)


@pytest.mark.parametrize("text", RELEASES)
def test_release_commit_fields_equal_the_release_versions(text: str) -> None:
    version = parse_version(text)
    assert parse_patchlevel(render_patchlevel_h(version, text)) == version.patchlevel_fields


def test_a0_tree_renders_as_main_after_branching() -> None:
    tree = parse_tree_version("3.15.0a0")
    header = render_patchlevel_h(tree, "3.15.0a0")
    assert parse_patchlevel(header) == {
        "PY_MAJOR_VERSION": "3",
        "PY_MINOR_VERSION": "15",
        "PY_MICRO_VERSION": "0",
        "PY_RELEASE_LEVEL": "PY_RELEASE_LEVEL_ALPHA",
        "PY_RELEASE_SERIAL": "0",
        "PY_VERSION": "3.15.0a0",
    }
    assert read_tree_version(header) == tree


def test_update_replaces_only_the_block() -> None:
    before = render_patchlevel_h(parse_version("3.14.0rc2"), "3.14.0rc2+")
    after = update_patchlevel(before, parse_version("3.14.0rc3"), "3.14.0rc3")
    head, _, rest = before.partition(START_MARKER)
    _, _, tail = rest.partition(END_MARKER)
    assert after.startswith(head + START_MARKER + "\n")
    assert after.endswith(END_MARKER + tail)
    assert parse_patchlevel(after) == parse_version("3.14.0rc3").patchlevel_fields
    assert update_patchlevel(after, parse_version("3.14.0rc3"), "3.14.0rc3") == after


def test_update_keeps_an_older_layout_around_the_block() -> None:
    after = update_patchlevel(CPYTHON_3_7_13, parse_version("3.7.14"), "3.7.14")
    expected = CPYTHON_3_7_13.replace(
        "PY_MICRO_VERSION        13", "PY_MICRO_VERSION        14"
    ).replace('"3.7.13"', '"3.7.14"')
    assert after == expected


def test_post_release_bump_adds_the_dev_suffix() -> None:
    release = render_patchlevel_h(parse_version("3.15.0a1"), "3.15.0a1")
    bumped = update_patchlevel(release, parse_version("3.15.0a1"), "3.15.0a1+dev")
    assert parse_patchlevel(bumped)["PY_VERSION"] == "3.15.0a1+dev"
    assert read_tree_version(bumped) == parse_tree_version("3.15.0a1+dev")


def test_update_keeps_crlf_line_endings() -> None:
    text = render_patchlevel_h(parse_version("3.13.4"), "3.13.4+").replace("\n", "\r\n")
    after = update_patchlevel(text, parse_version("3.13.5"), "3.13.5")
    assert "\n" not in after.replace("\r\n", "")
    assert parse_patchlevel(after)["PY_VERSION"] == "3.13.5"


@pytest.mark.parametrize(
    ("mangle", "problem"),
    [
        (lambda text: text.replace(START_MARKER + "\n", ""), "no /*--start constants--*/"),
        (lambda text: text.replace(END_MARKER + "\n", ""), "no /*--end constants--*/"),
        (lambda text: text + START_MARKER + "\n" + END_MARKER + "\n", "more than one"),
        (
            lambda text: (
                text.replace(START_MARKER, "@@")
                .replace(END_MARKER, START_MARKER)
                .replace("@@", END_MARKER)
            ),
            "before",
        ),
    ],
)
def test_update_names_a_broken_marker(mangle: Callable[[str], str], problem: str) -> None:
    text = mangle(render_patchlevel_h(parse_version("3.14.0rc2"), "3.14.0rc2+"))
    with pytest.raises(PatchlevelError, match=re.escape(problem)) as caught:
        update_patchlevel(text, parse_version("3.14.0rc3"), "3.14.0rc3")
    assert "upstream" in caught.value.hint


@pytest.mark.parametrize("py_version", ["3.14.0rc2", "3.14.0rc3x", "3.14.0", "3.13.0rc3"])
def test_py_version_must_belong_to_the_version(py_version: str) -> None:
    with pytest.raises((PatchlevelError, InvalidVersion)):
        render_constants(parse_version("3.14.0rc3"), py_version)


def test_mismatched_py_version_error_names_both() -> None:
    with pytest.raises(
        PatchlevelError, match=r"'3\.14\.0rc2' does not belong to version 3\.14\.0rc3"
    ):
        render_constants(parse_version("3.14.0rc3"), "3.14.0rc2")


GOOD = render_patchlevel_h(parse_version("3.14.0b2"), "3.14.0b2+")


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        (GOOD.replace("#define PY_MICRO_VERSION        0\n", ""), "does not define PY_MICRO"),
        (GOOD.replace('#define PY_VERSION              "3.14.0b2+"\n', ""), "PY_VERSION"),
        ("", "does not define PY_MAJOR_VERSION, PY_MINOR_VERSION"),
        (GOOD.replace("PY_MINOR_VERSION        14", "PY_MINOR_VERSION        xiv"), "not a num"),
        (GOOD.replace("LEVEL        PY_RELEASE_LEVEL_BETA", "LEVEL        0xB"), "not one of"),
        (GOOD.replace('"3.14.0b2+"', "3.14.0b2+"), "not a quoted string"),
        (GOOD + "#define PY_RELEASE_SERIAL 3\n", "defines PY_RELEASE_SERIAL twice"),
    ],
)
def test_parse_names_the_broken_field(text: str, problem: str) -> None:
    with pytest.raises(PatchlevelError, match=re.escape(problem)):
        parse_patchlevel(text)


def test_read_tree_version_catches_a_half_edited_file() -> None:
    text = GOOD.replace('"3.14.0b2+"', '"3.14.0b3"')
    with pytest.raises(
        PatchlevelError, match=re.escape("PY_RELEASE_SERIAL is 2 but 3 for 3.14.0b3")
    ):
        read_tree_version(text)


def test_read_tree_version_rejects_a_bad_py_version() -> None:
    with pytest.raises(PatchlevelError, match=re.escape("PY_VERSION in patchlevel.h")):
        read_tree_version(GOOD.replace('"3.14.0b2+"', '"3.14.0b2-dev"'))


@pytest.mark.parametrize(
    ("text", "long_name"),
    [
        ("3.14.0a7", "3.14.0 alpha 7"),
        ("3.14.0b1+", "3.14.0 beta 1"),
        ("3.14.0rc2+", "3.14.0 release candidate 2"),
        ("3.14.0", "3.14.0"),
        ("3.13.4+", "3.13.4"),
        ("3.15.0a0", "3.15.0 alpha 0"),
        ("3.15.0a1+dev", "3.15.0 alpha 1"),
    ],
)
def test_tree_versions_parse_and_print(text: str, long_name: str) -> None:
    tree = parse_tree_version(text)
    assert str(tree) == text
    assert tree.long_name == long_name
    assert TreeVersion.parse(text) == tree


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("3.14", "not a CPython tree version"),
        ("v3.14.0", "not a CPython tree version"),
        ("3.14.0+foo", "not a CPython tree version"),
        ("3.14.0rc02", "not a CPython tree version"),
        ("2.7.18", "Python 3 trees only"),
        ("3.14.0b0", "only alphas have a 0 state"),
        ("3.14.0rc0+", "only alphas have a 0 state"),
        ("3.15.0a0+", "without a dev suffix"),
        ("3.14.1rc1", "only X.Y.0"),
    ],
)
def test_bad_tree_versions_are_named(text: str, problem: str) -> None:
    with pytest.raises(InvalidVersion, match=re.escape(problem)) as caught:
        parse_tree_version(text)
    assert caught.value.hint


def test_tree_version_rejects_an_unknown_suffix() -> None:
    with pytest.raises(InvalidVersion, match="not a dev suffix"):
        TreeVersion(3, 14, 0, Level.FINAL, 0, "-dev")


@given(
    minor=st.integers(0, 40),
    micro=st.integers(0, 20),
    level=st.sampled_from(list(Level)),
    serial=st.integers(1, 9),
    suffix=st.sampled_from(["", "+", "+dev"]),
)
def test_every_valid_tree_version_survives_a_file_round_trip(
    minor: int, micro: int, level: Level, serial: int, suffix: str
) -> None:
    if level is Level.FINAL:
        serial = 0
    else:
        micro = 0
    tree = TreeVersion(3, minor, micro, level, serial, suffix)
    assert parse_tree_version(str(tree)) == tree
    assert read_tree_version(render_patchlevel_h(tree, str(tree))) == tree


README = (
    "This is Python version 3.14.0 release candidate 2\n"
    "=================================================\n"
    "\n"
    "Copyright © 2001 Python Software Foundation.  All rights reserved.\n"
)


@pytest.mark.parametrize(
    ("version", "title"),
    [
        ("3.14.0rc3", "This is Python version 3.14.0 release candidate 3"),
        ("3.14.0", "This is Python version 3.14.0"),
        ("3.15.0a0", "This is Python version 3.15.0 alpha 0"),
        ("3.14.0b4+", "This is Python version 3.14.0 beta 4"),
    ],
)
def test_readme_title_and_underline_follow_the_version(version: str, title: str) -> None:
    updated = update_readme_version(README, version)
    lines = updated.split("\n")
    assert lines[0] == title
    assert lines[1] == "=" * len(title)
    assert "\n".join(lines[2:]) == README.split("\n", 2)[2]
    assert readme_title(version) == f"{title}\n{'=' * len(title)}\n"


def test_readme_update_keeps_crlf() -> None:
    updated = update_readme_version(README.replace("\n", "\r\n"), "3.14.0")
    assert updated.startswith("This is Python version 3.14.0\r\n=============================\r\n")


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("", "does not start with 'This is Python version '"),
        ("Python 3.14\n===========\n", "it starts 'Python 3.14'"),
        ("This is Python version 3.14.0\n\nText\n", "no '=' underline"),
        ("This is Python version 3.14.0\n", "no '=' underline"),
        ("This is Python version 3.14.0\n-----------------------------\n", "no '=' underline"),
    ],
)
def test_readme_without_the_version_lines_is_an_error(text: str, problem: str) -> None:
    with pytest.raises(PatchlevelError, match=re.escape(problem)) as caught:
        update_readme_version(text, "3.14.0")
    assert "restore the first two lines" in caught.value.hint


def test_readme_rejects_a_bad_version() -> None:
    with pytest.raises(InvalidVersion):
        update_readme_version(README, "3.14.0c1")
