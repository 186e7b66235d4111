"""The sandbox's CPython-shaped tree: committed, deterministic, valid SPDX, blurb-ready."""

from __future__ import annotations

import dataclasses
import datetime
import json
import re
import subprocess
import sys
from pathlib import Path
from unittest import mock

import pytest
from spdx_tools.spdx.parser.parse_anything import parse_file
from spdx_tools.spdx.validation.document_validator import validate_full_spdx_document

from rmtui.core.errors import InvalidVersion
from rmtui.core.patchlevel import (
    parse_patchlevel,
    parse_tree_version,
    read_tree_version,
    update_patchlevel,
    update_readme_version,
)
from rmtui.core.version import parse_version
from rmtui.sandbox.tree import (
    LIB_MODULE_COUNT,
    SANDBOX_TEST_COMMAND,
    previous_tree_version,
    render_cpython_tree,
    write_cpython_tree,
)
from rmtui.sandbox.vendored import (
    DEFAULT_VENDORED,
    SBOM_PATH,
    SandboxError,
    VendoredComponent,
    fake_source_sha256,
)

NEXT_ENTRY_RE = re.compile(
    r"Misc/NEWS\.d/next/[A-Za-z_]+/\d{4}(-\d\d){5}\.gh-issue-(?P<issue>\d+)\.[A-Za-z0-9]{6}\.rst"
)


def git(repo: Path, *args: str) -> str:
    done = subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True, text=True)
    return done.stdout


def committed_tree(repo: Path, tree_version: str, *, news_entries: int = 6, seed: int = 0) -> Path:
    git(repo.parent, "init", "--quiet", "--initial-branch=main", str(repo))
    write_cpython_tree(repo, tree_version, news_entries=news_entries, seed=seed)
    git(repo, "add", "--all")
    git(repo, "commit", "--quiet", "--message", f"Sandbox at {tree_version}")
    return repo


def snapshot(root: Path) -> dict[str, tuple[bytes, int]]:
    return {
        path.relative_to(root).as_posix(): (path.read_bytes(), path.stat().st_mode & 0o777)
        for path in sorted(root.rglob("*"))
        if path.is_file() and ".git" not in path.relative_to(root).parts[:1]
    }


def run_self_test(tree: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        SANDBOX_TEST_COMMAND, shell=True, cwd=tree, capture_output=True, text=True, check=False
    )


@pytest.mark.parametrize(
    ("release", "before"),
    [
        ("3.13.5", "3.13.4+"),
        ("3.14.1", "3.14.0+"),
        ("3.14.0", "3.14.0rc3+"),
        ("3.14.0rc1", "3.14.0b4+"),
        ("3.14.0rc3", "3.14.0rc2+"),
        ("3.14.0b1", "3.14.0a7+"),
        ("3.14.0b3", "3.14.0b2+"),
        ("3.14.0a1", "3.14.0a0"),
        ("3.14.0a5", "3.14.0a4+"),
        ("3.15.0a1", "3.15.0a0"),
        ("3.15.0a2", "3.15.0a1+dev"),
        ("3.15.0b1", "3.15.0a7+dev"),
        ("3.15.0rc1", "3.15.0b4+dev"),
        ("3.15.0", "3.15.0rc3+dev"),
        ("3.15.2", "3.15.1+dev"),
    ],
)
def test_previous_tree_version(release: str, before: str) -> None:
    assert previous_tree_version(parse_version(release)) == before
    # Whatever precedes a release must be a tree state the sandbox can write.
    assert str(parse_tree_version(before)) == before


def test_tree_commits_with_the_files_the_release_tools_look_for(tmp_path: Path) -> None:
    repo = committed_tree(tmp_path / "cpython", "3.14.0rc2+")
    tracked = git(repo, "ls-files").splitlines()
    assert 250 <= len(tracked) <= 400
    assert sorted(tracked) == sorted(render_cpython_tree("3.14.0rc2+"))
    for required in (
        "Include/patchlevel.h",
        "Include/Python.h",
        "Python/ceval.c",
        "README.rst",
        "LICENSE",
        "Doc/Makefile",
        "Misc/sbom.spdx.json",
        "Misc/mypy/README.txt",
        ".gitignore",
        ".github/workflows/build.yml",
        ".azure-pipelines/ci.yml",
        "Lib/rmtui_sandbox_check/__init__.py",
        "Lib/test/test_sandbox.py",
        "Misc/NEWS.d/3.14.0rc2.rst",
    ):
        assert required in tracked, required
    assert sum(path.startswith("Lib/") and path.endswith(".py") for path in tracked) >= 200
    assert sum(path.startswith("Doc/") and path.endswith(".rst") for path in tracked) >= 3
    assert git(repo, "ls-files", "--stage", "configure").startswith("100755 ")
    assert (repo / "LICENSE").read_text().split("\n")[0] == "A. HISTORY OF THE SOFTWARE"
    readme = (repo / "README.rst").read_text(encoding="utf-8").split("\n")
    assert readme[0] == "This is Python version 3.14.0 release candidate 2"
    assert readme[1] == "=" * len(readme[0])
    patchlevel = (repo / "Include/patchlevel.h").read_text()
    assert read_tree_version(patchlevel) == parse_tree_version("3.14.0rc2+")
    size = sum(path.stat().st_size for path in repo.rglob("*") if ".git" not in path.parts)
    assert size < 3_000_000


