"""Reading a case's dossier (:mod:`workflow.core.dossier`): its rows, each with who wrote it (the actor of the
audit event its ``audit_ref`` points to), and the events that carry a reason or a note without a row.

A handful of indexed reads by the case's id, whatever the size of the database.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from datetime import date
from functools import cache
from typing import Any

from sqlalchemy import Connection, Select, Table, bindparam, func, select

from rules import DeadlineKind
from workflow.core.dossier import (
    AnswerEntry,
    AssignmentEntry,
    AttachmentEntry,
    ContactEntry,
    Dossier,
    ExtensionRequestEntry,
    FeedbackEntry,
    NoteEntry,
    OpinionEntry,
    OriginEntry,
    PromiseEntry,
    ReturnEntry,
    ReviewEntry,
)
from workflow.core.states import Action, ActorKind
from workflow.core.views import Actor, Case
from workflow.store.directory import Directory
from workflow.store.models import (
    Answer,
    AnswerReview,
    Assignment,
    Attachment,
    AuditEvent,
    Contact,
    ExtensionRequest,
    Feedback,
    Opinion,
    Promise,
    Receipt,
    ReturnRequest,
    Submission,
    SubmissionEventRow,
    table,
)
from workflow.store.sql import Raw

__all__ = ["read_dossier"]

AUDIT = table(AuditEvent)
ASSIGNMENTS = table(Assignment)
RECEIPTS = table(Receipt)
ATTACHMENTS = table(Attachment)
RETURNS = table(ReturnRequest)
EXTENSION_REQUESTS = table(ExtensionRequest)
ANSWER_REVIEWS = table(AnswerReview)
OPINIONS = table(Opinion)
CONTACTS = table(Contact)
ANSWERS = table(Answer)
PROMISES = table(Promise)
FEEDBACK = table(Feedback)
SUBMISSIONS = table(Submission)
SUBMISSION_EVENTS = table(SubmissionEventRow)

# the deadlines of what a unit owes, as the dossier names the step that meets them
_OWED = {
    DeadlineKind.CO_OPINION.value: "opinion",
    DeadlineKind.ANSWER.value: "answer",
    DeadlineKind.RE_ANSWER.value: "answer",
}

# the events that carry a reason or a note and no row of their own, and the data key holding the text
_NOTES = {
    Action.EXTEND.value: "reason",
    Action.REFUSE_RETURN.value: "reason",
    Action.REHANDLE.value: "reason",
    Action.PROGRESS.value: "note",
    Action.CONVERT.value: "evidence",
    Action.WITHDRAW.value: "reason",
    Action.AMEND.value: "reason",
}


def _party(actor: str, data: str) -> str:
    """The event's actor, with who keyed it in when the office entered it on the actor's behalf."""
    entered = json.loads(data).get("entered_by") if '"entered_by"' in data else None
    return f"{actor} (录入 {entered})" if entered else actor


class _Events:
    """The case's audit events: who did what, found by the ``SEQ.K`` reference a row carries."""

    def __init__(self, conn: Connection, case_id: int, files: dict[int, tuple[AttachmentEntry, ...]]) -> None:
        self.files = files  # the attachments of each event, by its seq
        self.rows = list(
            conn.execute(
                select(AUDIT.c.seq, AUDIT.c.at, AUDIT.c.actor, AUDIT.c.action, AUDIT.c.round, AUDIT.c.data)
                .where(AUDIT.c.suggestion_id == case_id)
                .order_by(AUDIT.c.seq)
            )
        )
        self.actor = {r.seq: _party(r.actor, r.data) for r in self.rows}

    def attached(self, ref: str | None) -> tuple[AttachmentEntry, ...]:
        """The files that came with the step that wrote the row with ``audit_ref`` ``ref``."""
        seq = (ref or "").partition(".")[0]
        return self.files.get(int(seq), ()) if seq.isdigit() else ()

    def by(self, ref: str | None) -> str:
        """Who wrote the row with ``audit_ref`` ``ref`` ("" for rows from before references existed)."""
        if not ref:
            return ""
        seq = ref.partition(".")[0]
        return self.actor.get(int(seq), "") if seq.isdigit() else ""

    def notes(self, action: str) -> tuple[NoteEntry, ...]:
        """The events of ``action``, as notes."""
        key = _NOTES[action]
        found = []
        for r in self.rows:
            if r.action == action:
                data = json.loads(r.data)
                found.append(
                    NoteEntry(action, r.round, r.at, self.actor[r.seq], str(data.get(key) or ""), data)
                )
        return tuple(found)


