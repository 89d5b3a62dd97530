"""Errors raised by the rules package.

Tree::

    RuleError
    ├── RuleSetInvalid      a rule file that does not validate (every problem listed)
    └── CalendarError       a date the calendar cannot place
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

__all__ = ["CalendarError", "Problem", "RuleError", "RuleSetInvalid"]


class RuleError(Exception):
    """Root of every error raised by :mod:`rules`."""


@dataclass(frozen=True, slots=True)
class Problem:
    """One problem in a rule file: where (a dotted key path) and what."""

    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path or '(top)'}: {self.message}"


class RuleSetInvalid(RuleError):
    """A rule file failed validation; ``problems`` lists every problem found."""

    def __init__(self, *, source: str, problems: Sequence[Problem]) -> None:
        self.source = source
        self.problems = tuple(problems)
        lines = "; ".join(str(p) for p in self.problems)
        super().__init__(f"rule set {source}: {len(self.problems)} problem(s): {lines}")


class CalendarError(RuleError):
    """A calendar computation that cannot be done (e.g. a negative period)."""
