"""bytes -> text. Each format is one small module behind :func:`decode`."""
from __future__ import annotations

from dataclasses import dataclass, field

from ..errors import Errors, ExtractionError
from . import text as _text

MAX_BYTES = 50 * 1024 * 1024


@dataclass
class Decoded:
    text: str
    media_type: str
    encoding: str | None = None
    tables: list = field(default_factory=list)


def decode(data: bytes, filename: str | None = None) -> Decoded:
    if not data:
        raise ExtractionError(Errors.E001, "no bytes were sent")
    if len(data) > MAX_BYTES:
        raise ExtractionError(Errors.E004, f"{len(data)} bytes; the limit is {MAX_BYTES}")
    kind = sniff(data, filename)
    if kind == "text":
        text, encoding = _text.decode_text(data)
        return Decoded(text, "text/plain", encoding)
    raise ExtractionError(Errors.E003, f"{kind} documents are not supported yet; send text")


def sniff(data: bytes, filename: str | None) -> str:
    """The real type from the first bytes, never from the file name alone."""
    head = data[:8]
    if head.startswith(b"%PDF"):
        return "pdf"
    if head.startswith(b"PK\x03\x04"):
        return "zip (docx/xlsx)"
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        return "ole2 (doc/xls)"
    if head[:4] in (b"\x89PNG", b"GIF8") or head[:3] == b"\xff\xd8\xff":
        return "image"
    return "text"
