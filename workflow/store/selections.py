"""Typed selections of open deadlines, and the reads a bulk recomputation makes through them.

A :class:`Selection` names which cases and which of their open deadlines a recomputation looks at (after a
year's schedule is loaded, or a rule set applied); :func:`id_range` and :func:`read_range` read them a range
of case ids at a time, the cases locked for the transaction that will change them. The SQL stays here: callers
pass the selection, never a fragment of SQL.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection

from workflow.core.states import FINAL_STATES
from workflow.store.cases import CaseStore
from workflow.store.sql import Raw, as_date

__all__ = ["OpenDeadline", "SelectedCase", "Selection", "id_range", "read_range"]

_FINAL = ", ".join(f"'{s.value}'" for s in FINAL_STATES)


@dataclass(frozen=True, slots=True)
class Selection:
    """Which open deadlines of which open cases to recompute."""

    cases: str  # SQL on ``s``, the case
    deadlines: str  # SQL on ``d``, one of its open deadlines
    params: dict[str, Any]
    every_case: bool = False  # each selected case, with or without open deadlines (it is repinned)

    @classmethod
    def touching(cls, first: datetime, last: date) -> Selection:
        """The deadlines of assigned cases whose period runs between the instant ``first`` and the day ``last``."""
        return cls(
            "s.ruleset_id IS NOT NULL",
            "d.due_at > :first AND d.start < :last",
            {"first": first, "last": last},
        )

    @classmethod
    def not_on(cls, rule_id: str, version: int, congress_id: int) -> Selection:
        """Every assigned case of the congress pinned to another rule set version than ``rule_id@version``."""
        return cls(
            "s.ruleset_id IS NOT NULL AND NOT (s.ruleset_id = :id AND s.ruleset_version = :v) "
            "AND s.session_id IN (SELECT id FROM sessions WHERE congress_id = :c)",
            "1 = 1",
            {"c": congress_id, "id": rule_id, "v": version},
            every_case=True,
        )


@dataclass(frozen=True, slots=True)
class OpenDeadline:
    """An open deadline as a recomputation reads it."""

    id: int
    kind: str
    start: date
    due: date
    provisional: bool
    roll_reason: str | None


@dataclass(frozen=True, slots=True)
class SelectedCase:
    """A selected open case and its selected open deadlines (none for a case selected only to be repinned)."""

    id: int
    extended: bool
    ruleset_id: str
    ruleset_version: int
    deadlines: tuple[OpenDeadline, ...]


def id_range(conn: Connection, selection: Selection) -> tuple[int, int] | None:
    """The first and last id of the selected cases; None when none is selected."""
    lo, hi = Raw(conn).all(
        f"SELECT min(s.id), max(s.id) FROM suggestions s WHERE {selection.cases}", selection.params
    )[0]
    return None if lo is None else (int(lo), int(hi))


def read_range(store: CaseStore, selection: Selection, lo: int, hi: int) -> list[SelectedCase]:
    """The selected open cases with ids from ``lo`` to ``hi`` and their selected open deadlines (promises are
    never recomputed), ordered by id; the cases are locked where rows lock."""
    on_deadline = (
        f"d.suggestion_id = s.id AND d.status = 'open' AND d.kind <> 'promise' AND {selection.deadlines}"
    )
    on_case = f"s.id BETWEEN :lo AND :hi AND s.state NOT IN ({_FINAL}) AND {selection.cases}"
    columns = (
        "SELECT s.id, s.extended, s.ruleset_id, s.ruleset_version, "
        "d.id, d.kind, d.start, d.due, d.provisional, d.roll_reason FROM suggestions s "
    )
    if selection.every_case:
        sql = f"{columns}LEFT JOIN deadlines d ON {on_deadline} WHERE {on_case}"
    elif store.dialect.row_locks:
        sql = f"{columns}JOIN deadlines d ON {on_deadline} WHERE {on_case}"
    else:  # CROSS JOIN keeps SQLite on the case-id range (its planner would scan the due-date index per range)
        sql = f"{columns}CROSS JOIN deadlines d WHERE {on_deadline} AND {on_case}"
    sql += " ORDER BY s.id, d.id" + store.dialect.lock("s")
    cases: list[SelectedCase] = []
    current: int | None = None
    deadlines: list[OpenDeadline] = []
    head: tuple[Any, ...] = ()
    for row in store.raw.all(sql, {**selection.params, "lo": lo, "hi": hi}):
        if row[0] != current:
            if current is not None:
                cases.append(_case(head, deadlines))
            current, head, deadlines = row[0], row[:4], []
        if row[4] is not None:
            deadlines.append(
                OpenDeadline(row[4], row[5], as_date(row[6]), as_date(row[7]), bool(row[8]), row[9])
            )
    if current is not None:
        cases.append(_case(head, deadlines))
    return cases


def _case(head: tuple[Any, ...], deadlines: list[OpenDeadline]) -> SelectedCase:
    case_id, extended, ruleset_id, ruleset_version = head
    return SelectedCase(int(case_id), bool(extended), ruleset_id, ruleset_version, tuple(deadlines))
