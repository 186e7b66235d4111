"""The hand-off import checks the role: names, platforms and counts the profile declares."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import pytest

from rmtui.core.errors import RmtuiError
from rmtui.core.profile import Installer
from rmtui.core.release import Release
from rmtui.core.status import Status
from rmtui.ops.checksums import write_sha256sums
from rmtui.steps.handoff import HANDOFF_STEP_ID, import_delivery
from rmtui.steps.kit.delivery import check_role
from tests.helpers.world import journal_lines
from tests.steps.test_git_half import assert_history_intact
from tests.steps.test_handoff import MACOS, VERSION, WINDOWS, Waiting, waiting_release


def refused(w: Waiting, role: str, folder: Path) -> str:
    """Import `folder` as `role`: refused in one line, nothing copied, the hand-off waiting."""
    before = w.state_files()
    journal = journal_lines(w.sandbox.workspace)
    with pytest.raises(RmtuiError) as caught:
        import_delivery(w.engine, role, folder)
    assert "\n" not in caught.value.problem and caught.value.hint
    assert w.state_files() == before, "a refused import changes nothing"
    assert journal_lines(w.sandbox.workspace) == journal
    assert_history_intact(w.sandbox.workspace)
    record = w.engine.state.steps[HANDOFF_STEP_ID]
    assert record.status is Status.WAITING
    assert record.waiting_on == ["Windows", "macOS"]
    return f"{caught.value.problem} / {caught.value.hint}"


def rewrite_sums(folder: Path) -> Path:
    write_sha256sums(folder, [p for p in sorted(folder.iterdir()) if p.name != "SHA256SUMS"])
    return folder


def test_a_delivery_for_the_wrong_role_is_refused_naming_the_role_it_looks_like(
    tmp_path: Path,
) -> None:
    with waiting_release() as w:
        macos = w.delivery("macOS", tmp_path / "mac")
        message = refused(w, "Windows", macos)
        assert f"is not Windows's: {MACOS[0]} (macOS (sandbox stand-in)) look like macOS's" in (
            message
        )
        assert "import it with --role macOS" in message
        assert not (w.artifacts / MACOS[0]).exists()
        # The right role then imports it, and the hand-off still waits for Windows.
        import_delivery(w.engine, "macOS", macos)
        assert w.engine.state.steps[HANDOFF_STEP_ID].waiting_on == ["Windows"]


def test_a_missing_installer_keeps_the_hand_off_waiting(tmp_path: Path) -> None:
    with waiting_release() as w:
        partial = w.delivery("Windows", tmp_path / "partial")
        (partial / WINDOWS[1]).unlink()
        message = refused(w, "Windows", rewrite_sums(partial))
        assert f"lacks python-{VERSION}-arm64.exe.stand-in" in message
        assert "the hand-off still waits for Windows" in message
        assert 'optional = "why"' in message


def test_a_file_no_installer_names_is_refused(tmp_path: Path) -> None:
    with waiting_release() as w:
        extra = w.delivery("Windows", tmp_path / "extra")
        (extra / f"python-{VERSION}-embed-amd64.zip").write_bytes(b"not declared\n")
        message = refused(w, "Windows", rewrite_sums(extra))
        assert f"python-{VERSION}-embed-amd64.zip in {extra} is no installer" in message
        assert "[[installers]]" in message


def with_installers(release: Release, *installers: Installer) -> Release:
    profile = dataclasses.replace(release.profile, installers=installers)
    return dataclasses.replace(release, profile=profile)


def test_counts_and_optional_installers_follow_the_profile(tmp_path: Path) -> None:
    with waiting_release() as w:
        release = with_installers(
            w.engine.release,
            Installer("Windows", "python-{version}-*.exe", "Windows", count=2),
            Installer("Windows", "python-{version}.exe", "Windows x86", optional="no 32-bit"),
        )
        amd, arm, win32 = (f"python-{VERSION}-{p}.exe" for p in ("amd64", "arm64", "x"))
        check_role([amd, arm], release, "Windows", tmp_path)
        with pytest.raises(
            RmtuiError, match=re.escape(f"3 files match python-{VERSION}-*.exe, 2 expected")
        ):
            check_role([amd, arm, win32], release, "Windows", tmp_path)
        with pytest.raises(RmtuiError, match=re.escape(f"lacks python-{VERSION}-*.exe")):
            check_role([amd], release, "Windows", tmp_path)
        with pytest.raises(RmtuiError, match="look like Windows's"):
            check_role([amd, arm], release, "macOS", tmp_path)
