"""who may read what, batch leases, result summaries for listing, crawl processes, store health

Revision ID: 0003
Revises: 0002
"""
import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

SUMMARY = ("department", "fiscal_year", "doc_type", "province", "city", "county", "region_code", "source_url")


def upgrade() -> None:
    op.create_table(
        "document_access",
        sa.Column("document_sha256", sa.String(64), sa.ForeignKey("documents.sha256", ondelete="CASCADE"),
                  primary_key=True),
        sa.Column("api_key_id", sa.String(16), primary_key=True, index=True),
        sa.Column("granted_at", sa.DateTime(timezone=True), nullable=False),
    )
    with op.batch_alter_table("batches") as b:
        # an Idempotency-Key is the caller's own: "<key id or ->:<key>" (the old column stays unwritten)
        b.add_column(sa.Column("idempotency", sa.String(300)))
        b.create_unique_constraint("uq_batches_idempotency", ["idempotency"])
    op.execute("UPDATE batches SET idempotency = COALESCE(api_key_id, '-') || ':' || idempotency_key "
               "WHERE idempotency_key IS NOT NULL")
    op.execute("UPDATE batches SET idempotency_key = NULL")
    with op.batch_alter_table("batch_items") as b:
        b.add_column(sa.Column("claimed_by", sa.String(100)))
        b.add_column(sa.Column("lease_until", sa.DateTime(timezone=True)))
    with op.batch_alter_table("extractions") as b:
        b.add_column(sa.Column("department", sa.String(500)))
        b.add_column(sa.Column("fiscal_year", sa.Integer))
        b.add_column(sa.Column("doc_type", sa.String(40)))
        b.add_column(sa.Column("province", sa.String(100)))
        b.add_column(sa.Column("city", sa.String(100)))
        b.add_column(sa.Column("county", sa.String(100)))
        b.add_column(sa.Column("region_code", sa.String(20)))
        b.add_column(sa.Column("source_url", sa.String(2000)))
        b.create_index("ix_extractions_listing", ["fiscal_year", "doc_type"])
    _summarize_existing()
    with op.batch_alter_table("crawl_runs") as b:
        b.add_column(sa.Column("api_key_id", sa.String(16)))
        b.add_column(sa.Column("heartbeat_at", sa.DateTime(timezone=True)))
        b.add_column(sa.Column("error", sa.Text))
    op.create_table(
        "health_checks",
        sa.Column("worker", sa.String(100), primary_key=True),
        sa.Column("checked_at", sa.DateTime(timezone=True), nullable=False),
    )


def _summarize_existing() -> None:
    import json
    conn = op.get_bind()
    rows = conn.execute(sa.text("SELECT id, result FROM extractions WHERE result IS NOT NULL")).fetchall()
    for row_id, result in rows:
        doc = (json.loads(result) if isinstance(result, str) else result)["document"]
        region = doc.get("region") or {}
        conn.execute(sa.text("UPDATE extractions SET department = :d, fiscal_year = :y, doc_type = :t, "
                             "province = :p, city = :c, county = :k, region_code = :r, source_url = :u "
                             "WHERE id = :id"),
                     {"d": doc.get("department"), "y": doc.get("fiscal_year"), "t": doc.get("doc_type"),
                      "p": region.get("province"), "c": region.get("city"), "k": region.get("county"),
                      "r": region.get("code"), "u": (doc.get("source") or {}).get("url"), "id": row_id})


def downgrade() -> None:
    op.drop_table("health_checks")
    with op.batch_alter_table("crawl_runs") as b:
        for c in ("error", "heartbeat_at", "api_key_id"):
            b.drop_column(c)
    with op.batch_alter_table("extractions") as b:
        b.drop_index("ix_extractions_listing")
        for c in SUMMARY:
            b.drop_column(c)
    with op.batch_alter_table("batch_items") as b:
        b.drop_column("lease_until")
        b.drop_column("claimed_by")
    with op.batch_alter_table("batches") as b:
        b.drop_constraint("uq_batches_idempotency", type_="unique")
        b.drop_column("idempotency")
    op.drop_table("document_access")
