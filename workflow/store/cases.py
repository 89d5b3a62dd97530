"""The write path's SQL: loading and locking cases, what a step reads, and flushing units of work.

:class:`CaseStore` is the one implementation of :class:`~workflow.core.unit_of_work.CaseStore` (bound to one
transaction's connection). :func:`flush` writes what many units of work buffered: their updates, then one
insert statement per table, then one compare-and-set per case (batched), which recomputes the case's tallies
too.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import date, datetime
from functools import cache
from typing import Any

from sqlalchemy import Connection

from rules import DeadlineKind
from workflow.core.errors import BatchConflict, Conflict, ValidationError
from workflow.core.states import DeadlineStatus, Role
from workflow.core.unit_of_work import ActiveAssignment, UnitOfWork, Write
from workflow.store import directory_changes as changes
from workflow.store import tally
from workflow.store.database import Dialect
from workflow.store.directory import Directory
from workflow.store.models import too_long
from workflow.store.sql import Prepared, Raw, as_date, as_instant, update_sql

__all__ = ["CASE_COLUMNS", "CaseStore", "case_row", "flush"]

_ACTIVE_ASSIGNMENTS = (
    "SELECT a.unit_id, a.role, "
    "EXISTS (SELECT 1 FROM answers x WHERE x.suggestion_id = a.suggestion_id AND x.unit_id = a.unit_id "
    "AND x.round = :round) AS answered, "
    "EXISTS (SELECT 1 FROM opinions o WHERE o.suggestion_id = a.suggestion_id AND o.unit_id = a.unit_id "
    "AND o.round = :round) AS opined "
    "FROM assignments a WHERE a.suggestion_id = :sid AND a.until IS NULL ORDER BY a.id"
)
# the case row with what a step needs beside it: its session's name and the congress's active rule set
_CASE_SELECT = (
    "SELECT s.*, se.name AS session_name, c.ruleset_id AS active_ruleset_id, "
    "c.ruleset_version AS active_ruleset_version"
)
_CASE_FROM = (
    " FROM suggestions s JOIN sessions se ON se.id = s.session_id JOIN congresses c ON c.id = se.congress_id "
)
CASE_COLUMNS = _CASE_SELECT + _CASE_FROM
# a single case's load reads the directory generation too (:meth:`Directory.seen`), saving the transaction a statement
_LOAD_ONE = f"{_CASE_SELECT}, {changes.GENERATION} AS directory_generation{_CASE_FROM}"


def case_row(row: dict[str, Any]) -> dict[str, Any]:
    """A case row read by raw SQL, with the types a unit of work relies on."""
    row["last_event_at"] = as_instant(row["last_event_at"])
    row["extended"] = bool(row["extended"])
    return row


@cache
def _settle_sql(count: int, status: str, unit: str, overdue: bool) -> str:
    met = ", met_at = :at, late = (due_at <= :at)" if status == DeadlineStatus.MET.value else ""
    kinds = ", ".join(f":k{i}" for i in range(count))
    new = "CASE WHEN due_at <= :at THEN :overdue ELSE :status END" if overdue else ":status"
    return (
        f"UPDATE deadlines SET status = {new}, next_step_at = NULL{met} "
        f"WHERE suggestion_id = :sid AND status = 'open' AND kind IN ({kinds}){unit}"
    )


@cache
def _cas_sql(columns: tuple[str, ...], tallies: bool) -> str:
    """The compare-and-set of a case row: its changed columns, and its tallies recomputed when asked (they run
    after the inserts, so they see the rows the unit of work added)."""
    sql = update_sql("suggestions", columns, "id = :b_id AND version = :b_version")
    return sql.replace(" WHERE ", f", {tally.refresh_set()} WHERE ", 1) if tallies else sql


@cache
def _move_sql(columns: tuple[str, ...]) -> str:
    sql = update_sql("deadlines", columns, "id = :b_id")
    return sql.replace(" WHERE ", ", version = version + 1 WHERE ", 1)


class CaseStore:
    """The reads and writes of the steps of one transaction."""

    def __init__(self, conn: Connection, directory: Directory, dialect: Dialect) -> None:
        self.conn = conn
        self.raw = Raw(conn)
        self.directory = directory
        self.dialect = dialect
        self._ahead: Iterator[int] | None = None  # ids taken for new cases (:meth:`reserve_case_ids`)
        # the names and ids this transaction has looked up (a batch names the same units and deputies again and
        # again; the directory checks its own caches once a transaction, and nothing renames within one)
        self._ids: dict[str, dict[str, int]] = {"unit": {}, "deputy": {}}
        self._names: dict[str, dict[int, str]] = {"unit": {}, "deputy": {}}

    # ---- loading -------------------------------------------------------------------------------
    def load(self, congress_id: int, number: str, session: str | None) -> dict[str, Any] | None:
        """The case row for writing (locked where rows lock), with its session's name; None when absent."""
        which = "se.is_current = :yes" if session is None else "se.name = :session"
        sql = f"{_LOAD_ONE}WHERE se.congress_id = :congress AND {which} AND s.number = :number"
        row = self.raw.one(
            sql + self.dialect.lock("s"),
            {"congress": congress_id, "c": congress_id, "yes": True, "session": session, "number": number},
        )
        if row is None:
            return None
        self.directory.seen(self.conn, int(row.pop("directory_generation")))
        return case_row(row)

    def load_numbers(self, session_id: int, numbers: Sequence[str]) -> dict[str, dict[str, Any]]:
        """The case rows of ``numbers`` in the session, for writing, by number."""
        found: dict[str, dict[str, Any]] = {}
        for chunk in range(0, len(numbers), 500):
            marks, params = Raw.in_list("n", numbers[chunk : chunk + 500])
            sql = f"{CASE_COLUMNS}WHERE s.session_id = :sid AND s.number IN {marks}" + self.dialect.lock("s")
            found.update(
                {r["number"]: case_row(r) for r in self.raw.rows(sql, {**params, "sid": session_id})}
            )
        return found

    def load_ids(self, ids: Sequence[int], *, skip_locked: bool = False) -> dict[int, dict[str, Any]]:
        """The case rows of ``ids``, for writing, by id (``skip_locked``: leave out rows another writer holds)."""
        marks, params = Raw.in_list("c", ids)
        sql = f"{CASE_COLUMNS}WHERE s.id IN {marks} ORDER BY s.id" + self.dialect.lock(
            "s", skip_locked=skip_locked
        )
        return {r["id"]: case_row(r) for r in self.raw.rows(sql, params)}

    # ---- names ---------------------------------------------------------------------------------
    def unit_id(self, name: str) -> int:
        """The id of unit ``name``."""
        return self._id("unit", name)

    def unit_name(self, unit_id: int) -> str:
        """The name of unit ``unit_id``."""
        return self._name("unit", unit_id)

    def deputy_id(self, name: str) -> int:
        """The id of deputy ``name``."""
        return self._id("deputy", name)

    def deputy_name(self, deputy_id: int) -> str:
        """The name of deputy ``deputy_id``."""
        return self._name("deputy", deputy_id)

    def _id(self, kind: str, name: str) -> int:
        ids = self._ids[kind]
        found = ids.get(name)
        if found is None:  # not cached when not found: the directory raises what to do
            found = ids[name] = self.directory.id_of(self.conn, kind, name)
        return found

    def _name(self, kind: str, row_id: int) -> str:
        names = self._names[kind]
        found = names.get(row_id)
        if found is None:
            found = names[row_id] = self.directory.name_of(self.conn, kind, row_id)
        return found

    # ---- reads ---------------------------------------------------------------------------------
    def assignments(self, case_id: int, round_: int) -> list[ActiveAssignment]:
        """The case's active assignments, with who has answered or sent an opinion in ``round_``."""
        return [
            ActiveAssignment(r[0], Role(r[1]), bool(r[2]), bool(r[3]))
            for r in self.raw.all(_ACTIVE_ASSIGNMENTS, {"sid": case_id, "round": round_})
        ]

    def pending_return(self, case_id: int, unit_id: int) -> bool:
        """Whether the unit's request to hand the case back waits for a decision."""
        return bool(
            self.raw.one(
                "SELECT id FROM return_requests WHERE suggestion_id = :sid AND unit_id = :unit AND status = 'pending'",
                {"sid": case_id, "unit": unit_id},
            )
        )

    def return_window(self, case_id: int, unit_id: int) -> tuple[date, datetime] | None:
        """The last day and end of the unit's open window to ask for a hand-back, if open."""
        row = self.raw.one(
            "SELECT due, due_at FROM deadlines WHERE suggestion_id = :sid AND kind = 'return_window' "
            "AND unit_id = :unit AND status = 'open'",
            {"sid": case_id, "unit": unit_id},
        )
        if row is None:
            return None
        due_at = as_instant(row["due_at"])
        assert due_at is not None
        return as_date(row["due"]), due_at

    def pending_returns(self, case_id: int, unit_id: int | None) -> list[tuple[int, int]]:
        """(request id, unit id) of the requests waiting for a decision (of ``unit_id``, or all)."""
        sql = "SELECT id, unit_id FROM return_requests WHERE suggestion_id = :sid AND status = 'pending'"
        params: dict[str, Any] = {"sid": case_id}
        if unit_id is not None:
            sql += " AND unit_id = :unit"
            params["unit"] = unit_id
        return [(int(a), int(b)) for a, b in self.raw.all(sql + " ORDER BY id", params)]

    def receipt(self, case_id: int, unit_id: int) -> tuple[datetime, datetime | None] | None:
        """(start of the unit's active assignment, when it signed for it or None), or None: not assigned."""
        row = self.raw.one(
            "SELECT a.since, r.at FROM assignments a LEFT JOIN receipts r ON r.suggestion_id = a.suggestion_id "
            "AND r.unit_id = a.unit_id AND r.assigned_at = a.since "
            "WHERE a.suggestion_id = :sid AND a.unit_id = :unit AND a.until IS NULL",
            {"sid": case_id, "unit": unit_id},
        )
        if row is None:
            return None
        since = as_instant(row["since"])
        assert since is not None
        return since, as_instant(row["at"])

    def pending_extension(self, case_id: int) -> tuple[int, int, str] | None:
        """(request id, unit id, reason) of the case's extension request waiting for a decision, if any."""
        row = self.raw.one(
            "SELECT id, unit_id, reason FROM extension_requests WHERE suggestion_id = :sid AND status = 'pending'",
            {"sid": case_id},
        )
        return None if row is None else (int(row["id"]), int(row["unit_id"]), str(row["reason"]))

    def pending_reviews(
        self, case_id: int, unit_id: int | None = None
    ) -> list[tuple[int, int, str, datetime]]:
        """(review id, unit id, payload, submitted at) of the case's answers waiting for the office's review (of
        ``unit_id``, or all), oldest first."""
        sql = "SELECT id, unit_id, payload, at FROM answer_reviews WHERE suggestion_id = :sid AND status = 'pending'"
        params: dict[str, Any] = {"sid": case_id}
        if unit_id is not None:
            sql += " AND unit_id = :unit"
            params["unit"] = unit_id
        found = []
        for row in self.raw.all(sql + " ORDER BY at, id", params):
            at = as_instant(row[3])
            assert at is not None
            found.append((int(row[0]), int(row[1]), str(row[2]), at))
        return found

    def contacted(self, case_id: int, unit_id: int, round_: int) -> bool:
        """Whether the unit has recorded a contact in ``round_``."""
        return bool(
            self.raw.one(
                "SELECT id FROM contacts WHERE suggestion_id = :sid AND unit_id = :unit AND round = :round",
                {"sid": case_id, "unit": unit_id, "round": round_},
            )
        )

    def attachment_names(self, case_id: int) -> set[str]:
        """The names of the case's attachments."""
        rows = self.raw.all("SELECT name FROM attachments WHERE suggestion_id = :sid", {"sid": case_id})
        return {str(r[0]) for r in rows}

    def open_deadlines(
        self, case_id: int, kind: DeadlineKind, unit_id: int | None = None
    ) -> list[tuple[int, date, datetime]]:
        """(id, start date, due instant) of the case's open deadlines of ``kind`` (of ``unit_id``, or all)."""
        rows = self.raw.all(
            "SELECT id, start, due_at FROM deadlines WHERE suggestion_id = :sid AND kind = :kind "
            "AND status = 'open'" + (" AND unit_id = :unit" if unit_id is not None else "") + " ORDER BY id",
            {"sid": case_id, "kind": kind.value, "unit": unit_id},
        )
        found = []
        for i, start, due_at in rows:
            instant = as_instant(due_at)
            assert instant is not None
            found.append((int(i), as_date(start), instant))
        return found

    # ---- writes --------------------------------------------------------------------------------
    def insert(self, table: str, row: dict[str, Any]) -> int:
        """Insert one row now; its id."""
        return self.raw.insert(table, row)

    def reserve_case_ids(self, count: int) -> None:
        """Take ids for the next ``count`` new cases of this transaction, so that their rows go in at flush, many
        to a statement (:meth:`case_id_ahead`): on SQLite those above the highest (the transaction holds the
        write lock), on PostgreSQL the next ``count`` of the table's sequence."""
        if self.dialect.name == "postgresql":
            ids: Iterable[int] = self.raw.column(
                "SELECT nextval(pg_get_serial_sequence('suggestions', 'id')) FROM generate_series(1, :n)",
                {"n": count},
            )
        else:
            top = int(self.raw.column("SELECT coalesce(max(id), 0) FROM suggestions")[0])
            ids = range(top + 1, top + count + 1)
        self._ahead = iter(ids)

    def case_id_ahead(self, row: dict[str, Any]) -> int | None:
        """The next id taken for a new case (:meth:`reserve_case_ids`), ``row`` checked as :meth:`insert_case`
        checks it; None when none was taken (the row is inserted now)."""
        if self._ahead is None:
            return None
        found = next(self._ahead, None)
        if found is not None:
            _fits_case(row)
        return None if found is None else int(found)

    def insert_case(self, row: dict[str, Any]) -> int | None:
        """Insert a new case row now; its id, or None when its number is taken in its session (a value longer
        than its column holds is refused first, on every database alike). Any other refusal of the row is raised
        as the driver's error, not taken for a taken number."""
        _fits_case(row)
        try:
            return self.raw.insert("suggestions", row)
        except self.conn.dialect.loaded_dbapi.IntegrityError as exc:
            if self.dialect.duplicate(exc):
                return None
            raise

    def settle(
        self,
        case_id: int,
        kinds: Sequence[str],
        status: str,
        at: datetime,
        unit: int | None,
        any_unit: bool,
        overdue: str | None = None,
    ) -> Write:
        """Settle the case's open deadlines of ``kinds`` (of ``unit`` only, unless ``any_unit``); with
        ``overdue``, those already past due at ``at`` take that status instead."""
        params: dict[str, Any] = {f"k{i}": k for i, k in enumerate(kinds)}
        params |= {"status": status, "sid": case_id, "at": at}
        if overdue is not None:
            params["overdue"] = overdue
        which = ""
        if not any_unit:
            which = " AND unit_id IS NULL" if unit is None else " AND unit_id = :unit"
            params["unit"] = unit
        return _settle_sql(len(kinds), status, which, overdue is not None), params

    def update(self, table: str, where: dict[str, Any], values: dict[str, Any]) -> Write:
        """``UPDATE table SET values WHERE where`` (each a column = value; None in ``where`` is IS NULL)."""
        conditions = " AND ".join(f"{c} IS NULL" if v is None else f"{c} = :w_{c}" for c, v in where.items())
        params = {f"w_{c}": v for c, v in where.items() if v is not None} | values
        return update_sql(table, tuple(values), conditions), params

    def move_deadline(self, deadline_id: int, values: Mapping[str, Any]) -> Write:
        """New values for a deadline (dates, or its status when it no longer applies); its version goes up by
        one, so its reminders key anew. Values from :meth:`prepared` stay prepared."""
        params = Prepared(values) if type(values) is Prepared else dict(values)
        params["b_id"] = deadline_id
        return _move_sql(tuple(values)), params

    def prepared(self, values: Mapping[str, Any]) -> Mapping[str, Any]:
        """``values`` in the database's own form, for writes that many cases share (a recomputation's moves)."""
        return self.raw.prepare(values)


