"""signing.preflight and sign.artifacts through the engine: real gpg, real Sigstore verification."""

from __future__ import annotations

import io
import json
import shutil
import subprocess
import tarfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jwt
import keyring
import pytest
from click.testing import CliRunner
from keyring.backends import fail

from rmtui.cli.verify import verify
from rmtui.core.engine import Engine, FactView
from rmtui.core.profile import profile_from_dict
from rmtui.core.release import Release
from rmtui.core.status import Status
from rmtui.core.step import Plan, Probe, ProbeOutcome, Prompter, StepContext
from rmtui.core.version import parse_version
from rmtui.ops.checksums import write_sha256sums
from rmtui.ops.gpg import (
    THROWAWAY_AGENT_CONF,
    Gpg,
    create_throwaway_home,
    remove_throwaway_home,
)
from rmtui.ops.secrets import Secrets
from rmtui.ops.sigstore import Signer, SigstoreIdentity
from rmtui.steps.kit.manifest import shipped_artifacts
from rmtui.steps.preflight import PreflightStep
from rmtui.steps.signing import FACT_SIGSTORE_SKIPPED, SignArtifactsStep
from rmtui.steps.signing_preflight import SigningPreflightStep
from tests.conftest import sigstore_fixtures
from tests.helpers import (
    TEST_PASSPHRASE,
    GpgTestHome,
    RecordingListener,
    ScriptedPrompter,
    TickingClock,
    gpg_home_with_key,
    journal_lines,
    public_only_home,
)

# gpg-agent's default key protection costs about a second per unlock; tests need no strength.
FAST_S2K = "s2k-count 65536\n"
CACHING_AGENT_CONF = "allow-loopback-pinentry\ndefault-cache-ttl 600\nmax-cache-ttl 600\n"
FIXTURE_ID = SigstoreIdentity("william@yossarian.net", "https://github.com/login/oauth")
PROFILE = "signtest"


# -- keys, shared per module: generating them is the slow part --------------------------------


@pytest.fixture(scope="module")
def key() -> Iterator[GpgTestHome]:
    with gpg_home_with_key() as home:
        yield home


@contextmanager
def locked_home(*, cache: bool = False) -> Iterator[GpgTestHome]:
    """A home with a passphrase-protected key; `cache` gives it an agent that remembers."""
    home = create_throwaway_home()
    try:
        agent = CACHING_AGENT_CONF if cache else THROWAWAY_AGENT_CONF
        (home / "gpg-agent.conf").write_text(agent + FAST_S2K)
        fingerprint = Gpg(home).generate_key("Locked RM", "rm@example.invalid", TEST_PASSPHRASE)
        yield GpgTestHome(home, fingerprint, TEST_PASSPHRASE, "rm@example.invalid")
    finally:
        remove_throwaway_home(home)


@pytest.fixture(scope="module")
def locked_key() -> Iterator[GpgTestHome]:
    with locked_home() as home:
        yield home


# -- a release whose plan holds only the signing steps --------------------------------------------


class FixtureSigner:
    """The faked Sigstore seam: writes the real fixture bundle, made for bundle_v3.txt."""

    def __init__(self) -> None:
        self.signed: list[str] = []

    def sign(self, artifact: Path, bundle_out: Path) -> None:
        self.signed.append(artifact.name)
        shutil.copy(sigstore_fixtures() / "bundle_v3.txt.sigstore", bundle_out)


def never_called(ctx: StepContext, staging: bool, expected: SigstoreIdentity) -> Signer:
    raise AssertionError("Sigstore signing must not be attempted here")


@dataclass
class Rig:
    engine: Engine
    listener: RecordingListener
    prompter: ScriptedPrompter
    sign_step: SignArtifactsStep

    @property
    def release(self) -> Release:
        return self.engine.release

    @property
    def artifacts(self) -> Path:
        return self.release.artifacts

    def run(self, step_id: str) -> Status:
        return self.engine.run_step(step_id)

    def record(self, step_id: str) -> Any:
        return self.engine.state.steps[step_id]

    def output(self, step_id: str) -> str:
        return "\n".join(self.listener.output(step_id))

    def probe(self) -> Probe:
        return self.sign_step.probe(ProbeContext(self.engine))

    def add(self, name: str, content: bytes = b"") -> Path:
        path = self.artifacts / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if content:
            path.write_bytes(content)
        else:
            shutil.copy(sigstore_fixtures() / "bundle_v3.txt", path)
        return path


