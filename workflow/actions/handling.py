"""Handling: co-unit opinions (会办意见), contacts with the deputy (联系沟通), the answer (答复)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
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
    ReviewStatus,
    Role,
    State,
    state_word,
)
from workflow.core.unit_of_work import UnitOfWork
from workflow.core.views import Actor

__all__ = [
    "Answer",
    "Checked",
    "Contact",
    "Opinion",
    "Promised",
    "check_answer",
    "held_answers",
    "record_answer",
]


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
        raise uow.invalid(_("name the co-unit whose opinion this is"), fields=("unit",))
    name = uow.store.unit_name(uid)
    if uow.role_of(uid) is not Role.CO:
        raise uow.deny(
            Action.OPINION, _("unit {name!r} is not a co-unit (会办单位) of this case").format(name=name)
        )
    pending = pending_opinions(uow)
    if uid not in pending:
        raise uow.refuse(Action.OPINION, _("unit {name!r} has already sent its opinion").format(name=name))
    if not cmd.text.strip():
        raise uow.invalid(_("an opinion needs its text"), fields=("text",))
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
        raise uow.invalid(_("name the unit that contacted the deputy"), fields=("unit",))
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


@dataclass(frozen=True, slots=True)
class Checked:
    """An answer checked against the case: what ``record`` writes (or a review holds)."""

    code: str
    text: str
    uid: int
    name: str
    owing: frozenset[int]
    pending: frozenset[int]
    override_ids: dict[int, str]
    waived: dict[str, str]
    unrecorded: str
    needed: bool


def check_answer(
    uow: UnitOfWork, cmd: Answer, *, answered_on: date | None = None, reviewed: bool = False
) -> Checked:
    """Check ``cmd`` against the case (``answered_on``: the day the unit sent it, the step's day by default;
    ``reviewed``: the office is approving the unit's held answer, so its waiting review does not block it)."""
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
        raise uow.invalid(_("an answer needs its text"), fields=("text",))
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
                "a class {code} answer says what will be done and by when: give each promised item and its date (rule set setting lifecycle.promise_required)"
            ).format(code=code),
            fields=("promises",),
        )
    answered_on = answered_on or uow.local_date()
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
            raise uow.invalid(
                _("split units (分办) answer each for their part: name the unit"), fields=("unit",)
            )
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
    if not reviewed and held_answers(uow, uid):
        message = _(
            "case {number} ({state}): {unit}'s answer is waiting for the office's review (答复审核); "
            "wait until the office approves it or returns it"
        )
        raise uow.invalid(
            message.format(number=uow.row["number"], state=state_word(uow.state.value), unit=name)
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
            _("waiting for the opinion of {names}; the office may answer without it, with its reason").format(
                names=names
            ),
            fields=("without_opinion",),
        )
    waived = {uow.store.unit_name(o): r for o, r in override_ids.items()}
    return Checked(code, text, uid, name, owing, pending, override_ids, waived, unrecorded, needed)


def held_answers(uow: UnitOfWork, unit_id: int | None = None) -> list[tuple[int, str, datetime]]:
    """(unit id, payload, sent at) of the case's answers waiting for the office's review (of ``unit_id``, or
    all), oldest first: those in the database and those this unit of work holds (a ledger's replay runs a case's
    steps in one)."""
    found = (
        []
        if uow.inserted
        else [(u, p, at) for _, u, p, at in uow.store.pending_reviews(uow.case_id, unit_id)]
    )
    found += [
        (int(r["unit_id"]), str(r["payload"]), r["at"])
        for r in uow.inserts.get("answer_reviews", ())
        if r["status"] == ReviewStatus.PENDING.value and unit_id in (None, r["unit_id"])
    ]
    return sorted(found, key=lambda held: held[2])


def _hold(uow: UnitOfWork, cmd: Answer, ok: Checked) -> None:
    """Hold the checked answer for the office's review (rule set ``lifecycle.answer_review``): everything it
    holds is kept in an ``answer_reviews`` row; the case, the deputy and the deadlines are left as they are."""
    taken = set() if uow.inserted else uow.store.attachment_names(uow.case_id)
    clash = [f.name for f in cmd.attachments if f.name in taken]
    if clash:
        raise uow.invalid(
            f"the case already has an attachment named {', '.join(map(repr, clash))}; give the file another name"
        )
    payload = {
        "category": ok.code,
        "text": ok.text,
        "promises": [{"text": p.text.strip(), "due": p.due.isoformat()} for p in cmd.promises],
        "without_opinion": ok.waived,
        "no_promises": ok.unrecorded,
        "attachments": [f.to_json() for f in cmd.attachments],
    }
    uow.add(
        "answer_reviews",
        {
            "suggestion_id": uow.case_id,
            "unit_id": ok.uid,
            "round": uow.round,
            "category": ok.code,
            "payload": canonical(payload),
            "at": uow.at,
            "status": ReviewStatus.PENDING.value,
            "decided_at": None,
            "decision_reason": None,
        },
    )
    files = [f.name for f in cmd.attachments]
    uow.step(
        Action.SUBMIT_ANSWER,
        data={"unit": ok.name, "category": ok.code} | ({"files": files} if files else {}),
    )
    uow.notify("answer_submitted", "office", None, {"unit": ok.name, "category": ok.code})


@handles(Answer)
def answer(uow: UnitOfWork, cmd: Answer) -> None:
    """Record the answer and its promises; the last answer asks the deputy for feedback. With the rule set's
    ``lifecycle.answer_review`` the answer is held for the office's review instead (:func:`record_answer` runs
    when the office approves it)."""
    uow.require_allowed(Action.ANSWER)
    ok = check_answer(uow, cmd)
    if uow.ruleset.lifecycle.answer_review:
        _hold(uow, cmd, ok)
        return
    record_answer(uow, cmd, ok)


def record_answer(
    uow: UnitOfWork, cmd: Answer, ok: Checked, *, sent_at: datetime | None = None, actor: Actor | None = None
) -> None:
    """Write the checked answer: its row and promises, the unit's deadline met (at ``sent_at``, when the unit
    sent it for review), the state moved, the deputy asked for feedback after the last answer. ``actor``: who the
    answer's event names, when not the step's actor (the unit, for an answer the office approved)."""
    code, text, uid, name, owing, pending = ok.code, ok.text, ok.uid, ok.name, ok.owing, ok.pending
    promises, override_ids, waived, unrecorded, needed = (
        cmd.promises,
        ok.override_ids,
        ok.waived,
        ok.unrecorded,
        ok.needed,
    )
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
    uow.settle_deadlines([kind], DeadlineStatus.MET, unit_id=uid, any_unit=False, at=sent_at)
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
        actor=actor,
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
        | ({"sent_at": sent_at.isoformat()} if sent_at is not None else {})
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
