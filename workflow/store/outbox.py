"""The outbox as the notifications package sees it: claim with a lease, settle, list, retry.

Claims are atomic: on SQLite one ``UPDATE … WHERE id IN (…)`` under the write lock, on PostgreSQL
``FOR UPDATE SKIP LOCKED``, so two dispatchers never hold the same row. A claimed row whose lease ran out (its
dispatcher died) can be claimed again: delivery is at least once, and a channel keyed on the row's
idempotency key (the e-mail Message-ID, the webhook's key header) lets the receiver drop a repeat.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any, Protocol

from rules.i18n import _
from workflow.core.clock import ensure_utc
from workflow.core.errors import NotFound, ValidationError, WorkflowError
from workflow.core.unit_of_work import outbox_row
from workflow.store.database import Database
from workflow.store.sql import Raw, as_instant

__all__ = [
    "STATUSES",
    "AnswerBrief",
    "LeaseLost",
    "Notice",
    "Recipient",
    "claim",
    "defer",
    "fold",
    "get",
    "latest_answers",
    "listing",
    "retry",
    "settle",
    "suppress_pending",
]


class HasDatabase(Protocol):
    """What the outbox functions need of an engine: its database and the congress it works on."""

    @property
    def db(self) -> Database:
        """The engine's database."""
        ...  # pragma: no cover

    @property
    def congress_id(self) -> int:
        """The congress whose notices it handles."""
        ...  # pragma: no cover

    def require_office(self, what: str) -> None:
        """Refuse ``what`` unless the engine acts for the office."""
        ...  # pragma: no cover


STATUSES = ("pending", "sending", "sent", "failed", "dead", "suppressed", "digested")
_COLUMNS = (
    "o.id, o.key, o.suggestion_id, o.topic, o.recipient_kind, o.recipient_id, o.channel, o.payload, o.status, "
    "o.reason, o.attempts, o.created_at, o.available_at, o.sent_at, s.state"
)
_NAMED = _COLUMNS + ", COALESCE(u.name, dp.name)"  # with the recipient's name (listings join both)
# a notice belongs to the congress of its case, or else of its recipient (a digest to a unit, a letter to a
# deputy): several congresses may share one database, each its own office and dispatcher
_OF_CONGRESS = (
    "FROM outbox o LEFT JOIN suggestions s ON s.id = o.suggestion_id LEFT JOIN sessions se ON se.id = s.session_id "
    "LEFT JOIN units u ON o.recipient_kind = 'unit' AND u.id = o.recipient_id "
    "LEFT JOIN deputies dp ON o.recipient_kind = 'deputy' AND dp.id = o.recipient_id "
    "WHERE COALESCE(se.congress_id, u.congress_id, dp.congress_id) = :congress"
)


@dataclass(frozen=True, slots=True)
class Notice:
    """One outbox row."""

    id: int
    key: str
    case_id: int | None
    topic: str
    recipient_kind: str
    recipient_id: int | None
    channel: str | None
    payload: dict[str, Any]
    status: str
    reason: str | None
    attempts: int
    created_at: datetime
    available_at: datetime
    sent_at: datetime | None
    case_state: str | None
    # filled in by :func:`claim`, for delivery: the recipient's contacts (None: the office, or gone) and,
    # for a ladder step whose deadline was settled since, why it is no longer needed
    recipient: Recipient | None = None
    stale: str | None = None
    # filled in by :func:`listing` and :func:`get`: the unit's or deputy's name (None: the office, or gone)
    recipient_name: str | None = None

    @property
    def addressee(self) -> str:
        """Whom the notice is for, by name: a unit's or deputy's name, ``代表工作机构`` for the office, or the
        row's reference when the recipient no longer exists."""
        if self.recipient_kind == "office":
            return "代表工作机构"
        name = self.recipient_name or (self.recipient.name if self.recipient else None)
        return name or f"{self.recipient_kind}:{self.recipient_id or ''}".rstrip(":")

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return {
            "id": self.id,
            "key": self.key,
            "topic": self.topic,
            "recipient": f"{self.recipient_kind}:{self.recipient_id or ''}".rstrip(":"),
            "recipient_name": self.addressee,
            "channel": self.channel,
            "status": self.status,
            "reason": self.reason,
            "attempts": self.attempts,
            "created_at": self.created_at.isoformat(),
            "available_at": self.available_at.isoformat(),
            "sent_at": self.sent_at.isoformat() if self.sent_at else None,
            "payload": self.payload,
        }


