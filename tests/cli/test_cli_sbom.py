"""`rmtui sbom diff`: a report with exit 1 on differences, exit 2 on bad input."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from rmtui.cli.sbom import sbom
from tests.ops.test_sbom import NEW_COMPONENTS, OLD_COMPONENTS, release_sboms


@pytest.fixture
def releases(tmp_path: Path) -> tuple[Path, Path]:
    """The .tar.xz SBOMs of two sandbox releases whose vendored components differ."""
    _, (_, old) = release_sboms(tmp_path / "3.11", OLD_COMPONENTS)
    _, (_, new) = release_sboms(tmp_path / "3.12", NEW_COMPONENTS)
    return old, new


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(sbom, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_differences_are_a_report_with_exit_1(releases: tuple[Path, Path]) -> None:
    old, new = releases
    code, out, err = run("diff", str(old), str(new))
    assert code == 1
    assert err == ""
    assert "- setuptools 65.5.0" in out
    assert "+ hacl-star 8ba599b2" in out
    assert "~ expat" in out
    assert "version: 2.5.0 → 2.6.0" in out
    assert "license: BSD-2-Clause → BSD-3-Clause" in out


def test_json_output(releases: tuple[Path, Path]) -> None:
    old, new = releases
    code, out, _ = run("diff", "--json", str(old), str(new))
    assert code == 1
    data = json.loads(out)
    assert [c["name"] for c in data["added"]] == ["hacl-star"]
    assert [c["name"] for c in data["removed"]] == ["setuptools"]
    assert {c["name"] for c in data["changed"]} == {"CPython", "expat", "mpdecimal"}


def test_identical_sboms_exit_0(releases: tuple[Path, Path]) -> None:
    old, _ = releases
    code, out, _ = run("diff", str(old), str(old))
    assert code == 0
    assert "No component differences" in out
    code, out, _ = run("diff", "--json", str(old), str(old))
    assert code == 0
    assert json.loads(out)["identical"] is True


def test_missing_file_is_an_error_with_exit_2(releases: tuple[Path, Path], tmp_path: Path) -> None:
    old, _ = releases
    code, out, err = run("diff", str(old), str(tmp_path / "nope.spdx.json"))
    assert code == 2
    assert out == ""
    assert "cannot read SBOM" in err
    assert "how to fix" in err


@pytest.mark.parametrize(
    ("content", "message"),
    [("{broken", "not valid JSON"), ('{"hello": 1}', "not an SPDX JSON document")],
)
def test_invalid_file_is_an_error_with_exit_2(
    releases: tuple[Path, Path], tmp_path: Path, content: str, message: str
) -> None:
    old, _ = releases
    bad = tmp_path / "bad.spdx.json"
    bad.write_text(content)
    code, _, err = run("diff", "--json", str(bad), str(old))
    assert code == 2
    assert message in err


def test_directory_instead_of_file_is_exit_2(releases: tuple[Path, Path], tmp_path: Path) -> None:
    old, _ = releases
    code, _, err = run("diff", str(tmp_path), str(old))
    assert code == 2
    assert "cannot read SBOM" in err


def test_help_documents_the_exit_status() -> None:
    code, out, _ = run("diff", "--help")
    assert code == 0
    assert "Exit status" in out
    assert "1  they differ; this is a report, not an error" in out
    assert "--json" in out


def test_cli_sbom_does_not_import_textual() -> None:
    probe = "import sys, rmtui.cli.sbom; sys.exit('textual' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", probe], check=False).returncode == 0
