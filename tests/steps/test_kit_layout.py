"""The house rules of rmtui.steps: no step imports another, and plan imports stay light."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

from tests.helpers import child_env

STEPS = Path(__file__).resolve().parents[2] / "rmtui" / "steps"


def _imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return found


def test_no_step_module_imports_another_step_module() -> None:
    step_modules = {f"rmtui.steps.{p.stem}" for p in STEPS.glob("*.py") if p.stem != "__init__"}
    for path in sorted(STEPS.glob("*.py")):
        if path.stem in ("__init__", "plan"):
            continue
        own = f"rmtui.steps.{path.stem}"
        others = (_imported_modules(path) & step_modules) - {own}
        assert not others, f"{own} imports {sorted(others)}: move what it shares into the kit"


def test_the_kit_imports_no_step_module() -> None:
    step_modules = {f"rmtui.steps.{p.stem}" for p in STEPS.glob("*.py") if p.stem != "__init__"}
    for path in sorted((STEPS / "kit").glob("*.py")):
        used = _imported_modules(path) & step_modules
        assert not used, f"kit/{path.name} imports {sorted(used)}"


def test_every_module_is_small_and_says_what_it_is_for() -> None:
    root = STEPS.parent
    core = ("step", "guide", "command", "facts", "context")
    ops = ("git", "shell", "gpg", "gpg_keys", "gpg_git", "sigstore", "github", "freeze_hook")
    ops += ("checksums", "archive", "tarball", "treecompare")
    mine = [
        *STEPS.rglob("*.py"),
        *(root / "core" / f"{name}.py" for name in core),
        *(root / "ops" / f"{name}.py" for name in ops),
    ]
    for path in mine:
        text = path.read_text(encoding="utf-8")
        lines = text.splitlines()
        assert len(lines) <= 400, f"{path} has {len(lines)} lines"
        if path.name != "__init__.py" or text.strip():
            assert lines and lines[0].startswith('"""') and lines[0].endswith('"""'), (
                f"{path} does not open with a one-line docstring"
            )


PROBE = """
import json, sys
from pathlib import Path
from rmtui.core.release import Release
from rmtui.core.version import parse_version
from rmtui.sandbox.build import Sandbox, sandbox_profile
from rmtui.steps.plan import build_plan

version = parse_version("3.13.5")
sandbox = Sandbox(Path("/tmp/plan-only"), version)
release = Release(version, sandbox_profile(sandbox, "0" * 40), sandbox.workspace)
plan = build_plan(release)
assert len(plan) > 10
heavy = ("git", "gnupg", "sigstore", "textual")
print(json.dumps(sorted(
    m for m in sys.modules if any(m == h or m.startswith(h + ".") for h in heavy)
)))
"""


def test_building_a_plan_imports_neither_gitpython_gnupg_sigstore_nor_textual() -> None:
    done = subprocess.run(
        [sys.executable, "-c", PROBE],
        env=child_env(),
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == []
