"""sweep heartbeat: when each congress's reminder sweep last ran, for `jianyi status` and monitoring

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-03
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import workflow.store.columns

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "congresses", sa.Column("last_swept_at", workflow.store.columns.UTCInstant(), nullable=True)
    )


def downgrade() -> None:
    op.drop_column("congresses", "last_swept_at")
