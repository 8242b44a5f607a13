"""bytes -> text and tables. Each format is one small module behind :func:`decode`.

The type is sniffed from the bytes, never taken from the file name alone.
Limits (documented in the README): 50 MB per document, 500 PDF pages, 200,000 table cells,
200 MB uncompressed inside a .docx/.xlsx, 60 s for a LibreOffice conversion.
"""
from __future__ import annotations

import importlib
import io
import zipfile
from dataclasses import dataclass, field

from ..errors import Errors, ExtractionError

MAX_BYTES = 50 * 1024 * 1024


@dataclass
class Decoded:
    text: str
    media_type: str
    encoding: str | None = None
    tables: list = field(default_factory=list)
    meta: dict = field(default_factory=dict)
    pages: list = field(default_factory=list)     # (text offset, page number) where each page starts
    geometry: object = None                         # a PDF's boxes of its text (extractors.geometry)


def decode(data: bytes, filename: str | None = None, progress=None) -> Decoded:
    """``progress(pages_done, pages_total)``, if given, hears of a PDF's pages as they are read."""
    if not data:
        raise ExtractionError(Errors.E001, "no bytes were sent")
    if len(data) > MAX_BYTES:
        raise ExtractionError(Errors.E004, f"{len(data)} bytes; the limit is {MAX_BYTES}")
    kind = sniff(data, filename)
    if kind == "damaged zip":
        raise ExtractionError(Errors.E006, "a damaged ZIP container (not a readable .docx/.xlsx)")
    if kind == "text" and _claims_binary_type(filename):
        raise ExtractionError(Errors.E003, f"the file is named {filename} but its bytes are not that format")
    if kind == "text":
        from .text import decode_text
        text, encoding = decode_text(data)
        return Decoded(text, "text/plain", encoding)
    if kind not in _DECODERS:
        raise ExtractionError(Errors.E003, f"{kind} files are not supported; send text, HTML, PDF, Word or Excel")
    module, function = _DECODERS[kind]
    decoder = getattr(importlib.import_module(f".{module}", __name__), function)
    return decoder(data, progress) if kind == "pdf" else decoder(data)


# each format's module is imported when a document of that format first arrives
_DECODERS = {"pdf": ("pdf", "decode_pdf"), "docx": ("office", "decode_docx"), "xlsx": ("office", "decode_xlsx"),
             "xls": ("office", "decode_xls"), "doc": ("office", "decode_doc"), "html": ("html", "decode_html")}


def sniff(data: bytes, filename: str | None) -> str:
    """The real type from the first bytes."""
    head = data[:8]
    if head.startswith(b"%PDF") or b"%PDF-" in data[:1024]:
        return "pdf"
    if head.startswith(b"PK\x03\x04"):
        return _zip_kind(data)
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        return _ole_kind(data)
    if head[:4] in (b"\x89PNG", b"GIF8") or head[:3] == b"\xff\xd8\xff" or head[:4] in (b"II*\x00", b"MM\x00*"):
        return "image"
    if head[:4] in (b"Rar!", b"7z\xbc\xaf") or head[:2] == b"\x1f\x8b":
        return "archive"
    if head[:2] == b"MZ" or head[:4] in (b"\x7fELF", b"\xcf\xfa\xed\xfe", b"\xfe\xed\xfa\xcf"):
        return "executable"
    sample = data[:4096].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if sample.startswith((b"<!doctype html", b"<html", b"<?xml")) or b"<body" in sample or b"<table" in sample:
        return "html"
    return "text"


BINARY_SUFFIXES = (".pdf", ".docx", ".xlsx", ".xls", ".doc")


def _claims_binary_type(filename: str | None) -> bool:
    """A name that promises a binary format whose bytes are none: a renamed file, not text."""
    return bool(filename) and filename.lower().endswith(BINARY_SUFFIXES)


def _zip_kind(data: bytes) -> str:
    try:
        names = set(zipfile.ZipFile(io.BytesIO(data)).namelist())
    except (zipfile.BadZipFile, ValueError):
        return "damaged zip"
    if "word/document.xml" in names:
        return "docx"
    if "xl/workbook.xml" in names:
        return "xlsx"
    return "zip archive"


def _ole_kind(data: bytes) -> str:
    """An OLE2 container by the names of its streams (UTF-16 in the directory sectors)."""
    if "WordDocument".encode("utf-16-le") in data:
        return "doc"
    if "Workbook".encode("utf-16-le") in data or "Book\x00".encode("utf-16-le") in data:
        return "xls"
    return "ole2 (doc/xls)"
