"""Every step of every release type's plan has a complete guide, rendered into its help."""

from __future__ import annotations

from pathlib import Path

import pytest

from rmtui.core.guide import Guide, Threat
from rmtui.core.release import Release
from rmtui.core.version import parse_version
from rmtui.sandbox.build import Sandbox, sandbox_profile
from rmtui.steps.plan import build_plan

CASES = [
    ("3.15.0a1", False),
    ("3.14.0b1", False),
    ("3.14.0b2", False),
    ("3.14.0rc1", False),
    ("3.14.0", False),
    ("3.13.5", False),
    ("3.13.5", True),
]


def release_for(version: str, security: bool) -> Release:
    sandbox = Sandbox(Path("/tmp/plan-only"), parse_version(version))
    return Release(
        parse_version(version),
        sandbox_profile(sandbox, "0" * 40),
        sandbox.workspace,
        security_only=security,
    )


@pytest.mark.parametrize(("version", "security"), CASES)
def test_every_planned_step_has_every_guide_field(version: str, security: bool) -> None:
    for step in build_plan(release_for(version, security)):
        assert isinstance(step.guide, Guide), f"{step.id} has no structured guide"
        assert step.guide.missing() == [], f"{step.id}'s guide lacks {step.guide.missing()}"
        assert step.guide.references, f"{step.id} names no PEP 101 section or PEP"
        assert all("PEP" in ref for ref in step.guide.references), step.id
        for heading in (
            "What it does",
            "Why",
            "What goes wrong in practice",
            "Threat it guards against",
            "How to recover",
            "Who does it",
            "References",
        ):
            assert f"**{heading}.**" in step.help, f"{step.id}'s help lacks {heading}"


def test_a_guide_without_a_threat_must_say_why() -> None:
    fields = {
        "does": "d",
        "why": "w",
        "goes_wrong": "g",
        "recover": "r",
        "who": "RM",
        "references": ("PEP 101",),
    }
    with pytest.raises(ValueError, match="must say why"):
        Guide(threat=Threat.NONE, threat_detail=" ", **fields)  # type: ignore[arg-type]
    guide = Guide(threat=Threat.NONE, threat_detail="it only lifts a lock", **fields)  # type: ignore[arg-type]
    assert "None: it only lifts a lock" in guide.markdown()
    assert Guide(threat=Threat.SOURCE_REPOSITORY, threat_detail="", **fields).missing() == [  # type: ignore[arg-type]
        "threat_detail"
    ]


def test_the_threats_are_slsas() -> None:
    assert [t.value for t in Threat] == [
        "compromised source repository",
        "build from modified source",
        "compromised dependency",
        "compromised build process",
        "upload of a modified package",
        "compromised package repository",
        "none",
    ]


def test_docs_steps_md_is_generated_from_the_current_guides() -> None:
    import importlib.util

    script = Path(__file__).resolve().parents[2] / "scripts" / "steps_doc.py"
    spec = importlib.util.spec_from_file_location("steps_doc", script)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert module.TARGET.read_text(encoding="utf-8") == module.render(), (
        "docs/steps.md is stale: run `python scripts/steps_doc.py`"
    )
    assert {s.id for s in module.every_step()} >= {"unfreeze", "tag.create", "sign.artifacts"}


def test_the_adding_a_step_example_is_a_working_step() -> None:
    import re

    doc = Path(__file__).resolve().parents[2] / "docs" / "adding-a-step.md"
    module = re.search(r"```python\n(.*?)```", doc.read_text(encoding="utf-8"), re.S)
    assert module is not None
    namespace: dict[str, object] = {}
    exec(compile(module.group(1), str(doc), "exec"), namespace)
    step = namespace["ConfigureCheckStep"]()  # type: ignore[operator]
    assert step.guide.missing() == []
    release = release_for("3.13.5", False)
    planned = [a.argv for a in step.plan(release) if a.argv is not None]
    assert any(c.argv[:2] == ("make", "regen-configure") for c in planned)
