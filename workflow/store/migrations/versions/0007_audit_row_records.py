"""audit records of the rows each step wrote: ``audit_events.written`` and every case-data row's ``audit_ref``

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-09

The first event of each step stores what the step wrote to the case's rows, and its hash covers that record;
``jianyi audit verify`` compares the rows with the records (``workflow.core.records``). Events and rows written
before this revision have none (NULL): they are reported as not covered, never as broken, and the events'
hashes are computed as before.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# the tables whose rows carry an audit_ref (a migration keeps its own copy)
_TABLES = (
    "suggestion_signers",
    "assignments",
    "return_requests",
    "opinions",
    "contacts",
    "answers",
    "promises",
    "conversions",
    "feedback",
    "deadlines",
)


def upgrade() -> None:
    # plain ALTER TABLE ADD COLUMN (nullable, no default): no table is rewritten, on SQLite or PostgreSQL
    op.add_column("audit_events", sa.Column("written", sa.Text(), nullable=True))
    for table in _TABLES:
        op.add_column(table, sa.Column("audit_ref", sa.String(length=20), nullable=True))


def downgrade() -> None:
    for table in reversed(_TABLES):
        op.drop_column(table, "audit_ref")
    op.drop_column("audit_events", "written")
