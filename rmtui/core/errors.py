"""Errors a release manager can act on: each names the problem and the way out."""

from __future__ import annotations

from rmtui.core.redact import redact


class RmtuiError(Exception):
    """Base error: `problem` says what is wrong, `hint` says how to recover.

    Both are redacted at construction, so a secret can never travel inside an
    exception into a log, the journal or a traceback.
    """

    def __init__(self, problem: str, hint: str = "") -> None:
        self.problem = redact(problem)
        self.hint = redact(hint)
        super().__init__(self.problem)

    def __str__(self) -> str:
        if self.hint:
            return f"{self.problem}\n  how to fix: {self.hint}"
        return self.problem


class InvalidVersion(RmtuiError):
    """A string that is not a CPython release version."""


class ProfileError(RmtuiError):
    """A profile file that is missing, malformed or has unknown keys."""


class StateError(RmtuiError):
    """A state file that is corrupt, truncated or from a newer schema."""


class JournalError(RmtuiError):
    """A journal whose hash chain does not verify."""


class LockedError(RmtuiError):
    """Another rmtui process is driving the same release."""


class IllegalTransition(RmtuiError):
    """A status change the state machine does not allow."""


class StepFailed(RmtuiError):
    """A step could not do its work; the release stops here until the RM acts."""


class GitError(RmtuiError):
    """A git operation failed (rejected push, missing ref, dirty tree...)."""


class ShellError(RmtuiError):
    """An external command failed or could not be started."""


class SigningError(RmtuiError):
    """A signature could not be made or did not verify."""


class SecretsError(RmtuiError):
    """The keyring is unusable or a secret is missing."""


class ReleaseNotFound(RmtuiError):
    """RELEASE names no workspace."""
