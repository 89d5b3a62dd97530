"""case tallies: first answer, latest rating, contact level and first-round timeliness on the case row

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-21

The measures read these columns instead of joining answers, feedback, contacts and deadlines per case
(``workflow.store.tally``). The upgrade computes them for every case from those tables.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import workflow.store.columns

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# workflow.store.tally's refresh as it stood at this revision (a migration keeps its own copy: the module may change)
_FIRST = "(SELECT min(x.at) FROM answers x WHERE x.suggestion_id = suggestions.id)"
_BACKFILL = (
    f"UPDATE suggestions SET first_answer_at = {_FIRST}, "
    "rating = (SELECT f.rating FROM feedback f WHERE f.suggestion_id = suggestions.id ORDER BY f.id DESC LIMIT 1), "
    "contact_level = COALESCE((SELECT max(CASE WHEN c.method IN ('meeting', 'visit') THEN 2 ELSE 1 END) "
    f"FROM contacts c WHERE c.suggestion_id = suggestions.id AND c.at <= {_FIRST}), 0), "
    "answer_met = COALESCE((SELECT max(CASE WHEN d.late THEN 2 ELSE 1 END) FROM deadlines d "
    "WHERE d.suggestion_id = suggestions.id AND d.kind = 'answer' AND d.round = 1 AND d.status = 'met'), 0)"
)


def upgrade() -> None:
    # plain ALTER TABLE ADD COLUMN: a batch rebuild of ``suggestions`` would break the foreign keys on SQLite
    op.add_column(
        "suggestions", sa.Column("first_answer_at", workflow.store.columns.UTCInstant(), nullable=True)
    )
    op.add_column("suggestions", sa.Column("rating", sa.String(length=12), nullable=True))
    op.add_column("suggestions", sa.Column("contact_level", sa.Integer(), nullable=False, server_default="0"))
    op.add_column("suggestions", sa.Column("answer_met", sa.Integer(), nullable=False, server_default="0"))
    op.execute(_BACKFILL)


def downgrade() -> None:
    for column in ("answer_met", "contact_level", "rating", "first_answer_at"):
        op.drop_column("suggestions", column)
