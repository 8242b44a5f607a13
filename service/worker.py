"""Extraction in a pool of child processes, so that a document that takes too long is stopped
(E008) and its process replaced, while the server goes on answering. The child returns the
result already serialized (orjson bytes), which is cheap to hand back."""
from __future__ import annotations

import asyncio
from concurrent.futures import TimeoutError as FutureTimeout

import orjson
from pebble import ProcessPool
from pebble.common import ProcessExpired

from extractors import ExtractionError, extract
from extractors.errors import Errors


def _warm() -> None:
    from extractors import warm_up
    warm_up()


def _run(source, filename, source_url, tokens, include_text, delay=0.0) -> tuple[bool, bytes, dict | None]:
    if delay:                       # only the tests ask for a slow document
        import time
        time.sleep(delay)
    try:
        result = extract(source, filename, source_url, tokens).to_dict(include_text=include_text)
    except ExtractionError as e:
        return False, orjson.dumps(e.to_problem()), None
    summary = {"sha256": result["document"]["sha256"], "doc_type": result["document"]["doc_type"],
               "findings": [(f["rule"], f["severity"]) for f in result["findings"]]}
    return True, orjson.dumps(result), summary


class Extractor:
    def __init__(self, workers: int, timeout: float) -> None:
        self.pool = ProcessPool(max_workers=workers, initializer=_warm)
        self.timeout = timeout

    async def run(self, source, filename=None, source_url=None, tokens=False, include_text=True,
                  delay: float = 0.0) -> bytes:
        """The contract JSON as bytes; raises ExtractionError for a bad document or a timeout."""
        payload, _ = await self.run_with_summary(source, filename, source_url, tokens, include_text, delay)
        return payload

    async def run_with_summary(self, source, filename=None, source_url=None, tokens=False, include_text=True,
                               delay: float = 0.0) -> tuple[bytes, dict]:
        """The JSON bytes and a small summary (hash, type, finding rules), so that the server
        answers with the bytes as they are instead of parsing and serializing them again."""
        future = self.pool.schedule(_run, args=(source, filename, source_url, tokens, include_text, delay),
                                    timeout=self.timeout)
        try:
            ok, payload, summary = await asyncio.wrap_future(future)
        except (FutureTimeout, TimeoutError):
            raise ExtractionError(Errors.E008, f"extraction took longer than {self.timeout} s") from None
        except ProcessExpired as e:
            raise ExtractionError(Errors.E006, f"the extraction process ended ({e})") from None
        if not ok:
            problem = orjson.loads(payload)
            raise ExtractionError(getattr(Errors, problem["code"]), problem["detail"])
        return payload, summary

    def close(self) -> None:
        self.pool.stop()
        self.pool.join(timeout=5)
