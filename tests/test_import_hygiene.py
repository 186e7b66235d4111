"""Non-TUI commands never import Textual, and the layers import downwards only."""

from __future__ import annotations

import ast
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.helpers import child_env, make_sandbox, short_tmpdir

PACKAGE = Path(__file__).resolve().parent.parent / "rmtui"

WRAPPER = textwrap.dedent(
    """
    import sys
    import click
    from rmtui.cli import main

    code = 0
    try:
        result = main.main(args=sys.argv[1:], prog_name="rmtui", standalone_mode=False)
        code = result if isinstance(result, int) else 0
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 1
    except click.exceptions.Exit as exc:
        code = exc.exit_code
    loaded = sorted(m for m in sys.modules if m == "textual" or m.startswith("textual."))
    if loaded:
        print("TEXTUAL IMPORTED:", ", ".join(loaded[:5]))
        sys.exit(99)
    print("TEXTUAL-FREE", code)
    """
)


def _through_wrapper(*args: str | Path, preamble: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", preamble + WRAPPER, *(str(a) for a in args)],
        env=child_env(),
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )


@pytest.fixture(scope="module")
def root() -> Iterator[Path]:
    with short_tmpdir("ih") as path:
        yield path


_sandbox: dict[str, object] = {}


@pytest.fixture
def workspace(root: Path) -> Path:
    """One sandbox for the module, built inside a test (where isolation applies)."""
    if "sandbox" not in _sandbox:
        built, _release = make_sandbox(root / "sb")
        _sandbox["sandbox"] = built
        (root / "profile.toml").write_text(built.profile_path.read_text())
    return root / "sb" / "s" / "workspace"


COMMANDS: list[tuple[str, ...]] = [
    ("--version",),
    ("plan", "{ws}"),
    ("plan", "{ws}", "--json"),
    ("plan", "3.13.10", "--profile", "{root}/profile.toml"),
    ("status", "{ws}"),
    ("status", "{ws}", "--json"),
    ("journal", "{ws}"),
    ("journal", "{ws}", "--verify"),
    # the whole plan runs under `rehearse --auto` below
    ("run", "{ws}", "--until", "fork.update", "--yes"),
    ("profile", "show", "cpython"),
    ("start", "3.13.10", "--profile", "{root}/profile.toml", "--dir", "{root}/started"),
    ("rehearse", "--dir", "{root}/rehearsal", "--auto", "--quiet"),
]


@pytest.mark.slow
@pytest.mark.parametrize("command", COMMANDS, ids=[" ".join(c) for c in COMMANDS])
def test_non_tui_commands_do_not_import_textual(
    command: tuple[str, ...], workspace: Path, root: Path
) -> None:
    args = [part.format(ws=workspace, root=root) for part in command]
    done = _through_wrapper(*args)
    assert "TEXTUAL IMPORTED" not in done.stdout, done.stdout
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "TEXTUAL-FREE 0" in done.stdout, done.stdout[-3000:] + done.stderr[-3000:]


def test_the_check_would_see_textual() -> None:
    done = _through_wrapper("--version", preamble="import textual\n")
    assert done.returncode == 99
    assert "TEXTUAL IMPORTED: textual" in done.stdout


