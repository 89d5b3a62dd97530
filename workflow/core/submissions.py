"""Suggestions submitted online (网上提交), before the office accepts them (受理) as cases.

A deputy proposes a suggestion: title, content, co-signing deputies (联名/附议), field, and files. It waits as
**pending** (待受理) until the office accepts it (**accepted**, 已受理: it is registered as a case under its number)
or declines it with a reason (**declined**, 不予受理, e.g. 转为来信处理), or until the deputy withdraws it
(**withdrawn**, 已撤回). The three ends are final.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from rules.i18n import _
from workflow.core.attachments import Attached
from workflow.core.errors import TransitionNotAllowed, WorkflowError

__all__ = [
    "SubmissionClosed",
    "SubmissionEvent",
    "SubmissionStatus",
    "SubmissionView",
    "label",
]


class SubmissionStatus(StrEnum):
    """Where an online submission stands."""

    PENDING = "pending"  # 待受理
    ACCEPTED = "accepted"  # 已受理
    DECLINED = "declined"  # 不予受理
    WITHDRAWN = "withdrawn"  # 已撤回

    @property
    def label(self) -> str:
        """The offices' word for it."""
        return _LABELS[self]


_LABELS = {
    SubmissionStatus.PENDING: "待受理",
    SubmissionStatus.ACCEPTED: "已受理",
    SubmissionStatus.DECLINED: "不予受理",
    SubmissionStatus.WITHDRAWN: "已撤回",
}


def label(submission_id: int) -> str:
    """How messages name a submission."""
    return f"网上建议 #{submission_id}"


class SubmissionClosed(TransitionNotAllowed):
    """The submission is no longer pending: it was accepted, declined or withdrawn already."""

    def __init__(self, *, submission_id: int, status: SubmissionStatus, action: str) -> None:
        self.case, self.state, self.action = label(submission_id), status.value, action
        self.allowed = ()
        self.reason = _("only a pending (待受理) submission")
        WorkflowError.__init__(
            self,
            _(
                "{value}: cannot '{action}' while {value2} ({label}); only a pending (待受理) submission is accepted, declined or withdrawn"
            ).format(value=label(submission_id), action=action, value2=status.value, label=status.label),
        )


@dataclass(frozen=True, slots=True)
class SubmissionEvent:
    """One thing that happened to a submission: proposed, accepted, declined or withdrawn."""

    action: str
    at: datetime
    actor: str
    data: dict[str, Any]

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return {"action": self.action, "at": self.at.isoformat(), "actor": self.actor, "data": self.data}


@dataclass(frozen=True, slots=True)
class SubmissionView:
    """An online submission as its deputy and the office see it."""

    id: int
    status: SubmissionStatus
    title: str
    content: str
    deputy: str  # the lead deputy (领衔代表)
    co_signers: tuple[str, ...]
    field: str | None
    between_sessions: bool
    confidential: bool
    attachments: tuple[Attached, ...]
    submitted_at: datetime
    decided_at: datetime | None  # accepted, declined or withdrawn
    reason: str | None  # why it was declined or withdrawn
    session: str | None  # accepted: the case's session and number
    number: str | None
    events: tuple[SubmissionEvent, ...] = ()

    @property
    def status_label(self) -> str:
        """The status in the offices' words, with the case number or the reason: 已受理（第0042号）."""
        if self.status is SubmissionStatus.ACCEPTED and self.number is not None:
            return f"{self.status.label}（{self.session}第{self.number}号）"
        if self.reason and self.status is not SubmissionStatus.PENDING:
            return f"{self.status.label}（{self.reason}）"
        return self.status.label

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict (``status`` in English, ``status_label`` in the offices' words)."""
        return {
            "id": self.id,
            "status": self.status.value,
            "status_label": self.status_label,
            "title": self.title,
            "content": self.content,
            "deputy": self.deputy,
            "co_signers": list(self.co_signers),
            "field": self.field,
            "between_sessions": self.between_sessions,
            "confidential": self.confidential,
            "attachments": [a.to_json() for a in self.attachments],
            "submitted_at": self.submitted_at.isoformat(),
            "decided_at": None if self.decided_at is None else self.decided_at.isoformat(),
            "reason": self.reason,
            "session": self.session,
            "number": self.number,
            "events": [e.to_json() for e in self.events],
        }
