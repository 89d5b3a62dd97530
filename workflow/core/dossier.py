"""The dossier (案卷): everything a case holds, as plain frozen values — what was submitted, who it was assigned
to and when, each hand-back request, each co-unit's opinion, every contact, each answer with its promises, the
deputy's feedback per round, extensions, re-handlings, progress notes, conversions and the withdrawal.

:class:`Dossier` is what ``Engine.dossier`` returns and ``jianyi show`` prints; :meth:`Dossier.to_json` is
``show --json``. Who did a thing (``by``) is the actor its audit event recorded: ``unit:NAME``, ``deputy:NAME``,
``office`` or ``system``, with ``… (录入 office)`` when the office entered it on someone's behalf.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from workflow.core.views import Case, flat_json, iso

__all__ = [
    "AnswerEntry",
    "AssignmentEntry",
    "AttachmentEntry",
    "ContactEntry",
    "Dossier",
    "FeedbackEntry",
    "NoteEntry",
    "OpinionEntry",
    "OriginEntry",
    "PromiseEntry",
    "ReturnEntry",
    "ReviewEntry",
]


def _each(entries: tuple[Any, ...]) -> list[dict[str, Any]]:
    return [e.to_json() for e in entries]


@dataclass(frozen=True, slots=True)
class AttachmentEntry:
    """A file that came with an answer, an opinion or a conversion (答复函, 会办意见, evidence)."""

    name: str
    media_type: str
    size: int
    sha256: str

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict of every field (dates as ISO text)."""
        return flat_json(self)


@dataclass(frozen=True, slots=True)
class OriginEntry:
    """Where a case came from when a deputy submitted it online (网上提交) and the office accepted it (受理)."""

    submission: int  # the online submission's id
    proposed_at: datetime
    proposed_by: str  # the actor who proposed it: ``deputy:NAME``, or ``… (录入 office)``

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict of every field (dates as ISO text)."""
        return flat_json(self)


@dataclass(frozen=True, slots=True)
class AssignmentEntry:
    """A unit's part in the case over a span of time (``until`` None: still holds it), and when the unit signed
    for it (签收; None: not signed)."""

    unit: str
    role: str  # main | co | split
    round: int
    since: datetime
    until: datetime | None
    received_at: datetime | None = None

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict of every field (dates as ISO text)."""
        return flat_json(self)


@dataclass(frozen=True, slots=True)
class ReturnEntry:
    """A unit's request to hand the case back (退办) and the office's decision."""

    unit: str
    reason: str
    at: datetime
    status: str  # pending | accepted | refused
    decided_at: datetime | None
    decision_reason: str | None

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict of every field (dates as ISO text)."""
        return flat_json(self)


@dataclass(frozen=True, slots=True)
class ExtensionRequestEntry:
    """The main unit's request for the extended answer period (申请延期) and the office's decision."""

    unit: str
    reason: str
    at: datetime
    status: str  # pending | approved | refused | lapsed
    decided_at: datetime | None
    decision_reason: str | None

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict of every field (dates as ISO text)."""
        return flat_json(self)


@dataclass(frozen=True, slots=True)
class OpinionEntry:
    """A co-unit's opinion to the main unit (会办意见)."""

    unit: str
    round: int
    text: str
    at: datetime
    due: date | None  # the last day it was owed (None: no deadline recorded)
    late: bool | None  # None: not yet judged
    by: str
    attachments: tuple[AttachmentEntry, ...] = ()

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict of every field (dates as ISO text)."""
        return {
            "unit": self.unit,
            "round": self.round,
            "text": self.text,
            "at": self.at.isoformat(),
            "due": iso(self.due),
            "late": self.late,
            "by": self.by,
            "attachments": _each(self.attachments),
        }


@dataclass(frozen=True, slots=True)
class ContactEntry:
    """A contact between a unit and the deputy (联系沟通)."""

    unit: str
    round: int
    method: str
    stage: str
    note: str
    at: datetime
    by: str

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict of every field (dates as ISO text)."""
        return {
            "unit": self.unit,
            "round": self.round,
            "method": self.method,
            "stage": self.stage,
            "note": self.note,
            "at": self.at.isoformat(),
            "by": self.by,
        }