class ProbeContext:
    """Just enough of a StepContext to call a probe the way the engine does."""

    def __init__(self, engine: Engine) -> None:
        self.release = engine.release
        self.prompter: Prompter = engine.prompter
        self.facts = FactView(engine.state)
        self.cancel = threading.Event()
        self.workspace = engine.release.workspace

    def output(self, line: str) -> None:
        pass

    def record_fact(self, key: str, value: Any) -> None:
        raise AssertionError("a probe records nothing")

    def progress(self, done: float, total: float, label: str = "") -> None:
        pass


class HeadlessPrompter(ScriptedPrompter):
    """A prompter that, like `rmtui run` without a terminal, cannot ask for a login."""

    interactive = False


def make_release(
    workspace: Path,
    *,
    fingerprint: str,
    gnupghome: Path,
    version: str = "3.13.10",
    rehearsal: bool = True,
    sigstore: str = "staging",
    identity: SigstoreIdentity | None = None,
) -> Release:
    parsed = parse_version(version)
    profile = profile_from_dict(
        {
            "name": PROFILE,
            "rehearsal": rehearsal,
            "repos": {
                "upstream": str(workspace.parent / "upstream.git"),
                "fork": str(workspace.parent / "fork.git"),
                "clone": str(workspace.parent / "clone"),
            },
            "signing": {
                "gnupghome": str(gnupghome),
                "sigstore": sigstore,
                "signers": {
                    parsed.minor_version: {
                        "gpg_fingerprint": fingerprint,
                        "sigstore_identity": identity.identity if identity else "",
                        "sigstore_issuer": identity.issuer if identity else "",
                    }
                },
            },
        }
    )
    return Release(parsed, profile, workspace, created="2026-11-01T00:00:00Z")


@pytest.fixture
def rig_factory(tmp_path: Path) -> Iterator[Any]:
    engines: list[Engine] = []

    def build(
        home: GpgTestHome,
        *,
        prompter: ScriptedPrompter | None = None,
        signer: Any = never_called,
        network: bool = True,
        fingerprint: str | None = None,
        **release_options: Any,
    ) -> Rig:
        release = make_release(
            tmp_path / f"ws{len(engines)}",
            fingerprint=fingerprint or home.fingerprint,
            gnupghome=home.home,
            **release_options,
        )
        sign_step = SignArtifactsStep(signer_factory=signer, network_check=lambda _: network)
        plan = Plan(
            (PreflightStep(), SigningPreflightStep(network_check=lambda _: network), sign_step)
        )
        listener = RecordingListener()
        prompter = prompter or ScriptedPrompter(confirm_by_default=True)
        engine = Engine(release, plan, prompter, listeners=[listener], clock=TickingClock())
        engine.initialise()
        engine.open()
        engines.append(engine)
        engine.skip("preflight", "these tests have no working clone")
        return Rig(engine, listener, prompter, sign_step)

    yield build
    for engine in engines:
        engine.close()


def fixture_signer(signer: FixtureSigner) -> Any:
    return lambda ctx, staging, expected: signer


def make_token(email: str, issuer: str = FIXTURE_ID.issuer) -> str:
    now = int(time.time())
    claims = {
        "iss": "https://oauth2.sigstage.dev/auth",
        "aud": "sigstore",
        "sub": "1",
        "email": email,
        "iat": now - 10,
        "exp": now + 600,
        "federated_claims": {"connector_id": issuer, "user_id": "1"},
    }
    return jwt.encode(claims, "not-a-real-signing-key-for-tests", algorithm="HS256")


def verify_cli(*args: str | Path) -> tuple[int, list[dict[str, Any]]]:
    result = CliRunner().invoke(verify, [*(str(a) for a in args), "--json"])
    return result.exit_code, json.loads(result.output)["checks"]


# -- signing.preflight -------------------------------------------------------------------------


