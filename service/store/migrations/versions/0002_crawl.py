"""crawl sources and runs

Revision ID: 0002
Revises: 0001
"""
import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "sources",
        sa.Column("url", sa.String(2000), primary_key=True),
        sa.Column("portal", sa.String(200), index=True),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("http_status", sa.Integer),
        sa.Column("fetched_at", sa.DateTime(timezone=True)),
        sa.Column("etag", sa.String(500)),
        sa.Column("last_modified", sa.String(100)),
        sa.Column("media_type", sa.String(120)),
        sa.Column("size", sa.BigInteger),
        sa.Column("sha256", sa.String(64), index=True),
        sa.Column("links", sa.JSON),
        sa.Column("error", sa.Text),
        sa.Column("run_id", sa.String(36), index=True),
    )
    op.create_table(
        "crawl_runs",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("portal", sa.String(200), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True)),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("counts", sa.JSON),
    )


def downgrade() -> None:
    op.drop_table("crawl_runs")
    op.drop_table("sources")
