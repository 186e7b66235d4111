"""The GitHub and manual freeze methods, against a real HTTP server on loopback."""

from __future__ import annotations

import dataclasses
import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from rmtui.core.engine import Engine
from rmtui.core.profile import profile_from_dict
from rmtui.core.release import Release, write_release_file
from rmtui.core.status import Status
from rmtui.core.store import Journal, StateStore
from rmtui.core.version import parse_version
from rmtui.ops.github import GitHub, GitHubError, PushRestrictions
from rmtui.ops.secrets import Secrets
from rmtui.steps.freeze import FACT_GITHUB_BEFORE
from rmtui.usecases.lifecycle import create_release, make_engine
from tests.e2e.test_release_types import assert_released
from tests.helpers import ScriptedPrompter, make_sandbox, short_tmpdir
from tests.steps.test_git_half import skip_outside_git_half

TOKEN = "ghp_rmtuiTestToken0123456789abcdef"
RM = "hugovk"
REPO = "python/cpython"
BEFORE = {"users": ["miss-islington"], "teams": ["python-core"], "apps": ["bedevere"]}


@dataclass
class Sent:
    method: str
    path: str
    headers: dict[str, str]
    body: Any


@dataclass
class FakeGitHub:
    """The few endpoints of GitHub's REST API that the freeze uses, with their refusals."""

    # branch -> {"users": [...], "teams": [...], "apps": [...]}, or None: protected but pushes
    # are not restricted. A branch missing here has no protection rule at all.
    rules: dict[str, dict[str, list[str]] | None] = field(default_factory=dict)
    branches: set[str] = field(default_factory=lambda: {"main", "3.13", "3.14"})
    token: str = TOKEN
    login: str = RM
    admin: bool = True
    # Status codes to answer the next PUTs with, before behaving normally again.
    put_failures: list[int] = field(default_factory=list)
    sent: list[Sent] = field(default_factory=list)

    def answer(self, method: str, path: str, auth: str, body: Any) -> tuple[int, Any]:
        if auth != f"Bearer {self.token}":
            return 401, {"message": "Bad credentials"}
        if method == "GET" and path == "/user":
            return 200, {"login": self.login, "id": 1}
        if path.startswith("/repos/python/cpython-old/"):
            return 301, {"message": "Moved Permanently"}
        prefix = f"/repos/{REPO}/branches/"
        if not path.startswith(prefix):
            return 404, {"message": "Not Found"}
        branch, _, rest = path.removeprefix(prefix).partition("/")
        if branch not in self.branches:
            return 404, {"message": "Branch not found"}
        if branch not in self.rules:
            return 404, {"message": "Branch not protected"}
        rule = self.rules[branch]
        if method == "GET" and rest == "protection":
            return 200, self._protection(branch, rule)
        kind = rest.removeprefix("protection/restrictions/")
        if method == "PUT" and kind in ("users", "teams", "apps"):
            if not self.admin:
                return 403, {"message": "Resource not accessible by personal access token"}
            if self.put_failures:
                return self.put_failures.pop(0), {"message": "Server Error"}
            if rule is None:
                return 404, {"message": "Push restrictions not enabled"}
            rule[kind] = list(body[kind])
            return 200, [self._entry(kind, name) for name in rule[kind]]
        return 404, {"message": "Not Found"}

    @staticmethod
    def _entry(kind: str, name: str) -> dict[str, Any]:
        return {"login": name, "type": "User"} if kind == "users" else {"slug": name}

    def _protection(self, branch: str, rule: dict[str, list[str]] | None) -> dict[str, Any]:
        doc: dict[str, Any] = {
            "url": f"https://api.github.com/repos/{REPO}/branches/{branch}/protection",
            "enforce_admins": {"enabled": True},
            "required_linear_history": {"enabled": False},
        }
        if rule is not None:
            doc["restrictions"] = {
                kind: [self._entry(kind, name) for name in rule[kind]]
                for kind in ("users", "teams", "apps")
            }
        return doc


@dataclass
class Server:
    github: FakeGitHub
    url: str

    def puts(self) -> list[Sent]:
        return [s for s in self.github.sent if s.method == "PUT"]


@pytest.fixture
def server() -> Iterator[Server]:
    github = FakeGitHub(rules={"3.13": {k: list(v) for k, v in BEFORE.items()}})

    class Handler(BaseHTTPRequestHandler):
        def _handle(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            body = json.loads(raw) if raw else None
            github.sent.append(
                Sent(self.command, self.path, {k.lower(): v for k, v in self.headers.items()}, body)
            )
            code, doc = github.answer(
                self.command, self.path, self.headers.get("Authorization", ""), body
            )
            data = json.dumps(doc).encode()
            self.send_response(code)
            if code == 301:
                self.send_header("Location", self.path.replace("cpython-old", "cpython"))
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_PUT = _handle

        def log_message(self, format: str, *args: Any) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, args=(0.01,), daemon=True)
    thread.start()
    try:
        yield Server(github, f"http://127.0.0.1:{httpd.server_address[1]}")
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join()


