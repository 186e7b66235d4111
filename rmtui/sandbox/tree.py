"""A small, deterministic CPython-shaped source tree for the rehearsal sandbox's repository."""

from __future__ import annotations

import datetime
import hashlib
import json
import random
import re
import string
import textwrap
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from rmtui.core.errors import RmtuiError
from rmtui.core.patchlevel import (
    TreeVersion,
    parse_tree_version,
    readme_title,
    render_patchlevel_h,
)
from rmtui.core.version import Level, ReleaseType, ReleaseVersion

SANDBOX_TEST_COMMAND = "PYTHONPATH=Lib python3 -m unittest discover -s Lib/test -t Lib"
"""What a release runs in an extracted source tarball of the sandbox (cwd: its top dir)."""

CHECK_PACKAGE = "rmtui_sandbox_check"
LIB_PACKAGE = "sandboxlib"
LIB_MODULE_COUNT = 240
"""Lib/sandboxlib/mod_NNN.py files; their names clash with no stdlib module, since the
self-test puts Lib first on sys.path."""

NEWS_SECTIONS = ("Library", "Core_and_Builtins", "Documentation", "Tests", "Build", "C_API")
"""Misc/NEWS.d/next subdirectories, named as blurb names them on disk."""

MAX_NEWS_ENTRIES = 1000
FIRST_GH_ISSUE = 130000
"""Sandbox entries use issue numbers from here on (blurb refuses numbers below 32426)."""

SBOM_PATH = "Misc/sbom.spdx.json"
SBOM_CREATED = "2024-01-01T00:00:00Z"
_NEWS_EPOCH = datetime.datetime(2024, 3, 1, 9, 0, 0)
_NEWS_SPAN_SECONDS = 200 * 24 * 3600
_NAME_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9.-]*")
_VERSION_TEXT_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")
_SHA256_RE = re.compile(r"[0-9a-f]{64}")
_NONCE_ALPHABET = string.ascii_letters + string.digits


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


def previous_tree_version(version: ReleaseVersion) -> str:
    """The PY_VERSION the branch carries just before `version` is released."""
    plus = version.dev_suffix
    base = f"{version.major}.{version.minor}"
    kind = version.release_type
    if kind is ReleaseType.BUGFIX:
        return f"{base}.{version.micro - 1}{plus}"
    if kind is ReleaseType.FINAL:
        return f"{base}.0rc3{plus}"
    if version.serial > 1:
        return f"{base}.0{version.level.value}{version.serial - 1}{plus}"
    if version.level is Level.RC:
        return f"{base}.0b4{plus}"
    if version.level is Level.BETA:
        return f"{base}.0a7{plus}"
    # a1: main as it looks right after the previous feature branch was cut.
    return f"{base}.0a0"


@dataclass(frozen=True)
class TreeFile:
    """One file of the generated tree."""

    text: str
    mode: int = 0o644


def render_cpython_tree(
    tree_version: str,
    *,
    vendored: Sequence[VendoredComponent] | None = None,
    news_entries: int = 6,
    seed: int = 0,
) -> dict[str, TreeFile]:
    """Every file of the sandbox tree by relative POSIX path; a pure function of its arguments."""
    version = parse_tree_version(tree_version)
    components = tuple(DEFAULT_VENDORED if vendored is None else vendored)
    if not 0 <= news_entries <= MAX_NEWS_ENTRIES:
        raise SandboxError(
            f"news_entries is {news_entries}",
            f"pass between 0 and {MAX_NEWS_ENTRIES} Misc/NEWS.d/next entries",
        )
    files: dict[str, TreeFile] = {
        "README.rst": TreeFile(_readme(version)),
        "LICENSE": TreeFile(_LICENSE),
        "configure": TreeFile(_configure(version), 0o755),
        ".gitignore": TreeFile(_GITIGNORE),
        ".gitattributes": TreeFile(_GITATTRIBUTES),
        ".github/workflows/build.yml": TreeFile(_GITHUB_WORKFLOW),
        ".azure-pipelines/ci.yml": TreeFile(_AZURE_PIPELINE),
        "Include/patchlevel.h": TreeFile(render_patchlevel_h(version, str(version))),
        "Misc/mypy/README.txt": TreeFile(_MYPY_README),
        SBOM_PATH: TreeFile(render_sbom(components)),
    }
    files.update(_c_sources(version))
    files.update(_vendored_sources(components))
    files.update(_docs(version))
    files.update(_lib(random.Random(f"{seed}:lib")))
    files.update(_news(version, news_entries, random.Random(f"{seed}:news")))
    return files


