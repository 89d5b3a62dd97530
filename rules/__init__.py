"""Rules for handling deputies' suggestions: rule sets, the working-day calendar, period arithmetic.

This package is pure: no database, no templates. Everything here is a function of its arguments.
Public names load lazily, so that catching :class:`RuleError` costs no import of the calendar.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rules._lazy import lazy_exports

if TYPE_CHECKING:
    from rules.calendar import DayInfo, WorkCalendar
    from rules.errors import CalendarError, Problem, RuleError, RuleSetInvalid
    from rules.loader import (
        default_ruleset,
        load_ruleset,
        load_schedule,
        parse_ruleset,
        profile_ids,
        ruleset_from_data,
    )
    from rules.model import (
        KINDS,
        RATING_LABELS,
        CalendarSettings,
        DeadlineKind,
        DeadlineRule,
        KindInfo,
        Ladder,
        LadderStep,
        LifecycleSettings,
        MeasureSettings,
        NoticeSettings,
        Rating,
        Recipient,
        RuleSet,
        StepTime,
        YearSchedule,
    )
    from rules.periods import Due, PeriodUnit, add_months, compute_due, end_of_day

__all__ = [
    "KINDS",
    "RATING_LABELS",
    "CalendarError",
    "CalendarSettings",
    "DayInfo",
    "DeadlineKind",
    "DeadlineRule",
    "Due",
    "KindInfo",
    "Ladder",
    "LadderStep",
    "LifecycleSettings",
    "MeasureSettings",
    "NoticeSettings",
    "PeriodUnit",
    "Problem",
    "Rating",
    "Recipient",
    "RuleError",
    "RuleSet",
    "RuleSetInvalid",
    "StepTime",
    "WorkCalendar",
    "YearSchedule",
    "add_months",
    "compute_due",
    "default_ruleset",
    "end_of_day",
    "load_ruleset",
    "load_schedule",
    "parse_ruleset",
    "profile_ids",
    "ruleset_from_data",
]

_WHERE = {
    "DayInfo": "rules.calendar",
    "WorkCalendar": "rules.calendar",
    "CalendarError": "rules.errors",
    "Problem": "rules.errors",
    "RuleError": "rules.errors",
    "RuleSetInvalid": "rules.errors",
    "default_ruleset": "rules.loader",
    "load_ruleset": "rules.loader",
    "parse_ruleset": "rules.loader",
    "profile_ids": "rules.loader",
    "ruleset_from_data": "rules.loader",
    "CalendarSettings": "rules.model",
    "KINDS": "rules.model",
    "RATING_LABELS": "rules.model",
    "KindInfo": "rules.model",
    "Ladder": "rules.model",
    "LadderStep": "rules.model",
    "Recipient": "rules.model",
    "YearSchedule": "rules.model",
    "load_schedule": "rules.loader",
    "DeadlineKind": "rules.model",
    "DeadlineRule": "rules.model",
    "LifecycleSettings": "rules.model",
    "NoticeSettings": "rules.model",
    "MeasureSettings": "rules.model",
    "StepTime": "rules.model",
    "Rating": "rules.model",
    "RuleSet": "rules.model",
    "Due": "rules.periods",
    "PeriodUnit": "rules.periods",
    "add_months": "rules.periods",
    "compute_due": "rules.periods",
    "end_of_day": "rules.periods",
}


__getattr__, __dir__ = lazy_exports(__name__, _WHERE, __all__)
