"""`rmtui verify` end to end: real Sigstore bundles, real gpg signatures, SHA256SUMS."""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from rmtui.cli.verify import verify
from rmtui.core.errors import RmtuiError
from rmtui.usecases import verification
from rmtui.usecases.verification import CheckResult, VerifyRequest, register_check, run_checks
from tests.conftest import sigstore_fixtures
from tests.helpers import GpgTestHome, gpg_home_with_key

STAGING = ["--identity", "william@yossarian.net", "--issuer", "https://github.com/login/oauth"]
PRODUCTION = [
    "--identity",
    "https://github.com/trailofbits/rfc8785.py/.github/workflows/release.yml@refs/tags/v0.1.2",
    "--issuer",
    "https://token.actions.githubusercontent.com",
]


def run(*args: str | Path) -> Result:
    return CliRunner().invoke(verify, [str(arg) for arg in args], env={"COLUMNS": "250"})


def rows(*args: str | Path) -> tuple[int, list[dict[str, Any]]]:
    result = run(*args, "--json")
    document = json.loads(result.output)
    assert document["ok"] == (result.exit_code == 0)
    return result.exit_code, document["checks"]


def failing(checks: list[dict[str, Any]]) -> list[tuple[str, str, str]]:
    return [(row["subject"], row["check"], row["detail"]) for row in checks if not row["passed"]]


@pytest.fixture
def fixtures() -> Path:
    return sigstore_fixtures()


@pytest.fixture(scope="module")
def signing_key() -> Iterator[GpgTestHome]:
    with gpg_home_with_key() as home:
        yield home


@pytest.fixture(scope="module")
def other_key() -> Iterator[GpgTestHome]:
    with gpg_home_with_key(email="intruder@example.invalid") as home:
        yield home


def make_release(folder: Path, signer: GpgTestHome) -> list[Path]:
    """Two artifacts, each with a .asc, and a SHA256SUMS listing both."""
    folder.mkdir()
    artifacts = []
    for name, content in (("Python-3.13.1.tgz", b"tgz"), ("Python-3.13.1.tar.xz", b"xz")):
        artifact = folder / name
        artifact.write_bytes(content * 1000)
        signer.gpg.sign_detached(artifact, signer.fingerprint, None)
        artifacts.append(artifact)
    (folder / "SHA256SUMS").write_text(
        "".join(
            f"{hashlib.sha256(path.read_bytes()).hexdigest()}  {path.name}\n" for path in artifacts
        )
    )
    return artifacts


def gpg_args(signer: GpgTestHome) -> list[str]:
    return ["--gpg-key", signer.fingerprint, "--gnupghome", str(signer.home)]


# Sigstore, on the shared fixtures


def test_staging_fixture_passes_with_its_identity(fixtures: Path) -> None:
    result = run(fixtures / "bundle_v3.txt", *STAGING, "--staging")
    assert result.exit_code == 0, result.output
    assert "PASS" in result.output and "FAIL" not in result.output
    assert "1 check, 0 failed" in result.output


def test_production_fixture_passes_with_its_identity(fixtures: Path) -> None:
    code, checks = rows(fixtures / "bundle_v3_github.whl", *PRODUCTION)
    assert code == 0
    assert [(row["subject"], row["check"], row["passed"]) for row in checks] == [
        ("bundle_v3_github.whl", "sigstore", True)
    ]


def test_naming_the_bundle_means_its_artifact(fixtures: Path) -> None:
    code, checks = rows(fixtures / "bundle_v3.txt.sigstore", *STAGING, "--staging")
    assert code == 0 and checks[0]["subject"] == "bundle_v3.txt"


def test_bad_txt_has_no_bundle_and_fails(fixtures: Path) -> None:
    result = run(fixtures / "bad.txt", *STAGING, "--staging")
    assert result.exit_code == 1
    assert "FAIL" in result.output and "no bad.txt.sigstore beside it" in result.output


