"""Source tarballs from the recorded commit: NEWS from blurb, the export, and rebuilds."""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
import sys
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rmtui.core.atomic import fsync_directory
from rmtui.core.command import Command
from rmtui.core.errors import StepFailed
from rmtui.core.release import Release
from rmtui.core.step import Action, StepContext
from rmtui.ops.archive import RELEASE_PY_TOUCHABLES, git_archive_command, tarball_prefix
from rmtui.ops.git import GitRepo
from rmtui.ops.treecompare import AllowedDifferences
from rmtui.steps.kit import commands
from rmtui.steps.kit.manifest import listing, refresh_sha256sums, tarball_names
from rmtui.steps.kit.worktree import clear_scratch, commit_worktree, scratch, worktree_actions

NEWS_DIR = "Misc/NEWS.d"
NEWS_FILE = "Misc/NEWS"
# blurb merge writes here, inside the throwaway worktree, which is removed afterwards.
MERGED_NEWS = "NEWS"
_COMPRESSING = re.compile(r"compressing: (\d+) of ~(\d+) MiB")


def blurb_command(release: Release) -> list[str] | None:
    """How to run blurb here: this Python's module first, then the profile's command on PATH."""
    if importlib.util.find_spec("blurb") is not None:
        return [sys.executable, "-m", "blurb"]
    found = shutil.which(release.profile.commands.blurb)
    return [found] if found else None


def blurb_merge(release: Release) -> Command:
    blurb = blurb_command(release) or [release.profile.commands.blurb]
    return Command.of(
        *blurb,
        "merge",
        "-f",
        MERGED_NEWS,
        cwd="{worktree}",
        sentence=f"generate {NEWS_FILE} from {NEWS_DIR} of the release commit (when it has "
        f"{NEWS_DIR}; the tarball leaves {NEWS_DIR} out, like `blurb export`)",
    )


@dataclass(frozen=True)
class ExportInputs:
    """What the export adds (generated files), drops and touches beyond `git archive`."""

    extra_files: Mapping[str, bytes] = field(default_factory=dict)
    drop: tuple[str, ...] = ()
    touch: tuple[str, ...] = RELEASE_PY_TOUCHABLES

    def allowed(self) -> AllowedDifferences:
        return AllowedDifferences.for_export(
            extra_files=self.extra_files, touch=self.touch, drop=self.drop
        )


def export_inputs(ctx: StepContext, repo: GitRepo, commit: str) -> ExportInputs:
    """Misc/NEWS made by `blurb merge` from the commit's Misc/NEWS.d, which is then dropped.

    That is what CPython's release.py does with `blurb merge` and `blurb export`; a commit
    without Misc/NEWS.d needs neither.
    """
    if repo.rev_parse(f"{commit}:{NEWS_DIR}") is None:
        ctx.output(f"the commit has no {NEWS_DIR}: no NEWS to generate")
        return ExportInputs()
    if blurb_command(ctx.release) is None:
        raise StepFailed(
            f"the release commit has {NEWS_DIR}, which blurb turns into {NEWS_FILE}, but blurb "
            "is not installed",
            "install it (pip install blurb, or rmtui[cpython]) and retry",
        )
    with commit_worktree(ctx, commit, "news") as tree:
        commands.run(
            ctx,
            blurb_merge(ctx.release),
            {"worktree": tree},
            hint=f"blurb could not read {NEWS_DIR} of the release commit; fix the entry it "
            "names on the release branch only if the release has not been tagged, else "
            "report it and retry",
        )
        news = (tree / MERGED_NEWS).read_bytes()
    ctx.output(f"generated {NEWS_FILE} ({len(news)} bytes); {NEWS_DIR} is left out")
    return ExportInputs(extra_files={NEWS_FILE: news}, drop=(NEWS_DIR,))


def news_actions(release: Release) -> list[Action]:
    steps = worktree_actions(release, "news")
    return [*steps[:3], Action.of(blurb_merge(release)), *steps[3:]]


