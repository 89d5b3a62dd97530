"""The SQL of online submissions (:mod:`workflow.core.submissions`): insert, read, list, settle, record.

A submission leaves "pending" by one compare-and-set ``UPDATE … WHERE id = :id AND status = 'pending'``, so two
offices (or the office and the deputy) acting at once cannot both settle it: the second finds it settled.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, select

from workflow.core.attachments import Attached
from workflow.core.submissions import SubmissionEvent, SubmissionStatus, SubmissionView
from workflow.store.directory import Directory
from workflow.store.models import (
    CongressSession,
    Submission,
    SubmissionEventRow,
    Suggestion,
    table,
)
from workflow.store.sql import Raw, as_instant

__all__ = [
    "add_event",
    "create",
    "find",
    "link",
    "listing",
    "next_number",
    "notify",
    "read",
    "settle",
    "view",
]

SUBMISSIONS = table(Submission)
EVENTS = table(SubmissionEventRow)
CASES = table(Suggestion)
SESSIONS = table(CongressSession)
NUMBER_WIDTH = 4  # the next number of an empty session: 0001


# the columns a writer reads of a submission it is about to settle
_WRITER_COLUMNS = (
    "id, deputy_id, co_signers, title, content, field, between_sessions, confidential, attachments, status, "
    "submitted_at"
)


def create(conn: Connection, values: dict[str, Any]) -> int:
    """Insert a pending submission; its id."""
    return Raw(conn).insert("submissions", {**values, "status": SubmissionStatus.PENDING.value})


def add_event(
    conn: Connection, submission_id: int, *, at: datetime, actor: str, action: str, data: dict[str, Any]
) -> None:
    """Record what happened to submission ``submission_id``."""
    Raw(conn).insert(
        "submission_events",
        {
            "submission_id": submission_id,
            "at": at,
            "actor": actor,
            "action": action,
            "data": json.dumps(data, ensure_ascii=False, sort_keys=True),
        },
    )


def find(conn: Connection, congress_id: int, submission_id: int) -> dict[str, Any] | None:
    """Submission ``submission_id`` of the congress, as a writer reads it in its transaction (None: no such
    submission)."""
    row = Raw(conn).one(
        f"SELECT {_WRITER_COLUMNS} FROM submissions WHERE id = :id AND congress_id = :c",
        {"id": submission_id, "c": congress_id},
    )
    if row is None:
        return None
    row["submitted_at"] = as_instant(row["submitted_at"])
    return row


def settle(
    conn: Connection,
    submission_id: int,
    status: SubmissionStatus,
    *,
    at: datetime,
    reason: str | None = None,
) -> bool:
    """Move a pending submission to ``status``; False when it was not pending any more (nothing changed)."""
    touched = Raw(conn).run(
        "UPDATE submissions SET status = :status, decided_at = :at, reason = :reason "
        "WHERE id = :id AND status = :pending",
        {
            "status": status.value,
            "at": at,
            "reason": reason,
            "id": submission_id,
            "pending": SubmissionStatus.PENDING.value,
        },
    )
    return touched == 1


def link(conn: Connection, submission_id: int, case_id: int) -> None:
    """Name the case an accepted submission became."""
    Raw(conn).run(
        "UPDATE submissions SET suggestion_id = :case WHERE id = :id", {"case": case_id, "id": submission_id}
    )


def notify(conn: Connection, row: dict[str, Any]) -> None:
    """Queue one outbox row (:func:`~workflow.core.unit_of_work.outbox_row`) outside a case's unit of work."""
    Raw(conn).insert("outbox", row)


def next_number(conn: Connection, session_id: int) -> str:
    """The number after the highest all-digit number of the session, zero-padded as wide as it (0001 in an
    empty session; after 0123 comes 0124)."""
    numbers = Raw(conn).column("SELECT number FROM suggestions WHERE session_id = :s", {"s": session_id})
    digits = [str(n) for n in numbers if str(n).isascii() and str(n).isdigit()]
    if not digits:
        return "1".zfill(NUMBER_WIDTH)
    top = max(digits, key=int)
    return str(int(top) + 1).zfill(max(len(top), NUMBER_WIDTH))


def read(conn: Connection, congress_id: int, submission_id: int) -> dict[str, Any] | None:
    """Submission ``submission_id`` of the congress, as a reader reads it (None: no such submission)."""
    row = (
        conn.execute(
            select(SUBMISSIONS).where(
                SUBMISSIONS.c.id == submission_id, SUBMISSIONS.c.congress_id == congress_id
            )
        )
        .mappings()
        .first()
    )
    return None if row is None else dict(row)


def listing(
    conn: Connection,
    congress_id: int,
    *,
    status: SubmissionStatus | None = None,
    deputy_id: int | None = None,
    limit: int | None = None,
) -> list[dict[str, Any]]:
    """The congress's submissions, oldest first: those with ``status``, those of lead deputy ``deputy_id``."""
    query = select(SUBMISSIONS).where(SUBMISSIONS.c.congress_id == congress_id)
    if status is not None:
        query = query.where(SUBMISSIONS.c.status == status.value)
    if deputy_id is not None:
        query = query.where(SUBMISSIONS.c.deputy_id == deputy_id)
    query = query.order_by(SUBMISSIONS.c.id)
    if limit is not None:
        query = query.limit(limit)
    return [dict(r) for r in conn.execute(query).mappings()]


def _events(conn: Connection, ids: Sequence[int]) -> dict[int, list[SubmissionEvent]]:
    found: dict[int, list[SubmissionEvent]] = {}
    if not ids:
        return found
    rows = conn.execute(
        select(EVENTS).where(EVENTS.c.submission_id.in_(ids)).order_by(EVENTS.c.submission_id, EVENTS.c.id)
    ).mappings()
    for r in rows:
        event = SubmissionEvent(r["action"], r["at"], r["actor"], json.loads(r["data"]))
        found.setdefault(int(r["submission_id"]), []).append(event)
    return found


def view(conn: Connection, directory: Directory, rows: Sequence[dict[str, Any]]) -> list[SubmissionView]:
    """``rows`` as their deputies and the office see them, each with its events."""
    events = _events(conn, [int(r["id"]) for r in rows])
    cases = [r["suggestion_id"] for r in rows if r["suggestion_id"] is not None]
    numbers: dict[int, tuple[str, str]] = {}
    if cases:
        query = (
            select(CASES.c.id, SESSIONS.c.name, CASES.c.number)
            .join(SESSIONS, SESSIONS.c.id == CASES.c.session_id)
            .where(CASES.c.id.in_(cases))
        )
        numbers = {int(i): (str(s), str(n)) for i, s, n in conn.execute(query)}
    out = []
    for r in rows:
        session, number = numbers.get(r["suggestion_id"], (None, None))
        out.append(
            SubmissionView(
                id=int(r["id"]),
                status=SubmissionStatus(r["status"]),
                title=r["title"],
                content=r["content"],
                deputy=directory.deputy_name(conn, r["deputy_id"]),
                co_signers=tuple(directory.deputy_name(conn, d) for d in json.loads(r["co_signers"])),
                field=r["field"],
                between_sessions=bool(r["between_sessions"]),
                confidential=bool(r["confidential"]),
                attachments=tuple(Attached(**a) for a in json.loads(r["attachments"])),
                submitted_at=r["submitted_at"],
                decided_at=r["decided_at"],
                reason=r["reason"],
                session=session,
                number=number,
                events=tuple(events.get(int(r["id"]), ())),
            )
        )
    return out
