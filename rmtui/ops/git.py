"""A thin layer over GitPython for the release's git work; rejected pushes always raise."""

from __future__ import annotations

import logging
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import git

from rmtui.core.errors import GitError, ShellError
from rmtui.core.redact import redact
from rmtui.ops import shell
from rmtui.ops.shell import Sink

# GitPython logs a push's error lines itself, unredacted; rmtui reports them in its own errors.
logging.getLogger("git.remote").addHandler(logging.NullHandler())
logging.getLogger("git.remote").propagate = False

_PUSH_FAILED = (
    git.PushInfo.ERROR
    | git.PushInfo.REJECTED
    | git.PushInfo.REMOTE_REJECTED
    | git.PushInfo.REMOTE_FAILURE
)


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
        try:
            self.repo = git.Repo(self.path)
        except (git.NoSuchPathError, git.InvalidGitRepositoryError):
            raise GitError(
                f"{self.path} is not a git repository",
                "check [repos].clone in the profile, or clone the repository there",
            ) from None

    # -- plain commands, streamed ---------------------------------------------

    def run(
        self,
        *args: str,
        check: bool = True,
        env: Mapping[str, str] | None = None,
        pass_fds: Sequence[int] = (),
        input_text: str | None = None,
        echo: bool = True,
        hint: str = "",
    ) -> str:
        try:
            result = shell.run(
                ["git", "-C", str(self.path), *args],
                env=env,
                sink=self.sink,
                check=check,
                pass_fds=pass_fds,
                input_text=input_text,
                cancel=self.cancel,
                echo=echo,
                hint=hint,
            )
        except ShellError as exc:
            raise GitError(exc.problem, exc.hint) from None
        return result.output

    def quiet(self, *args: str) -> str:
        """A read-only git command whose output matters but need not be streamed."""
        try:
            out: str = self.repo.git.execute(["git", *args])
        except git.GitCommandError as exc:
            raise GitError(
                f"`git {' '.join(args)}` failed in {self.path}: {_stderr(exc)}",
                "check the repository state",
            ) from None
        return out

    # -- queries ---------------------------------------------------------------

    def rev_parse(self, ref: str) -> str | None:
        """The object a ref names, or None when it does not exist."""
        try:
            out: str = self.repo.git.rev_parse("--verify", "--quiet", ref)
        except git.GitCommandError:
            return None
        return out.strip() or None

    def commit_of(self, ref: str) -> str | None:
        return self.rev_parse(f"{ref}^{{commit}}")

    def is_clean(self) -> bool:
        return not self.dirty_files()

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

    def ls_remote_object(self, remote: str, ref: str) -> str | None:
        """The object `ref` names on `remote`, not peeled (the tag object for annotated tags)."""
        try:
            out = str(self.repo.git.ls_remote(remote, ref))
        except git.GitCommandError as exc:
            raise GitError(
                f"cannot read {ref} from {remote}: {_stderr(exc)}",
                "check the network and the remote's URL, then retry",
            ) from None
        for line in out.splitlines():
            sha, _, name = line.partition("\t")
            if name == ref:
                return sha
        return None

    # -- changes -----------------------------------------------------------------

    def fetch(self, remote: str, *refspecs: str, tags: bool = False) -> None:
        args = ["fetch", "--prune", remote, *refspecs]
        if tags:
            args.insert(1, "--tags")
        self.run(*args, hint=f"check the network and that the remote {remote!r} exists")

    def push(
        self,
        remote: str,
        refspecs: Sequence[str],
        *,
        push_options: Sequence[str] = (),
        dry_run: bool = False,
    ) -> list[PushedRef]:
        """Push atomically; any rejected ref, hook refusal or network failure raises GitError."""
        kwargs: dict[str, Any] = {"atomic": True}
        if dry_run:
            kwargs["dry_run"] = True
        # A dry run runs no hook, and git sends push options after an empty command list,
        # so receive-pack may hang up first and git dies of SIGPIPE: never send them then.
        if dry_run:
            push_options = ()
        if push_options:
            kwargs["push_option"] = list(push_options)
        shown = shell.display(
            ["git", "push", "--atomic", *(["--dry-run"] if dry_run else [])]
            + [f"--push-option={o}" for o in push_options]
            + [remote, *refspecs]
        )
        if self.sink is not None:
            self.sink(f"$ {shown}")
        # Keeps the lines the remote side printed ("remote: ..."), such as a hook's reason.
        progress = git.RemoteProgress()
        try:
            infos = self.repo.remote(remote).push(list(refspecs), progress=progress, **kwargs)
        except ValueError:
            raise GitError(
                f"the repository has no remote {remote!r}",
                f"add it: git -C {self.path} remote add {remote} URL",
            ) from None
        except git.GitCommandError as exc:
            raise GitError(
                f"push to {remote} failed: {_stderr(exc)}", _push_hint(_stderr(exc))
            ) from None
        pushed: list[PushedRef] = []
        failures: list[str] = []
        for info in infos:
            local = info.local_ref.name if info.local_ref is not None else ""
            remote_ref = info.remote_ref_string
            summary = redact(info.summary.strip())
            if self.sink is not None:
                self.sink(f"  {local or '(delete)'} -> {remote_ref}: {summary}")
            if info.flags & _PUSH_FAILED:
                failures.append(f"{remote_ref}: {summary}")
            pushed.append(PushedRef(local, remote_ref, summary))
        if failures or not infos:
            detail = "; ".join(failures) or "git reported nothing pushed"
            said = _remote_said(progress)
            if said:
                detail += f"; the remote said: {said}"
            raise GitError(f"push to {remote} was rejected: {detail}", _push_hint(detail))
        return pushed


# git's own lines around a push, which say nothing about why the remote refused it.
_GIT_PUSH_CHATTER = ("Total ", "error: failed to push", "To ", "! ", "hint:", "Enumerating")


def _remote_said(progress: git.RemoteProgress) -> str:
    """What the remote side printed (a hook's reason, say), without git's own chatter."""
    lines = [line.strip().removeprefix("remote:").strip() for line in progress.other_lines]
    said = [line for line in lines if line and not line.startswith(_GIT_PUSH_CHATTER)]
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


def clone_bare(source: str | Path, destination: Path) -> None:
    git.Repo.clone_from(str(source), str(destination), bare=True)


def init_bare(destination: Path, initial_branch: str = "main") -> None:
    git.Repo.init(str(destination), bare=True, initial_branch=initial_branch)
