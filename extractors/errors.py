"""Every error the library reports, with a stable code (spaCy's ``Errors.E097`` style).

The service maps each code to an RFC 9457 problem response; the CLI prints it on stderr.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ErrorCode:
    code: str
    status: int
    title: str


class Errors:
    E001 = ErrorCode("E001", 422, "The document is empty")
    E002 = ErrorCode("E002", 422, "The bytes could not be decoded as text")
    E003 = ErrorCode("E003", 415, "The document type is not supported")
    E004 = ErrorCode("E004", 413, "The document is too large")
    E005 = ErrorCode("E005", 400, "The request is malformed")
    E006 = ErrorCode("E006", 422, "The file is corrupt or cannot be read")
    E007 = ErrorCode("E007", 404, "Not found")
    E008 = ErrorCode("E008", 503, "Extraction took too long")
    E009 = ErrorCode("E009", 422, "The PDF has no text layer and OCR is not available")
    E010 = ErrorCode("E010", 422, "Converting this format needs a tool that is not installed")
    E011 = ErrorCode("E011", 401, "An API key is required")
    E012 = ErrorCode("E012", 401, "The API key is not valid or has been revoked")
    E013 = ErrorCode("E013", 403, "The API key's scope does not allow this")
    E014 = ErrorCode("E014", 429, "Too many requests")
    E015 = ErrorCode("E015", 409, "The Idempotency-Key was used for a different request")
    E016 = ErrorCode("E016", 413, "Too many documents in one batch")
    E017 = ErrorCode("E017", 422, "The extractor failed on this document (a defect of ours, logged)")
    E018 = ErrorCode("E018", 405, "The method is not allowed on this resource")
    E019 = ErrorCode("E019", 503, "The store cannot be read or written now")
    E020 = ErrorCode("E020", 429, "Too many crawls are running")

    @classmethod
    def all(cls) -> list[ErrorCode]:
        return [v for k, v in vars(cls).items() if k.startswith("E") and isinstance(v, ErrorCode)]


class ExtractionError(Exception):
    """A document the library cannot read. ``code`` is one of :class:`Errors`."""

    def __init__(self, error: ErrorCode, detail: str = "") -> None:
        super().__init__(f"{error.code}: {error.title}" + (f" — {detail}" if detail else ""))
        self.error = error
        self.detail = detail or error.title

    @property
    def code(self) -> str:
        return self.error.code

    @property
    def status(self) -> int:
        return self.error.status

    def to_problem(self) -> dict:
        return {
            "type": f"https://fiscal-extract.dev/errors/{self.code}",
            "title": self.error.title,
            "status": self.status,
            "code": self.code,
            "detail": self.detail,
        }