@cache
def _rows_query(source: Table) -> Select[Any]:
    """The rows of one case in ``source``, in the order things happened (built once a table: building a
    statement costs more than running it)."""
    when = source.c.get("at", source.c.get("since"))
    order = (source.c.id,) if when is None else (when, source.c.id)
    return select(source).where(source.c.suggestion_id == bindparam("case_id")).order_by(*order)


@cache
def _assignments_query() -> Select[Any]:
    """The case's assignments in order, each with when its unit signed for it (签收: the receipt of that unit
    for that assignment, by ``assigned_at``), in one statement."""
    received = (
        select(func.max(RECEIPTS.c.at))
        .where(
            RECEIPTS.c.suggestion_id == ASSIGNMENTS.c.suggestion_id,
            RECEIPTS.c.unit_id == ASSIGNMENTS.c.unit_id,
            RECEIPTS.c.assigned_at == ASSIGNMENTS.c.since,
        )
        .scalar_subquery()
    )
    return (
        select(ASSIGNMENTS, received.label("received_at"))
        .where(ASSIGNMENTS.c.suggestion_id == bindparam("case_id"))
        .order_by(ASSIGNMENTS.c.since, ASSIGNMENTS.c.id)
    )


def _rows(conn: Connection, source: Table, case_id: int) -> list[Mapping[str, Any]]:
    return [dict(r) for r in conn.execute(_rows_query(source), {"case_id": case_id}).mappings()]


# the tables of rows a case may have none of (most have none in most of them): which hold any for the case is
# asked in one statement, and only those are read (a dossier read each of them, one statement a table)
_PROBED = (
    ATTACHMENTS,
    PROMISES,
    ANSWERS,
    OPINIONS,
    RETURNS,
    CONTACTS,
    FEEDBACK,
    EXTENSION_REQUESTS,
    ANSWER_REVIEWS,
)
_PROBE = "SELECT " + ", ".join(f"EXISTS (SELECT 1 FROM {t.name} WHERE suggestion_id = :c)" for t in _PROBED)


def _held(conn: Connection, case_id: int) -> frozenset[str]:
    """The names of the tables of :data:`_PROBED` that hold rows of the case."""
    (found,) = Raw(conn).all(_PROBE, {"c": case_id})
    return frozenset(t.name for t, there in zip(_PROBED, found, strict=True) if there)


def _reviews(
    conn: Connection, case_id: int, unit: Callable[[int], str], viewer: Actor
) -> tuple[ReviewEntry, ...]:
    """The answers held for review: the office sees all, a unit its own, a deputy or the public none."""
    if viewer.kind in (ActorKind.DEPUTY, ActorKind.PUBLIC):
        return ()
    found = []
    for r in _rows(conn, ANSWER_REVIEWS, case_id):
        name = unit(r["unit_id"])
        if viewer.kind is ActorKind.UNIT and name != viewer.name:
            continue
        held = json.loads(r["payload"])
        files = tuple(
            AttachmentEntry(f["name"], f["media_type"], f["size"], f["sha256"])
            for f in held.get("attachments", ())
        )
        found.append(
            ReviewEntry(
                name,
                r["round"],
                r["category"],
                held["text"],
                r["at"],
                r["status"],
                r["decided_at"],
                r["decision_reason"],
                files,
                tuple(
                    PromiseEntry(p["text"], date.fromisoformat(p["due"]), "open")
                    for p in held.get("promises", ())
                ),
            )
        )
    return tuple(found)


