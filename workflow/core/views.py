"""Read models the engine returns: plain frozen values, never database rows."""

from __future__ import annotations

from dataclasses import dataclass, field, fields, replace
from datetime import date, datetime
from typing import Any

from rules.i18n import _
from workflow.core.anchor import Anchor
from workflow.core.audit import AuditProblem
from workflow.core.states import ActorKind

WINDOW_KINDS = frozenset({"return_window"})  # deadlines that are windows, not obligations

__all__ = [
    "Actor",
    "AuditReport",
    "Case",
    "CaseEvent",
    "CasePage",
    "Change",
    "ConversionInfo",
    "DeadlineExplained",
    "DeadlineInfo",
    "DueItem",
    "ExtensionRequestInfo",
    "HistoryEntry",
    "OwedItem",
    "OwedPage",
    "PendingReturn",
    "ReviewInfo",
]


@dataclass(frozen=True, slots=True)
class Actor:
    """Who acts: the office, a unit by name, a deputy by name (or the engine itself)."""

    kind: ActorKind
    name: str | None = None
    # who entered the action when it is not the actor: office staff keying in a unit's paper answer (``office``
    # or ``office:NAME``); recorded in the audit event as ``entered_by``
    entered_by: str | None = None

    @property
    def is_office(self) -> bool:
        """Whether this is the office (or the engine itself), which sees every case and may administer."""
        return self.kind in (ActorKind.OFFICE, ActorKind.SYSTEM)

    def entered(self, by: Actor) -> Actor:
        """This actor, its actions entered by ``by`` (the office on its behalf); itself when ``by`` is it."""
        if by.kind == self.kind and by.name == self.name:
            return self
        return Actor(self.kind, self.name, str(by))

    @property
    def recorded(self) -> str:
        """As a record names it: ``unit:NAME``, with `` (录入 office)`` when someone else keyed the action in (the
        form :meth:`parse` reads back)."""
        return f"{self} (录入 {self.entered_by})" if self.entered_by else str(self)

    def same(self, other: Actor) -> bool:
        """The same party, whoever entered the action."""
        return (self.kind, self.name) == (other.kind, other.name)

    @classmethod
    def office(cls) -> Actor:
        """The deputies' affairs office (代表工作机构): may do anything."""
        return cls(ActorKind.OFFICE)

    @classmethod
    def unit(cls, name: str) -> Actor:
        """A handling unit, acting within its own assignment."""
        return cls(ActorKind.UNIT, name)

    @classmethod
    def deputy(cls, name: str) -> Actor:
        """A deputy, acting on their own suggestions."""
        return cls(ActorKind.DEPUTY, name)

    @property
    def is_public(self) -> bool:
        """Whether this is the public (公众), which reads published cases alone and may do nothing."""
        return self.kind is ActorKind.PUBLIC

    @classmethod
    def public(cls) -> Actor:
        """The public (公众): the published cases, in their public view, and nothing else."""
        return cls(ActorKind.PUBLIC)

    @classmethod
    def system(cls) -> Actor:
        """The engine, for automatic steps."""
        return cls(ActorKind.SYSTEM)

    @classmethod
    def parse(cls, text: str) -> Actor:
        """``office``, ``office:NAME`` (a member of the office's staff), ``unit:NAME`` or ``deputy:NAME``; a
        ``(录入 WHO)`` after it (as the ledger's 办理过程 writes it) says who keyed the action in."""
        text, entered = _entered(text)
        if entered:
            return replace(cls.parse(text), entered_by=entered)
        kind, sep, name = text.partition(":")
        kind, name = kind.strip(), name.strip()
        if kind == ActorKind.OFFICE and not (sep and not name):
            return cls(ActorKind.OFFICE, name or None)
        if kind in (ActorKind.UNIT, ActorKind.DEPUTY) and name:
            return cls(ActorKind(kind), name)
        msg = _("actor {text!r} not understood: use office, office:NAME, unit:NAME or deputy:NAME").format(
            text=text
        )
        raise ValueError(msg)

    def __str__(self) -> str:
        kind = (
            self.kind._value_
        )  # the enum's value without its descriptor's call: every audit event names its actor
        return kind if self.name is None else f"{kind}:{self.name}"


