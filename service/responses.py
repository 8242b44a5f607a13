"""JSON responses rendered with orjson (Decimal-free dicts of str/int/bool: fast and exact)."""
from __future__ import annotations

from typing import Any

import orjson
from fastapi.responses import JSONResponse


class FastJSONResponse(JSONResponse):
    def render(self, content: Any) -> bytes:
        return orjson.dumps(content)


class ProblemResponse(FastJSONResponse):
    media_type = "application/problem+json"


class JSONLDResponse(FastJSONResponse):
    media_type = "application/ld+json"


class NDJSONResponse(FastJSONResponse):
    media_type = "application/x-ndjson"


class CSVResponse(FastJSONResponse):
    media_type = "text/csv"
