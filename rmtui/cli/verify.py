"""`rmtui verify`: a consumer-side check of release files, their checksums and signatures."""

from __future__ import annotations

import json
import logging
import sys
from dataclasses import asdict
from pathlib import Path

import click

from rmtui.usecases.verification import (
    FULL_SHA,
    Check,
    CheckResult,
    VerifyRequest,
    collect,
    run_checks,
    tarball_matches_commit,
)


def _print_table(results: list[CheckResult]) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title="rmtui verify", show_lines=False)
    table.add_column("file", overflow="fold")
    table.add_column("check")
    table.add_column("result")
    table.add_column("details", overflow="fold")
    for row in results:
        mark = "[green]PASS[/green]" if row.passed else "[bold red]FAIL[/bold red]"
        table.add_row(row.subject, row.check, mark, row.detail)
    console = Console(highlight=False)
    console.print(table)
    failed = sum(not row.passed for row in results)
    summary = f"{len(results)} check{'s' if len(results) != 1 else ''}, {failed} failed"
    console.print(f"[bold red]{summary}[/bold red]" if failed else f"[green]{summary}[/green]")


def _commit_check(commit: str | None, repo: str | None) -> Check:
    if not (commit and repo):
        raise click.UsageError("--commit and --repo go together: give both or neither")
    sha = commit.strip().lower()
    if not FULL_SHA.match(sha):
        raise click.UsageError(
            f"--commit {commit!r} is not a full commit SHA: pass all 40 hex digits (a tag or "
            "a short SHA could name another commit than the one the release recorded)"
        )
    if "://" in repo or (":" in repo and not Path(repo).exists()):
        raise click.UsageError(
            f"--repo {repo} is not a local path: clone it first, then pass the clone's directory"
        )
    if not Path(repo).is_dir():
        raise click.UsageError(f"--repo {repo} is not a directory: pass a local clone")
    return tarball_matches_commit(sha, Path(repo))


@click.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True))
@click.option("--identity", help="Expected Sigstore identity (e-mail or workflow URI).")
@click.option("--issuer", help="Expected OIDC issuer of that identity.")
@click.option("--staging", is_flag=True, help="Verify against Sigstore staging, not production.")
@click.option("--gpg-key", "gpg_key", metavar="FPR", help="Expected GPG key fingerprint.")
@click.option(
    "--gnupghome",
    type=click.Path(exists=True, file_okay=False),
    help="GnuPG home holding the expected public key (default: gpg's own).",
)
@click.option(
    "--commit",
    metavar="SHA",
    help="Full commit SHA: each source tarball must hold exactly `git archive` of it.",
)
@click.option("--repo", metavar="PATH", help="A local clone holding --commit.")
@click.option("--json", "as_json", is_flag=True, help="Print the results as JSON.")
def verify(
    paths: tuple[str, ...],
    identity: str | None,
    issuer: str | None,
    staging: bool,
    gpg_key: str | None,
    gnupghome: str | None,
    commit: str | None,
    repo: str | None,
    as_json: bool,
) -> None:
    """Check release files: SHA256SUMS, FILE.asc and FILE.sigstore beside each FILE.

    PATHS are files or folders (every file in a folder is checked). With --commit and
    --repo, source tarballs are also compared file by file with that commit. Exit status 1
    when any check fails.
    """
    if bool(identity) != bool(issuer):
        raise click.UsageError("--identity and --issuer go together: give both or neither")
    extra_checks = [_commit_check(commit, repo)] if commit or repo else []
    # sigstore-python warns on every offline trust-root load; offline is what we ask for.
    logging.getLogger("sigstore").setLevel(logging.ERROR)
    artifacts, folders = collect([Path(path) for path in paths])
    request = VerifyRequest(
        artifacts=artifacts,
        folders=folders,
        identity=identity,
        issuer=issuer,
        staging=staging,
        gpg_key=gpg_key,
        gnupghome=Path(gnupghome) if gnupghome else None,
    )
    results = run_checks(request, extra_checks)
    if not results:
        results = [CheckResult("*", "files", False, "no files to verify in the given paths")]
    if as_json:
        ok = all(row.passed for row in results)
        click.echo(json.dumps({"ok": ok, "checks": [asdict(row) for row in results]}, indent=2))
    else:
        _print_table(results)
    if not all(row.passed for row in results):
        sys.exit(1)
