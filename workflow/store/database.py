"""The database as the engine uses it: connections, the writing transaction, and what differs per database.

One :class:`Database` wraps a SQLAlchemy engine. Every action writes through :meth:`Database.transaction`, on
this thread's held connection, begun and ended on the driver: SQLite takes the write lock at once (``BEGIN
IMMEDIATE``), PostgreSQL begins (``BEGIN``) and the case rows are locked when they are read (``FOR UPDATE``).
Reads (:meth:`Database.reading`) on PostgreSQL run outside any transaction (:mod:`workflow.store.db`).
What differs between the two lives in a small :class:`Dialect`, so no other module asks which database it is.
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Connection
from sqlalchemy import Engine as SAEngine
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError

from rules.i18n import _
from workflow.core.errors import ValidationError, WorkflowError
from workflow.store import db as _db

__all__ = ["POSTGRES", "SQLITE", "TX_MARK", "Database", "Dialect"]

# ``conn.info`` key of the token of the transaction (or reading) a connection is in now: a new one each time, so
# that what is checked once per transaction (the directory's name caches) knows when one begins
TX_MARK = "jianyi.tx"


@dataclass(frozen=True, slots=True)
class Dialect:
    """What one database needs said differently."""

    name: str
    begin: str  # the statement that opens a writing transaction
    row_locks: bool  # FOR UPDATE [SKIP LOCKED] exists (otherwise the transaction holds the write lock)

    def lock(self, of: str | None = None, *, skip_locked: bool = False) -> str:
        """The suffix that locks the rows a SELECT reads (of table alias ``of``), or nothing."""
        if not self.row_locks:
            return ""
        return " FOR UPDATE" + (f" OF {of}" if of else "") + (" SKIP LOCKED" if skip_locked else "")

    def duplicate(self, exc: BaseException) -> bool:
        """Whether the driver's integrity error ``exc`` is a unique key refusing a second row (not a NOT NULL,
        CHECK or foreign key refusal, which are other faults)."""
        if self.name == "postgresql":
            return getattr(exc, "sqlstate", None) == _UNIQUE_VIOLATION
        return getattr(exc, "sqlite_errorname", None) in _SQLITE_DUPLICATE


_UNIQUE_VIOLATION = "23505"  # PostgreSQL's SQLSTATE unique_violation
_SQLITE_DUPLICATE = frozenset({"SQLITE_CONSTRAINT_UNIQUE", "SQLITE_CONSTRAINT_PRIMARYKEY"})
SQLITE = Dialect("sqlite", begin="BEGIN IMMEDIATE", row_locks=False)
POSTGRES = Dialect("postgresql", begin="BEGIN", row_locks=True)


class _Shared:
    """The connection the reads of one context share (:meth:`Database.shared_reads`), taken at the first."""

    __slots__ = ("conn",)

    def __init__(self) -> None:
        self.conn: Connection | None = None

    def connection(self, db: Database) -> Connection:
        conn = self.conn
        if conn is None or conn.closed or conn.invalidated:
            if conn is not None:
                conn.close()
            conn = self.conn = db._reader.connect()
            db._begun(conn)  # one transaction mark for the context: the directory's caches checked once
        return conn

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()
            self.conn = None


class Database:
    """Connections and transactions over one SQLAlchemy engine."""

    def __init__(self, engine: SAEngine) -> None:
        self.engine = engine
        self.dialect = POSTGRES if engine.dialect.name == "postgresql" else SQLITE
        self._local = threading.local()
        self._held: list[Connection] = []
        self._held_lock = threading.Lock()
        # an in-memory SQLite database is one connection, shared: one thread at a time may use it, or a second
        # thread's statements would run inside (and its refusal roll back) the first one's transaction
        memory = engine.dialect.name == "sqlite" and engine.url.database in (None, "", ":memory:")
        self._serial: threading.RLock | None = threading.RLock() if memory else None
        self._tokens = itertools.count(1)
        self._reader = engine.execution_options(**{_db.READ: True})
        self._shared: ContextVar[_Shared | None] = ContextVar(f"jianyi.reads.{id(self)}", default=None)

    def _begun(self, conn: Connection) -> None:
        """Mark ``conn`` as in a new transaction (:data:`TX_MARK`)."""
        conn.info[TX_MARK] = next(self._tokens)

    @classmethod
    def connect(cls, url: str | Path) -> Database:
        """The database at ``url`` (a SQLAlchemy URL or a SQLite file path)."""
        return cls(_db.connect(url))

    @property
    def postgres(self) -> bool:
        """Whether this is PostgreSQL (otherwise SQLite)."""
        return self.dialect is POSTGRES

    @property
    def url(self) -> str:
        """The database URL, without password."""
        return self.engine.url.render_as_string(hide_password=True)

    def dispose(self) -> None:
        """Close every held connection and the pool."""
        with self._held_lock:
            for conn in self._held:
                if not conn.closed:
                    conn.close()
            self._held.clear()
        self._local = threading.local()
        self.engine.dispose()

    @contextmanager
    def _turn(self) -> Iterator[None]:
        """This thread's turn on an in-memory database (nothing to wait for on any other)."""
        if self._serial is None:
            yield
            return
        with self._serial:
            yield

    # ---- reading -------------------------------------------------------------------------------
    @contextmanager
    def reading(self, conn: Connection | None = None) -> Iterator[Connection]:
        """``conn`` when given (a caller already inside a transaction), else a fresh connection (on PostgreSQL
        outside any transaction: each statement sees what was committed before it), or the one the reads of
        this context share (:meth:`shared_reads`)."""
        if conn is not None:
            yield conn
            return
        shared = self._shared.get()
        if shared is not None:
            yield shared.connection(self)
            return
        with self._turn(), self._reader.connect() as fresh:
            self._begun(fresh)
            yield fresh

    @contextmanager
    def shared_reads(self) -> Iterator[None]:
        """Within the block (this context: one web request, its threads included), the reads of PostgreSQL share
        one connection, taken from the pool at the first read and given back at the end, and the directory's
        caches are checked once: a request that reads four times pays one checkout (and its liveness check) and
        one generation check, not four. Writes keep their own transactions; each read still sees what was
        committed before each of its statements. On SQLite each read keeps a connection of its own: a read there
        is a transaction, whose snapshot would not see a write the request made after it."""
        if not self.postgres:
            yield
            return
        shared = _Shared()
        token = self._shared.set(shared)
        try:
            yield
        finally:
            self._shared.reset(token)
            shared.close()

    # ---- writing -------------------------------------------------------------------------------
    def _writer(self) -> Connection:
        """This thread's held writing connection (a pool checkout per action costs more than its statements)."""
        conn: Connection | None = getattr(self._local, "writer", None)
        if conn is None or conn.closed or conn.invalidated:
            conn = self.engine.connect().execution_options(**{_db.WRITE: True})
            self._local.writer = conn
            with self._held_lock:
                self._held.append(conn)
        return conn

    def _drop_writer(self) -> None:
        """Close this thread's held writing connection (after a driver error); the next action opens another."""
        conn: Connection | None = getattr(self._local, "writer", None)
        self._local.writer = None
        if conn is None:
            return
        with self._held_lock:
            if conn in self._held:
                self._held.remove(conn)
        conn.close()

    @contextmanager
    def mapped_errors(self) -> Iterator[None]:
        """Driver errors as one-line workflow errors; the transaction has been rolled back."""
        dbapi = self.engine.dialect.loaded_dbapi
        try:
            yield
        except (dbapi.IntegrityError, IntegrityError) as exc:
            msg = _("the database refused the change, nothing was written: {error}; reload and retry")
            raise ValidationError(msg.format(error=_db.first_line(exc))) from exc
        except (dbapi.OperationalError, OperationalError) as exc:
            self._drop_writer()
            msg = _("the database is busy or unavailable, nothing was written: {error}; retry")
            raise WorkflowError(msg.format(error=_db.first_line(exc))) from exc
        except (dbapi.Error, DBAPIError) as exc:  # a trigger's exception, a check the database makes itself
            msg = _("the database refused the change, nothing was written: {error}")
            raise WorkflowError(msg.format(error=_db.first_line(exc))) from exc

    @contextmanager
    def managed(self) -> Iterator[Connection]:
        """A writing transaction managed by SQLAlchemy (directory changes, set-up)."""
        with (
            self._turn(),
            self.mapped_errors(),
            self.engine.connect().execution_options(**{_db.WRITE: True}) as conn,
            conn.begin(),
        ):
            self._begun(conn)
            yield conn

    @contextmanager
    def transaction(self) -> Iterator[Connection]:
        """One writing transaction on this thread's held connection, begun and ended on the driver.

        A transaction started from inside another (in the same thread) gets a connection of its own.
        """
        if getattr(self._local, "acting", False):
            with self.managed() as conn:
                yield conn
            return
        self._local.acting = True
        try:
            with self._turn(), self.mapped_errors():
                conn = self._writer()
                driver: Any = conn.connection.driver_connection
                driver.execute(self.dialect.begin)
                self._begun(conn)
                try:
                    yield conn
                except BaseException:
                    driver.rollback()
                    raise
                driver.commit()
        finally:
            self._local.acting = False

    @contextmanager
    def bulk(self) -> Iterator[None]:
        """For a bulk pass on this thread's writer: on SQLite a large page cache, memory-mapped reads and one WAL
        checkpoint at the end (the chunks rewrite the same index pages, which then reach the file once)."""
        if self.postgres:
            yield
            return
        driver: Any = self._writer().connection.driver_connection
        driver.execute("PRAGMA cache_size=-262144")  # 256 MiB
        driver.execute("PRAGMA mmap_size=2147483648")
        driver.execute("PRAGMA wal_autocheckpoint=0")
        try:
            yield
        finally:
            driver.execute(f"PRAGMA wal_autocheckpoint={_db.WAL_AUTOCHECKPOINT}")
            driver.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            driver.execute(f"PRAGMA cache_size={_db.CACHE_SIZE}")
            driver.execute("PRAGMA mmap_size=0")
