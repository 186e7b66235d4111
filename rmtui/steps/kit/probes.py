"""Probes steps share: a read-only step's probe, and files checked against recorded digests."""

from __future__ import annotations

from pathlib import Path

from rmtui.core.facts import FileRecords
from rmtui.core.step import Probe, ProbeContext, Step
from rmtui.ops.checksums import SUMS_FILE_NAME, sha256_file
from rmtui.steps.kit.manifest import listing, sums_gaps


class ReadOnlyStep(Step):
    """A step that only looks: its probe never finds it done, so it runs again, safely."""

    rerun_note = "read-only checks; running them again is safe"

    def probe(self, ctx: ProbeContext) -> Probe:
        return Probe.not_done(self.rerun_note)


def probe_recorded(artifacts: Path, recorded: FileRecords, made_by: str) -> Probe | None:
    """Not done or inconsistent when recorded files are missing or changed; None when all match."""
    missing: list[str] = []
    changed: list[str] = []
    for name, record in sorted(recorded.items()):
        path = artifacts / name
        if not path.is_file():
            missing.append(name)
            continue
        now = sha256_file(path)
        if now != record.get("sha256"):
            changed.append(f"{name} (sha256 now {now}, recorded {record.get('sha256')})")
    if changed:
        return Probe.inconsistent(
            f"{listing(changed)} changed after {made_by} wrote them: do not ship them"
        )
    if missing:
        return Probe.not_done(f"{listing(missing)} missing from {artifacts}")
    gaps = sums_gaps(artifacts, recorded)
    if gaps:
        return Probe.not_done(f"{SUMS_FILE_NAME} does not list {listing(gaps)} yet")
    return None
