"""reminder sweep: deadlines.next_step_at with its index; outbox status 'digested'

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-21

Open deadlines of an upgraded database get ``next_step_at`` = their start, so that the first sweep looks at
each once and records the latest ladder step already due (earlier missed steps are recorded as skipped).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import workflow.store.columns

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_OLD = "status IN ('pending', 'sending', 'sent', 'failed', 'dead', 'suppressed')"
_NEW = "status IN ('pending', 'sending', 'sent', 'failed', 'dead', 'suppressed', 'digested')"


def upgrade() -> None:
    with op.batch_alter_table("deadlines", schema=None) as batch_op:
        batch_op.add_column(sa.Column("next_step_at", workflow.store.columns.UTCInstant(), nullable=True))
        batch_op.create_index("ix_deadlines_next_step", ["next_step_at"], unique=False)
    op.execute(
        "UPDATE deadlines SET next_step_at = (SELECT min(s.assigned_at) FROM suggestions s "
        "WHERE s.id = deadlines.suggestion_id) WHERE status = 'open'"
    )
    op.execute("UPDATE deadlines SET next_step_at = due_at WHERE status = 'open' AND next_step_at IS NULL")
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_constraint("ck_outbox_status", type_="check")
        batch_op.create_check_constraint("ck_outbox_status", _NEW)


def downgrade() -> None:
    op.execute("UPDATE outbox SET status = 'sent' WHERE status = 'digested'")
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_constraint("ck_outbox_status", type_="check")
        batch_op.create_check_constraint("ck_outbox_status", _OLD)
    with op.batch_alter_table("deadlines", schema=None) as batch_op:
        batch_op.drop_index("ix_deadlines_next_step")
        batch_op.drop_column("next_step_at")
