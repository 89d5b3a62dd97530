"""attachments of actions (答复函, 会办意见, evidence) and the bytes of those kept in the database

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-10

``attachments`` records each file an answer, opinion or conversion came with (name, media type by content, size,
SHA-256, the audit event); ``attachment_blobs`` holds the bytes by SHA-256 when they are kept in the database
(PostgreSQL, or when configured) rather than in a folder.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import workflow.store.columns

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "attachments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("suggestion_id", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("action", sa.String(length=30), nullable=False),
        sa.Column("round", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=True),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("media_type", sa.String(length=100), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("actor", sa.String(length=220), nullable=False),
        sa.Column("at", workflow.store.columns.UTCInstant(), nullable=False),
        sa.Column("audit_ref", sa.String(length=20), nullable=True),
        sa.ForeignKeyConstraint(["suggestion_id"], ["suggestions.id"]),
        sa.ForeignKeyConstraint(["unit_id"], ["units.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("suggestion_id", "name", name="uq_attachment_name"),
    )
    with op.batch_alter_table("attachments", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_attachments_suggestion_id"), ["suggestion_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_attachments_sha256"), ["sha256"], unique=False)
    op.create_table(
        "attachment_blobs",
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("sha256"),
    )


def downgrade() -> None:
    op.drop_table("attachment_blobs")
    with op.batch_alter_table("attachments", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_attachments_sha256"))
        batch_op.drop_index(batch_op.f("ix_attachments_suggestion_id"))
    op.drop_table("attachments")
