"""The store on SQLite and PostgreSQL: migrations, content-addressed documents, extractions."""
import subprocess
import sys

from service.store import Store
from service.store.models import Document, Extraction


def test_documents_are_stored_once_and_extractions_per_version(store_url):
    store = Store(store_url)
    store.migrate()
    store.migrate()                                  # idempotent
    with store.session.begin() as s:
        a = store.put_document(s, "正文".encode(), "text/plain", "a.txt")
        b = store.put_document(s, "正文".encode(), "text/plain", "b.txt")
        assert a == b
        store.put_extraction(s, a, "0.1.0", {"facts": []}, None)
    with store.session.begin() as s:
        store.put_extraction(s, a, "0.1.0", {"facts": [1]}, None)       # replaced, not duplicated
        store.put_extraction(s, a, "0.2.0", {"facts": [2]}, None)
    with store.session() as s:
        assert s.query(Document).count() == 1
        assert s.query(Extraction).count() == 2
        assert store.latest_extraction(s, a).result in ({"facts": [1]}, {"facts": [2]})
    assert store.ping()
    store.engine.dispose()


def test_a_store_copied_while_open_keeps_its_locks(tmp_path):
    """The suite copies stores that its own process has open (conftest.copy_sqlite). Through SQLite's
    backup, this process keeps its locks: another process that opens and closes the store does not
    take it for unused, so it neither checkpoints nor deletes the -wal and -shm this process uses."""
    import sqlite3
    from .conftest import copy_sqlite
    db = tmp_path / "live.db"
    live = sqlite3.connect(db, isolation_level=None)
    live.execute("pragma journal_mode=WAL")
    live.execute("pragma wal_autocheckpoint=0")
    live.execute("create table t(x)")
    live.execute("insert into t values (1)")
    copy_sqlite(db, tmp_path / "copy.db")
    other = subprocess.run([sys.executable, "-c", "import sqlite3, sys; c = sqlite3.connect(sys.argv[1]); "
                            "print(c.execute('select count(*) from t').fetchone()[0]); c.close()", str(db)],
                           capture_output=True, text=True, timeout=60)
    assert other.stdout.strip() == "1"
    assert (tmp_path / "live.db-wal").exists() and (tmp_path / "live.db-shm").exists()
    assert sqlite3.connect(tmp_path / "copy.db").execute("select count(*) from t").fetchone()[0] == 1
    live.close()
