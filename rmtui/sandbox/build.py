"""Builds a rehearsal sandbox: upstream, fork, working clone, throwaway GPG key, downloads."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import tomli_w

from rmtui.core.atomic import atomic_write_text
from rmtui.core.errors import RmtuiError
from rmtui.core.patchlevel import TreeVersion, update_patchlevel, update_readme_version
from rmtui.core.profile import Profile, profile_from_dict
from rmtui.core.release import Release, now_utc, register_workspace
from rmtui.core.version import ReleaseVersion
from rmtui.sandbox.tree import SANDBOX_TEST_COMMAND, previous_tree_version, write_cpython_tree
from rmtui.sandbox.vendored import VendoredComponent

# Fixed dates make the sandbox's upstream commits identical from one build to the next.
SEED_DATE = "2026-11-01T10:00:00+00:00"
LATE_FIX_DATE = "2026-11-02T10:00:00+00:00"
SANDBOX_IDENTITY = ("Sandbox Release Manager", "rm@sandbox.invalid")
DEFAULT_VERSION = "3.13.10"
# A small but real docs build: an archive of the Doc sources in Doc/dist, as `make dist` makes.
SANDBOX_DOCS_COMMAND = (
    "mkdir -p Doc/dist && python3 -m zipfile -c Doc/dist/docs-html.zip "
    "Doc/index.rst Doc/whatsnew Doc/library"
)
# Where the sandbox keeps what stands in for each expert's delivery, under D/experts/.
STAND_IN_FOLDERS = {"Windows": "windows", "macOS": "macos"}

if TYPE_CHECKING:
    from rmtui.core.engine import Engine

Sink = Callable[[str], None]


@dataclass(frozen=True)
class Sandbox:
    root: Path
    version: ReleaseVersion

    @property
    def upstream(self) -> Path:
        return self.root / "upstream.git"

    @property
    def fork(self) -> Path:
        return self.root / "fork.git"

    @property
    def clone(self) -> Path:
        return self.root / "cpython"

    @property
    def gnupghome(self) -> Path:
        return self.root / "gnupg"

    @property
    def downloads(self) -> Path:
        return self.root / "downloads"

    @property
    def workspace(self) -> Path:
        return self.root / "workspace"

    @property
    def profile_path(self) -> Path:
        return self.root / "profile.toml"

    @property
    def experts(self) -> Path:
        return self.root / "experts"


def _git(args: Sequence[str], cwd: Path | None = None, *, date: str = SEED_DATE) -> str:
    name, email = SANDBOX_IDENTITY
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": name,
        "GIT_AUTHOR_EMAIL": email,
        "GIT_COMMITTER_NAME": name,
        "GIT_COMMITTER_EMAIL": email,
        "GIT_AUTHOR_DATE": date,
        "GIT_COMMITTER_DATE": date,
    }
    done = subprocess.run(
        ["git", *args], cwd=cwd, env=env, capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise RmtuiError(
            f"building the sandbox failed at `git {' '.join(args)}`: {done.stderr.strip()}",
            "check that git works and the sandbox directory is writable, then try again "
            "in a new directory",
        )
    return done.stdout


def _bump_tree(tree: Path, py_version: str) -> None:
    version = TreeVersion.parse(py_version)
    patchlevel = tree / "Include" / "patchlevel.h"
    patchlevel.write_text(update_patchlevel(patchlevel.read_text(), version, py_version))
    readme = tree / "README.rst"
    readme.write_text(update_readme_version(readme.read_text(), version.release_text))


def sandbox_profile(sandbox: Sandbox, fingerprint: str) -> Profile:
    version = sandbox.version
    return profile_from_dict(
        {
            "name": "sandbox",
            "rehearsal": True,
            "repos": {
                "upstream": str(sandbox.upstream),
                "fork": str(sandbox.fork),
                "clone": str(sandbox.clone),
            },
            "freeze": {"method": "sandbox-hook"},
            "signing": {
                "gpg": "pep761",
                "gnupghome": str(sandbox.gnupghome),
                "sigstore": "staging",
                "signers": {
                    version.minor_version: {
                        "gpg_fingerprint": fingerprint,
                        "sigstore_identity": os.environ.get("RMTUI_SIGSTORE_IDENTITY", ""),
                        "sigstore_issuer": os.environ.get("RMTUI_SIGSTORE_ISSUER", ""),
                    }
                },
            },
            "commands": {
                "docs": SANDBOX_DOCS_COMMAND,
                "test": SANDBOX_TEST_COMMAND,
            },
            "publish": {"method": "local", "target": str(sandbox.downloads)},
            "installers": [
                {"role": role, "pattern": pattern, "platform": f"{role} (sandbox stand-in)"}
                for role, names in stand_in_patterns().items()
                for pattern in names
            ],
        },
        source="sandbox profile",
    )


def build_sandbox(
    root: Path,
    version: ReleaseVersion,
    *,
    security_only: bool = False,
    vendored: list[VendoredComponent] | None = None,
    sink: Sink | None = None,
) -> tuple[Sandbox, Release]:
    """Build every part of the sandbox, then (last) the release workspace that drives it."""
    say = sink or (lambda _line: None)
    root = root.expanduser().resolve()
    if root.exists() and any(root.iterdir()):
        raise RmtuiError(
            f"{root} is not empty",
            "choose a new directory with --dir; to continue a rehearsal there, run "
            f"`rmtui run {root / 'workspace'}`",
        )
    root.mkdir(parents=True, exist_ok=True)
    sandbox = Sandbox(root, version)
    seed = root / ".seed"
    seed.mkdir()
    release_branch = "main" if version.branch == "main" else version.minor_version
    tree_version = previous_tree_version(version)
    say(f"writing a CPython-shaped tree at {tree_version}")
    _git(["init", "-q", "-b", "main", str(seed)])
    write_cpython_tree(seed, tree_version, vendored=vendored)
    _git(["add", "-A"], seed)
    _git(["commit", "-q", "-m", f"Sandbox CPython tree at {tree_version}"], seed)
    if release_branch != "main":
        _git(["branch", release_branch], seed)
        next_dev = f"{version.major}.{version.minor + 1}.0a0"
        _bump_tree(seed, next_dev)
        _git(["commit", "-q", "-am", f"Bump main to {next_dev}"], seed)
        _git(["checkout", "-q", release_branch], seed)
    say(f"creating {sandbox.upstream} and {sandbox.fork}")
    _git(["clone", "-q", "--bare", str(seed), str(sandbox.upstream)])
    _git(["clone", "-q", "--bare", str(sandbox.upstream), str(sandbox.fork)])
    # Upstream moves on after the fork was made, so that fork.update has real work to do.
    late = seed / "Lib" / "sandbox_late_fix.py"
    late.write_text('"""A fix merged upstream after the RM forked."""\n\nFIXED = True\n')
    _git(["add", "-A"], seed, date=LATE_FIX_DATE)
    _git(["commit", "-q", "-m", "gh-130999: Late fix merged upstream"], seed, date=LATE_FIX_DATE)
    _git(["push", "-q", str(sandbox.upstream), release_branch], seed)
    shutil.rmtree(seed)
    say(f"cloning the fork into {sandbox.clone}")
    _git(["clone", "-q", "-b", release_branch, str(sandbox.fork), str(sandbox.clone)])
    _git(["remote", "add", "upstream", str(sandbox.upstream)], sandbox.clone)
    name, email = SANDBOX_IDENTITY
    _git(["config", "user.name", name], sandbox.clone)
    _git(["config", "user.email", email], sandbox.clone)
    sandbox.downloads.mkdir()
    if not security_only:
        say(f"writing the experts' stand-in deliveries in {sandbox.experts}")
        write_expert_stand_ins(sandbox)
    say(f"making a throwaway GPG key in {sandbox.gnupghome}")
    fingerprint = _make_key(sandbox.gnupghome)
    profile = sandbox_profile(sandbox, fingerprint)
    atomic_write_text(sandbox.profile_path, tomli_w.dumps(profile.to_toml_dict()))
    release = Release(
        version=version,
        profile=profile,
        workspace=sandbox.workspace,
        security_only=security_only,
        created=now_utc(),
    )
    from rmtui.usecases.lifecycle import create_release

    create_release(release)
    register_workspace(sandbox.workspace)
    return sandbox, release


def _make_key(gnupghome: Path) -> str:
    from rmtui.ops.gpg import THROWAWAY_AGENT_CONF, Gpg

    gnupghome.mkdir(mode=0o700)
    (gnupghome / "gpg-agent.conf").write_text(THROWAWAY_AGENT_CONF)
    name, email = SANDBOX_IDENTITY
    gpg = Gpg(gnupghome)
    return gpg.generate_key(name, email, passphrase=None, expire="1y")


def stand_in_patterns() -> dict[str, list[str]]:
    """The files standing in for each expert's installers, by role, as profile patterns."""
    return {
        "Windows": ["python-{version}-amd64.exe.stand-in", "python-{version}-arm64.exe.stand-in"],
        "macOS": ["python-{version}-macos11.pkg.stand-in"],
    }