@dataclass(frozen=True, slots=True)
class PromiseEntry:
    """A promised item of a B answer (承诺事项)."""

    text: str
    due: date
    status: str

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict of every field (dates as ISO text)."""
        return {"text": self.text, "due": self.due.isoformat(), "status": self.status}


@dataclass(frozen=True, slots=True)
class AnswerEntry:
    """A unit's answer to the deputy (答复) in one round."""

    unit: str
    round: int
    category: str
    text: str
    at: datetime
    due: date | None  # the last day it was owed
    late: bool | None
    by: str
    promises: tuple[PromiseEntry, ...] = ()
    without_opinion: tuple[tuple[str, str], ...] = ()  # (co-unit, reason) the office let it go without
    attachments: tuple[AttachmentEntry, ...] = ()

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict of every field (dates as ISO text); ``without_opinion`` as a list of {unit, reason}."""
        return {
            "unit": self.unit,
            "round": self.round,
            "category": self.category,
            "text": self.text,
            "at": self.at.isoformat(),
            "due": iso(self.due),
            "late": self.late,
            "by": self.by,
            "promises": _each(self.promises),
            "without_opinion": [{"unit": u, "reason": r} for u, r in self.without_opinion],
            "attachments": _each(self.attachments),
        }


@dataclass(frozen=True, slots=True)
class FeedbackEntry:
    """The deputy's feedback on the answer of one round (代表意见)."""

    deputy: str | None
    round: int
    rating: str
    attitude: str | None
    result: str | None
    comment: str
    at: datetime
    by: str

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict of every field (dates as ISO text)."""
        return {
            "deputy": self.deputy,
            "round": self.round,
            "rating": self.rating,
            "attitude": self.attitude,
            "result": self.result,
            "comment": self.comment,
            "at": self.at.isoformat(),
            "by": self.by,
        }


@dataclass(frozen=True, slots=True)
class NoteEntry:
    """An event that carries a reason or a note and no row of its own: an extension, a refused hand-back, a
    re-handling, a progress note, a conversion's evidence, the withdrawal."""

    action: str
    round: int
    at: datetime
    by: str
    text: str
    data: dict[str, Any]
    attachments: tuple[AttachmentEntry, ...] = ()

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict of every field (dates as ISO text; ``data`` a shallow copy)."""
        return {
            "action": self.action,
            "round": self.round,
            "at": self.at.isoformat(),
            "by": self.by,
            "text": self.text,
            "data": dict(self.data),
            "attachments": _each(self.attachments),
        }


@dataclass(frozen=True, slots=True)
class ReviewEntry:
    """A unit's answer held for the office's review (答复审核) and the office's decision; the deputy never sees
    one (an approved answer is among the answers)."""

    unit: str
    round: int
    category: str
    text: str
    at: datetime  # when the unit sent it
    status: str  # pending | approved | returned | lapsed
    decided_at: datetime | None
    decision_reason: str | None  # why it was returned (or the office's note on approving it)
    attachments: tuple[AttachmentEntry, ...] = ()  # the files it came with (stored once it is approved)
    promises: tuple[PromiseEntry, ...] = ()  # a B answer's promised items, as sent (status "open")

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict of every field (dates as ISO text)."""
        return {
            "unit": self.unit,
            "round": self.round,
            "category": self.category,
            "text": self.text,
            "at": self.at.isoformat(),
            "status": self.status,
            "decided_at": iso(self.decided_at),
            "decision_reason": self.decision_reason,
            "attachments": _each(self.attachments),
            "promises": _each(self.promises),
        }


@dataclass(frozen=True, slots=True)
class Dossier:
    """Everything the case holds, in the order things happened within each part."""

    case: Case
    assignments: tuple[AssignmentEntry, ...]
    returns: tuple[ReturnEntry, ...]
    opinions: tuple[OpinionEntry, ...]
    contacts: tuple[ContactEntry, ...]
    answers: tuple[AnswerEntry, ...]
    feedback: tuple[FeedbackEntry, ...]
    extensions: tuple[NoteEntry, ...]
    refusals: tuple[NoteEntry, ...]  # hand-back requests the office refused, with its reason
    rehandlings: tuple[NoteEntry, ...]
    progress: tuple[NoteEntry, ...]
    conversions: tuple[NoteEntry, ...]
    withdrawal: NoteEntry | None
    submitted_by: str
    amendments: tuple[NoteEntry, ...] = ()  # the office's corrections of the case's own data (old → new)
    origin: OriginEntry | None = None  # submitted online and accepted (None: registered by the office)
    extension_requests: tuple[
        ExtensionRequestEntry, ...
    ] = ()  # the units' requests (申请延期), decided or not
    reviews: tuple[
        ReviewEntry, ...
    ] = ()  # answers held for the office's review (the office's and the unit's view)

    def rounds(self) -> list[int]:
        """The rounds of handling the case has seen (1 and each 重新办理)."""
        seen = {1, self.case.round}
        seen.update(a.round for a in self.answers)
        seen.update(f.round for f in self.feedback)
        return sorted(seen)

    def to_json(self) -> dict[str, Any]:
        """``show --json``: the case's fields (as ``Case.to_json``) and every part of the dossier."""
        out = self.case.to_json()
        out["submitted_by"] = self.submitted_by
        for name in (
            "assignments",
            "returns",
            "opinions",
            "contacts",
            "answers",
            "feedback",
            "extensions",
            "refusals",
            "rehandlings",
            "progress",
            "conversions",
            "amendments",
            "extension_requests",
            "reviews",
        ):
            out[name] = [entry.to_json() for entry in getattr(self, name)]
        out["withdrawal"] = self.withdrawal.to_json() if self.withdrawal else None
        out["origin"] = self.origin.to_json() if self.origin else None
        return out
