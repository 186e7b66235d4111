"""A thin layer over GitPython for the release's git work; rejected pushes always raise."""

from __future__ import annotations

import re
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from rmtui.core.errors import GitError
from rmtui.core.redact import redact
from rmtui.ops import shell
from rmtui.ops.shell import Sink

if TYPE_CHECKING:
    import git

# One ref of `git push --porcelain`: flag, "local:remote", summary.
_PORCELAIN_REF = re.compile(r"^([ +\-*!=])\t([^\t]*):([^\t]*)\t(.*)$")
_PUSH_FAILED_FLAG = "!"


def push_argv(
    path: Path,
    remote: str,
    refspecs: Sequence[str],
    *,
    push_options: Sequence[str] = (),
    dry_run: bool = False,
) -> list[str]:
    """The exact `git push` rmtui runs: atomic, porcelain (so it can read what happened)."""
    # A dry run runs no hook, and git sends push options after an empty command list,
    # so receive-pack may hang up first and git dies of SIGPIPE: never send them then.
    options = [] if dry_run else [f"--push-option={o}" for o in push_options]
    return [
        "git",
        "-C",
        str(path),
        "push",
        "--porcelain",
        "--atomic",
        *(["--dry-run"] if dry_run else []),
        *options,
        remote,
        *refspecs,
    ]


@dataclass(frozen=True)
class PushedRef:
    local: str
    remote: str
    summary: str


class GitRepo:
    """One local repository (working clone or bare), with output streamed to a sink."""

    def __init__(
        self, path: Path, *, sink: Sink | None = None, cancel: threading.Event | None = None
    ) -> None:
        self.path = Path(path)
        self.sink = sink
        self.cancel = cancel
        import git

        try:
            self.repo = git.Repo(self.path)
        except (git.NoSuchPathError, git.InvalidGitRepositoryError):
            raise GitError(
                f"{self.path} is not a git repository",
                "check [repos].clone in the profile, or clone the repository there",
            ) from None

    # -- queries (read-only; GitPython runs them) ------------------------------

    def quiet(self, *args: str) -> str:
        """A read-only git command whose output matters but need not be streamed."""
        import git

        try:
            out: str = self.repo.git.execute(["git", *args])
        except git.GitCommandError as exc:
            raise GitError(
                f"`git {' '.join(args)}` failed in {self.path}: {_stderr(exc)}",
                "check the repository state",
            ) from None
        return out

    def rev_parse(self, ref: str) -> str | None:
        """The object a ref names, or None when it does not exist."""
        import git

        try:
            out: str = self.repo.git.rev_parse("--verify", "--quiet", ref)
        except git.GitCommandError:
            return None
        return out.strip() or None

    def commit_of(self, ref: str) -> str | None:
        return self.rev_parse(f"{ref}^{{commit}}")

    def dirty_files(self) -> list[str]:
        out = self.quiet("status", "--porcelain", "--untracked-files=normal")
        return [line[3:] for line in out.splitlines() if line.strip()]

    def current_branch(self) -> str | None:
        if self.repo.head.is_detached:
            return None
        return str(self.repo.active_branch.name)

    def remote_url(self, name: str) -> str | None:
        try:
            return str(self.repo.remote(name).url)
        except ValueError:
            return None

    def is_ancestor(self, ancestor: str, descendant: str) -> bool:
        return bool(self.repo.is_ancestor(self.repo.commit(ancestor), self.repo.commit(descendant)))

    def ls_remote(self, remote: str, ref: str) -> str | None:
        """What `ref` is on `remote` right now (peeled to the commit for annotated tags)."""
        import git

        try:
            out = str(self.repo.git.ls_remote(remote, ref, f"{ref}^{{}}"))
        except git.GitCommandError as exc:
            raise GitError(
                f"cannot read {ref} from {remote}: {_stderr(exc)}",
                "check the network and the remote's URL, then retry",
            ) from None
        found: dict[str, str] = {}
        for line in out.splitlines():
            sha, _, name = line.partition("\t")
            found[name] = sha
        return found.get(f"{ref}^{{}}") or found.get(ref)

    # -- changes -----------------------------------------------------------------

    def push(
        self,
        remote: str,
        refspecs: Sequence[str],
        *,
        push_options: Sequence[str] = (),
        dry_run: bool = False,
    ) -> list[PushedRef]:
        """Push atomically; any rejected ref, hook refusal or network failure raises GitError."""
        if self.remote_url(remote) is None:
            raise GitError(
                f"the repository has no remote {remote!r}",
                f"add it: git -C {self.path} remote add {remote} URL",
            )
        argv = push_argv(self.path, remote, refspecs, push_options=push_options, dry_run=dry_run)
        return self.push_command(argv, remote)

    def push_command(self, argv: Sequence[str], remote: str) -> list[PushedRef]:
        """Run a `git push --porcelain` argv (see push_argv) and read back what it did."""
        result = shell.run(argv, sink=self.sink, check=False, cancel=self.cancel)
        pushed: list[PushedRef] = []
        failures: list[str] = []
        said: list[str] = []
        for line in result.output.splitlines():
            match = _PORCELAIN_REF.match(line)
            if match is None:
                said.append(line)
                continue
            flag, local, remote_ref, summary = match.groups()
            summary = redact(summary.strip())
            if flag == _PUSH_FAILED_FLAG:
                failures.append(f"{remote_ref}: {summary}")
            pushed.append(PushedRef(local, remote_ref, summary))
        if result.code == 0 and pushed and not failures:
            return pushed
        detail = "; ".join(failures) or "git reported nothing pushed"
        remote_said = _remote_said(said)
        if remote_said:
            detail += f"; the remote said: {remote_said}"
        if failures:
            raise GitError(f"push to {remote} was rejected: {detail}", _push_hint(detail))
        raise GitError(f"push to {remote} failed: {detail}", _push_hint(detail))


# git's own lines around a push, which say nothing about why the remote refused it.
_GIT_PUSH_CHATTER = (
    "Total ",
    "error: failed to push",
    "To ",
    "! ",
    "hint:",
    "Enumerating",
    "Done",
)


def _remote_said(lines: Sequence[str]) -> str:
    """What the remote side printed (a hook's reason, say), without git's own chatter."""
    stripped = [line.strip().removeprefix("remote:").strip() for line in lines]
    said = [line for line in stripped if line and not line.startswith(_GIT_PUSH_CHATTER)]
    return redact(" ".join(said))


def _stderr(exc: git.GitCommandError) -> str:
    text = str(exc.stderr or exc).strip()
    text = text.removeprefix("stderr:").strip().strip("'").strip()
    return redact(" ".join(text.split()))


def _push_hint(detail: str) -> str:
    lowered = detail.lower()
    if "hook declined" in lowered or "frozen" in lowered:
        return (
            "the branch is frozen: only the RM's push, with the release push option, "
            "may go through; push from rmtui"
        )
    if "non-fast-forward" in lowered or "fetch first" in lowered or "stale info" in lowered:
        return (
            "the remote moved on since you fetched: fetch, look at what changed, "
            "and retry the step; rmtui never force-pushes"
        )
    if "could not read" in lowered or "unable to access" in lowered or "resolve" in lowered:
        return "the remote is unreachable: check the network, then retry the step"
    return "nothing was pushed (pushes are atomic); fix the cause and retry the step"