def test_preflight_makes_a_test_signature_and_names_what_it_skips(
    rig_factory: Any, key: GpgTestHome
) -> None:
    rig = rig_factory(key)
    assert rig.run("signing.preflight") is Status.DONE
    out = rig.output("signing.preflight")
    assert f"a test signature by {key.fingerprint} was made and verifies" in out
    assert "never expires" not in out and "expires 20" in out
    assert (
        "warning: sign.artifacts will skip Sigstore: the profile names no Sigstore identity" in out
    )
    assert "keyring: keyring rmtui.ops.secrets.MemoryKeyring" in out
    assert not rig.artifacts.exists()  # the test signature was made in a scratch folder


def test_preflight_wrong_passphrase_from_keyring_is_named(
    rig_factory: Any, locked_key: GpgTestHome
) -> None:
    Secrets(PROFILE).set("gpg-passphrase", "not the passphrase")
    rig = rig_factory(locked_key)
    assert rig.run("signing.preflight") is Status.FAILED
    record = rig.record("signing.preflight")
    assert record.error == f"wrong passphrase for GPG key {locked_key.fingerprint}"
    assert "rmtui secrets set gpg-passphrase" in record.hint
    assert "not the passphrase" not in json.dumps(journal_lines(rig.release.workspace))


def test_preflight_asks_for_a_passphrase_keyring_lacks(
    rig_factory: Any, locked_key: GpgTestHome
) -> None:
    rig = rig_factory(locked_key, prompter=ScriptedPrompter(TEST_PASSPHRASE))
    assert rig.run("signing.preflight") is Status.DONE, rig.record("signing.preflight").error
    assert [q.kind for q in rig.prompter.questions] == ["secret"]
    assert "no GPG passphrase stored" in rig.output("signing.preflight")


def test_preflight_is_not_fooled_by_a_passphrase_the_agent_cached(rig_factory: Any) -> None:
    # An agent that caches passphrases, as a real RM's does, and has just used the right one.
    with locked_home(cache=True) as home:
        scratch = home.home / "warm.txt"
        scratch.write_text("warm the cache\n")
        home.gpg.sign_detached(scratch, home.fingerprint, TEST_PASSPHRASE)
        # Without dropping the cache first, this wrong passphrase would go unnoticed.
        home.gpg.sign_detached(scratch, home.fingerprint, "stale wrong passphrase")
        Secrets(PROFILE).set("gpg-passphrase", "stale wrong passphrase")
        rig = rig_factory(home)
        assert rig.run("signing.preflight") is Status.FAILED
        assert "wrong passphrase" in rig.record("signing.preflight").error


def test_preflight_names_a_missing_key(rig_factory: Any, key: GpgTestHome) -> None:
    rig = rig_factory(key, fingerprint="0123456789ABCDEF0123456789ABCDEF01234567")
    assert rig.run("signing.preflight") is Status.FAILED
    record = rig.record("signing.preflight")
    assert "no key with fingerprint 0123456789ABCDEF0123456789ABCDEF01234567" in record.error
    assert "gpg --import" in record.hint


def test_preflight_names_an_expired_key(rig_factory: Any) -> None:
    with gpg_home_with_key(expired=True) as home:
        rig = rig_factory(home)
        assert rig.run("signing.preflight") is Status.FAILED
        record = rig.record("signing.preflight")
        assert f"key {home.fingerprint} expired on" in record.error
        assert "--quick-set-expire" in record.hint


def test_preflight_names_a_key_without_its_secret_part(rig_factory: Any, key: GpgTestHome) -> None:
    with public_only_home(key) as public:
        rig = rig_factory(public)
        assert rig.run("signing.preflight") is Status.FAILED
        assert "the secret part of key" in rig.record("signing.preflight").error


def test_preflight_warns_of_a_key_expiring_soon(rig_factory: Any) -> None:
    with gpg_home_with_key(expire="10d") as home:
        rig = rig_factory(home)
        assert rig.run("signing.preflight") is Status.DONE
        out = rig.output("signing.preflight")
        assert f"warning: key {home.fingerprint} expires on" in out
        assert "gpg --quick-set-expire" in out