def test_news_entries_follow_blurbs_naming(tmp_path: Path) -> None:
    files = render_cpython_tree("3.14.0rc2+", news_entries=9, seed=4)
    entries = [path for path in files if path.startswith("Misc/NEWS.d/next/")]
    assert len(entries) == 9
    for path in entries:
        match = NEXT_ENTRY_RE.fullmatch(path)
        assert match is not None, path
        assert int(match["issue"]) >= 32426
        body = files[path].text
        assert body.endswith("\n") and "\n\n" not in body
        assert not body.startswith(("- ", "gh-", "Issue #"))


def test_every_file_is_ascii_so_tools_need_no_encoding() -> None:
    files = render_cpython_tree("3.14.0rc2+")
    assert [path for path, tree_file in files.items() if not tree_file.text.isascii()] == []


def test_two_writes_give_identical_trees(tmp_path: Path) -> None:
    write_cpython_tree(tmp_path / "one", "3.13.4+", seed=7)
    write_cpython_tree(tmp_path / "two", "3.13.4+", seed=7)
    first = snapshot(tmp_path / "one")
    assert first == snapshot(tmp_path / "two")
    assert first["configure"][1] == 0o755
    assert first["README.rst"][1] == 0o644


def test_seed_changes_the_content_but_not_the_shape(tmp_path: Path) -> None:
    zero = render_cpython_tree("3.13.4+", seed=0)
    one = render_cpython_tree("3.13.4+", seed=1)
    assert zero["Include/patchlevel.h"] == one["Include/patchlevel.h"]
    assert zero["Lib/sandboxlib/mod_000.py"] != one["Lib/sandboxlib/mod_000.py"]
    assert len(zero) == len(one)


def test_no_file_carries_todays_date(tmp_path: Path) -> None:
    write_cpython_tree(tmp_path / "tree", "3.14.0b2+", news_entries=40)
    today = datetime.date.today()
    for stamp in (today.isoformat(), today.strftime("%Y-%m-%d-"), today.strftime("%d-%b-%Y")):
        for relative, (data, _) in snapshot(tmp_path / "tree").items():
            assert stamp not in relative
            assert stamp.encode() not in data, relative


def spdx_messages(path: Path) -> list[str]:
    document = parse_file(str(path))
    return [message.validation_message for message in validate_full_spdx_document(document)]


def test_sbom_is_valid_spdx_describing_the_vendored_components(tmp_path: Path) -> None:
    write_cpython_tree(tmp_path / "tree", "3.14.0rc2+")
    sbom_path = tmp_path / "tree" / SBOM_PATH
    assert spdx_messages(sbom_path) == []
    sbom = json.loads(sbom_path.read_text())
    assert sbom["spdxVersion"] == "SPDX-2.3"
    packages = {package["name"]: package for package in sbom["packages"]}
    assert set(packages) == {"expat", "mpdecimal", "hacl-star"}
    for component in DEFAULT_VENDORED:
        package = packages[component.name]
        assert package["versionInfo"] == component.version
        assert package["SPDXID"] == f"SPDXRef-PACKAGE-{component.name}"
        assert package["checksums"] == [{"algorithm": "SHA256", "checksumValue": component.sha256}]
        assert package["licenseConcluded"] == component.license
        assert package["downloadLocation"] == component.download_url
        assert package["filesAnalyzed"] is False
        kinds = {ref["referenceType"]: ref["referenceLocator"] for ref in package["externalRefs"]}
        assert kinds["purl"] == f"pkg:generic/{component.name}@{component.version}"
        assert kinds["cpe23Type"].startswith("cpe:2.3:a:")
        assert f":{component.version}:" in kinds["cpe23Type"]
        assert (tmp_path / "tree" / component.source_dir).is_dir()


