"""sbom.generate: an SPDX 2.3 SBOM beside each verified source tarball."""

from __future__ import annotations

from pathlib import Path

from rmtui.core import facts
from rmtui.core.errors import StepFailed
from rmtui.core.facts import FileRecords
from rmtui.core.guide import Guide, Threat
from rmtui.core.release import Release
from rmtui.core.step import Action, Phase, Probe, ProbeContext, Step, StepContext
from rmtui.ops.checksums import sha256_file
from rmtui.steps.kit.export import rebuild_actions, restore_missing_tarballs
from rmtui.steps.kit.manifest import (
    SUMS_FILE_NAME,
    built_digests,
    file_record,
    listing,
    refresh_sha256sums,
    sbom_names,
    sums_gaps,
)
from rmtui.steps.kit.repo import clone, require_release_commit

GUIDE = Guide(
    does="Writes `<tarball>.spdx.json` next to each source tarball: an SPDX 2.3 document naming "
    "the CPython package (the tarball's SHA-256, a purl and a CPE, the PSF as supplier), the "
    "vendored components the tree declares in `Misc/sbom.spdx.json` with their relationships, "
    "and every file with its checksums and the package verification code. Its creation time is "
    "the commit time, so the same tarball always gets the same SBOM. Only tarballs "
    "`export.verify` found equal to the commit are described. The SBOMs join `SHA256SUMS` and "
    "are signed like the tarballs.",
    why="Users and distributors see what is inside the release, and `rmtui sbom diff OLD NEW` "
    "shows what changed underneath between two releases.",
    goes_wrong="`Misc/sbom.spdx.json` not updated after a vendored library was upgraded, or an "
    "SBOM written for a tarball that was rebuilt afterwards.",
    threat=Threat.DEPENDENCY,
    threat_detail="Vendored code that changed silently between releases, and an SBOM that "
    "describes another file than the one shipped (it names the tarball's digest).",
    recover="A tarball that changed after verification is refused: find out what changed it, "
    "delete it, and retry; it is rebuilt from the commit and must match the verified digest. A "
    "stale SBOM is simply written again.",
    who="The release manager.",
    references=("PEP 101: Build the source tarballs (SBOM)", "PEP 770"),
)


def _described_digest(sbom: Path, tarball: str) -> str | None:
    """The SHA-256 the SBOM gives for `tarball` (None when it does not describe it)."""
    import json

    from rmtui.ops.sbom import CPYTHON_ID

    try:
        document = json.loads(sbom.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    for package in document.get("packages", []):
        if package.get("SPDXID") != CPYTHON_ID or package.get("packageFileName") != tarball:
            continue
        for checksum in package.get("checksums", []):
            if checksum.get("algorithm") == "SHA256":
                return str(checksum.get("checksumValue"))
    return None


class SbomGenerateStep(Step):
    id = "sbom.generate"
    title = "Write an SPDX SBOM per tarball"
    phase = Phase.BUILD
    requires = ("export.verify",)
    guide = GUIDE
    check_after_interruption = "the .spdx.json files in artifacts/"

    def plan(self, release: Release) -> list[Action]:
        base = release.profile.publish.url or "https://www.python.org/ftp/python"
        sboms = sbom_names(release)
        return [
            *rebuild_actions(release),
            *(
                Action(
                    f"write {release.artifacts / sbom}: SPDX 2.3 for {tarball} (its SHA-256, "
                    f"purl, CPE; the vendored components of Misc/sbom.spdx.json; every file), "
                    f"created at the commit time, download location under {base}"
                )
                for sbom, tarball in sboms.items()
            ),
            Action(
                f"add the SBOMs to {release.artifacts}/{SUMS_FILE_NAME} (rmtui hashes and "
                "writes it itself)"
            ),
        ]

    def probe(self, ctx: ProbeContext) -> Probe:
        release = ctx.release
        records: FileRecords = {}
        for sbom, tarball in sbom_names(release).items():
            sbom_path, tarball_path = release.artifacts / sbom, release.artifacts / tarball
            if not sbom_path.is_file() or not tarball_path.is_file():
                return Probe.not_done(f"{sbom} is not written yet")
            digest = sha256_file(tarball_path)
            named = _described_digest(sbom_path, tarball)
            if named != digest:
                return Probe.not_done(f"{sbom} names sha256 {named}, but {tarball} is {digest}")
            records[sbom] = file_record(sbom_path, describes=tarball, describes_sha256=digest)
        gaps = sums_gaps(release.artifacts, records)
        if gaps:
            return Probe.not_done(f"{SUMS_FILE_NAME} does not list {listing(gaps)} yet")
        return Probe.done(
            "each tarball has an SBOM naming its SHA-256", {facts.SBOMS.name: records}
        )

    def run(self, ctx: StepContext) -> None:
        from rmtui.ops.archive import resolve_commit
        from rmtui.ops.sbom import DEFAULT_DOWNLOAD_BASE, write_source_sbom

        release = ctx.release
        repo = clone(ctx)
        commit = require_release_commit(ctx, repo)
        _sha, commit_time = resolve_commit(release.clone, commit)
        verified = built_digests(ctx)
        restore_missing_tarballs(ctx, repo, commit, verified)
        base = release.profile.publish.url or DEFAULT_DOWNLOAD_BASE
        records: FileRecords = {}
        names = sbom_names(release)
        for number, tarball in enumerate(names.values()):
            ctx.progress(number, len(names), f"describing {tarball}")
            path = release.artifacts / tarball
            digest = sha256_file(path) if path.is_file() else None
            if digest is None or digest != verified.get(tarball):
                raise StepFailed(
                    f"{tarball} is not the tarball export.source built and export.verify "
                    f"checked (sha256 {digest or 'missing'}, built as "
                    f"{verified.get(tarball) or 'nothing'})",
                    "an SBOM describes only a verified tarball: find out what changed it, then "
                    "delete it and retry this step, which rebuilds it from the commit (it must "
                    "come out byte for byte as verified)",
                )
            written = write_source_sbom(path, str(release.version), commit_time, download_base=base)
            records[written.name] = file_record(written, describes=tarball, describes_sha256=digest)
            ctx.output(f"wrote {written.name} describing {tarball} (sha256 {digest})")
        ctx.progress(len(names), len(names), "written")
        refresh_sha256sums(release.artifacts, rebuilt=records)
        ctx.record_fact(facts.SBOMS.name, records)
