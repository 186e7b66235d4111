"""The shared test helpers, one import away: `from tests.helpers import FakeStep, git, ...`."""

# - fakes: a scripted prompter, a recording listener, the one FakeStep, fake_release and the
#   one engine harness (new_engine);
# - world: sandboxes, git, the real rmtui command, processes, files;
# - gpg: throwaway GnuPG homes with a ready key.
# Fixtures live in tests/conftest.py.

from __future__ import annotations

from tests.helpers.fakes import (
    FakeStep,
    ProbeBehaviour,
    Question,
    RecordingListener,
    RunBehaviour,
    ScriptedPrompter,
    TickingClock,
    fake_release,
    headless_prompter,
    new_engine,
)
from tests.helpers.gpg import (
    PAST,
    TEST_PASSPHRASE,
    GpgTestHome,
    _generate_in_the_past,
    empty_gpg_home,
    gpg_home_with_key,
    public_only_home,
)
from tests.helpers.world import (
    FIXED_GIT_DATES,
    GPGCONF,
    RMTUI,
    VENV_BIN,
    StatusDoc,
    _shared_gpg_home,
    child_env,
    git,
    journal_lines,
    kill_gpg_agent,
    kill_group,
    make_sandbox,
    refs,
    rmtui,
    short_tmpdir,
    snapshot,
    status_json,
    wait_for,
    workspace_files,
)

__all__ = [
    "FIXED_GIT_DATES",
    "GPGCONF",
    "PAST",
    "RMTUI",
    "TEST_PASSPHRASE",
    "VENV_BIN",
    "FakeStep",
    "GpgTestHome",
    "ProbeBehaviour",
    "Question",
    "RecordingListener",
    "RunBehaviour",
    "ScriptedPrompter",
    "StatusDoc",
    "TickingClock",
    "_generate_in_the_past",
    "_shared_gpg_home",
    "child_env",
    "empty_gpg_home",
    "fake_release",
    "git",
    "gpg_home_with_key",
    "headless_prompter",
    "journal_lines",
    "kill_gpg_agent",
    "kill_group",
    "make_sandbox",
    "new_engine",
    "public_only_home",
    "refs",
    "rmtui",
    "short_tmpdir",
    "snapshot",
    "status_json",
    "wait_for",
    "workspace_files",
]