def write_cpython_tree(
    root: Path,
    tree_version: str,
    *,
    vendored: list[VendoredComponent] | None = None,
    news_entries: int = 6,
    seed: int = 0,
) -> None:
    """Write the sandbox tree into `root`, which may hold nothing but a `.git` directory."""
    files = render_cpython_tree(
        tree_version, vendored=vendored, news_entries=news_entries, seed=seed
    )
    if root.exists():
        if not root.is_dir():
            raise SandboxError(f"{root} is not a directory", "pass a directory for the tree")
        extra = sorted(entry.name for entry in root.iterdir() if entry.name != ".git")
        if extra:
            raise SandboxError(
                f"{root} already holds {', '.join(extra[:5])}",
                "write the sandbox tree into an empty directory or a fresh `git init`",
            )
    for relative, tree_file in files.items():
        path = root.joinpath(*relative.split("/"))
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(tree_file.text.encode("utf-8"))
        path.chmod(tree_file.mode)


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


def _readme(version: TreeVersion) -> str:
    return readme_title(str(version)) + _README_BODY.format(minor=_minor(version))


def _minor(version: TreeVersion) -> str:
    return f"{version.major}.{version.minor}"


def _configure(version: TreeVersion) -> str:
    return (
        "#! /bin/sh\n"
        "# Stand-in for CPython's autoconf-generated configure: the sandbox builds nothing.\n"
        f"PACKAGE_VERSION='{_minor(version)}'\n"
        'echo "configure: Python $PACKAGE_VERSION rehearsal sandbox, nothing to configure"\n'
        "exit 0\n"
    )


def _c_sources(version: TreeVersion) -> dict[str, TreeFile]:
    minor = _minor(version)
    sources = {
        "Include/Python.h": _PYTHON_H,
        "Include/pyport.h": "#ifndef Py_PYPORT_H\n#define Py_PYPORT_H\n"
        "typedef long Py_ssize_t;\n#endif /* Py_PYPORT_H */\n",
        "Include/object.h": "#ifndef Py_OBJECT_H\n#define Py_OBJECT_H\n"
        "typedef struct _object { Py_ssize_t ob_refcnt; } PyObject;\n#endif /* Py_OBJECT_H */\n",
        "Python/ceval.c": _CEVAL_C,
        "Python/pylifecycle.c": '#include "Python.h"\n\n'
        f'const char *Py_SandboxBanner = "Python {minor} rehearsal sandbox";\n',
        "Objects/object.c": '#include "Python.h"\n\n'
        "Py_ssize_t\nPy_SandboxRefcount(PyObject *op)\n{\n    return op->ob_refcnt;\n}\n",
        "Modules/main.c": '#include "Python.h"\n\n'
        "int\nPy_SandboxMain(void)\n{\n    return PY_MAJOR_VERSION == 3 ? 0 : 1;\n}\n",
        "Programs/python.c": "int Py_SandboxMain(void);\n\n"
        "int\nmain(void)\n{\n    return Py_SandboxMain();\n}\n",
    }
    return {path: TreeFile(text) for path, text in sources.items()}


def _vendored_sources(components: Sequence[VendoredComponent]) -> dict[str, TreeFile]:
    files: dict[str, TreeFile] = {}
    for component in components:
        macro = re.sub(r"[^A-Z0-9]", "_", component.name.upper())
        slug = macro.lower()
        path = f"{component.source_dir}/{slug}_sandbox.h"
        if path in files:
            raise SandboxError(
                f"two vendored components would both write {path}",
                "give each VendoredComponent its own name and directory",
            )
        files[path] = TreeFile(
            f"/* {component.name} {component.version}, vendored into the rehearsal sandbox.\n"
            f"   Source: {component.download_url}\n"
            f"   SHA-256 of the source: {component.sha256}\n"
            f"   License: {component.license} */\n"
            f'#define SANDBOX_{macro}_VERSION "{component.version}"\n'
        )
    return files


