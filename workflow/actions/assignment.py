"""Assignment (交办) and its corrections: hand-back requests (退办), refusals, reassignment, extension and the
units' extension requests (申请延期)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

from rules import DeadlineKind
from rules.i18n import _
from workflow.actions.base import Command, acting_unit, handles
from workflow.core.errors import NotFound, ValidationError
from workflow.core.states import (
    Action,
    ActorKind,
    DeadlineStatus,
    ExtensionStatus,
    ReturnStatus,
    ReviewStatus,
    Role,
    action_word,
    state_word,
)
from workflow.core.unit_of_work import UnitOfWork

__all__ = [
    "HANDLING_KINDS",
    "Assign",
    "Extend",
    "Reassign",
    "Receive",
    "RefuseExtension",
    "RefuseReturn",
    "RequestExtension",
    "RequestReturn",
    "lapse_extension_request",
    "lapse_reviews",
]

HANDLING_KINDS = (
    DeadlineKind.RETURN_WINDOW,
    DeadlineKind.CO_OPINION,
    DeadlineKind.ANSWER,
    DeadlineKind.RE_ANSWER,
)


@dataclass(frozen=True, slots=True)
class Assign(Command):
    """Assign to one main unit and any co-units, or to split units; starts the clocks and pins the congress's
    current rule set (as read with the case)."""

    action: ClassVar[Action] = Action.ASSIGN
    main: str | None = None
    co: tuple[str, ...] = ()
    split: tuple[str, ...] = ()
    key: bool = False
    complex: bool = False


@dataclass(frozen=True, slots=True)
class Receive(Command):
    """A unit signs for its assignment (签收): the main unit, a co-unit or a split unit, each for its own."""

    action: ClassVar[Action] = Action.RECEIVE
    unit: str | None = None


@dataclass(frozen=True, slots=True)
class RequestReturn(Command):
    """A unit asks to hand the case back (退办), with reasons."""

    action: ClassVar[Action] = Action.RETURN
    reason: str
    unit: str | None = None


@dataclass(frozen=True, slots=True)
class RefuseReturn(Command):
    """The office refuses pending return requests (of ``unit``, or all)."""

    action: ClassVar[Action] = Action.REFUSE_RETURN
    reason: str
    unit: str | None = None


@dataclass(frozen=True, slots=True)
class Reassign(Command):
    """Assign the case again (二次交办) to new units; the clocks restart."""

    action: ClassVar[Action] = Action.REASSIGN
    main: str | None = None
    co: tuple[str, ...] = ()
    split: tuple[str, ...] = ()
    reason: str = ""


@dataclass(frozen=True, slots=True)
class Extend(Command):
    """Approve the 6-month answer period of a complex suggestion; a unit's pending request (申请延期) is approved
    with it. ``requested``: only when such a request waits (approving it; a blank reason takes the request's)."""

    action: ClassVar[Action] = Action.EXTEND
    reason: str
    requested: bool = False


@dataclass(frozen=True, slots=True)
class RequestExtension(Command):
    """The main unit asks the office for the extended answer period (申请延期), with reasons."""

    action: ClassVar[Action] = Action.REQUEST_EXTENSION
    reason: str
    unit: str | None = None


@dataclass(frozen=True, slots=True)
class RefuseExtension(Command):
    """The office refuses the pending extension request; the answer period stays."""

    action: ClassVar[Action] = Action.REFUSE_EXTENSION
    reason: str


def check_units(
    uow: UnitOfWork, action: Action, main: str | None, co: Sequence[str], split: Sequence[str]
) -> list[tuple[int, Role, str]]:
    """The units of an assignment, checked: one main unit (and co-units) or two or more split units, each
    named once. Names are stripped; an empty or blank name is refused, never dropped, so that no assignment
    leaves a case with no unit to answer it."""

    def refuse(reason: str, *fields: str) -> ValidationError:
        return uow.invalid(
            _("cannot '{action}' while '{state}': {reason}").format(
                action=action_word(action.value), state=state_word(uow.state.value), reason=reason
            ),
            fields=fields,
        )

    if main is not None and not main.strip():
        raise refuse(_("the main unit (主办) is empty; name the unit that answers the deputy"), "main")
    if any(not u.strip() for u in co):
        raise refuse(_("a co-unit (会办) is empty; name each co-unit, or name none"), "co")
    if any(not u.strip() for u in split):
        raise refuse(_("a split unit (分办) is empty; name each split unit"), "split")
    main = main.strip() if main is not None else None
    co, split = [u.strip() for u in co], [u.strip() for u in split]
    if main is None and not split:
        raise refuse(
            _("no unit answers it: name one main unit (主办) or two or more split units (分办)"),
            "main",
            "split",
        )
    if main is not None and split:
        raise refuse(
            _("name one main unit (主办), or two or more split units (分办), not both"), "main", "split"
        )
    if split and co:
        raise refuse(
            _("split units (分办) each answer their own part: co-units go with a main unit only"), "co"
        )
    if split and len(split) < 2:
        raise refuse(
            _("split handling (分办) needs at least two units; with one, make it the main unit"), "split"
        )
    names: list[tuple[str, Role]] = [(main, Role.MAIN)] if main is not None else []
    names += [(u, Role.CO) for u in co] + [(u, Role.SPLIT) for u in split]
    counts = Counter(n for n, _role in names)
    dupes = [n for n, c in counts.items() if c > 1]
    if dupes:
        message = _("a unit may have one part only: {names} named twice; name each unit once")
        raise refuse(message.format(names=_(", ").join(dupes)))
    missing: list[str] = []
    result: list[tuple[int, Role, str]] = []
    for name, role in names:
        try:
            result.append((uow.store.unit_id(name), role, name))
        except NotFound as exc:  # an old name says what it was renamed to
            missing.append(f"{name} ({exc.hint})" if exc.renamed else name)
    if missing:
        message = _("unknown unit(s): {names}; add them with `jianyi unit add NAME`")
        raise uow.invalid(message.format(names=_(", ").join(missing)))
    return result


def _named(units: list[tuple[int, Role, str]]) -> dict[str, Any]:
    """The checked names of an assignment, as its audit event records them."""
    main = [name for _, role, name in units if role is Role.MAIN]
    return {
        "main": main[0] if main else None,
        "co": [name for _, role, name in units if role is Role.CO],
        "split": [name for _, role, name in units if role is Role.SPLIT],
    }


def start_handling(uow: UnitOfWork, units: list[tuple[int, Role, str]], *, restart: bool) -> None:
    """Add the assignments and open their deadlines, from the step's time."""
    for uid, role, _name in units:
        uow.add(
            "assignments",
            {
                "suggestion_id": uow.case_id,
                "unit_id": uid,
                "role": role.value,
                "round": uow.round,
                "since": uow.at,
            },
        )
    uow.set_assignments((uid, role) for uid, role, _ in units)
    answer_kind = DeadlineKind.RE_ANSWER if uow.round > 1 else DeadlineKind.ANSWER
    first_due: dict[str, Any] | None = None
    for uid, role, name in units:
        uow.open_deadline(DeadlineKind.RETURN_WINDOW, uid)
        if role is Role.CO:
            uow.open_deadline(DeadlineKind.CO_OPINION, uid)
        else:
            due = uow.open_deadline(answer_kind, uid)
            first_due = first_due or due
        uow.notify(
            "reassigned" if restart else "assigned",
            "unit",
            uid,
            {
                "unit": name,
                "role": role.value,
                "answer_due": first_due["due"].isoformat() if first_due else None,
            },
        )


@handles(Assign)
def assign(uow: UnitOfWork, cmd: Assign) -> None:
    """Pin the rule set, record the assignment and start the clocks."""
    uow.require_allowed(Action.ASSIGN)
    uow.require_office(Action.ASSIGN)
    units = check_units(uow, Action.ASSIGN, cmd.main, cmd.co, cmd.split)
    rs = uow.active_ruleset()
    uow.set(
        ruleset_id=rs.id,
        ruleset_version=rs.version,
        key=cmd.key,
        complex=cmd.complex,
        extended=cmd.complex,
        assigned_at=uow.at,
    )
    uow.step(
        Action.ASSIGN,
        data={
            **_named(units),
            "key": cmd.key,
            "complex": cmd.complex,
            "ruleset": f"{rs.id}@{rs.version}",
        },
    )
    start_handling(uow, units, restart=False)


_FROM_RECEIPT = (DeadlineKind.CO_OPINION, DeadlineKind.ANSWER, DeadlineKind.RE_ANSWER)


@handles(Receive)
def receive(uow: UnitOfWork, cmd: Receive) -> None:
    """Record the receipt on the unit's assignment, once; with ``lifecycle.deadlines_from_receipt`` the unit's
    open co-opinion and answer deadlines start again from the day of receipt."""
    uow.require_allowed(Action.RECEIVE)
    uid = acting_unit(uow, Action.RECEIVE, cmd.unit)
    if uid is None:
        raise uow.invalid(_("name the unit that signs for the case"), fields=("unit",))
    name = uow.store.unit_name(uid)
    found = uow.store.receipt(uow.case_id, uid)
    if found is None:
        raise uow.deny(Action.RECEIVE, _("unit {name!r} is not assigned to this case").format(name=name))
    since, received = found
    if received is not None:
        local = received.astimezone(uow.ruleset.zone).strftime("%Y-%m-%d %H:%M")
        raise uow.invalid(
            _("{name} signed for this case on {local} already; nothing to do").format(name=name, local=local)
        )
    uow.add(
        "receipts",
        {
            "suggestion_id": uow.case_id,
            "unit_id": uid,
            "round": uow.round,
            "assigned_at": since,
            "at": uow.at,
        },
    )
    rs = uow.ruleset
    moved: dict[str, str] = {}
    if rs.lifecycle.deadlines_from_receipt:
        begin = uow.local_date()
        for kind in _FROM_RECEIPT:
            for deadline_id, start, _due in uow.store.open_deadlines(uow.case_id, kind, uid):
                if start == begin:
                    continue
                complex_case = bool(uow.row["extended"]) and kind is DeadlineKind.ANSWER
                due = rs.due(kind, begin, complex_case=complex_case)
                if due is None:
                    continue
                uow.move_deadline(
                    deadline_id,
                    {
                        "start": begin,
                        "due": due.end,
                        "raw_due": due.raw_end,
                        "due_at": due.due_at,
                        "roll_reason": due.roll_reason,
                        "provisional": due.provisional,
                        "escalation_step": 0,
                        "next_step_at": rs.first_check_at(kind, due.end, due.due_at),
                    },
                )
                moved[kind.value] = due.end.isoformat()
    uow.step(Action.RECEIVE, data={"unit": name} | ({"due": moved} if moved else {}))


@handles(RequestReturn)
def request_return(uow: UnitOfWork, cmd: RequestReturn) -> None:
    """Record the request (the state does not change); the unit's window to ask closes."""
    uow.require_allowed(Action.RETURN)
    uid = acting_unit(uow, Action.RETURN, cmd.unit)
    if uid is None:
        raise uow.invalid(_("name the unit that asks to hand the case back"), fields=("unit",))
    if uow.role_of(uid) is None:
        raise uow.deny(
            Action.RETURN,
            _("unit {value!r} is not assigned to this case").format(value=uow.store.unit_name(uid)),
        )
    reason = cmd.reason.strip()
    if not reason:
        raise uow.invalid(_("a return request needs its reasons"), fields=("reason",))
    if uow.store.pending_return(uow.case_id, uid):
        raise uow.invalid(_("this unit's return request is already waiting for the office's decision"))
    window = uow.store.return_window(uow.case_id, uid)
    late = window is not None and uow.at >= window[1]
    if window is not None and late and uow.actor.kind is ActorKind.UNIT:
        raise uow.invalid(
            _(
                "the window to ask for a hand-back closed on {date}; keep handling the case, or ask the office to record a late request"
            ).format(date=window[0].isoformat())
        )
    uow.add(
        "return_requests",
        {
            "suggestion_id": uow.case_id,
            "unit_id": uid,
            "reason": reason,
            "at": uow.at,
            "status": ReturnStatus.PENDING.value,
            "decided_at": None,
            "decision_reason": None,
        },
    )
    uow.settle_deadlines([DeadlineKind.RETURN_WINDOW], DeadlineStatus.MET, unit_id=uid, any_unit=False)
    name = uow.store.unit_name(uid)
    uow.step(Action.RETURN, data={"unit": name, "reason": reason, "late": late})
    uow.notify("return_requested", "office", None, {"unit": name, "reason": reason})


@handles(RefuseReturn)
def refuse_return(uow: UnitOfWork, cmd: RefuseReturn) -> None:
    """Refuse the pending requests; the units keep handling."""
    uow.require_allowed(Action.REFUSE_RETURN)
    uow.require_office(Action.REFUSE_RETURN)
    unit = uow.store.unit_id(cmd.unit) if cmd.unit is not None else None
    pending = uow.store.pending_returns(uow.case_id, unit)
    if not pending:
        raise uow.refuse(Action.REFUSE_RETURN, _("no return request is waiting for a decision"))
    reason = cmd.reason.strip()
    if not reason:
        raise uow.invalid(_("a refusal needs its reasons"), fields=("reason",))
    for request_id, _unit in pending:
        uow.update(
            "return_requests", {"id": request_id}, status="refused", decided_at=uow.at, decision_reason=reason
        )
    names = [uow.store.unit_name(unit_id) for _request, unit_id in pending]
    uow.step(Action.REFUSE_RETURN, data={"units": names, "reason": reason})
    for (_request, unit_id), name in zip(pending, names, strict=True):
        uow.notify("return_refused", "unit", unit_id, {"unit": name, "reason": reason})


@handles(Reassign)
def reassign(uow: UnitOfWork, cmd: Reassign) -> None:
    """End the current assignment (kept in the record), accept pending return requests, start again."""
    uow.require_allowed(Action.REASSIGN)
    uow.require_office(Action.REASSIGN)
    units = check_units(uow, Action.REASSIGN, cmd.main, cmd.co, cmd.split)
    old = [(uow.store.unit_name(a.unit_id), a.role.value) for a in uow.assignments()]
    reason = cmd.reason.strip()
    uow.update("assignments", {"suggestion_id": uow.case_id, "until": None}, until=uow.at)
    uow.update(
        "return_requests",
        {"suggestion_id": uow.case_id, "status": ReturnStatus.PENDING.value},
        status=ReturnStatus.ACCEPTED.value,
        decided_at=uow.at,
        decision_reason=reason or None,
    )
    uow.settle_deadlines(HANDLING_KINDS, DeadlineStatus.CANCELLED)
    lapse_extension_request(uow)
    lapse_reviews(uow)
    if uow.round == 1:
        uow.set(assigned_at=uow.at)
    uow.step(
        Action.REASSIGN,
        data={
            "old": [{"unit": n, "role": r} for n, r in old],
            **_named(units),
            "reason": reason,
        },
    )
    start_handling(uow, units, restart=True)


def _extension_refusal(uow: UnitOfWork, action: Action) -> None:
    """Refuse ``action`` when the answer period is extended already or the rule set has no extended period."""
    if uow.row["extended"]:
        raise uow.refuse(action, _("the answer period is already extended"))
    rs = uow.ruleset
    if rs.rule(DeadlineKind.ANSWER) is None or not rs.deadlines[DeadlineKind.ANSWER].complex_amount:
        raise uow.refuse(action, _("rule set {id} has no extended answer period").format(id=rs.id))


def _passed(uow: UnitOfWork, action: Action, what: str) -> None:
    """Refuse ``action`` when an open answer deadline has passed: extending it then would turn a missed date
    into a met one."""
    passed = [due_at for _id, _start, due_at in uow.store.open_deadlines(uow.case_id, DeadlineKind.ANSWER)]
    passed = [due_at for due_at in passed if due_at <= uow.at]
    if passed:
        local = min(passed).astimezone(uow.ruleset.zone).strftime("%Y-%m-%d %H:%M")
        raise uow.refuse(
            action, _("the answer was due {local}: {what}; the answer is late").format(local=local, what=what)
        )


def lapse_extension_request(uow: UnitOfWork) -> None:
    """The case's pending extension request lapses (``lapsed``): the case was reassigned, answered or withdrawn
    before the office decided."""
    buffered = any(
        r["status"] == ExtensionStatus.PENDING.value for r in uow.inserts.get("extension_requests", ())
    )
    if buffered or (not uow.inserted and uow.store.pending_extension(uow.case_id) is not None):
        uow.update(
            "extension_requests",
            {"suggestion_id": uow.case_id, "status": ExtensionStatus.PENDING.value},
            status=ExtensionStatus.LAPSED.value,
            decided_at=uow.at,
        )


def lapse_reviews(uow: UnitOfWork) -> None:
    """The case's answers waiting for the office's review (答复审核) lapse (``lapsed``): the case was reassigned
    or withdrawn before the office decided."""
    buffered = any(r["status"] == ReviewStatus.PENDING.value for r in uow.inserts.get("answer_reviews", ()))
    if buffered or (not uow.inserted and uow.store.pending_reviews(uow.case_id)):
        uow.update(
            "answer_reviews",
            {"suggestion_id": uow.case_id, "status": ReviewStatus.PENDING.value},
            status=ReviewStatus.LAPSED.value,
            decided_at=uow.at,
        )


@handles(RequestExtension)
def request_extension(uow: UnitOfWork, cmd: RequestExtension) -> None:
    """Record the request (the state does not change) and tell the office; one may wait at a time."""
    action = Action.REQUEST_EXTENSION
    uow.require_allowed(action)
    uid = acting_unit(uow, action, cmd.unit)
    if uid is None:
        mains = uow.units_in(Role.MAIN)
        if len(mains) != 1:
            raise uow.invalid(_("name the unit that asks for the extension"), fields=("unit",))
        uid = mains[0]
    role = uow.role_of(uid)
    if role is None:
        raise uow.deny(
            action, _("unit {value!r} is not assigned to this case").format(value=uow.store.unit_name(uid))
        )
    if role is not Role.MAIN:
        raise uow.deny(action, _("only the main unit (主办) asks for an extension; co-units send opinions"))
    _extension_refusal(uow, action)
    if uow.store.pending_extension(uow.case_id) is not None:
        raise uow.invalid(_("an extension request is already waiting for the office's decision"))
    reason = cmd.reason.strip()
    if not reason:
        raise uow.invalid(_("an extension request needs its reasons"), fields=("reason",))
    _passed(uow, action, "an extension is asked for before the date passes")
    uow.add(
        "extension_requests",
        {
            "suggestion_id": uow.case_id,
            "unit_id": uid,
            "reason": reason,
            "at": uow.at,
            "status": ExtensionStatus.PENDING.value,
            "decided_at": None,
            "decision_reason": None,
        },
    )
    name = uow.store.unit_name(uid)
    uow.step(action, data={"unit": name, "reason": reason})
    uow.notify("extension_requested", "office", None, {"unit": name, "reason": reason})


@handles(RefuseExtension)
def refuse_extension(uow: UnitOfWork, cmd: RefuseExtension) -> None:
    """Refuse the pending request; the unit answers within the period it has."""
    action = Action.REFUSE_EXTENSION
    uow.require_allowed(action)
    uow.require_office(action)
    pending = uow.store.pending_extension(uow.case_id)
    if pending is None:
        raise uow.refuse(action, _("no extension request is waiting for a decision"))
    reason = cmd.reason.strip()
    if not reason:
        raise uow.invalid(_("a refusal needs its reasons"), fields=("reason",))
    request_id, unit_id, _when = pending
    uow.update(
        "extension_requests",
        {"id": request_id},
        status=ExtensionStatus.REFUSED.value,
        decided_at=uow.at,
        decision_reason=reason,
    )
    name = uow.store.unit_name(unit_id)
    uow.step(action, data={"unit": name, "reason": reason})
    uow.notify("extension_refused", "unit", unit_id, {"unit": name, "reason": reason})


@handles(Extend)
def extend(uow: UnitOfWork, cmd: Extend) -> None:
    """Mark the case complex and move its open answer deadlines to the extended period; the ladder restarts.
    A pending extension request is approved with it, and its unit told."""
    uow.require_allowed(Action.EXTEND)
    uow.require_office(Action.EXTEND)
    _extension_refusal(uow, Action.EXTEND)
    pending = uow.store.pending_extension(uow.case_id)
    if cmd.requested and pending is None:
        raise uow.refuse(Action.EXTEND, _("no extension request is waiting for a decision"))
    reason = cmd.reason.strip() or (pending[2] if cmd.requested and pending is not None else "")
    if not reason:
        raise uow.invalid(_("an extension needs its reasons"), fields=("reason",))
    _passed(uow, Action.EXTEND, "an extension is approved before the date passes")
    rs = uow.ruleset
    answers = uow.store.open_deadlines(uow.case_id, DeadlineKind.ANSWER)
    uow.set(complex=True, extended=True)
    moved = []
    for deadline_id, start, _due in answers:
        due = rs.due(DeadlineKind.ANSWER, start, complex_case=True)
        assert due is not None
        uow.move_deadline(
            deadline_id,
            {
                "due": due.end,
                "raw_due": due.raw_end,
                "due_at": due.due_at,
                "roll_reason": due.roll_reason,
                "provisional": due.provisional,
                "escalation_step": 0,
                # the ladder starts again from the new due date
                "next_step_at": rs.first_check_at(DeadlineKind.ANSWER, due.end, due.due_at),
            },
        )
        moved.append(due.end.isoformat())
    data: dict[str, Any] = {"reason": reason, "answer_due": moved}
    if pending is not None:
        request_id, unit_id, _when = pending
        uow.update(
            "extension_requests",
            {"id": request_id},
            status=ExtensionStatus.APPROVED.value,
            decided_at=uow.at,
            decision_reason=reason,
        )
        data["request"] = {"unit": uow.store.unit_name(unit_id), "reason": pending[2]}
    uow.step(Action.EXTEND, data=data)
    uow.notify("extended", "deputy", uow.row["lead_deputy_id"], {"answer_due": moved, "reason": reason})
    if pending is not None:
        name = data["request"]["unit"]
        uow.notify(
            "extension_approved", "unit", pending[1], {"unit": name, "answer_due": moved, "reason": reason}
        )
