"""Every lifecycle action as a command and its handler, registered in one table checked against the machine.

- :mod:`~workflow.actions.intake`: :class:`Submit`;
- :mod:`~workflow.actions.assignment`: :class:`Assign`, :class:`RequestReturn`, :class:`RefuseReturn`,
  :class:`Reassign`, :class:`Receive`, :class:`Extend`, :class:`RequestExtension`, :class:`RefuseExtension`;
- :mod:`~workflow.actions.handling`: :class:`Opinion`, :class:`Contact`, :class:`Answer` (with
  :class:`Promised` items);
- :mod:`~workflow.actions.closing`: :class:`Feedback`, :class:`Rehandle`, :class:`Close`, :class:`Withdraw`,
  :class:`Lapse`;
- :mod:`~workflow.actions.review`: :class:`ApproveAnswer`, :class:`ReturnAnswer` (答复审核);
- :mod:`~workflow.actions.followup`: :class:`Convert`, :class:`Progress`;
- :mod:`~workflow.actions.corrections`: :class:`Amend`.
"""

from __future__ import annotations

from workflow.actions.assignment import (
    Assign,
    Extend,
    Reassign,
    Receive,
    RefuseExtension,
    RefuseReturn,
    RequestExtension,
    RequestReturn,
)
from workflow.actions.base import Command, check, command_for, handler_for
from workflow.actions.closing import Close, Feedback, Lapse, Rehandle, Withdraw
from workflow.actions.corrections import AMENDABLE, Amend
from workflow.actions.followup import Convert, Progress
from workflow.actions.handling import Answer, Contact, Opinion, Promised
from workflow.actions.intake import Submit, new_case_row
from workflow.actions.review import ApproveAnswer, ReturnAnswer

__all__ = [
    "AMENDABLE",
    "Amend",
    "Answer",
    "ApproveAnswer",
    "Assign",
    "Close",
    "Command",
    "Contact",
    "Convert",
    "Extend",
    "Feedback",
    "Lapse",
    "Opinion",
    "Progress",
    "Promised",
    "Reassign",
    "Receive",
    "RefuseExtension",
    "RefuseReturn",
    "Rehandle",
    "RequestExtension",
    "RequestReturn",
    "ReturnAnswer",
    "Submit",
    "Withdraw",
    "check",
    "command_for",
    "handler_for",
    "new_case_row",
]

_problems = check()
if _problems:  # pragma: no cover - guarded by tests; stops a broken registry at import
    raise RuntimeError("invalid action registry: " + "; ".join(_problems))