def _entered(text: str) -> tuple[str, str | None]:
    """``unit:X (录入 office)`` → (``unit:X``, ``office``); other text as it is, with None."""
    head, sep, tail = text.strip().partition(" (录入 ")
    if sep and tail.endswith(")") and tail[:-1].strip():
        return head, tail[:-1].strip()
    return text, None


def iso(value: date | None) -> str | None:
    """A date or datetime as ISO text (None stays None)."""
    return None if value is None else value.isoformat()


_FIELD_NAMES: dict[type, tuple[str, ...]] = {}  # each flat view's field names, in order, read once


def flat_json(view: Any) -> dict[str, Any]:
    """A JSON-ready dict of a flat view's every field, in their order, dates and datetimes as ISO text: the
    ``to_json`` of the views whose fields are plain values (read field by field, not copied deeply as
    :func:`dataclasses.asdict` would, then walked again)."""
    out: dict[str, Any] = {}
    kind = type(view)
    names = _FIELD_NAMES.get(kind)
    if names is None:
        names = _FIELD_NAMES[kind] = tuple(f.name for f in fields(kind))
    for name in names:
        value = getattr(view, name)
        out[name] = value.isoformat() if isinstance(value, date) else value
    return out


@dataclass(frozen=True, slots=True)
class DeadlineInfo:
    """A deadline of a case as users see it."""

    kind: str
    unit: str | None  # the owing unit (None: the deputy owes it)
    round: int
    start: date
    due: date  # local date of the last day
    due_at: datetime  # 24:00 local of `due`, UTC
    raw_due: date
    roll_reason: str | None
    status: str
    met_at: datetime | None
    late: bool | None
    provisional: bool
    version: int

    def overdue(self, now: datetime) -> bool:
        """Open and past due at ``now`` (a hand-back window that has closed is not overdue)."""
        return self.status == "open" and now >= self.due_at and self.kind not in WINDOW_KINDS

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict of every field (dates as ISO text)."""
        return flat_json(self)


@dataclass(frozen=True, slots=True)
class ConversionInfo:
    """A follow-up answer that changed the case's class (B→A, B→C)."""

    from_category: str
    to_category: str
    evidence: str
    actor: str
    at: datetime

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return {
            "from": self.from_category,
            "to": self.to_category,
            "evidence": self.evidence,
            "actor": self.actor,
            "at": self.at.isoformat(),
        }


