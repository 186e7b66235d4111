"""SPDX 2.3 SBOMs for source tarballs (the diff between two SBOMs is in sbom_compare)."""

from __future__ import annotations

import hashlib
import json
import re
import uuid
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import IO, Any

from rmtui.core.atomic import atomic_write_bytes
from rmtui.ops.archive import streamed_tarball, tarball_prefix
from rmtui.ops.checksums import sha256_file
from rmtui.ops.sbom_compare import JsonDict, SbomError

# `rmtui sbom diff` imports these from here.
from rmtui.ops.sbom_compare import diff_sboms as diff_sboms
from rmtui.ops.sbom_compare import load_sbom as load_sbom
from rmtui.ops.sbom_compare import render_diff as render_diff

SPDX_VERSION = "SPDX-2.3"
PSF = "Organization: Python Software Foundation"
DEFAULT_DOWNLOAD_BASE = "https://www.python.org/ftp/python"
TREE_SBOM_PATH = "Misc/sbom.spdx.json"
CPYTHON_ID = "SPDXRef-PACKAGE-cpython"
DOCUMENT_ID = "SPDXRef-DOCUMENT"
LICENSE_LIST_VERSION = "3.22"

_READ_SIZE = 1 << 20
_MAX_TREE_SBOM_BYTES = 16 << 20
_NOT_ID_CHARS = re.compile(r"[^A-Za-z0-9.\-]+")


def sbom_path_for(artifact: Path) -> Path:
    """Where the SBOM of `artifact` lives: `<artifact>.spdx.json` next to it."""
    return artifact.with_name(artifact.name + ".spdx.json")


def write_source_sbom(
    artifact: Path,
    version: str,
    created: int | datetime,
    *,
    download_base: str = DEFAULT_DOWNLOAD_BASE,
) -> Path:
    """Build the SBOM of a source tarball and write it atomically to `<artifact>.spdx.json`."""
    document = build_source_sbom(artifact, version, created, download_base=download_base)
    target = sbom_path_for(artifact)
    atomic_write_bytes(target, dump_sbom(document))
    return target


def dump_sbom(document: Mapping[str, Any]) -> bytes:
    """The canonical bytes of an SBOM: sorted keys, two-space indent, final newline."""
    return (json.dumps(document, indent=2, sort_keys=True) + "\n").encode("utf-8")


def build_source_sbom(
    artifact: Path,
    version: str,
    created: int | datetime,
    *,
    download_base: str = DEFAULT_DOWNLOAD_BASE,
) -> JsonDict:
    """The SPDX 2.3 document describing the source tarball `artifact` of CPython `version`.

    It holds the CPython package (the artifact's SHA-256, purl, CPE, PSF as supplier), the
    vendored packages declared in the tree's Misc/sbom.spdx.json when there is one, every
    file with its SHA-1 and SHA-256, CONTAINS/DESCRIBES relationships and package
    verification codes. The same artifact and `created` always give the same document.
    """
    prefix = tarball_prefix(version)
    files, tree_sbom_bytes = _scan_tarball(artifact, prefix)
    tree_sbom = _parse_tree_sbom(tree_sbom_bytes) if tree_sbom_bytes is not None else {}
    digest = sha256_file(artifact)
    location = f"{download_base.rstrip('/')}/{_numeric_version(version)}/{artifact.name}"

    vendored_files = _vendored_files(tree_sbom, files)
    used_ids = {entry["SPDXID"] for entry in vendored_files.values()}
    relationships = [dict(r) for r in tree_sbom.get("relationships", [])]
    contained = {
        r["relatedSpdxElement"] for r in relationships if r.get("relationshipType") == "CONTAINS"
    }
    file_entries = list(vendored_files.values())
    for path, (sha1, sha256) in files.items():
        if path in vendored_files:
            continue
        file_id = _unique_id(f"SPDXRef-FILE-{path}", used_ids)
        file_entries.append(_file_entry(file_id, path, sha1, sha256))
    vendored_packages = [_vendored_package(p) for p in tree_sbom.get("packages", [])]
    relationships.append(_relation(DOCUMENT_ID, "DESCRIBES", CPYTHON_ID))
    relationships.extend(_relation(CPYTHON_ID, "CONTAINS", p["SPDXID"]) for p in vendored_packages)
    relationships.extend(
        _relation(CPYTHON_ID, "CONTAINS", f["SPDXID"])
        for f in file_entries
        if f["SPDXID"] not in contained
    )
    packages = [_cpython_package(version, artifact.name, digest, location), *vendored_packages]
    _set_verification_codes(packages, file_entries, relationships)

    document: JsonDict = {
        "SPDXID": DOCUMENT_ID,
        "spdxVersion": SPDX_VERSION,
        "dataLicense": "CC0-1.0",
        "name": f"CPython {version} source ({artifact.name})",
        # Unique per artifact and reproducible: derived from the artifact's digest.
        "documentNamespace": f"{location}.spdx.json/{uuid.uuid5(uuid.NAMESPACE_URL, digest)}",
        "creationInfo": {
            "created": _timestamp(created),
            "creators": [PSF, f"Tool: rmtui-{_tool_version()}"],
            "licenseListVersion": LICENSE_LIST_VERSION,
        },
        "packages": sorted(packages, key=lambda p: p["SPDXID"]),
        "files": sorted(file_entries, key=lambda f: f["fileName"]),
        "relationships": sorted(
            _unique_relationships(relationships),
            key=lambda r: (r["spdxElementId"], r["relationshipType"], r["relatedSpdxElement"]),
        ),
    }
    if tree_sbom.get("hasExtractedLicensingInfos"):
        document["hasExtractedLicensingInfos"] = tree_sbom["hasExtractedLicensingInfos"]
    return document


