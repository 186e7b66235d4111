"""Benchmark `export_source` against the plain tools on a CPython-sized synthetic repository.

Usage (from the repository root):

    .venv/bin/python bench/bench_export.py            # generate (once, cached) and measure
    .venv/bin/python bench/bench_export.py --regenerate

The synthetic repo (~5,000 files, ~100 MB, deterministic) is cached under bench/out/.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import resource
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from rmtui.ops.archive import RELEASE_PY_TOUCHABLES
from rmtui.ops.checksums import sha256_file
from rmtui.ops.tarball import XZ_BLOCK_SIZE, export_source

GENERATOR_VERSION = 1
SEED = 3_14_0
COMMIT_TIME = 1_700_000_000
VERSION = "3.14.0"
PREFIX = f"Python-{VERSION}"
TARGET_TEXT_BYTES = 90 << 20
TARGET_DATA_BYTES = 10 << 20

TARGET_VS_SEQUENTIAL = 0.65
TARGET_VS_SLOWEST = 1.1
TARGET_HASH_RATIO = 0.9

GIT_ENV = {
    "GIT_CONFIG_GLOBAL": "/dev/null",
    "GIT_CONFIG_NOSYSTEM": "1",
    "GIT_AUTHOR_NAME": "Bench",
    "GIT_AUTHOR_EMAIL": "bench@example.invalid",
    "GIT_COMMITTER_NAME": "Bench",
    "GIT_COMMITTER_EMAIL": "bench@example.invalid",
}

PY_TEMPLATES = (
    "def {0}({1}, {2}):",
    "    {0} = {1}.{2}({3})",
    "    if {0} is not None and {1}:",
    "        return {0}[{1}]",
    "    for {0} in {1}.{2}():",
    "        {0}.append({1})",
    "class {0}({1}):",
    '    """{0} {1} {2} the {3}."""',
    "import {0}",
    "from {0} import {1}, {2}",
    "        raise {0}(f'{1} {{{2}!r}}')",
    "    self.{0} = {1}",
    "",
    "# {0} {1} {2} {3}",
    "        self.assertEqual({0}({1}), {2})",
)
C_TEMPLATES = (
    "static PyObject *",
    "{0}_{1}(PyObject *{2}, PyObject *{3})",
    "{{",
    "}}",
    "    Py_ssize_t {0} = PyTuple_GET_SIZE({1});",
    "    if ({0} == NULL) {{",
    "        goto {0};",
    "    }}",
    "    return PyLong_FromSsize_t({0});",
    "    Py_DECREF({0});",
    "    {0} = {1}->{2};",
    "/* {0} {1} {2} {3} */",
    "#define {0}_{1}({2}) (({2})->{3})",
    '#include "{0}.h"',
    "",
)
RST_TEMPLATES = (
    "The {0} {1} returns a {2} of {3} objects.",
    ".. function:: {0}({1}, {2})",
    "   :mod:`{0}` now supports {1} and {2}.",
    "",
    "{0} {1}",
    "   See :ref:`{0}-{1}` for the {2} of {3}.",
    "* {0}: {1} {2}",
)


@dataclass(frozen=True)
class Timing:
    """One measured operation: wall time, CPU time (this process and its children), load."""

    label: str
    seconds: float
    cpu_seconds: float = 0.0
    load: float = 0.0


def _rng_words(rng: random.Random, count: int) -> list[str]:
    letters = "abcdefghijklmnopqrstuvwxyz"
    words: set[str] = set()
    while len(words) < count:
        words.add("".join(rng.choices(letters, k=rng.randint(3, 11))))
    return sorted(words)


def _layout(rng: random.Random) -> list[tuple[str, str]]:
    """(path, kind) for every file of the synthetic tree; kind: py, c, rst, data."""
    files: list[tuple[str, str]] = []
    packages = _rng_words(rng, 120)
    for index in range(2200):
        files.append((f"Lib/{packages[index % 120]}/{_name(rng)}_{index}.py", "py"))
    for index in range(1000):
        files.append((f"Lib/test/test_{packages[index % 120]}/test_{index}.py", "py"))
    for index, top in enumerate(("Modules", "Objects", "Python", "Include", "Parser") * 180):
        files.append((f"{top}/{_name(rng)}_{index}.{'c' if index % 3 else 'h'}", "c"))
    for index in range(700):
        files.append((f"Doc/library/{_name(rng)}_{index}.rst", "rst"))
    for index in range(250):
        files.append((f"Lib/test/data/blob_{index}.bin", "data"))
    files += [
        (".gitignore", "rst"),
        (".gitattributes", "attrs"),
        (".github/workflows/build.yml", "rst"),
        (".azure-pipelines/ci.yml", "rst"),
        ("Misc/mypy/README.txt", "rst"),
        ("Misc/NEWS.d/next/Library/entry.rst", "rst"),
        *((path, "c") for path in RELEASE_PY_TOUCHABLES),
    ]
    return files


def _name(rng: random.Random) -> str:
    return "".join(rng.choices("abcdefghijklmnopqrstuvwxyz", k=rng.randint(4, 10)))


def _text(
    rng: random.Random, templates: tuple[str, ...], vocabulary: list[str], size: int
) -> bytes:
    local = rng.sample(vocabulary, 60)
    lines: list[str] = []
    length = 0
    while length < size:
        words = rng.choices(local, k=4)
        line = rng.choice(templates).format(*words)
        lines.append(line)
        length += len(line) + 1
    return ("\n".join(lines) + "\n").encode()


def _contents(rng: random.Random) -> Iterator[tuple[str, bytes]]:
    layout = _layout(rng)
    vocabulary = _rng_words(rng, 4000)
    text_files = [p for p, k in layout if k in ("py", "c", "rst")]
    data_files = [p for p, k in layout if k == "data"]
    text_weights = [rng.lognormvariate(0, 1.0) for _ in text_files]
    data_weights = [rng.lognormvariate(0, 0.8) for _ in data_files]
    text_scale = TARGET_TEXT_BYTES / sum(text_weights)
    data_scale = TARGET_DATA_BYTES / sum(data_weights)
    text_sizes = dict(zip(text_files, (int(w * text_scale) for w in text_weights), strict=True))
    data_sizes = dict(zip(data_files, (int(w * data_scale) for w in data_weights), strict=True))
    templates = {"py": PY_TEMPLATES, "c": C_TEMPLATES, "rst": RST_TEMPLATES}
    for path, kind in layout:
        if kind == "data":
            yield path, rng.randbytes(data_sizes[path])
        elif kind == "attrs":
            yield path, b"*.bat text eol=crlf\n"
        else:
            yield path, _text(rng, templates[kind], vocabulary, text_sizes[path])


def generate_repo(repo: Path) -> None:
    """Create the deterministic synthetic repository with `git fast-import`."""
    if repo.exists():
        shutil.rmtree(repo)
    subprocess.run(["git", "init", "-q", "--bare", "-b", "main", str(repo)], check=True)
    importer = subprocess.Popen(
        ["git", "-C", str(repo), "fast-import", "--quiet"], stdin=subprocess.PIPE
    )
    assert importer.stdin is not None
    message = b"Python 3.14.0 (synthetic)\n"
    who = f"Bench <bench@example.invalid> {COMMIT_TIME} +0000".encode()
    importer.stdin.write(b"commit refs/heads/main\nauthor " + who + b"\ncommitter " + who + b"\n")
    importer.stdin.write(b"data %d\n%s" % (len(message), message))
    rng = random.Random(SEED)
    for index, (path, content) in enumerate(_contents(rng)):
        mode = b"100755" if index % 97 == 0 else b"100644"
        importer.stdin.write(b"M %s inline %s\ndata %d\n" % (mode, path.encode(), len(content)))
        importer.stdin.write(content + b"\n")
    importer.stdin.close()
    if importer.wait() != 0:
        raise SystemExit("git fast-import failed")
    (repo / f"rmtui-bench-v{GENERATOR_VERSION}").write_text("complete\n")


def _cpu_seconds() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def timed(label: str, action: Callable[[], object]) -> Timing:
    load = os.getloadavg()[0]
    cpu, start = _cpu_seconds(), time.perf_counter()
    action()
    return Timing(label, time.perf_counter() - start, _cpu_seconds() - cpu, load)


def shell(command: str) -> Callable[[], object]:
    return lambda: subprocess.run(["bash", "-c", f"set -euo pipefail; {command}"], check=True)


def best_of(runs: int, label: str, action: Callable[[], object]) -> Timing:
    return min((timed(label, action) for _ in range(runs)), key=lambda t: t.seconds)


def _tree_stats(repo: Path, sha: str) -> tuple[int, int]:
    listing = subprocess.run(
        ["git", "-C", str(repo), "ls-tree", "-r", "-l", sha],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.splitlines()
    return len(listing), sum(int(line.split()[3]) for line in listing)


def _machine() -> dict[str, object]:
    def first_line(*command: str) -> str:
        done = subprocess.run(command, capture_output=True, text=True, check=True)
        return done.stdout.splitlines()[0]

    return {
        "date": time.strftime("%Y-%m-%d"),
        "nproc": os.cpu_count(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "xz": first_line("xz", "--version"),
        "gzip": first_line("gzip", "--version"),
        "sha256sum": first_line("sha256sum", "--version"),
        "git": first_line("git", "--version"),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "out")
    parser.add_argument("--regenerate", action="store_true", help="rebuild the synthetic repo")
    parser.add_argument(
        "--rounds", type=int, default=1, help="interleaved rounds; the best of each is kept"
    )
    args = parser.parse_args()
    os.environ.update(GIT_ENV)
    out: Path = args.out.resolve()
    out.mkdir(parents=True, exist_ok=True)
    repo = out / "synthetic.git"

    if args.regenerate or not (repo / f"rmtui-bench-v{GENERATOR_VERSION}").exists():
        print(f"generating the synthetic repository in {repo} ...", flush=True)
        print(f"  took {timed('generate', lambda: generate_repo(repo)).seconds:.1f} s", flush=True)
    sha = subprocess.run(
        ["git", "-C", str(repo), "rev-parse", "main"], capture_output=True, text=True, check=True
    ).stdout.strip()
    file_count, tree_bytes = _tree_stats(repo, sha)
    print(f"tree: {file_count} files, {tree_bytes / 1e6:.1f} MB, commit {sha[:12]}", flush=True)

    plain = out / "plain"
    plain.mkdir(exist_ok=True)
    export_dir = out / "export"
    archive = f"git -C {repo} archive --format=tar --prefix={PREFIX}/ {sha}"
    threads = max(2, os.cpu_count() or 2)
    xz_threaded = f"xz -9 -T{threads} --block-size={XZ_BLOCK_SIZE}"
    # Warm the page cache and git's pack once so every contender starts equal.
    subprocess.run(["bash", "-c", f"{archive} > {plain}/tree.tar"], check=True)
    cat_file = (
        f"git -C {repo} ls-tree -r -z {sha} | tr '\\0' '\\n' | cut -f1 | cut -d' ' -f3 "
        f"| git -C {repo} cat-file --batch > /dev/null"
    )
    reads = [
        best_of(3, "read: git archive > /dev/null", shell(f"{archive} > /dev/null")),
        best_of(3, "read: ls-tree + cat-file --batch", shell(cat_file)),
    ]

    def run_export() -> None:
        export_source(
            repo,
            sha,
            VERSION,
            export_dir,
            extra_files={"Misc/NEWS": b"News\n" * 50_000},
            touch=RELEASE_PY_TOUCHABLES,
            drop=("Misc/NEWS.d",),
        )

    contenders: dict[str, Callable[[], object]] = {
        "export_source (tgz + tar.xz)": run_export,
        "git archive | gzip -9": shell(f"{archive} | gzip -9 > {plain}/p.tgz"),
        "git archive | xz -9": shell(f"{archive} | xz -9 > {plain}/p.tar.xz"),
        f"git archive | {xz_threaded}": shell(f"{archive} | {xz_threaded} > {plain}/t.tar.xz"),
    }
    best: dict[str, Timing] = {}
    for round_number in range(1, args.rounds + 1):
        for label, action in contenders.items():
            timing = timed(label, action)
            print(
                f"round {round_number}: {label}: {timing.seconds:.1f} s wall, "
                f"{timing.cpu_seconds:.1f} s CPU, load {timing.load:.1f}",
                flush=True,
            )
            if label not in best or timing.seconds < best[label].seconds:
                best[label] = timing
    peak_rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    export_run, gzip_alone, xz_alone = (best[label] for label in list(contenders)[:3])
    sequential = Timing(
        "sequential plain tools (gzip, then xz)",
        gzip_alone.seconds + xz_alone.seconds,
        gzip_alone.cpu_seconds + xz_alone.cpu_seconds,
    )

    hashed = [plain / "tree.tar", *sorted(export_dir.glob(f"{PREFIX}.t*"))]
    hashed_bytes = sum(p.stat().st_size for p in hashed)
    sums = best_of(5, "sha256sum", shell("sha256sum " + " ".join(map(str, hashed)) + " >/dev/null"))
    ours = best_of(5, "sha256_file", lambda: [sha256_file(p) for p in hashed])
    timings = [*reads, *best.values(), sequential, sums, ours]

    slowest = max(gzip_alone.seconds, xz_alone.seconds)
    ratios = {
        "export / sequential": (
            export_run.seconds / sequential.seconds,
            TARGET_VS_SEQUENTIAL,
            "<=",
        ),
        "export / slowest single compressor": (
            export_run.seconds / slowest,
            TARGET_VS_SLOWEST,
            "<=",
        ),
        "sha256_file / sha256sum throughput": (
            sums.seconds / ours.seconds,
            TARGET_HASH_RATIO,
            ">=",
        ),
    }
    print(f"\n{'operation':58} {'wall s':>8} {'CPU s':>8} {'load':>5}")
    for timing in timings:
        print(
            f"{timing.label:58} {timing.seconds:8.2f} {timing.cpu_seconds:8.2f} {timing.load:5.1f}"
        )
    print(
        f"\nhashing {hashed_bytes / 1e6:.0f} MB: sha256sum {hashed_bytes / sums.seconds / 1e6:.0f}"
        f" MB/s, sha256_file {hashed_bytes / ours.seconds / 1e6:.0f} MB/s"
    )
    print(f"bench process peak RSS (includes the export): {peak_rss_mb:.0f} MiB")
    sizes = {p.name: p.stat().st_size for p in [*export_dir.glob("*"), *plain.glob("[pt].*")]}
    for name, size in sorted(sizes.items()):
        print(f"  {name:32} {size / 1e6:8.2f} MB")
    print()
    for label, (value, target, sense) in ratios.items():
        met = value <= target if sense == "<=" else value >= target
        print(f"{label:40} {value:6.2f}  (target {sense} {target})  {'met' if met else 'MISSED'}")
    machine = _machine()
    result = {
        "machine": machine,
        "rounds": args.rounds,
        "tree": {"files": file_count, "bytes": tree_bytes},
        "timings": {
            t.label: {"wall": round(t.seconds, 2), "cpu": round(t.cpu_seconds, 2), "load": t.load}
            for t in timings
        },
        "ratios": {k: round(v[0], 3) for k, v in ratios.items()},
        "sizes": sizes,
        "peak_rss_mib": round(peak_rss_mb),
    }
    (out / "results.json").write_text(json.dumps(result, indent=2) + "\n")
    print(f"\n{machine}\nresults written to {out / 'results.json'}")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
