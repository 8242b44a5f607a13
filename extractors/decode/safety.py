"""Guards for hostile files: zip bombs and oversized containers."""
from __future__ import annotations

import io
import zipfile

from ..errors import Errors, ExtractionError

MAX_UNCOMPRESSED = 200 * 1024 * 1024
MAX_RATIO = 200
MAX_MEMBERS = 10_000
MAX_XML_PART = 32 * 1024 * 1024      # one XML part inflated: a parse costs some twenty times this


def check_zip(data: bytes) -> None:
    """Refuse a .docx/.xlsx whose members would inflate beyond the limits, before reading any."""
    try:
        infos = zipfile.ZipFile(io.BytesIO(data)).infolist()
    except (zipfile.BadZipFile, ValueError) as e:
        raise ExtractionError(Errors.E006, f"damaged ZIP container: {e}") from None
    if len(infos) > MAX_MEMBERS:
        raise ExtractionError(Errors.E004, f"{len(infos)} members in the container")
    total = sum(i.file_size for i in infos)
    if total > MAX_UNCOMPRESSED:
        raise ExtractionError(Errors.E004, f"would inflate to {total} bytes (zip bomb?); the limit is {MAX_UNCOMPRESSED}")
    for i in infos:
        if i.filename.endswith((".xml", ".rels")) and i.file_size > MAX_XML_PART:
            raise ExtractionError(Errors.E004, f"{i.filename} inflates to {i.file_size} bytes; "
                                               f"the limit for one XML part is {MAX_XML_PART}")
        if i.file_size > 10 * 1024 * 1024 and i.compress_size and i.file_size / i.compress_size > MAX_RATIO:
            raise ExtractionError(Errors.E004, f"{i.filename} inflates {i.file_size // i.compress_size}× (zip bomb?)")
