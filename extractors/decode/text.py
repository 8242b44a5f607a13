"""Plain text in UTF-8, GB18030/GBK, Big5 or UTF-16 (with a BOM)."""
from __future__ import annotations

import codecs
import unicodedata

from charset_normalizer import from_bytes

from ..errors import Errors, ExtractionError

_BOMS = [(codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16")]
_CANDIDATES = ["utf-8", "gb18030", "big5", "utf-16"]


def decode_text(data: bytes) -> tuple[str, str]:
    """Bytes of plain text to str, by BOM, then strict UTF-8, then detection (GB18030, Big5)."""
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            return _strict(data, encoding), encoding
    try:
        return _strict(data, "utf-8"), "utf-8"
    except ExtractionError:
        pass
    if b"\x00" in data[:4096]:
        raise ExtractionError(Errors.E002, "binary data (NUL bytes) is not text")
    best = from_bytes(data, cp_isolation=_CANDIDATES[1:3]).best()
    if best is None or best.encoding is None:
        raise ExtractionError(Errors.E002, "neither UTF-8, GB18030 nor Big5")
    return _strict(data, best.encoding), best.encoding


def _strict(data: bytes, encoding: str) -> str:
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError as e:
        raise ExtractionError(Errors.E002, f"not valid {encoding}: {e.reason} at byte {e.start}") from e
    if _looks_binary(text):
        raise ExtractionError(Errors.E002, f"decodes as {encoding} but is mostly control or unassigned characters")
    return text


def _looks_binary(text: str) -> bool:
    """A BOM in front of binary data decodes without error; its characters give it away."""
    sample = text[:4096]
    odd = sum(1 for ch in sample if ch not in "\n\r\t" and unicodedata.category(ch) in ("Cc", "Cn", "Co", "Cs"))
    return bool(sample) and (odd / len(sample) > 0.1 or "\x00" in sample)
