"""`rmtui --version` is answered before click is imported, and says what click would say."""

from __future__ import annotations

import subprocess
import sys

import pytest
from click.testing import CliRunner

from rmtui import __version__
from rmtui.cli import VERSION_TEXT, main
from tests.helpers import child_env


def test_the_fast_answer_is_what_click_says() -> None:
    assert f"rmtui, version {__version__}" == VERSION_TEXT
    done = CliRunner().invoke(main, ["--version"])
    assert done.exit_code == 0
    assert done.output == VERSION_TEXT + "\n"


def test_python_m_rmtui_version_imports_no_click() -> None:
    script = (
        "import sys\n"
        "sys.argv = ['rmtui', '--version']\n"
        "from rmtui.cli import main\n"
        "code = main()\n"
        "assert 'click' not in sys.modules, 'click was imported'\n"
        "sys.exit(code)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], env=child_env(), capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout == VERSION_TEXT + "\n"
    module = subprocess.run(
        [sys.executable, "-m", "rmtui", "--version"],
        env=child_env(),
        capture_output=True,
        text=True,
    )
    assert module.returncode == 0, module.stderr
    assert module.stdout == VERSION_TEXT + "\n"


def test_everything_else_is_the_click_group() -> None:
    assert main.name == "main"
    assert "status" in main.list_commands(None)  # type: ignore[arg-type]
    done = CliRunner().invoke(main, ["--help"])
    assert done.exit_code == 0
    assert "rmtui walks a release manager" in done.output


def test_calling_main_with_arguments_is_calling_the_group() -> None:
    with pytest.raises(SystemExit) as caught:
        main(args=["--version"], prog_name="rmtui")
    assert caught.value.code == 0
    assert main(args=["--help"], prog_name="rmtui", standalone_mode=False) == 0
