"""Engine, sessions and the operations the service needs."""
from __future__ import annotations

import functools
import hashlib
import os
import re
from datetime import datetime, timezone
from pathlib import Path

import orjson
from sqlalchemy import create_engine, event, select, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from .models import Document, DocumentAccess, Extraction, FindingReview, HealthCheck

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
_UNSTORABLE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")    # PostgreSQL refuses NUL in text


def clean_text(value: str | None, limit: int) -> str | None:
    """A caller's string (a file name) as the store can keep it: no NUL or control characters."""
    if value is None:
        return None
    return _UNSTORABLE.sub("", value)[:limit] or None


def upsert(s: Session, model):
    """INSERT for ``model`` in the session's dialect, which can say ON CONFLICT."""
    if s.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    return insert(model)


class StoreGone(OperationalError):
    """The SQLite file was deleted or replaced under a running service: writes would go to an
    unlinked file and be lost at the next restart."""

    def __init__(self, path: str) -> None:
        super().__init__("check the store file", {}, Exception(f"the store file {path} is gone or was replaced"))


def _dumps(value) -> str:
    return orjson.dumps(value).decode()


def _sqlite_pragmas(connection, _record) -> None:
    """WAL: readers do not wait for the writer, and a write is not an fsync of the whole file;
    server workers, the crawler and the CLI share one file, and results are now stored before
    their answers leave, so a write is on a request's path."""
    cursor = connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.close()