def stand_in_names(version: ReleaseVersion) -> dict[str, list[str]]:
    """The files standing in for each expert's installers, by role."""
    return {
        role: [pattern.replace("{version}", str(version)) for pattern in patterns]
        for role, patterns in stand_in_patterns().items()
    }


def write_expert_stand_ins(sandbox: Sandbox) -> None:
    """D/experts/<role>/: small files clearly marked as stand-ins, with their SHA256SUMS."""
    from rmtui.ops.checksums import write_sha256sums

    for role, names in stand_in_names(sandbox.version).items():
        folder = sandbox.experts / STAND_IN_FOLDERS[role]
        folder.mkdir(parents=True)
        files = []
        for name in names:
            path = folder / name
            path.write_text(
                f"Sandbox stand-in for {name.removesuffix('.stand-in')}, the installer a "
                f"{role} release expert would build from {sandbox.version.tag}. This is not "
                "an installer: rmtui rehearsals import it with `rmtui handoff import` to "
                "exercise the hand-off.\n"
            )
            files.append(path)
        write_sha256sums(folder, files)


def stand_in_folders(workspace: Path) -> dict[str, Path]:
    """The stand-in deliveries of the sandbox around `workspace`, by role ({} when none)."""
    root = workspace.parent / "experts"
    return {
        role: root / folder
        for role, folder in STAND_IN_FOLDERS.items()
        if (root / folder / "SHA256SUMS").is_file()
    }


