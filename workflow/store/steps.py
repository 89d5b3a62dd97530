"""The reminder sweep's and the forecast's SQL: the deadlines whose ladder step is due, and what goes with them.

Every open deadline carries ``next_step_at``, the instant the sweep must look at it next; the queries here go
through that column's index, so their cost follows what is due, never the number of cases.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection

from workflow.store.cases import CaseStore, case_row
from workflow.store.sql import Prepared, Raw

__all__ = [
    "DUE_STEPS",
    "STEP_COLUMNS",
    "Names",
    "UpcomingSteps",
    "active_mains",
    "due_cases",
    "move_steps",
    "names",
    "upcoming_steps",
]

# a deadline as the reminder sweep and the forecast read it (ten columns, in this order)
STEP_COLUMNS = "d.id, d.suggestion_id, d.kind, d.unit_id, d.round, d.due, d.due_at, d.version, d.escalation_step, d.status"
_STEP_WIDTH = 10
_IDS_AT_ONCE = 500  # deadlines one statement moves at most

# the deadlines of one congress whose next ladder step is due, oldest first, each with its case row beside it
# (SQLite, where the write lock is held: one query). Only open deadlines have a ``next_step_at``: the query walks
# that column's index (a status term would tempt SQLite onto the (status, due_at) index instead) and finds each
# case, session and congress by its primary key, in that order (CROSS JOIN: SQLite would otherwise start from
# the congress and read every one of its cases)
DUE_STEPS = (
    f"SELECT {STEP_COLUMNS}, s.*, se.name AS session_name, c.ruleset_id AS active_ruleset_id, "
    "c.ruleset_version AS active_ruleset_version FROM deadlines d CROSS JOIN suggestions s ON s.id = d.suggestion_id "
    "CROSS JOIN sessions se ON se.id = s.session_id CROSS JOIN congresses c ON c.id = se.congress_id "
    "WHERE d.next_step_at <= :now AND se.congress_id = :congress ORDER BY d.next_step_at, d.id LIMIT :limit"
)

# the deadlines alone, to lock them (PostgreSQL, whose planner orders the joins itself)
_DUE_TO_LOCK = (
    f"SELECT {STEP_COLUMNS} FROM deadlines d JOIN suggestions s ON s.id = d.suggestion_id "
    "JOIN sessions se ON se.id = s.session_id WHERE d.next_step_at <= :now AND se.congress_id = :congress "
    "ORDER BY d.next_step_at, d.id LIMIT :limit"
)


def due_cases(
    store: CaseStore, congress_id: int, now: datetime, limit: int
) -> tuple[list[tuple[Any, ...]], dict[int, dict[str, Any]]]:
    """The deadlines of the congress whose next ladder step is due at ``now`` (at most ``limit``, oldest first)
    and their cases' rows for writing, by id. Where rows lock, deadlines and cases another writer holds are left
    out (a later sweep takes them): a case left out that way has its deadlines returned without it."""
    params = {"now": now, "limit": limit, "congress": congress_id}
    if store.dialect.row_locks:
        steps = store.raw.all(_DUE_TO_LOCK + store.dialect.lock("d", skip_locked=True), params)
        ids = sorted({r[1] for r in steps})
        return steps, store.load_ids(ids, skip_locked=True) if ids else {}
    names, rows = store.raw.table(DUE_STEPS, params)
    columns = names[_STEP_WIDTH:]
    cases: dict[int, dict[str, Any]] = {}
    for row in rows:
        if row[1] not in cases:
            cases[row[1]] = case_row(dict(zip(columns, row[_STEP_WIDTH:], strict=True)))
    return [row[:_STEP_WIDTH] for row in rows], cases


def active_mains(raw: Raw, case_ids: Sequence[int]) -> dict[int, list[int]]:
    """The main and split units of each case, by case id."""
    mains: dict[int, list[int]] = {}
    if case_ids:
        marks, params = Raw.in_list("c", case_ids)
        for sid, unit in raw.all(
            f"SELECT suggestion_id, unit_id FROM assignments WHERE suggestion_id IN {marks} "
            "AND until IS NULL AND role IN ('main', 'split') ORDER BY id",
            params,
        ):
            mains.setdefault(sid, []).append(unit)
    return mains


def move_steps(raw: Raw, moves: list[dict[str, Any]]) -> None:
    """Record each deadline's ladder step and when to look at it next (``id``, ``step``, ``next``, the values
    prepared: :meth:`Raw.value`). The deadlines that come to the same step and the same next look (in a sweep,
    most of them: the same ladder step of the same due date) are moved by one statement."""
    same: dict[tuple[Any, Any], list[int]] = {}
    for move in moves:
        same.setdefault((move["step"], move["next"]), []).append(move["id"])
    for (step, after), ids in same.items():
        for start in range(0, len(ids), _IDS_AT_ONCE):
            marks, params = Raw.in_list("d", ids[start : start + _IDS_AT_ONCE])
            raw.run(
                f"UPDATE deadlines SET escalation_step = :step, next_step_at = :next WHERE id IN {marks}",
                Prepared(params | {"step": step, "next": after}),
            )


@dataclass(frozen=True, slots=True)
class Names:
    """The units (name and superior unit) and deputies of the database, read at once."""

    units: dict[int, tuple[str, int | None]]
    deputies: dict[int, str]

    def deputy(self, deputy_id: int | None) -> str | None:
        """The deputy's name."""
        return self.deputies.get(deputy_id) if deputy_id is not None else None

    def name(self, unit_id: int | None) -> str | None:
        """The unit's name."""
        found = self.units.get(unit_id) if unit_id is not None else None
        return found[0] if found else None

    def parent(self, unit_id: int | None) -> int | None:
        """The id of the unit's superior unit."""
        found = self.units.get(unit_id) if unit_id is not None else None
        return found[1] if found else None