def test_vendored_components_are_a_parameter(tmp_path: Path) -> None:
    newer_expat = dataclasses.replace(
        DEFAULT_VENDORED[0], version="2.7.2", sha256=fake_source_sha256("expat", "2.7.2")
    )
    zlib = VendoredComponent(
        name="zlib",
        version="1.3.1",
        license="Zlib",
        download_url="https://zlib.net/zlib-1.3.1.tar.gz",
        sha256=fake_source_sha256("zlib", "1.3.1"),
        directory="Modules/zlib",
        cpe_vendor="zlib",
    )
    write_cpython_tree(tmp_path / "old", "3.14.0rc2+")
    write_cpython_tree(tmp_path / "new", "3.14.0rc2+", vendored=[newer_expat, zlib])
    new_sbom = tmp_path / "new" / SBOM_PATH
    assert spdx_messages(new_sbom) == []
    packages = {p["name"]: p["versionInfo"] for p in json.loads(new_sbom.read_text())["packages"]}
    assert packages == {"expat": "2.7.2", "zlib": "1.3.1"}
    old, new = snapshot(tmp_path / "old"), snapshot(tmp_path / "new")
    assert old[SBOM_PATH] != new[SBOM_PATH]
    assert "Modules/zlib/zlib_sandbox.h" in new
    assert "Modules/_hacl/hacl_star_sandbox.h" in old
    assert "Modules/_hacl/hacl_star_sandbox.h" not in new
    old_namespace = json.loads(old[SBOM_PATH][0])["documentNamespace"]
    assert old_namespace != json.loads(new[SBOM_PATH][0])["documentNamespace"]


def test_sandbox_self_test_passes_and_catches_damage(tmp_path: Path) -> None:
    repo = committed_tree(tmp_path / "cpython", "3.14.0rc2+")
    passed = run_self_test(repo)
    assert passed.returncode == 0, passed.stderr
    assert "Ran 2 tests" in passed.stderr
    assert git(repo, "status", "--porcelain") == ""  # __pycache__ is ignored

    (repo / "Lib/sandboxlib/mod_123.py").unlink()
    missing = run_self_test(repo)
    assert missing.returncode != 0
    assert "mod_123" in missing.stderr


def test_self_test_follows_a_consistent_release_bump(tmp_path: Path) -> None:
    write_cpython_tree(tmp_path / "tree", "3.14.0rc2+")
    header = tmp_path / "tree/Include/patchlevel.h"
    readme = tmp_path / "tree/README.rst"
    release = parse_version("3.14.0rc3")
    header.write_text(update_patchlevel(header.read_text(), release, str(release)))
    stale = run_self_test(tmp_path / "tree")
    assert stale.returncode != 0
    assert "release candidate 3" in stale.stderr
    readme.write_text(update_readme_version(readme.read_text(encoding="utf-8"), str(release)))
    assert run_self_test(tmp_path / "tree").returncode == 0
    assert parse_patchlevel(header.read_text()) == release.patchlevel_fields


def blurb(repo: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "blurb", *args],
        cwd=repo,
        capture_output=True,
        text=True,
        check=False,
    )


def test_blurb_release_consumes_the_next_entries(tmp_path: Path) -> None:
    repo = committed_tree(tmp_path / "cpython", "3.14.0rc2+", news_entries=6, seed=3)
    issues = {
        match["issue"]
        for path in git(repo, "ls-files", "Misc/NEWS.d/next").splitlines()
        if (match := NEXT_ENTRY_RE.fullmatch(path))
    }
    assert len(issues) == 6

    done = blurb(repo, "release", "3.14.0rc3")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Merging 6 blurbs" in done.stdout

    merged = (repo / "Misc/NEWS.d/3.14.0rc3.rst").read_text()
    assert set(re.findall(r"^\.\. gh-issue: (\d+)$", merged, re.MULTILINE)) == issues
    assert f".. release date: {datetime.date.today().isoformat()}" in merged
    assert not list((repo / "Misc/NEWS.d/next").rglob("*.rst"))
    staged = git(repo, "status", "--porcelain").splitlines()
    assert "A  Misc/NEWS.d/3.14.0rc3.rst" in staged
    assert sum(line.startswith("D  Misc/NEWS.d/next/") for line in staged) == 6
    assert not (repo / "Misc/NEWS").exists()


