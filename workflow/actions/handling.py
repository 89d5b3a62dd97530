"""Handling: co-unit opinions (会办意见), contacts with the deputy (联系沟通), the answer (答复)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import ClassVar

from rules import DeadlineKind
from rules.i18n import _
from workflow.actions.assignment import lapse_extension_request
from workflow.actions.base import Command, acting_unit, attach, handles
from workflow.core.attachments import Attached
from workflow.core.audit import canonical
from workflow.core.clock import LATEST
from workflow.core.machine import CaseView
from workflow.core.states import (
    FACE_TO_FACE,
    Action,
    ActorKind,
    ContactMethod,
    ContactStage,
    DeadlineStatus,
    Role,
    State,
)
from workflow.core.unit_of_work import UnitOfWork

__all__ = ["Answer", "Contact", "Opinion", "Promised"]


@dataclass(frozen=True, slots=True)
class Promised:
    """A promised item of a B answer: what, and by when."""

    text: str
    due: date


@dataclass(frozen=True, slots=True)
class Opinion(Command):
    """A co-unit sends its opinion to the main unit; the last one moves the case to co_handled."""

    action: ClassVar[Action] = Action.OPINION
    text: str
    unit: str | None = None
    attachments: tuple[Attached, ...] = ()  # checked, their bytes stored (Engine.opinion)


@dataclass(frozen=True, slots=True)
class Contact(Command):
    """A contact between a unit and the deputy; ``stage`` defaults from the case."""

    action: ClassVar[Action] = Action.CONTACT
    method: ContactMethod | str
    unit: str | None = None
    note: str = ""
    stage: ContactStage | str | None = None


@dataclass(frozen=True, slots=True)
class Answer(Command):
    """The main unit (or a split unit) answers the deputy with a class; ``without_opinion`` maps co-units whose
    opinion the office lets the answer go without to the reason."""

    action: ClassVar[Action] = Action.ANSWER
    category: str
    text: str
    unit: str | None = None
    promises: tuple[Promised, ...] = ()
    without_opinion: Mapping[str, str] = field(default_factory=dict)
    # why a promise-class answer names no promised item although the rule set asks for them (a paper ledger
    # that does not hold them); audited with the answer
    no_promises: str = ""
    attachments: tuple[Attached, ...] = ()  # checked, their bytes stored (Engine.answer)


def pending_opinions(uow: UnitOfWork) -> frozenset[int]:
    """Co-units whose opinion the current handling still waits for (none while re-handling)."""
    co = set(uow.units_in(Role.CO))
    if not co or uow.state is State.RE_HANDLED:
        return frozenset()
    return frozenset(co - {a.unit_id for a in uow.assignments() if a.opined})


def pending_answers(uow: UnitOfWork) -> frozenset[int]:
    """Main and split units that still owe their answer in this round."""
    owing = set(uow.units_in(Role.MAIN, Role.SPLIT))
    return frozenset(owing - {a.unit_id for a in uow.assignments() if a.answered})


@handles(Opinion)
def opinion(uow: UnitOfWork, cmd: Opinion) -> None:
    """Record the opinion; the co-unit's deadlines are met (or no longer apply)."""
    uow.require_allowed(Action.OPINION)
    uid = acting_unit(uow, Action.OPINION, cmd.unit)
    if uid is None:
        raise uow.invalid(_("name the co-unit whose opinion this is (--unit)"))
    name = uow.store.unit_name(uid)
    if uow.role_of(uid) is not Role.CO:
        raise uow.deny(
            Action.OPINION, _("unit {name!r} is not a co-unit (会办单位) of this case").format(name=name)
        )
    pending = pending_opinions(uow)
    if uid not in pending:
        raise uow.refuse(Action.OPINION, _("unit {name!r} has already sent its opinion").format(name=name))
    if not cmd.text.strip():
        raise uow.invalid(_("an opinion needs its text (--text)"))
    uow.add(
        "opinions",
        {
            "suggestion_id": uow.case_id,
            "unit_id": uid,
            "round": uow.round,
            "text": cmd.text.strip(),
            "at": uow.at,
        },
    )
    uow.mark(uid, opined=True)
    uow.settle_deadlines([DeadlineKind.CO_OPINION], DeadlineStatus.MET, unit_id=uid, any_unit=False)
    uow.settle_deadlines([DeadlineKind.RETURN_WINDOW], DeadlineStatus.CANCELLED, unit_id=uid, any_unit=False)
    files = attach(uow, Action.OPINION, cmd.attachments, uid)
    uow.step(
        Action.OPINION,
        view=CaseView(uow.state, pending_opinions=pending, unit_id=uid),
        data={"unit": name} | files,
    )