@dataclass(frozen=True, slots=True)
class Case:
    """A suggestion and where it stands."""

    id: int
    number: str
    session: str
    title: str
    content: str
    field: str | None
    deputy: str
    co_signers: tuple[str, ...]
    state: str
    round: int
    category: str | None  # class of the latest answer
    current_category: str | None  # class after conversions (B→A)
    main_unit: str | None
    co_units: tuple[str, ...]
    split_units: tuple[str, ...]
    key: bool
    complex: bool
    extended: bool
    confidential: bool
    between_sessions: bool
    escalation_level: int
    version: int
    ruleset: str | None  # "id@version" the case is pinned to
    submitted_at: datetime
    assigned_at: datetime | None
    answered_at: datetime | None
    closed_at: datetime | None
    deadlines: tuple[DeadlineInfo, ...] = ()
    conversions: tuple[ConversionInfo, ...] = ()  # B→A / B→C follow-ups, oldest first
    allowed: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict (``show --json``); ``history`` lists the class conversions."""
        return {
            "id": self.id,
            "number": self.number,
            "session": self.session,
            "title": self.title,
            "content": self.content,
            "field": self.field,
            "deputy": self.deputy,
            "co_signers": list(self.co_signers),
            "state": self.state,
            "round": self.round,
            "category": self.category,
            "current_category": self.current_category,
            "main_unit": self.main_unit,
            "co_units": list(self.co_units),
            "split_units": list(self.split_units),
            "key": self.key,
            "complex": self.complex,
            "extended": self.extended,
            "confidential": self.confidential,
            "between_sessions": self.between_sessions,
            "escalation_level": self.escalation_level,
            "version": self.version,
            "ruleset": self.ruleset,
            "submitted_at": self.submitted_at.isoformat(),
            "assigned_at": iso(self.assigned_at),
            "answered_at": iso(self.answered_at),
            "closed_at": iso(self.closed_at),
            "allowed": list(self.allowed),
            "deadlines": [d.to_json() for d in self.deadlines],
            "history": [c.to_json() for c in self.conversions],
        }


@dataclass(frozen=True, slots=True)
class CasePage:
    """One page of the cases a search selects, by number: how many it selects in all, where the page starts
    (0-based) and how many it holds at most (None: all the rest)."""

    total: int
    offset: int
    limit: int | None
    cases: tuple[Case, ...]

    @property
    def first(self) -> int:
        """The 1-based position of the page's first case (0 on an empty page)."""
        return self.offset + 1 if self.cases else 0

    @property
    def last(self) -> int:
        """The 1-based position of the page's last case (0 on an empty page)."""
        return self.offset + len(self.cases) if self.cases else 0

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict (``list --json``): ``{total, offset, limit, cases}``."""
        return {
            "total": self.total,
            "offset": self.offset,
            "limit": self.limit,
            "cases": [c.to_json() for c in self.cases],
        }


@dataclass(frozen=True, slots=True)
class HistoryEntry:
    """One audit event of a case."""

    seq: int
    at: datetime
    recorded_at: datetime
    actor: str
    action: str
    from_state: str | None
    to_state: str
    round: int
    data: dict[str, Any]
    # the event of a person's action entered later but dated before this reminder-sweep step, which it gave
    # way to (:mod:`workflow.backfill`); the step stays in the trail as it was
    superseded_by: int | None = None

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict, with ``from`` and ``to`` keys."""
        return {
            "seq": self.seq,
            "at": self.at.isoformat(),
            "recorded_at": self.recorded_at.isoformat(),
            "actor": self.actor,
            "action": self.action,
            "from": self.from_state,
            "to": self.to_state,
            "round": self.round,
            "data": self.data,
            "superseded_by": self.superseded_by,
        }


@dataclass(frozen=True, slots=True)
class CaseEvent:
    """Something that happened to a case and was committed; what subscribers receive."""

    case_id: int
    number: str
    session: str
    action: str
    actor: str
    from_state: str | None
    to_state: str
    at: datetime
    version: int
    data: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Change:
    """What one engine action committed: the case's new state and version, and its events."""

    number: str
    session: str
    state: str
    version: int
    events: tuple[CaseEvent, ...]

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return {
            "number": self.number,
            "session": self.session,
            "state": self.state,
            "version": self.version,
            "events": [
                {
                    "action": e.action,
                    "from": e.from_state,
                    "to": e.to_state,
                    "at": e.at.isoformat(),
                    "actor": e.actor,
                }
                for e in self.events
            ],
        }


@dataclass(frozen=True, slots=True)
class DeadlineExplained:
    """A deadline with how it was computed (``jianyi deadlines --explain``)."""

    deadline: DeadlineInfo
    rule: str  # e.g. "3 months from assigned" or "the promised date"
    basis: str  # the legal basis the rule set quotes
    ruleset: str  # "id@version"
    start_event: str
    due_local: str  # e.g. "2026-10-08 24:00 Asia/Shanghai"
    provisional_years: tuple[int, ...]

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return {
            **self.deadline.to_json(),
            "rule": self.rule,
            "basis": self.basis,
            "ruleset": self.ruleset,
            "start_event": self.start_event,
            "due_local": self.due_local,
            "provisional_years": list(self.provisional_years),
        }


@dataclass(frozen=True, slots=True)
class DueItem:
    """An open obligation coming due (or overdue): ``jianyi due``."""

    number: str
    session: str
    title: str
    kind: str
    unit: str | None
    due: date
    due_at: datetime
    provisional: bool
    overdue: bool

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict of every field (dates as ISO text)."""
        return flat_json(self)


@dataclass(frozen=True, slots=True)
class OwedItem:
    """An open obligation of a unit on a case, with the case's 重点督办 flag: a row of the unit's inbox."""

    number: str
    session: str
    title: str
    kind: str
    due: date
    due_at: datetime
    provisional: bool
    overdue: bool
    key: bool

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict of every field (dates as ISO text)."""
        return flat_json(self)