@dataclass(frozen=True, slots=True)
class Recipient:
    """Where a notice goes: a unit or deputy with its contacts, or the office."""

    kind: str
    name: str
    email: str | None = None
    phone: str | None = None
    webhook: str | None = None


class LeaseLost(WorkflowError):
    """A claimed notice was taken over by another dispatcher meanwhile; nothing was written."""


def _notice(row: tuple[Any, ...]) -> Notice:
    return Notice(
        recipient_name=row[15] if len(row) > 15 else None,
        id=row[0],
        key=row[1],
        case_id=row[2],
        topic=row[3],
        recipient_kind=row[4],
        recipient_id=row[5],
        channel=row[6],
        payload=json.loads(row[7]),
        status=row[8],
        reason=row[9],
        attempts=row[10],
        created_at=as_instant(row[11]) or datetime.min,
        available_at=as_instant(row[12]) or datetime.min,
        sent_at=as_instant(row[13]),
        case_state=row[14],
    )


def claim(
    engine: HasDatabase,
    *,
    owner: str,
    now: datetime,
    limit: int = 100,
    lease: timedelta = timedelta(minutes=5),
) -> list[Notice]:
    """Claim up to ``limit`` deliverable rows for ``owner`` until ``now + lease``; attempts + 1."""
    now = ensure_utc(now, what="now")
    ready = (
        "(o.status IN ('pending', 'failed') AND o.available_at <= :now) "
        "OR (o.status = 'sending' AND o.lease_until < :now)"
    )
    with engine.db.transaction() as conn:
        raw = Raw(conn)
        lock = " FOR UPDATE OF o SKIP LOCKED" if raw.postgres else ""
        ids = raw.column(
            f"SELECT o.id {_OF_CONGRESS} AND ({ready}) ORDER BY o.available_at, o.id LIMIT :limit{lock}",
            {"now": now, "limit": limit, "congress": engine.congress_id},
        )
        if not ids:
            return []
        marks, params = Raw.in_list("i", ids)
        raw.run(
            f"UPDATE outbox SET status = 'sending', lease_owner = :owner, lease_until = :until, "
            f"attempts = attempts + 1 WHERE id IN {marks}",
            {**params, "owner": owner, "until": now + lease},
        )
        rows = raw.all(
            f"SELECT {_COLUMNS} FROM outbox o LEFT JOIN suggestions s ON s.id = o.suggestion_id "
            f"WHERE o.id IN {marks} ORDER BY o.id",
            params,
        )
        return _for_delivery(raw, [_notice(r) for r in rows])


def _for_delivery(raw: Raw, notices: list[Notice]) -> list[Notice]:
    """The notices with their recipients' contacts and their deadlines' state: three queries a claim."""
    contacts: dict[tuple[str, int], Recipient] = {}
    for kind, table, hook in (("unit", "units", "webhook"), ("deputy", "deputies", "NULL")):
        ids = {n.recipient_id for n in notices if n.recipient_kind == kind and n.recipient_id is not None}
        if ids:
            marks, params = Raw.in_list("r", sorted(ids))
            for rid, name, email, phone, webhook in raw.all(
                f"SELECT id, name, email, phone, {hook} FROM {table} WHERE id IN {marks}", params
            ):
                contacts[(kind, rid)] = Recipient(kind, name, email or None, phone or None, webhook or None)
    steps = {int(n.payload["deadline_id"]) for n in notices if n.payload.get("deadline_id") is not None}
    deadlines: dict[int, tuple[str, str]] = {}
    if steps:
        marks, params = Raw.in_list("d", sorted(steps))
        deadlines = {
            r[0]: (r[1], r[2])
            for r in raw.all(f"SELECT id, status, kind FROM deadlines WHERE id IN {marks}", params)
        }
    out = []
    for n in notices:
        stale = None
        if n.payload.get("deadline_id") is not None:
            status, kind = deadlines.get(
                int(n.payload["deadline_id"]), ("removed", str(n.payload.get("kind", "?")))
            )
            if status != "open":
                state = f", case {n.case_state}" if n.case_state else ""
                stale = f"the {kind} deadline was {status} meanwhile{state}: nothing to remind of"
        who = contacts.get((n.recipient_kind, n.recipient_id)) if n.recipient_id is not None else None
        out.append(replace(n, recipient=who, stale=stale))
    return out


