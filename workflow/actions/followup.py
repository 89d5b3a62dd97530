"""Following up B answers (回头看): conversions (B→A 转化, B→C) and progress on promises (承诺事项进展)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from rules import DeadlineKind
from rules.i18n import _
from workflow.actions.base import Command, attach, handles, require_office_or_main
from workflow.core.attachments import Attached
from workflow.core.states import Action, ActorKind, DeadlineStatus, Role
from workflow.core.unit_of_work import UnitOfWork

__all__ = ["Convert", "Progress"]


@dataclass(frozen=True, slots=True)
class Convert(Command):
    """A follow-up answer that changes a promise class (B) to another; the answered class stays."""

    action: ClassVar[Action] = Action.CONVERT
    to: str
    evidence: str
    attachments: tuple[
        Attached, ...
    ] = ()  # the evidence's files, checked, their bytes stored (Engine.convert)


@dataclass(frozen=True, slots=True)
class Progress(Command):
    """Progress on the promises of a B answer; the yearly letter to the deputy lists it."""

    action: ClassVar[Action] = Action.PROGRESS
    note: str


@handles(Convert)
def convert(uow: UnitOfWork, cmd: Convert) -> None:
    """Record the conversion; open promises end done (to A) or cancelled, and so do their deadlines."""
    uow.require_allowed(Action.CONVERT)
    rs = uow.ruleset
    code = cmd.to.strip().upper()
    current = uow.row["current_category"]
    if current is None:
        raise uow.refuse(Action.CONVERT, _("only an answered case can be converted"))
    if current not in rs.lifecycle.promise_classes:
        classes = "/".join(rs.lifecycle.promise_classes)
        raise uow.refuse(
            Action.CONVERT,
            _("its class is {current}; only {classes} answers are converted").format(
                current=current, classes=classes
            ),
        )
    if code not in rs.lifecycle.conversion_classes:
        raise uow.invalid(
            _("a conversion to class {to!r}: use {names}").format(
                to=cmd.to, names=" or ".join(rs.lifecycle.conversion_classes)
            ),
            fields=("to",),
        )
    evidence = cmd.evidence.strip()
    if not evidence:
        raise uow.invalid(_("a conversion needs its evidence: what was done, and when"), fields=("evidence",))
    require_office_or_main(uow, Action.CONVERT)
    uow.add(
        "conversions",
        {
            "suggestion_id": uow.case_id,
            "from_category": current,
            "to_category": code,
            "evidence": evidence,
            "actor": str(uow.actor),
            "at": uow.at,
        },
    )
    done = code == "A"
    uow.update(
        "promises", {"suggestion_id": uow.case_id, "status": "open"}, status="done" if done else "cancelled"
    )
    uow.settle_deadlines([DeadlineKind.PROMISE], DeadlineStatus.MET if done else DeadlineStatus.CANCELLED)
    uow.set(current_category=code)
    acting = uow.store.unit_id(uow.actor.name or "") if uow.actor.kind is ActorKind.UNIT else None
    files = attach(uow, Action.CONVERT, cmd.attachments, acting)
    uow.step(Action.CONVERT, data={"from": current, "to": code, "evidence": evidence} | files)
    mains = uow.units_in(Role.MAIN, Role.SPLIT)
    uow.notify(
        "conversion",
        "deputy",
        uow.row["lead_deputy_id"],
        {
            "from_category": current,
            "to_category": code,
            "evidence": evidence,
            "unit": uow.store.unit_name(mains[0]) if mains else None,
        },
    )


@handles(Progress)
def progress(uow: UnitOfWork, cmd: Progress) -> None:
    """Record the progress note in the case's history."""
    uow.require_allowed(Action.PROGRESS)
    current = uow.row["current_category"]
    if current not in uow.ruleset.lifecycle.promise_classes:
        raise uow.refuse(
            Action.PROGRESS,
            _("its class is {value}; progress is recorded on B answers").format(
                value=current or _("not set")
            ),
        )
    if not cmd.note.strip():
        raise uow.invalid(_("a progress note needs its text"), fields=("note",))
    require_office_or_main(uow, Action.PROGRESS)
    uow.step(Action.PROGRESS, data={"note": cmd.note.strip()})
