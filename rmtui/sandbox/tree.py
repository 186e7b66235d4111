"""A small, deterministic CPython-shaped source tree for the rehearsal sandbox's repository."""

from __future__ import annotations

import datetime
import random
import re
import string
import textwrap
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from rmtui.core.patchlevel import (
    TreeVersion,
    parse_tree_version,
    readme_title,
    render_patchlevel_h,
)
from rmtui.core.version import Level, ReleaseType, ReleaseVersion
from rmtui.sandbox.vendored import (
    DEFAULT_VENDORED,
    SBOM_PATH,
    SandboxError,
    VendoredComponent,
    render_sbom,
)

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

_NEWS_EPOCH = datetime.datetime(2024, 3, 1, 9, 0, 0)
_NEWS_SPAN_SECONDS = 200 * 24 * 3600
_NONCE_ALPHABET = string.ascii_letters + string.digits
_TEMPLATES = resources.files("rmtui.sandbox").joinpath("templates")
"""The tree's fixed texts, kept as package data rather than as strings in this module."""
_STATIC_FILES = {
    "LICENSE": "LICENSE",
    ".gitignore": "gitignore",
    ".gitattributes": "gitattributes",
    ".github/workflows/build.yml": "github-build.yml",
    ".azure-pipelines/ci.yml": "azure-ci.yml",
    "Misc/mypy/README.txt": "mypy-README.txt",
}
"""Tree path -> template copied as it is (dot-files renamed, so they do not act on rmtui's repo)."""
_STATIC_C_SOURCES = {
    "Include/Python.h": "Python.h",
    "Include/pyport.h": "pyport.h",
    "Include/object.h": "object.h",
    "Python/ceval.c": "ceval.c",
    "Objects/object.c": "object.c",
    "Modules/main.c": "main.c",
    "Programs/python.c": "python.c",
}


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
        "configure": TreeFile(_configure(version), 0o755),
        "Include/patchlevel.h": TreeFile(render_patchlevel_h(version, str(version))),
        SBOM_PATH: TreeFile(render_sbom(components)),
    }
    files.update({path: TreeFile(_template(name)) for path, name in _STATIC_FILES.items()})
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


def _template(name: str) -> str:
    """A package data file of rmtui/sandbox/templates, as text."""
    return _TEMPLATES.joinpath(name).read_text(encoding="utf-8")


def _readme(version: TreeVersion) -> str:
    return readme_title(str(version)) + _template("README.rst.tmpl").format(minor=_minor(version))


def _minor(version: TreeVersion) -> str:
    return f"{version.major}.{version.minor}"


def _configure(version: TreeVersion) -> str:
    return _template("configure.tmpl").format(minor=_minor(version))


def _c_sources(version: TreeVersion) -> dict[str, TreeFile]:
    files = {path: TreeFile(_template(name)) for path, name in _STATIC_C_SOURCES.items()}
    pylifecycle = _template("pylifecycle.c.tmpl").format(minor=_minor(version))
    files["Python/pylifecycle.c"] = TreeFile(pylifecycle)
    return files


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
        "Doc/Makefile": _template("Doc-Makefile"),
        "Doc/conf.py": _template("Doc-conf.py.txt"),
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
            _template("rmtui_sandbox_check.py.tmpl").format(
                count=LIB_MODULE_COUNT, package=LIB_PACKAGE
            )
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
    files["Lib/test/test_sandbox.py"] = TreeFile(
        _template("test_sandbox.py.tmpl").format(expected=expected)
    )
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
