"""The unit of work: one case inside one database transaction, as one or more actions change it.

A :class:`UnitOfWork` holds the case row as it stands, the columns changed since it was read, the rows to
insert, the updates to make, the hash-chained audit events and the events to publish. It writes nothing: the
pipeline hands it to the store, which flushes it (updates, then inserts, then the case row's compare-and-set
from the version it was read at) in the transaction the pipeline opened. There is one mode: every write is
buffered; a row whose id a later row needs goes in at once through :meth:`UnitOfWork.insert_now`.

Several actions may run on the same case in one unit of work (a ledger row replays submit, assign, answer,
feedback): each is a *step* with its own time, actor, version and audit events (:meth:`begin` / :meth:`end`).
The store protocol (:class:`CaseStore`) names everything a step may read or change in the database.

What a step reads is the database as it was before the unit of work, plus what the unit of work holds itself:
its deadlines are settled in memory too, and an update (ending assignments, deciding return requests) reaches
the rows the same unit of work buffered as well as those in the database, so that what is written is what the
step's audit record says (:mod:`workflow.core.records`): each step records the rows it inserts and updates
and the case row's columns it sets, and its first audit event stores that record; the step's events are
hashed when it ends (:meth:`UnitOfWork.end`), once the record is complete.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta, tzinfo
from typing import Any, Protocol, TypeAlias

from rules import DeadlineKind, RuleSet, end_of_day
from rules.i18n import _
from workflow.core.audit import Event, canonical, chained
from workflow.core.errors import PermissionDenied, TransitionNotAllowed, ValidationError
from workflow.core.machine import CaseView, allowed_actions, fire, next_actions, refusal_outside
from workflow.core.records import ROW_TABLES, Written
from workflow.core.states import Action, ActorKind, DeadlineStatus, Role, State
from workflow.core.views import Actor, CaseEvent

__all__ = ["ActiveAssignment", "CaseStore", "RuleSource", "UnitOfWork", "Write"]

# a statement the store prepared for the flush: its text and parameters (opaque to this module)
Write: TypeAlias = tuple[str, dict[str, Any]]
_STATES = {s.value: s for s in State}  # a state by its value, without the enum's call (read at every check)
_OPEN = DeadlineStatus.OPEN.value  # read for every deadline a step may settle


@dataclass(frozen=True, slots=True)
class ActiveAssignment:
    """A unit's current part in a case."""

    unit_id: int
    role: Role
    answered: bool = False  # has answered in the current round
    opined: bool = False  # has sent its opinion in the current round


class RuleSource(Protocol):
    """Where a unit of work finds rule sets."""

    def get(self, conn: Any, rule_id: str, version: int) -> RuleSet:
        """A stored rule set version."""
        ...  # pragma: no cover

    def active(self, conn: Any = None) -> RuleSet:
        """The congress's current rule set."""
        ...  # pragma: no cover


