"""The ledger's 办理过程 sheet written out: one row per audit event, each a person's action as the command that
made it (rebuilt from the event and the rows holding its texts), the engine's own steps as recorded.

Read back by :mod:`workflow.ledger.history`, which replays the commands.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import Any

from rules import RuleSet
from rules.i18n import _
from workflow.actions import (
    AMENDABLE,
    Amend,
    Answer,
    ApproveAnswer,
    Assign,
    Close,
    Command,
    Contact,
    Convert,
    Extend,
    Feedback,
    Opinion,
    Progress,
    Promised,
    Reassign,
    Receive,
    RefuseExtension,
    RefuseReturn,
    Rehandle,
    RequestExtension,
    RequestReturn,
    ReturnAnswer,
    Submit,
    Withdraw,
)
from workflow.core.attachments import Attached
from workflow.core.audit import canonical, superseded
from workflow.core.states import Action, ActorKind
from workflow.ledger.corrections import actor_now, as_submitted, names_now
from workflow.ledger.history import CELL_LIMIT, encode
from workflow.store.ledger import HistorySnapshot
from workflow.store.sql import as_instant

__all__ = ["history_rows"]

_SYSTEM = ActorKind.SYSTEM.value


def history_rows(snap: HistorySnapshot, rs: RuleSet, numbers: Sequence[str]) -> list[list[Any]]:
    """The 办理过程 rows of the cases ``numbers`` (in that order): one per audit event, times in ``rs``'s zone."""
    by_number = {c["number"]: cid for cid, c in snap.cases.items()}
    unit_ids = {name: uid for uid, name in snap.units.items()}
    rows: list[list[Any]] = []
    for number in numbers:
        cid = by_number[number]
        case = snap.cases[cid]
        events = [
            (
                seq,
                at,
                actor_now(actor, snap.renamed),
                action,
                names_now(json.loads(text) if text else {}, snap.renamed),
            )
            for seq, at, actor, action, text in snap.events.get(cid, [])
        ]
        gone = superseded((seq, data) for seq, *_, data in events)
        original = as_submitted(events)
        for seq, at_value, recorded_actor, recorded_action, data in events:
            at = as_instant(at_value)
            assert at is not None
            # the engine's own steps are written for the reader, as recorded (and, when an action entered later
            # superseded one, by which event); they are not replayed
            # an answer the office approved after review (答复审核) follows from the approval again: it is
            # written as the engine's step, as recorded, and the unit's answer is the row of its submit_answer
            followed = recorded_action == Action.ANSWER.value and "sent_at" in data
            actor = _SYSTEM if followed else recorded_actor
            action = recorded_action
            content = (
                data | ({"superseded_by": gone[seq]} if seq in gone else {})
                if actor == _SYSTEM
                else encode(_command(action, data, case, snap, unit_ids, at, original))
            )
            if recorded_action == Action.SUBMIT_ANSWER.value:  # the command that made it: the unit's Answer
                action = Action.ANSWER.value
            text = canonical(content)
            cells = [text[i : i + CELL_LIMIT] for i in range(0, len(text), CELL_LIMIT)] or [""]
            # who keyed a person's action in, when the office did it for them, goes with the actor
            keyed = f" (录入 {data['entered_by']})" if actor != _SYSTEM and data.get("entered_by") else ""
            rows.append([number, seq, at.astimezone(rs.zone).isoformat(), actor + keyed, action, *cells])
    return rows