def _docs(version: TreeVersion) -> dict[str, TreeFile]:
    minor = _minor(version)
    title = f"What's New In Python {minor}"
    docs = {
        "Doc/Makefile": _DOC_MAKEFILE,
        "Doc/conf.py": _DOC_CONF,
        "Doc/requirements.txt": "# The sandbox documentation needs no third-party tools.\n",
        "Doc/index.rst": _underlined(f"Python {minor} sandbox documentation")
        + ".. toctree::\n\n   whatsnew/"
        + minor
        + "\n   library/"
        + LIB_PACKAGE
        + "\n",
        f"Doc/whatsnew/{minor}.rst": f"{'*' * len(title)}\n{title}\n{'*' * len(title)}\n\n"
        "This release of the rehearsal sandbox changes nothing that matters.\n",
        f"Doc/library/{LIB_PACKAGE}.rst": _underlined(f":mod:`{LIB_PACKAGE}` --- sandbox modules")
        + f"The package holds {LIB_MODULE_COUNT} small modules, each with a ``compute`` "
        "function;\nthe source tarball's self-test imports every one of them.\n",
    }
    return {path: TreeFile(text) for path, text in docs.items()}


def _underlined(title: str) -> str:
    return f"{title}\n{'=' * len(title)}\n\n"


def _lib(rng: random.Random) -> dict[str, TreeFile]:
    coefficients = [(rng.randrange(2, 97), rng.randrange(0, 1000)) for _ in range(LIB_MODULE_COUNT)]
    files = {
        f"Lib/{LIB_PACKAGE}/__init__.py": TreeFile(
            f'"""Sandbox stand-in for the standard library: {LIB_MODULE_COUNT} tiny modules."""\n'
        ),
        f"Lib/{CHECK_PACKAGE}/__init__.py": TreeFile(
            _CHECK_PACKAGE.format(count=LIB_MODULE_COUNT, package=LIB_PACKAGE)
        ),
        "Lib/test/__init__.py": TreeFile('"""Regression tests of the rehearsal sandbox."""\n'),
    }
    for index, (factor, offset) in enumerate(coefficients):
        files[f"Lib/{LIB_PACKAGE}/mod_{index:03d}.py"] = TreeFile(
            f'"""Sandbox module {index}: one pure function the tarball self-test checks."""\n\n'
            f"FACTOR = {factor}\nOFFSET = {offset}\n\n\n"
            "def compute(value):\n    return value * FACTOR + OFFSET\n"
        )
    expected = "".join(
        f"    {index}: {7 * factor + offset},\n"
        for index, (factor, offset) in enumerate(coefficients)
    )
    files["Lib/test/test_sandbox.py"] = TreeFile(_TEST_SANDBOX.format(expected=expected))
    return files


_NEWS_SUBJECTS = {
    "Library": "Fix :func:`{module}.compute` for negative inputs.",
    "Core_and_Builtins": "Speed up :func:`{module}.compute` by caching its factor.",
    "Documentation": "Document the return value of :func:`{module}.compute`.",
    "Tests": "Add tests for the offsets used by :mod:`{module}`.",
    "Build": "Build :mod:`{module}` without compiler warnings.",
    "C_API": "Expose the factor of :mod:`{module}` in the C API.",
}


