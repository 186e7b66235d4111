"""SPDX 2.3 SBOMs of source tarballs, validated with spdx-tools, and the SBOM diff."""

from __future__ import annotations

import hashlib
import io
import json
import re
import tarfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console
from spdx_tools.spdx.parser.parse_anything import parse_file
from spdx_tools.spdx.validation.document_validator import validate_full_spdx_document

from rmtui.ops.archive import ArtifactDigest
from rmtui.ops.sbom import CPYTHON_ID, build_source_sbom, sbom_path_for, write_source_sbom
from rmtui.ops.sbom_compare import SbomError, diff_sboms, load_sbom, render_diff
from tests.ops.test_archive import COMMIT_TIME, CPYTHON_TREE, PREFIX, VERSION, export, make_repo

# name -> (version, license, {path: content}); a component with no files is allowed.
Components = Mapping[str, tuple[str, str, Mapping[str, bytes]]]

OLD_COMPONENTS: Components = {
    "expat": ("2.5.0", "MIT", {"Modules/expat/xmlparse.c": b"/* expat 2.5.0 */\n"}),
    "mpdecimal": ("2.5.1", "BSD-2-Clause", {"Modules/_decimal/libmpdec/io.c": b"/* io */\n"}),
    "setuptools": (
        "65.5.0",
        "MIT",
        {"Lib/ensurepip/_bundled/setuptools-65.5.0-py3-none-any.whl": b"PK\x03\x04setuptools"},
    ),
    "macholib": ("1.0", "MIT", {}),
}
NEW_COMPONENTS: Components = {
    "expat": ("2.6.0", "MIT", {"Modules/expat/xmlparse.c": b"/* expat 2.6.0 */\n"}),
    "mpdecimal": ("2.5.1", "BSD-3-Clause", {"Modules/_decimal/libmpdec/io.c": b"/* io */\n"}),
    "hacl-star": ("8ba599b2", "Apache-2.0", {"Modules/_hacl/Hacl_Hash_SHA2.c": b"/* hacl */\n"}),
    "macholib": ("1.0", "MIT", {}),
}


def _checksums(content: bytes) -> list[dict[str, str]]:
    return [
        {"algorithm": "SHA1", "checksumValue": hashlib.sha1(content).hexdigest()},
        {"algorithm": "SHA256", "checksumValue": hashlib.sha256(content).hexdigest()},
    ]


def tree_sbom(components: Components) -> bytes:
    """A Misc/sbom.spdx.json shaped like CPython's own, for `components`."""
    packages, files, relationships = [], [], []
    for name, (version, license_, contents) in components.items():
        package_id = f"SPDXRef-PACKAGE-{name}"
        packages.append(
            {
                "SPDXID": package_id,
                "name": name,
                "versionInfo": version,
                "licenseConcluded": license_,
                "originator": f"Organization: {name} developers",
                "primaryPackagePurpose": "SOURCE",
                "downloadLocation": f"https://example.org/{name}-{version}.tar.gz",
                "checksums": [
                    {
                        "algorithm": "SHA256",
                        "checksumValue": hashlib.sha256(f"{name}{version}".encode()).hexdigest(),
                    }
                ],
                "externalRefs": [
                    {
                        "referenceCategory": "SECURITY",
                        "referenceLocator": f"cpe:2.3:a:{name}:{name}:{version}:*:*:*:*:*:*:*",
                        "referenceType": "cpe23Type",
                    }
                ],
            }
        )
        for path, content in contents.items():
            file_id = "SPDXRef-FILE-" + path.replace("/", "-").replace("_", "-")
            files.append({"SPDXID": file_id, "fileName": path, "checksums": _checksums(content)})
            relationships.append(
                {
                    "spdxElementId": package_id,
                    "relationshipType": "CONTAINS",
                    "relatedSpdxElement": file_id,
                }
            )
    document = {
        "SPDXID": "SPDXRef-DOCUMENT",
        "packages": packages,
        "files": files,
        "relationships": relationships,
    }
    return json.dumps(document, indent=2).encode()


def vendored_tree(components: Components) -> dict[str, bytes]:
    """CPYTHON_TREE plus the components' files and a Misc/sbom.spdx.json declaring them."""
    tree = dict(CPYTHON_TREE)
    for _version, _license, contents in components.values():
        tree.update(contents)
    tree["Misc/sbom.spdx.json"] = tree_sbom(components)
    return tree


