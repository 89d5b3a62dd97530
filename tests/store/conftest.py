"""Fixtures of the store's contract suite: an empty database on the backend the test runs on."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture
def empty_database(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> str | Path:
    """A database without any schema on the test's backend: a new SQLite file, a new in-memory SQLite database
    (each engine on ``sqlite://`` has one of its own) or a new PostgreSQL database, dropped afterwards."""
    if backend == "sqlite-file":
        return tmp_path / "empty.db"
    if backend == "sqlite-memory":
        return "sqlite://"
    return str(request.getfixturevalue("pg_url"))
