"""Column types (instants that come back aware and in UTC on every database) and the fields the table models
build from them."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import CheckConstraint, Column, DateTime, Dialect, ForeignKey, Integer
from sqlalchemy.types import TypeDecorator
from sqlmodel import Field

__all__ = ["UTCInstant", "audit_ref", "check_in", "foreign_key", "instant"]


class UTCInstant(TypeDecorator[datetime]):
    """An instant stored in UTC and read back as an aware UTC ``datetime``.

    SQLite has no time zones: a plain ``DateTime(timezone=True)`` stores the wall clock and reads back a
    naive value. This type converts every aware value to UTC before storing and marks what it reads as
    UTC, so the instant survives on SQLite and PostgreSQL alike. Naive values are refused.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if not isinstance(value, datetime):
            msg = f"expected a datetime, got {type(value).__name__}"
            raise TypeError(msg)
        if value.tzinfo is None or value.utcoffset() is None:
            msg = f"naive datetime {value.isoformat()} refused: instants must be timezone-aware"
            raise ValueError(msg)
        utc = value.astimezone(UTC)
        return utc.replace(tzinfo=None) if dialect.name == "sqlite" else utc

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if isinstance(value, str):  # raw SQL on SQLite
            value = datetime.fromisoformat(value)
        if not isinstance(value, datetime):
            msg = f"expected a datetime from the database, got {type(value).__name__}"
            raise TypeError(msg)
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def check_in(column: str, values: Any, name: str) -> CheckConstraint:
    """A CHECK that ``column`` holds one of ``values``."""
    allowed = ", ".join(f"'{v}'" for v in values)
    return CheckConstraint(f"{column} IN ({allowed})", name=name)


def instant(*, nullable: bool = False, index: bool = False) -> Any:
    """A field holding an instant (:class:`UTCInstant`)."""
    return Field(default=None, sa_type=UTCInstant, nullable=nullable, index=index)


def audit_ref() -> Any:
    """The row's place in its case's audit records: ``SEQ.K``, the K-th row of its table that the step beginning
    with event #SEQ inserted (:mod:`workflow.core.records`); NULL on rows written before records existed."""
    return Field(default=None, max_length=20)


def foreign_key(target: str, *, nullable: bool = False, index: bool = True) -> Any:
    """An integer field referring to ``target`` (``table.column``), indexed by default."""
    return Field(
        default=None,
        sa_column=Column(Integer, ForeignKey(target), nullable=nullable, index=index),
    )
