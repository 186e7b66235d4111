"""The third-party components the sandbox tree vendors, and its Misc/sbom.spdx.json."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import PurePosixPath

from rmtui.core.errors import RmtuiError

SBOM_PATH = "Misc/sbom.spdx.json"
SBOM_CREATED = "2024-01-01T00:00:00Z"
_NAME_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9.-]*")
_VERSION_TEXT_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")
_SHA256_RE = re.compile(r"[0-9a-f]{64}")


class SandboxError(RmtuiError):
    """The sandbox tree cannot be written as asked."""


@dataclass(frozen=True)
class VendoredComponent:
    """A third-party library the tree vendors, as Misc/sbom.spdx.json describes it."""

    name: str
    version: str
    license: str
    """An SPDX license expression, e.g. `MIT` or `BSD-2-Clause`."""
    download_url: str
    sha256: str
    """Digest of the (fake) upstream source archive at `download_url`."""
    directory: str = ""
    """Where its sources live in the tree; empty means `Modules/_vendored/<name>`."""
    cpe_vendor: str = ""
    cpe_product: str = ""

    def __post_init__(self) -> None:
        hint = "fix the VendoredComponent passed to write_cpython_tree"
        if not _NAME_RE.fullmatch(self.name):
            raise SandboxError(
                f"vendored component name {self.name!r} is not usable in an SPDX id",
                f"{hint}: use letters, digits, '.' and '-'",
            )
        if not _VERSION_TEXT_RE.fullmatch(self.version):
            raise SandboxError(
                f"{self.name}: version {self.version!r} is empty or has characters a purl "
                "cannot carry",
                f"{hint}: use letters, digits, '.', '_' and '-'",
            )
        if not self.license.strip():
            raise SandboxError(f"{self.name}: the license is empty", f"{hint}: e.g. 'MIT'")
        if not self.download_url.startswith(("https://", "http://")):
            raise SandboxError(
                f"{self.name}: download URL {self.download_url!r} is not http(s)", hint
            )
        if not _SHA256_RE.fullmatch(self.sha256):
            raise SandboxError(
                f"{self.name}: {self.sha256!r} is not a lowercase hex SHA-256",
                f"{hint}: fake_source_sha256(name, version) makes one",
            )
        path = PurePosixPath(self.source_dir)
        if path.is_absolute() or ".." in path.parts or not path.parts:
            raise SandboxError(
                f"{self.name}: directory {self.directory!r} is not inside the tree",
                f"{hint}: give a relative path such as Modules/expat",
            )

    @property
    def source_dir(self) -> str:
        return self.directory or f"Modules/_vendored/{self.name}"

    @property
    def spdx_id(self) -> str:
        return f"SPDXRef-PACKAGE-{self.name}"

    @property
    def cpe(self) -> str:
        vendor = self.cpe_vendor or self.name
        product = self.cpe_product or self.name
        return f"cpe:2.3:a:{vendor}:{product}:{self.version}:*:*:*:*:*:*:*"

    @property
    def purl(self) -> str:
        return f"pkg:generic/{self.name}@{self.version}"


def fake_source_sha256(name: str, version: str) -> str:
    """A stable digest standing in for the real archive's, so no one mistakes it for one."""
    return hashlib.sha256(f"rmtui sandbox fake source: {name} {version}\n".encode()).hexdigest()


_HACL_COMMIT = "8ba599b2f6c9701b3dc961db895b0856a2210f76"
DEFAULT_VENDORED: tuple[VendoredComponent, ...] = (
    VendoredComponent(
        name="expat",
        version="2.7.1",
        license="MIT",
        download_url=(
            "https://github.com/libexpat/libexpat/releases/download/R_2_7_1/expat-2.7.1.tar.gz"
        ),
        sha256=fake_source_sha256("expat", "2.7.1"),
        directory="Modules/expat",
        cpe_vendor="libexpat_project",
        cpe_product="libexpat",
    ),
    VendoredComponent(
        name="mpdecimal",
        version="4.0.0",
        license="BSD-2-Clause",
        download_url="https://www.bytereef.org/software/mpdecimal/releases/mpdecimal-4.0.0.tar.gz",
        sha256=fake_source_sha256("mpdecimal", "4.0.0"),
        directory="Modules/_decimal/libmpdec",
        cpe_vendor="bytereef",
    ),
    VendoredComponent(
        name="hacl-star",
        version=_HACL_COMMIT,
        license="MIT",
        download_url=f"https://github.com/hacl-star/hacl-star/archive/{_HACL_COMMIT}.zip",
        sha256=fake_source_sha256("hacl-star", _HACL_COMMIT),
        directory="Modules/_hacl",
    ),
)


def render_sbom(vendored: Sequence[VendoredComponent]) -> str:
    """Misc/sbom.spdx.json: an SPDX 2.3 document describing the vendored components."""
    if not vendored:
        raise SandboxError(
            "the SBOM would describe no vendored component",
            "pass at least one VendoredComponent (DEFAULT_VENDORED has three)",
        )
    names = [component.name for component in vendored]
    duplicates = sorted({name for name in names if names.count(name) > 1})
    if duplicates:
        raise SandboxError(
            f"vendored components named twice: {', '.join(duplicates)}",
            "give each VendoredComponent its own name",
        )
    ordered = sorted(vendored, key=lambda component: component.name)
    document: dict[str, object] = {
        "SPDXID": "SPDXRef-DOCUMENT",
        "creationInfo": {"created": SBOM_CREATED, "creators": ["Tool: rmtui-sandbox"]},
        "dataLicense": "CC0-1.0",
        "name": "CPython vendored components",
        "packages": [_sbom_package(component) for component in ordered],
        "relationships": [
            {
                "relatedSpdxElement": component.spdx_id,
                "relationshipType": "DESCRIBES",
                "spdxElementId": "SPDXRef-DOCUMENT",
            }
            for component in ordered
        ],
        "spdxVersion": "SPDX-2.3",
    }
    # A namespace must be unique per document; deriving it from the content keeps it stable.
    digest = hashlib.sha256(json.dumps(document, sort_keys=True).encode()).hexdigest()
    document["documentNamespace"] = f"https://rmtui.invalid/spdx/cpython-sandbox-{digest[:32]}"
    return json.dumps(document, indent=2, sort_keys=True) + "\n"


def _sbom_package(component: VendoredComponent) -> dict[str, object]:
    return {
        "SPDXID": component.spdx_id,
        "checksums": [{"algorithm": "SHA256", "checksumValue": component.sha256}],
        "copyrightText": "NOASSERTION",
        "downloadLocation": component.download_url,
        "externalRefs": [
            {
                "referenceCategory": "SECURITY",
                "referenceLocator": component.cpe,
                "referenceType": "cpe23Type",
            },
            {
                "referenceCategory": "PACKAGE_MANAGER",
                "referenceLocator": component.purl,
                "referenceType": "purl",
            },
        ],
        "filesAnalyzed": False,
        "licenseConcluded": component.license,
        "licenseDeclared": component.license,
        "name": component.name,
        "primaryPackagePurpose": "SOURCE",
        "versionInfo": component.version,
    }
