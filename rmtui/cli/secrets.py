"""`rmtui secrets`: keep the GPG passphrase, GitHub token and downloads password in keyring."""

from __future__ import annotations

import sys

import click

from rmtui.cli.errors import friendly_errors
from rmtui.core.errors import SecretsError
from rmtui.ops.secrets import SecretName, Secrets

DEFAULT_PROFILE = "cpython"

_name_argument = click.argument("name", type=click.Choice([name.value for name in SecretName]))
_profile_option = click.option(
    "--profile",
    default=DEFAULT_PROFILE,
    show_default=True,
    help="Profile whose secrets these are (keyring service rmtui:<profile>).",
)


def _interactive() -> bool:
    return sys.stdin.isatty()


def _read_value(name: str) -> str:
    if _interactive():
        return str(click.prompt(name, hide_input=True, confirmation_prompt=True))
    # Piped input (`pass show x | rmtui secrets set ...`) ends with a newline that is not
    # part of the secret.
    return sys.stdin.read().removesuffix("\n").removesuffix("\r")


@click.group()
def secrets() -> None:
    """Keep release secrets in the OS keyring, never in a file.

    NAME is gpg-passphrase, github-token or downloads-password.
    """


@secrets.command("set")
@_name_argument
@_profile_option
@friendly_errors
def set_secret(name: str, profile: str) -> None:
    """Store NAME, read from a hidden prompt (or from stdin when piped)."""
    store = Secrets(profile)
    store.set(name, _read_value(name))
    click.echo(f"{name} stored for profile {profile} in {store.backend_name}")


@secrets.command("get")
@_name_argument
@_profile_option
@click.option("--reveal", is_flag=True, help="Print the value itself (for piping).")
@friendly_errors
def get_secret(name: str, profile: str, reveal: bool) -> None:
    """Say whether NAME is set; print it only with --reveal."""
    store = Secrets(profile)
    value = store.get(name)
    if reveal:
        if value is None:
            raise SecretsError(
                f"{name} is not set for profile {profile}",
                f"store it with `rmtui secrets set {name} --profile {profile}`",
            )
        click.echo(value)
        return
    state = "set" if value is not None else "not set"
    click.echo(f"{name}: {state} (profile {profile}, {store.backend_name})")


@secrets.command("delete")
@_name_argument
@_profile_option
@friendly_errors
def delete_secret(name: str, profile: str) -> None:
    """Remove NAME from the keyring."""
    if Secrets(profile).delete(name):
        click.echo(f"{name} deleted for profile {profile}")
    else:
        click.echo(f"{name} was not set for profile {profile}; nothing to delete")