def test_every_module_below_the_tui_imports_without_textual() -> None:
    script = textwrap.dedent(
        """
        import importlib, pkgutil, sys
        import rmtui
        names = []
        for package in (
            "rmtui.core", "rmtui.ops", "rmtui.steps", "rmtui.sandbox", "rmtui.usecases", "rmtui.cli"
        ):
            module = importlib.import_module(package)
            for info in pkgutil.walk_packages(module.__path__, package + "."):
                importlib.import_module(info.name)
                names.append(info.name)
        loaded = [m for m in sys.modules if m == "textual" or m.startswith("textual.")]
        assert not loaded, loaded[:5]
        print(len(names))
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", script], env=child_env(), capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    assert int(done.stdout.strip()) >= 20


# -- fast status: the read-only views import nothing that talks to git, GPG or Sigstore ------

HEAVY = ("git", "gnupg", "sigstore", "textual")
FAST_COMMANDS: list[tuple[str, ...]] = [
    ("--version",),
    ("status", "{ws}", "--json"),
    ("status", "{ws}"),
    ("journal", "{ws}"),
    ("journal", "{ws}", "--verify"),
]
HEAVY_CHECK = textwrap.dedent(
    """
    import sys
    import click
    from rmtui.cli import main

    try:
        main.main(args=sys.argv[1:], prog_name="rmtui", standalone_mode=False)
    except SystemExit as exc:
        assert not exc.code, exc.code
    except click.exceptions.Exit as exc:
        assert not exc.exit_code, exc.exit_code
    heavy = {HEAVY!r}
    loaded = sorted(m for m in sys.modules if m.split(".")[0] in heavy and m not in before)
    print("HEAVY:", ",".join(loaded))
    """
).replace("{HEAVY!r}", repr(HEAVY))


def _heavy_imports(args: list[str], preamble: str) -> list[str]:
    done = subprocess.run(
        [sys.executable, "-c", preamble + HEAVY_CHECK, *args],
        env=child_env(),
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    line = [out for out in done.stdout.splitlines() if out.startswith("HEAVY:")][-1]
    return [name for name in line.removeprefix("HEAVY:").strip().split(",") if name]


@pytest.mark.parametrize("command", FAST_COMMANDS, ids=[" ".join(c) for c in FAST_COMMANDS])
def test_status_and_journal_import_no_git_gpg_sigstore_or_textual(
    command: tuple[str, ...], workspace: Path
) -> None:
    """The whole path, the step list included (rmtui.steps.plan must stay light too)."""
    args = [part.format(ws=workspace) for part in command]
    assert _heavy_imports(args, "import sys\nbefore = set()\n") == []


@pytest.mark.parametrize("command", FAST_COMMANDS, ids=[" ".join(c) for c in FAST_COMMANDS])
def test_the_command_line_adds_no_heavy_import_of_its_own(
    command: tuple[str, ...], workspace: Path
) -> None:
    """Whatever the steps import, the CLI's own path to the status imports nothing heavy."""
    args = [part.format(ws=workspace) for part in command]
    preamble = "import sys\nimport rmtui.steps.plan\nbefore = set(sys.modules)\n"
    assert _heavy_imports(args, preamble) == []


def test_the_heavy_import_check_would_see_one(workspace: Path) -> None:
    preamble = "import sys\nbefore = set()\nimport git\n"
    assert "git" in _heavy_imports(["--version"], preamble)


# -- layering, read from the source ----------------------------------------------------------

# core -> ops -> steps -> use-case layer (usecases, sandbox) -> cli and tui: never upwards.
ABOVE_STEPS = ("rmtui.usecases", "rmtui.sandbox", "rmtui.cli", "rmtui.tui")
FORBIDDEN = {
    "core": ("textual", "subprocess", "rmtui.ops", "rmtui.steps", *ABOVE_STEPS),
    "ops": ("textual", "rmtui.steps", *ABOVE_STEPS),
    "steps": ("textual", *ABOVE_STEPS),
    "usecases": ("textual", "rmtui.cli", "rmtui.tui"),
    "sandbox": ("textual", "rmtui.cli", "rmtui.tui"),
    # The one import of the TUI by the command line is the lazy launch, allowed below.
    "cli": ("textual", "rmtui.tui"),
    "tui": ("rmtui.cli",),
}
# (module, function) pairs allowed to import what their layer otherwise may not.
ALLOWED_LAZY = {("cli/root.py", "open_tui"): "rmtui.tui.app"}
PROCESS_CALLS = {"system", "popen", "spawnl", "spawnv", "execv", "execvp", "execl", "fork"}


def _imports(path: Path) -> Iterator[tuple[int, str, str]]:
    """(line, imported module, enclosing top-level function or "") of every import in `path`."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for top in tree.body:
        where = top.name if isinstance(top, ast.FunctionDef | ast.AsyncFunctionDef) else ""
        for node in ast.walk(top):
            if isinstance(node, ast.Import):
                for alias in node.names:
                    yield node.lineno, alias.name, where
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                yield node.lineno, node.module, where


def _matches(name: str, banned: str) -> bool:
    return name == banned or name.startswith(banned + ".")


@pytest.mark.parametrize("layer", list(FORBIDDEN))
def test_layers_import_downwards_only(layer: str) -> None:
    modules = sorted((PACKAGE / layer).rglob("*.py"))
    assert modules
    offences = [
        f"{path.relative_to(PACKAGE.parent)}:{line} imports {name}"
        for path in modules
        for line, name, where in _imports(path)
        if any(_matches(name, banned) for banned in FORBIDDEN[layer])
        and ALLOWED_LAZY.get((str(path.relative_to(PACKAGE)), where)) != name
    ]
    assert offences == []


def test_the_only_tui_import_of_the_command_line_is_the_lazy_launch() -> None:
    found = [
        (str(path.relative_to(PACKAGE)), where, name)
        for path in sorted((PACKAGE / "cli").rglob("*.py"))
        for _line, name, where in _imports(path)
        if _matches(name, "rmtui.tui")
    ]
    assert found == [("cli/root.py", "open_tui", "rmtui.tui.app")]


def test_the_command_line_lives_in_its_package() -> None:
    loose = sorted(
        path.name
        for path in PACKAGE.glob("*.py")
        if path.name.startswith("cli") or path.name == "headless.py"
    )
    assert loose == []
    assert (PACKAGE / "cli" / "__init__.py").is_file()


def test_core_never_starts_processes() -> None:
    offences = []
    for path in sorted((PACKAGE / "core").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Attribute)
                and isinstance(node.value, ast.Name)
                and node.value.id == "os"
                and node.attr in PROCESS_CALLS
            ):
                offences.append(f"{path.name}:{node.lineno} os.{node.attr}")
    assert offences == []


def test_every_module_says_what_it_is_for() -> None:
    missing = [
        str(path.relative_to(PACKAGE.parent))
        for path in sorted(PACKAGE.rglob("*.py"))
        if not ast.get_docstring(ast.parse(path.read_text(encoding="utf-8")))
    ]
    assert missing == []
