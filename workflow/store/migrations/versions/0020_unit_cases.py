"""unit cases: each unit's cases with their session, state and number, kept by the database itself

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-03

``unit_cases`` holds one row for each (unit, case) the unit is or was assigned to — a unit's scope — with the
case's session, state and number copied beside it, indexed on (unit, session, state, number): a unit's cases in
a state (its inbox) are one range of that index, already in the order of the list, and counted from the index
alone (instead of reading every case of the unit and sorting). Triggers keep it exact whatever writes
(an action, ``recompute``, a ledger import, a bulk load): an assignment inserted adds its (unit, case) once, one
deleted or moved removes it when no other assignment holds it, a change of a case's state, number or session is
copied to its rows, each in the writing transaction. On PostgreSQL the assignment's trigger reads the case under
a share lock, so a concurrent change of its state is waited for and copied. Filled for the assignments already
there. Also an index on ``deadlines(unit_id, status, due_at)``: what one unit owes by when (its ``due``, which
the unit's inbox page reads), one range of it instead of every open deadline of the congress up to the horizon.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0020"
down_revision: str | None = "0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _add(row: str) -> str:
    return (
        "INSERT INTO unit_cases (unit_id, suggestion_id, session_id, state, number) "
        f"SELECT {row}.unit_id, s.id, s.session_id, s.state, s.number FROM suggestions s "
        f"WHERE s.id = {row}.suggestion_id ON CONFLICT (suggestion_id, unit_id) DO NOTHING"
    )


def _drop(row: str) -> str:
    return (
        f"DELETE FROM unit_cases WHERE unit_id = {row}.unit_id AND suggestion_id = {row}.suggestion_id "
        "AND NOT EXISTS (SELECT 1 FROM assignments a "
        f"WHERE a.unit_id = {row}.unit_id AND a.suggestion_id = {row}.suggestion_id)"
    )


_COPY = (
    "UPDATE unit_cases SET session_id = {0}.session_id, state = {0}.state, number = {0}.number "
    "WHERE suggestion_id = {0}.id"
)
_CHANGED = "{0}.state <> {1}.state OR {0}.number <> {1}.number OR {0}.session_id <> {1}.session_id"

_SQLITE = (
    f"CREATE TRIGGER unit_cases_insert AFTER INSERT ON assignments BEGIN {_add('new')}; END",
    f"CREATE TRIGGER unit_cases_delete AFTER DELETE ON assignments BEGIN {_drop('old')}; END",
    "CREATE TRIGGER unit_cases_move AFTER UPDATE OF unit_id, suggestion_id ON assignments "
    "WHEN old.unit_id <> new.unit_id OR old.suggestion_id <> new.suggestion_id "
    f"BEGIN {_drop('old')}; {_add('new')}; END",
    "CREATE TRIGGER unit_cases_case AFTER UPDATE OF state, number, session_id ON suggestions "
    f"WHEN {_CHANGED.format('old', 'new')} BEGIN {_COPY.format('new')}; END",
)

_POSTGRES = (
    "CREATE FUNCTION unit_cases_keep() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
    f"IF TG_OP IN ('UPDATE', 'DELETE') THEN {_drop('OLD')}; END IF; "
    "IF TG_OP IN ('UPDATE', 'INSERT') THEN "
    "PERFORM 1 FROM suggestions WHERE id = NEW.suggestion_id FOR SHARE; "
    f"{_add('NEW')}; END IF; "
    "RETURN NULL; END $$",
    "CREATE TRIGGER unit_cases_insert_delete AFTER INSERT OR DELETE ON assignments "
    "FOR EACH ROW EXECUTE FUNCTION unit_cases_keep()",
    "CREATE TRIGGER unit_cases_move AFTER UPDATE OF unit_id, suggestion_id ON assignments FOR EACH ROW "
    "WHEN (OLD.unit_id <> NEW.unit_id OR OLD.suggestion_id <> NEW.suggestion_id) "
    "EXECUTE FUNCTION unit_cases_keep()",
    "CREATE FUNCTION unit_cases_copy() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
    f"{_COPY.format('NEW')}; RETURN NULL; END $$",
    "CREATE TRIGGER unit_cases_case AFTER UPDATE OF state, number, session_id ON suggestions FOR EACH ROW "
    f"WHEN ({_CHANGED.format('OLD', 'NEW')}) EXECUTE FUNCTION unit_cases_copy()",
)


def upgrade() -> None:
    op.create_table(
        "unit_cases",
        sa.Column("suggestion_id", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("number", sa.String(length=40), nullable=False),
        sa.ForeignKeyConstraint(["suggestion_id"], ["suggestions.id"]),
        sa.ForeignKeyConstraint(["unit_id"], ["units.id"]),
        sa.PrimaryKeyConstraint("suggestion_id", "unit_id"),
    )
    op.create_index(
        "ix_unit_cases_inbox", "unit_cases", ["unit_id", "session_id", "state", "number", "suggestion_id"]
    )
    op.execute(
        "INSERT INTO unit_cases (unit_id, suggestion_id, session_id, state, number) "
        "SELECT DISTINCT a.unit_id, s.id, s.session_id, s.state, s.number "
        "FROM assignments a JOIN suggestions s ON s.id = a.suggestion_id"
    )
    for statement in _POSTGRES if op.get_bind().dialect.name == "postgresql" else _SQLITE:
        op.execute(statement)
    op.create_index("ix_deadlines_unit_open", "deadlines", ["unit_id", "status", "due_at"])


def downgrade() -> None:
    op.drop_index("ix_deadlines_unit_open", table_name="deadlines")
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER unit_cases_case ON suggestions")
        op.execute("DROP TRIGGER unit_cases_move ON assignments")
        op.execute("DROP TRIGGER unit_cases_insert_delete ON assignments")
        op.execute("DROP FUNCTION unit_cases_copy()")
        op.execute("DROP FUNCTION unit_cases_keep()")
    else:
        for trigger in ("case", "move", "delete", "insert"):
            op.execute(f"DROP TRIGGER unit_cases_{trigger}")
    op.drop_index("ix_unit_cases_inbox", table_name="unit_cases")
    op.drop_table("unit_cases")
