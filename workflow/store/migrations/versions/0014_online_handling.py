"""online handling: extension requests (申请延期)

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-03

The main unit asks for the extended answer period; the office extends it (``extend``) or refuses. One row per
request with the office's decision. A new table only: nothing existing is rewritten.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import workflow.store.columns

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "extension_requests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("suggestion_id", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("at", workflow.store.columns.UTCInstant(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("decided_at", workflow.store.columns.UTCInstant(), nullable=True),
        sa.Column("decision_reason", sa.Text(), nullable=True),
        sa.Column("audit_ref", sa.String(length=20), nullable=True),
        sa.CheckConstraint(
            "status IN ('pending', 'approved', 'refused', 'lapsed')", name="ck_extension_status"
        ),
        sa.ForeignKeyConstraint(["suggestion_id"], ["suggestions.id"]),
        sa.ForeignKeyConstraint(["unit_id"], ["units.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("extension_requests", schema=None) as batch_op:
        batch_op.create_index("ix_extension_requests_suggestion_id", ["suggestion_id"], unique=False)
        batch_op.create_index("ix_extension_requests_pending", ["status", "unit_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("extension_requests", schema=None) as batch_op:
        batch_op.drop_index("ix_extension_requests_pending")
        batch_op.drop_index("ix_extension_requests_suggestion_id")
    op.drop_table("extension_requests")