# -- the client --------------------------------------------------------------------------------


def test_client_reads_and_sets_restrictions_with_the_documented_requests(server: Server) -> None:
    api = GitHub(server.url + "/", REPO, TOKEN)
    assert api.login() == RM
    before = api.push_restrictions("3.13")
    assert before == PushRestrictions(("miss-islington",), ("python-core",), ("bedevere",))
    api.set_push_restrictions("3.13", PushRestrictions.only_user(RM))
    assert api.push_restrictions("3.13") == PushRestrictions.only_user(RM)

    first = server.github.sent[0]
    assert (first.method, first.path) == ("GET", "/user")
    for sent in server.github.sent:
        assert sent.headers["authorization"] == f"Bearer {TOKEN}"
        assert sent.headers["accept"] == "application/vnd.github+json"
        assert sent.headers["x-github-api-version"] == "2022-11-28"
    protection = "/repos/python/cpython/branches/3.13/protection"
    assert [(s.method, s.path, s.body) for s in server.puts()] == [
        ("PUT", f"{protection}/restrictions/users", {"users": [RM]}),
        ("PUT", f"{protection}/restrictions/teams", {"teams": []}),
        ("PUT", f"{protection}/restrictions/apps", {"apps": []}),
    ]
    assert all(s.headers["content-type"] == "application/json" for s in server.puts())


def test_a_bad_token_is_a_401_that_says_how_to_store_a_new_one(server: Server) -> None:
    wrong = "ghp_expiredTokenThatGitHubRejects42"
    with pytest.raises(GitHubError) as caught:
        GitHub(server.url, REPO, wrong).login()
    text = str(caught.value)
    assert "401" in text and "wrong, expired or revoked" in text
    assert "rmtui secrets set github-token" in text
    assert wrong not in text


def test_each_404_says_what_is_missing(server: Server) -> None:
    api = GitHub(server.url, REPO, TOKEN)
    with pytest.raises(GitHubError, match=r"3\.14 of python/cpython has no branch protection rule"):
        api.push_restrictions("3.14")
    with pytest.raises(GitHubError, match=r"python/cpython has no branch 3\.99"):
        api.push_restrictions("3.99")
    with pytest.raises(GitHubError, match="no repository python/cpythn") as caught:
        GitHub(server.url, "python/cpythn", TOKEN).push_restrictions("3.13")
    assert "github_repo" in caught.value.hint
    server.github.rules["main"] = None
    assert api.push_restrictions("main") is None
    with pytest.raises(GitHubError, match="does not restrict who can push"):
        api.set_push_restrictions("main", PushRestrictions.only_user(RM))


def test_403_means_the_token_lacks_admin_rights(server: Server) -> None:
    server.github.admin = False
    with pytest.raises(GitHubError, match="lacks admin rights on python/cpython") as caught:
        GitHub(server.url, REPO, TOKEN).set_push_restrictions("3.13", PushRestrictions())
    assert "Administration" in caught.value.hint


def test_redirects_are_not_followed_with_the_token(server: Server) -> None:
    with pytest.raises(GitHubError, match="redirect") as caught:
        GitHub(server.url, "python/cpython-old", TOKEN).push_restrictions("3.13")
    assert "github_repo" in caught.value.hint
    assert [s.path for s in server.github.sent] == [
        "/repos/python/cpython-old/branches/3.13/protection"
    ]


def test_network_failures_and_unsafe_urls_are_clear() -> None:
    with pytest.raises(GitHubError, match="cannot reach the GitHub API") as caught:
        GitHub("http://127.0.0.1:1", REPO, TOKEN).login()
    assert "network" in caught.value.hint
    with pytest.raises(GitHubError, match="not an https URL"):
        GitHub("http://api.github.com", REPO, TOKEN)
    with pytest.raises(GitHubError, match="not of the form owner/name"):
        GitHub("https://api.github.com", "cpython", TOKEN)


def test_restrictions_round_trip_through_a_fact() -> None:
    restrictions = PushRestrictions(("a", "b"), ("team",), ())
    assert PushRestrictions.from_fact(json.loads(json.dumps(restrictions.to_fact()))) == (
        restrictions
    )
    assert PushRestrictions.only_user("HugoVK").is_only("hugovk")
    assert not PushRestrictions(("hugovk",), ("core",)).is_only("hugovk")
    assert PushRestrictions(("B", "a"), ("t",)).matches(PushRestrictions(("a", "b"), ("t",)))
    assert not PushRestrictions(("a",)).matches(PushRestrictions(("a",), apps=("bot",)))


