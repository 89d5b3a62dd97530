"""Connecting to the database and keeping its schema current.

SQLite is the embedded default: WAL, a busy timeout, foreign keys, and ``BEGIN IMMEDIATE`` for every
writing transaction so that two processes serialise instead of losing updates. PostgreSQL is the scale path;
writers lock the case row (``FOR UPDATE``) and compare-and-set its version.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.exc import DatabaseError, OperationalError, ProgrammingError
from sqlalchemy.pool import StaticPool

from rules.i18n import _
from workflow.core.errors import NotInitialised, ValidationError, WorkflowError

__all__ = [
    "HEAD_REVISION",
    "connect",
    "current_revision",
    "first_line",
    "normalise_url",
    "redact",
    "sqlite_file",
    "sqlite_settings",
    "upgrade",
]

HEAD_REVISION = "0022"
_IDLE = 0  # psycopg.pq.TransactionStatus.IDLE: no transaction open
CACHE_SIZE = -65536  # SQLite page cache per connection: 64 MiB (negative: KiB)
WAL_AUTOCHECKPOINT = 8192  # pages (16 MiB) of WAL between automatic checkpoints
LOCK_TIMEOUT_MS = 10_000  # PostgreSQL: the longest a writer waits for a locked row
WRITE = "jianyi_write"  # execution option: a transaction that writes (SQLite: BEGIN IMMEDIATE)
READ = "jianyi_read"  # execution option: reads alone (PostgreSQL: no transaction, each statement on its own)
# PostgreSQL: connections a worker keeps open, and how many more it may open for a moment. A connection opened
# for one request and closed after it cost the database a new backend process each time (with 20 clients on 2
# workers, 58 backends for 220 requests): the pool keeps as many as the worker serves at once.
POOL_SIZE = 20
POOL_OVERFLOW = 10


def normalise_url(value: str | Path) -> str:
    """A SQLAlchemy URL from a URL or a file path (a path means SQLite)."""
    text_value = str(value)
    if text_value == ":memory:":  # SQLite's own name for an in-memory database, not a file
        return "sqlite://"
    if "://" in text_value:
        if text_value.startswith("postgresql://"):
            return "postgresql+psycopg://" + text_value.removeprefix("postgresql://")
        return text_value
    return f"sqlite:///{Path(text_value).expanduser().resolve()}"


def redact(url: str) -> str:
    """The URL without its password, for messages."""
    head, sep, tail = url.partition("@")
    if not sep or "://" not in head:
        return url
    scheme, _, creds = head.partition("://")
    user = creds.split(":", 1)[0]
    return f"{scheme}://{user}@{tail}"


def sqlite_settings(dbapi_connection: Any, *, memory: bool = False) -> None:
    """Set up a new driver-level SQLite connection as the engine uses it (the benchmarks' bare ``sqlite3``
    connections too, so that a raw-SQL floor runs under the same settings)."""
    cursor = dbapi_connection.cursor()
    # A new database gets 2 KiB pages: an action touches a dozen index pages, and each is written to the
    # WAL whole at commit; measured ~30 % more actions per second than 4 KiB. A no-op on existing files.
    cursor.execute("PRAGMA page_size=2048")
    if not memory:
        cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute(f"PRAGMA cache_size={CACHE_SIZE}")
    # sorts and temporary indexes in memory: a report's per-unit grouping of a million cases sorts about
    # 150 MiB, which a temporary file made a third slower
    cursor.execute("PRAGMA temp_store=MEMORY")
    cursor.execute(f"PRAGMA wal_autocheckpoint={WAL_AUTOCHECKPOINT}")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def _sqlite_setup(engine: Engine, *, memory: bool) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # let SQLAlchemy's BEGIN below start transactions
        sqlite_settings(dbapi_connection, memory=memory)

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        # straight to the driver: this runs once per transaction
        conn.connection.driver_connection.execute(
            "BEGIN IMMEDIATE" if conn.get_execution_options().get(WRITE) else "BEGIN"
        )


def sqlite_file(url: str | Path) -> Path | None:
    """The file of a SQLite database named by ``url`` (None for an in-memory one, or another database)."""
    full = normalise_url(url)
    if not full.startswith("sqlite:///") or full in {"sqlite:///:memory:"}:
        return None
    return Path(full.removeprefix("sqlite:///").split("?", 1)[0])


def connect(url: str | Path) -> Engine:
    """A SQLAlchemy engine for ``url`` (a URL or a SQLite file path), configured for jianyi."""
    full = normalise_url(url)
    if not full.startswith(("sqlite:", "postgresql")):
        scheme = full.split("://", 1)[0]
        msg = (
            f"--db {redact(full)}: jianyi keeps its data in SQLite (give a file path) or PostgreSQL "
            f"(postgresql://USER@HOST/NAME), not {scheme}"
        )
        raise ValidationError(msg)
    if full.startswith("sqlite"):
        memory = full in {"sqlite://", "sqlite:///:memory:"}
        kwargs: dict[str, Any] = {"poolclass": StaticPool} if memory else {}
        engine = create_engine(full, connect_args={"check_same_thread": False}, **kwargs)
        _sqlite_setup(engine, memory=memory)
        return engine
    # a writer waits this long for a case row another holds, then gives up with nothing written ("busy"); a URL
    # that sets its own options (?options=-c%20lock_timeout%3D…) keeps them
    options: dict[str, Any] = {} if "options=" in full else {"options": f"-c lock_timeout={LOCK_TIMEOUT_MS}"}
    engine = create_engine(
        full,
        pool_pre_ping=True,
        pool_size=POOL_SIZE,
        max_overflow=POOL_OVERFLOW,
        pool_use_lifo=True,  # the connections used last first: their prepared statements and caches are warm
        connect_args=options | {"autocommit": True},
    )
    _postgres_setup(engine)
    return engine


def _postgres_setup(engine: Engine) -> None:
    """The driver starts no transaction by itself (autocommit); SQLAlchemy's begin sends ``BEGIN``, except on a
    connection that only reads (:data:`READ`).

    A read in a transaction cost two round trips more (``BEGIN`` and, when the pool takes the connection back,
    ``ROLLBACK``), and the rollback made psycopg forget the statements it had prepared on the connection, so
    that none was ever prepared. Reads on their own see what was committed before each statement, as they did in
    a transaction at PostgreSQL's READ COMMITTED.
    """

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        if conn.get_execution_options().get(READ):
            return
        driver = conn.connection.driver_connection
        if driver.info.transaction_status == _IDLE:  # not in one begun on the driver already
            driver.execute("BEGIN")


def first_line(exc: BaseException) -> str:
    """The first line of a driver error's message (SQLAlchemy wraps it with its own lines)."""
    return str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]


