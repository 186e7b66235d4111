"""Release versions: every field a parsed version derives, and a precise error for bad input."""

from __future__ import annotations

import dataclasses

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rmtui.core.errors import InvalidVersion
from rmtui.core.version import Level, ReleaseType, ReleaseVersion, parse_version

LEVELS = {
    "a": "PY_RELEASE_LEVEL_ALPHA",
    "b": "PY_RELEASE_LEVEL_BETA",
    "rc": "PY_RELEASE_LEVEL_GAMMA",
    "": "PY_RELEASE_LEVEL_FINAL",
}

VALID = [
    # text, tag, branch, type, post-release, gpg by default
    ("3.14.0a1", "v3.14.0a1", "main", ReleaseType.ALPHA, "3.14.0a1+", False),
    ("3.14.0a7", "v3.14.0a7", "main", ReleaseType.ALPHA, "3.14.0a7+", False),
    ("3.14.0b1", "v3.14.0b1", "main", ReleaseType.BETA_1, "3.14.0b1+", False),
    ("3.14.0b2", "v3.14.0b2", "3.14", ReleaseType.BETA, "3.14.0b2+", False),
    ("3.14.0rc2", "v3.14.0rc2", "3.14", ReleaseType.RC, "3.14.0rc2+", False),
    ("3.14.0", "v3.14.0", "3.14", ReleaseType.FINAL, "3.14.0+", False),
    ("3.13.5", "v3.13.5", "3.13", ReleaseType.BUGFIX, "3.13.5+", True),
    ("3.13.10", "v3.13.10", "3.13", ReleaseType.BUGFIX, "3.13.10+", True),
    ("3.9.18", "v3.9.18", "3.9", ReleaseType.BUGFIX, "3.9.18+", True),
    ("3.10.0rc1", "v3.10.0rc1", "3.10", ReleaseType.RC, "3.10.0rc1+", True),
    ("3.15.0a1", "v3.15.0a1", "main", ReleaseType.ALPHA, "3.15.0a1+dev", False),
    ("3.15.0b1", "v3.15.0b1", "main", ReleaseType.BETA_1, "3.15.0b1+dev", False),
    ("3.15.0", "v3.15.0", "3.15", ReleaseType.FINAL, "3.15.0+dev", False),
    ("3.16.3", "v3.16.3", "3.16", ReleaseType.BUGFIX, "3.16.3+dev", False),
]


@pytest.mark.parametrize(("text", "tag", "branch", "kind", "post", "gpg"), VALID)
def test_valid_versions_derive_every_field(
    text: str, tag: str, branch: str, kind: ReleaseType, post: str, gpg: bool
) -> None:
    version = parse_version(text)
    assert str(version) == text
    assert version.tag == tag
    assert version.branch == branch
    assert version.release_type is kind
    assert version.post_release == post
    assert version.gpg_by_default is gpg
    assert version.minor_version == f"{version.major}.{version.minor}"
    assert version.is_prerelease is (
        kind in (ReleaseType.ALPHA, ReleaseType.BETA_1, ReleaseType.BETA, ReleaseType.RC)
    )


@pytest.mark.parametrize(
    ("text", "fields"),
    [
        ("3.14.0rc2", ("3", "14", "0", "rc", "2")),
        ("3.14.0a1", ("3", "14", "0", "a", "1")),
        ("3.14.0b3", ("3", "14", "0", "b", "3")),
        ("3.13.5", ("3", "13", "5", "", "0")),
        ("3.14.0", ("3", "14", "0", "", "0")),
    ],
)
def test_patchlevel_fields(text: str, fields: tuple[str, str, str, str, str]) -> None:
    major, minor, micro, level, serial = fields
    assert parse_version(text).patchlevel_fields == {
        "PY_MAJOR_VERSION": major,
        "PY_MINOR_VERSION": minor,
        "PY_MICRO_VERSION": micro,
        "PY_RELEASE_LEVEL": LEVELS[level],
        "PY_RELEASE_SERIAL": serial,
        "PY_VERSION": text,
    }


def test_parsed_parts() -> None:
    version = parse_version("3.14.0rc2")
    assert (version.major, version.minor, version.micro) == (3, 14, 0)
    assert (version.level, version.serial) == (Level.RC, 2)
    assert parse_version("3.13.5").level is Level.FINAL
    assert parse_version("3.13.5").serial == 0