def names(raw: Raw, *, deputies: bool = False, deputy_ids: Collection[int] = ()) -> Names:
    """Every unit, and with ``deputies`` every deputy (else those of ``deputy_ids``)."""
    units = {r[0]: (r[1], r[2]) for r in raw.all("SELECT id, name, parent_id FROM units")}
    people: dict[int, str] = {}
    if deputies:
        people = dict(raw.all("SELECT id, name FROM deputies"))
    elif deputy_ids:
        marks, params = Raw.in_list("d", sorted(deputy_ids))
        people = dict(raw.all(f"SELECT id, name FROM deputies WHERE id IN {marks}", params))
    return Names(units, people)


@dataclass(frozen=True, slots=True)
class UpcomingSteps:
    """The deadlines whose next look falls before a horizon, with what the forecast shows of their cases."""

    rows: list[
        tuple[Any, ...]
    ]  # STEP_COLUMNS, then session name, number, lead deputy, rule set id and version, state
    mains: dict[int, list[int]]  # each case's main and split units
    names: Names


def upcoming_steps(conn: Connection, congress_id: int, until: datetime, unit_id: int | None) -> UpcomingSteps:
    """The deadlines of the congress whose next look is at or before ``until`` (only those ``unit_id`` owes, if
    given), in the order they come."""
    raw = Raw(conn)
    params: dict[str, Any] = {"until": until, "unit": unit_id, "congress": congress_id}
    where = "d.next_step_at <= :until AND se.congress_id = :congress" + (
        "" if unit_id is None else " AND d.unit_id = :unit"
    )
    rows = raw.all(
        f"SELECT {STEP_COLUMNS}, se.name, s.number, s.lead_deputy_id, s.ruleset_id, s.ruleset_version, "
        "s.state FROM deadlines d JOIN suggestions s ON s.id = d.suggestion_id "
        f"JOIN sessions se ON se.id = s.session_id WHERE {where} ORDER BY d.next_step_at, d.id",
        params,
    )
    mains = active_mains(raw, sorted({r[1] for r in rows}))
    return UpcomingSteps(rows, mains, names(raw, deputies=True))
