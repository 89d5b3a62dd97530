"""directory_changes: the hash-chained history of edits to units and deputies (renames included)

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-03

Units and deputies may be edited (names, contacts); each changed field is one row, chained per congress.
A new table only: nothing existing is rewritten.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import workflow.store.columns

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "directory_changes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("congress_id", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("entity_id", sa.Integer(), nullable=False),
        sa.Column("field", sa.String(length=20), nullable=False),
        sa.Column("old", sa.String(length=500), nullable=True),
        sa.Column("new", sa.String(length=500), nullable=True),
        sa.Column("actor", sa.String(length=220), nullable=False),
        sa.Column("at", workflow.store.columns.UTCInstant(), nullable=False),
        sa.Column("prev_hash", sa.String(length=64), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.CheckConstraint("kind IN ('unit', 'deputy')", name="ck_directory_change_kind"),
        sa.ForeignKeyConstraint(["congress_id"], ["congresses.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("congress_id", "seq", name="uq_directory_change_seq"),
    )
    with op.batch_alter_table("directory_changes", schema=None) as batch_op:
        batch_op.create_index(
            "ix_directory_changes_lookup", ["congress_id", "kind", "field", "old"], unique=False
        )
        batch_op.create_index("ix_directory_changes_entity", ["kind", "entity_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("directory_changes", schema=None) as batch_op:
        batch_op.drop_index("ix_directory_changes_entity")
        batch_op.drop_index("ix_directory_changes_lookup")
    op.drop_table("directory_changes")
