"""A step's guide as fields: what, why, what goes wrong, the SLSA threat, recovery, who, refs."""

from __future__ import annotations

import enum
from dataclasses import dataclass, fields


class Threat(enum.StrEnum):
    """The SLSA supply-chain threats (slsa.dev/spec/v1.0/threats-overview) a step can guard."""

    SOURCE_REPOSITORY = "compromised source repository"
    MODIFIED_SOURCE = "build from modified source"
    DEPENDENCY = "compromised dependency"
    BUILD_PROCESS = "compromised build process"
    MODIFIED_PACKAGE = "upload of a modified package"
    PACKAGE_REPOSITORY = "compromised package repository"
    NONE = "none"


# The Markdown headings of each field, in the order they are shown.
_HEADINGS = {
    "does": "What it does",
    "why": "Why",
    "goes_wrong": "What goes wrong in practice",
    "threat": "Threat it guards against",
    "recover": "How to recover",
    "who": "Who does it",
    "references": "References",
}


@dataclass(frozen=True)
class Guide:
    """Everything a release manager needs to understand one step, field by field.

    `threat_detail` says how the step guards against `threat`; with `Threat.NONE` it says why
    the step guards against none, and it is required either way.
    """

    does: str
    why: str
    goes_wrong: str
    threat: Threat
    threat_detail: str
    recover: str
    who: str
    # A PEP 101 section ("PEP 101: Tag the release") or a PEP ("PEP 761").
    references: tuple[str, ...]

    def __post_init__(self) -> None:
        if self.threat is Threat.NONE and not self.threat_detail.strip():
            raise ValueError("a guide whose threat is 'none' must say why")

    def missing(self) -> list[str]:
        """The names of the fields left empty."""
        empty = []
        for item in fields(self):
            value = getattr(self, item.name)
            if isinstance(value, tuple):
                if not value or not all(str(v).strip() for v in value):
                    empty.append(item.name)
            elif not str(value).strip():
                empty.append(item.name)
        return empty

    def threat_text(self) -> str:
        if self.threat is Threat.NONE:
            return f"None: {self.threat_detail}"
        return f"SLSA: {self.threat.value}. {self.threat_detail}"

    def sections(self) -> list[tuple[str, str]]:
        """(heading, text) in display order."""
        return [
            (_HEADINGS["does"], self.does),
            (_HEADINGS["why"], self.why),
            (_HEADINGS["goes_wrong"], self.goes_wrong),
            (_HEADINGS["threat"], self.threat_text()),
            (_HEADINGS["recover"], self.recover),
            (_HEADINGS["who"], self.who),
            (_HEADINGS["references"], "; ".join(self.references)),
        ]

    def markdown(self) -> str:
        """The guide as Markdown paragraphs, each opening with its bold heading."""
        return (
            "\n\n".join(
                f"**{heading}.** {' '.join(text.split())}" for heading, text in self.sections()
            )
            + "\n"
        )
