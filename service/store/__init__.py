"""The store: documents (content-addressed), extractions, API keys, batches, crawl state.

SQLAlchemy over SQLite (``./var/fiscal.db``, the default) or PostgreSQL (a ``postgresql+psycopg``
URL in ``FISCAL_DATABASE_URL``); the schema comes from the Alembic migrations beside this file.
"""
from .db import Store, get_store

__all__ = ["Store", "get_store"]
