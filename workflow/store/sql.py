"""Hand-written SQL on the driver connection, for the write path of every action.

SQLAlchemy's expression layer costs about 60 µs a statement here; the driver's cursor about 9 µs. An
action runs ten statements or so, so the engine's hot path speaks SQL directly, inside the transaction the
SQLAlchemy connection opened (the same driver connection, so the same transaction and locks).

Values are stored exactly as SQLAlchemy stores them, so the ORM-level readers see the same rows: on SQLite
instants are naive-UTC text ``YYYY-MM-DD HH:MM:SS.ffffff``, dates ISO text, booleans 0/1; on PostgreSQL the
driver's native types.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, date, datetime
from functools import cache, lru_cache
from typing import Any

from sqlalchemy import Connection

__all__ = ["Prepared", "Raw", "as_date", "as_instant", "update_sql"]

_NAMED = re.compile(r"(?<![:\w]):([a-z_][a-z0-9_]*)")


@cache
def _pg(sql: str) -> str:
    return _NAMED.sub(r"%(\1)s", sql.replace("%", "%%"))


@cache
def _insert_sql(table: str, columns: tuple[str, ...]) -> str:
    return f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join(f':{c}' for c in columns)})"


@cache
def _positional_insert(table: str, columns: tuple[str, ...], rows: int = 1) -> str:
    """An insert of ``rows`` rows at once, positional parameters (SQLite)."""
    one = f"({', '.join('?' for _ in columns)})"
    return f"INSERT INTO {table} ({', '.join(columns)}) VALUES {', '.join([one] * rows)}"


# how many parameters one SQLite statement binds at most: SQLite's own limit (SQLITE_MAX_VARIABLE_NUMBER) before
# 3.32, which raised it to 32,766
_SQLITE_PARAMETERS = 999
# rows one multi-row insert holds at most: past a few hundred, a longer statement gains nothing
_ROWS_AT_ONCE = 200


# Rows inserted many at a time whose key may be taken: a reminder step recorded again after the step it repeats
# was superseded (workflow.backfill) revives that step's notice when it was never sent, and leaves one that was
# sent (or is on its way) as it is, so nobody gets a step twice.
_ON_CONFLICT = {
    "outbox": (
        " ON CONFLICT (key) DO UPDATE SET status = 'pending', reason = NULL, attempts = 0,"
        " payload = excluded.payload, available_at = excluded.available_at"
        " WHERE outbox.status = 'suppressed' AND outbox.reason LIKE 'superseded%'"
    )
}


@cache
def update_sql(table: str, columns: tuple[str, ...], where: str) -> str:
    """``UPDATE table SET c = :c, … WHERE where`` (cached: the same few shapes recur)."""
    return f"UPDATE {table} SET {', '.join(f'{c} = :{c}' for c in columns)} WHERE {where}"


def _sqlite_value(value: Any) -> Any:
    kind = type(value)
    if kind is str or kind is int or value is None:
        return value
    if kind is datetime:
        return _sqlite_instant(value)
    if kind is bool:
        return int(value)
    if kind is date:
        return value.isoformat()
    if isinstance(value, datetime):
        return _sqlite_value(datetime.fromisoformat(value.isoformat()))
    return value


class _Converted(dict[Any, Any]):
    """Instants, dates and booleans as SQLite stores them, by value: a batch's rows repeat the same few, and a
    lookup here costs a tenth of a conversion's call."""

    __slots__ = ()

    def __missing__(self, value: Any) -> Any:
        if len(self) >= 4096:
            self.clear()
        found = self[value] = _sqlite_value(value)
        return found


_CONVERTED = _Converted()
_REPEATING = frozenset({datetime, date, bool})  # the types :data:`_CONVERTED` holds (hashable, and recurring)


@lru_cache(maxsize=256)
def _sqlite_instant(value: datetime) -> str:
    """An instant as SQLAlchemy stores it on SQLite (the same few instants recur within an action)."""
    if value.tzinfo is None:
        raise ValueError(_naive(value))
    return value.astimezone(UTC).replace(tzinfo=None).isoformat(" ", "microseconds")


