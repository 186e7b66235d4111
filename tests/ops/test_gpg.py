"""Real gpg: key checks, detached signatures, wrong passphrases and signed git tags."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from rmtui.core.errors import SigningError
from rmtui.ops.gpg import Gpg, loopback_git_signing, normalize_fingerprint
from tests.helpers import (
    TEST_PASSPHRASE,
    GpgTestHome,
    empty_gpg_home,
    gpg_home_with_key,
    public_only_home,
)


@pytest.fixture(scope="module")
def protected() -> Iterator[GpgTestHome]:
    with gpg_home_with_key(passphrase=TEST_PASSPHRASE) as home:
        yield home


@pytest.fixture(scope="module")
def unprotected() -> Iterator[GpgTestHome]:
    with gpg_home_with_key(email="other@example.invalid") as home:
        yield home


@pytest.fixture
def artifact(tmp_path: Path) -> Path:
    path = tmp_path / "Python-3.13.1.tgz"
    path.write_bytes(b"pretend tarball\n" * 100)
    return path


def test_find_key_describes_the_key(protected: GpgTestHome) -> None:
    key = protected.gpg.find_key(protected.fingerprint.lower())
    assert key.fingerprint == protected.fingerprint
    assert key.uids == ("Test RM <rm@example.invalid>",)
    assert key.has_secret and key.can_sign and not key.revoked
    assert key.expires is not None
    assert timedelta(days=360) < key.expires - key.created < timedelta(days=370)


def test_sign_and_verify_with_passphrase(protected: GpgTestHome, artifact: Path) -> None:
    signature = protected.gpg.sign_detached(artifact, protected.fingerprint, TEST_PASSPHRASE)
    assert signature == artifact.with_name(artifact.name + ".asc")
    assert signature.read_text().startswith("-----BEGIN PGP SIGNATURE-----")
    protected.gpg.verify_detached(artifact, signature, protected.fingerprint)
    plain_gpg = subprocess.run(
        ["gpg", "--homedir", str(protected.home), "--batch", "--verify", signature, artifact],
        capture_output=True,
        text=True,
        check=False,
    )
    assert plain_gpg.returncode == 0, plain_gpg.stderr


def test_key_without_passphrase_signs_with_none(unprotected: GpgTestHome, artifact: Path) -> None:
    signature = unprotected.gpg.sign_detached(artifact, unprotected.fingerprint, None)
    unprotected.gpg.verify_detached(artifact, signature, unprotected.fingerprint)


def test_wrong_passphrase_has_its_own_error(protected: GpgTestHome, artifact: Path) -> None:
    # Sign right first: with caching off in the test home, the agent cannot mask what follows.
    protected.gpg.sign_detached(artifact, protected.fingerprint, TEST_PASSPHRASE)
    with pytest.raises(SigningError, match="wrong passphrase") as caught:
        protected.gpg.sign_detached(artifact, protected.fingerprint, "not the passphrase")
    assert "not the passphrase" not in str(caught.value)
    assert "rmtui secrets set gpg-passphrase" in caught.value.hint


def test_missing_passphrase_is_named(protected: GpgTestHome, artifact: Path) -> None:
    with pytest.raises(SigningError, match="needs a passphrase and none was given"):
        protected.gpg.sign_detached(artifact, protected.fingerprint, None)
    assert not artifact.with_name(artifact.name + ".asc").exists()


def test_passphrase_with_line_break_is_refused(protected: GpgTestHome, artifact: Path) -> None:
    with pytest.raises(SigningError, match="line break"):
        protected.gpg.sign_detached(artifact, protected.fingerprint, "one\ntwo")


def test_signing_a_missing_file_fails(protected: GpgTestHome, tmp_path: Path) -> None:
    with pytest.raises(SigningError, match="no such file"):
        protected.gpg.sign_detached(tmp_path / "nope.tgz", protected.fingerprint, TEST_PASSPHRASE)


def test_tampered_file_fails_verification(protected: GpgTestHome, artifact: Path) -> None:
    signature = protected.gpg.sign_detached(artifact, protected.fingerprint, TEST_PASSPHRASE)
    artifact.write_bytes(artifact.read_bytes() + b"backdoor")
    with pytest.raises(SigningError, match=f"BAD signature: {artifact.name}"):
        protected.gpg.verify_detached(artifact, signature, protected.fingerprint)


def test_signature_by_another_key_names_both(
    protected: GpgTestHome, unprotected: GpgTestHome, artifact: Path
) -> None:
    signature = unprotected.gpg.sign_detached(artifact, unprotected.fingerprint, None)
    with empty_gpg_home() as home:
        verifier = Gpg(home)
        verifier.import_keys(protected.gpg.export_public_key(protected.fingerprint))
        verifier.import_keys(unprotected.gpg.export_public_key(unprotected.fingerprint))
        with pytest.raises(SigningError) as caught:
            verifier.verify_detached(artifact, signature, protected.fingerprint)
    message = str(caught.value)
    assert unprotected.fingerprint in message and protected.fingerprint in message


def test_signature_by_unknown_key_asks_for_import(
    protected: GpgTestHome, unprotected: GpgTestHome, artifact: Path
) -> None:
    signature = unprotected.gpg.sign_detached(artifact, unprotected.fingerprint, None)
    with pytest.raises(SigningError, match="not in") as caught:
        protected.gpg.verify_detached(artifact, signature, protected.fingerprint)
    assert "gpg --import" in caught.value.hint


def test_garbage_signature_is_explained(protected: GpgTestHome, artifact: Path) -> None:
    junk = artifact.with_name(artifact.name + ".asc")
    junk.write_text("not a signature")
    with pytest.raises(SigningError, match="could not verify"):
        protected.gpg.verify_detached(artifact, junk, protected.fingerprint)


def test_missing_signature_file(protected: GpgTestHome, artifact: Path) -> None:
    with pytest.raises(SigningError, match="does not exist"):
        protected.gpg.verify_detached(artifact, artifact.with_suffix(".asc"), protected.fingerprint)


def test_healthy_key_has_no_warnings(protected: GpgTestHome) -> None:
    assert protected.gpg.check_signing_key(protected.fingerprint) == []


def test_key_expiring_soon_warns() -> None:
    with gpg_home_with_key(expire="10d") as home:
        warnings = home.gpg.check_signing_key(home.fingerprint)
    assert len(warnings) == 1
    assert "expires on" in warnings[0] and "--quick-set-expire" in warnings[0]


def test_expiry_warning_uses_the_given_now(protected: GpgTestHome) -> None:
    key = protected.gpg.find_key(protected.fingerprint)
    assert key.expires is not None
    soon = key.expires - timedelta(days=5)
    assert "expires on" in protected.gpg.check_signing_key(protected.fingerprint, now=soon)[0]


def test_expired_key_is_an_error(artifact: Path) -> None:
    with gpg_home_with_key(expired=True) as home:
        with pytest.raises(SigningError, match="expired on 2020-01-0") as caught:
            home.gpg.check_signing_key(home.fingerprint)
        assert "--quick-set-expire" in caught.value.hint
        with pytest.raises(SigningError, match="expired"):
            home.gpg.sign_detached(artifact, home.fingerprint, None)


def test_missing_key_is_an_error(protected: GpgTestHome) -> None:
    with pytest.raises(SigningError, match="no key with fingerprint") as caught:
        protected.gpg.check_signing_key("A" * 40)
    assert "gpg --import" in caught.value.hint


def test_key_without_secret_part_is_an_error(protected: GpgTestHome, artifact: Path) -> None:
    with public_only_home(protected) as public:
        key = public.gpg.find_key(public.fingerprint)
        assert not key.has_secret
        with pytest.raises(SigningError, match="secret part"):
            public.gpg.check_signing_key(public.fingerprint)
        with pytest.raises(SigningError, match="secret part"):
            public.gpg.sign_detached(artifact, public.fingerprint, TEST_PASSPHRASE)


@pytest.mark.parametrize("bad", ["856894F1E029FCD2", "not hex at all", ""])
def test_short_or_bad_fingerprints_are_refused(bad: str) -> None:
    with pytest.raises(SigningError, match="not a full OpenPGP key fingerprint"):
        normalize_fingerprint(bad)


def test_fingerprint_with_spaces_is_accepted() -> None:
    spaced = "62EF 92E7 363A 8508 1A76  35F6 8568 94F1 E029 FCD2"
    assert normalize_fingerprint(spaced.lower()) == spaced.replace(" ", "")


def test_bad_expiry_is_refused(tmp_path: Path) -> None:
    with empty_gpg_home() as home, pytest.raises(SigningError, match="key expiry"):
        Gpg(home).generate_key("X", "x@example.invalid", None, expire="next tuesday")


def test_missing_home_is_named(tmp_path: Path) -> None:
    with pytest.raises(SigningError, match="does not exist"):
        Gpg(tmp_path / "no-such-home")


def _git(
    repo: Path, *args: str, env: dict[str, str] | None = None, pass_fds: tuple[int, ...] = ()
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["git", "-C", str(repo), *args],
        capture_output=True,
        text=True,
        check=False,
        env=env,
        pass_fds=pass_fds,
    )


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    repo = tmp_path / "repo"
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    (repo / "README").write_text("release\n")
    assert _git(repo, "add", "README").returncode == 0
    assert _git(repo, "commit", "-q", "-m", "Python 3.13.1").returncode == 0
    return repo


def test_git_tag_is_signed_in_loopback(protected: GpgTestHome, repo: Path) -> None:
    with loopback_git_signing(TEST_PASSPHRASE, protected.home) as (config, env, pass_fds):
        assert all(TEST_PASSPHRASE not in value for value in env.values())
        assert all(TEST_PASSPHRASE not in arg for arg in config)
        wrapper = Path(config[1].split("=", 1)[1])
        assert TEST_PASSPHRASE not in wrapper.read_text()
        tagged = _git(
            repo,
            *config,
            "tag",
            "-s",
            "-u",
            protected.fingerprint,
            "-m",
            "Python 3.13.1",
            "v3.13.1",
            env=env,
            pass_fds=pass_fds,
        )
    assert tagged.returncode == 0, tagged.stderr
    assert not wrapper.parent.exists()
    verified = _git(
        repo, "verify-tag", "--raw", "v3.13.1", env={**os.environ, "GNUPGHOME": str(protected.home)}
    )
    assert verified.returncode == 0, verified.stderr
    assert f"VALIDSIG {protected.fingerprint}" in verified.stderr


def test_git_tag_with_wrong_passphrase_fails(protected: GpgTestHome, repo: Path) -> None:
    with loopback_git_signing("not the passphrase", protected.home) as signing:
        config, env, pass_fds = signing
        tagged = _git(
            repo,
            *config,
            "tag",
            "-s",
            "-u",
            protected.fingerprint,
            "-m",
            "x",
            "v3.13.1",
            env=env,
            pass_fds=pass_fds,
        )
        assert tagged.returncode != 0
        error = signing.failure(protected.fingerprint)
    assert "wrong passphrase" in str(error)
    assert _git(repo, "tag", "--list").stdout == ""


def test_git_tag_with_unprotected_key_needs_no_passphrase(
    unprotected: GpgTestHome, repo: Path
) -> None:
    with loopback_git_signing(None, unprotected.home) as (config, env, pass_fds):
        assert pass_fds == ()
        tagged = _git(
            repo, *config, "tag", "-s", "-u", unprotected.fingerprint, "-m", "x", "v1", env=env
        )
    assert tagged.returncode == 0, tagged.stderr


def test_git_tag_without_needed_passphrase_is_explained(protected: GpgTestHome, repo: Path) -> None:
    with loopback_git_signing(None, protected.home) as signing:
        config, env, _ = signing
        tagged = _git(
            repo, *config, "tag", "-s", "-u", protected.fingerprint, "-m", "x", "v1", env=env
        )
        assert tagged.returncode != 0
        error = signing.failure(protected.fingerprint)
    assert "needs a passphrase" in str(error)


def test_expiring_key_warning_is_about_thirty_days() -> None:
    now = datetime.now(tz=UTC)
    with gpg_home_with_key(expire="45d") as home:
        assert home.gpg.check_signing_key(home.fingerprint, now=now) == []
        later = now + timedelta(days=20)
        assert home.gpg.check_signing_key(home.fingerprint, now=later)


def test_forgetting_the_cache_unmasks_a_wrong_passphrase(artifact: Path) -> None:
    with gpg_home_with_key(passphrase=TEST_PASSPHRASE) as home:
        # This home caches passphrases, as a release manager's own home does.
        (home.home / "gpg-agent.conf").write_text("allow-loopback-pinentry\n")
        home.gpg.kill_agent()
        home.gpg.sign_detached(artifact, home.fingerprint, TEST_PASSPHRASE)
        home.gpg.forget_cached_passphrase(home.fingerprint)
        with pytest.raises(SigningError, match="wrong passphrase"):
            home.gpg.sign_detached(artifact, home.fingerprint, "not the passphrase")


def test_revoked_key_is_an_error() -> None:
    with gpg_home_with_key() as home:
        # gpg stores a revocation certificate at key creation, disarmed by a leading colon.
        stored = home.home / "openpgp-revocs.d" / f"{home.fingerprint}.rev"
        armed = stored.read_text().replace(":-----BEGIN", "-----BEGIN")
        home.gpg.import_keys(armed)
        assert home.gpg.find_key(home.fingerprint).revoked
        with pytest.raises(SigningError, match="is revoked"):
            home.gpg.check_signing_key(home.fingerprint)


def test_importing_garbage_is_explained() -> None:
    with empty_gpg_home() as home, pytest.raises(SigningError, match="no key could be imported"):
        Gpg(home).import_keys("-----BEGIN NOTHING-----")


def test_large_artifact_is_signed_whole(protected: GpgTestHome, tmp_path: Path) -> None:
    # python-gnupg, given a path, closes the file under its copier thread: a tarball-sized
    # file came out signed truncated. 32 MiB reproduced it every time.
    tarball = tmp_path / "Python-3.13.1.tar.xz"
    tarball.write_bytes(os.urandom(32 * 1024 * 1024))
    signature = protected.gpg.sign_detached(tarball, protected.fingerprint, TEST_PASSPHRASE)
    plain_gpg = subprocess.run(
        ["gpg", "--homedir", str(protected.home), "--batch", "--verify", signature, tarball],
        capture_output=True,
        text=True,
        check=False,
    )
    assert plain_gpg.returncode == 0, plain_gpg.stderr
