"""A process-wide registry of secret strings, and the redaction applied to every output."""

from __future__ import annotations

import threading

MASK = "[REDACTED]"
# Short strings would redact ordinary words; real secrets are longer than this.
MIN_SECRET_LENGTH = 4

_lock = threading.Lock()
_secrets: set[str] = set()


def register_secret(value: str | None) -> None:
    """Remember a secret so that `redact` masks it everywhere from now on."""
    if value is None or len(value) < MIN_SECRET_LENGTH:
        return
    with _lock:
        _secrets.add(value)


def forget_all_secrets() -> None:
    """Drop every registered secret (tests use this between cases)."""
    with _lock:
        _secrets.clear()


def redact(text: str) -> str:
    """Return `text` with every registered secret replaced by a mask."""
    with _lock:
        secrets = sorted(_secrets, key=len, reverse=True)
    for secret in secrets:
        if secret in text:
            text = text.replace(secret, MASK)
    return text