def _naive(value: datetime) -> str:
    return f"naive datetime {value.isoformat()} refused: instants must be timezone-aware"


def as_instant(value: Any) -> datetime | None:
    """A stored instant as an aware UTC datetime."""
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if not isinstance(value, datetime):
        msg = f"expected an instant, got {type(value).__name__}"
        raise TypeError(msg)
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def as_date(value: Any) -> date:
    """A stored date as a ``date``."""
    if isinstance(value, str):
        return date.fromisoformat(value[:10])
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    msg = f"expected a date, got {type(value).__name__}"
    raise TypeError(msg)


class Prepared(dict[str, Any]):
    """Parameters already in the form the database stores (see :meth:`Raw.prepare`): the driver takes them as
    they are (a bulk pass prepares the values many rows share once, not once a row)."""

    __slots__ = ()


class Raw:
    """SQL with ``:name`` parameters, run on the driver connection of ``conn`` in its transaction."""

    __slots__ = ("_conn", "postgres")

    def __init__(self, conn: Connection) -> None:
        self.postgres = conn.dialect.name == "postgresql"
        self._conn: Any = conn.connection.driver_connection

    def _params(self, params: Mapping[str, Any]) -> Mapping[str, Any]:
        if type(params) is Prepared:
            return params
        if self.postgres:
            # the driver would take a naive instant in the server's zone: refuse it, as on SQLite
            for value in params.values():
                if type(value) is datetime and value.tzinfo is None:
                    raise ValueError(_naive(value))
            return params
        return {
            k: v if (t := type(v)) is str or t is int or v is None else _sqlite_value(v)
            for k, v in params.items()
        }

    def _cursor(self, sql: str, params: Mapping[str, Any]) -> Any:
        cursor = self._conn.cursor()
        cursor.execute(_pg(sql) if self.postgres else sql, self._params(params))
        return cursor

    def _names(self, cursor: Any) -> list[str]:
        """The names of the columns of ``cursor``'s result. On PostgreSQL from the result itself: psycopg's
        ``description`` builds an object for each column, every time (a case's 30 columns cost more than its row)."""
        if self.postgres:
            result = cursor.pgresult
            return [result.fname(i).decode() for i in range(result.nfields)]
        return [d[0] for d in cursor.description] if cursor.description else []

    def run(self, sql: str, params: Mapping[str, Any] | None = None) -> int:
        """Execute a statement; the number of rows it touched."""
        cursor = self._cursor(sql, params or {})
        count = int(cursor.rowcount)
        cursor.close()
        return count

    def value(self, value: Any) -> Any:
        """``value`` as this database stores it (for callers that prepare many rows themselves)."""
        return value if self.postgres else _sqlite_value(value)

    def prepare(self, values: Mapping[str, Any]) -> Prepared:
        """``values`` as this database stores them, marked so that no write converts them again."""
        return Prepared(values if self.postgres else {k: _sqlite_value(v) for k, v in values.items()})

    def many(self, sql: str, rows: Sequence[Mapping[str, Any]], *, prepared: bool = False) -> int:
        """Execute one statement for each parameter set; the rows touched in all (-1 when unknown).

        ``prepared``: every value already went through :meth:`value` (saves a conversion pass on big batches).
        """
        if not rows:
            return 0
        cursor = self._conn.cursor()
        params = rows if prepared else [self._params(r) for r in rows]
        cursor.executemany(_pg(sql) if self.postgres else sql, params)
        count = int(cursor.rowcount)
        cursor.close()
        return count

    def one(self, sql: str, params: Mapping[str, Any] | None = None) -> dict[str, Any] | None:
        """The first row as a dict, or None."""
        cursor = self._cursor(sql, params or {})
        row = cursor.fetchone()
        names = self._names(cursor)
        cursor.close()
        return None if row is None else dict(zip(names, row, strict=True))

    def rows(self, sql: str, params: Mapping[str, Any] | None = None) -> list[dict[str, Any]]:
        """Every row, as dicts."""
        cursor = self._cursor(sql, params or {})
        names = self._names(cursor)
        found = [dict(zip(names, r, strict=True)) for r in cursor.fetchall()]
        cursor.close()
        return found

    def table(
        self, sql: str, params: Mapping[str, Any] | None = None
    ) -> tuple[list[str], list[tuple[Any, ...]]]:
        """The column names and every row, as tuples (for rows whose names repeat, such as a join's)."""
        cursor = self._cursor(sql, params or {})
        names = self._names(cursor)
        rows = cursor.fetchall()
        cursor.close()
        return names, rows

    def all(self, sql: str, params: Mapping[str, Any] | None = None) -> list[tuple[Any, ...]]:
        """Every row, as tuples."""
        cursor = self._cursor(sql, params or {})
        rows = [tuple(r) for r in cursor.fetchall()]
        cursor.close()
        return rows

    def column(self, sql: str, params: Mapping[str, Any] | None = None) -> list[Any]:
        """The first column of every row."""
        return [r[0] for r in self.all(sql, params)]

    def insert(self, table: str, values: Mapping[str, Any]) -> int:
        """Insert one row; its new id."""
        sql = _insert_sql(table, tuple(values))
        if self.postgres:
            cursor = self._cursor(sql + " RETURNING id", values)
            new_id = int(cursor.fetchone()[0])
        else:
            cursor = self._cursor(sql, values)
            new_id = int(cursor.lastrowid)
        cursor.close()
        return new_id

    def insert_many(self, table: str, rows: Sequence[Mapping[str, Any]], *, prepared: bool = False) -> None:
        """Insert rows that share their columns, in their order. On SQLite as positional parameters (binding by
        name looks every name up again for every row, about twice the cost), up to :data:`_ROWS_AT_ONCE` rows to
        a statement; on PostgreSQL one statement a row, batched by the driver (a row whose key an earlier row of
        the same statement took would fail a multi-row ``ON CONFLICT DO UPDATE`` there)."""
        if not rows:
            return
        columns = tuple(rows[0])
        if self.postgres:
            self.many(_insert_sql(table, columns) + _ON_CONFLICT.get(table, ""), rows)
            return
        if prepared:
            values = [tuple(r[c] for c in columns) for r in rows]
        else:
            # a list comprehension, not a generator, inside ``tuple``: about half the cost a row
            converted, repeating = _CONVERTED, _REPEATING
            values = [
                tuple(
                    [
                        v
                        if (t := type(v)) is str or t is int or v is None
                        else converted[v]
                        if t in repeating
                        else _sqlite_value(v)
                        for v in map(r.__getitem__, columns)
                    ]
                )
                for r in rows
            ]
        # many rows to a statement: each statement SQLite runs costs its own setup, however small its row
        cursor = self._conn.cursor()
        conflict = _ON_CONFLICT.get(table, "")
        at_once = max(1, min(_ROWS_AT_ONCE, _SQLITE_PARAMETERS // len(columns)))
        whole = len(values) - len(values) % at_once
        if whole:
            sql = _positional_insert(table, columns, at_once) + conflict
            cursor.executemany(
                sql,
                [
                    tuple(itertools.chain.from_iterable(values[i : i + at_once]))
                    for i in range(0, whole, at_once)
                ],
            )
        if whole < len(values):
            rest = values[whole:]
            sql = _positional_insert(table, columns, len(rest)) + conflict
            cursor.execute(sql, tuple(itertools.chain.from_iterable(rest)))
        cursor.close()

    @staticmethod
    def in_list(prefix: str, values: Iterable[Any]) -> tuple[str, dict[str, Any]]:
        """``(:p0, :p1, …)`` and its parameters, for an IN clause."""
        params = {f"{prefix}{i}": v for i, v in enumerate(values)}
        return "(" + ", ".join(f":{k}" for k in params) + ")", params
