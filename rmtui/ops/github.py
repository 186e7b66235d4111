"""A small GitHub REST client for branch protection: who may push to a release branch."""

from __future__ import annotations

import json
import urllib.parse
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import IO, TYPE_CHECKING, Any

from rmtui.core.errors import RmtuiError
from rmtui.core.redact import register_secret

if TYPE_CHECKING:
    # urllib.request pulls in http.client and email (about 20 ms): only a freeze that talks
    # to GitHub needs it, not every command that builds a plan (`rmtui status`).
    import urllib.error
    import urllib.request
    from email.message import Message

API_VERSION = "2022-11-28"
TOKEN_SECRET = "github-token"
STORE_TOKEN = "store a new one with `rmtui secrets set github-token`"
# Plain http would send the token in clear; only a server on this machine may use it (tests).
_LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1")
_RESTRICTION_KINDS = ("users", "teams", "apps")


class GitHubError(RmtuiError):
    """The GitHub API refused a request or could not be reached."""


@dataclass(frozen=True)
class PushRestrictions:
    """Who may push to a protected branch: user logins, team slugs and app slugs."""

    users: tuple[str, ...] = ()
    teams: tuple[str, ...] = ()
    apps: tuple[str, ...] = ()

    @classmethod
    def only_user(cls, login: str) -> PushRestrictions:
        return cls(users=(login,))

    def is_only(self, login: str) -> bool:
        """True when `login` alone may push (GitHub logins compare case-insensitively)."""
        return (
            [u.lower() for u in self.users] == [login.lower()] and not self.teams and not self.apps
        )

    def matches(self, other: PushRestrictions) -> bool:
        """The same people, teams and apps, in any order (GitHub does not keep ours)."""
        return all(
            sorted(n.lower() for n in getattr(self, kind))
            == sorted(n.lower() for n in getattr(other, kind))
            for kind in _RESTRICTION_KINDS
        )

    def to_fact(self) -> dict[str, list[str]]:
        return {kind: list(getattr(self, kind)) for kind in _RESTRICTION_KINDS}

    @classmethod
    def from_fact(cls, value: Mapping[str, Sequence[str]]) -> PushRestrictions:
        return cls(*(tuple(str(v) for v in value.get(kind, ())) for kind in _RESTRICTION_KINDS))

    def describe(self) -> str:
        parts = [
            f"{kind} {', '.join(getattr(self, kind))}"
            for kind in _RESTRICTION_KINDS
            if getattr(self, kind)
        ]
        return "; ".join(parts) or "nobody listed (admins only)"


def _no_redirects() -> urllib.request.HTTPRedirectHandler:
    """urllib would follow a redirect with the Authorization header, even to another host."""
    import urllib.request

    class NoRedirects(urllib.request.HTTPRedirectHandler):
        def redirect_request(
            self,
            req: urllib.request.Request,
            fp: IO[bytes],
            code: int,
            msg: str,
            headers: Message,
            newurl: str,
        ) -> urllib.request.Request | None:
            raise GitHubError(
                f"GitHub answered {req.get_method()} {urllib.parse.urlsplit(req.full_url).path} "
                f"with a redirect (HTTP {code}) to {newurl}: the repository was probably renamed "
                "or moved",
                "set [freeze].github_repo in the profile to the repository's current owner/name",
            )

    return NoRedirects()


def check_api_url(api: str) -> str:
    """The API base URL without a trailing slash; https, or http only to this machine."""
    parts = urllib.parse.urlsplit(api)
    secure = parts.scheme == "https" or (
        parts.scheme == "http" and parts.hostname in _LOOPBACK_HOSTS
    )
    if secure and parts.hostname:
        return api.rstrip("/")
    raise GitHubError(
        f"[freeze].github_api = {api!r} is not an https URL",
        "use https://api.github.com (or your GitHub Enterprise API URL); the token must "
        "never travel unencrypted",
    )


def check_repo(repo: str) -> tuple[str, str]:
    owner, _, name = repo.partition("/")
    if not owner or not name or "/" in name:
        raise GitHubError(
            f"[freeze].github_repo = {repo!r} is not of the form owner/name",
            'set it like github_repo = "python/cpython"',
        )
    return owner, name