def _news(version: TreeVersion, count: int, rng: random.Random) -> dict[str, TreeFile]:
    files: dict[str, TreeFile] = {}
    issues = rng.sample(range(FIRST_GH_ISSUE, FIRST_GH_ISSUE + 15000), count + 2)
    for issue in issues[:count]:
        section = rng.choice(NEWS_SECTIONS)
        stamp = _NEWS_EPOCH + datetime.timedelta(seconds=rng.randrange(_NEWS_SPAN_SECONDS))
        nonce = "".join(rng.choice(_NONCE_ALPHABET) for _ in range(6))
        body = _news_body(section, rng)
        name = f"{stamp:%Y-%m-%d-%H-%M-%S}.gh-issue-{issue}.{nonce}.rst"
        files[f"Misc/NEWS.d/next/{section}/{name}"] = TreeFile(body)
    if not (version.level is Level.ALPHA and version.serial == 0):
        files[f"Misc/NEWS.d/{version.release_text}.rst"] = TreeFile(
            _released_news(issues[count:], rng)
        )
    return files


def _news_body(section: str, rng: random.Random) -> str:
    module = f"{LIB_PACKAGE}.mod_{rng.randrange(LIB_MODULE_COUNT):03d}"
    subject = _NEWS_SUBJECTS[section].format(module=module)
    text = f"{subject} The change only exists to exercise the release process. Patch by Sandbox."
    return textwrap.fill(text, width=76) + "\n"


def _released_news(issues: Sequence[int], rng: random.Random) -> str:
    """The blurb file of the release the tree was last cut at, as `blurb release` wrote it."""
    sections = ("Library", "Core_and_Builtins")
    entries = []
    for position, (issue, section) in enumerate(zip(issues, sections, strict=True)):
        stamp = _NEWS_EPOCH - datetime.timedelta(days=30 - position)
        nonce = "".join(rng.choice(_NONCE_ALPHABET) for _ in range(6))
        metadata = {
            "date": f"{stamp:%Y-%m-%d-%H-%M-%S}",
            "gh-issue": str(issue),
            "nonce": nonce,
            "section": section.replace("_", " "),
        }
        if position == 0:
            metadata["release date"] = f"{_NEWS_EPOCH - datetime.timedelta(days=20):%Y-%m-%d}"
        lines = "".join(f".. {key}: {value}\n" for key, value in sorted(metadata.items()))
        entries.append(f"{lines}\n{_news_body(section, rng)}")
    return "\n..\n\n".join(entries)


_README_BODY = """
.. image:: https://github.com/python/cpython/actions/workflows/build.yml/badge.svg?branch=main&event=push
   :alt: CPython build status on GitHub Actions
   :target: https://github.com/python/cpython/actions

Copyright (c) 2001 Python Software Foundation.  All rights reserved.

This is the rehearsal sandbox of rmtui: a tree with CPython's shape (the files the
release tools look for) and none of its code, so that a release of Python {minor}
can be walked through end to end without touching the real repository.

Testing
-------

Nothing here compiles. The self-test every source tarball must pass is::

    PYTHONPATH=Lib python3 -m unittest discover -s Lib/test -t Lib
"""

_LICENSE = """\
A. HISTORY OF THE SOFTWARE
==========================

This file stands in for CPython's LICENSE in the rmtui rehearsal sandbox. The
release tools recognise a CPython tree by this first line, so it is kept exactly.

Python was created in the early 1990s by Guido van Rossum. It is developed by
its community and the Python Software Foundation holds its intellectual property.


B. TERMS AND CONDITIONS FOR ACCESSING OR OTHERWISE USING PYTHON
===============================================================

The sandbox contains no Python code; nothing in it is licensed for any use other
than rehearsing a release.
"""

_GITIGNORE = """\
# Build products and caches never committed.
*.o
*.py[co]
__pycache__/
/build/
/Doc/build/
/Doc/venv/
"""

_GITATTRIBUTES = """\
*.png binary
Misc/sbom.spdx.json linguist-generated=true
"""

_GITHUB_WORKFLOW = """\
name: Tests

on:
  push:
    branches: [main, '3.*']
  pull_request:

permissions:
  contents: read

jobs:
  self-test:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - name: Sandbox self-test
        run: PYTHONPATH=Lib python3 -m unittest discover -s Lib/test -t Lib
"""

