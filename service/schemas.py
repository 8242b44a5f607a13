"""Request and response models of the HTTP API (kept apart from the library's result)."""
from __future__ import annotations

from pydantic import BaseModel, Field

from extractors.errors import Errors


class ExtractRequest(BaseModel):
    text: str = Field(description="the disclosure's text")
    filename: str | None = None
    source_url: str | None = None


class Problem(BaseModel):
    type: str
    title: str
    status: int
    code: str = Field(description="one of: " + ", ".join(f"{e.code} {e.title}" for e in Errors.all()))
    detail: str
    instance: str | None = None


PROBLEM_RESPONSES = {
    status: {"model": Problem, "content": {"application/problem+json": {}},
             "description": "; ".join(f"{e.code} {e.title}" for e in Errors.all() if e.status == status)}
    for status in sorted({e.status for e in Errors.all()})
}
