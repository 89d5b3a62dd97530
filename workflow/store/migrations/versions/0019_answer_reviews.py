"""answer reviews (答复审核): a unit's answer held for the office's review

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-03

With the rule-set switch ``lifecycle.answer_review`` a unit's answer waits here until the office approves it (it
then becomes an ``answers`` row) or returns it with a reason. A new table only: nothing existing is rewritten.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import workflow.store.columns

revision: str = "0019"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "answer_reviews",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("suggestion_id", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("round", sa.Integer(), nullable=False),
        sa.Column("category", sa.String(length=8), nullable=False),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("at", workflow.store.columns.UTCInstant(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("decided_at", workflow.store.columns.UTCInstant(), nullable=True),
        sa.Column("decision_reason", sa.Text(), nullable=True),
        sa.Column("audit_ref", sa.String(length=20), nullable=True),
        sa.CheckConstraint(
            "status IN ('pending', 'approved', 'returned', 'lapsed')", name="ck_review_status"
        ),
        sa.ForeignKeyConstraint(["suggestion_id"], ["suggestions.id"]),
        sa.ForeignKeyConstraint(["unit_id"], ["units.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("answer_reviews", schema=None) as batch_op:
        batch_op.create_index("ix_answer_reviews_suggestion_id", ["suggestion_id"], unique=False)
        batch_op.create_index("ix_answer_reviews_pending", ["status", "unit_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("answer_reviews", schema=None) as batch_op:
        batch_op.drop_index("ix_answer_reviews_pending")
        batch_op.drop_index("ix_answer_reviews_suggestion_id")
    op.drop_table("answer_reviews")
