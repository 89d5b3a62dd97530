"""Fixtures shared by the suite: a frozen clock, engines on SQLite copies and PostgreSQL, a CLI runner.

An engine is on a fresh SQLite file unless the module names the backends it runs on::

    pytestmark = pytest.mark.parametrize(
        "backend", ["sqlite-file", pytest.param("postgresql", marks=pytest.mark.postgres)], indirect=True
    )

(backends: ``sqlite-file``, ``sqlite-memory``, ``postgresql``; PostgreSQL is skipped, with the reason, when
JIANYI_TEST_PG_URL is unset). Every fresh database holds what the SQLite template holds: the current session,
four units and three deputies. On PostgreSQL each is a ``CREATE DATABASE … TEMPLATE`` copy of one database
migrated and filled once per run, dropped when the test ends.
"""

from __future__ import annotations

import email
import itertools
import os
import shutil
import socket
import uuid
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from click.testing import CliRunner
from hypothesis import HealthCheck, settings
from sqlalchemy import Engine as SAEngine
from sqlalchemy import create_engine, text

from workflow.engine import Engine
from workflow.testing import DEFAULT_DEPUTIES, DEFAULT_SESSION, DEFAULT_UNITS, FrozenClock, make_engine

settings.register_profile(
    "jianyi", deadline=None, max_examples=60, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
settings.load_profile("jianyi")

PG_ENV = "JIANYI_TEST_PG_URL"


@pytest.fixture(scope="session", autouse=True)
def english() -> Iterator[None]:
    """The suite reads jianyi's English source texts (JIANYI_LANG=en), set before any other fixture runs;
    tests of the Chinese default use the ``chinese`` fixture (or ``monkeypatch.setenv``)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("JIANYI_LANG", "en")
        yield


@pytest.fixture
def chinese(monkeypatch: pytest.MonkeyPatch) -> None:
    """jianyi's default language, Chinese (JIANYI_LANG unset)."""
    monkeypatch.delenv("JIANYI_LANG")


@pytest.fixture
def clock() -> FrozenClock:
    """A clock frozen at 2026-03-02 09:00 Beijing time (a Monday)."""
    return FrozenClock("2026-03-02T09:00:00+08:00")


TEMPLATE_CLOCK = "2026-01-05T09:00:00+08:00"  # when the template databases were set up
BACKENDS = ("sqlite-file", "sqlite-memory", "postgresql")


def _seed(engine: Engine) -> None:
    engine.add_session(DEFAULT_SESSION, current=True)
    for name in DEFAULT_UNITS:
        engine.add_unit(name)
    for name in DEFAULT_DEPUTIES:
        engine.add_deputy(name)


@pytest.fixture(scope="session")
def template_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite database with the test session, units and deputies, built once."""
    path = tmp_path_factory.mktemp("template") / "template.db"
    engine = Engine.init(path, clock=FrozenClock(TEMPLATE_CLOCK))
    _seed(engine)
    engine.dispose()
    return path


@pytest.fixture
def db_path(template_db: Path, tmp_path: Path) -> Path:
    """A fresh copy of the template database."""
    target = tmp_path / "jianyi.db"
    shutil.copy(template_db, target)
    return target


class PostgresServer:
    """The server JIANYI_TEST_PG_URL names, where tests make databases and drop them."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.admin: SAEngine = create_engine(
            base.replace("postgresql://", "postgresql+psycopg://", 1), isolation_level="AUTOCOMMIT"
        )

    def url(self, name: str) -> str:
        """The URL of database ``name`` on this server."""
        return self.base.rsplit("/", 1)[0] + "/" + name

    def create(self, *, template: str | None = None) -> str:
        """A new database (empty, or a copy of ``template``); its name."""
        name = f"jianyi_t_{uuid.uuid4().hex[:12]}"
        copy = f' TEMPLATE "{template}"' if template else ""
        with self.admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"{copy}'))
        return name

    def drop(self, name: str) -> None:
        """Drop database ``name``, closing whatever is still connected to it."""
        with self.admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))

    @contextmanager
    def database(self, *, template: str | None = None) -> Iterator[str]:
        """The URL of a new database (empty, or a copy of ``template``), dropped when the block ends."""
        name = self.create(template=template)
        try:
            yield self.url(name)
        finally:
            self.drop(name)


