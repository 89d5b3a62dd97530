"""The audit trail: append-only, hash-chained per case.

Each event's hash covers the previous hash and every stored field, so editing, reordering or deleting a
row breaks the chain; the case row keeps the last sequence number and hash, so a deleted tail shows too.
The first event of each step also stores the record of the rows the step wrote (``written``, see
:mod:`workflow.core.records`), which its hash covers; events written before such records existed have none
(NULL), and their hashes are computed as they always were.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from json.encoder import c_make_encoder, encode_basestring  # type: ignore[attr-defined]
from typing import Any

from rules.i18n import _
from workflow.core.states import state_word

__all__ = [
    "GENESIS",
    "AuditProblem",
    "Event",
    "audit_row",
    "canonical",
    "chain_hash",
    "chained",
    "instant_text",
    "superseded",
    "verify_chain",
]

GENESIS = "0" * 64


# one encoder for every canonical text (``json.dumps`` with options builds a new one at every call)
_CANONICAL = json.JSONEncoder(ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=str)
# the C encoder ``_CANONICAL.encode`` builds at every call, built once (a step encodes two texts or so, each a
# few microseconds): the same options, without the check for circular data, which an event's never is
_ENCODE = (
    None
    if c_make_encoder is None
    else c_make_encoder(None, str, encode_basestring, None, ":", ",", True, False, True)
)


def superseded(events: Iterable[tuple[int, Mapping[str, Any]]]) -> dict[int, int]:
    """Of a case's events as (seq, data): which are superseded, and by which (event number → the number of
    the event whose data lists it under ``supersedes``: an action entered after the fact, ``workflow.backfill``)."""
    return {int(old): seq for seq, data in events for old in data.get("supersedes", ())}


def canonical(data: Any) -> str:
    """The canonical JSON text of ``data`` (what is stored and hashed)."""
    if _ENCODE is None or isinstance(data, str):  # pragma: no cover - CPython has the C encoder
        return _CANONICAL.encode(data)
    return "".join(_ENCODE(data, 0))


@lru_cache(maxsize=1024)
def instant_text(value: datetime) -> str:
    """How an instant enters a hash: ISO 8601 with microseconds (aware values keep their offset)."""
    return value.isoformat(timespec="microseconds")


def chain_hash(
    prev: str,
    case_id: int,
    seq: int,
    at: datetime | str,
    recorded_at: datetime | str,
    actor: str,
    action: str,
    from_state: str | None,
    to_state: str,
    round_: int,
    data: str,
    written: str | None = None,
) -> str:
    """The hash of one audit event, chained to ``prev`` (instants may come as :func:`instant_text` already);
    ``written``, the record of the rows its step wrote, enters the hash when there is one. The steps call it by
    position (a call by keyword costs a step several times as much); readers may name the arguments."""
    parts = (
        prev,
        str(case_id),
        str(seq),
        at if isinstance(at, str) else instant_text(at),
        recorded_at if isinstance(recorded_at, str) else instant_text(recorded_at),
        actor,
        action,
        from_state or "",
        to_state,
        str(round_),
        data,
    )
    text = "\x1f".join(parts) if written is None else "\x1f".join((*parts, written))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def audit_row(
    *,
    prev: str,
    case_id: int,
    seq: int,
    at: datetime | str,
    recorded_at: datetime | str,
    actor: str,
    action: str,
    from_state: str | None,
    to_state: str,
    round_: int,
    data: str,
    written: str | None,
    stored: tuple[Any, Any] | None = None,
) -> dict[str, Any]:
    """One audit row, hashed and chained to ``prev`` (``written``: the record of the rows its step wrote, on the
    step's first event; ``""`` on its other events). :func:`chained` makes a step's rows the same way.

    ``stored``: the (at, recorded_at) values to store when the caller has them in the database's own form
    already (a bulk pass), while ``at`` and ``recorded_at`` may then be their :func:`instant_text`.
    """
    digest = chain_hash(
        prev, case_id, seq, at, recorded_at, actor, action, from_state, to_state, round_, data, written
    )
    when, recorded = stored or (at, recorded_at)
    return _row(
        prev, digest, case_id, seq, when, recorded, actor, action, from_state, to_state, round_, data, written
    )


# one event of a step, as :func:`chained` takes it: case id, seq, at, recorded at, actor, action, from state, to
# state, round, data (canonical JSON)
Event = tuple[int, int, datetime, datetime, str, str, str | None, str, int, str]


def chained(prev: str, written: str, events: Iterable[Event]) -> list[dict[str, Any]]:
    """The audit rows of one step's ``events``, in order: each hashed and chained to the one before it, the first
    to ``prev`` and carrying ``written`` (the record of the rows the step wrote), the others ``""``: the rows
    :func:`audit_row` makes of them one by one, made in one pass."""
    rows = []
    for case_id, seq, at, recorded_at, actor, action, from_state, to_state, round_, data in events:
        digest = chain_hash(
            prev, case_id, seq, at, recorded_at, actor, action, from_state, to_state, round_, data, written
        )
        rows.append(
            _row(
                prev,
                digest,
                case_id,
                seq,
                at,
                recorded_at,
                actor,
                action,
                from_state,
                to_state,
                round_,
                data,
                written,
            )
        )
        prev, written = digest, ""
    return rows


def _row(
    prev: str,
    digest: str,
    case_id: int,
    seq: int,
    at: Any,
    recorded_at: Any,
    actor: str,
    action: str,
    from_state: str | None,
    to_state: str,
    round_: int,
    data: str,
    written: str | None,
) -> dict[str, Any]:
    """The only place an audit row's columns are spelled out."""
    return {
        "suggestion_id": case_id,
        "seq": seq,
        "at": at,
        "recorded_at": recorded_at,
        "actor": actor,
        "action": action,
        "from_state": from_state,
        "to_state": to_state,
        "round": round_,
        "data": data,
        "written": written,
        "prev_hash": prev,
        "hash": digest,
    }


@dataclass(frozen=True, slots=True)
class AuditProblem:
    """A broken link in a case's audit chain, or a row that differs from what its events recorded (``table``
    and ``row``: the row's table and id, or its ``audit_ref`` when it is gone); without a case (``number``
    empty), a problem of the check itself (an anchor that is not authentic)."""

    session: str
    number: str
    seq: int | None
    problem: str
    table: str | None = None
    row: str | None = None

    def __str__(self) -> str:
        if not self.number:
            return self.problem
        event = _("event #{seq}").format(seq=self.seq) if self.seq is not None else ""
        if self.table is not None:
            where = _("{table} row {row}").format(table=self.table, row=self.row) + (
                f", {event}" if event else ""
            )
        else:
            where = event or _("chain")
        return f"建议 {self.session}/{self.number}: {where}: {self.problem}"


def verify_chain(session: str, case: Any, events: list[Any]) -> list[AuditProblem]:
    """The problems of one case's audit chain (``case``: its row; ``events``: its audit rows, in order)."""
    found: list[AuditProblem] = []
    if not events:
        found.append(
            AuditProblem(session, case.number, None, _("no event: every case is registered by its first"))
        )
        return found
    prev = GENESIS
    expected_seq = 1
    for ev in events:
        if ev.seq != expected_seq:
            missing = f"#{expected_seq}" if ev.seq == expected_seq + 1 else f"#{expected_seq}–#{ev.seq - 1}"
            found.append(
                AuditProblem(
                    session,
                    case.number,
                    expected_seq,
                    _("missing ({missing} absent before #{seq})").format(missing=missing, seq=ev.seq),
                )
            )
        if ev.prev_hash != prev:
            found.append(
                AuditProblem(session, case.number, ev.seq, _("does not link to the event before it"))
            )
        digest = chain_hash(
            prev=ev.prev_hash,
            case_id=case.id,
            seq=ev.seq,
            at=ev.at,
            recorded_at=ev.recorded_at,
            actor=ev.actor,
            action=ev.action,
            from_state=ev.from_state,
            to_state=ev.to_state,
            round_=ev.round,
            data=ev.data,
            written=ev.written,
        )
        if digest != ev.hash:
            found.append(
                AuditProblem(session, case.number, ev.seq, _("altered (its hash does not match its content)"))
            )
        prev = ev.hash
        expected_seq = ev.seq + 1
    if case.audit_seq != expected_seq - 1:
        found.append(
            AuditProblem(
                session,
                case.number,
                expected_seq,
                _("missing: the case records {recorded} event(s), {found} found").format(
                    recorded=case.audit_seq, found=expected_seq - 1
                ),
            )
        )
    elif case.audit_head != prev:
        found.append(
            AuditProblem(session, case.number, None, _("the last event does not match the case's head hash"))
        )
    if events and events[-1].to_state != case.state:
        found.append(
            AuditProblem(
                session,
                case.number,
                events[-1].seq,
                _("the case is '{state}' but its last event leads to '{to}'").format(
                    state=state_word(case.state), to=state_word(events[-1].to_state)
                ),
            )
        )
    return found
