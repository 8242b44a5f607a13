"""reviews of findings (confirmed, false alarm, ignored, with a note), kept with the document; the
library's summary columns (pages, findings by severity, file name); a task's pages done

Revision ID: 0006
Revises: 0005
"""
import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "finding_reviews",
        sa.Column("document_sha256", sa.String(64), sa.ForeignKey("documents.sha256", ondelete="CASCADE"),
                  primary_key=True),
        sa.Column("finding_id", sa.String(40), primary_key=True),
        sa.Column("extractor_version", sa.String(40), nullable=False),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("note", sa.Text, nullable=False),
        sa.Column("reviewer", sa.String(200)),
        sa.Column("reviewed_at", sa.DateTime(timezone=True), nullable=False),
    )
    with op.batch_alter_table("extractions") as b:
        b.add_column(sa.Column("pages", sa.Integer))
        b.add_column(sa.Column("severity_counts", sa.JSON))
        b.add_column(sa.Column("filename", sa.String(500)))
        b.create_index("ix_extractions_department", ["department"])
    with op.batch_alter_table("extraction_tasks") as b:
        b.add_column(sa.Column("pages_done", sa.Integer))
        b.add_column(sa.Column("pages_total", sa.Integer))


def downgrade() -> None:
    with op.batch_alter_table("extraction_tasks") as b:
        b.drop_column("pages_total")
        b.drop_column("pages_done")
    with op.batch_alter_table("extractions") as b:
        b.drop_index("ix_extractions_department")
        b.drop_column("filename")
        b.drop_column("severity_counts")
        b.drop_column("pages")
    op.drop_table("finding_reviews")
