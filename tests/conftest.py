"""Shared fixtures: every test runs isolated from the machine's git config, keyring and home."""

from __future__ import annotations

from collections.abc import Generator, Iterator
from pathlib import Path

import pytest

from rmtui.core.redact import forget_all_secrets
from rmtui.ops.secrets import MemoryKeyring

FIXTURES = Path(__file__).resolve().parent.parent.parent / "shared" / "fixtures"
SIGSTORE_FIXTURES = FIXTURES / "sigstore"
SIGSTORE_ABSENT = f"Sigstore fixtures not found at {SIGSTORE_FIXTURES} (../shared is absent)"

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
    """Keep git, keyring and rmtui's own home inside the test's temp dir.

    The in-memory keyring (RMTUI_KEYRING=memory) is emptied before and after every test, so no
    secret stored by one test is found by another.
    """
    for key, value in GIT_ISOLATION.items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("RMTUI_HOME", str(tmp_path / "rmtui-home"))
    monkeypatch.setenv("RMTUI_KEYRING", "memory")
    monkeypatch.delenv("SIGSTORE_IDENTITY_TOKEN", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    (tmp_path / "home").mkdir(exist_ok=True)
    MemoryKeyring.clear()
    yield
    MemoryKeyring.clear()
    forget_all_secrets()


def sigstore_fixtures() -> Path:
    """The shared Sigstore fixtures, or a skip saying they are absent (summed up in one line)."""
    if not SIGSTORE_FIXTURES.is_dir():
        pytest.skip(SIGSTORE_ABSENT)
    return SIGSTORE_FIXTURES


def _skipped_for_absent_fixtures(report: pytest.TestReport) -> bool:
    longrepr = report.longrepr
    return isinstance(longrepr, tuple) and SIGSTORE_ABSENT in str(longrepr[2])


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> Generator[None]:
    """Say once, not once per test, that the tests needing the Sigstore fixtures were skipped.

    Those skips are hidden from the per-test skip list while it is printed, and still counted
    in the closing "N passed, N skipped" line.
    """
    skipped = terminalreporter.stats.get("skipped", [])
    absent = [report for report in skipped if _skipped_for_absent_fixtures(report)]
    if not absent:
        return (yield)
    terminalreporter.stats["skipped"] = [r for r in skipped if r not in absent]
    try:
        return (yield)
    finally:
        terminalreporter.stats["skipped"] = skipped
        terminalreporter.write_line(f"SKIPPED [{len(absent)}] {SIGSTORE_ABSENT}")
