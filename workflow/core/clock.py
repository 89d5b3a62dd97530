"""Clocks: the one place that reads the system time."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from typing import Protocol
from zoneinfo import ZoneInfo

__all__ = ["Clock", "SystemClock", "ensure_utc", "parse_instant"]


class Clock(Protocol):
    """Something that tells the current instant (aware, UTC)."""

    def now(self) -> datetime:
        """The current instant."""
        ...


class SystemClock:
    """The system's clock."""

    def now(self) -> datetime:
        """The current instant, aware UTC."""
        return datetime.now(UTC)


def ensure_utc(value: datetime, *, what: str = "time") -> datetime:
    """``value`` as an aware UTC instant; naive values are refused (their zone is unknown)."""
    if value.tzinfo is None or value.utcoffset() is None:
        msg = f"{what} {value.isoformat()} has no time zone; pass an aware datetime"
        raise ValueError(msg)
    return value.astimezone(UTC)


def parse_instant(text: str, zone: ZoneInfo) -> datetime:
    """An ISO date or date-time as an aware UTC instant.

    Without an offset the value is local time in ``zone``; a bare date means the start of that day.
    """
    value = text.strip()
    try:
        if len(value) == 10:
            parsed = datetime.combine(date.fromisoformat(value), time(0))
        else:
            parsed = datetime.fromisoformat(value)
    except ValueError:
        msg = f"time {text!r} not understood: use an ISO date (2026-03-05) or date-time (2026-03-05T14:30)"
        raise ValueError(msg) from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=zone)
    return parsed.astimezone(UTC)