class GitHub:
    """Branch protection of one repository, through the REST API with a token."""

    def __init__(self, api: str, repo: str, token: str, *, timeout: float = 30.0) -> None:
        register_secret(token)
        if not token.strip():
            raise GitHubError("the GitHub token is empty", STORE_TOKEN)
        self.api = check_api_url(api)
        self.owner, self.name = check_repo(repo)
        self.repo = repo
        self._token = token.strip()
        self._timeout = timeout
        import urllib.request

        self._opener = urllib.request.build_opener(_no_redirects())

    # -- requests ----------------------------------------------------------------

    def request(self, method: str, path: str, body: Any = None, *, branch: str = "") -> Any:
        """Send one request and return the decoded JSON answer; any failure raises GitHubError."""
        import urllib.error
        import urllib.request

        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(self.api + path, data=data, method=method)
        req.add_header("Accept", "application/vnd.github+json")
        req.add_header("Authorization", f"Bearer {self._token}")
        req.add_header("X-GitHub-Api-Version", API_VERSION)
        req.add_header("User-Agent", "rmtui")
        if data is not None:
            req.add_header("Content-Type", "application/json")
        try:
            with self._opener.open(req, timeout=self._timeout) as answer:
                raw = answer.read()
        except urllib.error.HTTPError as exc:
            raise self._refusal(method, path, exc, branch) from None
        except urllib.error.URLError as exc:
            raise GitHubError(
                f"cannot reach the GitHub API at {self.api}: {exc.reason}",
                "check the network (and [freeze].github_api in the profile), then retry",
            ) from None
        except (TimeoutError, ConnectionError) as exc:
            raise GitHubError(
                f"the GitHub API at {self.api} did not answer {method} {path}: {exc}",
                "check the network, then retry",
            ) from None
        if not raw:
            return None
        try:
            return json.loads(raw)
        except ValueError:
            raise GitHubError(
                f"GitHub answered {method} {path} with something that is not JSON",
                "check [freeze].github_api: it must be the REST API's URL, not the web site's",
            ) from None

    def _refusal(
        self, method: str, path: str, exc: urllib.error.HTTPError, branch: str
    ) -> GitHubError:
        try:
            message = str(json.loads(exc.read() or b"{}").get("message", ""))
        except (ValueError, AttributeError):
            message = ""
        what = f"{method} {path}"
        if exc.code == 401:
            return GitHubError(
                f"GitHub rejected the token (401 {message or 'Bad credentials'}): it is wrong, "
                "expired or revoked",
                f"make a new token with admin rights on {self.repo} and {STORE_TOKEN}, then retry",
            )
        if exc.code == 403 and exc.headers.get("X-RateLimit-Remaining") == "0":
            return GitHubError(
                f"GitHub's rate limit is used up ({what}: {message})",
                "wait until the limit resets (the X-RateLimit-Reset time), then retry",
            )
        if exc.code == 403:
            return GitHubError(
                f"GitHub refused {what} (403 {message}): the token lacks admin rights on "
                f"{self.repo}",
                "branch protection needs a repository admin: use a token with the "
                f"Administration (read and write) permission on {self.repo}; {STORE_TOKEN}",
            )
        if exc.code == 404:
            return self._not_found(message, branch)
        if exc.code == 422:
            return GitHubError(
                f"GitHub refused {what} as invalid (422 {message})",
                "push restrictions need an organisation-owned repository and logins, teams "
                "and apps that have write access to it; check the branch rule's settings",
            )
        return GitHubError(
            f"GitHub answered {what} with HTTP {exc.code} {message or exc.reason}",
            "retry later; https://www.githubstatus.com shows GitHub's outages",
        )

    def _not_found(self, message: str, branch: str) -> GitHubError:
        lowered = message.lower()
        rule = f"the branch protection rule for {branch} (Settings → Branches)"
        if "not protected" in lowered:
            return GitHubError(
                f"{branch} of {self.repo} has no branch protection rule (404 {message})",
                f"add {rule} with “Restrict who can push” enabled, or set "
                '[freeze].method = "manual" in the profile, then retry',
            )
        if "restrictions not enabled" in lowered:
            return GitHubError(
                f"the protection rule of {branch} in {self.repo} does not restrict who can push "
                f"(404 {message})",
                f"enable “Restrict who can push to matching branches” in {rule}, then retry",
            )
        if "branch not found" in lowered:
            return GitHubError(
                f"{self.repo} has no branch {branch} (404 {message})",
                "check the release version and the profile's [branches] rules",
            )
        return GitHubError(
            f"GitHub shows no repository {self.repo} (404 {message or 'Not Found'}): it does not "
            "exist, or the token cannot see it",
            "check [freeze].github_repo in the profile, and that the token was granted access "
            f"to {self.repo}",
        )

    def _branch_path(self, branch: str, suffix: str = "") -> str:
        quoted = urllib.parse.quote(branch, safe="")
        return f"/repos/{self.owner}/{self.name}/branches/{quoted}/protection{suffix}"

    # -- what the freeze uses -------------------------------------------------------

    def login(self) -> str:
        """The login of the token's owner: the release manager."""
        answer = self.request("GET", "/user")
        if not isinstance(answer, dict) or not answer.get("login"):
            raise GitHubError(
                "GitHub did not say whose token this is (GET /user has no login)",
                "use a personal access token of the release manager's own account",
            )
        return str(answer["login"])

    def protection(self, branch: str) -> dict[str, Any]:
        answer = self.request("GET", self._branch_path(branch), branch=branch)
        if not isinstance(answer, dict):
            raise GitHubError(
                f"GitHub's answer about {branch}'s protection is not an object",
                "check [freeze].github_api",
            )
        return answer

    def push_restrictions(self, branch: str) -> PushRestrictions | None:
        """Who may push to `branch`, or None when its rule does not restrict pushes."""
        restrictions = self.protection(branch).get("restrictions")
        if not isinstance(restrictions, dict):
            return None
        return PushRestrictions(
            users=tuple(str(u["login"]) for u in restrictions.get("users", [])),
            teams=tuple(str(t["slug"]) for t in restrictions.get("teams", [])),
            apps=tuple(str(a["slug"]) for a in restrictions.get("apps", [])),
        )

    def set_push_restrictions(self, branch: str, wanted: PushRestrictions) -> None:
        """Replace the users, teams and apps allowed to push (each list is replaced whole)."""
        # Users first: when freezing, the RM is never locked out between two requests.
        for kind in _RESTRICTION_KINDS:
            names = list(getattr(wanted, kind))
            self.request(
                "PUT",
                self._branch_path(branch, f"/restrictions/{kind}"),
                {kind: names},
                branch=branch,
            )
