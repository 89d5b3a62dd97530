"""Corrections (更正): the office amends a case's own data (title, content, field, flags), old and new audited."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from rules.i18n import _
from workflow.actions.base import Command, handles
from workflow.core.states import Action
from workflow.core.text import one_line
from workflow.core.unit_of_work import UnitOfWork
from workflow.store.models import too_long

__all__ = ["AMENDABLE", "Amend"]

# the case's own columns an amendment may change, in the order the audit event lists them
AMENDABLE = ("title", "content", "field", "between_sessions", "confidential", "key")


@dataclass(frozen=True, slots=True)
class Amend(Command):
    """New values for the case's own data (None: unchanged; ``field=""`` clears the field) and why."""

    action: ClassVar[Action] = Action.AMEND
    title: str | None = None
    content: str | None = None
    field: str | None = None
    between_sessions: bool | None = None
    confidential: bool | None = None
    key: bool | None = None
    reason: str = ""


def _given(cmd: Amend) -> dict[str, Any]:
    """The values the command gives, as the case row stores them."""
    given: dict[str, Any] = {}
    if cmd.title is not None:
        given["title"] = one_line(cmd.title)
    if cmd.content is not None:
        given["content"] = cmd.content
    if cmd.field is not None:
        given["field"] = one_line(cmd.field) or None
    for flag in ("between_sessions", "confidential", "key"):
        value = getattr(cmd, flag)
        if value is not None:
            given[flag] = bool(value)
    return given


def _stored(value: Any, like: Any) -> Any:
    """A stored value as the command's (a flag SQLite returns as 0/1 as a bool)."""
    return bool(value) if isinstance(like, bool) and value is not None else value


@handles(Amend)
def amend(uow: UnitOfWork, cmd: Amend) -> None:
    """Change the columns whose value differs; the event records each one's old and new value and the reason."""
    uow.require_allowed(Action.AMEND)
    uow.require_office(Action.AMEND)
    reason = one_line(cmd.reason)
    if not reason:
        raise uow.invalid(
            _("an amendment needs its reason: why the case's data is corrected"), fields=("reason",)
        )
    given = _given(cmd)
    if "title" in given and not given["title"]:
        raise uow.invalid(_("a suggestion needs a title: it cannot be blank"), fields=("title",))
    problem = too_long("suggestions", given)
    if problem is not None:
        raise uow.invalid(problem)
    changed = {
        column: {"from": was, "to": value}
        for column, value in given.items()
        if (was := _stored(uow.row[column], value)) != value
    }
    if not changed:
        names = ", ".join(given) or "nothing"
        raise uow.invalid(
            _(
                "nothing to amend: {names} already as given (name what changes: --title, --content, --field, --confidential, …)"
            ).format(names=names)
        )
    uow.set(**{column: change["to"] for column, change in changed.items()})
    ordered = {column: changed[column] for column in AMENDABLE if column in changed}
    uow.step(Action.AMEND, data={"changed": ordered, "reason": reason})
