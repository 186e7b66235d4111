"""Time for the TUI: the default clock, and timestamps as people read them (cheap to import)."""

from __future__ import annotations


def now() -> str:
    """The engine's UTC clock, imported only when first used (it keeps the first paint quick)."""
    from rmtui.core.release import now_utc

    return now_utc()


def short_time(timestamp: str | None) -> str:
    """`2026-11-03T10:00:00Z` as `2026-11-03 10:00:00` (UTC, as recorded)."""
    return (timestamp or "").replace("T", " ").removesuffix("Z")
