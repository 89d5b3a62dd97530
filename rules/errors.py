"""Errors raised by the rules package.

Tree::

    RuleError
    ├── RuleSetInvalid      a rule file that does not validate (every problem listed)
    └── CalendarError       a date the calendar cannot place
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from rules.i18n import _

__all__ = ["CalendarError", "Problem", "RuleError", "RuleSetInvalid"]


class RuleError(Exception):
    """Root of every error raised by :mod:`rules`."""


@dataclass(frozen=True, slots=True)
class Problem:
    """One problem in a rule file: where (a dotted key path) and what."""

    path: str
    message: str

    def __str__(self) -> str:
        return _("{path}: {message}").format(path=self.path or _("(top)"), message=self.message)


class RuleSetInvalid(RuleError):
    """A rule file failed validation; ``problems`` lists every problem found."""

    def __init__(self, *, source: str, problems: Sequence[Problem]) -> None:
        self.source = source
        self.problems = tuple(problems)
        lines = "; ".join(str(p) for p in self.problems)
        count = len(self.problems)
        message = _("rule set {source}: {count} problem(s): {lines}")
        super().__init__(message.format(source=source, count=count, lines=lines))


class CalendarError(RuleError):
    """A calendar computation that cannot be done (e.g. a negative period)."""
