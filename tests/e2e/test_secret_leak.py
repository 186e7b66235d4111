"""Secrets from keyring never reach a file: a full in-process rehearsal, then every byte on disk."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from unittest import mock

import pytest

from rmtui.core.engine import Engine
from rmtui.core.release import load_release, rmtui_home
from rmtui.core.version import parse_version
from rmtui.ops.gpg import THROWAWAY_AGENT_CONF, Gpg
from rmtui.ops.secrets import MemoryKeyring, Secrets
from rmtui.sandbox import build
from rmtui.steps.plan import build_plan
from tests.helpers import ScriptedPrompter, short_tmpdir

# Distinctive enough that finding them anywhere can only mean a leak.
PASSPHRASE = "leak-canary passphrase 7f3a9c51"
GITHUB_TOKEN = "ghp_leakcanary0123456789abcdefABCDEF0123"
SECRETS = {"gpg-passphrase": PASSPHRASE, "github-token": GITHUB_TOKEN}
# gpg-agent's default key protection costs about a second per unlock; a canary needs no strength.
FAST_S2K = "s2k-count 65536\n"


def _passphrase_protected_key(gnupghome: Path) -> str:
    gnupghome.mkdir(mode=0o700)
    (gnupghome / "gpg-agent.conf").write_text(THROWAWAY_AGENT_CONF + FAST_S2K)
    name, email = build.SANDBOX_IDENTITY
    return Gpg(gnupghome).generate_key(name, email, PASSPHRASE, expire="1y")


@pytest.fixture
def sandbox_root(monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.delenv("RMTUI_SIGSTORE_IDENTITY", raising=False)
    monkeypatch.delenv("RMTUI_SIGSTORE_ISSUER", raising=False)
    MemoryKeyring.clear()
    with short_tmpdir("leak") as root:
        yield root
    MemoryKeyring.clear()


def files_holding(roots: list[Path], needle: bytes) -> list[Path]:
    return [
        path
        for root in roots
        for path in root.rglob("*")
        if path.is_file() and not path.is_symlink() and needle in path.read_bytes()
    ]


def test_keyring_secrets_reach_no_file_after_a_full_rehearsal(sandbox_root: Path) -> None:
    with mock.patch.object(build, "_make_key", _passphrase_protected_key):
        sandbox, release = build.build_sandbox(
            sandbox_root / "s", parse_version(build.DEFAULT_VERSION)
        )
    secrets = Secrets(release.profile.name)
    for name, value in SECRETS.items():
        secrets.set(name, value)
    release = load_release(sandbox.workspace)
    plan = build_plan(release)
    prompter = ScriptedPrompter(confirm_by_default=True)
    engine = Engine(release, plan, prompter)
    with engine.opened():
        build.run_rehearsal(engine)
        failed = {
            step.id: record.error for step in plan if (record := engine.state.steps[step.id]).error
        }
        assert engine.is_complete(), failed
        # The passphrase really was used: a signed tag and GPG signatures on the artifacts.
        assert engine.state.fact("tag.signed") is True
    signatures = list(release.artifacts.rglob("*.asc"))
    assert signatures, "sign.artifacts made no GPG signature"
    assert not [q for q in prompter.questions if q.kind == "secret"], "keyring should have served"
    roots = [sandbox.root, rmtui_home()]
    for name, value in SECRETS.items():
        assert files_holding(roots, value.encode()) == [], f"{name} leaked"