def test_bad_txt_against_the_real_bundle_is_a_digest_mismatch(
    fixtures: Path, tmp_path: Path
) -> None:
    shutil.copy(fixtures / "bad.txt", tmp_path / "bad.txt")
    shutil.copy(fixtures / "bundle_v3.txt.sigstore", tmp_path / "bad.txt.sigstore")
    code, checks = rows(tmp_path / "bad.txt", *STAGING, "--staging")
    assert code == 1
    [(subject, check, detail)] = failing(checks)
    assert (subject, check) == ("bad.txt", "sigstore")
    assert "digest mismatch" in detail


def test_wrong_identity_fails_with_a_clear_row(fixtures: Path) -> None:
    code, checks = rows(
        fixtures / "bundle_v3.txt",
        "--identity",
        "thomas@python.org",
        "--issuer",
        STAGING[3],
        "--staging",
    )
    assert code == 1
    [(_, check, detail)] = failing(checks)
    assert check == "sigstore"
    assert "thomas@python.org" in detail and "william@yossarian.net" in detail


def test_wrong_issuer_fails_with_a_clear_row(fixtures: Path) -> None:
    code, checks = rows(
        fixtures / "bundle_v3.txt",
        "--identity",
        STAGING[1],
        "--issuer",
        "https://accounts.google.com",
        "--staging",
    )
    assert code == 1
    [(_, _, detail)] = failing(checks)
    assert "expected issuer https://accounts.google.com" in detail


def test_wrong_instance_fails(fixtures: Path) -> None:
    code, checks = rows(fixtures / "bundle_v3.txt", *STAGING)
    assert code == 1
    assert "--staging" in failing(checks)[0][2]


def test_bundle_without_expected_identity_fails(fixtures: Path) -> None:
    code, checks = rows(fixtures / "bundle_v3.txt")
    assert code == 1
    assert "pass --identity and --issuer" in failing(checks)[0][2]


def test_identity_needs_issuer(fixtures: Path) -> None:
    result = run(fixtures / "bundle_v3.txt", "--identity", "x@example.com")
    assert result.exit_code == 2
    assert "--identity and --issuer go together" in result.output


def test_missing_path_is_a_usage_error(tmp_path: Path) -> None:
    result = run(tmp_path / "nope.tgz")
    assert result.exit_code == 2 and "does not exist" in result.output


# GPG and SHA256SUMS, on a release folder made here


def test_signed_release_folder_passes(tmp_path: Path, signing_key: GpgTestHome) -> None:
    make_release(tmp_path / "release", signing_key)
    code, checks = rows(tmp_path / "release", *gpg_args(signing_key))
    assert code == 0, failing(checks)
    assert sorted((row["subject"], row["check"]) for row in checks) == [
        ("Python-3.13.1.tar.xz", "gpg"),
        ("Python-3.13.1.tar.xz", "sha256"),
        ("Python-3.13.1.tgz", "gpg"),
        ("Python-3.13.1.tgz", "sha256"),
    ]


def test_tampered_artifact_fails_both_checks(tmp_path: Path, signing_key: GpgTestHome) -> None:
    tgz, _ = make_release(tmp_path / "release", signing_key)
    tgz.write_bytes(tgz.read_bytes() + b"backdoor")
    code, checks = rows(tmp_path / "release", *gpg_args(signing_key))
    assert code == 1
    problems = {(subject, check): detail for subject, check, detail in failing(checks)}
    assert set(problems) == {(tgz.name, "sha256"), (tgz.name, "gpg")}
    assert "differs from" in problems[(tgz.name, "sha256")]
    assert "BAD signature" in problems[(tgz.name, "gpg")]


def test_signature_by_another_key_fails(
    tmp_path: Path, signing_key: GpgTestHome, other_key: GpgTestHome
) -> None:
    tgz, _ = make_release(tmp_path / "release", other_key)
    signing_key.gpg.import_keys(other_key.gpg.export_public_key(other_key.fingerprint))
    code, checks = rows(tgz, *gpg_args(signing_key))
    assert code == 1
    [(_, check, detail)] = failing(checks)
    assert check == "gpg"
    assert other_key.fingerprint in detail and signing_key.fingerprint in detail


def test_asc_without_expected_key_fails(tmp_path: Path, signing_key: GpgTestHome) -> None:
    tgz, _ = make_release(tmp_path / "release", signing_key)
    code, checks = rows(tgz)
    assert code == 1
    assert "pass --gpg-key" in failing(checks)[0][2]


