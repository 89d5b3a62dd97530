"""The ledger's reads: what a session already holds of an imported ledger's numbers, a session's cases as
the ledger export writes them, and their histories with the texts the audit events do not hold."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Connection

from workflow.store.sql import Raw, as_instant

__all__ = [
    "CaseFacts",
    "HistorySnapshot",
    "LedgerSnapshot",
    "case_facts",
    "history_snapshot",
    "ledger_snapshot",
]


@dataclass(frozen=True, slots=True)
class CaseFacts:
    """What an import needs to know of a case already in the session."""

    state: str
    answered: bool
    converted: bool
    feedback: bool
    title: str = ""
    deputy: str = ""  # the lead deputy's name


def case_facts(conn: Connection, session_id: int, numbers: Sequence[str]) -> dict[str, CaseFacts]:
    """The facts of the session's cases among ``numbers``, by number."""
    raw = Raw(conn)
    found: dict[str, CaseFacts] = {}
    for chunk in range(0, len(numbers), 500):
        marks, params = Raw.in_list("n", numbers[chunk : chunk + 500])
        for number, state, answered, current, category, rating, title, deputy in raw.all(
            "SELECT s.number, s.state, s.answered_at, s.current_category, s.category, s.rating, s.title, d.name "
            "FROM suggestions s LEFT JOIN deputies d ON d.id = s.lead_deputy_id "
            f"WHERE s.session_id = :sid AND s.number IN {marks}",
            {**params, "sid": session_id},
        ):
            found[number] = CaseFacts(
                state, answered is not None, current != category, rating is not None, title, deputy or ""
            )
    return found


@dataclass
class LedgerSnapshot:
    """A session's cases and what the ledger shows of them, read in one transaction."""

    units: dict[int, str]
    deputies: dict[int, str]
    cases: list[dict[str, Any]]  # the case rows, by number
    roles: dict[int, list[tuple[int, str]]] = field(default_factory=dict)  # active (unit, role) per case
    signers: dict[int, list[int]] = field(default_factory=dict)  # co-signing deputies per case, in order
    feedback: dict[int, tuple[str, Any]] = field(default_factory=dict)  # the last (rating, at) per case
    conversions: dict[int, tuple[str, Any]] = field(default_factory=dict)  # the last (class, at) per case
    # the earliest open obligation past due at the snapshot's `now`, per case (hand-back windows are not owed)
    overdue: dict[int, Any] = field(default_factory=dict)


def ledger_snapshot(
    conn: Connection, session_id: int, *, public: bool = False, now: datetime | None = None
) -> LedgerSnapshot:
    """The session's cases (without confidential ones when ``public``) and what the ledger shows of them; with
    ``now``, also what each case owes past due then."""
    raw = Raw(conn)
    params = {"sid": session_id}
    where = "s.session_id = :sid" + (" AND NOT s.confidential" if public else "")
    snap = LedgerSnapshot(
        units=dict(raw.all("SELECT id, name FROM units")),
        deputies=dict(raw.all("SELECT id, name FROM deputies")),
        cases=raw.rows(f"SELECT s.* FROM suggestions s WHERE {where} ORDER BY s.number", params),
    )
    for case, unit, role in raw.all(
        "SELECT a.suggestion_id, a.unit_id, a.role FROM assignments a JOIN suggestions s ON s.id = a.suggestion_id "
        f"WHERE {where} AND a.until IS NULL ORDER BY a.id",
        params,
    ):
        snap.roles.setdefault(case, []).append((unit, role))
    for case, deputy in raw.all(
        "SELECT g.suggestion_id, g.deputy_id FROM suggestion_signers g JOIN suggestions s ON s.id = g.suggestion_id "
        f"WHERE {where} ORDER BY g.position",
        params,
    ):
        snap.signers.setdefault(case, []).append(deputy)
    for case, rating, at in raw.all(
        f"SELECT f.suggestion_id, f.rating, f.at FROM feedback f JOIN suggestions s ON s.id = f.suggestion_id WHERE {where} "
        "ORDER BY f.id",
        params,
    ):
        snap.feedback[case] = (rating, at)
    for case, to, at in raw.all(
        f"SELECT c.suggestion_id, c.to_category, c.at FROM conversions c JOIN suggestions s ON s.id = c.suggestion_id "
        f"WHERE {where} ORDER BY c.id",
        params,
    ):
        snap.conversions[case] = (to, at)
    if now is not None:
        for case, due_at in raw.all(
            "SELECT d.suggestion_id, min(d.due_at) FROM deadlines d JOIN suggestions s ON s.id = d.suggestion_id "
            f"WHERE {where} AND d.status = 'open' AND d.kind <> 'return_window' AND d.due_at <= :now "
            "GROUP BY d.suggestion_id",
            {**params, "now": now},
        ):
            snap.overdue[case] = due_at
    return snap