def test_preflight_skips_gpg_from_3_14_saying_why(rig_factory: Any, key: GpgTestHome) -> None:
    rig = rig_factory(key, version="3.14.0", identity=FIXTURE_ID, network=False)
    assert rig.run("signing.preflight") is Status.DONE
    out = rig.output("signing.preflight")
    assert "GPG: not used for 3.14.0: PEP 761: Python 3.14 is signed with Sigstore only" in out
    assert "Sigstore staging is not reachable from here (no network)" in out


def test_preflight_rejects_a_token_for_another_identity(
    rig_factory: Any, key: GpgTestHome, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SIGSTORE_IDENTITY_TOKEN", make_token("intruder@example.invalid"))
    rig = rig_factory(key, identity=FIXTURE_ID)
    assert rig.run("signing.preflight") is Status.FAILED
    record = rig.record("signing.preflight")
    assert "the Sigstore token is for intruder@example.invalid" in record.error
    assert FIXTURE_ID.identity in record.error
    assert "log in with the account the profile names" in record.hint


def test_preflight_accepts_a_token_for_the_expected_identity(
    rig_factory: Any, key: GpgTestHome, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SIGSTORE_IDENTITY_TOKEN", make_token(FIXTURE_ID.identity))
    rig = rig_factory(key, identity=FIXTURE_ID)
    assert rig.run("signing.preflight") is Status.DONE
    assert "SIGSTORE_IDENTITY_TOKEN holds a token for william@yossarian.net" in rig.output(
        "signing.preflight"
    )


def test_preflight_names_a_malformed_token(
    rig_factory: Any, key: GpgTestHome, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SIGSTORE_IDENTITY_TOKEN", "this.is-not-a-jwt")
    rig = rig_factory(key, identity=FIXTURE_ID)
    assert rig.run("signing.preflight") is Status.FAILED
    record = rig.record("signing.preflight")
    assert "the Sigstore identity token is malformed" in record.error
    assert "get-identity-token" in record.hint


def test_preflight_headless_without_token_warns_in_a_rehearsal(
    rig_factory: Any, key: GpgTestHome
) -> None:
    rig = rig_factory(key, identity=FIXTURE_ID, prompter=HeadlessPrompter())
    assert rig.run("signing.preflight") is Status.DONE
    out = rig.output("signing.preflight")
    assert "warning: sign.artifacts will skip Sigstore: no Sigstore identity token" in out


def test_preflight_lists_every_problem_of_a_real_release(rig_factory: Any) -> None:
    with gpg_home_with_key(expired=True) as home:
        rig = rig_factory(home, rehearsal=False, identity=FIXTURE_ID, network=False)
        assert rig.run("signing.preflight") is Status.FAILED
        record = rig.record("signing.preflight")
        assert record.error.startswith("signing is not ready (2 problems):")
        assert "expired on" in record.error
        assert "not reachable from here (no network), and a real release must be signed" in (
            record.error
        )
        assert "--quick-set-expire" in record.hint and 'signing.sigstore = "off"' in record.hint


def test_preflight_names_the_keyring_to_install_without_failing(
    rig_factory: Any, key: GpgTestHome, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("RMTUI_KEYRING")
    monkeypatch.setattr(keyring, "get_keyring", fail.Keyring)
    rig = rig_factory(key)
    assert rig.run("signing.preflight") is Status.DONE
    out = rig.output("signing.preflight")
    assert "warning: no usable keyring (cannot keep release secrets safely" in out
    assert "gnome-keyring" in out and "rmtui will ask for secrets when needed" in out


# -- sign.artifacts ----------------------------------------------------------------------------


def test_signs_with_gpg_and_sigstore_then_verifies_and_records(
    rig_factory: Any, key: GpgTestHome
) -> None:
    signer = FixtureSigner()
    rig = rig_factory(key, identity=FIXTURE_ID, signer=fixture_signer(signer))
    artifact = rig.add("bundle_v3.txt")
    (rig.artifacts / "SHA256SUMS").write_text(
        subprocess.run(
            ["sha256sum", artifact.name], cwd=rig.artifacts, capture_output=True, text=True
        ).stdout
    )
    assert rig.probe().outcome is ProbeOutcome.NOT_DONE
    assert rig.run("signing.preflight") is Status.DONE
    assert rig.run("sign.artifacts") is Status.DONE, rig.record("sign.artifacts").error
    assert signer.signed == ["bundle_v3.txt"]  # never SHA256SUMS
    assert sorted(p.name for p in rig.artifacts.iterdir()) == [
        "SHA256SUMS",
        "bundle_v3.txt",
        "bundle_v3.txt.asc",
        "bundle_v3.txt.sigstore",
    ]
    # gpg itself accepts the signature with the profile's key.
    done = subprocess.run(
        ["gpg", "--homedir", str(key.home), "--verify", f"{artifact}.asc", str(artifact)],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0 and "Good signature" in done.stderr
    recorded = rig.engine.state.fact("signed.bundle_v3.txt")
    assert isinstance(recorded, dict)
    assert recorded["gpg_key"] == key.fingerprint and recorded["sigstore_instance"] == "staging"
    assert recorded["sigstore_identity"] == str(FIXTURE_ID)
    assert len(recorded["sha256"]) == 64
    probe = rig.probe()
    assert probe.outcome is ProbeOutcome.DONE, probe.why
    assert probe.facts["signed.bundle_v3.txt"]["sha256"] == recorded["sha256"]
    assert "verified: bundle_v3.txt" in rig.output("sign.artifacts")
    assert ("sign.artifacts", Status.PENDING, Status.RUNNING) in rig.listener.transitions()


def test_a_tampered_artifact_is_caught_by_the_probe_and_by_verify(
    rig_factory: Any, key: GpgTestHome
) -> None:
    rig = rig_factory(key, identity=FIXTURE_ID, signer=fixture_signer(FixtureSigner()))
    artifact = rig.add("bundle_v3.txt")
    rig.engine.skip("signing.preflight", "covered elsewhere")
    assert rig.run("sign.artifacts") is Status.DONE, rig.record("sign.artifacts").error
    with artifact.open("ab") as stream:
        stream.write(b"one more line slipped in after signing\n")
    probe = rig.probe()
    assert probe.outcome is ProbeOutcome.INCONSISTENT
    assert probe.why.startswith("bundle_v3.txt no longer matches the signatures made for it")
    assert "BAD signature" in probe.why and "when signed, now" in probe.why
    code, checks = verify_cli(
        rig.artifacts,
        "--gpg-key",
        key.fingerprint,
        "--gnupghome",
        key.home,
        "--identity",
        FIXTURE_ID.identity,
        "--issuer",
        FIXTURE_ID.issuer,
        "--staging",
    )
    assert code == 1
    failed = {(row["subject"], row["check"]) for row in checks if not row["passed"]}
    assert failed == {("bundle_v3.txt", "gpg"), ("bundle_v3.txt", "sigstore")}


def test_a_signature_by_another_key_is_caught(rig_factory: Any, key: GpgTestHome) -> None:
    rig = rig_factory(key, sigstore="off")
    artifact = rig.add("Python-3.13.10.tgz", b"tarball bytes\n" * 100)
    rig.engine.skip("signing.preflight", "covered elsewhere")
    assert rig.run("sign.artifacts") is Status.DONE, rig.record("sign.artifacts").error
    intruder = key.gpg.generate_key("Intruder", "intruder@example.invalid", None)
    try:
        key.gpg.sign_detached(artifact, intruder, None)
        probe = rig.probe()
        assert probe.outcome is ProbeOutcome.INCONSISTENT
        assert f"is signed by key {intruder}, but {key.fingerprint} was expected" in probe.why
        code, checks = verify_cli(artifact, "--gpg-key", key.fingerprint, "--gnupghome", key.home)
        assert code == 1 and not checks[0]["passed"] and intruder in checks[0]["detail"]
    finally:
        delete = ["--batch", "--yes", "--delete-secret-and-public-key", intruder]
        subprocess.run(["gpg", "--homedir", str(key.home), *delete], capture_output=True)


@pytest.mark.parametrize(
    ("expected", "named"),
    [
        (SigstoreIdentity("thomas@python.org", FIXTURE_ID.issuer), "expected identity"),
        (SigstoreIdentity(FIXTURE_ID.identity, "https://accounts.google.com"), "expected issuer"),
    ],
)
def test_a_bundle_from_the_wrong_identity_or_issuer_fails(
    rig_factory: Any, key: GpgTestHome, expected: SigstoreIdentity, named: str
) -> None:
    rig = rig_factory(key, identity=expected, signer=fixture_signer(FixtureSigner()))
    rig.add("bundle_v3.txt")
    rig.engine.skip("signing.preflight", "covered elsewhere")
    assert rig.run("sign.artifacts") is Status.FAILED
    record = rig.record("sign.artifacts")
    assert record.error.startswith("bundle_v3.txt was just signed but does not verify")
    assert f"was not signed through the {named}" in record.error or (
        f"was not signed by the {named}" in record.error
    )
    assert "Sigstore identity and issuer for Python 3.13" in record.hint
    assert rig.engine.state.fact("signed.bundle_v3.txt") is None


def test_no_network_skips_sigstore_with_the_reason_journaled(
    rig_factory: Any, key: GpgTestHome
) -> None:
    rig = rig_factory(key, identity=FIXTURE_ID, network=False)
    tarball = rig.add("Python-3.13.10.tgz", b"tgz\n" * 1000)
    rig.add("Python-3.13.10.tar.xz", b"xz\n" * 1000)
    rig.add("Python-3.13.10.tgz.spdx.json", b'{"spdxVersion": "SPDX-2.3"}\n')
    rig.add("windows/python-3.13.10-amd64.exe", b"installer\n")
    rig.add(".Python-3.13.10.tgz.123.tmp", b"half written\n")
    write_sha256sums(rig.artifacts, shipped_artifacts(rig.artifacts))
    assert [p.relative_to(rig.artifacts).as_posix() for p in shipped_artifacts(rig.artifacts)] == [
        "Python-3.13.10.tar.xz",
        "Python-3.13.10.tgz",
        "Python-3.13.10.tgz.spdx.json",
        "windows/python-3.13.10-amd64.exe",
    ]
    rig.engine.skip("signing.preflight", "covered elsewhere")
    assert rig.run("sign.artifacts") is Status.DONE, rig.record("sign.artifacts").error
    reason = "Sigstore staging is not reachable from here (no network)"
    assert f"Sigstore skipped: {reason}" in rig.output("sign.artifacts")
    facts = [e for e in journal_lines(rig.release.workspace) if e.get("kind") == "fact"]
    assert {"key": FACT_SIGSTORE_SKIPPED, "value": reason} in [
        {"key": e["key"], "value": e["value"]} for e in facts
    ]
    assert (rig.artifacts / "windows" / "python-3.13.10-amd64.exe.asc").is_file()
    assert not list(rig.artifacts.rglob("*.sigstore"))
    assert not (rig.artifacts / "SHA256SUMS.asc").exists()
    assert rig.engine.state.fact("signed.windows/python-3.13.10-amd64.exe")["gpg_key"]
    assert rig.probe().outcome is ProbeOutcome.DONE
    assert tarball.with_name(tarball.name + ".asc").is_file()


def test_a_headless_run_without_token_skips_sigstore_in_a_rehearsal(
    rig_factory: Any, key: GpgTestHome
) -> None:
    from rmtui.steps.signing import sigstore_signer

    rig = rig_factory(key, identity=FIXTURE_ID, prompter=HeadlessPrompter(), signer=sigstore_signer)
    rig.add("bundle_v3.txt")
    rig.engine.skip("signing.preflight", "covered elsewhere")
    assert rig.run("sign.artifacts") is Status.DONE, rig.record("sign.artifacts").error
    skipped = rig.engine.state.fact(FACT_SIGSTORE_SKIPPED)
    assert skipped.startswith("no Sigstore identity token") and "cannot ask for a login" in skipped


def test_a_malformed_token_fails_the_step_instead_of_skipping(
    rig_factory: Any, key: GpgTestHome, monkeypatch: pytest.MonkeyPatch
) -> None:
    from rmtui.steps.signing import sigstore_signer

    monkeypatch.setenv("SIGSTORE_IDENTITY_TOKEN", "eyJhbGciOi.broken")
    rig = rig_factory(key, identity=FIXTURE_ID, prompter=HeadlessPrompter(), signer=sigstore_signer)
    rig.add("bundle_v3.txt")
    rig.engine.skip("signing.preflight", "covered elsewhere")
    assert rig.run("sign.artifacts") is Status.FAILED
    record = rig.record("sign.artifacts")
    assert "the Sigstore identity token is malformed" in record.error
    assert rig.engine.state.fact(FACT_SIGSTORE_SKIPPED) is None
    assert not (rig.artifacts / "bundle_v3.txt.asc").exists()  # nothing signed before failing


def test_a_real_release_never_skips_sigstore(rig_factory: Any, key: GpgTestHome) -> None:
    rig = rig_factory(key, identity=FIXTURE_ID, network=False, rehearsal=False)
    rig.add("Python-3.13.10.tgz", b"tgz\n")
    rig.engine.skip("signing.preflight", "covered elsewhere")
    assert rig.run("sign.artifacts") is Status.FAILED
    record = rig.record("sign.artifacts")
    assert "a real release must be signed with Sigstore" in record.error
    assert 'signing.sigstore = "off"' in record.hint
    assert not (rig.artifacts / "Python-3.13.10.tgz.asc").exists()


def test_wrong_passphrase_fails_signing_clearly(rig_factory: Any, locked_key: GpgTestHome) -> None:
    Secrets(PROFILE).set("gpg-passphrase", "definitely wrong")
    rig = rig_factory(locked_key, sigstore="off")
    rig.add("Python-3.13.10.tgz", b"tgz\n")
    rig.engine.skip("signing.preflight", "covered elsewhere")
    assert rig.run("sign.artifacts") is Status.FAILED
    record = rig.record("sign.artifacts")
    assert record.error == f"wrong passphrase for GPG key {locked_key.fingerprint}"
    assert not (rig.artifacts / "Python-3.13.10.tgz.asc").exists()
    log = (rig.release.logs / "sign.artifacts.log").read_text()
    assert "definitely wrong" not in log


def test_the_passphrase_is_asked_once_and_valid_signatures_are_kept(
    rig_factory: Any, locked_key: GpgTestHome
) -> None:
    rig = rig_factory(locked_key, sigstore="off", prompter=ScriptedPrompter(TEST_PASSPHRASE))
    first = rig.add("Python-3.13.10.tgz", b"tgz\n")
    rig.add("Python-3.13.10.tar.xz", b"xz\n")
    # A signature left by an interrupted run that still verifies is kept, not remade.
    locked_key.gpg.sign_detached(first, locked_key.fingerprint, TEST_PASSPHRASE)
    kept = first.with_name(first.name + ".asc").read_bytes()
    rig.engine.skip("signing.preflight", "covered elsewhere")
    assert rig.run("sign.artifacts") is Status.DONE, rig.record("sign.artifacts").error
    assert [q.kind for q in rig.prompter.questions] == ["secret"]
    assert first.with_name(first.name + ".asc").read_bytes() == kept
    assert "Python-3.13.10.tgz.asc already verifies: kept" in rig.output("sign.artifacts")
    assert (rig.artifacts / "Python-3.13.10.tar.xz.asc").is_file()


def test_3_14_is_signed_with_sigstore_only(rig_factory: Any, key: GpgTestHome) -> None:
    signer = FixtureSigner()
    rig = rig_factory(key, version="3.14.0", identity=FIXTURE_ID, signer=fixture_signer(signer))
    rig.add("bundle_v3.txt")
    rig.engine.skip("signing.preflight", "covered elsewhere")
    assert rig.run("sign.artifacts") is Status.DONE, rig.record("sign.artifacts").error
    assert not (rig.artifacts / "bundle_v3.txt.asc").exists()
    assert (rig.artifacts / "bundle_v3.txt.sigstore").is_file()
    assert rig.probe().outcome is ProbeOutcome.DONE


def test_an_empty_artifacts_folder_says_what_to_run(rig_factory: Any, key: GpgTestHome) -> None:
    rig = rig_factory(key)
    rig.engine.skip("signing.preflight", "covered elsewhere")
    assert rig.run("sign.artifacts") is Status.FAILED
    record = rig.record("sign.artifacts")
    assert record.error.startswith("nothing to sign:")
    assert "run export.source first" in record.hint


def test_an_artifact_that_differs_from_sha256sums_is_not_signed(
    rig_factory: Any, key: GpgTestHome
) -> None:
    rig = rig_factory(key, sigstore="off")
    rig.add("Python-3.13.10.tgz", b"what was built\n")
    rig.add("SHA256SUMS", ("0" * 64 + "  Python-3.13.10.tgz\n").encode())
    rig.engine.skip("signing.preflight", "covered elsewhere")
    assert rig.run("sign.artifacts") is Status.FAILED
    record = rig.record("sign.artifacts")
    assert "Python-3.13.10.tgz differ from their digests in SHA256SUMS" in record.error
    assert not (rig.artifacts / "Python-3.13.10.tgz.asc").exists()


def test_plans_show_the_exact_commands(rig_factory: Any, key: GpgTestHome) -> None:
    rig = rig_factory(key, identity=FIXTURE_ID)
    rendered = "\n".join(a.render() for a in rig.sign_step.plan(rig.release))
    assert f"--detach-sign --armor -u {key.fingerprint} FILE" in rendered
    assert "python -m sigstore --staging sign --bundle FILE.sigstore FILE" in rendered
    assert f"--cert-identity {FIXTURE_ID.identity}" in rendered
    preflight = "\n".join(a.render() for a in SigningPreflightStep().plan(rig.release))
    assert "a test signature of a scratch file" in preflight


# -- rmtui verify --commit: the tarball against the recorded commit ----------------------------


def _inject(tarball: Path, name: str, content: bytes) -> None:
    """Rewrite a .tgz with one more member, as a compromised build machine might."""
    with tarfile.open(tarball) as source:
        members = [
            (info, source.extractfile(info).read() if info.isfile() else None)  # type: ignore[union-attr]
            for info in source.getmembers()
        ]
    extra = tarfile.TarInfo(name)
    extra.size, extra.mtime, extra.mode = len(content), members[0][0].mtime, 0o644
    with tarfile.open(tarball, "w:gz", format=tarfile.PAX_FORMAT) as out:
        for info, data in [*members, (extra, content)]:
            out.addfile(info, io.BytesIO(data) if data is not None else None)


def commit_rows(*args: str | Path) -> tuple[int, list[tuple[str, bool, str]]]:
    code, checks = verify_cli(*args)
    return code, [
        (r["subject"], r["passed"], r["detail"]) for r in checks if r["check"] == "commit"
    ]


def test_verify_commit_compares_the_tarballs_with_the_commit(tmp_path: Path) -> None:
    from tests.ops.test_archive import PREFIX, export, make_repo

    repo, sha = make_repo(tmp_path)
    export(repo, sha, tmp_path / "out")
    _, rows = commit_rows(tmp_path / "out", "--commit", sha, "--repo", repo)
    assert [(subject, passed) for subject, passed, _ in rows] == [
        (f"{PREFIX}.tar.xz", True),
        (f"{PREFIX}.tgz", True),
    ]
    _inject(tmp_path / "out" / f"{PREFIX}.tgz", f"{PREFIX}/Lib/sitecustomize.py", b"import evil\n")
    code, rows = commit_rows(tmp_path / "out", "--commit", sha, "--repo", repo)
    assert code == 1
    [(subject, _, detail)] = [row for row in rows if not row[1]]
    assert subject == f"{PREFIX}.tgz"
    assert "Lib/sitecustomize.py: injected" in detail and sha[:12] in detail


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--commit", "abc123", "--repo", "."], "is not a full commit SHA"),
        (["--commit", "a" * 40], "--commit and --repo go together"),
        (["--commit", "a" * 40, "--repo", "https://github.com/python/cpython"], "clone it first"),
    ],
)
def test_verify_commit_rejects_bad_input(tmp_path: Path, args: list[str], message: str) -> None:
    (tmp_path / "Python-3.13.10.tgz").write_bytes(b"x")
    result = CliRunner().invoke(verify, [str(tmp_path / "Python-3.13.10.tgz"), *args])
    assert result.exit_code == 2 and message in result.output