def settle(
    engine: HasDatabase,
    notice: Notice,
    *,
    owner: str,
    status: str,
    now: datetime,
    reason: str | None = None,
    channel: str | None = None,
    retry_at: datetime | None = None,
) -> bool:
    """Record how a claimed notice ended (sent, failed with a retry time, dead, suppressed).

    Returns False when the lease was lost meanwhile (another dispatcher took the row over); nothing changes then.
    """
    if status not in STATUSES or status in ("pending", "sending", "digested"):
        msg = f"a claimed notice ends sent, failed, dead or suppressed, not {status!r}"
        raise ValidationError(msg)
    with engine.db.transaction() as conn:
        touched = Raw(conn).run(
            "UPDATE outbox SET status = :status, reason = :reason, channel = COALESCE(:channel, channel), "
            "sent_at = :sent_at, available_at = COALESCE(:retry_at, available_at), lease_owner = NULL, "
            "lease_until = NULL WHERE id = :id AND lease_owner = :owner AND status = 'sending'",
            {
                "status": status,
                "reason": reason,
                "channel": channel,
                "sent_at": now if status == "sent" else None,
                "retry_at": retry_at,
                "id": notice.id,
                "owner": owner,
            },
        )
    return touched == 1


def defer(engine: HasDatabase, notice: Notice, *, owner: str, until: datetime, reason: str) -> bool:
    """Give a claimed notice back, pending until ``until`` (quiet hours, the next digest), its try not counted.

    Returns False when the lease was lost meanwhile.
    """
    with engine.db.transaction() as conn:
        touched = Raw(conn).run(
            "UPDATE outbox SET status = 'pending', available_at = :until, reason = :reason, "
            "attempts = attempts - 1, lease_owner = NULL, lease_until = NULL "
            "WHERE id = :id AND lease_owner = :owner AND status = 'sending'",
            {"until": until, "reason": reason, "id": notice.id, "owner": owner},
        )
    return touched == 1


def fold(
    engine: HasDatabase,
    notices: list[Notice],
    *,
    owner: str,
    key: str,
    payload: dict[str, Any],
    now: datetime,
) -> int | None:
    """Fold claimed notices of one recipient into one new notice (a daily digest) keyed ``key``, in one
    transaction: the digest is written pending and each folded notice ends ``digested``, naming it.

    Returns the digest's id, or None when a notice with ``key`` exists already (today's digest went out);
    raises :class:`LeaseLost` when another dispatcher took a notice over. Nothing is written in either case.
    """
    first = notices[0]
    with engine.db.transaction() as conn:
        raw = Raw(conn)
        if raw.column("SELECT id FROM outbox WHERE key = :key", {"key": key}):
            return None
        row = outbox_row(key, None, "daily_digest", first.recipient_kind, first.recipient_id, payload, now)
        digest = raw.insert("outbox", row)
        marks, params = Raw.in_list("i", [n.id for n in notices])
        touched = raw.run(
            f"UPDATE outbox SET status = 'digested', reason = :reason, sent_at = :now, lease_owner = NULL, "
            f"lease_until = NULL WHERE id IN {marks} AND lease_owner = :owner AND status = 'sending'",
            {**params, "reason": f"in digest {key} (outbox {digest})", "now": now, "owner": owner},
        )
        if touched != len(notices):  # a lease ran out meanwhile: leave everything to the next pass
            raise LeaseLost(f"a folded notice's lease ran out; {key} was not written")
    return digest


