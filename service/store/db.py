"""Engine, sessions and the operations the service needs."""
from __future__ import annotations

import functools
import hashlib

import orjson
from pathlib import Path

from sqlalchemy import create_engine, select, text
from sqlalchemy.orm import Session, sessionmaker

from .models import Document, Extraction

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def _dumps(value) -> str:
    return orjson.dumps(value).decode()


class Store:
    def __init__(self, url: str) -> None:
        if url.startswith("sqlite:///") and not url.startswith("sqlite:////:memory:"):
            Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
        kwargs = {"connect_args": {"check_same_thread": False}} if url.startswith("sqlite") else {"pool_pre_ping": True}
        self.url = url
        self.engine = create_engine(url, json_serializer=_dumps, json_deserializer=orjson.loads, **kwargs)
        self.session = sessionmaker(self.engine, expire_on_commit=False)
        self._stored: set[tuple[str, str]] = set()

    def remember(self, sha: str, version: str) -> None:
        self._stored.add((sha, version))

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

    # ------------------------------------------------------------ documents
    def put_document(self, s: Session, data: bytes, media_type: str | None, filename: str | None) -> str:
        sha = hashlib.sha256(data).hexdigest()
        if s.scalar(select(Document.sha256).where(Document.sha256 == sha)) is None:   # without loading the bytes
            s.add(Document(sha256=sha, media_type=media_type, size=len(data), filename=filename, content=data))
        return sha

    def put_extraction(self, s: Session, sha: str, version: str, result: dict | None, error: dict | None) -> Extraction:
        row = s.scalar(select(Extraction).where(Extraction.document_sha256 == sha,
                                                Extraction.extractor_version == version))
        if row is None:
            row = Extraction(document_sha256=sha, extractor_version=version)
            s.add(row)
        row.result, row.error = result, error
        return row

    def latest_extraction(self, s: Session, sha: str) -> Extraction | None:
        return s.scalar(select(Extraction).where(Extraction.document_sha256 == sha, Extraction.result.is_not(None))
                        .order_by(Extraction.created_at.desc()).limit(1))


@functools.lru_cache(maxsize=4)
def get_store(url: str) -> Store:
    store = Store(url)
    store.migrate()
    return store