def spdx_id(value: str) -> str:
    """`value` with every run of characters an SPDX ID cannot hold replaced by '-'."""
    return _NOT_ID_CHARS.sub("-", value)


def _unique_id(value: str, used: set[str]) -> str:
    base = spdx_id(value)
    candidate, counter = base, 1
    while candidate in used:
        counter += 1
        candidate = f"{base}-{counter}"
    used.add(candidate)
    return candidate


def _scan_tarball(artifact: Path, prefix: str) -> tuple[dict[str, tuple[str, str]], bytes | None]:
    files: dict[str, tuple[str, str]] = {}
    tree_sbom: bytes | None = None
    with streamed_tarball(artifact, SbomError) as archive:
        for member in archive:
            if not member.isfile():
                continue
            if not member.name.startswith(prefix + "/"):
                raise SbomError(
                    f"{artifact.name} holds {member.name!r}, outside {prefix}/",
                    "verify the tarball against its commit (export.verify) and rebuild it",
                )
            path = member.name[len(prefix) + 1 :]
            stream = archive.extractfile(member)
            assert stream is not None
            keep = path == TREE_SBOM_PATH and member.size <= _MAX_TREE_SBOM_BYTES
            sha1, sha256, content = _hash_stream(stream, keep)
            files[path] = (sha1, sha256)
            if keep:
                tree_sbom = content
    return files, tree_sbom


def _hash_stream(stream: IO[bytes], keep: bool) -> tuple[str, str, bytes]:
    # SPDX requires SHA-1 for every file; SHA-256 is the one worth trusting.
    sha1 = hashlib.sha1(usedforsecurity=False)
    sha256 = hashlib.sha256()
    kept = bytearray()
    while chunk := stream.read(_READ_SIZE):
        sha1.update(chunk)
        sha256.update(chunk)
        if keep:
            kept += chunk
    return sha1.hexdigest(), sha256.hexdigest(), bytes(kept)


def _parse_tree_sbom(raw: bytes) -> JsonDict:
    hint = "fix Misc/sbom.spdx.json in the release branch (`make regen-sbom`) and re-tag"
    try:
        document = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise SbomError(f"{TREE_SBOM_PATH} is not valid JSON: {exc}", hint) from exc
    if not isinstance(document, dict):
        raise SbomError(f"{TREE_SBOM_PATH} is not a JSON object", hint)
    for key in ("packages", "files", "relationships"):
        value = document.get(key, [])
        if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
            raise SbomError(f"{TREE_SBOM_PATH}: '{key}' is not a list of objects", hint)
    for package in document.get("packages", []):
        if not isinstance(package.get("SPDXID"), str) or not isinstance(package.get("name"), str):
            raise SbomError(f"{TREE_SBOM_PATH}: a package lacks 'SPDXID' or 'name'", hint)
    for relation in document.get("relationships", []):
        if not all(
            isinstance(relation.get(k), str)
            for k in ("spdxElementId", "relationshipType", "relatedSpdxElement")
        ):
            raise SbomError(f"{TREE_SBOM_PATH}: a relationship is incomplete", hint)
    return document


