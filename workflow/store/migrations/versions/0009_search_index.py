"""search index: title and content searchable by any substring (Chinese has no spaces between words)

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-03

SQLite: an FTS5 table with the trigram tokenizer over ``suggestions(title, content)`` (external content: it
stores only the index), kept in step by triggers on insert, delete and a change of title or content, and
filled for the cases already there. PostgreSQL: the ``pg_trgm`` extension and a GIN trigram index on each of
the two columns (creating the extension needs a user allowed to, or an administrator who created it before).
``workflow.store.search`` queries them.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# workflow.store.search's names as they stood at this revision (a migration keeps its own copy)
_FTS = "suggestions_fts"
_TRIGRAM_INDEXES = {"ix_suggestions_title_trgm": "title", "ix_suggestions_content_trgm": "content"}

_SQLITE = (
    f"CREATE VIRTUAL TABLE {_FTS} USING fts5(title, content, content='suggestions', content_rowid='id', "
    "tokenize='trigram')",
    f"CREATE TRIGGER {_FTS}_insert AFTER INSERT ON suggestions BEGIN "
    f"INSERT INTO {_FTS}(rowid, title, content) VALUES (new.id, new.title, new.content); END",
    f"CREATE TRIGGER {_FTS}_delete AFTER DELETE ON suggestions BEGIN "
    f"INSERT INTO {_FTS}({_FTS}, rowid, title, content) VALUES ('delete', old.id, old.title, old.content); END",
    f"CREATE TRIGGER {_FTS}_update AFTER UPDATE OF title, content ON suggestions BEGIN "
    f"INSERT INTO {_FTS}({_FTS}, rowid, title, content) VALUES ('delete', old.id, old.title, old.content); "
    f"INSERT INTO {_FTS}(rowid, title, content) VALUES (new.id, new.title, new.content); END",
    f"INSERT INTO {_FTS}({_FTS}) VALUES ('rebuild')",
)


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        for name, column in _TRIGRAM_INDEXES.items():
            op.execute(f"CREATE INDEX {name} ON suggestions USING gin ({column} gin_trgm_ops)")
        return
    for statement in _SQLITE:
        op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for name in _TRIGRAM_INDEXES:
            op.execute(f"DROP INDEX {name}")
        return
    for trigger in ("update", "delete", "insert"):
        op.execute(f"DROP TRIGGER {_FTS}_{trigger}")
    op.execute(f"DROP TABLE {_FTS}")