@handles(Contact)
def contact(uow: UnitOfWork, cmd: Contact) -> None:
    """Record the contact (the state does not change)."""
    uow.require_allowed(Action.CONTACT)
    try:
        how = ContactMethod(cmd.method)
    except ValueError:
        raise uow.invalid(
            _("contact method {method!r} unknown: use {names}").format(
                method=cmd.method, names=", ".join(m.value for m in ContactMethod)
            )
        ) from None
    uid = acting_unit(uow, Action.CONTACT, cmd.unit)
    if uid is None:
        raise uow.invalid(_("name the unit that contacted the deputy (--unit)"))
    name = uow.store.unit_name(uid)
    if uow.role_of(uid) is None:
        raise uow.deny(Action.CONTACT, _("unit {name!r} is not assigned to this case").format(name=name))
    when: ContactStage
    if cmd.stage is not None:
        try:
            when = ContactStage(cmd.stage)
        except ValueError:
            raise uow.invalid(
                _("contact stage {stage!r} unknown: use before, during or after").format(stage=cmd.stage)
            ) from None
    elif uow.state in (State.ANSWERED, State.REVISITED):
        when = ContactStage.AFTER
    else:
        earlier = uow.store.contacted(uow.case_id, uid, uow.round) or any(
            c["unit_id"] == uid and c["round"] == uow.round for c in uow.inserts.get("contacts", ())
        )
        when = ContactStage.DURING if earlier else ContactStage.BEFORE
    uow.add(
        "contacts",
        {
            "suggestion_id": uow.case_id,
            "unit_id": uid,
            "round": uow.round,
            "method": how.value,
            "stage": when.value,
            "note": cmd.note.strip(),
            "at": uow.at,
        },
    )
    uow.step(
        Action.CONTACT,
        data={"unit": name, "method": how.value, "stage": when.value, "face_to_face": how in FACE_TO_FACE},
    )


