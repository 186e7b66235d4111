"""Profiles: the built-in cpython one, validation that names the bad key, and docs/profile.md."""

from __future__ import annotations

import dataclasses
import re
import tomllib
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from rmtui.cli import main
from rmtui.core.errors import ProfileError
from rmtui.core.profile import (
    Branches,
    Commands,
    Files,
    Freeze,
    Profile,
    Publish,
    Repos,
    Signer,
    Signing,
    dump_profile,
    load_profile,
    profile_from_dict,
)
from rmtui.core.release import builtin_profile
from rmtui.core.version import parse_version

DOCS = Path(__file__).resolve().parents[2] / "docs" / "profile.md"
MINIMAL: dict[str, Any] = {
    "name": "mine",
    "repos": {"upstream": "https://example.invalid/up.git", "fork": "f", "clone": "~/src/x"},
}


def _with(path: str, value: Any) -> dict[str, Any]:
    """MINIMAL with `value` set at a dotted `path` ("signing.signers.3.14" style keys quoted)."""
    data: dict[str, Any] = {
        "name": MINIMAL["name"],
        "repos": dict(MINIMAL["repos"]),
    }
    *parents, last = path.split("/")
    table = data
    for name in parents:
        table = table.setdefault(name, {})
    table[last] = value
    return data


def test_the_builtin_cpython_profile_carries_cpythons_rules() -> None:
    profile = builtin_profile("cpython")
    assert profile.name == "cpython"
    assert profile.rehearsal is False
    assert profile.repos.upstream == "https://github.com/python/cpython.git"
    assert (profile.repos.upstream_remote, profile.repos.fork_remote) == ("upstream", "origin")
    assert profile.freeze.method == "github"
    assert profile.freeze.github_repo == "python/cpython"
    assert profile.files.version_file == "Include/patchlevel.h"
    assert profile.publish.method == "sftp"
    assert profile.signing.gpg == "pep761"
    assert profile.signing.sigstore == "production"
    assert sorted(profile.signing.signers, key=lambda m: int(m.split(".")[1])) == [
        "3.9",
        "3.10",
        "3.11",
        "3.12",
        "3.13",
        "3.14",
        "3.15",
    ]
    hugo = profile.signing.signer_for(parse_version("3.14.0rc2"))
    assert hugo.sigstore_identity == "hugo@python.org"
    assert hugo.gpg_fingerprint == "", "PEP 761: no GPG key from 3.14 on"
    thomas = profile.signing.signer_for(parse_version("3.13.5"))
    assert thomas.gpg_fingerprint == "7169605F62C751356D054A26A821E680E5FA6305"
    assert thomas.sigstore_issuer == "https://accounts.google.com"


def test_branch_rules() -> None:
    branches = builtin_profile("cpython").branches
    assert branches.for_version(parse_version("3.15.0a2")) == "main"
    assert branches.for_version(parse_version("3.15.0b1")) == "main"
    assert branches.for_version(parse_version("3.15.0b2")) == "3.15"
    assert branches.for_version(parse_version("3.13.5")) == "3.13"
    custom = Branches(main="trunk", maintenance="release/{minor}")
    assert custom.for_version(parse_version("3.14.0a1")) == "trunk"
    assert custom.for_version(parse_version("3.14.1")) == "release/3.14"


@pytest.mark.parametrize(
    ("policy", "version", "expected"),
    [
        ("pep761", "3.13.5", True),
        ("pep761", "3.14.0", False),
        ("always", "3.14.0", True),
        ("never", "3.12.1", False),
    ],
)
def test_gpg_policy(policy: str, version: str, expected: bool) -> None:
    assert Signing(gpg=policy).uses_gpg(parse_version(version)) is expected


def test_a_missing_signer_names_the_minor_and_the_known_ones() -> None:
    with pytest.raises(ProfileError) as caught:
        builtin_profile("cpython").signing.signer_for(parse_version("3.8.20"))
    assert "no signer for Python 3.8" in caught.value.problem
    assert "3.9" in caught.value.hint and "[signing.signers.'3.8']" in caught.value.hint


def test_defaults_fill_what_a_minimal_profile_leaves_out() -> None:
    profile = profile_from_dict(MINIMAL)
    assert profile.branches == Branches()
    assert profile.freeze.method == "manual"
    assert profile.signing.signers == {}
    assert profile.commands.blurb == "blurb"
    assert profile.repos.clone_path == Path("~/src/x").expanduser()