def test_security_only_is_not_part_of_the_version() -> None:
    names = {f.name for f in dataclasses.fields(ReleaseVersion)}
    assert not any("security" in name for name in names)
    assert not hasattr(parse_version("3.12.9"), "security_only")


def test_b1_knows_what_main_becomes() -> None:
    assert parse_version("3.15.0b1").next_minor_alpha0() == "3.16.0a0"


def test_versions_sort_in_release_order() -> None:
    order = [
        "3.13.9",
        "3.13.10",
        "3.14.0a1",
        "3.14.0a2",
        "3.14.0b1",
        "3.14.0b4",
        "3.14.0rc1",
        "3.14.0rc3",
        "3.14.0",
        "3.14.1",
        "3.15.0a1",
    ]
    parsed = [parse_version(v) for v in order]
    assert sorted(reversed(parsed)) == parsed
    assert parse_version("3.14.0rc3") < parse_version("3.14.0")
    assert parse_version("3.14.0") > parse_version("3.14.0a1")
    assert max(parsed) == parse_version("3.15.0a1")


INVALID = [
    # text, words the problem must contain
    ("", "empty"),
    ("   ", "empty"),
    ("3.14", "micro number is missing"),
    ("3", "minor and micro numbers are missing"),
    ("3.14.0a0", "pre-release numbers start at 1"),
    ("3.14.0b0", "pre-release numbers start at 1"),
    ("v3.14.0", "starts with 'v'"),
    ("V3.14.0", "starts with 'V'"),
    ("3.14.0-rc1", "no '-' goes before the pre-release part"),
    ("3.14.0_rc1", "no '_' goes before the pre-release part"),
    ("3.14.0.rc1", "no '.' goes before the pre-release part"),
    ("3.14.0c1", "'c' is not a pre-release level"),
    ("3.14.0alpha1", "'alpha' is not a pre-release level"),
    ("3.14.0RC1", "lower case"),
    ("3.14.0rc", "needs a number after it"),
    ("3.14.0b", "needs a number after it"),
    ("3.14.1a1", "only X.Y.0 has alphas"),
    ("3.14.2rc1", "only X.Y.0 has alphas"),
    ("2.7.18", "Python 3 only"),
    ("4.0.0", "Python 3 only"),
    ("3.14.0.1", "more than three numbers"),
    ("03.14.0", "leading zero"),
    ("3.014.0", "leading zero"),
    ("3.14.0rc01", "leading zero"),
    (" 3.14.0", "whitespace"),
    ("3.14.0\n", "whitespace"),
    ("abc", "must start with digits"),
    ("3.14.0+", "'+'"),
    ("3.14.0a1+", "'+'"),
    ("3.15.0a1+dev", "'+dev'"),
    ("3.14.0rc1.post1", "after the pre-release"),
]


@pytest.mark.parametrize(("text", "expected"), INVALID)
def test_invalid_versions_name_the_problem(text: str, expected: str) -> None:
    with pytest.raises(InvalidVersion) as caught:
        parse_version(text)
    error = caught.value
    assert expected in error.problem
    assert error.hint, "every error says how to fix it"
    assert expected in str(error)


def test_a_zero_prerelease_suggests_the_first_real_one() -> None:
    with pytest.raises(InvalidVersion) as caught:
        parse_version("3.14.0a0")
    assert "3.14.0a1" in caught.value.hint


def test_a_v_prefix_suggests_the_version_without_it() -> None:
    with pytest.raises(InvalidVersion) as caught:
        parse_version("v3.14.0")
    assert "'3.14.0'" in caught.value.hint


@given(
    minor=st.integers(0, 40),
    micro=st.integers(0, 30),
    level=st.sampled_from(["a", "b", "rc", ""]),
    serial=st.integers(1, 9),
)
def test_every_valid_version_round_trips(minor: int, micro: int, level: str, serial: int) -> None:
    if level:
        micro = 0
    text = f"3.{minor}.{micro}{level}{serial if level else ''}"
    version = parse_version(text)
    assert str(version) == text
    assert parse_version(version.tag.removeprefix("v")) == version
    assert version.patchlevel_fields["PY_VERSION"] == text
    assert version.post_release.startswith(text)


@given(st.text(max_size=20))
def test_any_text_is_a_version_or_an_invalid_version_error(text: str) -> None:
    try:
        version = parse_version(text)
    except InvalidVersion as exc:
        assert exc.problem and exc.hint
    else:
        assert str(version) == text
