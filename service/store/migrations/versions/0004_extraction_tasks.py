"""extraction tasks: one row per (document, extractor version), claimed under a lease; the
version a batch was submitted under

Revision ID: 0004
Revises: 0003
"""
import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "extraction_tasks",
        sa.Column("document_sha256", sa.String(64), sa.ForeignKey("documents.sha256", ondelete="CASCADE"),
                  primary_key=True),
        sa.Column("extractor_version", sa.String(40), primary_key=True),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("source_url", sa.String(2000)),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("claimed_by", sa.String(200)),
        sa.Column("lease_until", sa.DateTime(timezone=True)),
        sa.Column("enqueued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True)),
        sa.Column("finished_at", sa.DateTime(timezone=True)),
        sa.Column("seconds", sa.Float),
        sa.Column("error_code", sa.String(8)),
        sa.Column("error", sa.JSON),
    )
    op.create_index("ix_extraction_tasks_status", "extraction_tasks", ["status"])
    with op.batch_alter_table("batches") as b:
        b.add_column(sa.Column("extractor_version", sa.String(40)))


def downgrade() -> None:
    with op.batch_alter_table("batches") as b:
        b.drop_column("extractor_version")
    op.drop_index("ix_extraction_tasks_status", "extraction_tasks")
    op.drop_table("extraction_tasks")
