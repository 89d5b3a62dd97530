"""Answer review (答复审核, rule set ``lifecycle.answer_review``): the office approves a unit's held answer, which
then takes effect as an answer does without review, or returns it with a reason and the unit answers again."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime
from typing import ClassVar

from rules.i18n import _
from workflow.actions.base import Command, handles
from workflow.actions.handling import Answer, Promised, check_answer, held_answers, record_answer
from workflow.core.attachments import Attached
from workflow.core.states import Action, ReviewStatus
from workflow.core.unit_of_work import UnitOfWork
from workflow.core.views import Actor

__all__ = ["ApproveAnswer", "ReturnAnswer"]


@dataclass(frozen=True, slots=True)
class ApproveAnswer(Command):
    """The office approves the answer waiting for its review (of ``unit``, needed when several wait): it
    reaches the deputy as an unreviewed answer does."""

    action: ClassVar[Action] = Action.APPROVE_ANSWER
    unit: str | None = None
    note: str = ""


@dataclass(frozen=True, slots=True)
class ReturnAnswer(Command):
    """The office returns the answer waiting for its review, with its reason; the unit answers again."""

    action: ClassVar[Action] = Action.RETURN_ANSWER
    reason: str
    unit: str | None = None


def _pending(uow: UnitOfWork, action: Action, unit: str | None) -> tuple[int, str, datetime]:
    """The one review ``action`` decides (unit id, payload, sent at): of ``unit``, or the only one waiting."""
    uow.require_allowed(action)
    uow.require_office(action)
    uid = uow.store.unit_id(unit) if unit is not None else None
    pending = held_answers(uow, uid)
    if not pending:
        raise uow.refuse(action, _("no answer is waiting for the office's review"))
    if len(pending) > 1:
        names = _(", ").join(uow.store.unit_name(p[0]) for p in pending)
        raise uow.invalid(
            _("answers of {names} wait for review: name the unit").format(names=names), fields=("unit",)
        )
    return pending[0]


@handles(ApproveAnswer)
def approve_answer(uow: UnitOfWork, cmd: ApproveAnswer) -> None:
    """Approve the held answer: the review is marked approved, then the answer is recorded as the unit sent it
    (its event by the unit, its deadline met on the day the unit sent it) and takes effect."""
    action = Action.APPROVE_ANSWER
    uid, payload, sent_at = _pending(uow, action, cmd.unit)
    held = json.loads(payload)
    name = uow.store.unit_name(uid)
    answer = Answer(
        held["category"],
        held["text"],
        name,
        tuple(Promised(p["text"], date.fromisoformat(p["due"])) for p in held.get("promises", ())),
        dict(held.get("without_opinion", {})),
        held.get("no_promises", ""),
        tuple(Attached(**f) for f in held.get("attachments", ())),
    )
    ok = check_answer(uow, answer, answered_on=sent_at.astimezone(uow.ruleset.zone).date(), reviewed=True)
    note = cmd.note.strip()
    uow.update(
        "answer_reviews",
        {"suggestion_id": uow.case_id, "unit_id": uid, "status": ReviewStatus.PENDING.value},
        status=ReviewStatus.APPROVED.value,
        decided_at=uow.at,
        decision_reason=note or None,
    )
    uow.step(action, data={"unit": name, "sent_at": sent_at.isoformat()} | ({"note": note} if note else {}))
    record_answer(uow, answer, ok, sent_at=sent_at, actor=Actor.unit(name))


@handles(ReturnAnswer)
def return_answer(uow: UnitOfWork, cmd: ReturnAnswer) -> None:
    """Return the held answer with the reason; the unit is told and answers again within its deadline."""
    action = Action.RETURN_ANSWER
    uid, _payload, _sent = _pending(uow, action, cmd.unit)
    reason = cmd.reason.strip()
    if not reason:
        raise uow.invalid(_("returning an answer needs the reason the unit is to read"), fields=("reason",))
    uow.update(
        "answer_reviews",
        {"suggestion_id": uow.case_id, "unit_id": uid, "status": ReviewStatus.PENDING.value},
        status=ReviewStatus.RETURNED.value,
        decided_at=uow.at,
        decision_reason=reason,
    )
    name = uow.store.unit_name(uid)
    uow.step(action, data={"unit": name, "reason": reason})
    uow.notify("answer_returned", "unit", uid, {"unit": name, "reason": reason})
