"""The registry of facts a release records: each name with its type, meaning and recorder."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Generic, Protocol, TypeVar, cast

from rmtui.core.errors import StepFailed

T = TypeVar("T")


class FactSource(Protocol):
    """Anything facts are read from (the engine's FactView, a status document's facts)."""

    def get(self, key: str) -> Any: ...


@dataclass(frozen=True)
class Fact(Generic[T]):
    """One recorded fact: `name` in state.json, the Python type of its value, what it means."""

    name: str
    kind: type
    meaning: str
    recorded_by: str

    def get(self, facts: FactSource) -> T | None:
        """The recorded value, or None when it is not recorded (or not of the declared type)."""
        value = facts.get(self.name)
        return cast(T, value) if isinstance(value, self.kind) else None

    def require(self, facts: FactSource) -> T:
        value = self.get(facts)
        if value is None:
            raise StepFailed(
                f"the fact {self.name!r} has not been recorded yet",
                f"run {self.recorded_by}, which records it, first (see `rmtui status`)",
            )
        return value

    def check(self, value: Any) -> None:
        """Refuse a value of another type than declared (None clears a fact)."""
        if value is not None and not isinstance(value, self.kind):
            raise TypeError(f"fact {self.name} takes a {self.kind.__name__}, not {value!r}")


@dataclass(frozen=True)
class FactFamily(Generic[T]):
    """Facts named `<prefix><item>`, one per artifact or role (`signed.Python-3.13.5.tgz`)."""

    prefix: str
    kind: type
    meaning: str
    recorded_by: str

    def of(self, item: str) -> Fact[T]:
        return Fact(self.prefix + item, self.kind, self.meaning, self.recorded_by)


# {file name: {"sha256": ..., "size": ..., ...}}: what a step wrote into artifacts/.
FileRecords = dict[str, dict[str, Any]]

UPSTREAM_BASE: Fact[str] = Fact(
    "upstream.base_sha", str, "upstream's branch tip the release is built on", "fork.update"
)
RELEASE_COMMIT: Fact[str] = Fact(
    "release.commit_sha", str, 'the "Python X.Y.Z" commit: the truth from here on', "release.tools"
)
TAG_OBJECT: Fact[str] = Fact("tag.object_sha", str, "the release tag's object", "tag.create")
TAG_SIGNED: Fact[bool] = Fact("tag.signed", bool, "whether the tag is GPG-signed", "tag.create")
POST_RELEASE_COMMIT: Fact[str] = Fact(
    "post_release.commit_sha", str, "the post-release bump pushed upstream", "upstream.push"
)
FROZEN_BRANCHES: Fact[list[str]] = Fact(
    "freeze.branches", list, "the branches frozen for the release", "freeze"
)
GITHUB_BEFORE: Fact[dict[str, Any]] = Fact(
    "freeze.github_restrictions_before",
    dict,
    "{branch: {users, teams, apps}}: who could push before the freeze, for unfreeze",
    "freeze",
)
TARBALLS: Fact[FileRecords] = Fact(
    "export.tarballs", dict, "each source tarball's size, SHA-256 and commit", "export.source"
)
SBOMS: Fact[FileRecords] = Fact(
    "sbom.documents", dict, "each SBOM and the tarball digest it describes", "sbom.generate"
)
DOCS: Fact[FileRecords] = Fact(
    "docs.archives", dict, "each docs archive's size and SHA-256", "docs.build"
)
SIGSTORE_SKIPPED: Fact[str] = Fact(
    "sigstore.skipped", str, "why a rehearsal signed without Sigstore", "sign.artifacts"
)
SIGNED: FactFamily[dict[str, Any]] = FactFamily(
    "signed.", dict, "an artifact's digest and its verified signatures", "sign.artifacts"
)
DELIVERED: FactFamily[dict[str, Any]] = FactFamily(
    "handoff.", dict, "what an expert delivered: {files, stand_in, source}", "handoff import"
)

FACTS: tuple[Fact[Any], ...] = (
    UPSTREAM_BASE,
    RELEASE_COMMIT,
    TAG_OBJECT,
    TAG_SIGNED,
    POST_RELEASE_COMMIT,
    FROZEN_BRANCHES,
    GITHUB_BEFORE,
    TARBALLS,
    SBOMS,
    DOCS,
    SIGSTORE_SKIPPED,
)
FAMILIES: tuple[FactFamily[Any], ...] = (SIGNED, DELIVERED)


def describe(name: str) -> Fact[Any] | None:
    """The registered fact `name` (a family's member too), or None for an unknown name."""
    for fact in FACTS:
        if fact.name == name:
            return fact
    for family in FAMILIES:
        if name.startswith(family.prefix) and len(name) > len(family.prefix):
            return family.of(name.removeprefix(family.prefix))
    return None