def test_a_profile_survives_dump_and_load(tmp_path: Path) -> None:
    profile = builtin_profile("cpython")
    path = tmp_path / "p.toml"
    path.write_text(dump_profile(profile))
    assert load_profile(path) == profile


UNKNOWN_KEYS = [
    ({**MINIMAL, "nmae": "x"}, "'nmae' in [top level]", "did you mean 'name'?"),
    ({**MINIMAL, "singing": {}}, "'singing' in [top level]", "did you mean 'signing'?"),
    (_with("repos/upsteam", "x"), "'upsteam' in [repos]", "did you mean 'upstream'?"),
    (_with("freeze/methd", "github"), "'methd' in [freeze]", "did you mean 'method'?"),
    (_with("signing/gnupg_home", "/x"), "'gnupg_home' in [signing]", "did you mean 'gnupghome'?"),
    (
        _with("signing/signers/3.14", {"gpg_fingerprnt": "ABC"}),
        "'gpg_fingerprnt' in [signing.signers.3.14]",
        "did you mean 'gpg_fingerprint'?",
    ),
    (_with("publish/traget", "x"), "'traget' in [publish]", "did you mean 'target'?"),
    (_with("commands/zzz", "x"), "'zzz' in [commands]", "the keys allowed there are: docs"),
]


@pytest.mark.parametrize(("data", "problem", "hint"), UNKNOWN_KEYS)
def test_unknown_keys_are_errors_naming_the_key(
    data: dict[str, Any], problem: str, hint: str
) -> None:
    with pytest.raises(ProfileError) as caught:
        profile_from_dict(data, source="my.toml")
    assert f"my.toml: unknown key {problem}" in caught.value.problem
    assert hint in caught.value.hint


def test_no_suggestion_when_nothing_is_close() -> None:
    with pytest.raises(ProfileError) as caught:
        profile_from_dict(_with("commands/zzz", "x"))
    assert "did you mean" not in caught.value.hint


BAD_VALUES = [
    ({"repos": MINIMAL["repos"]}, "needs a `name`"),
    ({"name": ""}, "needs a `name`"),
    ({"name": "x"}, "needs a [repos] table"),
    ({"name": "x", "repos": {"fork": "f", "clone": "c"}}, "lacks the required key 'upstream'"),
    ({**MINIMAL, "rehearsal": "yes"}, "rehearsal must be true or false"),
    (_with("repos/upstream", 3), "[repos] upstream must be a str, not int"),
    (_with("commands/docs", ["make"]), "[commands] docs must be a str, not list"),
    ({**MINIMAL, "freeze": "github"}, "[freeze] must be a table"),
    ({**MINIMAL, "signing": "gpg"}, "[signing] must be a table"),
    (_with("signing/signers", "hugo"), "[signing.signers] must be a table"),
    (_with("signing/signers/3.14", "hugo"), "[signing.signers.3.14] must be a table"),
    (
        _with("signing/signers/3", {"14": {"sigstore_identity": "x"}}),
        "[signing.signers.3] is not named by a minor version",
    ),
    (_with("freeze/method", "hook"), "freeze.method = 'hook' is not one of github"),
    (_with("signing/gpg", "sometimes"), "signing.gpg = 'sometimes' is not one of"),
    (_with("signing/sigstore", "prod"), "signing.sigstore = 'prod' is not one of"),
    (_with("publish/method", "ftp"), "publish.method = 'ftp' is not one of local, sftp"),
    (_with("branches/maintenance", "{major}.{minor}"), "is not a usable pattern"),
    (_with("branches/maintenance", "maint"), "does not contain {minor}"),
]


@pytest.mark.parametrize(("data", "problem"), BAD_VALUES)
def test_bad_values_are_errors_naming_the_problem(data: dict[str, Any], problem: str) -> None:
    with pytest.raises(ProfileError) as caught:
        profile_from_dict(data, source="my.toml")
    assert problem in caught.value.problem
    assert caught.value.hint


def test_an_unquoted_minor_version_explains_the_quoting(tmp_path: Path) -> None:
    path = tmp_path / "p.toml"
    path.write_text(
        'name = "x"\n[repos]\nupstream = "u"\nfork = "f"\nclone = "c"\n'
        '[signing.signers.3.14]\nsigstore_identity = "me@example.org"\n'
    )
    with pytest.raises(ProfileError) as caught:
        load_profile(path)
    assert '[signing.signers."3.14"]' in caught.value.hint


