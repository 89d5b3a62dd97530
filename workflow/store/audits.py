"""The audit check's reads: every case of a congress with its chain, its rows and its tallies, a chunk of cases at
a time, each checked as it comes (:func:`check`); and the chain heads an anchor holds (:func:`heads`).

For each case: its chain (:func:`~workflow.core.audit.verify_chain`), its rows against its events' records
(:func:`~workflow.core.records.check_rows`), its tallies against the tables they are derived from (the reports
read the tallies), its attachments' bytes against their digests (:func:`~workflow.store.attachments.check_blobs`),
and, given an anchor, its chain head against the anchor's (:class:`~workflow.core.anchor.AnchorCheck`). Then the
history of edits to units and deputies (:func:`workflow.store.directory_changes.verify`): its problems name no
case, and their table is ``directory_changes``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Any

from sqlalchemy import Connection, select

from rules.i18n import _
from workflow.core.anchor import AnchorCheck, AnchoredCase
from workflow.core.audit import AuditProblem, verify_chain
from workflow.core.records import CASE_TABLE, COVERED, ROW_TABLES, check_rows, shown
from workflow.core.views import AuditReport
from workflow.store import directory_changes, tally
from workflow.store.attachments import Blobs, check_blobs
from workflow.store.database import Database
from workflow.store.models import AuditEvent, CongressSession, Suggestion, table, tables
from workflow.store.sql import Raw

__all__ = ["check", "heads"]

CHUNK = 500  # cases read together

SUGGESTIONS = table(Suggestion)
SESSIONS = table(CongressSession)
AUDIT = table(AuditEvent)
# how each tally is compared (as the records compare the columns they cover)
_TALLY_KINDS: dict[str, Callable[[Any], Any]] = {
    "first_answer_at": COVERED[CASE_TABLE]["answered_at"],
    "rating": COVERED[CASE_TABLE]["state"],
    "contact_level": int,
    "answer_met": int,
    "main_unit_id": int,
    "answer_due_at": COVERED[CASE_TABLE]["answered_at"],
}


def _chunks(conn: Connection, congress_id: int) -> Iterator[Sequence[Any]]:
    """The congress's case rows (every column, and ``session_name``), ``CHUNK`` at a time, by id."""
    last = 0
    while True:
        cases = conn.execute(
            select(SUGGESTIONS, SESSIONS.c.name.label("session_name"))
            .join(SESSIONS, SESSIONS.c.id == SUGGESTIONS.c.session_id)
            .where(SESSIONS.c.congress_id == congress_id, SUGGESTIONS.c.id > last)
            .order_by(SUGGESTIONS.c.id)
            .limit(CHUNK)
        ).all()
        if not cases:
            return
        yield cases
        last = cases[-1].id


def _by_case(conn: Connection, name: str, ids: list[int]) -> dict[int, list[Any]]:
    """The rows of table ``name`` of the cases ``ids``, by case, in order (events by sequence number)."""
    target = tables()[name]
    order = [target.c.suggestion_id, target.c.seq if name == AUDIT.name else next(iter(target.primary_key))]
    found: dict[int, list[Any]] = {}
    for row in conn.execute(select(target).where(target.c.suggestion_id.in_(ids)).order_by(*order)):
        found.setdefault(row.suggestion_id, []).append(row)
    return found


def _tallies(
    conn: Connection, sessions: dict[int, str], cases: Sequence[Any], last_seq: dict[int, int]
) -> dict[int, list[AuditProblem]]:
    """The tallies that differ from what the case's rows give, by case id."""
    raw = Raw(conn)
    marks, params = Raw.in_list("c", [c.id for c in cases])
    numbers = {c.id: (sessions[c.id], c.number) for c in cases}
    found: dict[int, list[AuditProblem]] = {}
    for row in raw.rows(tally.derived_sql(f"id IN {marks}"), params):
        for column, kind in _TALLY_KINDS.items():
            stored, derived = row[column], row[f"derived_{column}"]
            now = None if stored is None else kind(stored)
            given = None if derived is None else kind(derived)
            if now != given:
                where, number = numbers[row["id"]]
                found.setdefault(row["id"], []).append(
                    AuditProblem(
                        where,
                        number,
                        last_seq.get(row["id"]),
                        _(
                            "{column} is {now} but the case's rows give {given} (a tally the reports read)"
                        ).format(column=column, now=shown(now, kind), given=shown(given, kind)),
                        table=CASE_TABLE,
                        row=str(row["id"]),
                    )
                )
    return found


def check(
    db: Database, congress_id: int, *, anchor: AnchorCheck | None = None, blobs: Blobs | None = None
) -> AuditReport:
    """Check every case of the congress (see the module's text); with ``blobs``, the bytes of every attachment
    too, each hashed again."""
    seen: dict[str, str | None] = {}
    problems: list[AuditProblem] = []
    cases = events = rows = uncovered_events = uncovered_rows = 0
    with db.reading() as conn:
        for chunk in _chunks(conn, congress_id):
            ids = [c.id for c in chunk]
            trail = _by_case(conn, AUDIT.name, ids)
            written = {name: _by_case(conn, name, ids) for name in sorted(ROW_TABLES)}
            sessions = {c.id: str(c.session_name) for c in chunk}
            last_seq = {case_id: chain[-1].seq for case_id, chain in trail.items() if chain}
            derived = _tallies(conn, sessions, chunk, last_seq)
            for c in chunk:
                session, chain = sessions[c.id], trail.get(c.id, [])
                cases += 1
                events += len(chain)
                problems.extend(verify_chain(session, c, chain))
                found = check_rows(
                    session,
                    c._mapping,
                    chain,
                    {name: [r._mapping for r in by_case.get(c.id, ())] for name, by_case in written.items()},
                )
                problems.extend(found.problems)
                if blobs is not None:
                    files = [r._mapping for r in written["attachments"].get(c.id, ())]
                    problems.extend(check_blobs(conn, blobs, session, c.number, files, seen))
                problems.extend(derived.get(c.id, ()))
                rows += found.rows
                uncovered_events += found.uncovered_events
                uncovered_rows += found.uncovered_rows
                if anchor is not None:
                    anchor.case(session, c.number, chain)
        changes, broken = directory_changes.verify(conn, congress_id)
        problems.extend(AuditProblem("", "", None, line, table=directory_changes.TABLE) for line in broken)
    if anchor is not None:
        problems.extend(anchor.finish())
    return AuditReport(
        cases=cases,
        events=events,
        rows=rows,
        uncovered_events=uncovered_events,
        uncovered_rows=uncovered_rows,
        problems=tuple(problems),
        anchor=None if anchor is None else anchor.anchor,
        anchor_authentic=None if anchor is None else anchor.authentic,
        directory_changes=changes,
    )


def heads(db: Database, congress_id: int) -> list[AnchoredCase]:
    """Every case of the congress with its last event's sequence number and hash, read in one transaction."""
    with db.reading() as conn:
        rows = conn.execute(
            select(SESSIONS.c.name, SUGGESTIONS.c.number, SUGGESTIONS.c.audit_seq, SUGGESTIONS.c.audit_head)
            .join(SESSIONS, SESSIONS.c.id == SUGGESTIONS.c.session_id)
            .where(SESSIONS.c.congress_id == congress_id)
        ).all()
    return [AnchoredCase(str(s), str(n), int(q), str(h)) for s, n, q, h in rows]