@handles(Answer)
def answer(uow: UnitOfWork, cmd: Answer) -> None:
    """Record the answer and its promises; the last answer asks the deputy for feedback."""
    uow.require_allowed(Action.ANSWER)
    rs = uow.ruleset
    code = cmd.category.strip().upper()
    text = cmd.text.strip()
    promises = cmd.promises
    if code not in rs.classes:
        raise uow.invalid(
            _("answer class {category!r} unknown in rule set {id}: use ").format(
                category=cmd.category, id=rs.id
            )
            + ", ".join(f"{c} ({m})" for c, m in rs.classes.items())
        )
    if not text:
        raise uow.invalid(_("an answer needs its text (--text)"))
    if promises and code not in rs.lifecycle.promise_classes:
        raise uow.invalid(
            _("promised items go with class {names} answers, not {code}").format(
                names="/".join(rs.lifecycle.promise_classes), code=code
            )
        )
    if any(not p.text.strip() for p in promises):
        raise uow.invalid(_("every promised item needs its text"))
    unrecorded = cmd.no_promises.strip()
    needed = code in rs.lifecycle.promise_classes and rs.lifecycle.promise_required
    if needed and not promises and not unrecorded:
        raise uow.invalid(
            _(
                "a class {code} answer says what will be done and by when: give each promised item with --promise TEXT --due DATE (rule set setting lifecycle.promise_required)"
            ).format(code=code)
        )
    answered_on = uow.local_date()
    late = [p.due.isoformat() for p in promises if p.due > LATEST]
    if late:
        raise uow.invalid(
            _("promised dates after {year}: {names}; give the dates planned").format(
                year=LATEST.year, names=", ".join(late)
            )
        )
    early = [p.due.isoformat() for p in promises if p.due < answered_on]
    if early:
        raise uow.invalid(
            _("promised dates before the answer date {answered_on}: {names}").format(
                answered_on=answered_on, names=", ".join(early)
            )
        )
    overrides = {k.strip(): v.strip() for k, v in cmd.without_opinion.items()}
    if overrides and uow.actor.kind is not ActorKind.OFFICE:
        raise uow.deny(Action.ANSWER, _("only the office may let an answer go without a co-unit's opinion"))
    uid = acting_unit(uow, Action.ANSWER, cmd.unit)
    if uid is None:
        mains = uow.units_in(Role.MAIN)
        if not mains:
            raise uow.invalid(_("split units (分办) answer each for their part: name the unit (--unit)"))
        uid = mains[0]
    name = uow.store.unit_name(uid)
    if uow.role_of(uid) not in (Role.MAIN, Role.SPLIT):
        raise uow.deny(
            Action.ANSWER, _("unit {name!r} is not the main (主办) or a split (分办) unit").format(name=name)
        )
    owing = pending_answers(uow)
    if uid not in owing:
        raise uow.refuse(
            Action.ANSWER,
            _("unit {name!r} has already answered in round {round}").format(name=name, round=uow.round),
        )
    pending = pending_opinions(uow)
    override_ids: dict[int, str] = {}
    for unit_name, why in overrides.items():
        oid = uow.store.unit_id(unit_name)
        if oid not in pending:
            raise uow.invalid(
                _("{unit_name!r} is not a co-unit whose opinion is missing; nothing to override").format(
                    unit_name=unit_name
                )
            )
        if not why:
            raise uow.invalid(
                _("answering without {unit_name!r}'s opinion needs a reason").format(unit_name=unit_name)
            )
        override_ids[oid] = why
    missing = pending - set(override_ids)
    if missing:
        names = ", ".join(uow.store.unit_name(m) for m in sorted(missing))
        raise uow.refuse(
            Action.ANSWER,
            _(
                "waiting for the opinion of {names}; the office may answer without it (--without-opinion UNIT --reason R)"
            ).format(names=names),
        )
    waived = {uow.store.unit_name(o): r for o, r in override_ids.items()}
    row = {
        "suggestion_id": uow.case_id,
        "unit_id": uid,
        "round": uow.round,
        "category": code,
        "text": text,
        "overrides": canonical([{"unit": n, "reason": r} for n, r in waived.items()]) if waived else "[]",
        "at": uow.at,
    }
    if promises:  # the promises refer to the answer row, and their deadlines to them
        answer_id = uow.insert_now("answers", row)
        for p in promises:
            promise = {
                "answer_id": answer_id,
                "suggestion_id": uow.case_id,
                "unit_id": uid,
                "text": p.text.strip(),
                "due": p.due,
                "status": "open",
            }
            uow.open_deadline(DeadlineKind.PROMISE, uid, ref_id=uow.insert_now("promises", promise), on=p.due)
    else:
        uow.add("answers", row)
    uow.mark(uid, answered=True)
    kind = DeadlineKind.RE_ANSWER if uow.round > 1 else DeadlineKind.ANSWER
    uow.settle_deadlines([kind], DeadlineStatus.MET, unit_id=uid, any_unit=False)
    for oid in override_ids:
        # an opinion waived after its date was missed: it counts against the co-unit's timeliness
        uow.settle_deadlines(
            [DeadlineKind.CO_OPINION],
            DeadlineStatus.CANCELLED,
            unit_id=oid,
            any_unit=False,
            overdue=DeadlineStatus.MISSED,
        )
    uow.set(category=code, current_category=code, answered_at=uow.at)
    files = attach(uow, Action.ANSWER, cmd.attachments, uid)
    after = uow.step(
        Action.ANSWER,
        view=CaseView(
            uow.state,
            pending_opinions=pending,
            overridden=frozenset(override_ids),
            pending_answers=owing,
            unit_id=uid,
        ),
        data={
            "unit": name,
            "category": code,
            "promises": [{"text": p.text.strip(), "due": p.due.isoformat()} for p in promises],
            "without_opinion": waived,
        }
        | ({"no_promises": unrecorded} if needed and not promises else {})
        | files,
    )
    if after is State.ANSWERED:
        uow.settle_deadlines([DeadlineKind.RETURN_WINDOW], DeadlineStatus.CANCELLED)
        lapse_extension_request(uow)
        due = uow.open_deadline(DeadlineKind.FEEDBACK, None)
        uow.notify(
            "feedback_request",
            "deputy",
            uow.row["lead_deputy_id"],
            {"category": code, "feedback_due": due["due"].isoformat() if due else None},
        )
