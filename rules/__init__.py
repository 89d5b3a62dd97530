"""Rules for handling deputies' suggestions: rule sets, the working-day calendar, period arithmetic.

This package is pure: no database, no templates. Everything here is a function of its arguments.
"""

from rules.calendar import DayInfo, WorkCalendar
from rules.errors import CalendarError, Problem, RuleError, RuleSetInvalid
from rules.loader import default_ruleset, load_ruleset, parse_ruleset, profile_ids, ruleset_from_data
from rules.model import CalendarSettings, DeadlineKind, DeadlineRule, LifecycleSettings, Rating, RuleSet
from rules.periods import Due, PeriodUnit, add_months, compute_due, end_of_day

__all__ = [
    "CalendarError",
    "CalendarSettings",
    "DayInfo",
    "DeadlineKind",
    "DeadlineRule",
    "Due",
    "LifecycleSettings",
    "PeriodUnit",
    "Problem",
    "Rating",
    "RuleError",
    "RuleSet",
    "RuleSetInvalid",
    "WorkCalendar",
    "add_months",
    "compute_due",
    "default_ruleset",
    "end_of_day",
    "load_ruleset",
    "parse_ruleset",
    "profile_ids",
    "ruleset_from_data",
]