def _need_postgres() -> str:
    base = os.environ.get(PG_ENV)
    if not base:
        pytest.skip(f"PostgreSQL tests need {PG_ENV} (e.g. postgresql://postgres@127.0.0.1:5432/test)")
    return base


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresServer]:
    """The PostgreSQL server of JIANYI_TEST_PG_URL; skipped when it is unset."""
    server = PostgresServer(_need_postgres())
    yield server
    server.admin.dispose()


@pytest.fixture(scope="session")
def pg_template(postgres: PostgresServer) -> Iterator[str]:
    """The name of a PostgreSQL database migrated and filled like ``template_db``, built once per run."""
    name = postgres.create()
    try:
        with Engine.init(postgres.url(name), clock=FrozenClock(TEMPLATE_CLOCK)) as engine:
            _seed(engine)
        yield name
    finally:
        postgres.drop(name)


@pytest.fixture
def pg_url(postgres: PostgresServer) -> Iterator[str]:
    """A fresh, empty PostgreSQL database (dropped afterwards); skipped when JIANYI_TEST_PG_URL is unset."""
    with postgres.database() as url:
        yield url


@pytest.fixture
def backend(request: pytest.FixtureRequest) -> str:
    """The database the test's engines run on: ``sqlite-file`` unless the module parametrizes ``backend``
    (indirectly); ``postgresql`` is skipped when JIANYI_TEST_PG_URL is unset."""
    name = str(getattr(request, "param", "sqlite-file"))
    if name not in BACKENDS:
        raise ValueError(f"backend {name!r} unknown: use {', '.join(BACKENDS)}")
    if name == "postgresql":
        _need_postgres()
    return name


FreshEngine = Callable[[FrozenClock], AbstractContextManager[Engine]]


@pytest.fixture
def fresh_engine(
    backend: str, template_db: Path, tmp_path: Path, request: pytest.FixtureRequest
) -> FreshEngine:
    """Opens engines on the test's backend, each on a database of its own prepared like the template (the
    current session, four units, three deputies), removed when its block ends: ``with fresh_engine(clock) as
    engine``."""
    numbers = itertools.count(1)
    server: PostgresServer | None = None
    template = ""
    if backend == "postgresql":
        server = request.getfixturevalue("postgres")
        template = request.getfixturevalue("pg_template")

    @contextmanager
    def sqlite_file(clock: FrozenClock) -> Iterator[Engine]:
        path = tmp_path / f"fresh-{next(numbers)}.db"
        shutil.copy(template_db, path)
        try:
            with Engine.open(path, clock=clock) as opened:
                yield opened
        finally:
            for leftover in tmp_path.glob(f"{path.name}*"):
                if leftover.is_dir():  # the attachments folder beside the file
                    shutil.rmtree(leftover)
                else:
                    leftover.unlink()

    @contextmanager
    def sqlite_memory(clock: FrozenClock) -> Iterator[Engine]:
        with make_engine("sqlite://", clock=clock) as opened:
            yield opened

    @contextmanager
    def postgresql(clock: FrozenClock) -> Iterator[Engine]:
        assert server is not None
        with server.database(template=template) as url, Engine.open(url, clock=clock) as opened:
            yield opened

    return {"sqlite-file": sqlite_file, "sqlite-memory": sqlite_memory, "postgresql": postgresql}[backend]


@pytest.fixture
def engine(backend: str, clock: FrozenClock, request: pytest.FixtureRequest) -> Iterator[Engine]:
    """An engine with a current session, four units and three deputies: on the fresh SQLite file ``db_path``,
    or on a fresh database of the backend the module runs on."""
    if backend == "sqlite-file":  # the file a test may also hand to the command line
        with Engine.open(request.getfixturevalue("db_path"), clock=clock) as opened:
            yield opened
        return
    fresh: FreshEngine = request.getfixturevalue("fresh_engine")
    with fresh(clock) as opened:
        yield opened


@pytest.fixture
def runner() -> CliRunner:
    """A click test runner."""
    return CliRunner()


class Mailbox:
    """What the test SMTP server received; addresses in ``refuse`` are refused."""

    def __init__(self) -> None:
        self.messages: list[email.message.Message] = []
        self.refuse: set[str] = set()

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, options: Any) -> str:
        if address in self.refuse:
            return "550 no such user"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(email.message_from_bytes(envelope.content))
        return "250 Message accepted for delivery"


@pytest.fixture
def smtp_server() -> Iterator[tuple[Mailbox, int]]:
    """A real SMTP server on 127.0.0.1 collecting what it receives."""
    box = Mailbox()
    with socket.socket() as probe:  # a free port (the controller cannot take port 0)
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(box, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield box, port
    finally:
        controller.stop()
