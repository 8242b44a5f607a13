"""The store on SQLite and PostgreSQL: migrations, content-addressed documents, extractions."""
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
