"""the class of a failed fetch (dns, refused, timeout, 4xx, 5xx, robots …), for the crawl report

Revision ID: 0005
Revises: 0004
"""
import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("sources") as b:
        b.add_column(sa.Column("failure", sa.String(20)))


def downgrade() -> None:
    with op.batch_alter_table("sources") as b:
        b.drop_column("failure")