def archive_command(release: Release) -> Command:
    return Command.of(
        *git_archive_command(release.clone, "{release.commit_sha}"),
        sentence="read the release commit's tree with `git archive` (read-only)",
        read_only=True,
    )


def xz_command() -> Command:
    from rmtui.ops.tarball import xz_command as argv

    return Command.of(*argv(), sentence="compress the tar stream into the .tar.xz")


def export_actions(release: Release) -> list[Action]:
    """The plan's lines for `build_tarballs`."""
    tgz, xz = tarball_names(release)
    return [
        Action(
            f"read the release commit's tree (drop rules applied, touched files +1 s, prefix "
            f"{tarball_prefix(str(release.version))}/, names sorted, 0:0, mtime = commit time)",
            archive_command(release).display(),
            archive_command(release),
        ),
        Action(
            f"compress one tar stream in parallel: gzip -9 -n (in-process) into {tgz}, and "
            f"xz into {xz}",
            xz_command().display(),
            xz_command(),
        ),
    ]


def build_tarballs(
    ctx: StepContext, commit: str, inputs: ExportInputs, out_dir: Path
) -> dict[str, dict[str, Any]]:
    """Both tarballs of the release commit into `out_dir`: {name: {"sha256", "size"}}."""
    from rmtui.ops.tarball import export_source

    digests = export_source(
        ctx.release.clone,
        commit,
        str(ctx.release.version),
        out_dir,
        extra_files=inputs.extra_files,
        touch=inputs.touch,
        drop=inputs.drop,
        progress=_export_reporter(ctx),
    )
    return {d.path.name: {"sha256": d.sha256, "size": d.size} for d in digests}


def restore_missing_tarballs(
    ctx: StepContext, repo: GitRepo, commit: str, expected: Mapping[str, str]
) -> list[str]:
    """Rebuild from the commit any tarball deleted from artifacts/; it must be byte for byte
    the `expected` SHA-256. This is how a tampered tarball is replaced: delete it, retry.
    """
    release = ctx.release
    missing = [n for n in tarball_names(release) if not (release.artifacts / n).exists()]
    if not missing:
        return []
    ctx.output(f"{listing(missing)} missing: rebuilding from the release commit {commit}")
    inputs = export_inputs(ctx, repo, commit)
    clear_scratch(ctx)
    out_dir = Path(tempfile.mkdtemp(prefix="rebuild-", dir=scratch(release)))
    try:
        built = build_tarballs(ctx, commit, inputs, out_dir)
        wrong = [n for n in missing if built[n]["sha256"] != expected.get(n)]
        if wrong:
            details = "; ".join(
                f"{n} came out with sha256 {built[n]['sha256']}, recorded {expected.get(n)}"
                for n in wrong
            )
            raise StepFailed(
                f"rebuilt from the commit, the tarballs differ from the recorded ones: {details}",
                "the export is not reproducible on this machine (another xz or zlib than at "
                "export time?): rebuild on the machine that exported, or start the artifacts "
                "over in a new release workspace",
            )
        for name in missing:
            os.replace(out_dir / name, release.artifacts / name)
        fsync_directory(release.artifacts)
    finally:
        shutil.rmtree(out_dir, ignore_errors=True)
    ctx.output(f"rebuilt {listing(missing)}: byte for byte the recorded SHA-256")
    refresh_sha256sums(release.artifacts, rebuilt=missing)
    return missing


def rebuild_actions(release: Release) -> list[Action]:
    """The plan's lines for `restore_missing_tarballs` (only when a tarball was deleted)."""
    return [
        Action("rebuild a deleted tarball from the commit (it must match the recorded SHA-256):"),
        *news_actions(release),
        *export_actions(release),
    ]


def _export_reporter(ctx: StepContext) -> Callable[[str], None]:
    def report(message: str) -> None:
        ctx.output(message)
        match = _COMPRESSING.match(message)
        if match and int(match.group(2)):
            share = min(1.0, int(match.group(1)) / int(match.group(2)))
            ctx.progress(1 + share, 3, "compressing")

    return report
