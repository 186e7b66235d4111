"""Every release type's plan, rehearsed end to end with `rmtui rehearse --auto`."""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from rmtui.cli import main
from rmtui.core.patchlevel import parse_patchlevel
from rmtui.core.version import ReleaseType, parse_version
from rmtui.ops import freeze_hook
from tests.helpers import git, short_tmpdir

# One version of each release type, and the security-only flag.
CASES = [
    ("3.15.0a1", False),
    ("3.14.0b1", False),
    ("3.14.0b2", False),
    ("3.14.0rc1", False),
    ("3.14.0", False),
    ("3.13.5", False),
    ("3.13.5", True),
]


def py_version(repo: Path, ref: str) -> str:
    return parse_patchlevel(git("show", f"{ref}:Include/patchlevel.h", cwd=repo))["PY_VERSION"]


def assert_released(root: Path, version: str) -> None:
    """What a finished release leaves in the sandbox's upstream.git (issue 4's "done when")."""
    v = parse_version(version)
    upstream = root / "upstream.git"
    tag = v.tag
    release_commit = git("rev-parse", f"{tag}^{{commit}}", cwd=upstream)
    assert git("cat-file", "-t", tag, cwd=upstream) == "tag", "the tag must be annotated"
    assert git("log", "-1", "--format=%s", release_commit, cwd=upstream) == f"Python {v}"
    assert py_version(upstream, release_commit) == str(v)
    tag_body = git("cat-file", "tag", tag, cwd=upstream)
    if v.gpg_by_default:
        env = {**os.environ, "GNUPGHOME": str(root / "gnupg")}
        verified = subprocess.run(
            ["git", "-C", str(upstream), "verify-tag", tag],
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        assert verified.returncode == 0, verified.stderr
        assert "Good signature" in verified.stderr
    else:
        assert "BEGIN PGP SIGNATURE" not in tag_body, "PEP 761: no GPG signature from 3.14"
    release_branch = "main" if v.branch == "main" else v.minor_version
    post_branch = v.minor_version if v.release_type is ReleaseType.BETA_1 else release_branch
    for branch in {release_branch, post_branch}:
        git("merge-base", "--is-ancestor", release_commit, f"refs/heads/{branch}", cwd=upstream)
    post_commits = git(
        "log", "--format=%H", f"--grep=^Post {v}$", f"refs/heads/{post_branch}", cwd=upstream
    ).split()
    assert len(post_commits) == 1, "exactly one post-release commit"
    post = post_commits[0]
    assert git("rev-parse", f"refs/heads/{post_branch}", cwd=upstream) == post
    assert git("rev-parse", f"{post}^", cwd=upstream) == release_commit
    assert py_version(upstream, post) == v.post_release
    assert py_version(upstream, f"refs/heads/{post_branch}") == v.post_release
    if v.release_type is ReleaseType.BETA_1:
        assert py_version(upstream, "refs/heads/main") == v.next_minor_alpha0() == "3.15.0a0"
    assert freeze_hook.frozen_branches(upstream) == [], "unfreeze lifts the freeze"


@pytest.fixture(scope="module")
def rehearsed() -> Iterator[dict[tuple[str, bool], tuple[Path, Any]]]:
    """Each case rehearsed once with the real CLI; the plans as `rmtui plan --json` shows them."""
    results: dict[tuple[str, bool], tuple[Path, Any]] = {}
    with short_tmpdir("rt") as tmp, pytest.MonkeyPatch.context() as patch:
        # The module-scoped fixture runs outside the autouse isolation, so it sets its own.
        from tests.conftest import GIT_ISOLATION

        for key, value in GIT_ISOLATION.items():
            patch.setenv(key, value)
        patch.setenv("RMTUI_HOME", str(tmp / "home"))
        patch.setenv("RMTUI_KEYRING", "memory")
        patch.setenv("HOME", str(tmp / "home"))
        runner = CliRunner()
        for version, security in CASES:
            root = tmp / f"{version}{'-sec' if security else ''}"
            args = ["rehearse", "--dir", str(root), "--version", version, "--auto", "--quiet"]
            done = runner.invoke(main, args + (["--security-only"] if security else []))
            assert done.exit_code == 0, done.output
            assert "The release is complete." in done.output
            planned = runner.invoke(main, ["plan", "--json", str(root / "workspace")])
            assert planned.exit_code == 0, planned.output
            results[(version, security)] = (root, json.loads(planned.output))
        yield results


@pytest.mark.parametrize(("version", "security"), CASES)
def test_each_release_type_ends_released_on_upstream(
    rehearsed: dict[tuple[str, bool], tuple[Path, Any]], version: str, security: bool
) -> None:
    root, plan = rehearsed[(version, security)]
    assert_released(root, version)
    assert plan["version"] == version
    assert plan["security_only"] is security


def _actions(plan: dict[str, Any], step_id: str) -> list[str]:
    step = next(s for s in plan["steps"] if s["id"] == step_id)
    return [f"{a['description']} | {a['command']}" for a in step["actions"]]


def test_the_plans_differ_by_release_type(
    rehearsed: dict[tuple[str, bool], tuple[Path, Any]],
) -> None:
    plans = {key: plan for key, (_root, plan) in rehearsed.items()}
    types = {key: plan["type"] for key, plan in plans.items()}
    assert types == {
        ("3.15.0a1", False): "alpha",
        ("3.14.0b1", False): "beta-1",
        ("3.14.0b2", False): "beta",
        ("3.14.0rc1", False): "rc",
        ("3.14.0", False): "final",
        ("3.13.5", False): "bugfix",
        ("3.13.5", True): "bugfix",
    }
    pushes = {key: "\n".join(_actions(plan, "upstream.push")) for key, plan in plans.items()}
    # Alphas and b1 come from main; b1 pushes main and the new 3.14 and bumps main.
    assert "refs/heads/main:refs/heads/main" in pushes[("3.15.0a1", False)]
    assert "3.15.0a1+dev" in pushes[("3.15.0a1", False)]
    b1 = pushes[("3.14.0b1", False)]
    assert "refs/heads/main:refs/heads/main refs/heads/3.14:refs/heads/3.14" in b1
    assert "create the 3.14 branch" in b1 and "bump to 3.15.0a0" in b1
    for later in ("3.14.0b2", "3.14.0rc1", "3.14.0"):
        text = pushes[(later, False)]
        assert "refs/heads/3.14:refs/heads/3.14" in text and "main" not in text
        assert "create the 3.14 branch" not in text
    assert "refs/heads/3.13:refs/heads/3.13" in pushes[("3.13.5", False)]
    # PEP 761: a signed tag, verified, before 3.14 only.
    for key, plan in plans.items():
        tag_actions = "\n".join(_actions(plan, "tag.create"))
        signed = parse_version(key[0]).gpg_by_default
        assert ("tag -s -u" in tag_actions) is signed
        assert ("verify-tag" in tag_actions) is signed
    # With the sandbox's own paths taken out, no two release types share a plan.
    distinct = {
        json.dumps(plan["steps"]).replace(str(rehearsed[key][0]), "D")
        for key, plan in plans.items()
        if not key[1]
    }
    assert len(distinct) == 6
