"""The Chinese working-day calendar (法定节假日 and 调休上班日).

The State Council's yearly notice decides which days are off and which weekend days are worked.
:class:`WorkCalendar` takes those from the ``holidays`` package for the years it encodes and lets a rule
set add what a library release does not know yet (extra holidays, extra working days, and the list of
years whose official schedule is loaded). A year outside that list is *provisional*: the calendar still
answers (weekends plus the library's rule-based holidays) but says so, and callers flag the deadlines
that depend on it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import cache

import holidays

from rules.errors import CalendarError

__all__ = ["DayInfo", "WorkCalendar", "library_notice_years"]


@dataclass(frozen=True, slots=True)
class DayInfo:
    """What the calendar says about one day."""

    day: date
    working: bool
    holiday: str | None  # the holiday's name when the day is an official day off
    makeup: bool  # an official make-up working day (调休上班日) on a weekend
    official: bool  # the day's year has a loaded official schedule


@cache
def library_notice_years() -> frozenset[int]:
    """The years whose State Council notice the holidays library carries (its special days by year)."""
    return frozenset(holidays.country_holidays("CN").special_public_holidays)


@cache
def _library_year(year: int) -> tuple[dict[date, str], frozenset[date]]:
    cn = holidays.country_holidays("CN", years=year, language="zh_CN")
    days = {d: str(name) for d, name in cn.items() if d.year == year}
    makeup = frozenset(d for d in cn.weekend_workdays if d.year == year)
    return days, makeup


@dataclass(frozen=True)
class WorkCalendar:
    """Working days of one rule set: the library's schedule plus the rule set's overrides."""

    official_years: frozenset[int]
    extra_holidays: Mapping[date, str] = field(default_factory=dict)
    extra_workdays: frozenset[date] = frozenset()
    # loaded official schedules: (days off, make-up working days) by year, authoritative for their year
    schedules: Mapping[int, tuple[Mapping[date, str], frozenset[date]]] = field(default_factory=dict)
    _years: dict[int, tuple[dict[date, str], frozenset[date]]] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )

    @classmethod
    def build(
        cls,
        *,
        official_years: Iterable[int],
        extra_holidays: Mapping[date, str] | None = None,
        extra_workdays: Iterable[date] = (),
        schedules: Mapping[int, tuple[Mapping[date, str], frozenset[date]]] | None = None,
    ) -> WorkCalendar:
        """Build a calendar from plain values (what a rule set carries)."""
        return cls(
            official_years=frozenset(official_years) | frozenset(schedules or {}),
            extra_holidays=dict(extra_holidays or {}),
            extra_workdays=frozenset(extra_workdays),
            schedules=dict(schedules or {}),
        )

    def _year(self, year: int) -> tuple[dict[date, str], frozenset[date]]:
        found = self._years.get(year)
        if found is None and year in self.schedules:
            days_off, makeup_days = self.schedules[year]
            found = (dict(days_off), frozenset(makeup_days))
            self._years[year] = found
        if found is None:
            lib_days, lib_makeup = _library_year(year)
            days = dict(lib_days)
            for d, name in self.extra_holidays.items():
                if d.year == year:
                    days[d] = name
            workdays = set(lib_makeup) | {d for d in self.extra_workdays if d.year == year}
            for d in workdays:
                days.pop(d, None)
            found = (days, frozenset(d for d in workdays if d.weekday() >= 5))
            self._years[year] = found
        return found

    def is_official(self, year: int) -> bool:
        """Whether the year's official schedule (放假调休安排) is loaded."""
        return year in self.official_years

    def is_working_day(self, day: date) -> bool:
        """Monday–Friday that is not a day off, or an official make-up working day."""
        days, makeup = self._year(day.year)
        if day in makeup:
            return True
        return day.weekday() < 5 and day not in days

    def info(self, day: date) -> DayInfo:
        """Everything the calendar knows about ``day``."""
        days, makeup = self._year(day.year)
        return DayInfo(
            day=day,
            working=self.is_working_day(day),
            holiday=days.get(day),
            makeup=day in makeup,
            official=self.is_official(day.year),
        )

    def rest_reason(self, day: date) -> str:
        """Why ``day`` is a rest day: the holiday's name, or 周末 (weekend).

        A weekend inside a holiday break (e.g. Saturday 2026-06-20 in 端午节 06-19…06-21) is named for the
        holiday, as the State Council's notice counts it.
        """
        name = self._year(day.year)[0].get(day)
        if name:
            return name
        for step in (-1, 1):
            other = day + timedelta(days=step)
            while not self.is_working_day(other) and abs((other - day).days) <= 10:
                found = self._year(other.year)[0].get(other)
                if found:
                    return found
                other += timedelta(days=step)
        return "周末"

    def next_working_day(self, day: date) -> date:
        """``day`` itself when it is a working day, else the first working day after it."""
        while not self.is_working_day(day):
            day += timedelta(days=1)
        return day

    def add_working_days(self, start: date, count: int) -> date:
        """The day on which ``count`` working days after ``start`` (not counted) are complete."""
        if count < 1:
            msg = f"a working-day period needs at least 1 day, got {count}"
            raise CalendarError(msg)
        day = start
        left = count
        while left:
            day += timedelta(days=1)
            if self.is_working_day(day):
                left -= 1
        return day

    def shift_working_days(self, day: date, count: int) -> date:
        """The working day ``count`` working days after ``day`` (before it when negative); ``day`` itself,
        or the next working day, for 0."""
        if count == 0:
            return self.next_working_day(day)
        step = 1 if count > 0 else -1
        left = abs(count)
        while left:
            day += timedelta(days=step)
            if self.is_working_day(day):
                left -= 1
        return day

    def working_days_between(self, start: date, end: date) -> int:
        """How many working days ``end`` lies from ``start``: those after ``start`` up to and including ``end``;
        when ``end`` is earlier, minus those from ``end`` up to but excluding ``start``. The inverse of
        :meth:`shift_working_days` for working days."""
        if end < start:
            return -sum(1 for n in range((start - end).days) if self.is_working_day(end + timedelta(days=n)))
        return sum(
            1 for n in range(1, (end - start).days + 1) if self.is_working_day(start + timedelta(days=n))
        )