class CaseStore(Protocol):
    """What a step may read and change in the database, for one transaction (:mod:`workflow.store.cases`)."""

    conn: Any

    # names
    def unit_id(self, name: str) -> int: ...  # pragma: no cover
    def unit_name(self, unit_id: int) -> str: ...  # pragma: no cover
    def deputy_id(self, name: str) -> int: ...  # pragma: no cover
    def deputy_name(self, deputy_id: int) -> str: ...  # pragma: no cover

    # reads
    def assignments(self, case_id: int, round_: int) -> list[ActiveAssignment]: ...  # pragma: no cover
    def pending_return(self, case_id: int, unit_id: int) -> bool: ...  # pragma: no cover
    def return_window(
        self, case_id: int, unit_id: int
    ) -> tuple[date, datetime] | None: ...  # pragma: no cover
    def pending_returns(
        self, case_id: int, unit_id: int | None
    ) -> list[tuple[int, int]]: ...  # pragma: no cover
    def receipt(
        self, case_id: int, unit_id: int
    ) -> tuple[datetime, datetime | None] | None: ...  # pragma: no cover
    def pending_extension(self, case_id: int) -> tuple[int, int, str] | None: ...  # pragma: no cover
    def pending_reviews(
        self, case_id: int, unit_id: int | None = None
    ) -> list[tuple[int, int, str, datetime]]: ...  # pragma: no cover
    def contacted(self, case_id: int, unit_id: int, round_: int) -> bool: ...  # pragma: no cover
    def attachment_names(self, case_id: int) -> set[str]: ...  # pragma: no cover
    def open_deadlines(
        self, case_id: int, kind: DeadlineKind, unit_id: int | None = None
    ) -> list[tuple[int, date, datetime]]: ...  # pragma: no cover

    # writes now (their ids are needed)
    def insert(self, table: str, row: dict[str, Any]) -> int: ...  # pragma: no cover
    def insert_case(self, row: dict[str, Any]) -> int | None: ...  # pragma: no cover
    def case_id_ahead(self, row: dict[str, Any]) -> int | None: ...  # pragma: no cover

    # writes at flush: each returns the statement, which the flush runs (batched with other cases' same ones)
    def settle(
        self,
        case_id: int,
        kinds: Sequence[str],
        status: str,
        at: datetime,
        unit: int | None,
        any_unit: bool,
        overdue: str | None = None,
    ) -> Write: ...  # pragma: no cover
    def update(
        self, table: str, where: dict[str, Any], values: dict[str, Any]
    ) -> Write: ...  # pragma: no cover
    def move_deadline(self, deadline_id: int, values: Mapping[str, Any]) -> Write: ...  # pragma: no cover
    def prepared(self, values: Mapping[str, Any]) -> Mapping[str, Any]: ...  # pragma: no cover


