"""case tallies: the main unit and when the earliest open first-round answer falls due, on the case row

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02

The measures group a million cases by main unit and count an answer open past its date as due and late;
with these columns they do both in one pass over the cases, instead of joining the assignments and asking
the deadlines table in a second query (``workflow.store.tally``). The upgrade computes them for every case.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import workflow.store.columns

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# workflow.store.tally's refresh of the columns as it stood at this revision (a migration keeps its own copy)
_BACKFILL = (
    "UPDATE suggestions SET main_unit_id = (SELECT min(a.unit_id) FROM assignments a "
    "WHERE a.suggestion_id = suggestions.id AND a.until IS NULL AND a.role = 'main'), "
    "answer_due_at = (SELECT min(CASE WHEN d.status = 'open' THEN d.due_at END) "
    "FROM deadlines d WHERE d.suggestion_id = suggestions.id AND d.kind = 'answer' AND d.round = 1)"
)


def upgrade() -> None:
    # plain ALTER TABLE ADD COLUMN: a batch rebuild of ``suggestions`` would break the foreign keys on SQLite
    op.add_column("suggestions", sa.Column("main_unit_id", sa.Integer(), nullable=True))
    op.add_column(
        "suggestions", sa.Column("answer_due_at", workflow.store.columns.UTCInstant(), nullable=True)
    )
    op.execute(_BACKFILL)


def downgrade() -> None:
    for column in ("answer_due_at", "main_unit_id"):
        op.drop_column("suggestions", column)
