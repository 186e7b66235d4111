"""`rmtui secrets set|get|delete` through click, on the in-memory keyring."""

from __future__ import annotations

import keyring
import pytest
from click.testing import CliRunner, Result
from keyring.backends import fail

from rmtui.cli import secrets as cli_secrets
from rmtui.cli.secrets import secrets
from rmtui.ops.secrets import Secrets


def run(*args: str, stdin: str | None = None) -> Result:
    return CliRunner().invoke(secrets, list(args), input=stdin)


def test_set_reads_stdin_and_get_only_says_set() -> None:
    stored = run("set", "gpg-passphrase", stdin="correct horse battery staple\n")
    assert stored.exit_code == 0, stored.output
    assert "gpg-passphrase stored for profile cpython" in stored.output
    assert "correct horse" not in stored.output
    assert Secrets("cpython").get("gpg-passphrase") == "correct horse battery staple"

    shown = run("get", "gpg-passphrase")
    assert shown.exit_code == 0
    assert "gpg-passphrase: set (profile cpython" in shown.output
    assert "correct horse" not in shown.output


def test_terminal_prompt_is_hidden_and_confirmed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cli_secrets, "_interactive", lambda: True)
    typed = "typed-at-the-prompt"
    result = run("set", "gpg-passphrase", stdin=f"{typed}\n{typed}\n")
    assert result.exit_code == 0, result.output
    assert "Repeat for confirmation" in result.output
    assert typed not in result.output
    assert Secrets("cpython").get("gpg-passphrase") == typed


def test_reveal_prints_the_value() -> None:
    run("set", "github-token", "--profile", "rehearsal", stdin="ghp_exampletoken\r\n")
    revealed = run("get", "github-token", "--profile", "rehearsal", "--reveal")
    assert revealed.exit_code == 0
    assert revealed.output == "ghp_exampletoken\n"
    assert "not set" in run("get", "github-token").output


def test_delete_then_not_set() -> None:
    run("set", "downloads-password", stdin="hunter2-but-longer")
    deleted = run("delete", "downloads-password")
    assert deleted.exit_code == 0 and "deleted" in deleted.output
    assert "downloads-password: not set" in run("get", "downloads-password").output
    again = run("delete", "downloads-password")
    assert again.exit_code == 0 and "nothing to delete" in again.output


def test_reveal_of_a_missing_secret_explains() -> None:
    result = run("get", "gpg-passphrase", "--reveal")
    assert result.exit_code == 2
    assert "error: gpg-passphrase is not set for profile cpython" in result.output
    assert "how to fix: store it with `rmtui secrets set gpg-passphrase" in result.output


def test_unknown_name_is_a_usage_error() -> None:
    result = run("set", "password", stdin="x")
    assert result.exit_code == 2
    assert "gpg-passphrase" in result.output and "downloads-password" in result.output


def test_empty_stdin_is_refused() -> None:
    result = run("set", "github-token", stdin="\n")
    assert result.exit_code == 2 and "refusing to store an empty github-token" in result.output


def test_no_keyring_backend_explains_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("RMTUI_KEYRING")
    monkeypatch.setattr(keyring, "get_keyring", fail.Keyring)
    result = run("set", "github-token", stdin="ghp_would_be_lost")
    assert result.exit_code == 2
    assert "no keyring backend is available" in result.output
    assert "how to fix: install and unlock a real keyring" in result.output
    assert "ghp_would_be_lost" not in result.output