def _vendored_files(
    tree_sbom: Mapping[str, Any], files: Mapping[str, tuple[str, str]]
) -> dict[str, JsonDict]:
    hint = "regenerate Misc/sbom.spdx.json (`make regen-sbom`) in the release branch and re-tag"
    entries: dict[str, JsonDict] = {}
    for declared in tree_sbom.get("files", []):
        path, file_id = declared.get("fileName"), declared.get("SPDXID")
        if not isinstance(path, str) or not isinstance(file_id, str):
            raise SbomError(f"{TREE_SBOM_PATH}: a file lacks 'fileName' or 'SPDXID'", hint)
        if path not in files:
            raise SbomError(f"{TREE_SBOM_PATH} lists {path}, which the tarball lacks", hint)
        sha1, sha256 = files[path]
        declared_sha256 = {
            c.get("checksumValue", "").lower()
            for c in declared.get("checksums", [])
            if isinstance(c, dict) and c.get("algorithm") == "SHA256"
        }
        if declared_sha256 and sha256 not in declared_sha256:
            raise SbomError(
                f"{TREE_SBOM_PATH} records another SHA-256 for {path} than the tarball holds",
                hint,
            )
        entry = dict(declared)
        entry.update(_file_entry(file_id, path, sha1, sha256))
        entries[path] = entry
    return entries


def _file_entry(file_id: str, path: str, sha1: str, sha256: str) -> JsonDict:
    return {
        "SPDXID": file_id,
        "fileName": path,
        "checksums": [
            {"algorithm": "SHA1", "checksumValue": sha1},
            {"algorithm": "SHA256", "checksumValue": sha256},
        ],
    }


def _vendored_package(declared: Mapping[str, Any]) -> JsonDict:
    package = dict(declared)
    package.setdefault("downloadLocation", "NOASSERTION")
    # The PSF ships every vendored component in its tarball; the upstream stays the originator.
    package["supplier"] = PSF
    return package


def _cpython_package(version: str, file_name: str, digest: str, location: str) -> JsonDict:
    return {
        "SPDXID": CPYTHON_ID,
        "name": "CPython",
        "versionInfo": version,
        "packageFileName": file_name,
        "downloadLocation": location,
        "supplier": PSF,
        "originator": PSF,
        "licenseConcluded": "PSF-2.0",
        "primaryPackagePurpose": "SOURCE",
        "checksums": [{"algorithm": "SHA256", "checksumValue": digest}],
        "externalRefs": [
            {
                "referenceCategory": "PACKAGE-MANAGER",
                "referenceType": "purl",
                "referenceLocator": f"pkg:generic/python@{version}?download_url={location}",
            },
            {
                "referenceCategory": "SECURITY",
                "referenceType": "cpe23Type",
                "referenceLocator": f"cpe:2.3:a:python:python:{version}:*:*:*:*:*:*:*",
            },
        ],
    }


def _set_verification_codes(
    packages: Iterable[JsonDict], files: Iterable[JsonDict], relationships: Iterable[JsonDict]
) -> None:
    sha1_by_file = {
        f["SPDXID"]: c["checksumValue"].lower()
        for f in files
        for c in f["checksums"]
        if c["algorithm"] == "SHA1"
    }
    sha1s_by_package: dict[str, list[str]] = {}
    for relation in relationships:
        related = relation["relatedSpdxElement"]
        if relation["relationshipType"] == "CONTAINS" and related in sha1_by_file:
            sha1s_by_package.setdefault(relation["spdxElementId"], []).append(sha1_by_file[related])
    for package in packages:
        sha1s = sha1s_by_package.get(package["SPDXID"])
        package["filesAnalyzed"] = bool(sha1s)
        if sha1s:
            # SPDX 2.3 §7.9: SHA-1 over the sorted, concatenated SHA-1s of the package's files.
            code = hashlib.sha1("".join(sorted(sha1s)).encode("ascii"), usedforsecurity=False)
            package["packageVerificationCode"] = {"packageVerificationCodeValue": code.hexdigest()}
        else:
            package.pop("packageVerificationCode", None)
            package.pop("licenseInfoFromFiles", None)


def _relation(element: str, kind: str, related: str) -> JsonDict:
    return {"spdxElementId": element, "relationshipType": kind, "relatedSpdxElement": related}


def _unique_relationships(relationships: Iterable[JsonDict]) -> list[JsonDict]:
    seen: dict[str, JsonDict] = {}
    for relation in relationships:
        seen.setdefault(json.dumps(relation, sort_keys=True), relation)
    return list(seen.values())


def _numeric_version(version: str) -> str:
    match = re.match(r"^[0-9]+(\.[0-9]+)*", version)
    return match.group(0) if match else version


def _timestamp(created: int | datetime) -> str:
    moment = (
        datetime.fromtimestamp(created, UTC)
        if isinstance(created, int)
        else created.astimezone(UTC)
    )
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _tool_version() -> str:
    try:
        return metadata.version("rmtui")
    except metadata.PackageNotFoundError:
        return "unknown"