def deliver_stand_ins(engine: Engine, say: Sink) -> list[str]:
    """In a rehearsal, import the sandbox's stand-ins for each expert handoff.experts awaits.

    This is what lets `rmtui rehearse --auto` run past the hand-off, through the very import
    service a real release uses. A real release never does this: there is nothing to import
    until the experts deliver. Returns the roles delivered.
    """
    from rmtui.core.status import Status
    from rmtui.steps.handoff import HANDOFF_STEP_ID, import_delivery

    release = engine.release
    if not release.rehearsal or HANDOFF_STEP_ID not in engine.plan.ids:
        return []
    record = engine.state.steps[HANDOFF_STEP_ID]
    if record.status is not Status.WAITING:
        return []
    folders = stand_in_folders(release.workspace)
    delivered = []
    for role in list(record.waiting_on):
        folder = folders.get(role)
        if folder is None:
            continue
        say(f"rehearsal: importing the sandbox's {role} stand-ins from {folder} (a real release")
        say("waits here until the expert delivers; then `rmtui handoff import` does the same)")
        import_delivery(engine, role, folder, stand_in=True)
        delivered.append(role)
    return delivered


def run_rehearsal(engine: Engine, until: str | None = None, say: Sink | None = None) -> None:
    """`engine.run_until(until)`, importing the sandbox's stand-ins whenever the hand-off waits.

    What `rmtui rehearse --auto` and `rmtui run --yes` do for a rehearsal; a real release
    stops at the hand-off until the experts deliver.
    """
    tell = say or (lambda _line: None)
    engine.run_until(until)
    while deliver_stand_ins(engine, tell):
        engine.run_until(until)
