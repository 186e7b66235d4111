"""The terminal prompter: points of no return in a real release are never answered for the RM."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from rmtui.cli.terminal_prompter import TerminalPrompter
from rmtui.core.errors import RmtuiError
from rmtui.core.redact import redact
from rmtui.core.step import Action, PointOfNoReturn


def _point(*, rehearsal: bool) -> PointOfNoReturn:
    return PointOfNoReturn(
        step_id="upstream.push",
        title="Push the release to upstream",
        version="3.14.0",
        rehearsal=rehearsal,
        actions=(Action("push", "git push --atomic upstream refs/tags/v3.14.0"),),
        consequences="The tag becomes public.",
    )


def test_yes_never_confirms_a_real_point_of_no_return_without_a_terminal() -> None:
    prompter = TerminalPrompter(assume_yes=True, interactive=False)
    with pytest.raises(RmtuiError, match="no terminal"):
        prompter.confirm_point_of_no_return(_point(rehearsal=False))


def test_yes_confirms_a_rehearsal_point_of_no_return() -> None:
    prompter = TerminalPrompter(assume_yes=True, interactive=False)
    with CliRunner().isolation() as streams:
        assert prompter.confirm_point_of_no_return(_point(rehearsal=True)) is True
    shown = streams[0].getvalue().decode()
    assert "POINT OF NO RETURN" in shown
    assert "git push --atomic upstream refs/tags/v3.14.0" in shown
    assert "type" in shown and "the version" in shown


@pytest.mark.parametrize(("typed", "confirmed"), [("3.14.0", True), ("y", False), ("", False)])
def test_a_real_release_needs_the_version_typed(typed: str, confirmed: bool) -> None:
    prompter = TerminalPrompter(assume_yes=True, interactive=True)
    with CliRunner().isolation(input=f"{typed}\n"):
        assert prompter.confirm_point_of_no_return(_point(rehearsal=False)) is confirmed


def test_ordinary_confirmations_need_a_terminal_or_yes() -> None:
    with pytest.raises(RmtuiError, match="pass --yes"):
        TerminalPrompter(interactive=False).confirm("Push to your fork?")
    with CliRunner().isolation():
        assert TerminalPrompter(assume_yes=True, interactive=False).confirm("Push?") is True


def test_a_typed_secret_is_registered_for_redaction() -> None:
    with CliRunner().isolation(input="hunter2-passphrase\n"):
        value = TerminalPrompter(interactive=True).secret("GPG passphrase")
    assert value == "hunter2-passphrase"
    assert redact("gpg said hunter2-passphrase") == "gpg said [REDACTED]"
