"""What a report is made of: prose, titled tables with Chinese headers, charts and the numbers as data."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

__all__ = ["Report", "Table", "fmt_percent"]


def fmt_percent(value: Decimal | None) -> str:
    """``26.85%``; a whole number without decimals (``100%``); ``-`` when there is nothing to divide."""
    if value is None:
        return "-"
    if value == value.to_integral_value():
        return f"{int(value)}%"
    return f"{value}%"


@dataclass(frozen=True, slots=True)
class Table:
    """A titled table with Chinese headers; cells are str, int or Decimal (percent columns end in ``%``)."""

    title: str
    headers: tuple[str, ...]
    rows: tuple[tuple[Any, ...], ...]
    sheet: str = ""  # the Excel sheet name (at most 31 characters)


@dataclass
class Report:
    """One report: its kind, title, scope, prose paragraphs, tables and the numbers as data."""

    kind: str
    title: str
    scope: str
    paragraphs: list[str] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)
    data: dict[str, Any] = field(default_factory=dict)
    charts: list[dict[str, Any]] = field(default_factory=list)  # bar charts: title, [(label, percent)]
