"""case tallies: first answer, latest rating, contact level and first-round timeliness on the case row

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-21

The measures read these columns instead of joining answers, feedback, contacts and deadlines per case
(``workflow.tally``). The upgrade computes them for every case from those tables.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import workflow.columns
from workflow.tally import refresh_sql

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # plain ALTER TABLE ADD COLUMN: a batch rebuild of ``suggestions`` would break the foreign keys on SQLite
    op.add_column("suggestions", sa.Column("first_answer_at", workflow.columns.UTCInstant(), nullable=True))
    op.add_column("suggestions", sa.Column("rating", sa.String(length=12), nullable=True))
    op.add_column("suggestions", sa.Column("contact_level", sa.Integer(), nullable=False, server_default="0"))
    op.add_column("suggestions", sa.Column("answer_met", sa.Integer(), nullable=False, server_default="0"))
    op.execute(refresh_sql("1 = 1"))


def downgrade() -> None:
    for column in ("answer_met", "contact_level", "rating", "first_answer_at"):
        op.drop_column("suggestions", column)