def release_sboms(root: Path, components: Components) -> tuple[list[ArtifactDigest], list[Path]]:
    """Export a sandbox release whose tree vendors `components`; SBOM both artifacts."""
    repo, sha = make_repo(root, vendored_tree(components))
    artifacts = export(repo, sha, root / "artifacts")
    return artifacts, [write_source_sbom(a.path, VERSION, COMMIT_TIME) for a in artifacts]


def assert_valid_spdx(path: Path) -> None:
    document = parse_file(str(path))
    assert validate_full_spdx_document(document) == []


def by_id(items: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {item["SPDXID"]: item for item in items}


def test_sboms_validate_with_spdx_tools_and_describe_the_artifact(tmp_path: Path) -> None:
    artifacts, sboms = release_sboms(tmp_path, OLD_COMPONENTS)
    for artifact, path in zip(artifacts, sboms, strict=True):
        assert path == sbom_path_for(artifact.path)
        assert path.name == artifact.path.name + ".spdx.json"
        assert_valid_spdx(path)

        document = json.loads(path.read_text())
        assert document["spdxVersion"] == "SPDX-2.3"
        assert document["creationInfo"]["created"] == "2023-11-14T22:13:20Z"
        assert artifact.sha256 not in document["documentNamespace"]  # derived, not pasted
        cpython = by_id(document["packages"])[CPYTHON_ID]
        assert cpython["name"] == "CPython"
        assert cpython["versionInfo"] == VERSION
        assert cpython["supplier"] == "Organization: Python Software Foundation"
        assert cpython["checksums"] == [{"algorithm": "SHA256", "checksumValue": artifact.sha256}]
        locators = {
            ref["referenceType"]: ref["referenceLocator"] for ref in cpython["externalRefs"]
        }
        url = f"https://www.python.org/ftp/python/3.14.0/{artifact.path.name}"
        assert locators == {
            "purl": f"pkg:generic/python@{VERSION}?download_url={url}",
            "cpe23Type": f"cpe:2.3:a:python:python:{VERSION}:*:*:*:*:*:*:*",
        }
        assert cpython["downloadLocation"] == url


def test_namespaces_differ_between_artifacts(tmp_path: Path) -> None:
    _, (tgz_sbom, xz_sbom) = release_sboms(tmp_path, OLD_COMPONENTS)
    namespaces = {json.loads(p.read_text())["documentNamespace"] for p in (tgz_sbom, xz_sbom)}
    assert len(namespaces) == 2


def test_vendored_components_files_and_relationships(tmp_path: Path) -> None:
    artifacts, sboms = release_sboms(tmp_path, OLD_COMPONENTS)
    document = json.loads(sboms[0].read_text())
    packages = by_id(document["packages"])
    relations = {
        (r["spdxElementId"], r["relationshipType"], r["relatedSpdxElement"])
        for r in document["relationships"]
    }

    assert ("SPDXRef-DOCUMENT", "DESCRIBES", CPYTHON_ID) in relations
    for name in OLD_COMPONENTS:
        package = packages[f"SPDXRef-PACKAGE-{name}"]
        assert package["supplier"] == "Organization: Python Software Foundation"
        assert package["originator"] == f"Organization: {name} developers"
        assert (CPYTHON_ID, "CONTAINS", package["SPDXID"]) in relations
    assert packages["SPDXRef-PACKAGE-macholib"]["filesAnalyzed"] is False
    assert "packageVerificationCode" not in packages["SPDXRef-PACKAGE-macholib"]

    # Every file of the tarball is listed once, with the checksums of its bytes.
    with tarfile.open(artifacts[0].path) as archive:
        contents = {
            m.name[len(PREFIX) + 1 :]: archive.extractfile(m).read()  # type: ignore[union-attr]
            for m in archive.getmembers()
            if m.isfile()
        }
    files = {f["fileName"]: f for f in document["files"]}
    assert files.keys() == contents.keys()
    for name, content in contents.items():
        assert files[name]["checksums"] == _checksums(content)

    # A vendored file belongs to its package, every other file to CPython.
    owner = {
        r["relatedSpdxElement"]: r["spdxElementId"]
        for r in document["relationships"]
        if r["relationshipType"] == "CONTAINS" and r["relatedSpdxElement"].startswith("SPDXRef-F")
    }
    assert owner[files["Modules/expat/xmlparse.c"]["SPDXID"]] == "SPDXRef-PACKAGE-expat"
    assert owner[files["Lib/os.py"]["SPDXID"]] == CPYTHON_ID

    # SPDX 2.3 verification code: SHA-1 over the sorted SHA-1s of the package's files.
    for package_id, package in packages.items():
        sha1s = sorted(
            hashlib.sha1(contents[f["fileName"]]).hexdigest()
            for f in document["files"]
            if owner[f["SPDXID"]] == package_id
        )
        if sha1s:
            code = hashlib.sha1("".join(sha1s).encode()).hexdigest()
            assert package["packageVerificationCode"]["packageVerificationCodeValue"] == code


def test_sbom_is_deterministic(tmp_path: Path) -> None:
    artifacts, sboms = release_sboms(tmp_path, OLD_COMPONENTS)
    first = sboms[0].read_bytes()
    again = write_source_sbom(artifacts[0].path, VERSION, COMMIT_TIME)
    assert again.read_bytes() == first
    assert build_source_sbom(artifacts[0].path, VERSION, COMMIT_TIME) == json.loads(first)


def test_tree_without_misc_sbom_gives_only_cpython(tmp_path: Path) -> None:
    repo, sha = make_repo(tmp_path)
    tgz, _ = export(repo, sha, tmp_path / "out")
    path = write_source_sbom(tgz.path, VERSION, COMMIT_TIME)
    assert_valid_spdx(path)
    assert [p["name"] for p in json.loads(path.read_text())["packages"]] == ["CPython"]


def test_colliding_spdx_ids_are_made_unique(tmp_path: Path) -> None:
    tree = {**CPYTHON_TREE, "Lib/a_b.py": b"1\n", "Lib/a-b.py": b"2\n", "Lib/a b.py": b"3\n"}
    repo, sha = make_repo(tmp_path, tree)
    tgz, _ = export(repo, sha, tmp_path / "out")
    path = write_source_sbom(tgz.path, VERSION, COMMIT_TIME)
    assert_valid_spdx(path)
    ids = [f["SPDXID"] for f in json.loads(path.read_text())["files"]]
    assert len(ids) == len(set(ids))


def _export_with_tree_sbom(root: Path, raw: bytes, components: Components) -> Path:
    tree = vendored_tree(components)
    tree["Misc/sbom.spdx.json"] = raw
    repo, sha = make_repo(root, tree)
    return export(repo, sha, root / "out")[0].path


def test_stale_tree_sbom_is_an_error(tmp_path: Path) -> None:
    stale = {**OLD_COMPONENTS, "expat": ("2.5.0", "MIT", {"Modules/expat/xmlparse.c": b"old"})}
    tree = vendored_tree(OLD_COMPONENTS)
    tgz = _export_with_tree_sbom(tmp_path, tree_sbom(stale), OLD_COMPONENTS)
    with pytest.raises(
        SbomError, match=re.escape("another SHA-256 for Modules/expat/xmlparse.c")
    ) as caught:
        build_source_sbom(tgz, VERSION, COMMIT_TIME)
    assert "regen-sbom" in caught.value.hint
    assert tree  # the tree itself is consistent; only its SBOM is stale


def test_tree_sbom_listing_a_missing_file_is_an_error(tmp_path: Path) -> None:
    ghost = {**OLD_COMPONENTS, "ghost": ("1", "MIT", {"Modules/ghost.c": b"boo"})}
    tgz = _export_with_tree_sbom(tmp_path, tree_sbom(ghost), OLD_COMPONENTS)
    with pytest.raises(
        SbomError, match=re.escape("lists Modules/ghost.c, which the tarball lacks")
    ):
        build_source_sbom(tgz, VERSION, COMMIT_TIME)


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (b"{not json", "not valid JSON"),
        (b"[]", "not a JSON object"),
        (b'{"packages": {}}', "'packages' is not a list"),
        (b'{"packages": [{"SPDXID": "SPDXRef-x"}]}', "lacks 'SPDXID' or 'name'"),
    ],
)
def test_malformed_tree_sbom_is_an_error(tmp_path: Path, raw: bytes, message: str) -> None:
    tgz = _export_with_tree_sbom(tmp_path, raw, {})
    with pytest.raises(SbomError, match=message):
        build_source_sbom(tgz, VERSION, COMMIT_TIME)


