"""Commands and their handlers: the registry every action is looked up in, checked against the machine.

A command is a frozen dataclass naming what the action needs (the case is named apart, by the pipeline); its
handler is ``def handler(uow: UnitOfWork, cmd: Command) -> None`` and holds only what the transition table does
not already check. :func:`check` proves at import that every action has one command and one handler and that
every command's action is a transition of the table (submit, which creates the case, aside).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, ClassVar, TypeVar

from rules.i18n import _
from workflow.core.attachments import Attached
from workflow.core.machine import TRANSITIONS
from workflow.core.states import Action, ActorKind, Role
from workflow.core.unit_of_work import UnitOfWork

__all__ = [
    "Command",
    "acting_unit",
    "attach",
    "check",
    "command_for",
    "handler_for",
    "handles",
    "lines",
    "require_lead_deputy",
]


@dataclass(frozen=True, slots=True)
class Command:
    """What one action needs besides the case, the actor and the time."""

    action: ClassVar[Action]


C = TypeVar("C", bound=Command)
Handler = Callable[[UnitOfWork, Any], None]
_HANDLERS: dict[type[Command], Handler] = {}


def handles(command: type[C]) -> Callable[[Callable[[UnitOfWork, C], None]], Callable[[UnitOfWork, C], None]]:
    """Register the decorated function as the handler of ``command``."""

    def register(handler: Callable[[UnitOfWork, C], None]) -> Callable[[UnitOfWork, C], None]:
        if command in _HANDLERS:
            msg = f"{command.__name__} has two handlers"
            raise RuntimeError(msg)
        _HANDLERS[command] = handler
        return handler

    return register


def handler_for(command: Command) -> Handler:
    """The handler of ``command``'s class."""
    return _HANDLERS[type(command)]


def command_for(action: Action) -> type[Command]:
    """The command class of ``action`` (:func:`check` proves there is exactly one)."""
    return next(command for command in _HANDLERS if command.action is action)


# steps another command's handler records: an answer held for the office's review (答复审核) is the Answer
# command's step ``submit_answer``
STEPS_OF_OTHERS = frozenset({Action.SUBMIT_ANSWER})


def check() -> list[str]:
    """Problems with the registry: actions without a command or handler, commands outside the table."""
    by_action: dict[Action, list[str]] = {}
    for command in _HANDLERS:
        by_action.setdefault(command.action, []).append(command.__name__)
    in_table = {t.action for t in TRANSITIONS}
    problems = [
        f"action {a.value!r} has no command with a handler"
        for a in Action
        if a not in by_action and a not in STEPS_OF_OTHERS
    ]
    problems += [
        f"action {a.value!r} has several commands: {names}"
        for a, names in by_action.items()
        if len(names) > 1
    ]
    problems += [
        f"command {', '.join(names)} handles {a.value!r}, which is no transition of the table"
        for a, names in by_action.items()
        if a is not Action.SUBMIT and a not in in_table
    ]
    return problems


def lines(values: Iterable[str]) -> list[str]:
    """The non-blank values, stripped."""
    return [v.strip() for v in values if v and v.strip()]


def acting_unit(uow: UnitOfWork, action: Action, unit: str | None) -> int | None:
    """The unit an action is done by: the acting unit, or the one the office names."""
    if uow.actor.kind is ActorKind.UNIT:
        assert uow.actor.name is not None
        if unit is not None and unit != uow.actor.name:
            raise uow.deny(action, _("a unit acts only for itself, not for {unit!r}").format(unit=unit))
        return uow.store.unit_id(uow.actor.name)
    if uow.actor.kind is ActorKind.DEPUTY:
        raise uow.deny(action, _("deputies give feedback and may withdraw; units handle the case"))
    return uow.store.unit_id(unit) if unit is not None else None


def attach(uow: UnitOfWork, action: Action, files: Iterable[Attached], unit_id: int | None) -> dict[str, Any]:
    """Record the files an action came with (their bytes are stored already, by digest): one ``attachments``
    row each, naming the audit event the step is about to append; returns what that event's data adds (nothing
    without files). A name the case already has is refused."""
    files = list(files)
    if not files:
        return {}
    taken = set() if uow.inserted else uow.store.attachment_names(uow.case_id)
    taken |= {str(r["name"]) for r in uow.inserts.get("attachments", ())}
    clash = [f.name for f in files if f.name in taken]
    if clash:
        raise uow.invalid(
            _("the case already has an attachment named {names}; give the file another name").format(
                names=", ".join(map(repr, clash))
            )
        )
    seq = uow.row["audit_seq"] + 1
    for f in files:
        uow.add(
            "attachments",
            {
                "suggestion_id": uow.case_id,
                "seq": seq,
                "action": action.value,
                "round": uow.round,
                "unit_id": unit_id,
                "name": f.name,
                "media_type": f.media_type,
                "size": f.size,
                "sha256": f.sha256,
                "actor": str(uow.actor),
                "at": uow.at,
            },
        )
    return {"attachments": [f.to_json() for f in files]}


def require_lead_deputy(uow: UnitOfWork, action: Action) -> None:
    """Only the lead deputy (or the office for them) does ``action``."""
    if uow.actor.kind is ActorKind.UNIT:
        raise uow.deny(action, _("only the deputy or the office may do this"))
    if uow.actor.kind is ActorKind.DEPUTY:
        assert uow.actor.name is not None
        if uow.store.deputy_id(uow.actor.name) != uow.row["lead_deputy_id"]:
            lead = uow.store.deputy_name(uow.row["lead_deputy_id"])
            raise uow.deny(
                action, _("only the lead deputy ({lead}) acts on this suggestion").format(lead=lead)
            )


def require_office_or_main(uow: UnitOfWork, action: Action) -> None:
    """Only the office or the main (or a split) unit does ``action``."""
    if uow.actor.kind not in (ActorKind.OFFICE, ActorKind.SYSTEM, ActorKind.UNIT):
        raise uow.deny(action, _("the office or the handling unit records this"))
    mains = uow.units_in(Role.MAIN, Role.SPLIT)
    if uow.actor.kind is ActorKind.UNIT and uow.store.unit_id(uow.actor.name or "") not in mains:
        raise uow.deny(action, _("only the main (or a split) unit records this"))