# -- the freeze and unfreeze steps -----------------------------------------------------------


def _release(workspace: Path, method: str, api: str = "https://api.github.com") -> Release:
    profile = profile_from_dict(
        {
            "name": "ghtest",
            "rehearsal": True,
            "repos": {"upstream": "/nonexistent/u.git", "fork": "/nonexistent/f.git", "clone": "."},
            "freeze": {"method": method, "github_api": api, "github_repo": REPO},
        }
    )
    return Release(parse_version("3.13.5"), profile, workspace, created="2026-11-01T00:00:00Z")


def _engine(tmp_path: Path, method: str, prompter: ScriptedPrompter, api: str = "") -> Engine:
    workspace = tmp_path / "ws"
    if not (workspace / "state.json").exists():
        create_release(_release(workspace, method, api or "https://api.github.com"))
    return make_engine(workspace, prompter)


def _assert_history_intact(workspace: Path) -> None:
    state = StateStore(workspace / "state.json").load()
    assert Journal(workspace / "journal.jsonl").verify((state.journal_seq, state.journal_sha)) == []


def _no_token_on_disk(workspace: Path) -> None:
    for path in workspace.rglob("*"):
        if path.is_file():
            assert TOKEN not in path.read_text(errors="replace"), path


def test_github_freeze_then_unfreeze_restores_exactly_what_was_there(
    tmp_path: Path, server: Server
) -> None:
    Secrets("ghtest").set("github-token", TOKEN)
    prompter = ScriptedPrompter()
    engine = _engine(tmp_path, "github", prompter, server.url)
    with engine.opened():
        assert engine.run_step("freeze") is Status.DONE
        assert server.github.rules["3.13"] == {"users": [RM], "teams": [], "apps": []}
        assert engine.state.fact(FACT_GITHUB_BEFORE) == {"3.13": BEFORE}
        assert engine.run_step("unfreeze") is Status.DONE
    assert server.github.rules["3.13"] == BEFORE
    assert prompter.questions == []
    _assert_history_intact(tmp_path / "ws")
    _no_token_on_disk(tmp_path / "ws")


def test_a_branch_only_the_rm_may_push_to_is_probed_as_frozen(
    tmp_path: Path, server: Server
) -> None:
    Secrets("ghtest").set("github-token", TOKEN)
    server.github.rules["3.13"] = {"users": [RM.upper()], "teams": [], "apps": []}
    prompter = ScriptedPrompter(True)
    engine = _engine(tmp_path, "github", prompter, server.url)
    with engine.opened():
        assert engine.run_step("freeze") is Status.DONE
        assert (
            "already in place: only hugovk may push to 3.13" in engine.state.steps["freeze"].reason
        )
        assert server.puts() == []
        # Nothing recorded what was there before, so unfreeze asks the RM to restore it by hand.
        assert engine.run_step("unfreeze") is Status.DONE
    assert [q.text for q in prompter.questions] == ["Is 3.13 unfrozen?"]
    assert server.puts() == []


def test_a_missing_token_is_asked_for_and_never_stored(tmp_path: Path, server: Server) -> None:
    prompter = ScriptedPrompter(TOKEN)
    engine = _engine(tmp_path, "github", prompter, server.url)
    with engine.opened():
        assert engine.run_step("freeze") is Status.DONE
    assert [q.kind for q in prompter.questions] == ["secret"]
    assert "rmtui secrets set github-token" in prompter.questions[0].text
    log = (tmp_path / "ws" / "logs" / "freeze.log").read_text()
    assert "store it with `rmtui secrets set github-token`" in log
    _no_token_on_disk(tmp_path / "ws")


def test_a_401_fails_the_freeze_and_a_new_token_completes_it(
    tmp_path: Path, server: Server
) -> None:
    expired = "ghp_expiredTokenThatGitHubRejects42"
    Secrets("ghtest").set("github-token", expired)
    engine = _engine(tmp_path, "github", ScriptedPrompter(), server.url)
    with engine.opened():
        assert engine.run_step("freeze") is Status.FAILED
        record = engine.state.steps["freeze"]
        assert "401" in record.error and "rmtui secrets set github-token" in record.hint
    assert server.github.rules["3.13"] == BEFORE
    _assert_history_intact(tmp_path / "ws")
    state_text = (tmp_path / "ws" / "state.json").read_text()
    assert expired not in state_text

    Secrets("ghtest").set("github-token", TOKEN)
    with engine.opened():
        engine.retry("freeze")
        assert engine.run_step("freeze") is Status.DONE
    assert server.github.rules["3.13"] == {"users": [RM], "teams": [], "apps": []}


