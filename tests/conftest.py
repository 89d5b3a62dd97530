"""Fixtures shared by the suite: a frozen clock, engines on SQLite copies and PostgreSQL, a CLI runner."""

from __future__ import annotations

import email
import os
import shutil
import socket
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from click.testing import CliRunner
from hypothesis import HealthCheck, settings
from sqlalchemy import create_engine, text

from workflow.engine import Engine
from workflow.testing import DEFAULT_DEPUTIES, DEFAULT_SESSION, DEFAULT_UNITS, FrozenClock

settings.register_profile(
    "jianyi", deadline=None, max_examples=60, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
settings.load_profile("jianyi")

PG_ENV = "JIANYI_TEST_PG_URL"


@pytest.fixture
def clock() -> FrozenClock:
    """A clock frozen at 2026-03-02 09:00 Beijing time (a Monday)."""
    return FrozenClock("2026-03-02T09:00:00+08:00")


@pytest.fixture(scope="session")
def template_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite database with the test session, units and deputies, built once."""
    path = tmp_path_factory.mktemp("template") / "template.db"
    engine = Engine.init(path, clock=FrozenClock("2026-01-05T09:00:00+08:00"))
    engine.add_session(DEFAULT_SESSION, current=True)
    for name in DEFAULT_UNITS:
        engine.add_unit(name)
    for name in DEFAULT_DEPUTIES:
        engine.add_deputy(name)
    engine.dispose()
    return path


@pytest.fixture
def db_path(template_db: Path, tmp_path: Path) -> Path:
    """A fresh copy of the template database."""
    target = tmp_path / "jianyi.db"
    shutil.copy(template_db, target)
    return target


@pytest.fixture
def engine(db_path: Path, clock: FrozenClock) -> Iterator[Engine]:
    """An engine on a fresh SQLite file with a current session, four units and three deputies."""
    with Engine.open(db_path, clock=clock) as opened:
        yield opened


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A fresh, empty PostgreSQL database (dropped afterwards); skipped when JIANYI_TEST_PG_URL is unset."""
    base = os.environ.get(PG_ENV)
    if not base:
        pytest.skip(f"PostgreSQL tests need {PG_ENV} (e.g. postgresql://postgres@127.0.0.1:5432/test)")
    name = f"jianyi_t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(
        base.replace("postgresql://", "postgresql+psycopg://", 1), isolation_level="AUTOCOMMIT"
    )
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = base.rsplit("/", 1)[0] + "/" + name
    try:
        yield url
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


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
