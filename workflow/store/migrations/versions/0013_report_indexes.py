"""report indexes: the case columns the measures group by and read, in one covering index

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-03

``report summary`` and ``report units`` group the cases in scope by main unit and by the columns their
measures test (state, round, classes, rating, contact, timeliness), and read five more (session,
assignment, answer, first answer, answer due). With those columns in one index, in that order, SQLite reads
the groups off the index in order: no sort, no visit to the case rows (``workflow.reporting.measures``).
Creating it over a million cases takes a few seconds.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# workflow.store.models' MEASURES_GROUPS and MEASURES_READ as they stood at this revision (a migration keeps its
# own copy)
_COLUMNS = [
    "main_unit_id",
    "state",
    "round",
    "category",
    "current_category",
    "rating",
    "contact_level",
    "answer_met",
    "session_id",
    "assigned_at",
    "answered_at",
    "first_answer_at",
    "answer_due_at",
]


def upgrade() -> None:
    op.create_index("ix_suggestions_measures", "suggestions", _COLUMNS)


def downgrade() -> None:
    op.drop_index("ix_suggestions_measures", table_name="suggestions")
