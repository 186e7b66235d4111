"""Shared fixtures: every test runs isolated from the machine's git config, keyring and home."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from rmtui.core.redact import forget_all_secrets

FIXTURES = Path(__file__).resolve().parent.parent.parent / "shared" / "fixtures"
SIGSTORE_FIXTURES = FIXTURES / "sigstore"

GIT_ISOLATION = {
    "GIT_CONFIG_GLOBAL": "/dev/null",
    "GIT_CONFIG_NOSYSTEM": "1",
    "GIT_AUTHOR_NAME": "Test RM",
    "GIT_AUTHOR_EMAIL": "rm@example.invalid",
    "GIT_COMMITTER_NAME": "Test RM",
    "GIT_COMMITTER_EMAIL": "rm@example.invalid",
    "GIT_TERMINAL_PROMPT": "0",
}


@pytest.fixture(autouse=True)
def isolated_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Keep git, keyring and rmtui's own home inside the test's temp dir."""
    for key, value in GIT_ISOLATION.items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("RMTUI_HOME", str(tmp_path / "rmtui-home"))
    monkeypatch.setenv("RMTUI_KEYRING", "memory")
    monkeypatch.delenv("SIGSTORE_IDENTITY_TOKEN", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    (tmp_path / "home").mkdir(exist_ok=True)
    yield
    forget_all_secrets()


def sigstore_fixtures() -> Path:
    """The shared Sigstore fixtures, or a skip naming what is missing."""
    if not SIGSTORE_FIXTURES.is_dir():
        pytest.skip(f"Sigstore fixtures not found at {SIGSTORE_FIXTURES} (../shared is absent)")
    return SIGSTORE_FIXTURES


def child_env(**extra: str) -> dict[str, str]:
    """An environment for subprocesses that keeps the test isolation."""
    env = dict(os.environ)
    env.update(extra)
    return env