def current_revision(engine: Engine) -> str | None:
    """The schema revision the database is at, or None when it has no jianyi schema; a database that cannot
    be reached or read is named as such (not as one without a schema)."""
    url = redact(engine.url.render_as_string(hide_password=True))
    try:
        with engine.connect() as conn:
            return conn.execute(text("SELECT version_num FROM alembic_version")).scalar_one_or_none()
    except ProgrammingError:  # PostgreSQL: no such table
        return None
    except OperationalError as exc:
        if "no such table" in str(exc.orig):  # SQLite
            return None
        msg = f"cannot reach the database {url}: {first_line(exc)}; check that it runs and what --db names"
        raise WorkflowError(msg) from None
    except DatabaseError as exc:  # SQLite: "file is not a database"
        msg = f"{url} is not a database jianyi can read ({first_line(exc)}): check --db, or restore a backup"
        raise WorkflowError(msg) from None


def _newer(found: str) -> WorkflowError:
    return WorkflowError(
        _(
            "the database's schema ({found}) is newer than this jianyi knows ({HEAD_REVISION}): install the jianyi that wrote it"
        ).format(found=found, HEAD_REVISION=HEAD_REVISION)
    )


def check_schema(engine: Engine) -> None:
    """Raise :class:`NotInitialised` unless the schema is at :data:`HEAD_REVISION` (and a plain error when
    it is newer: another jianyi wrote it)."""
    found = current_revision(engine)
    if found is not None and found > HEAD_REVISION:
        raise _newer(found)
    if found != HEAD_REVISION:
        detail = (
            _("no jianyi schema")
            if found is None
            else _("schema at {found}, this jianyi needs {head}").format(found=found, head=HEAD_REVISION)
        )
        raise NotInitialised(url=redact(engine.url.render_as_string(hide_password=True)), detail=detail)


def upgrade(engine: Engine) -> None:
    """Create or upgrade the schema to the newest revision (alembic)."""
    from alembic import command
    from alembic.config import Config

    found = current_revision(engine)
    if found is not None and found > HEAD_REVISION:
        raise _newer(found)
    config = Config()
    config.set_main_option("script_location", str(resources.files("workflow.store") / "migrations"))
    try:
        with engine.connect().execution_options(**{WRITE: True}) as conn, conn.begin():
            config.attributes["connection"] = conn
            command.upgrade(config, "head")
    except OperationalError as exc:  # a read-only file or file system, a full disk
        url = redact(engine.url.render_as_string(hide_password=True))
        raise WorkflowError(
            _("cannot write the database {url}: {value}; nothing was changed").format(
                url=url, value=first_line(exc)
            )
        ) from None
