"""Period arithmetic after 民法典 201–203 on the 2026 official schedule."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rules import CalendarError, DeadlineKind, WorkCalendar, add_months, compute_due, default_ruleset

SHANGHAI = ZoneInfo("Asia/Shanghai")
RULES = default_ruleset()
CAL = RULES.work_calendar

# the State Council's 2026 notice (国办发明电〔2025〕7号), as published
OFF_2026 = [
    *(date(2026, 1, d) for d in range(1, 4)),
    *(date(2026, 2, d) for d in range(15, 24)),
    *(date(2026, 4, d) for d in range(4, 7)),
    *(date(2026, 5, d) for d in range(1, 6)),
    *(date(2026, 6, d) for d in range(19, 22)),
    *(date(2026, 9, d) for d in range(25, 28)),
    *(date(2026, 10, d) for d in range(1, 8)),
]
MAKEUP_2026 = [
    date(2026, 1, 4),
    date(2026, 2, 14),
    date(2026, 2, 28),
    date(2026, 5, 9),
    date(2026, 9, 20),
    date(2026, 10, 10),
]


@pytest.mark.parametrize(
    ("start", "months", "end", "reason"),
    [
        (
            date(2026, 1, 31),
            1,
            date(2026, 2, 28),
            None,
        ),  # month-end clamp; Saturday but a make-up working day
        (date(2026, 7, 1), 3, date(2026, 10, 8), "2026-10-01 国庆节 → 2026-10-08"),
        (date(2026, 3, 31), 3, date(2026, 6, 30), None),
        (date(2026, 3, 16), 3, date(2026, 6, 16), None),
        (date(2026, 3, 20), 3, date(2026, 6, 22), "2026-06-20 端午节 → 2026-06-22"),
        (date(2026, 4, 5), 1, date(2026, 5, 6), "2026-05-05 休息日（由 2026-05-09 调休） → 2026-05-06"),
    ],
)
def test_month_periods_follow_the_civil_code(start: date, months: int, end: date, reason: str | None) -> None:
    """Month periods end on the corresponding day, clamp to month end and roll off rest days."""
    due = compute_due(start, months, "months", CAL, SHANGHAI)
    assert (due.end, due.roll_reason) == (end, reason)


@pytest.mark.parametrize(
    ("start", "count", "end"),
    [
        (date(2026, 2, 10), 10, date(2026, 3, 2)),
        (date(2026, 9, 30), 7, date(2026, 10, 15)),
        (date(2026, 2, 9), 15, date(2026, 3, 6)),
    ],
)
def test_working_day_periods_count_the_official_schedule(start: date, count: int, end: date) -> None:
    """Working-day periods count make-up Saturdays and skip the holidays."""
    assert compute_due(start, count, "working_days", CAL, SHANGHAI).end == end


def test_due_instant_is_midnight_after_the_last_day_in_utc() -> None:
    """The period ends at 24:00 local time, stored as the UTC instant 16:00 of the last day."""
    due = compute_due(date(2026, 3, 31), 3, "months", CAL, SHANGHAI)
    assert due.due_at == datetime(2026, 6, 30, 16, 0, tzinfo=UTC)


def test_the_whole_2026_schedule_is_known() -> None:
    """Every official day off is a rest day and every make-up day is a working day."""
    assert [d for d in OFF_2026 if CAL.is_working_day(d)] == []
    assert [d for d in MAKEUP_2026 if not CAL.is_working_day(d)] == []
    ordinary = [date(2026, 1, 1) + timedelta(days=i) for i in range(365)]
    weekdays_off = [d for d in ordinary if d.weekday() < 5 and not CAL.is_working_day(d)]
    assert weekdays_off == [d for d in OFF_2026 if d.weekday() < 5]


def test_a_year_without_official_schedule_is_provisional() -> None:
    """A deadline in 2027 (no State Council notice loaded) is flagged, not silently guessed."""
    due = RULES.due(DeadlineKind.ANSWER, date(2026, 12, 1))
    assert due is not None
    assert (due.end, due.provisional, due.provisional_years) == (date(2027, 3, 1), True, (2027,))


def test_extra_workdays_and_holidays_override_the_library() -> None:
    """A rule set can load next year's make-up days and holidays before any library knows them."""
    cal = WorkCalendar.build(
        official_years=[2027], extra_holidays={date(2027, 2, 8): "春节"}, extra_workdays=[date(2027, 2, 6)]
    )
    assert (cal.is_working_day(date(2027, 2, 6)), cal.is_working_day(date(2027, 2, 8))) == (True, False)


