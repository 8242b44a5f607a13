"""The extraction result and its one serialization to the v1 contract."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

SCHEMA_VERSION = "1.1"


@dataclass
class Result:
    """The v1 contract document. ``to_dict()`` is the JSON the API, CLI and store carry."""

    document: dict
    quantities: list[dict] = field(default_factory=list)
    facts: list[dict] = field(default_factory=list)
    line_items: list[dict] = field(default_factory=list)
    indicators: list[dict] = field(default_factory=list)
    findings: list[dict] = field(default_factory=list)
    disclosure_checklist: list[dict] = field(default_factory=list)
    checks: list[dict] = field(default_factory=list)
    tokens: list[dict] | None = None

    def to_dict(self, include_text: bool = True) -> dict[str, Any]:
        document = dict(self.document)
        if not include_text:
            document.pop("text", None)
        out = {
            "schema_version": SCHEMA_VERSION,
            "document": document,
            "quantities": self.quantities,
            "facts": self.facts,
            "line_items": self.line_items,
            "indicators": self.indicators,
            "findings": self.findings,
            "disclosure_checklist": self.disclosure_checklist,
            "checks": self.checks,
        }
        if self.tokens is not None:
            out["tokens"] = self.tokens
        return out

    @property
    def text(self) -> str:
        return self.document["text"]