def test_missing_or_corrupt_artifact_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(SbomError, match="does not exist"):
        build_source_sbom(tmp_path / "Python-3.14.0.tgz", VERSION, COMMIT_TIME)
    corrupt = tmp_path / "Python-3.14.0.tar.xz"
    corrupt.write_bytes(b"\xfd7zXZ\x00garbage")
    with pytest.raises(SbomError, match="cannot read") as caught:
        build_source_sbom(corrupt, VERSION, COMMIT_TIME)
    assert "export.source" in caught.value.hint


# --- diff ------------------------------------------------------------------------------------


@pytest.fixture
def two_releases(tmp_path: Path) -> tuple[Path, Path]:
    _, (old, _) = release_sboms(tmp_path / "old", OLD_COMPONENTS)
    _, (new, _) = release_sboms(tmp_path / "new", NEW_COMPONENTS)
    return old, new


def test_diff_lists_added_removed_and_changed(two_releases: tuple[Path, Path]) -> None:
    old, new = two_releases
    diff = diff_sboms(load_sbom(old), load_sbom(new))

    assert not diff.identical
    assert [c.name for c in diff.added] == ["hacl-star"]
    assert [c.name for c in diff.removed] == ["setuptools"]
    changes = {c.name: {f.field: (f.old, f.new) for f in c.changes} for c in diff.changed}
    assert changes["expat"]["version"] == ("2.5.0", "2.6.0")
    assert "checksum" in changes["expat"]
    assert changes["mpdecimal"] == {"license": ("BSD-2-Clause", "BSD-3-Clause")}
    assert "macholib" not in changes
    # The two trees differ, so the CPython artifact itself changed too.
    assert set(changes["CPython"]) == {"checksum"}

    data = json.loads(diff.to_json())
    assert data["identical"] is False
    assert [c["name"] for c in data["added"]] == ["hacl-star"]
    assert data["removed"][0]["version"] == "65.5.0"