class UnitOfWork:
    """One case in one transaction, changed by one or more steps."""

    def __init__(
        self,
        store: CaseStore,
        rules: RuleSource,
        row: dict[str, Any],
        *,
        session_name: str,
        notices: bool = True,
        inserted: bool = False,
    ) -> None:
        self.store = store
        self.rules = rules
        self.row = row  # the case as it stands now (each change is applied to it as well)
        self.session_name = session_name
        self.notices = notices  # False: history entered after the fact, no notices (Engine.quietly)
        self.inserted = inserted  # the case row was written by this unit of work: nothing else of it exists
        self.tallies = True  # refresh the case's tallies at flush (escalation steps change nothing they read)
        self.case_id: int = row.get("id") or 0
        self.base_version: int = row["version"]  # the compare-and-set's expectation
        self.changes: dict[str, Any] = {}  # columns of the case row to write back
        self.inserts: dict[str, list[dict[str, Any]]] = {}  # rows to insert at flush, per table
        self.writes: list[Write] = []  # updates to make at flush, in order, before the inserts
        self.events: list[CaseEvent] = []
        self.step_events: list[CaseEvent] = []
        # what the current step writes (its first event records it)
        self.written = Written(row["audit_seq"] + 1)
        self._unsealed: list[Event] = []  # the current step's audit events, hashed when it ends
        self._assignments: list[ActiveAssignment] | None = None
        self.actor: Actor = Actor.system()
        self.at: datetime = row["last_event_at"]
        self.now: datetime = self.at
        self.typed_zone: tzinfo | None = None  # the zone the step's time was given in, to show times in
        self.supersedes: list[int] = []  # events the next step's audit event supersedes (workflow.backfill)

    # ---- steps ----------------------------------------------------------------------------------
    def begin(self, actor: Actor, at: datetime, now: datetime, *, ordered: bool = True) -> None:
        """Start the next step (an action at ``at``, recorded at ``now``); with ``ordered`` a time before the
        case's last event is refused (the reminder sweep records what is due at its own clock)."""
        self.actor, self.at, self.now = actor, at, now
        self.step_events = []
        self.written = Written(self.row["audit_seq"] + 1)
        if ordered:
            self.require_after(self.row["last_event_at"])

    def end(self, *, last_event: bool = True) -> int:
        """Close the step: the case's version goes up by one; returns it. With ``last_event`` the step's time
        becomes the case's last event, before which no later action may be dated (a recomputation, which only
        reschedules, is not)."""
        version: int = self.row["version"] + 1
        if last_event:
            self.set(version=version, last_event_at=self.at)
        else:
            self.set(version=version)
        self._seal()
        return version

    def _seal(self) -> None:
        """Hash the step's audit events, chained, the first with the record of what the step wrote."""
        if not self._unsealed:
            if self.written.ops:
                msg = f"建议 {self.label}: a step wrote rows but recorded no audit event"
                raise RuntimeError(msg)
            return
        rows = chained(self.row["audit_head"], self.written.text(), self._unsealed)
        self.inserts.setdefault("audit_events", []).extend(rows)
        self.set(audit_head=rows[-1]["hash"])
        self._unsealed = []
        self.written = Written(self.row["audit_seq"] + 1)

    def set(self, **values: Any) -> None:
        """Change columns of the case row."""
        self.changes.update(values)
        self.row.update(values)
        self.written.case.update(values)  # Written.set_case, inline: several times a step

    @property
    def state(self) -> State:
        """The case's state."""
        return _STATES[self.row["state"]]

    @property
    def label(self) -> str:
        """How messages name the case: ``SESSION/NUMBER``."""
        return f"{self.session_name}/{self.row['number']}"

    @property
    def round(self) -> int:
        """The handling round (1, then + 1 for each re-handling)."""
        value: int = self.row["round"]
        return value

    @property
    def ruleset(self) -> RuleSet:
        """The rule set the case is pinned to (the congress's current one before assignment)."""
        rid = self.row["ruleset_id"]
        if rid is None:
            return self.active_ruleset()
        return self.rules.get(self.store.conn, rid, self.row["ruleset_version"])

    def active_ruleset(self) -> RuleSet:
        """The congress's current rule set (read with the case when the case was loaded)."""
        rid, version = self.row.get("active_ruleset_id"), self.row.get("active_ruleset_version")
        if rid is None or version is None:
            return self.rules.active(self.store.conn)
        return self.rules.get(self.store.conn, str(rid), int(version))

    def local_date(self, instant: datetime | None = None) -> date:
        """The local date of ``instant`` (default: the step's time) in the rule set's zone."""
        return (instant or self.at).astimezone(self.ruleset.zone).date()

    # ---- assignments ----------------------------------------------------------------------------
    def assignments(self) -> list[ActiveAssignment]:
        """The case's active assignments (read once, kept current by the steps)."""
        if self._assignments is None:
            self._assignments = [] if self.inserted else self.store.assignments(self.case_id, self.round)
        return self._assignments

    def set_assignments(self, units: Iterable[tuple[int, Role]]) -> None:
        """The case's active assignments as this step has just made them."""
        self._assignments = [ActiveAssignment(uid, role) for uid, role in units]

    def mark(self, unit_id: int, *, answered: bool = False, opined: bool = False) -> None:
        """Record that ``unit_id`` has answered or sent its opinion in this round."""
        self._assignments = [
            replace(a, answered=a.answered or answered, opined=a.opined or opined)
            if a.unit_id == unit_id
            else a
            for a in self.assignments()
        ]

    def next_round(self) -> None:
        """Start a new handling round: nobody has answered or sent an opinion in it yet."""
        current = self.assignments()
        self.set(round=self.round + 1)
        self._assignments = [ActiveAssignment(a.unit_id, a.role) for a in current]

    def units_in(self, *roles: Role) -> list[int]:
        """Ids of active units in any of ``roles``."""
        return [a.unit_id for a in self.assignments() if a.role in roles]

    def role_of(self, unit_id: int) -> Role | None:
        """The unit's active role in the case, or None."""
        return next((a.role for a in self.assignments() if a.unit_id == unit_id), None)

    # ---- checks ---------------------------------------------------------------------------------
    @property
    def shown_zone(self) -> tzinfo:
        """Where the times an error names are shown: the zone the step's time was typed in, else the rule set's
        zone, where people read them."""
        typed = self.typed_zone
        return typed if typed is not None and typed.utcoffset(None) != timedelta(0) else self.ruleset.zone

    def require_after(self, last: datetime) -> None:
        """Refuse a step dated before the case's last event (both times shown in :attr:`shown_zone`)."""
        if self.at < last:
            at, before = (
                t.astimezone(self.shown_zone).isoformat(timespec="minutes") for t in (self.at, last)
            )
            raise self.invalid(
                _(
                    "time {at} is before the case's last event ({before}); enter events in the order they happened"
                ).format(at=at, before=before)
            )

    def refuse(self, action: Action, reason: str, *, fields: Iterable[str] = ()) -> TransitionNotAllowed:
        """A refusal naming the case, its state and the action (``fields``: the inputs it asks for)."""
        return TransitionNotAllowed(
            case=self.label, state=self.state.value, action=action.value, reason=reason, fields=fields
        )

    def deny(self, action: Action, reason: str) -> PermissionDenied:
        """A permission error naming the case, the actor and the action."""
        return PermissionDenied(case=self.label, actor=str(self.actor), action=action.value, reason=reason)

    def invalid(
        self, message: str, problems: Iterable[str] = (), *, fields: Iterable[str] = ()
    ) -> ValidationError:
        """A validation error naming the case (``fields``: the inputs it asks for or finds wrong)."""
        return ValidationError(message, case=self.label, problems=problems, fields=fields)

    def require_allowed(self, action: Action) -> None:
        """Refuse ``action`` unless the transition table allows it from the current state."""
        if action not in allowed_actions(self.state):
            raise TransitionNotAllowed(
                case=self.label,
                state=self.state.value,
                action=action.value,
                allowed=[a.value for a in next_actions(self.state)],
                reason=refusal_outside(action),
            )

    def require_office(self, action: Action) -> None:
        """Only the office (or the engine itself) may do ``action``."""
        if self.actor.kind not in (ActorKind.OFFICE, ActorKind.SYSTEM):
            raise self.deny(action, _("only the office (代表工作机构) may do this"))

    # ---- the machine and the audit trail --------------------------------------------------------
    def step(
        self,
        action: Action,
        *,
        view: CaseView | None = None,
        data: dict[str, Any] | None = None,
        actor: Actor | None = None,
        encoded: str | None = None,
    ) -> State:
        """Fire ``action`` on the machine and record the audit event; returns the new state."""
        self.require_allowed(action)
        before = self.state
        view = view or CaseView(before)
        view.state = before
        if not fire(action, view):
            raise self.refuse(action, view.refusal or _("a condition of the transition table refused it"))
        after = view.state
        if after is not before:
            self.set(state=after._value_)  # ``_value_``: the enum's ``value`` without its descriptor's call
        self.audit(action._value_, before, after, data or {}, actor=actor, encoded=encoded)
        return after

    def audit(
        self,
        action: str,
        before: State | None,
        after: State,
        data: dict[str, Any],
        *,
        actor: Actor | None = None,
        encoded: str | None = None,
    ) -> None:
        """Append one audit event (``encoded``: ``canonical(data)`` when the caller has it); it is hashed and
        chained when the step ends."""
        party = actor or self.actor
        who = str(party)
        if party.entered_by:  # the office keyed it in on the party's behalf
            data, encoded = {**data, "entered_by": party.entered_by}, None
        source, target = (before._value_ if before else None), after._value_
        if self.supersedes:  # the first event of a step entered after the fact names what it supersedes
            data, encoded, self.supersedes = {**data, "supersedes": self.supersedes}, None, []
        text = encoded if encoded is not None else canonical(data)
        row = self.row
        seq: int = row["audit_seq"] + 1
        self._unsealed.append(
            (self.case_id, seq, self.at, self.now, who, action, source, target, row["round"], text)
        )
        self.set(audit_seq=seq)
        # by position: a frozen dataclass called with ten keywords costs three times as much
        event = CaseEvent(
            self.case_id,
            row["number"],
            self.session_name,
            action,
            who,
            source,
            target,
            self.at,
            row["version"] + 1,
            data,
        )
        self.events.append(event)
        self.step_events.append(event)

    # ---- deadlines ------------------------------------------------------------------------------
    def open_deadline(
        self,
        kind: DeadlineKind,
        unit_id: int | None,
        *,
        ref_id: int | None = None,
        on: date | None = None,
    ) -> dict[str, Any] | None:
        """Open a deadline of ``kind`` from the step's date (None when the rule set does not apply it).

        ``on`` fixes the last day (a promised date); otherwise the rule set computes it.
        """
        rs = self.ruleset
        begin = self.at.astimezone(rs.zone).date()
        if on is not None:
            if rs.rule(kind) is None:
                return None
            last, raw_last, due_at, roll, provisional = on, on, end_of_day(on, rs.zone), None, False
        else:
            complex_case = bool(self.row["extended"]) and kind is DeadlineKind.ANSWER
            due = rs.due(kind, begin, complex_case=complex_case)
            if due is None:
                return None
            last, raw_last, due_at, roll, provisional = (
                due.end,
                due.raw_end,
                due.due_at,
                due.roll_reason,
                due.provisional,
            )
        name = kind._value_
        values: dict[str, Any] = {
            "start": begin,
            "due": last,
            "raw_due": raw_last,
            "due_at": due_at,
            "roll_reason": roll,
            "provisional": provisional,
            "suggestion_id": self.case_id,
            "kind": name,
            "unit_id": unit_id,
            "round": self.row["round"],
            "ref_id": ref_id,
            "status": _OPEN,
            "version": 1,
            "escalation_step": 0,
            "next_step_at": rs.first_check_at(name, last, due_at),
            "met_at": None,
            "late": None,
        }
        self.add("deadlines", values)
        return values

    def settle_deadlines(
        self,
        kinds: Sequence[DeadlineKind],
        status: DeadlineStatus,
        *,
        unit_id: int | None = None,
        any_unit: bool = True,
        overdue: DeadlineStatus | None = None,
        at: datetime | None = None,
    ) -> None:
        """Mark open deadlines of ``kinds`` met (late when past due) or cancelled: those this unit of work opened
        at once, those in the database at flush. With ``overdue``, those already past due take that status
        instead (a co-unit's opinion waived after its date was missed, not cancelled). ``at``: when they were
        met, when not the step's time (an answer approved after review is met when the unit sent it)."""
        wanted = {k._value_ for k in kinds}
        when = at or self.at
        settled, past_due = status._value_, None if overdue is None else overdue._value_
        self.written.settle(wanted, settled, when, unit_id, any_unit, past_due)
        for d in self.inserts.get("deadlines", ()):
            if d["status"] != _OPEN or d["kind"] not in wanted:
                continue
            if not any_unit and d["unit_id"] != unit_id:
                continue
            past = past_due is not None and d["due_at"] <= when
            d["status"], d["next_step_at"] = past_due if past else settled, None
            if status is DeadlineStatus.MET:
                d["met_at"], d["late"] = when, d["due_at"] <= when
        if not self.inserted:
            self.writes.append(
                self.store.settle(
                    self.case_id,
                    sorted(wanted),
                    settled,
                    when,
                    unit_id,
                    any_unit,
                    past_due,
                )
            )

    def update(self, table: str, where: dict[str, Any], **values: Any) -> None:
        """Update the rows of ``table`` that match ``where`` (column = value; None is NULL): those this unit of
        work buffered at once, those in the database at flush."""
        self.written.update(table, where, values)
        for row in self.inserts.get(table, ()):
            if all(row.get(c) == v for c, v in where.items()):
                row.update(values)
        if not self.inserted:
            self.writes.append(self.store.update(table, where, values))

    def move_deadline(self, deadline_id: int, values: Mapping[str, Any]) -> None:
        """Give a deadline in the database new ``values`` (column → value) at flush; its version goes up, so its
        reminders key anew."""
        self.written.update("deadlines", {"id": deadline_id}, values)
        self.writes.append(self.store.move_deadline(deadline_id, values))

    # ---- rows and notices -----------------------------------------------------------------------
    def add(self, table: str, row: dict[str, Any]) -> None:
        """Insert ``row`` into ``table`` at flush (a row of the case's data is recorded, and gets its
        ``audit_ref``)."""
        if table in ROW_TABLES:
            self.written.insert(table, row)
        self.inserts.setdefault(table, []).append(row)

    def insert_now(self, table: str, row: dict[str, Any]) -> int:
        """Insert ``row`` now, for its id (a later row refers to it); returns the id. A case row waiting for the
        flush (:meth:`insert_case`) goes in first."""
        if table in ROW_TABLES:
            self.written.insert(table, row)
        waiting = self.inserts.pop("suggestions", None)
        if waiting:
            self.store.insert("suggestions", waiting[0])
        return self.store.insert(table, row)

    def insert_case(self, row: dict[str, Any]) -> int | None:
        """Insert the case row now (its id is needed by every other row); its id, or None when its number is
        taken in its session. When the transaction took ids for its new cases ahead (a batch of the ledger
        import: :meth:`~workflow.store.cases.CaseStore.reserve_case_ids`), the row takes the next one and goes in
        at flush instead, before the other rows (a number taken then refuses the whole batch). Its columns are
        recorded as set by the step."""
        case_id = self.store.case_id_ahead(row)
        if case_id is not None:
            self.inserts = {"suggestions": [{"id": case_id, **row}], **self.inserts}
        else:
            case_id = self.store.insert_case(row)
        if case_id is not None:  # a column left out of the record is NULL
            self.written.set_case({column: value for column, value in row.items() if value is not None})
        return case_id

    def notify(
        self,
        topic: str,
        recipient_kind: str,
        recipient_id: int | None,
        payload: dict[str, Any],
        *,
        key: str | None = None,
        available_at: datetime | None = None,
    ) -> None:
        """Queue a notice in the outbox (nothing when notices are off), keyed so that the same change never
        announces twice: by default the case, topic, recipient and the version this step creates."""
        if not self.notices:
            return
        key = (
            key
            or f"case:{self.case_id}:{topic}:{recipient_kind}:{recipient_id or 0}:v{self.row['version'] + 1}"
        )
        body = {
            "number": self.row["number"],
            "session": self.session_name,
            "title": self.row["title"],
            **payload,
        }
        self.add(
            "outbox",
            outbox_row(key, self.case_id, topic, recipient_kind, recipient_id, body, self.now, available_at),
        )


def outbox_row(
    key: str,
    case_id: int | None,
    topic: str,
    recipient_kind: str,
    recipient_id: int | None,
    payload: dict[str, Any],
    now: datetime,
    available_at: datetime | None = None,
) -> dict[str, Any]:
    """One pending outbox row: the only place its columns are spelled out."""
    return {
        "key": key,
        "suggestion_id": case_id,
        "topic": topic,
        "recipient_kind": recipient_kind,
        "recipient_id": recipient_id,
        "payload": canonical(payload),
        "status": "pending",
        "created_at": now,
        "available_at": available_at or now,
        "attempts": 0,
    }
