"""Clocks: the one place that reads the system time."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta, tzinfo
from typing import Protocol
from zoneinfo import ZoneInfo

from rules.i18n import _
from workflow.core.errors import ValidationError

__all__ = [
    "EARLIEST",
    "FUTURE_SLACK",
    "LATEST",
    "Clock",
    "SystemClock",
    "checked_day",
    "ensure_utc",
    "not_future",
    "parse_instant",
]

# the days jianyi records: wide enough for any congress, far enough from datetime's limits that a period of
# months or a time-zone shift computed from them never overflows
EARLIEST, LATEST = date(1900, 1, 1), date(2999, 12, 31)

# how far another host's clock may run ahead of this one before its time counts as the future
FUTURE_SLACK = timedelta(minutes=5)


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
        msg = _("{what} {value} has no time zone; pass an aware datetime").format(
            what=what, value=value.isoformat()
        )
        raise ValueError(msg)
    return value.astimezone(UTC)


def not_future(value: datetime, clock_now: datetime, *, what: str, zone: tzinfo, hint: str) -> datetime:
    """``value`` (aware), refused when it is later than ``clock_now`` (beyond :data:`FUTURE_SLACK`): what is
    recorded has happened. The message shows both times in ``zone``, where people read them."""
    value = ensure_utc(value, what=what)
    if value > clock_now + FUTURE_SLACK:
        local = value.astimezone(zone).isoformat(timespec="minutes")
        now = clock_now.astimezone(zone).isoformat(timespec="minutes")
        raise ValidationError(
            _("{what} {local} is in the future (the clock says {now}): {hint}").format(
                what=what, local=local, now=now, hint=hint
            )
        )
    return value


def checked_day(day: date, what: str) -> date:
    """``day``, refused (ValueError) outside :data:`EARLIEST` … :data:`LATEST`."""
    if not EARLIEST <= day <= LATEST:
        msg = _("{what} {day} is out of range: jianyi records days from {year} to {year2}").format(
            what=what, day=day.isoformat(), year=EARLIEST.year, year2=LATEST.year
        )
        raise ValueError(msg)
    return day


def parse_instant(text: str, zone: ZoneInfo, *, keep_offset: bool = False) -> datetime:
    """An ISO date or date-time as an aware UTC instant (with ``keep_offset``: in the zone it was typed in, so
    that what is said of it can be said in that zone).

    Without an offset the value is local time in ``zone``; a bare date means the start of that day.
    """
    value = text.strip()
    try:
        if len(value) == 10:
            parsed = datetime.combine(date.fromisoformat(value), time(0))
        else:
            parsed = datetime.fromisoformat(value)
    except ValueError:
        msg = _(
            "time {text!r} not understood: use an ISO date (2026-03-05) or date-time (2026-03-05T14:30)"
        ).format(text=text)
        raise ValueError(msg) from None
    checked_day(parsed.date(), "time")
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=zone)
    return parsed if keep_offset else parsed.astimezone(UTC)
