"""Prometheus metrics, JSON logs, and a request id echoed in X-Request-ID."""
from __future__ import annotations

import logging
import os
import time

import orjson
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest

REGISTRY = CollectorRegistry()
REQUESTS = Counter("fiscal_requests_total", "HTTP requests", ["method", "route", "status"], registry=REGISTRY)
LATENCY = Histogram("fiscal_request_seconds", "HTTP request latency", ["route"], registry=REGISTRY,
                    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30))
EXTRACTION = Histogram("fiscal_extraction_seconds", "Extraction time per document", registry=REGISTRY,
                       buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60))
DOCUMENTS = Counter("fiscal_documents_total", "Documents extracted", ["doc_type"], registry=REGISTRY)
FINDINGS = Counter("fiscal_findings_total", "Findings reported", ["rule", "severity"], registry=REGISTRY)

log = logging.getLogger("fiscal_extract")


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        out = {"time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S%z"), "level": record.levelname,
               "logger": record.name, "message": record.getMessage()}
        out.update(getattr(record, "fields", {}))
        return orjson.dumps(out, default=str, option=orjson.OPT_NON_STR_KEYS).decode()


def _no_caller(stack_info: bool = False, stacklevel: int = 1):
    return "(unknown file)", 0, "(unknown function)", None


# The service's records do not say which source line made them (no format here shows it): finding
# it walks up the deep ASGI stack, on every request's log line.
log.findCaller = _no_caller         # type: ignore[method-assign]


def configure_logging(json_logs: bool) -> None:
    handler = logging.StreamHandler()
    handler.setFormatter(JsonFormatter() if json_logs else logging.Formatter("%(levelname)s %(message)s"))
    log.handlers[:] = [handler]
    log.setLevel(logging.INFO)
    log.propagate = False


def labelled(metric, *labels: str):
    """``metric.labels(*labels)``, looked up once per distinct labels (prometheus_client builds the
    key and takes a lock on every call)."""
    children = _CHILDREN.setdefault(metric, {})
    child = children.get(labels)
    if child is None:
        child = children[labels] = metric.labels(*labels)
    return child


_CHILDREN: dict[object, dict[tuple, object]] = {}


def observe_result(summary: dict) -> None:
    labelled(DOCUMENTS, summary.get("doc_type", "unknown")).inc()
    for rule, severity in summary.get("findings", ()):
        labelled(FINDINGS, rule, severity).inc()


def metrics_body(extra: bytes = b"") -> tuple[bytes, str]:
    return generate_latest(REGISTRY) + extra, CONTENT_TYPE_LATEST


class _Snapshot:
    """A collector of values read once, at the scrape (the queue's state is the store's and the
    broker's, shared by every process and machine, not this process's counters)."""

    def __init__(self, families) -> None:
        self.families = families

    def collect(self):
        return iter(self.families)


def queue_metrics(report: dict, queue_length: int | None) -> bytes:
    """The task queue in the exposition format: messages waiting in the broker, tasks by state,
    failed tasks by error code, and the extraction time per task."""
    from prometheus_client.core import GaugeMetricFamily, SummaryMetricFamily
    families = []
    if queue_length is not None:
        families.append(GaugeMetricFamily("fiscal_queue_messages", "Task messages waiting in the broker",
                                          value=queue_length))
    tasks = GaugeMetricFamily("fiscal_tasks", "Extraction tasks of this extractor version by state",
                              labels=["status"])
    for status, n in report["tasks"].items():
        tasks.add_metric([status], n)
    failed = GaugeMetricFamily("fiscal_tasks_failed", "Failed extraction tasks by error code", labels=["code"])
    for code, n in report["failed_by_code"].items():
        failed.add_metric([code], n)
    seconds = SummaryMetricFamily("fiscal_task_seconds", "Extraction time per finished task",
                                  count_value=report["seconds"]["count"], sum_value=report["seconds"]["sum"])
    registry = CollectorRegistry(auto_describe=False)
    registry.register(_Snapshot(families + [tasks, failed, seconds]))
    return generate_latest(registry)


def header(scope, name: bytes) -> bytes | None:
    """One request header (lower-case name) from the ASGI scope, without building a dict of all."""
    for key, value in scope.get("headers") or ():
        if key == name:
            return value
    return None


class RequestContext:
    """Pure ASGI: a request id (the caller's X-Request-ID or a new one), echoed in the response,
    one JSON log line per request, and the request metrics."""

    def __init__(self, app) -> None:
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        given = header(scope, b"x-request-id")
        request_id = given.decode("latin-1")[:100] if given else os.urandom(16).hex()    # as uuid4().hex
        scope.setdefault("state", {})["request_id"] = request_id
        status = {"code": 500}
        started = time.perf_counter()

        async def send_with_id(message):
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
                message.setdefault("headers", []).append((b"x-request-id", request_id.encode("latin-1")))
            await send(message)
        try:
            await self.app(scope, receive, send_with_id)
        finally:
            elapsed = time.perf_counter() - started
            route = scope.get("route")
            path = getattr(route, "path", None) or "unmatched"
            labelled(REQUESTS, scope["method"], path, str(status["code"])).inc()
            labelled(LATENCY, path).observe(elapsed)
            log.info("request", extra={"fields": {
                "request_id": request_id, "method": scope["method"], "path": scope["path"],
                "status": status["code"], "ms": round(elapsed * 1000, 2),
                "key": scope.get("state", {}).get("key_id")}})
