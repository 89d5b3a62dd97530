"""published counts: how many cases of each session the public site lists, kept by the database itself

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-03

``published_counts`` holds, for each session, the number of its published cases (not confidential, in a
published state): the public list's total, read in one row instead of counted over every case of the session.
Triggers on ``suggestions`` keep it exact whatever writes the cases (an action, ``recompute``, a ledger import,
a bulk load): on an insert, a delete, and a change of state, confidentiality or session, each in the writing
transaction (on PostgreSQL the session's row is locked until it commits, so concurrent writers add up). The
counts are filled for the cases already there. Also an index on ``assignments(unit_id, suggestion_id)``: a
unit's scope read from the index alone.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# workflow.store.scope.PUBLISHED as it stood at this revision (a migration keeps its own copy)
_PUBLISHED = ("answered", "closed", "re_handled", "revisited")
_STATES = ", ".join(f"'{s}'" for s in _PUBLISHED)


def _published(row: str) -> str:
    return f"(NOT {row}.confidential AND {row}.state IN ({_STATES}))"


def _add(row: str, delta: int) -> str:
    return (
        f"INSERT INTO published_counts (session_id, cases) VALUES ({row}.session_id, {delta}) "
        f"ON CONFLICT (session_id) DO UPDATE SET cases = published_counts.cases + {delta}"
    )


_SQLITE = (
    "CREATE TRIGGER published_counts_insert AFTER INSERT ON suggestions "
    f"WHEN {_published('new')} BEGIN {_add('new', 1)}; END",
    "CREATE TRIGGER published_counts_delete AFTER DELETE ON suggestions "
    f"WHEN {_published('old')} BEGIN {_add('old', -1)}; END",
    "CREATE TRIGGER published_counts_update AFTER UPDATE OF state, confidential, session_id ON suggestions "
    f"WHEN {_published('old')} <> {_published('new')} OR old.session_id <> new.session_id BEGIN "
    f"INSERT INTO published_counts (session_id, cases) SELECT old.session_id, -1 WHERE {_published('old')} "
    "ON CONFLICT (session_id) DO UPDATE SET cases = published_counts.cases - 1; "
    f"INSERT INTO published_counts (session_id, cases) SELECT new.session_id, 1 WHERE {_published('new')} "
    "ON CONFLICT (session_id) DO UPDATE SET cases = published_counts.cases + 1; END",
)

_POSTGRES = (
    "CREATE FUNCTION published_counts_keep() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
    f"IF TG_OP IN ('UPDATE', 'DELETE') THEN IF {_published('OLD')} THEN {_add('OLD', -1)}; END IF; END IF; "
    f"IF TG_OP IN ('UPDATE', 'INSERT') THEN IF {_published('NEW')} THEN {_add('NEW', 1)}; END IF; END IF; "
    "RETURN NULL; END $$",
    "CREATE TRIGGER published_counts_insert_delete AFTER INSERT OR DELETE ON suggestions "
    "FOR EACH ROW EXECUTE FUNCTION published_counts_keep()",
    "CREATE TRIGGER published_counts_update AFTER UPDATE OF state, confidential, session_id ON suggestions "
    "FOR EACH ROW WHEN "
    f"({_published('OLD')} IS DISTINCT FROM {_published('NEW')} OR OLD.session_id <> NEW.session_id) "
    "EXECUTE FUNCTION published_counts_keep()",
)


def upgrade() -> None:
    op.create_table(
        "published_counts",
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("cases", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["session_id"], ["sessions.id"]),
        sa.PrimaryKeyConstraint("session_id"),
    )
    op.execute(
        "INSERT INTO published_counts (session_id, cases) SELECT s.session_id, count(*) FROM suggestions s "
        f"WHERE {_published('s')} GROUP BY s.session_id"
    )
    for statement in _POSTGRES if op.get_bind().dialect.name == "postgresql" else _SQLITE:
        op.execute(statement)
    with op.batch_alter_table("assignments", schema=None) as batch_op:
        batch_op.create_index("ix_assignments_unit_case", ["unit_id", "suggestion_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("assignments", schema=None) as batch_op:
        batch_op.drop_index("ix_assignments_unit_case")
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER published_counts_update ON suggestions")
        op.execute("DROP TRIGGER published_counts_insert_delete ON suggestions")
        op.execute("DROP FUNCTION published_counts_keep()")
    else:
        for trigger in ("update", "delete", "insert"):
            op.execute(f"DROP TRIGGER published_counts_{trigger}")
    op.drop_table("published_counts")
