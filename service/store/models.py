"""Tables of the store."""
from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import (JSON, BigInteger, DateTime, Float, ForeignKey, Index, Integer, LargeBinary, String, Text,
                        UniqueConstraint)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


def now() -> datetime:
    return datetime.now(timezone.utc)


class Base(DeclarativeBase):
    pass


class Document(Base):
    """A document's bytes, stored once however many URLs or uploads bring it."""
    __tablename__ = "documents"
    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    media_type: Mapped[str | None] = mapped_column(String(120))
    size: Mapped[int] = mapped_column(BigInteger)
    filename: Mapped[str | None] = mapped_column(String(500))
    content: Mapped[bytes] = mapped_column(LargeBinary)
    first_seen: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=now)


class Extraction(Base):
    """One extractor version's result for one document (the v1 JSON, without the text), with the
    document's summary in columns of its own so that listing does not read whole results."""
    __tablename__ = "extractions"
    __table_args__ = (UniqueConstraint("document_sha256", "extractor_version"),
                      Index("ix_extractions_listing", "fiscal_year", "doc_type"),
                      Index("ix_extractions_department", "department"))
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    document_sha256: Mapped[str] = mapped_column(ForeignKey("documents.sha256", ondelete="CASCADE"), index=True)
    extractor_version: Mapped[str] = mapped_column(String(40))
    result: Mapped[dict | None] = mapped_column(JSON)
    error: Mapped[dict | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=now)
    department: Mapped[str | None] = mapped_column(String(500))
    fiscal_year: Mapped[int | None] = mapped_column(Integer)
    doc_type: Mapped[str | None] = mapped_column(String(40))
    province: Mapped[str | None] = mapped_column(String(100))
    city: Mapped[str | None] = mapped_column(String(100))
    county: Mapped[str | None] = mapped_column(String(100))
    region_code: Mapped[str | None] = mapped_column(String(20))
    source_url: Mapped[str | None] = mapped_column(String(2000))
    pages: Mapped[int | None] = mapped_column(Integer)
    severity_counts: Mapped[dict | None] = mapped_column(JSON)     # {"error": 2, "warning": 5, "info": 0}
    filename: Mapped[str | None] = mapped_column(String(500))

    def summarize(self) -> None:
        doc = (self.result or {}).get("document") or {}
        source = doc.get("source") or {}
        self.pages, self.filename = source.get("pages"), (source.get("filename") or None)
        findings = (self.result or {}).get("findings") or []
        self.severity_counts = {s: sum(f.get("severity") == s for f in findings) for s in ("error", "warning", "info")}
        region = doc.get("region") or {}
        self.department, self.fiscal_year, self.doc_type = (doc.get("department") or None), doc.get("fiscal_year"), doc.get("doc_type")
        self.province, self.city, self.county = region.get("province"), region.get("city"), region.get("county")
        self.region_code = region.get("code")
        self.source_url = ((doc.get("source") or {}).get("url") or None)


class DocumentAccess(Base):
    """Which key brought a document (an upload, a batch, a crawl it started): that key may read it;
    an admin key reads every document."""
    __tablename__ = "document_access"
    document_sha256: Mapped[str] = mapped_column(ForeignKey("documents.sha256", ondelete="CASCADE"), primary_key=True)
    api_key_id: Mapped[str] = mapped_column(String(16), primary_key=True, index=True)
    granted_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=now)


class ApiKey(Base):
    __tablename__ = "api_keys"
    id: Mapped[str] = mapped_column(String(16), primary_key=True)       # the public part of the key
    name: Mapped[str] = mapped_column(String(200))
    secret_hash: Mapped[str] = mapped_column(String(64))                 # sha256 of the whole key
    scopes: Mapped[str] = mapped_column(String(200))                     # space-separated
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=now)
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class Batch(Base):
    __tablename__ = "batches"
    __table_args__ = (UniqueConstraint("idempotency", name="uq_batches_idempotency"),)
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    # the caller's Idempotency-Key, as "<key id or ->:<key>": one namespace per caller
    idempotency: Mapped[str | None] = mapped_column(String(300))
    api_key_id: Mapped[str | None] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=now)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    extractor_version: Mapped[str | None] = mapped_column(String(40))   # its documents' tasks are of this version
    items: Mapped[list["BatchItem"]] = relationship(back_populates="batch", order_by="BatchItem.position",
                                                    cascade="all, delete-orphan")