@dataclass(frozen=True, slots=True)
class OwedPage:
    """One page of what a unit owes, the most urgent first, with counts of all of it: how many obligations in
    all, how many overdue, how many not overdue and due by the ``soon`` day asked for, how many on 重点督办
    cases; where the page starts (0-based) and how many it holds at most."""

    total: int
    overdue: int
    soon: int
    key: int
    offset: int
    limit: int
    items: tuple[OwedItem, ...]

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict: the counts, ``offset``, ``limit`` and ``items``."""
        return {
            "total": self.total,
            "overdue": self.overdue,
            "soon": self.soon,
            "key": self.key,
            "offset": self.offset,
            "limit": self.limit,
            "items": [i.to_json() for i in self.items],
        }


@dataclass(frozen=True, slots=True)
class PendingReturn:
    """A unit's hand-back request (退办) waiting for the office's decision."""

    number: str
    session: str
    title: str
    unit: str
    reason: str
    at: datetime

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict of every field (dates as ISO text)."""
        return flat_json(self)


@dataclass(frozen=True, slots=True)
class ReviewInfo:
    """An answer waiting for the office's review (答复审核): ``jianyi review list``."""

    number: str
    session: str
    title: str
    unit: str
    category: str
    at: datetime  # when the unit sent it
    answer_due: date | None  # the unit's answer deadline as it stands

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict of every field (dates as ISO text)."""
        return flat_json(self)


@dataclass(frozen=True, slots=True)
class ExtensionRequestInfo:
    """An extension request (申请延期) waiting for the office's decision: ``jianyi extensions``."""

    number: str
    session: str
    title: str
    unit: str
    reason: str
    at: datetime
    answer_due: date | None  # the answer's last day as it stands (before the extension)

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict of every field (dates as ISO text)."""
        return flat_json(self)


@dataclass(frozen=True, slots=True)
class AuditReport:
    """What the audit check found: how much it compared, what the records do not cover, and the problems."""

    cases: int
    events: int
    rows: int  # rows compared with their events' records (each case row included)
    uncovered_events: int  # events written before records of rows existed
    uncovered_rows: int  # rows written by those events
    problems: tuple[AuditProblem, ...]
    anchor: Anchor | None = None
    anchor_authentic: bool | None = None  # None: no anchor given
    directory_changes: int = 0  # edits of units and deputies whose history chain was checked

    def checked(self) -> str:
        """What was checked, for the summary line (``… checked, N problem(s)``)."""
        text = _("{cases} case(s), {events} event(s) and {rows} row(s)").format(
            cases=self.cases, events=self.events, rows=self.rows
        )
        if self.directory_changes:
            text += _(", {count} directory change(s)").format(count=self.directory_changes)
        if self.uncovered_events:
            text += _(" ({events} event(s) and {rows} row(s) from before row records, chain only)").format(
                events=self.uncovered_events, rows=self.uncovered_rows
            )
        if self.anchor is not None:
            text += _(" against the anchor of {local} ({fingerprint})").format(
                local=self.anchor.local, fingerprint=self.anchor.fingerprint
            )
        return text

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict (problems as the lines the text shows)."""
        data: dict[str, Any] = {
            "checked": self.cases,
            "events": self.events,
            "rows": self.rows,
            "uncovered_events": self.uncovered_events,
            "uncovered_rows": self.uncovered_rows,
            "directory_changes": self.directory_changes,
        }
        if self.anchor is not None:
            data["anchor"] = {
                "at": self.anchor.content["at"],
                "local": self.anchor.local,
                "cases": len(self.anchor.cases),
                "root": self.anchor.root,
                "fingerprint": self.anchor.fingerprint,
                "authentic": self.anchor_authentic,
            }
        return data