def test_diff_of_an_sbom_with_itself_is_identical(two_releases: tuple[Path, Path]) -> None:
    old, _ = two_releases
    diff = diff_sboms(load_sbom(old), load_sbom(old))
    assert diff.identical
    assert json.loads(diff.to_json())["identical"] is True


def test_render_diff_colors(two_releases: tuple[Path, Path]) -> None:
    old, new = two_releases
    console = Console(
        file=io.StringIO(), record=True, force_terminal=True, color_system="standard", width=200
    )
    render_diff(diff_sboms(load_sbom(old), load_sbom(new)), console)
    plain = console.export_text(clear=False)
    styled = console.export_text(styles=True)

    assert "- setuptools 65.5.0" in plain
    assert "+ hacl-star 8ba599b2" in plain
    assert "~ expat" in plain and "version: 2.5.0 → 2.6.0" in plain
    assert "\x1b[31m- setuptools" in styled  # red
    assert "\x1b[32m+ hacl-star" in styled  # green
    assert "\x1b[33m~ expat" in styled  # yellow


def test_render_identical(two_releases: tuple[Path, Path]) -> None:
    old, _ = two_releases
    console = Console(file=io.StringIO(), record=True, width=200)
    render_diff(diff_sboms(load_sbom(old), load_sbom(old)), console)
    assert "No component differences" in console.export_text()


@pytest.mark.parametrize(
    ("content", "message"),
    [(b"{", "not valid JSON"), (b'{"name": "x"}', "not an SPDX JSON document")],
)
def test_load_sbom_rejects_bad_files(tmp_path: Path, content: bytes, message: str) -> None:
    path = tmp_path / "bad.spdx.json"
    path.write_bytes(content)
    with pytest.raises(SbomError, match=message) as caught:
        load_sbom(path)
    assert "SPDX" in caught.value.hint
    with pytest.raises(SbomError, match="cannot read SBOM"):
        load_sbom(tmp_path / "missing.spdx.json")