@dataclass
class HistorySnapshot:
    """A session's audit events and the rows holding what they do not say (texts, the suggestion's own
    fields), read in one transaction. Event instants are as stored (:func:`~workflow.store.sql.as_instant`
    reads them); detail rows are keyed by case id, unit id and the instant, aware UTC."""

    units: dict[int, str]
    cases: dict[int, dict[str, Any]]  # id → number, content, field, between_sessions, confidential
    events: dict[int, list[tuple[int, Any, str, str, str]]] = field(default_factory=dict)  # seq, at, actor, …
    opinions: dict[tuple[int, int, datetime | None], str] = field(default_factory=dict)  # → text
    answers: dict[tuple[int, int, datetime | None], str] = field(default_factory=dict)  # → text
    contacts: dict[tuple[int, int, datetime | None], str] = field(default_factory=dict)  # → note
    # answers held for the office's review (答复审核): what the unit sent, as its answer_reviews row holds it
    reviews: dict[tuple[int, int, datetime | None], dict[str, Any]] = field(default_factory=dict)  # → payload
    feedback: dict[tuple[int, datetime | None], tuple[str | None, str | None]] = field(
        default_factory=dict
    )  # → attitude, result
    # by kind (unit, deputy): each name a unit or deputy bore before a rename → its name now (a name another one
    # bears now is left out: the events that name it are read as naming that one)
    renamed: dict[str, dict[str, str]] = field(default_factory=lambda: {"unit": {}, "deputy": {}})


def history_snapshot(conn: Connection, session_id: int) -> HistorySnapshot:
    """Every audit event of the session's cases, in order (action, actor, data), with the opinion, answer and
    contact texts, the feedback's attitude and result and each suggestion's content and flags."""
    raw = Raw(conn)
    params = {"sid": session_id}
    of = "JOIN suggestions s ON s.id = t.suggestion_id WHERE s.session_id = :sid"
    snap = HistorySnapshot(
        units=dict(raw.all("SELECT id, name FROM units")),
        cases={
            r["id"]: r
            for r in raw.rows(
                "SELECT id, number, content, field, between_sessions, confidential FROM suggestions "
                "WHERE session_id = :sid",
                params,
            )
        },
    )
    for case, seq, at, actor, action, data in raw.all(
        f"SELECT t.suggestion_id, t.seq, t.at, t.actor, t.action, t.data FROM audit_events t {of} "
        "ORDER BY t.suggestion_id, t.seq",
        params,
    ):
        snap.events.setdefault(case, []).append((seq, at, actor, action, data))
    for table, column, into in (
        ("opinions", "text", snap.opinions),
        ("answers", "text", snap.answers),
        ("contacts", "note", snap.contacts),
    ):
        for case, unit, at, text in raw.all(
            f"SELECT t.suggestion_id, t.unit_id, t.at, t.{column} FROM {table} t {of}", params
        ):
            into[(case, unit, as_instant(at))] = text
    for case, unit, at, payload in raw.all(
        f"SELECT t.suggestion_id, t.unit_id, t.at, t.payload FROM answer_reviews t {of}", params
    ):
        snap.reviews[(case, unit, as_instant(at))] = json.loads(payload)
    for case, at, attitude, result in raw.all(
        f"SELECT t.suggestion_id, t.at, t.attitude, t.result FROM feedback t {of}", params
    ):
        snap.feedback[(case, as_instant(at))] = (attitude, result)
    for kind, table in (("unit", "units"), ("deputy", "deputies")):
        for old, now in raw.all(
            f"SELECT c.old, e.name FROM directory_changes c JOIN sessions s ON s.congress_id = c.congress_id "
            f"JOIN {table} e ON e.id = c.entity_id WHERE s.id = :sid AND c.kind = :k AND c.field = 'name' "
            f"AND NOT EXISTS (SELECT 1 FROM {table} o WHERE o.congress_id = c.congress_id AND o.name = c.old) "
            "ORDER BY c.seq",
            {**params, "k": kind},
        ):
            snap.renamed[kind][old] = now
    return snap