def test_load_profile_file_errors(tmp_path: Path) -> None:
    with pytest.raises(ProfileError) as caught:
        load_profile(tmp_path / "nope.toml")
    assert "no profile file" in caught.value.problem
    assert "docs/profile.md" in caught.value.hint
    broken = tmp_path / "broken.toml"
    broken.write_text("name = \n")
    with pytest.raises(ProfileError) as caught:
        load_profile(broken)
    assert "is not valid TOML" in caught.value.problem


def test_an_unknown_builtin_profile_names_the_real_one() -> None:
    with pytest.raises(ProfileError) as caught:
        builtin_profile("pypy")
    assert "'pypy'" in caught.value.problem and "cpython" in caught.value.hint


def test_rmtui_start_refuses_a_profile_with_a_typo_and_creates_nothing(tmp_path: Path) -> None:
    profile = tmp_path / "p.toml"
    profile.write_text(
        'name = "x"\n[repos]\nupstream = "u"\nfork = "f"\nclone = "c"\n'
        '[freeze]\nmethdo = "manual"\n'
    )
    workspace = tmp_path / "ws"
    result = CliRunner().invoke(
        main, ["start", "3.14.0", "--profile", str(profile), "--dir", str(workspace)]
    )
    assert result.exit_code == 2
    assert "unknown key 'methdo' in [freeze]" in result.output
    assert "did you mean 'method'?" in result.output
    assert not workspace.exists()


def test_rmtui_start_refuses_an_invalid_version_and_creates_nothing(tmp_path: Path) -> None:
    profile = tmp_path / "p.toml"
    profile.write_text(dump_profile(profile_from_dict(MINIMAL)))
    workspace = tmp_path / "ws"
    result = CliRunner().invoke(
        main, ["start", "3.14.0-rc1", "--profile", str(profile), "--dir", str(workspace)]
    )
    assert result.exit_code == 2
    assert "no '-' goes before the pre-release part" in result.output
    assert "how to fix" in result.output
    assert not workspace.exists()


def test_rmtui_start_with_a_valid_profile_creates_the_release(tmp_path: Path) -> None:
    profile = tmp_path / "p.toml"
    profile.write_text(dump_profile(profile_from_dict(MINIMAL)))
    workspace = tmp_path / "ws"
    result = CliRunner().invoke(
        main, ["start", "3.14.0rc1", "--profile", str(profile), "--dir", str(workspace)]
    )
    assert result.exit_code == 0, result.output
    assert (workspace / "state.json").exists() and (workspace / "release.toml").exists()
    before = (workspace / "state.json").read_bytes(), (workspace / "journal.jsonl").read_bytes()
    again = CliRunner().invoke(
        main, ["start", "3.14.0rc1", "--profile", str(profile), "--dir", str(workspace)]
    )
    assert again.exit_code == 2
    assert "already holds a release" in again.output
    after = (workspace / "state.json").read_bytes(), (workspace / "journal.jsonl").read_bytes()
    assert after == before


# -- docs/profile.md ---------------------------------------------------------------------------

SECTIONS: dict[str, type] = {
    "repos": Repos,
    "branches": Branches,
    "files": Files,
    "freeze": Freeze,
    "signing": Signing,
    "signing.signers": Signer,
    "commands": Commands,
    "publish": Publish,
}


def test_the_docs_describe_every_key() -> None:
    text = DOCS.read_text(encoding="utf-8")
    for field in dataclasses.fields(Profile):
        if field.name not in SECTIONS:
            assert f"`{field.name}`" in text, f"top-level key {field.name} is undocumented"
    for section, cls in SECTIONS.items():
        for field in dataclasses.fields(cls):
            if section == "signing" and field.name == "signers":
                continue
            assert f"`{field.name}`" in text, f"[{section}] {field.name} is undocumented"


def test_the_docs_example_is_a_valid_profile() -> None:
    text = DOCS.read_text(encoding="utf-8")
    blocks = re.findall(r"```toml\n(.*?)```", text, flags=re.DOTALL)
    assert blocks, "docs/profile.md shows an example profile"
    for block in blocks:
        profile_from_dict(tomllib.loads(block), source="docs/profile.md")


def test_the_docs_name_every_allowed_choice() -> None:
    from rmtui.core import profile as module

    text = DOCS.read_text(encoding="utf-8")
    for choices in (
        module.FREEZE_METHODS,
        module.GPG_POLICIES,
        module.SIGSTORE_INSTANCES,
        module.PUBLISH_METHODS,
    ):
        for choice in choices:
            assert f"`{choice}`" in text, f"choice {choice} is undocumented"