def test_a_404_names_the_missing_rule_and_retry_works_once_it_exists(
    tmp_path: Path, server: Server
) -> None:
    Secrets("ghtest").set("github-token", TOKEN)
    del server.github.rules["3.13"]
    engine = _engine(tmp_path, "github", ScriptedPrompter(), server.url)
    with engine.opened():
        assert engine.run_step("freeze") is Status.FAILED
        record = engine.state.steps["freeze"]
        assert "3.13 of python/cpython has no branch protection rule" in record.error
        assert "manual" in record.hint
    _assert_history_intact(tmp_path / "ws")

    server.github.rules["3.13"] = None
    with engine.opened():
        engine.retry("freeze")
        assert engine.run_step("freeze") is Status.FAILED
        assert "does not restrict who can push" in engine.state.steps["freeze"].error

    server.github.rules["3.13"] = {k: list(v) for k, v in BEFORE.items()}
    with engine.opened():
        engine.retry("freeze")
        assert engine.run_step("freeze") is Status.DONE


def test_a_freeze_cut_short_keeps_the_original_rule_for_unfreeze(
    tmp_path: Path, server: Server
) -> None:
    Secrets("ghtest").set("github-token", TOKEN)
    server.github.put_failures = [502]
    engine = _engine(tmp_path, "github", ScriptedPrompter(), server.url)
    with engine.opened():
        assert engine.run_step("freeze") is Status.FAILED
        assert "HTTP 502" in engine.state.steps["freeze"].error
        engine.retry("freeze")
        assert engine.run_step("freeze") is Status.DONE
        assert engine.state.fact(FACT_GITHUB_BEFORE) == {"3.13": BEFORE}
        assert engine.run_step("unfreeze") is Status.DONE
    assert server.github.rules["3.13"] == BEFORE


def test_unfreeze_asks_before_overwriting_a_rule_changed_meanwhile(
    tmp_path: Path, server: Server
) -> None:
    Secrets("ghtest").set("github-token", TOKEN)
    prompter = ScriptedPrompter(False)
    engine = _engine(tmp_path, "github", prompter, server.url)
    with engine.opened():
        assert engine.run_step("freeze") is Status.DONE
        server.github.rules["3.13"] = {"users": [RM, "someone"], "teams": [], "apps": []}
        assert engine.run_step("unfreeze") is Status.FAILED
        assert "changed during the release" in engine.state.steps["unfreeze"].error
        assert "someone" in prompter.questions[0].detail
        prompter.answers.append(True)
        engine.retry("unfreeze")
        assert engine.run_step("unfreeze") is Status.DONE
    assert server.github.rules["3.13"] == BEFORE


def test_manual_freeze_confirmed_is_done_and_declined_fails_with_the_instructions(
    tmp_path: Path,
) -> None:
    prompter = ScriptedPrompter(False, True, True)
    engine = _engine(tmp_path, "manual", prompter)
    with engine.opened():
        assert engine.run_step("freeze") is Status.FAILED
        record = engine.state.steps["freeze"]
        assert "not confirmed" in record.error
        assert "Settings → Branches" in record.hint and "release manager only" in record.hint
        engine.retry("freeze")
        assert engine.run_step("freeze") is Status.DONE
        assert engine.run_step("unfreeze") is Status.DONE
    assert [q.text for q in prompter.questions] == [
        "Is 3.13 frozen?",
        "Is 3.13 frozen?",
        "Is 3.13 unfrozen?",
    ]
    assert "python/cpython → Settings → Branches" in prompter.questions[0].detail
    _assert_history_intact(tmp_path / "ws")


def test_a_rehearsal_frozen_through_the_github_api_completes_after_a_401(server: Server) -> None:
    with short_tmpdir("gf") as tmp:
        sb, release = make_sandbox(tmp, "3.13.5")
        profile = release.profile
        freeze = dataclasses.replace(profile.freeze, method="github", github_api=server.url)
        write_release_file(
            dataclasses.replace(release, profile=dataclasses.replace(profile, freeze=freeze))
        )
        expired = "ghp_expiredTokenThatGitHubRejects42"
        Secrets("sandbox").set("github-token", expired)
        engine = make_engine(sb.workspace, ScriptedPrompter(confirm_by_default=True))
        skip_outside_git_half(engine)
        with engine.opened():
            engine.run_until()
            assert engine.state.steps["freeze"].status is Status.FAILED
            assert "401" in engine.state.steps["freeze"].error
            assert engine.state.steps["fork.update"].status is Status.PENDING
        _assert_history_intact(sb.workspace)
        Secrets("sandbox").set("github-token", TOKEN)
        with engine.opened():
            engine.retry("freeze")
            engine.run_until()
            assert engine.is_complete()
        assert server.github.rules["3.13"] == BEFORE
        assert_released(sb.root, "3.13.5")
        _no_token_on_disk(sb.workspace)
        assert expired not in (sb.workspace / "journal.jsonl").read_text()