def test_expected_key_but_no_asc_fails(tmp_path: Path, signing_key: GpgTestHome) -> None:
    tgz, _ = make_release(tmp_path / "release", signing_key)
    tgz.with_name(tgz.name + ".asc").unlink()
    code, checks = rows(tgz, *gpg_args(signing_key))
    assert code == 1
    assert failing(checks) == [(tgz.name, "gpg", f"no {tgz.name}.asc beside it")]


def test_unsigned_file_fails(tmp_path: Path) -> None:
    lonely = tmp_path / "lonely.tgz"
    lonely.write_bytes(b"x")
    code, checks = rows(lonely)
    assert code == 1
    assert failing(checks) == [("lonely.tgz", "signed", "no .asc or .sigstore beside it")]


def test_sums_problems_each_get_a_row(tmp_path: Path, signing_key: GpgTestHome) -> None:
    folder = tmp_path / "release"
    make_release(folder, signing_key)
    extra = folder / "Python-3.13.1.exe"
    extra.write_bytes(b"installer")
    signing_key.gpg.sign_detached(extra, signing_key.fingerprint, None)
    with (folder / "SHA256SUMS").open("a") as sums:
        sums.write("not a checksum line\n")
        sums.write(f"{'0' * 64}  Python-3.13.1.chm\n")
    code, checks = rows(folder, *gpg_args(signing_key))
    assert code == 1
    assert sorted(failing(checks)) == [
        ("Python-3.13.1.chm", "sha256", "listed in SHA256SUMS but missing"),
        ("Python-3.13.1.exe", "sha256", "not listed in SHA256SUMS"),
        ("SHA256SUMS", "sha256", "line 3 is not '<sha256>  <file>': 'not a checksum line'"),
    ]


def test_signed_sums_file_is_verified(tmp_path: Path, signing_key: GpgTestHome) -> None:
    folder = tmp_path / "release"
    make_release(folder, signing_key)
    signing_key.gpg.sign_detached(folder / "SHA256SUMS", signing_key.fingerprint, None)
    code, checks = rows(folder, *gpg_args(signing_key))
    assert code == 0
    assert ("SHA256SUMS", "gpg") in [(row["subject"], row["check"]) for row in checks]


def test_empty_folder_fails(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    code, checks = rows(tmp_path / "empty")
    assert code == 1 and checks[0]["detail"] == "no files to verify in the given paths"


# Extension points


def test_registered_and_extra_checks_add_rows(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(verification, "_registered", [])
    artifact = tmp_path / "Python-3.13.1.tgz"
    artifact.write_bytes(b"x")
    artifact.with_name(artifact.name + ".asc").write_text("unchecked")

    @register_check
    def check_commit(request: VerifyRequest) -> list[CheckResult]:
        return [CheckResult(path.name, "commit", True, "matches") for path in request.artifacts]

    def check_broken(request: VerifyRequest) -> list[CheckResult]:
        raise RmtuiError("cannot open the repository", "pass --repo")

    results = run_checks(
        VerifyRequest(artifacts=(artifact, tmp_path / "gone.tgz")), extra_checks=[check_broken]
    )
    summary = [(row.subject, row.check, row.passed) for row in results]
    assert ("gone.tgz", "exists", False) in summary
    assert ("Python-3.13.1.tgz", "commit", True) in summary
    assert ("*", "broken", False) in summary
    assert ("gone.tgz", "commit", True) not in summary


def test_verify_never_imports_textual(fixtures: Path) -> None:
    code = (
        "import sys\n"
        "from rmtui.cli.verify import verify\n"
        "import rmtui.cli.secrets, rmtui.ops.gpg, rmtui.ops.sigstore, rmtui.ops.secrets\n"
        f"verify([{str(fixtures / 'bundle_v3.txt')!r}, *{STAGING!r}, '--staging'],"
        " standalone_mode=False)\n"
        "assert 'textual' not in sys.modules, 'textual was imported'\n"
        "print('clean')\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().endswith("clean")