_AZURE_PIPELINE = """\
trigger: ['main', '3.*']

jobs:
- job: SelfTest
  pool:
    vmImage: ubuntu-24.04
  steps:
  - script: PYTHONPATH=Lib python3 -m unittest discover -s Lib/test -t Lib
    displayName: Sandbox self-test
"""

_MYPY_README = """\
This directory holds symlinks for mypy checks of selected Lib modules in CPython.
The source tarball leaves it out, like the rest of the CI configuration.
"""

_PYTHON_H = """\
/* Entry point of the Python C API, reduced to what the rehearsal sandbox needs. */
#ifndef Py_PYTHON_H
#define Py_PYTHON_H

#include "patchlevel.h"
#include "pyport.h"
#include "object.h"

#endif /* !Py_PYTHON_H */
"""

_CEVAL_C = """\
/* Execute compiled code: in the rehearsal sandbox, a single trivial loop. */

#include "Python.h"

Py_ssize_t
PyEval_SandboxSum(const Py_ssize_t *values, Py_ssize_t count)
{
    Py_ssize_t total = 0;
    for (Py_ssize_t i = 0; i < count; i++) {
        total += values[i];
    }
    return total;
}
"""

_DOC_MAKEFILE = """\
# Makefile for the sandbox documentation: copies the sources to build/text.
BUILDDIR = build

.PHONY: help text clean

help:
\t@echo "make text   copy the reST sources to $(BUILDDIR)/text"
\t@echo "make clean  remove $(BUILDDIR)"

text:
\tmkdir -p $(BUILDDIR)/text
\tcp -R index.rst whatsnew library $(BUILDDIR)/text/

clean:
\trm -rf $(BUILDDIR)
"""

_DOC_CONF = """\
# Sphinx configuration of the sandbox documentation.
# The version shown is read from Include/patchlevel.h at build time, so release
# commits never need to edit this file.
project = "Python"
copyright = "2001 Python Software Foundation"
"""

_CHECK_PACKAGE = '''\
"""Self-checks of the rmtui rehearsal sandbox, run by its tarball test."""

import importlib
import re

MODULE_COUNT = {count}
_LEVELS = {{"a": "alpha", "b": "beta", "rc": "release candidate"}}


def module_names():
    return ["{package}.mod_%03d" % index for index in range(MODULE_COUNT)]


def compute_all(value):
    """compute(value) of every sandbox module, by module index."""
    return {{
        index: importlib.import_module(name).compute(value)
        for index, name in enumerate(module_names())
    }}


def py_version(patchlevel_text):
    """The PY_VERSION string of an Include/patchlevel.h."""
    match = re.search(r'^#define PY_VERSION\\s+"([^"]+)"', patchlevel_text, re.MULTILINE)
    if match is None:
        raise ValueError("Include/patchlevel.h defines no PY_VERSION")
    return match.group(1)


def long_name(version):
    """How README.rst names a version: 3.14.0rc2+ -> 3.14.0 release candidate 2."""
    match = re.fullmatch(r"(\\d+\\.\\d+\\.\\d+)(?:(a|b|rc)(\\d+))?(?:\\+dev|\\+)?", version)
    if match is None:
        raise ValueError("%r is not a CPython version" % version)
    base, level, serial = match.groups()
    if level is None:
        return base
    return "%s %s %s" % (base, _LEVELS[level], serial)
'''

_TEST_SANDBOX = '''\
"""The sandbox's own test: every module arrived intact and the version is consistent."""

import os
import unittest

import rmtui_sandbox_check as check

SOURCE_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
EXPECTED_AT_7 = {{
{expected}}}


def read(*parts):
    with open(os.path.join(SOURCE_ROOT, *parts), encoding="utf-8") as handle:
        return handle.read()


class SandboxTests(unittest.TestCase):
    def test_every_module_is_present_and_intact(self):
        self.assertEqual(check.compute_all(7), EXPECTED_AT_7)

    def test_readme_names_the_patchlevel_version(self):
        version = check.py_version(read("Include", "patchlevel.h"))
        title = read("README.rst").splitlines()[0]
        self.assertEqual(title, "This is Python version " + check.long_name(version))


if __name__ == "__main__":
    unittest.main()
'''