class Store:
    def __init__(self, url: str) -> None:
        self.file: Path | None = None
        if url.startswith("sqlite:///") and ":memory:" not in url:
            self.file = Path(url.removeprefix("sqlite:///").split("?", 1)[0])
            self.file.parent.mkdir(parents=True, exist_ok=True)
        kwargs = {"connect_args": {"check_same_thread": False}} if url.startswith("sqlite") else {"pool_pre_ping": True}
        self.url = url
        self.engine = create_engine(url, json_serializer=_dumps, json_deserializer=orjson.loads, **kwargs)
        self.session = sessionmaker(self.engine, expire_on_commit=False)
        self._stored: set[tuple[str, str]] = set()
        self._granted: set[tuple[str, str]] = set()
        self._identity: tuple[int, int] | None = None
        if self.file is not None:
            event.listen(self.engine, "connect", _sqlite_pragmas)
            event.listen(self.engine, "begin", self._file_still_there)

    def _file_still_there(self, connection) -> None:
        """Each transaction: the SQLite file is the one the service opened (a deleted or replaced
        file would swallow every write)."""
        try:
            st = os.stat(self.file)
        except OSError:
            raise StoreGone(str(self.file)) from None
        if self._identity is None:
            self._identity = (st.st_dev, st.st_ino)
        elif self._identity != (st.st_dev, st.st_ino):
            raise StoreGone(str(self.file))

    def remember(self, sha: str, version: str, key_id: str | None = None) -> None:
        self._stored.add((sha, version))
        if key_id is not None:
            self._granted.add((sha, key_id))

    def kept(self, sha: str, version: str, key_id: str | None) -> bool:
        """The document, its result for this version, and the key's right to read it are stored
        (remembered once seen, so that a document sent again costs no store query)."""
        if (sha, version) in self._stored and (key_id is None or (sha, key_id) in self._granted):
            return True
        if not self.has_extraction(sha, version):
            return False
        if key_id is None:
            return True
        with self.session() as s:
            found = self.may_read(s, sha, key_id, admin=False)
        if found:
            self._granted.add((sha, key_id))
        return found

    def has_extraction(self, sha: str, version: str) -> bool:
        """Whether this document's result for this version is stored (cached once seen)."""
        if (sha, version) in self._stored:
            return True
        with self.session() as s:
            found = s.scalar(select(Extraction.id).where(Extraction.document_sha256 == sha,
                                                         Extraction.extractor_version == version)) is not None
        if found:
            self._stored.add((sha, version))
        return found

    def migrate(self) -> None:
        """Bring the schema to the newest Alembic revision."""
        from alembic import command
        from alembic.config import Config
        cfg = Config()
        cfg.set_main_option("script_location", str(MIGRATIONS))
        cfg.set_main_option("sqlalchemy.url", self.url.replace("%", "%%"))
        with self.engine.begin() as connection:
            cfg.attributes["connection"] = connection
            command.upgrade(cfg, "head")

    def ping(self) -> bool:
        try:
            with self.engine.connect() as c:
                c.execute(text("select 1"))
            return True
        except Exception:
            return False

    def writable(self, worker: str) -> str | None:
        """None when the store takes a write (a row of health_checks), else why not."""
        try:
            with self.session.begin() as s:
                row = s.get(HealthCheck, worker) or HealthCheck(worker=worker)
                row.checked_at = datetime.now(timezone.utc)
                s.add(row)
            return None
        except Exception as e:
            return f"{type(e).__name__}: {str(e).splitlines()[0][:200]}"

    def _insert_ignore(self, s: Session, model, **values) -> None:
        """INSERT … ON CONFLICT DO NOTHING: a row that a concurrent request wrote first is no error."""
        s.execute(upsert(s, model).values(**values).on_conflict_do_nothing())

    # ------------------------------------------------------------ documents
    def put_document(self, s: Session, data: bytes, media_type: str | None, filename: str | None,
                     key_id: str | None = None) -> str:
        """Store the bytes once (written at once, so that rows referring to it can follow in the
        same transaction), and let ``key_id`` read them."""
        sha = hashlib.sha256(data).hexdigest()
        if s.scalar(select(Document.sha256).where(Document.sha256 == sha)) is None:   # without loading the bytes
            self._insert_ignore(s, Document, sha256=sha, media_type=clean_text(media_type, 120), size=len(data),
                                filename=clean_text(filename, 500), content=data,
                                first_seen=datetime.now(timezone.utc))
        self.grant(s, sha, key_id)
        return sha

    def grant(self, s: Session, sha: str, key_id: str | None) -> None:
        if key_id is not None:
            self._insert_ignore(s, DocumentAccess, document_sha256=sha, api_key_id=key_id,
                                granted_at=datetime.now(timezone.utc))

    def may_read(self, s: Session, sha: str, key_id: str | None, admin: bool) -> bool:
        """An admin key (or the open service) reads every document; another key those it brought."""
        if admin or key_id is None:
            return True
        return s.get(DocumentAccess, (sha, key_id)) is not None

    def put_extraction(self, s: Session, sha: str, version: str, result: dict | None, error: dict | None) -> None:
        """One row per (document, version): a second write of the same pair (two workers, two
        callers) updates that row instead of failing on the unique constraint; an error written
        after a result does not erase the result."""
        self._insert_ignore(s, Extraction, document_sha256=sha, extractor_version=version,
                            created_at=datetime.now(timezone.utc))
        row = s.scalar(select(Extraction).where(Extraction.document_sha256 == sha,
                                                Extraction.extractor_version == version))
        if row.result is None or result is not None:
            row.result, row.error = result, error
            row.summarize()

    # ------------------------------------------------------------ reviews
    def reviews(self, s: Session, sha: str) -> dict[str, dict]:
        """The reviews of a document's findings, by finding id."""
        return {r.finding_id: r.to_dict() for r in s.scalars(select(FindingReview).where(
            FindingReview.document_sha256 == sha))}

    def put_review(self, s: Session, sha: str, finding_id: str, version: str, state: str | None, note: str,
                   reviewer: str | None) -> dict | None:
        """Set (or, with ``state`` None, clear) a finding's review; the review as stored."""
        row = s.get(FindingReview, (sha, finding_id))
        if state is None:
            if row is not None:
                s.delete(row)
            return None
        if row is None:
            row = FindingReview(document_sha256=sha, finding_id=finding_id)
            s.add(row)
        row.extractor_version, row.state, row.note, row.reviewer = version, state, note, reviewer
        row.reviewed_at = datetime.now(timezone.utc)
        return row.to_dict()

    def latest_extraction(self, s: Session, sha: str) -> Extraction | None:
        return s.scalar(select(Extraction).where(Extraction.document_sha256 == sha, Extraction.result.is_not(None))
                        .order_by(Extraction.created_at.desc()).limit(1))


@functools.lru_cache(maxsize=4)
def get_store(url: str) -> Store:
    store = Store(url)
    store.migrate()
    return store
