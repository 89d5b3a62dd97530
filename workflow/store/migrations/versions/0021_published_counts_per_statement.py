"""published counts on PostgreSQL: kept once per statement, from its transition tables

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-03

0018's PostgreSQL triggers kept ``published_counts`` with one upsert of the session's row for each case written:
a statement writing many cases of one session (a bulk load's COPY, a ledger import, ``recompute``) updated that
one row once per case in the one transaction, each update leaving a dead version of it behind for the next to
step over, so that a million cases took longer than anyone waited. On PostgreSQL the counts are now kept by
statement-level triggers (one for each of INSERT, DELETE and UPDATE, each with its transition tables): the
statement's published cases leaving and entering each session are counted once, the sessions whose count
changes updated once each, in the order of their ids (so two transactions lock the rows they share in the same
order; concurrent writers still add up, each waiting on the row the other holds). The counts stay exact; an
update that changes no case's publication or session writes nothing. SQLite keeps 0018's row-level triggers
(its updates of one row in a transaction are cheap, and it has no transition tables).
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0021"
down_revision: str | None = "0020"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# workflow.store.scope.PUBLISHED as it stood at this revision (a migration keeps its own copy)
_PUBLISHED = ("answered", "closed", "re_handled", "revisited")
_STATES = ", ".join(f"'{s}'" for s in _PUBLISHED)


def _published(row: str) -> str:
    return f"(NOT {row}.confidential AND {row}.state IN ({_STATES}))"


def _apply(deltas: str) -> str:
    """Add ``deltas`` (rows of session_id and delta) to the counts: one row per session whose count changes,
    locked in the order of the session ids."""
    return (
        "INSERT INTO published_counts (session_id, cases) "
        f"SELECT d.session_id, sum(d.delta) FROM ({deltas}) d "
        "GROUP BY d.session_id HAVING sum(d.delta) <> 0 ORDER BY d.session_id "
        "ON CONFLICT (session_id) DO UPDATE SET cases = published_counts.cases + excluded.cases"
    )


_LEAVING = f"SELECT o.session_id, -1 AS delta FROM old_rows o WHERE {_published('o')}"
_ENTERING = f"SELECT n.session_id, 1 AS delta FROM new_rows n WHERE {_published('n')}"

_POSTGRES = (
    "CREATE FUNCTION published_counts_keep_statement() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
    f"IF TG_OP = 'INSERT' THEN {_apply(_ENTERING)}; "
    f"ELSIF TG_OP = 'DELETE' THEN {_apply(_LEAVING)}; "
    f"ELSE {_apply(f'{_LEAVING} UNION ALL {_ENTERING}')}; END IF; "
    "RETURN NULL; END $$",
    "CREATE TRIGGER published_counts_insert AFTER INSERT ON suggestions REFERENCING NEW TABLE AS new_rows "
    "FOR EACH STATEMENT EXECUTE FUNCTION published_counts_keep_statement()",
    "CREATE TRIGGER published_counts_delete AFTER DELETE ON suggestions REFERENCING OLD TABLE AS old_rows "
    "FOR EACH STATEMENT EXECUTE FUNCTION published_counts_keep_statement()",
    "CREATE TRIGGER published_counts_update AFTER UPDATE ON suggestions "
    "REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows "
    "FOR EACH STATEMENT EXECUTE FUNCTION published_counts_keep_statement()",
)

# 0018's row-level triggers, as it made them
_ROW_FUNCTION = (
    "CREATE FUNCTION published_counts_keep() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
    f"IF TG_OP IN ('UPDATE', 'DELETE') THEN IF {_published('OLD')} THEN "
    "INSERT INTO published_counts (session_id, cases) VALUES (OLD.session_id, -1) "
    "ON CONFLICT (session_id) DO UPDATE SET cases = published_counts.cases + -1; END IF; END IF; "
    f"IF TG_OP IN ('UPDATE', 'INSERT') THEN IF {_published('NEW')} THEN "
    "INSERT INTO published_counts (session_id, cases) VALUES (NEW.session_id, 1) "
    "ON CONFLICT (session_id) DO UPDATE SET cases = published_counts.cases + 1; END IF; END IF; "
    "RETURN NULL; END $$"
)
_ROW_TRIGGERS = (
    "CREATE TRIGGER published_counts_insert_delete AFTER INSERT OR DELETE ON suggestions "
    "FOR EACH ROW EXECUTE FUNCTION published_counts_keep()",
    "CREATE TRIGGER published_counts_update AFTER UPDATE OF state, confidential, session_id ON suggestions "
    "FOR EACH ROW WHEN "
    f"({_published('OLD')} IS DISTINCT FROM {_published('NEW')} OR OLD.session_id <> NEW.session_id) "
    "EXECUTE FUNCTION published_counts_keep()",
)


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP TRIGGER published_counts_update ON suggestions")
    op.execute("DROP TRIGGER published_counts_insert_delete ON suggestions")
    op.execute("DROP FUNCTION published_counts_keep()")
    for statement in _POSTGRES:
        op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for trigger in ("update", "delete", "insert"):
        op.execute(f"DROP TRIGGER published_counts_{trigger} ON suggestions")
    op.execute("DROP FUNCTION published_counts_keep_statement()")
    op.execute(_ROW_FUNCTION)
    for statement in _ROW_TRIGGERS:
        op.execute(statement)
