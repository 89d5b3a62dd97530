"""The deputy's feedback (代表反馈), re-handling (重新办理) and every way a case ends: closing (办结), withdrawal
(撤回) and the feedback window lapsing (反馈期满未反馈). The three endings share :func:`end_case`."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, ClassVar

from rules import DeadlineKind, Rating
from rules.i18n import _
from workflow.actions.assignment import HANDLING_KINDS, lapse_extension_request, lapse_reviews
from workflow.actions.base import Command, handles, require_lead_deputy
from workflow.core.states import Action, DeadlineStatus, Role
from workflow.core.unit_of_work import UnitOfWork
from workflow.core.views import Actor

__all__ = ["Close", "Feedback", "Lapse", "Rehandle", "Withdraw", "end_case"]


@dataclass(frozen=True, slots=True)
class Feedback(Command):
    """The (lead) deputy's feedback on the answer; the rule set says what follows it."""

    action: ClassVar[Action] = Action.FEEDBACK
    rating: Rating | str
    comment: str = ""
    attitude: Rating | str | None = None
    result: Rating | str | None = None


@dataclass(frozen=True, slots=True)
class Rehandle(Command):
    """The office sends the case back for re-handling: round + 1, a new answer deadline."""

    action: ClassVar[Action] = Action.REHANDLE
    reason: str = ""


@dataclass(frozen=True, slots=True)
class Close(Command):
    """The office closes the case after the deputy's feedback."""

    action: ClassVar[Action] = Action.CLOSE
    reason: str = ""


@dataclass(frozen=True, slots=True)
class Withdraw(Command):
    """The deputy (or the office for them) withdraws the suggestion; handling stops."""

    action: ClassVar[Action] = Action.WITHDRAW
    reason: str


@dataclass(frozen=True, slots=True)
class Lapse(Command):
    """The feedback window ``deadline_id`` ended without feedback: the case closes (the reminder sweep)."""

    action: ClassVar[Action] = Action.LAPSE
    deadline_id: int
    due: date
    due_at: datetime
    skipped: tuple[str, ...] = ()


def end_case(
    uow: UnitOfWork,
    action: Action,
    cancel: Sequence[DeadlineKind],
    data: dict[str, Any],
    actor: Actor | None = None,
) -> None:
    """End the case by ``action``: the open deadlines of ``cancel`` are cancelled and the case is closed."""
    uow.settle_deadlines(cancel, DeadlineStatus.CANCELLED)
    uow.set(closed_at=uow.at)
    uow.step(action, data=data, actor=actor)


def _rating(uow: UnitOfWork, value: Rating | str | None, what: str) -> Rating | None:
    if value is None:
        return None
    try:
        return Rating(value)
    except ValueError:
        raise uow.invalid(
            _("{what} {value!r} unknown: use satisfied, basic or unsatisfied").format(what=what, value=value)
        ) from None


@handles(Feedback)
def feedback(uow: UnitOfWork, cmd: Feedback) -> None:
    """Record the feedback; by default satisfied/basic closes the case and unsatisfied re-handles it."""
    uow.require_allowed(Action.FEEDBACK)
    require_lead_deputy(uow, Action.FEEDBACK)
    rs = uow.ruleset
    given = _rating(uow, cmd.rating, "rating")
    assert given is not None
    comment = cmd.comment.strip()
    if given is Rating.UNSATISFIED and rs.lifecycle.unsatisfied_needs_comment and not comment:
        raise uow.invalid(_("unsatisfied feedback must say what is wrong"), fields=("comment",))
    attitude, result = _rating(uow, cmd.attitude, "attitude"), _rating(uow, cmd.result, "result")
    uow.add(
        "feedback",
        {
            "suggestion_id": uow.case_id,
            "deputy_id": uow.row["lead_deputy_id"],
            "round": uow.round,
            "rating": given.value,
            "attitude": attitude and attitude.value,
            "result": result and result.value,
            "comment": comment,
            "at": uow.at,
        },
    )
    uow.settle_deadlines([DeadlineKind.FEEDBACK], DeadlineStatus.MET)
    uow.step(Action.FEEDBACK, data={"rating": given.value, "comment": comment})
    if given in rs.lifecycle.auto_close_on:
        _close(uow, "feedback: " + given.value, Actor.system())
    elif given in rs.lifecycle.auto_rehandle_on:
        _rehandle(uow, "feedback: " + given.value, Actor.system())


def _close(uow: UnitOfWork, reason: str, actor: Actor | None = None) -> None:
    end_case(uow, Action.CLOSE, (*HANDLING_KINDS, DeadlineKind.FEEDBACK), {"reason": reason}, actor)


def _rehandle(uow: UnitOfWork, reason: str, actor: Actor | None = None) -> None:
    uow.settle_deadlines([DeadlineKind.FEEDBACK], DeadlineStatus.CANCELLED)
    uow.next_round()
    uow.step(Action.REHANDLE, data={"reason": reason, "round": uow.round}, actor=actor)
    for a in uow.assignments():
        if a.role in (Role.MAIN, Role.SPLIT):
            due = uow.open_deadline(DeadlineKind.RE_ANSWER, a.unit_id)
            uow.notify(
                "rehandle",
                "unit",
                a.unit_id,
                {
                    "unit": uow.store.unit_name(a.unit_id),
                    "round": uow.round,
                    "reason": reason,
                    "answer_due": due["due"].isoformat() if due else None,
                },
            )
    if uow.round >= 3:  # unsatisfied twice: the office escalates (专家评估, 会议研究, 专题询问)
        uow.notify("unsatisfied_again", "office", None, {"round": uow.round, "reason": reason})


@handles(Rehandle)
def rehandle(uow: UnitOfWork, cmd: Rehandle) -> None:
    """Re-handle on the office's word."""
    uow.require_allowed(Action.REHANDLE)
    uow.require_office(Action.REHANDLE)
    _rehandle(uow, cmd.reason.strip())


@handles(Close)
def close(uow: UnitOfWork, cmd: Close) -> None:
    """Close on the office's word."""
    uow.require_allowed(Action.CLOSE)
    uow.require_office(Action.CLOSE)
    _close(uow, cmd.reason.strip())


@handles(Withdraw)
def withdraw(uow: UnitOfWork, cmd: Withdraw) -> None:
    """End handling at the deputy's written request; every open deadline is cancelled, the units are told."""
    uow.require_allowed(Action.WITHDRAW)
    require_lead_deputy(uow, Action.WITHDRAW)
    reason = cmd.reason.strip()
    if not reason:
        raise uow.invalid(_("a withdrawal needs its reason, as the deputy wrote it"), fields=("reason",))
    units = uow.assignments()
    lapse_extension_request(uow)
    lapse_reviews(uow)
    end_case(uow, Action.WITHDRAW, list(DeadlineKind), {"reason": reason})
    for a in units:
        uow.notify("withdrawn", "unit", a.unit_id, {"unit": uow.store.unit_name(a.unit_id), "reason": reason})


@handles(Lapse)
def lapse(uow: UnitOfWork, cmd: Lapse) -> None:
    """Close an answered case whose feedback window ended without feedback (it stays out of satisfaction)."""
    uow.update("deadlines", {"id": cmd.deadline_id}, status=DeadlineStatus.MISSED.value, next_step_at=None)
    data = {
        "feedback_due": cmd.due.isoformat(),
        "window_closed_at": cmd.due_at.isoformat(),
        "skipped": list(cmd.skipped),
    }
    kept = (DeadlineKind.FEEDBACK, DeadlineKind.PROMISE)
    end_case(uow, Action.LAPSE, [k for k in DeadlineKind if k not in kept], data)