def test_blurb_release_on_a_fresh_main_with_no_entries(tmp_path: Path) -> None:
    repo = committed_tree(tmp_path / "cpython", "3.15.0a0", news_entries=0)
    assert not (repo / "Misc/NEWS.d/3.15.0a0.rst").exists()
    done = blurb(repo, "release", "3.15.0a1")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "no changes" in (repo / "Misc/NEWS.d/3.15.0a1.rst").read_text()


def test_tree_generation_is_cheap(tmp_path: Path) -> None:
    """Writing the tree is quick because of the work it does, which is checked, not timed.

    A few hundred small files, each written once, and nothing run: no subprocess, no git.
    """
    written: list[Path] = []
    real_write_bytes = Path.write_bytes

    def counted_write_bytes(path: Path, data: bytes) -> int:
        written.append(path)
        return real_write_bytes(path, data)

    with (
        mock.patch.object(subprocess, "Popen", side_effect=AssertionError("ran a process")),
        mock.patch.object(Path, "write_bytes", counted_write_bytes),
    ):
        write_cpython_tree(tmp_path / "tree", "3.14.0rc2+")
    files = [path for path in (tmp_path / "tree").rglob("*") if path.is_file()]
    assert len(written) == len(set(written)) == len(files), "every file is written exactly once"
    assert LIB_MODULE_COUNT < len(files) < 400
    assert sum(path.stat().st_size for path in files) < 256 * 1024


def test_writing_into_a_non_empty_directory_is_refused(tmp_path: Path) -> None:
    (tmp_path / "tree").mkdir()
    (tmp_path / "tree" / "stray.txt").write_text("left over")
    with pytest.raises(SandboxError, match=r"already holds stray\.txt") as caught:
        write_cpython_tree(tmp_path / "tree", "3.14.0rc2+")
    assert "empty directory" in caught.value.hint


def test_writing_over_a_file_is_refused(tmp_path: Path) -> None:
    (tmp_path / "tree").write_text("not a directory")
    with pytest.raises(SandboxError, match="is not a directory"):
        write_cpython_tree(tmp_path / "tree", "3.14.0rc2+")


@pytest.mark.parametrize("tree_version", ["3.14", "3.14.0rc0", "3.15.0a0+", "v3.14.0"])
def test_bad_tree_version_is_refused(tmp_path: Path, tree_version: str) -> None:
    with pytest.raises(InvalidVersion):
        write_cpython_tree(tmp_path / "tree", tree_version)
    assert not (tmp_path / "tree").exists()


@pytest.mark.parametrize("count", [-1, 1001])
def test_news_entry_count_is_bounded(count: int) -> None:
    with pytest.raises(SandboxError, match=f"news_entries is {count}"):
        render_cpython_tree("3.14.0rc2+", news_entries=count)


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        ({"name": "lib expat"}, "not usable in an SPDX id"),
        ({"version": ""}, "version '' is empty"),
        ({"license": " "}, "the license is empty"),
        ({"download_url": "ftp://example.invalid/x.tgz"}, "is not http(s)"),
        ({"sha256": "ABC"}, "not a lowercase hex SHA-256"),
        ({"directory": "../outside"}, "is not inside the tree"),
        ({"directory": "/abs"}, "is not inside the tree"),
    ],
)
def test_bad_vendored_component_is_named(change: dict[str, str], problem: str) -> None:
    with pytest.raises(SandboxError, match=re.escape(problem)) as caught:
        dataclasses.replace(DEFAULT_VENDORED[0], **change)
    assert caught.value.hint


def test_vendored_list_must_be_usable() -> None:
    with pytest.raises(SandboxError, match="no vendored component"):
        render_cpython_tree("3.14.0rc2+", vendored=[])
    with pytest.raises(SandboxError, match="named twice: expat"):
        render_cpython_tree("3.14.0rc2+", vendored=[DEFAULT_VENDORED[0], DEFAULT_VENDORED[0]])
    clash = dataclasses.replace(DEFAULT_VENDORED[1], name="expat-2", directory="Modules/expat")
    renamed = dataclasses.replace(clash, name="expat.2")
    with pytest.raises(SandboxError, match="would both write"):
        render_cpython_tree("3.14.0rc2+", vendored=[clash, renamed])


def test_lib_module_count_matches_the_tree() -> None:
    files = render_cpython_tree("3.14.0rc2+")
    modules = [path for path in files if re.fullmatch(r"Lib/sandboxlib/mod_\d{3}\.py", path)]
    assert len(modules) == LIB_MODULE_COUNT
