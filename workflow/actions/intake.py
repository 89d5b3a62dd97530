"""Registering a suggestion (提出/受理)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, ClassVar

from rules.i18n import _
from workflow.actions.base import Command, attach, handles, lines
from workflow.core.attachments import Attached
from workflow.core.audit import GENESIS
from workflow.core.errors import NumberTaken, ValidationError
from workflow.core.states import Action, ActorKind, State
from workflow.core.text import control_character, one_line
from workflow.core.unit_of_work import UnitOfWork

__all__ = ["Submit", "new_case_row"]

# the columns of a new case row (a unit of work's row carries more: the session's name, the active rule set)
_COLUMNS = (
    "session_id", "number", "title", "content", "field", "lead_deputy_id", "between_sessions", "confidential",
    "state", "round", "version", "submitted_at", "last_event_at", "audit_seq", "audit_head", "key", "complex",
    "extended", "escalation_level", "contact_level", "answer_met", "ruleset_id", "ruleset_version", "category",
    "current_category", "assigned_at", "answered_at", "closed_at", "first_answer_at", "rating", "main_unit_id",
    "answer_due_at",
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class Submit(Command):
    """Register a suggestion under its number in the session."""

    action: ClassVar[Action] = Action.SUBMIT
    title: str
    deputy: str
    co_signers: tuple[str, ...] = ()
    content: str = ""
    field: str | None = None
    between_sessions: bool = False
    confidential: bool = False
    origin: int | None = None  # the online submission (网上提交) the office accepted, if it came online
    attachments: tuple[Attached, ...] = ()  # checked, their bytes stored (the online submission's files)


def new_case_row(session_id: int, number: str, at: datetime) -> dict[str, Any]:
    """The row of a case about to be registered: nothing has happened to it yet."""
    row: dict[str, Any] = dict.fromkeys(_COLUMNS)
    row |= {
        "session_id": session_id,
        "number": number,
        "state": State.SUBMITTED.value,
        "round": 1,
        "version": 0,
        "submitted_at": at,
        "last_event_at": at,
        "audit_seq": 0,
        "audit_head": GENESIS,
        "key": False,
        "complex": False,
        "extended": False,
        "between_sessions": False,
        "confidential": False,
        "escalation_level": 0,
        "contact_level": 0,
        "answer_met": 0,
    }
    return row


@handles(Submit)
def submit(uow: UnitOfWork, cmd: Submit) -> None:
    """Fill in and insert the case row (its id is needed by every other row), its co-signers and the event."""
    title = one_line(cmd.title)  # a spreadsheet cell's line breaks become spaces
    problems = [p for p, bad in (("a number", not uow.row["number"]), ("a title", not title)) if bad]
    if problems:
        raise ValidationError(_("a suggestion needs {names}").format(names=" and ".join(problems)))
    bad = control_character(uow.row["number"])
    if bad is not None:
        raise ValidationError(
            _("case number {number!r} holds a control character ({bad})").format(
                number=uow.row["number"], bad=bad
            )
        )
    if uow.actor.kind not in (ActorKind.OFFICE, ActorKind.SYSTEM):
        raise uow.deny(Action.SUBMIT, _("the office (代表工作机构) registers suggestions"))
    lead = uow.store.deputy_id(cmd.deputy)
    signers = [
        uow.store.deputy_id(name) for name in dict.fromkeys(lines(cmd.co_signers)) if name != cmd.deputy
    ]
    uow.row |= {
        "title": title,
        "content": cmd.content,
        "field": None if cmd.field is None else one_line(cmd.field) or None,
        "lead_deputy_id": lead,
        "between_sessions": cmd.between_sessions,
        "confidential": cmd.confidential,
        "submitted_at": uow.at,
        "last_event_at": uow.at,
    }
    case_id = uow.insert_case({c: uow.row[c] for c in _COLUMNS})
    if case_id is None:  # the unique (session, number) index
        raise NumberTaken(
            _("建议 {label} already exists; numbers are unique within a session").format(label=uow.label)
        )
    uow.case_id = uow.row["id"] = case_id
    for i, d in enumerate(signers):
        uow.add("suggestion_signers", {"suggestion_id": case_id, "deputy_id": d, "position": i})
    data: dict[str, Any] = {
        "title": title,
        "deputy": cmd.deputy,
        "co_signers": [uow.store.deputy_name(d) for d in signers],
    }
    if cmd.origin is not None:  # accepted (受理) from an online submission: the deputy is told its number
        data |= {"origin": "online", "submission": cmd.origin}
        data |= attach(uow, Action.SUBMIT, cmd.attachments, None)
        uow.notify("submission_accepted", "deputy", lead, {"deputy": cmd.deputy, "submission": cmd.origin})
    uow.audit(Action.SUBMIT.value, None, State.SUBMITTED, data)
