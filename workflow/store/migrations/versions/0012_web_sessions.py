"""web sessions: the signed-in sessions of the web portal and API (only a hash of each token), and failed
sign-ins under names no account bears

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-03
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import workflow.store.columns

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "web_sessions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("created_at", workflow.store.columns.UTCInstant(), nullable=False),
        sa.Column("last_seen_at", workflow.store.columns.UTCInstant(), nullable=False),
        sa.Column("expires_at", workflow.store.columns.UTCInstant(), nullable=False),
        sa.ForeignKeyConstraint(["account_id"], ["accounts.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("token_hash"),
    )
    with op.batch_alter_table("web_sessions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_web_sessions_account_id"), ["account_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_web_sessions_expires_at"), ["expires_at"], unique=False)
    op.create_table(
        "web_login_failures",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("congress_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("at", workflow.store.columns.UTCInstant(), nullable=False),
        sa.ForeignKeyConstraint(["congress_id"], ["congresses.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("web_login_failures", schema=None) as batch_op:
        batch_op.create_index("ix_web_login_failures_name_at", ["congress_id", "name", "at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("web_login_failures", schema=None) as batch_op:
        batch_op.drop_index("ix_web_login_failures_name_at")
    op.drop_table("web_login_failures")
    with op.batch_alter_table("web_sessions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_web_sessions_expires_at"))
        batch_op.drop_index(batch_op.f("ix_web_sessions_account_id"))
    op.drop_table("web_sessions")
