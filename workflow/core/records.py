"""What each step wrote to a case's rows, as its audit event records it, and the check of the rows against it.

A step of a unit of work (an action, or the reminder sweep's or a recomputation's pass over a case) writes rows
of the case's tables: it inserts some, updates others by a condition (settling deadlines, ending assignments) or
by id (moving a deadline), and changes columns of the case row. :class:`Written` records those writes as the
step makes them, each value in one canonical form (instants as microseconds since 1970 UTC, dates ISO,
booleans, long texts by the first 128 bits of their SHA-256), and the step's first audit event stores the record
(``audit_events.written``, compact JSON: ``{"v": 1, "case": {column: value}, "rows": [op, …]}``, an inserted row
as its values in :data:`COVERED`'s order), which its chain hash covers. Every row a step inserts carries
``audit_ref`` = ``SEQ.K``: the K-th row of its table inserted by the step whose first event is #SEQ.

:func:`check_rows` replays the records of a case's events in order (an update reaches the rows its condition
selects as the records leave them) and compares what they say each covered column holds with what it holds
now: an altered value, a row no event wrote (forged) and a row an event wrote that is gone (deleted) are each
named with the case, the table, the row and the event. Events written before records existed (their
``written`` is NULL) cover nothing: the rows they wrote (no ``audit_ref``) are counted as not covered, and of
such a case's row only the columns a later event set are checked.

:data:`COVERED` names, table by table, the columns a record holds and how each is compared;
:data:`EXCLUDED` names the others and why (identity, bookkeeping rewritten outside events, tallies derived
from the covered tables, which the audit check recomputes instead).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Any

from rules.i18n import _
from workflow.core.audit import AuditProblem, canonical

__all__ = [
    "CASE_TABLE",
    "COVERED",
    "EXCLUDED",
    "FORMAT",
    "ROW_TABLES",
    "RowCheck",
    "Written",
    "check_rows",
    "shown",
]

CASE_TABLE = "suggestions"
FORMAT = 1  # of the records: a column added to COVERED goes last, and the format number up


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@lru_cache(maxsize=4096)
def _instant(value: Any) -> int:
    """An instant (aware, naive UTC or stored text) as microseconds since 1970 UTC (the few instants a step
    writes recur: cached)."""
    if type(value) is str:
        value = datetime.fromisoformat(value)
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    delta: timedelta = value - _EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


@lru_cache(maxsize=4096)
def _date(value: Any) -> str:
    """A date (or stored text) as ISO 8601 (cached: the few dates a step writes recur)."""
    if type(value) is str:
        return value[:10]
    if isinstance(value, datetime):
        return value.date().isoformat()
    text: str = value.isoformat()
    return text


def _digest(value: Any) -> str:
    return hashlib.sha256(str(value).encode("utf-8")).hexdigest()[:32]


# how a column's value is recorded and compared (None stays None)
_INSTANT, _DATE, _BOOL, _INT, _TEXT, _LONG = _instant, _date, bool, int, str, _digest

# the columns each record holds, by table (suggestion_id and audit_ref are the row's place, not content)
COVERED: Mapping[str, Mapping[str, Callable[[Any], Any]]] = {
    CASE_TABLE: {
        "session_id": _INT,
        "number": _TEXT,
        "title": _LONG,
        "content": _LONG,
        "field": _TEXT,
        "lead_deputy_id": _INT,
        "between_sessions": _BOOL,
        "confidential": _BOOL,
        "key": _BOOL,
        "complex": _BOOL,
        "extended": _BOOL,
        "state": _TEXT,
        "round": _INT,
        "ruleset_id": _TEXT,
        "ruleset_version": _INT,
        "escalation_level": _INT,
        "category": _TEXT,
        "current_category": _TEXT,
        "submitted_at": _INSTANT,
        "assigned_at": _INSTANT,
        "answered_at": _INSTANT,
        "closed_at": _INSTANT,
        "last_event_at": _INSTANT,
    },
    "suggestion_signers": {"deputy_id": _INT, "position": _INT},
    "assignments": {"unit_id": _INT, "role": _TEXT, "round": _INT, "since": _INSTANT, "until": _INSTANT},
    "return_requests": {
        "unit_id": _INT,
        "reason": _LONG,
        "at": _INSTANT,
        "status": _TEXT,
        "decided_at": _INSTANT,
        "decision_reason": _LONG,
    },
    "receipts": {"unit_id": _INT, "round": _INT, "assigned_at": _INSTANT, "at": _INSTANT},
    "extension_requests": {
        "unit_id": _INT,
        "reason": _LONG,
        "at": _INSTANT,
        "status": _TEXT,
        "decided_at": _INSTANT,
        "decision_reason": _LONG,
    },
    "answer_reviews": {
        "unit_id": _INT,
        "round": _INT,
        "category": _TEXT,
        "payload": _LONG,
        "at": _INSTANT,
        "status": _TEXT,
        "decided_at": _INSTANT,
        "decision_reason": _LONG,
    },
    "opinions": {"unit_id": _INT, "round": _INT, "text": _LONG, "at": _INSTANT},
    "contacts": {
        "unit_id": _INT,
        "round": _INT,
        "method": _TEXT,
        "stage": _TEXT,
        "note": _LONG,
        "at": _INSTANT,
    },
    "answers": {
        "unit_id": _INT,
        "round": _INT,
        "category": _TEXT,
        "text": _LONG,
        "overrides": _LONG,
        "at": _INSTANT,
    },
    "promises": {"answer_id": _INT, "unit_id": _INT, "text": _LONG, "due": _DATE, "status": _TEXT},
    "conversions": {
        "from_category": _TEXT,
        "to_category": _TEXT,
        "evidence": _LONG,
        "actor": _TEXT,
        "at": _INSTANT,
    },
    "feedback": {
        "deputy_id": _INT,
        "round": _INT,
        "rating": _TEXT,
        "attitude": _TEXT,
        "result": _TEXT,
        "comment": _LONG,
        "at": _INSTANT,
    },
    "attachments": {
        "seq": _INT,
        "action": _TEXT,
        "round": _INT,
        "unit_id": _INT,
        "name": _TEXT,
        "media_type": _TEXT,
        "size": _INT,
        "sha256": _TEXT,
        "actor": _TEXT,
        "at": _INSTANT,
    },
    "deadlines": {
        "kind": _TEXT,
        "unit_id": _INT,
        "round": _INT,
        "ref_id": _INT,
        "start": _DATE,
        "due": _DATE,
        "due_at": _INSTANT,
        "raw_due": _DATE,
        "roll_reason": _TEXT,
        "status": _TEXT,
        "met_at": _INSTANT,
        "late": _BOOL,
        "provisional": _BOOL,
    },
}

# each table's covered columns with how each is recorded, in order
_ORDER = {t: tuple(columns.items()) for t, columns in COVERED.items()}

# the tables whose rows carry an ``audit_ref`` (every covered table but the case's own)
ROW_TABLES = frozenset(COVERED) - {CASE_TABLE}

_PLACE = {"id": "the row's id", "suggestion_id": "the case", "audit_ref": "the row's place in the records"}

# every other column of the covered tables, and why a record leaves it out
EXCLUDED: Mapping[str, Mapping[str, str]] = {
    CASE_TABLE: {
        "id": "the case itself",
        "version": "the compare-and-set counter, one up with every step",
        "audit_seq": "the chain's head, checked with the chain",
        "audit_head": "the chain's head, checked with the chain",
        "first_answer_at": "a tally, recomputed from the answers",
        "rating": "a tally, recomputed from the feedback",
        "contact_level": "a tally, recomputed from the contacts",
        "answer_met": "a tally, recomputed from the deadlines",
        "main_unit_id": "a tally, recomputed from the assignments",
        "answer_due_at": "a tally, recomputed from the deadlines",
    },
    "suggestion_signers": {"suggestion_id": _PLACE["suggestion_id"], "audit_ref": _PLACE["audit_ref"]},
    "deadlines": {
        **_PLACE,
        "version": "bumped with every move, so that reminders key anew",
        "escalation_step": "the reminder sweep's bookkeeping (its escalate events record the steps)",
        "next_step_at": "the reminder sweep's bookkeeping",
    },
    **{t: _PLACE for t in COVERED if t not in (CASE_TABLE, "suggestion_signers", "deadlines")},
}

_CASE_COLUMNS = COVERED[CASE_TABLE]
_WHERE_IMPLIED = "suggestion_id"  # every update of a step is of its own case's rows


@lru_cache(maxsize=256)
def _plan(table: str, columns: tuple[str, ...]) -> tuple[tuple[str, Callable[[Any], Any]], ...]:
    """The covered columns among ``columns`` with how each is recorded; a column that is neither covered nor
    excluded is refused, so that a new column is never silently left unchecked."""
    kinds, excluded = COVERED[table], EXCLUDED[table]
    plan = []
    for column in columns:
        kind = kinds.get(column)
        if kind is None:
            if column not in excluded:
                msg = (
                    f"column {table}.{column} is neither covered by the audit records nor excluded from them"
                )
                raise KeyError(msg)
            continue
        plan.append((column, kind))
    return tuple(plan)


def _values(table: str, values: Mapping[str, Any]) -> dict[str, Any]:
    """The covered columns of ``values`` in their recorded form."""
    found: dict[str, Any] = {}
    for column, kind in _plan(table, tuple(values)):
        value = values[column]
        found[column] = None if value is None else kind(value)
    return found


def _row(table: str, row: Mapping[str, Any]) -> list[Any]:
    """An inserted row's covered values, in :data:`COVERED`'s order (a column of the table that is neither
    covered nor excluded fails the schema's test, not each insert)."""
    get = row.get
    return [None if (value := get(column)) is None else kind(value) for column, kind in _ORDER[table]]


class Written:
    """The writes of one step, recorded as it makes them (:meth:`text` is what its first event stores)."""

    __slots__ = ("_counts", "case", "ops", "seq")

    def __init__(self, seq: int) -> None:
        self.seq = seq  # the step's first event
        self.case: dict[str, Any] = {}  # columns of the case row set, as set
        self.ops: list[list[Any]] = []  # inserts and updates of the other tables, in order
        self._counts: dict[str, int] = {}

    def set_case(self, values: Mapping[str, Any]) -> None:
        """Columns of the case row set (the last value of each counts; recorded by :meth:`text`)."""
        self.case.update(values)

    def insert(self, table: str, row: dict[str, Any]) -> None:
        """A row to insert: it gets its ``audit_ref`` here."""
        k = self._counts[table] = self._counts.get(table, 0) + 1
        row["audit_ref"] = f"{self.seq}.{k}"
        self.ops.append(["insert", table, _row(table, row)])

    def update(self, table: str, where: Mapping[str, Any], values: Mapping[str, Any]) -> None:
        """An update of the rows that match ``where`` (column = value; None is NULL; ``id`` a row's id)."""
        condition = {
            c: v if c == "id" else _values(table, {c: v})[c] for c, v in where.items() if c != _WHERE_IMPLIED
        }
        changed = _values(table, values)
        if changed:
            self.ops.append(["update", table, condition, changed])

    def settle(
        self,
        kinds: Iterable[str],
        status: str,
        at: datetime,
        unit: int | None,
        any_unit: bool,
        overdue: str | None,
    ) -> None:
        """Open deadlines of ``kinds`` settled (see :meth:`UnitOfWork.settle_deadlines`)."""
        op: dict[str, Any] = {"kinds": sorted(kinds), "status": status, "at": _instant(at)}
        if not any_unit:
            op["unit"] = unit
        if overdue is not None:
            op["overdue"] = overdue
        self.ops.append(["settle", op])

    def text(self) -> str:
        """The record as its event stores it (canonical JSON)."""
        record: dict[str, Any] = {"v": FORMAT}
        case = _values(CASE_TABLE, self.case)
        if case:
            record["case"] = case
        if self.ops:
            record["rows"] = self.ops
        return canonical(record)


# ---- the check ----------------------------------------------------------------------------------------
@dataclass(slots=True)
class _Expected:
    """A row as the records leave it: its values and which event set each (the inserting one by default)."""

    values: dict[str, Any]
    origin: int
    writers: dict[str, int] = field(default_factory=dict)

    def writer(self, column: str) -> int:
        return self.writers.get(column, self.origin)


@dataclass
class RowCheck:
    """What :func:`check_rows` found in one case."""

    problems: list[AuditProblem] = field(default_factory=list)
    rows: int = 0  # rows compared with the records (the case row included)
    uncovered_rows: int = 0  # rows written before records existed
    uncovered_events: int = 0  # events written before records existed


def shown(value: Any, kind: Callable[[Any], Any] | None = None) -> str:
    """A recorded value as a message shows it (an instant as UTC ISO 8601)."""
    if value is None:
        return "NULL"
    if kind is _INSTANT:
        return repr((_EPOCH + timedelta(microseconds=value)).isoformat(timespec="microseconds"))
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return repr(value)
    return str(value)


def _matches(row: _Expected, where: Mapping[str, Any], row_id: int | None) -> bool:
    for column, value in where.items():
        found = row_id if column == "id" else row.values.get(column)
        if found != value:
            return False
    return True


def _settle(row: _Expected, op: Mapping[str, Any], seq: int) -> None:
    values = row.values
    if values.get("status") != "open" or values.get("kind") not in op["kinds"]:
        return
    if "unit" in op and values.get("unit_id") != op["unit"]:
        return
    at, due_at = op["at"], values.get("due_at")
    past = "overdue" in op and due_at is not None and due_at <= at
    values["status"] = op["overdue"] if past else op["status"]
    row.writers["status"] = seq
    if op["status"] == "met":
        values["met_at"], values["late"] = at, due_at is not None and due_at <= at
        row.writers["met_at"] = row.writers["late"] = seq


def _row_label(table: str, row: Mapping[str, Any]) -> str:
    if table == "suggestion_signers":
        return f"deputy {row['deputy_id']}"
    return str(row["id"])


def _ref_seq(ref: str) -> int | None:
    head = ref.split(".", 1)[0]
    return int(head) if head.isdigit() else None


def check_rows(
    session: str,
    case: Mapping[str, Any],
    events: Sequence[Any],
    rows: Mapping[str, Sequence[Mapping[str, Any]]],
) -> RowCheck:
    """Compare a case's rows with what its events' records say they hold.

    ``case``: the case row (every column); ``events``: its audit rows in order (``seq``, ``written``);
    ``rows``: its rows of every covered table but the case's, each with every column, in id order.
    """
    number = str(case["number"])
    found = RowCheck()

    def problem(table: str, row: str, seq: int | None, text: str) -> None:
        found.problems.append(AuditProblem(session, number, seq, text, table=table, row=row))

    complete = bool(events) and events[0].seq == 1 and events[0].written is not None
    ids: dict[tuple[str, str], int] = {}
    for table, current in rows.items():
        for r in current:
            if r.get("audit_ref") is not None and "id" in r:
                ids.setdefault((table, r["audit_ref"]), r["id"])
    expected: dict[str, dict[str, _Expected]] = {t: {} for t in COVERED if t != CASE_TABLE}
    case_values: dict[str, Any] = {}
    case_writers: dict[str, int] = {}
    recorded = False
    for ev in events:
        if ev.written is None:
            found.uncovered_events += 1
            if recorded:
                found.problems.append(
                    AuditProblem(
                        session,
                        number,
                        ev.seq,
                        _("has no record of its rows, though an event before it has one"),
                    )
                )
            continue
        recorded = True
        if not ev.written:  # a later event of a step: its first event holds the record
            continue
        try:
            record = json.loads(ev.written)
            for column, value in record.get("case", {}).items():
                case_values[column], case_writers[column] = value, ev.seq
            counts: dict[str, int] = {}
            for op in record.get("rows", ()):
                if op[0] == "insert":
                    table = op[1]
                    k = counts[table] = counts.get(table, 0) + 1
                    values = dict(zip(COVERED[table], op[2], strict=True))
                    expected[table][f"{ev.seq}.{k}"] = _Expected(values, ev.seq)
                elif op[0] == "update":
                    table, where, changed = op[1], op[2], op[3]
                    for ref, row in expected[table].items():
                        if _matches(row, where, ids.get((table, ref))):
                            row.values.update(changed)
                            row.writers.update(dict.fromkeys(changed, ev.seq))
                else:
                    for row in expected["deadlines"].values():
                        _settle(row, op[1], ev.seq)
        except (ValueError, KeyError, TypeError, AttributeError):
            found.problems.append(
                AuditProblem(session, number, ev.seq, _("its record of the rows it wrote is unreadable"))
            )

    # the case row: every covered column when the whole history is recorded, else those a record set
    found.rows += 1
    label = str(case["id"])
    for column, kind in _CASE_COLUMNS.items():
        if not complete and column not in case_writers:
            continue
        now = None if case[column] is None else kind(case[column])
        was = case_values.get(column)
        if now != was:
            problem(CASE_TABLE, label, case_writers.get(column, 1), _differs(column, kind, now, was))

    for table, by_ref in expected.items():
        kinds = COVERED[table]
        seen: set[str] = set()
        for r in rows.get(table, ()):
            label = _row_label(table, r)
            stamp: str | None = r.get("audit_ref")
            if stamp is None:
                if complete:
                    problem(table, label, None, _("no event wrote it (it has no audit_ref): forged"))
                else:
                    found.uncovered_rows += 1
                continue
            held = by_ref.get(stamp)
            if held is None or stamp in seen:
                why = (
                    _("another row has the same audit_ref")
                    if stamp in seen
                    else _("no event's record holds audit_ref {ref}").format(ref=stamp)
                )
                problem(
                    table,
                    label,
                    _ref_seq(stamp),
                    _("no event wrote it ({why}): forged, or its audit_ref was altered").format(why=why),
                )
                continue
            seen.add(stamp)
            found.rows += 1
            for column, kind in kinds.items():
                now = None if r[column] is None else kind(r[column])
                was = held.values[column]
                if now != was:
                    problem(table, label, held.writer(column), _differs(column, kind, now, was))
        for ref, gone in by_ref.items():
            if ref not in seen:
                problem(
                    table,
                    ref,
                    gone.origin,
                    _("missing: the event wrote this row (audit_ref {ref}), no row holds it now").format(
                        ref=ref
                    ),
                )
    return found


def _differs(column: str, kind: Callable[[Any], Any], now: Any, was: Any) -> str:
    if kind is _LONG:
        return _("{column} differs from what the event wrote").format(column=column)
    return _("{column} is {now} but the event wrote {was}").format(
        column=column, now=shown(now, kind), was=shown(was, kind)
    )