def _fits_case(row: dict[str, Any]) -> None:
    problem = too_long("suggestions", row)
    if problem is not None:
        raise ValidationError(f"建议 {row['number'][:40]}: {problem}")


def flush(raw: Raw, works: Sequence[UnitOfWork], *, what: str) -> None:
    """Write what the units of work buffered: their updates, one batched insert per table (on SQLite many rows to
    a statement: :meth:`Raw.insert_many`), then the cases' compare-and-sets (batched), each recomputing its
    case's tallies when the unit of work asked for them. A new case whose row waited for the flush (a batch of
    the ledger import) goes in with every column its steps set, and only its tallies are refreshed after the
    other rows (one statement for many cases).

    Each unit of work's updates run in the order it made them; the n-th updates of all units of work (different
    cases, so different rows) run together, one batched statement per distinct statement text.

    The case rows are locked (or the write lock held), so a compare-and-set that misses means another writer
    got there between the read and the write of an unlocked case: the whole transaction is refused.
    """
    tables: dict[str, list[dict[str, Any]]] = {}
    updates: dict[str, list[dict[str, Any]]] = {}
    depth = max((len(w.writes) for w in works), default=0)
    for n in range(depth):
        same: dict[str, list[dict[str, Any]]] = {}
        for work in works:
            if n < len(work.writes):
                sql, params = work.writes[n]
                same.setdefault(sql, []).append(params)
        for sql, param_sets in same.items():
            raw.many(sql, param_sets)
    fresh: list[int] = []  # new cases inserted as their steps left them: their tallies are refreshed after
    for work in works:
        for table, rows in work.inserts.items():
            tables.setdefault(table, []).extend(rows)
        if not work.changes:
            continue
        new = work.inserts.get("suggestions")
        if new and new[0].keys() >= work.changes.keys():
            # a case whose row goes in with this flush (its id taken ahead): it goes in as its steps left it, so
            # no compare-and-set follows (nobody else can have seen it), only its tallies
            new[0].update(work.changes)
            if work.tallies:
                fresh.append(work.case_id)
            continue
        sql = _cas_sql(tuple(work.changes), work.tallies)
        updates.setdefault(sql, []).append(
            {**work.changes, "b_id": work.case_id, "b_version": work.base_version}
        )
    for table in sorted(
        tables, key=lambda t: t != "suggestions"
    ):  # new cases first: the other rows refer to them
        raw.insert_many(table, tables[table])
    tally.refresh(raw, fresh)
    for sql, param_sets in updates.items():
        touched = raw.many(sql, param_sets)
        if touched not in (-1, len(param_sets)):
            if len(works) == 1:
                raise Conflict(case=works[0].label, expected=works[0].base_version)
            raise BatchConflict(what=what, expected=len(param_sets), found=touched)