class BatchItem(Base):
    __tablename__ = "batch_items"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    batch_id: Mapped[str] = mapped_column(ForeignKey("batches.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    filename: Mapped[str | None] = mapped_column(String(500))
    document_sha256: Mapped[str | None] = mapped_column(ForeignKey("documents.sha256"))
    # an item's state is its document's extraction task's (ExtractionTask); these say it for the
    # items of batches stored before tasks existed (revision 0004), and are not written since
    status: Mapped[str] = mapped_column(String(20), default="queued")    # queued | done | failed
    error: Mapped[dict | None] = mapped_column(JSON)
    claimed_by: Mapped[str | None] = mapped_column(String(100))
    lease_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    batch: Mapped[Batch] = relationship(back_populates="items")


class ExtractionTask(Base):
    """The work of extracting one document with one extractor version: asked for once (the row is
    unique), claimed by one worker at a time under a lease, finished once. Every way of asking for
    work (a batch, ``reprocess``, the crawler) writes this row, so a task delivered twice, or again
    after its worker was lost, extracts the document once; progress is read from here."""
    __tablename__ = "extraction_tasks"
    __table_args__ = (Index("ix_extraction_tasks_status", "status"),)
    document_sha256: Mapped[str] = mapped_column(ForeignKey("documents.sha256", ondelete="CASCADE"), primary_key=True)
    extractor_version: Mapped[str] = mapped_column(String(40), primary_key=True)
    status: Mapped[str] = mapped_column(String(20), default="queued")   # queued | running | done | failed
    source_url: Mapped[str | None] = mapped_column(String(2000))
    attempts: Mapped[int] = mapped_column(Integer, default=0)            # claims: 1 unless a worker was lost
    claimed_by: Mapped[str | None] = mapped_column(String(200))          # host:pid of the worker on it
    lease_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    enqueued_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=now)
    started_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    seconds: Mapped[float | None] = mapped_column(Float)                 # the extraction's own time
    error_code: Mapped[str | None] = mapped_column(String(8))
    error: Mapped[dict | None] = mapped_column(JSON)
    pages_done: Mapped[int | None] = mapped_column(Integer)              # a PDF's pages read so far
    pages_total: Mapped[int | None] = mapped_column(Integer)


class Source(Base):
    """A URL the crawler fetched: its state, validators for conditional requests, and its links."""
    __tablename__ = "sources"
    url: Mapped[str] = mapped_column(String(2000), primary_key=True)
    portal: Mapped[str | None] = mapped_column(String(200), index=True)
    kind: Mapped[str] = mapped_column(String(20))                 # page | document
    status: Mapped[str] = mapped_column(String(20))               # done | unchanged | failed
    http_status: Mapped[int | None] = mapped_column(Integer)
    fetched_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    etag: Mapped[str | None] = mapped_column(String(500))
    last_modified: Mapped[str | None] = mapped_column(String(100))
    media_type: Mapped[str | None] = mapped_column(String(120))
    size: Mapped[int | None] = mapped_column(BigInteger)
    sha256: Mapped[str | None] = mapped_column(String(64), index=True)
    links: Mapped[list | None] = mapped_column(JSON)              # what a page linked to, for 304s and resumes
    error: Mapped[str | None] = mapped_column(Text)
    failure: Mapped[str | None] = mapped_column(String(20))       # the failure's class (crawler/outcomes.py)
    run_id: Mapped[str | None] = mapped_column(String(36), index=True)


class CrawlRun(Base):
    __tablename__ = "crawl_runs"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    portal: Mapped[str] = mapped_column(String(200))
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=now)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    status: Mapped[str] = mapped_column(String(20), default="running")   # starting | running | finished | failed
    counts: Mapped[dict | None] = mapped_column(JSON)
    api_key_id: Mapped[str | None] = mapped_column(String(16))
    heartbeat_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))   # the crawler's, each few seconds
    error: Mapped[str | None] = mapped_column(Text)


class FindingReview(Base):
    """A person's review of one finding of a document: confirmed, a false alarm, or ignored, with a
    note. Keyed by the finding's id (stable for the document and extractor version)."""
    __tablename__ = "finding_reviews"
    document_sha256: Mapped[str] = mapped_column(ForeignKey("documents.sha256", ondelete="CASCADE"), primary_key=True)
    finding_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    extractor_version: Mapped[str] = mapped_column(String(40))
    state: Mapped[str] = mapped_column(String(20))         # confirmed | false_alarm | ignored
    note: Mapped[str] = mapped_column(Text, default="")
    reviewer: Mapped[str | None] = mapped_column(String(200))
    reviewed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=now)

    def to_dict(self) -> dict:
        at = self.reviewed_at if self.reviewed_at.tzinfo else self.reviewed_at.replace(tzinfo=timezone.utc)
        return {"state": self.state, "note": self.note, "by": self.reviewer, "at": at.isoformat()}


class HealthCheck(Base):
    """One row per server worker, written by /readyz: a store that takes no write is not ready."""
    __tablename__ = "health_checks"
    worker: Mapped[str] = mapped_column(String(100), primary_key=True)
    checked_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=now)