def listing(engine: HasDatabase, *, status: str | None = None, limit: int = 100) -> list[Notice]:
    """Outbox rows, newest first, optionally of one status."""
    engine.require_office("outbox list")
    if status is not None and status not in STATUSES:
        msg = _("outbox status {status!r} unknown: use {names}").format(
            status=status, names=", ".join(STATUSES)
        )
        raise ValidationError(msg)
    where = " AND o.status = :status" if status else ""
    with engine.db.reading() as conn:
        rows = Raw(conn).all(
            f"SELECT {_NAMED} {_OF_CONGRESS}{where} ORDER BY o.id DESC LIMIT :limit",
            {"status": status, "limit": limit, "congress": engine.congress_id},
        )
    return [_notice(r) for r in rows]


def get(engine: HasDatabase, notice_id: int) -> Notice:
    """One outbox row."""
    engine.require_office("outbox get")
    with engine.db.reading() as conn:
        rows = Raw(conn).all(
            f"SELECT {_NAMED} {_OF_CONGRESS} AND o.id = :id",
            {"id": notice_id, "congress": engine.congress_id},
        )
    if not rows:
        raise NotFound(
            kind="outbox notice", name=str(notice_id), hint=_("list them with `jianyi outbox list`")
        )
    return _notice(rows[0])


def retry(engine: HasDatabase, notice_id: int, *, now: datetime) -> Notice:
    """Put a dead, failed or suppressed notice back in the queue, due now, with its attempts reset."""
    engine.require_office("outbox retry")
    get(engine, notice_id)  # names a missing notice
    with (
        engine.db.transaction() as conn
    ):  # checked and changed in one statement: a dispatcher may claim it meanwhile
        changed = Raw(conn).run(
            "UPDATE outbox SET status = 'pending', attempts = 0, available_at = :now, reason = NULL "
            "WHERE id = :id AND status IN ('dead', 'failed', 'suppressed')",
            {"now": now, "id": notice_id},
        )
    current = get(engine, notice_id)
    if not changed:
        msg = _(
            "outbox notice {notice_id} is {status}: only dead, failed or suppressed notices are retried"
        ).format(notice_id=notice_id, status=current.status)
        raise ValidationError(msg)
    return current


@dataclass(frozen=True, slots=True)
class AnswerBrief:
    """What a deputy is asked to judge: the latest answer to a case, by whom, in which class."""

    unit: str
    category: str
    text: str


def latest_answers(engine: HasDatabase, case_ids: list[int]) -> dict[int, AnswerBrief]:
    """The latest answer of each case in ``case_ids`` that has one (for the feedback request's summary)."""
    if not case_ids:
        return {}
    marks, params = Raw.in_list("c", sorted(set(case_ids)))
    with engine.db.reading() as conn:
        rows = Raw(conn).all(
            "SELECT a.suggestion_id, u.name, a.category, a.text FROM answers a "
            f"LEFT JOIN units u ON u.id = a.unit_id WHERE a.suggestion_id IN {marks} ORDER BY a.id",
            params,
        )
    return {case: AnswerBrief(unit or "", category or "", text or "") for case, unit, category, text in rows}


def suppress_pending(engine: HasDatabase, *, reason: str) -> int:
    """Suppress every pending notice of the congress with ``reason`` (they stay listed, and `outbox retry` can
    queue one again); how many. For a database whose notices describe a past that was never announced (the
    demo's)."""
    engine.require_office("outbox suppress")
    with engine.db.transaction() as conn:
        raw = Raw(conn)
        ids = raw.column(
            f"SELECT o.id {_OF_CONGRESS} AND o.status = 'pending'", {"congress": engine.congress_id}
        )
        if not ids:
            return 0
        marks, params = Raw.in_list("i", ids)
        raw.run(
            f"UPDATE outbox SET status = 'suppressed', reason = :reason, sent_at = NULL WHERE id IN {marks}",
            {**params, "reason": reason},
        )
    return len(ids)