def test_negative_or_empty_periods_are_refused() -> None:
    """A period must be positive."""
    with pytest.raises(CalendarError, match="positive length"):
        compute_due(date(2026, 1, 1), 0, "months", CAL, SHANGHAI)


starts = st.dates(min_value=date(2001, 1, 1), max_value=date(2026, 6, 30))


@given(starts, st.integers(min_value=1, max_value=12))
def test_month_end_is_never_before_start_and_clamps(start: date, months: int) -> None:
    """add_months lands in the target month, on the same day or that month's last day."""
    end = add_months(start, months)
    assert end > start
    assert (end.year * 12 + end.month) - (start.year * 12 + start.month) == months
    assert end.day == start.day or (end.day < start.day and (end + timedelta(days=1)).day == 1)


@given(starts, starts, st.integers(min_value=1, max_value=6))
def test_month_periods_are_monotonic_in_the_start(a: date, b: date, months: int) -> None:
    """A later start never gives an earlier deadline."""
    first, second = sorted((a, b))
    assert (
        compute_due(first, months, "months", CAL, SHANGHAI).end
        <= compute_due(second, months, "months", CAL, SHANGHAI).end
    )


@given(starts, st.integers(min_value=1, max_value=40))
def test_working_days_land_on_a_working_day_and_count_exactly(start: date, count: int) -> None:
    """Adding N working days lands on a working day with exactly N working days after the start."""
    end = CAL.add_working_days(start, count)
    counted = sum(CAL.is_working_day(start + timedelta(days=i)) for i in range(1, (end - start).days + 1))
    assert CAL.is_working_day(end)
    assert counted == count


@given(starts, st.integers(min_value=1, max_value=6))
def test_rolling_only_moves_forward_to_the_first_working_day(start: date, months: int) -> None:
    """A rolled deadline is the first working day on or after the raw end."""
    due = compute_due(start, months, "months", CAL, SHANGHAI)
    assert due.end >= due.raw_end
    assert CAL.is_working_day(due.end)
    assert all(
        not CAL.is_working_day(due.raw_end + timedelta(days=i)) for i in range((due.end - due.raw_end).days)
    )
    assert (due.roll_reason is None) == (due.end == due.raw_end)


@given(starts, st.integers(min_value=-60, max_value=250).filter(lambda n: n != 0))
def test_shifting_by_working_days_lands_on_a_working_day_that_many_away(start: date, count: int) -> None:
    """A ladder offset lands on a working day exactly ``count`` working days from the start."""
    day = CAL.shift_working_days(start, count)
    assert CAL.is_working_day(day)
    assert (day > start) == (count > 0)
    assert CAL.working_days_between(start, day) == count


@given(starts)
def test_ladder_steps_fire_in_order_at_nine_on_working_days(start: date) -> None:
    """Every step of the national answer ladder fires at 09:00 local on a working day, in offset order."""
    times = RULES.step_times(DeadlineKind.ANSWER, start)
    local = [t.at.astimezone(SHANGHAI) for t in times]
    assert all(CAL.is_working_day(t.date()) and (t.hour, t.minute) == (9, 0) for t in local)
    assert local == sorted(local)
    assert len(set(local)) == len(local)


@given(starts, st.integers(min_value=0, max_value=24 * 60 - 1))
def test_the_next_sending_time_is_in_working_hours_and_never_earlier(start: date, minute: int) -> None:
    """Outside working hours a notice waits for the next working morning; inside it goes at once."""
    instant = datetime(start.year, start.month, start.day, tzinfo=SHANGHAI) + timedelta(minutes=minute)
    sent = RULES.next_sending_time(instant)
    assert sent >= instant
    assert RULES.is_sending_time(sent)
    assert (sent == instant) == RULES.is_sending_time(instant)
    assert sent - instant < timedelta(days=12)  # the longest break (春节) is shorter