def read_dossier(conn: Connection, directory: Directory, case: Case, viewer: Actor | None = None) -> Dossier:
    """The dossier of ``case`` (read in ``conn``, names from ``directory``); ``viewer`` (the office by default)
    decides which answers held for review it holds."""
    cid = case.id
    held = _held(conn, cid)

    def rows(source: Table) -> list[Mapping[str, Any]]:
        return _rows(conn, source, cid) if source.name in held else []

    files: dict[int, list[AttachmentEntry]] = {}
    attached = (
        conn.execute(
            select(
                ATTACHMENTS.c.seq,
                ATTACHMENTS.c.name,
                ATTACHMENTS.c.media_type,
                ATTACHMENTS.c.size,
                ATTACHMENTS.c.sha256,
            )
            .where(ATTACHMENTS.c.suggestion_id == cid)
            .order_by(ATTACHMENTS.c.id)
        )
        if ATTACHMENTS.name in held
        else ()
    )
    for f in attached:
        files.setdefault(f.seq, []).append(AttachmentEntry(f.name, f.media_type, f.size, f.sha256))
    events = _Events(conn, cid, {seq: tuple(entries) for seq, entries in files.items()})

    def unit(uid: int) -> str:
        return directory.unit_name(conn, uid)

    # what was owed by when, from the case's deadlines (read with the case)
    owed: dict[tuple[str, str | None, int], tuple[date, bool | None]] = {}
    for d in case.deadlines:
        if d.kind in _OWED:
            owed[(_OWED[d.kind], d.unit, d.round)] = (d.due, d.late)

    promises: dict[int, list[PromiseEntry]] = {}
    for p in rows(PROMISES):
        promises.setdefault(p["answer_id"], []).append(PromiseEntry(p["text"], p["due"], p["status"]))

    answers = []
    for a in rows(ANSWERS):
        due, late = owed.get(("answer", unit(a["unit_id"]), a["round"]), (None, None))
        waived = tuple((w["unit"], w["reason"]) for w in json.loads(a["overrides"] or "[]"))
        answers.append(
            AnswerEntry(
                unit(a["unit_id"]),
                a["round"],
                a["category"],
                a["text"],
                a["at"],
                due,
                late,
                events.by(a["audit_ref"]),
                tuple(promises.get(a["id"], ())),
                waived,
                events.attached(a["audit_ref"]),
            )
        )
    opinions = []
    for o in rows(OPINIONS):
        due, late = owed.get(("opinion", unit(o["unit_id"]), o["round"]), (None, None))
        opinions.append(
            OpinionEntry(
                unit(o["unit_id"]),
                o["round"],
                o["text"],
                o["at"],
                due,
                late,
                events.by(o["audit_ref"]),
                events.attached(o["audit_ref"]),
            )
        )
    withdrawn = events.notes(Action.WITHDRAW.value)
    submitted = next((events.actor[r.seq] for r in events.rows if r.action == Action.SUBMIT.value), "")
    origin = _origin(conn, next((r.data for r in events.rows if r.action == Action.SUBMIT.value), "{}"))
    return Dossier(
        case=case,
        assignments=tuple(
            AssignmentEntry(
                unit(r["unit_id"]),
                r["role"],
                r["round"],
                r["since"],
                r["until"],
                r["received_at"],
            )
            for r in conn.execute(_assignments_query(), {"case_id": cid}).mappings()
        ),
        returns=tuple(
            ReturnEntry(
                unit(r["unit_id"]),
                r["reason"],
                r["at"],
                r["status"],
                r["decided_at"],
                r["decision_reason"],
            )
            for r in rows(RETURNS)
        ),
        opinions=tuple(opinions),
        contacts=tuple(
            ContactEntry(
                unit(r["unit_id"]),
                r["round"],
                r["method"],
                r["stage"],
                r["note"],
                r["at"],
                events.by(r["audit_ref"]),
            )
            for r in rows(CONTACTS)
        ),
        answers=tuple(answers),
        feedback=tuple(
            FeedbackEntry(
                directory.deputy_name(conn, r["deputy_id"]) if r["deputy_id"] is not None else None,
                r["round"],
                r["rating"],
                r["attitude"],
                r["result"],
                r["comment"],
                r["at"],
                events.by(r["audit_ref"]),
            )
            for r in rows(FEEDBACK)
        ),
        extensions=events.notes(Action.EXTEND.value),
        refusals=events.notes(Action.REFUSE_RETURN.value),
        rehandlings=events.notes(Action.REHANDLE.value),
        progress=events.notes(Action.PROGRESS.value),
        conversions=events.notes(Action.CONVERT.value),
        withdrawal=withdrawn[-1] if withdrawn else None,
        submitted_by=submitted,
        amendments=events.notes(Action.AMEND.value),
        origin=origin,
        extension_requests=tuple(
            ExtensionRequestEntry(
                unit(r["unit_id"]), r["reason"], r["at"], r["status"], r["decided_at"], r["decision_reason"]
            )
            for r in rows(EXTENSION_REQUESTS)
        ),
        reviews=_reviews(conn, cid, unit, viewer or Actor.office()) if ANSWER_REVIEWS.name in held else (),
    )


def _origin(conn: Connection, submit_data: str) -> OriginEntry | None:
    """The online submission the case was accepted from, as its submit event names it (None: not online)."""
    data = json.loads(submit_data)
    if data.get("origin") != "online":
        return None
    sid = int(data["submission"])
    proposed = conn.execute(
        select(SUBMISSIONS.c.submitted_at, SUBMISSION_EVENTS.c.actor)
        .join(SUBMISSION_EVENTS, SUBMISSION_EVENTS.c.submission_id == SUBMISSIONS.c.id)
        .where(SUBMISSIONS.c.id == sid, SUBMISSION_EVENTS.c.action == "propose")
    ).first()
    if proposed is None:  # a Submit command run by hand may name a submission that does not exist
        return None
    return OriginEntry(sid, proposed.submitted_at, str(proposed.actor))
