"""What every CLI command shares: turning an RmtuiError into a clear message and exit code 2."""

from __future__ import annotations

import sys
from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

import click

from rmtui.core.errors import RmtuiError

F = TypeVar("F", bound=Callable[..., Any])


def friendly_errors(fn: F) -> F:
    """Print `error: ...` and `how to fix: ...` for an RmtuiError, then exit with code 2."""

    @wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except RmtuiError as exc:
            click.secho(f"error: {exc.problem}", fg="red", err=True)
            if exc.hint:
                click.echo(f"how to fix: {exc.hint}", err=True)
            sys.exit(2)

    return wrapper  # type: ignore[return-value]