def _command(
    action: str,
    data: dict[str, Any],
    case: Mapping[str, Any],
    snap: HistorySnapshot,
    unit_ids: Mapping[str, int],
    at: datetime,
    original: Mapping[str, Any] | None = None,
) -> Command:
    """The command that made a person's audit event: its data, with the texts its rows hold (``original``: the
    case's own data as submitted, where an amendment changed it since)."""
    cid = int(case["id"])

    def text(into: Mapping[tuple[int, int, datetime | None], str], unit: str | None) -> str:
        return into.get((cid, unit_ids.get(unit or "", -1), at), "")

    match Action(action):
        case Action.SUBMIT:
            first = original or {}
            return Submit(
                data["title"],
                data["deputy"],
                tuple(data.get("co_signers", ())),
                first.get("content", case["content"]) or "",
                first.get("field", case["field"]),
                bool(first.get("between_sessions", case["between_sessions"])),
                bool(first.get("confidential", case["confidential"])),
            )
        case Action.ASSIGN:
            return Assign(
                data.get("main"),
                tuple(data.get("co", ())),
                tuple(data.get("split", ())),
                bool(data.get("key")),
                bool(data.get("complex")),
            )
        case Action.REASSIGN:
            return Reassign(
                data.get("main"),
                tuple(data.get("co", ())),
                tuple(data.get("split", ())),
                data.get("reason", ""),
            )
        case Action.RECEIVE:
            return Receive(data.get("unit"))
        case Action.RETURN:
            return RequestReturn(data.get("reason", ""), data.get("unit"))
        case Action.REFUSE_RETURN:  # one unit named: that unit's request; several: all that were pending
            units = data.get("units", [])
            return RefuseReturn(data.get("reason", ""), units[0] if len(units) == 1 else None)
        case Action.EXTEND:  # a pending request is approved with it, as it was
            return Extend(data.get("reason", ""))
        case Action.REQUEST_EXTENSION:
            return RequestExtension(data.get("reason", ""), data.get("unit"))
        case Action.REFUSE_EXTENSION:
            return RefuseExtension(data.get("reason", ""))
        case Action.OPINION:
            return Opinion(text(snap.opinions, data.get("unit")), data.get("unit"), _files(data))
        case Action.CONTACT:
            return Contact(
                data["method"], data.get("unit"), text(snap.contacts, data.get("unit")), data.get("stage")
            )
        case Action.ANSWER:
            promises = tuple(
                Promised(p["text"], date.fromisoformat(p["due"])) for p in data.get("promises", ())
            )
            return Answer(
                data["category"],
                text(snap.answers, data.get("unit")),
                data.get("unit"),
                promises,
                dict(data.get("without_opinion", {})),
                data.get("no_promises", ""),
                _files(data),
            )
        case Action.SUBMIT_ANSWER:  # an answer held for review: what the unit sent
            held = snap.reviews.get((cid, unit_ids.get(data.get("unit") or "", -1), at), {})
            return Answer(
                held.get("category", data.get("category", "")),
                held.get("text", ""),
                data.get("unit"),
                tuple(Promised(p["text"], date.fromisoformat(p["due"])) for p in held.get("promises", ())),
                dict(held.get("without_opinion", {})),
                held.get("no_promises", ""),
                _files(held),
            )
        case Action.APPROVE_ANSWER:
            return ApproveAnswer(data.get("unit"), data.get("note", ""))
        case Action.RETURN_ANSWER:
            return ReturnAnswer(data.get("reason", ""), data.get("unit"))
        case Action.FEEDBACK:
            attitude, result = snap.feedback.get((cid, at), (None, None))
            return Feedback(data["rating"], data.get("comment", ""), attitude, result)
        case Action.REHANDLE:
            return Rehandle(data.get("reason", ""))
        case Action.CLOSE:
            return Close(data.get("reason", ""))
        case Action.CONVERT:
            return Convert(data["to"], data.get("evidence", ""), _files(data))
        case Action.PROGRESS:
            return Progress(data.get("note", ""))
        case Action.WITHDRAW:
            return Withdraw(data.get("reason", ""))
        case Action.AMEND:
            changed = data.get("changed", {})
            new = {c: changed[c]["to"] for c in AMENDABLE if c in changed}
            if "field" in new and new["field"] is None:
                new["field"] = ""  # cleared
            return Amend(**new, reason=data.get("reason", ""))
        case _:  # lapse is the engine's own
            msg = _("case {number}: {action} by {data} is no person's action").format(
                number=case["number"], action=action, data=data
            )
            raise ValueError(msg)


def _files(data: Mapping[str, Any]) -> tuple[Attached, ...]:
    """The attachments an audit event names."""
    return tuple(
        Attached(a["name"], a["media_type"], int(a["size"]), a["sha256"]) for a in data.get("attachments", ())
    )
