"""Period arithmetic after 民法典 第二百零一条至第二百零四条.

* the start day is not counted (201);
* a month period ends on the day with the start day's number in the target month, or on that month's
  last day when it has none (202): one month from 31 January ends on 28 February;
* when the last day is a rest day (a weekend or an official holiday, but not an official make-up working
  day) the period ends on the next working day (203); rule sets may switch this off;
* the period ends at 24:00 of the last day in the rule set's zone (203 ¶2); the due instant is stored in UTC;
* a working-day period counts only working days after the start day.
"""

from __future__ import annotations

import calendar as _cal
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from rules.calendar import WorkCalendar
from rules.errors import CalendarError

__all__ = ["Due", "PeriodUnit", "add_months", "compute_due", "end_of_day"]


class PeriodUnit(StrEnum):
    """How a period's length is counted."""

    MONTHS = "months"
    DAYS = "days"
    WORKING_DAYS = "working_days"


@dataclass(frozen=True, slots=True)
class Due:
    """A computed deadline, with everything needed to explain it."""

    start: date  # the start event's local date (not counted)
    raw_end: date  # the last day before any roll to a working day
    end: date  # the last day of the period
    due_at: datetime  # 24:00 local of ``end``, as an aware UTC instant
    roll_reason: str | None  # e.g. "2026-10-01 国庆节 → 2026-10-08"
    provisional_years: tuple[int, ...]  # years touched with no loaded official schedule

    @property
    def provisional(self) -> bool:
        """True when a year without a loaded official schedule decided the date."""
        return bool(self.provisional_years)


def add_months(start: date, months: int) -> date:
    """The corresponding day ``months`` months after ``start``, clamped to the month's last day."""
    if months < 0:
        msg = f"a month period cannot be negative, got {months}"
        raise CalendarError(msg)
    index = start.month - 1 + months
    year, month = start.year + index // 12, index % 12 + 1
    last = _cal.monthrange(year, month)[1]
    return date(year, month, min(start.day, last))


def end_of_day(day: date, zone: ZoneInfo) -> datetime:
    """24:00 of ``day`` in ``zone`` (the next day's 00:00), as an aware UTC instant."""
    return datetime.combine(day + timedelta(days=1), time(0), tzinfo=zone).astimezone(UTC)


def compute_due(
    start: date,
    amount: int,
    unit: PeriodUnit | str,
    calendar: WorkCalendar,
    zone: ZoneInfo,
    *,
    roll: bool = True,
) -> Due:
    """The deadline ``amount`` ``unit`` after the local date ``start``."""
    unit = PeriodUnit(unit)
    if amount < 1:
        msg = f"a period needs a positive length, got {amount} {unit.value}"
        raise CalendarError(msg)
    if unit is PeriodUnit.WORKING_DAYS:
        end = calendar.add_working_days(start, amount)
        raw_end, reason = end, None
        years = range(start.year, end.year + 1)
    else:
        raw_end = add_months(start, amount) if unit is PeriodUnit.MONTHS else start + timedelta(days=amount)
        end, reason = raw_end, None
        if roll and not calendar.is_working_day(raw_end):
            end = calendar.next_working_day(raw_end)
            reason = f"{raw_end.isoformat()} {calendar.rest_reason(raw_end)} → {end.isoformat()}"
        # the end date depends on the schedule of the year it falls in (and any year rolled into)
        years = range(raw_end.year, end.year + 1)
    provisional = tuple(y for y in years if not calendar.is_official(y))
    return Due(
        start=start,
        raw_end=raw_end,
        end=end,
        due_at=end_of_day(end, zone),
        roll_reason=reason,
        provisional_years=provisional,
    )
