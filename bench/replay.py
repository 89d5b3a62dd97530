"""The raw-SQL floor beside the engine: record the statements the engine sends to SQLite, replay them bare.

``recorded(log)`` makes every SQLite connection opened in the block log what is executed on it (statements
with their parameters, commits and rollbacks); ``run_raw`` replays such a log with the bare ``sqlite3``
module on a copy of the database taken before the recorded run: the same parameterised statements in the
same transactions, with no engine around them.
"""

from __future__ import annotations

import functools
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from workflow.store.db import sqlite_settings

Log = list[tuple[str, str, Any]]


def _recording(log: Log) -> type[sqlite3.Connection]:
    """A sqlite3 connection class that logs what is executed on it."""

    class Cursor(sqlite3.Cursor):
        def execute(self, sql: str, params: Any = ()) -> sqlite3.Cursor:  # type: ignore[override]
            log.append(("execute", sql, params))
            return super().execute(sql, params)

        def executemany(self, sql: str, rows: Any) -> sqlite3.Cursor:  # type: ignore[override]
            rows = list(rows)
            log.append(("executemany", sql, rows))
            return super().executemany(sql, rows)

    class Connection(sqlite3.Connection):
        def cursor(self, factory: Any = Cursor) -> sqlite3.Cursor:  # type: ignore[override]
            return super().cursor(factory)

        def execute(self, sql: str, params: Any = ()) -> sqlite3.Cursor:  # type: ignore[override]
            return self.cursor().execute(sql, params)

        def commit(self) -> None:
            log.append(("commit", "", None))
            super().commit()

        def rollback(self) -> None:
            log.append(("rollback", "", None))
            super().rollback()

    return Connection


@contextmanager
def recorded(log: Log | None) -> Iterator[None]:
    """Within the block, SQLite connections (SQLAlchemy's pysqlite dialect included) log into ``log``."""
    original = sqlite3.dbapi2.connect  # what SQLAlchemy's pysqlite dialect calls
    if log is not None:
        sqlite3.dbapi2.connect = functools.partial(original, factory=_recording(log))  # type: ignore[assignment]
    try:
        yield
    finally:
        sqlite3.dbapi2.connect = original


def transactions_of(log: Log, *, leave_out: str | None = None) -> Log:
    """The log's transactions, from the first BEGIN IMMEDIATE on (without statements containing
    ``leave_out``, a measurement's own query)."""
    first = next(i for i, (_, sql, _p) in enumerate(log) if sql.startswith("BEGIN IMMEDIATE"))
    return [entry for entry in log[first:] if leave_out is None or leave_out not in entry[1]]


def run_raw(path: Path, log: Log) -> float:
    """Replay ``log`` on the database at ``path`` with the bare ``sqlite3`` module; the seconds it took."""
    conn = sqlite3.connect(path, isolation_level=None)
    sqlite_settings(conn)  # the engine's page cache, checkpoint interval, synchronous level
    start = time.perf_counter()
    for kind, sql, params in log:
        if kind == "execute":
            conn.execute(sql, params).fetchall()
        elif kind == "executemany":
            conn.executemany(sql, params)
        elif conn.in_transaction:  # commit or rollback (the pool's reset on return is a no-op outside one)
            conn.execute(kind.upper())
    elapsed = time.perf_counter() - start
    conn.close()
    return elapsed
