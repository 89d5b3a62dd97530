"""One action, one transaction: the machinery every engine action runs through.

A :class:`Tx` holds the case row as it was read, the changes to write back, the audit events and the
committed-event records. :meth:`Tx.finish` writes it all: the compare-and-set on the case's version, the
hash-chained audit rows, in the transaction the caller opened. Nothing is sent from here: notices are
outbox rows, delivered after commit by the notifications package.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection

from rules import DeadlineKind, RuleSet, end_of_day
from workflow.core.audit import canonical, chain_hash
from workflow.core.errors import (
    BatchConflict,
    Conflict,
    PermissionDenied,
    TransitionNotAllowed,
    ValidationError,
)
from workflow.core.machine import CaseView, allowed_actions, fire
from workflow.core.states import Action, ActorKind, DeadlineStatus, Role, State
from workflow.core.views import Actor, CaseEvent
from workflow.store import tally
from workflow.store.sql import Raw, as_instant, update_sql

if TYPE_CHECKING:
    from workflow.engine import Engine

__all__ = ["ActiveAssignment", "Tx", "case_row", "write_deferred"]

_ACTIVE_ASSIGNMENTS = (
    "SELECT a.id, a.unit_id, a.role, a.since, "
    "EXISTS (SELECT 1 FROM answers x WHERE x.suggestion_id = a.suggestion_id AND x.unit_id = a.unit_id "
    "AND x.round = :round) AS answered, "
    "EXISTS (SELECT 1 FROM opinions o WHERE o.suggestion_id = a.suggestion_id AND o.unit_id = a.unit_id "
    "AND o.round = :round) AS opined "
    "FROM assignments a WHERE a.suggestion_id = :sid AND a.until IS NULL ORDER BY a.id"
)


@dataclass(frozen=True, slots=True)
class ActiveAssignment:
    """A unit's current part in a case."""

    id: int
    unit_id: int
    role: Role
    since: datetime
    answered: bool = False  # has answered in the current round
    opined: bool = False  # has sent its opinion in the current round


class Tx:
    """The working state of one action on one case inside one database transaction."""

    def __init__(
        self,
        engine: Engine,
        conn: Connection,
        row: dict[str, Any],
        *,
        session_name: str,
        actor: Actor,
        at: datetime,
        now: datetime,
    ) -> None:
        self.engine = engine
        self.conn = conn
        self.raw = Raw(conn)
        self.row = row
        self.session_name = session_name
        self.actor = actor
        self.at = at
        self.now = now
        self.case_id: int = row["id"]
        self.state = State(row["state"])
        self.changes: dict[str, Any] = {}
        self.buffer: dict[str, list[dict[str, Any]]] = {}  # rows to insert at finish, per table
        self.cas: tuple[str, dict[str, Any]] | None = None
        self._audit_rows: list[dict[str, Any]] = []
        self.events: list[CaseEvent] = []
        self._assignments: list[ActiveAssignment] | None = None
        # refresh the case's tallies at finish (an action that writes nothing they read may clear it)
        self.tallied = True
        # a chain of actions in one transaction (see :meth:`then`): the version the case row had before the
        # first, the deadline rows its actions buffered, whether the case has no rows in the database but its
        # own, and whether a later action of the chain writes the case row for this one
        self.base_version: int = row["version"]
        self.buffered_deadlines: list[dict[str, Any]] = []
        self.fresh = False
        self.superseded = False
        # history entered after the fact: no notices (Engine.quietly)
        self.quiet: bool = getattr(engine._local, "quiet", False)

    # ---- identity and facts -------------------------------------------------------------------
    @property
    def label(self) -> str:
        """How messages name the case: ``SESSION/NUMBER``."""
        return f"{self.session_name}/{self.row['number']}"

    @property
    def round(self) -> int:
        """The handling round (1, then + 1 for each re-handling)."""
        value: int = self.changes.get("round", self.row["round"])
        return value

    @property
    def ruleset(self) -> RuleSet:
        """The rule set the case is pinned to (the congress's current one before assignment)."""
        rid = self.changes.get("ruleset_id", self.row["ruleset_id"])
        version = self.changes.get("ruleset_version", self.row["ruleset_version"])
        if rid is None:
            return self.active_ruleset()
        return self.engine.ruleset(self.conn, rid, version)

    def active_ruleset(self) -> RuleSet:
        """The congress's current rule set (read with the case), which an assignment pins."""
        rid, version = self.row.get("active_ruleset_id"), self.row.get("active_ruleset_version")
        if rid is None or version is None:
            return self.engine.active_ruleset(self.conn)
        return self.engine.ruleset(self.conn, str(rid), int(version))

    def assignments(self) -> list[ActiveAssignment]:
        """The case's active assignments (loaded once per transaction, kept current by this class)."""
        if self._assignments is None:
            self._assignments = [
                ActiveAssignment(r[0], r[1], Role(r[2]), as_instant(r[3]) or self.at, bool(r[4]), bool(r[5]))
                for r in self.raw.all(_ACTIVE_ASSIGNMENTS, {"sid": self.case_id, "round": self.round})
            ]
        return self._assignments

    def set_assignments(self, units: Iterable[tuple[int, Role]]) -> None:
        """The case's active assignments as this action has just made them (none, for a new case)."""
        self._assignments = [ActiveAssignment(0, uid, role, self.at) for uid, role in units]

    def mark(self, unit_id: int, *, answered: bool = False, opined: bool = False) -> None:
        """Record that ``unit_id`` has answered or sent its opinion in this round (later actions of a chain
        read it)."""
        self._assignments = [
            replace(a, answered=a.answered or answered, opined=a.opined or opined)
            if a.unit_id == unit_id
            else a
            for a in self.assignments()
        ]

    def units_in(self, *roles: Role) -> list[int]:
        """Ids of active units in any of ``roles``."""
        return [a.unit_id for a in self.assignments() if a.role in roles]

    def role_of(self, unit_id: int) -> Role | None:
        """The unit's active role in the case, or None."""
        for a in self.assignments():
            if a.unit_id == unit_id:
                return a.role
        return None

    def local_date(self, instant: datetime | None = None) -> date:
        """The local date of ``instant`` (default: the action's time) in the rule set's zone."""
        return (instant or self.at).astimezone(self.ruleset.zone).date()

    def then(self, at: datetime, now: datetime, actor: Actor | None = None) -> Tx:
        """The next action on this case in the same transaction, at ``at``, after this one's deferred finish.

        The case row as this action leaves it, its assignments and its buffered deadlines carry over; the chain
        writes one compare-and-set (from :attr:`base_version`, by its last action) and every action's rows and
        audit events. Used by batch imports to replay a case's whole history at once.
        """
        assert self.cas is not None, "finish(defer=True) first"
        row = {**self.row, **self.cas[1]}
        del row["b_id"], row["b_version"]
        nxt = Tx(
            self.engine,
            self.conn,
            row,
            session_name=self.session_name,
            actor=actor or self.actor,
            at=at,
            now=now,
        )
        nxt.require_after(self.at)
        nxt.changes = dict(self.changes)
        nxt.base_version = self.base_version
        nxt.buffered_deadlines = self.buffered_deadlines
        nxt.fresh, nxt.quiet = self.fresh, self.quiet
        if self._assignments is not None:
            same_round = row["round"] == self.row["round"]
            nxt._assignments = [
                a if same_round else ActiveAssignment(a.id, a.unit_id, a.role, a.since)
                for a in self._assignments
            ]
        self.superseded = True
        return nxt

    # ---- checks -------------------------------------------------------------------------------
    def require_after(self, last: datetime) -> None:
        """Refuse an action dated before the case's last event."""
        if self.at < last:
            raise self.invalid(
                f"time {self.at.isoformat()} is before the case's last event ({last.isoformat()}); "
                "enter events in the order they happened"
            )

    def refuse(self, action: Action, reason: str) -> TransitionNotAllowed:
        """A refusal naming the case, its state and the action."""
        return TransitionNotAllowed(
            case=self.label, state=self.state.value, action=action.value, reason=reason
        )

    def deny(self, action: Action, reason: str) -> PermissionDenied:
        """A permission error naming the case, the actor and the action."""
        return PermissionDenied(case=self.label, actor=str(self.actor), action=action.value, reason=reason)

    def invalid(self, message: str, problems: Iterable[str] = ()) -> ValidationError:
        """A validation error naming the case."""
        return ValidationError(message, case=self.label, problems=problems)

    def require_allowed(self, action: Action) -> None:
        """Refuse ``action`` unless the transition table allows it from the current state."""
        allowed = allowed_actions(self.state)
        if action not in allowed:
            raise TransitionNotAllowed(
                case=self.label,
                state=self.state.value,
                action=action.value,
                allowed=[a.value for a in allowed],
            )

    def require_office(self, action: Action) -> None:
        """Only the office (or the engine itself) may do ``action``."""
        if self.actor.kind not in (ActorKind.OFFICE, ActorKind.SYSTEM):
            raise self.deny(action, "only the office (代表工作机构) may do this")

    # ---- the machine --------------------------------------------------------------------------
    def step(
        self,
        action: Action,
        *,
        view: CaseView | None = None,
        data: dict[str, Any] | None = None,
        actor: Actor | None = None,
    ) -> State:
        """Fire ``action`` on the machine and record the audit event; returns the new state."""
        self.require_allowed(action)
        view = view or CaseView(self.state)
        view.state = self.state
        if not fire(action, view):
            raise self.refuse(action, view.refusal or "a condition of the transition table refused it")
        before, after = self.state, view.state
        self.state = after
        if after is not before:
            self.changes["state"] = after.value
        self.audit(action, before, after, data or {}, actor=actor)
        return after

    def audit(
        self,
        action: Action | str,
        before: State | None,
        after: State,
        data: dict[str, Any],
        *,
        actor: Actor | None = None,
        encoded: str | None = None,
    ) -> None:
        """Queue one audit event (hash-chained when :meth:`finish` writes it); ``encoded``: ``canonical(data)``
        when the caller has it already."""
        who = str(actor or self.actor)
        name = action.value if isinstance(action, Action) else action
        source, target = (before.value if before else None), after.value
        self._audit_rows.append(
            {
                "action": name,
                "actor": who,
                "from_state": source,
                "to_state": target,
                "round": self.round,
                "data": encoded if encoded is not None else canonical(data),
            }
        )
        self.events.append(
            CaseEvent(
                case_id=self.case_id,
                number=self.row["number"],
                session=self.session_name,
                action=name,
                actor=who,
                from_state=source,
                to_state=target,
                at=self.at,
                version=self.row["version"] + 1,
                data=data,
            )
        )

    # ---- deadlines ----------------------------------------------------------------------------
    def open_deadline(
        self,
        kind: DeadlineKind,
        unit_id: int | None,
        *,
        start: datetime | None = None,
        ref_id: int | None = None,
        on: date | None = None,
    ) -> dict[str, Any] | None:
        """Insert an open deadline of ``kind`` (None when the rule set does not apply it).

        ``on`` fixes the last day (a promised date); otherwise the rule set computes it from ``start``.
        """
        rs = self.ruleset
        begin = self.local_date(start)
        if on is not None:
            if rs.rule(kind) is None:
                return None
            values: dict[str, Any] = {
                "start": begin,
                "due": on,
                "raw_due": on,
                "due_at": end_of_day(on, rs.zone),
                "roll_reason": None,
                "provisional": False,
            }
        else:
            complex_case = bool(self.changes.get("extended", self.row["extended"]))
            due = rs.due(kind, begin, complex_case=complex_case and kind is DeadlineKind.ANSWER)
            if due is None:
                return None
            values = {
                "start": begin,
                "due": due.end,
                "raw_due": due.raw_end,
                "due_at": due.due_at,
                "roll_reason": due.roll_reason,
                "provisional": due.provisional,
            }
        values |= {
            "suggestion_id": self.case_id,
            "kind": kind.value,
            "unit_id": unit_id,
            "round": self.round,
            "ref_id": ref_id,
            "status": DeadlineStatus.OPEN.value,
            "version": 1,
            "escalation_step": 0,
            "next_step_at": rs.first_check_at(kind, values["due"], values["due_at"]),
            "met_at": None,
            "late": None,
        }
        self.add("deadlines", values)
        self.buffered_deadlines.append(values)
        return values

    def settle_deadlines(
        self,
        kinds: Sequence[DeadlineKind],
        status: DeadlineStatus,
        *,
        unit_id: int | None = None,
        any_unit: bool = True,
    ) -> int:
        """Mark open deadlines of ``kinds`` met (late when past due) or cancelled; returns how many.

        Deadlines this transaction (or its chain) opened and has not written yet are settled in memory too.
        """
        wanted = {k.value for k in kinds}
        settled, open_ = 0, DeadlineStatus.OPEN.value
        for d in self.buffered_deadlines:
            if d["status"] != open_ or d["kind"] not in wanted:
                continue
            if not any_unit and d["unit_id"] != unit_id:
                continue
            d["status"], d["next_step_at"] = status.value, None
            if status is DeadlineStatus.MET:
                d["met_at"], d["late"] = self.at, d["due_at"] <= self.at
            settled += 1
        if self.fresh:  # nothing of this case's is in the database yet
            return settled
        met = ", met_at = :at, late = (due_at <= :at)" if status is DeadlineStatus.MET else ""
        marks, params = Raw.in_list("k", sorted(wanted))
        sql = (
            f"UPDATE deadlines SET status = :status, next_step_at = NULL{met} "
            f"WHERE suggestion_id = :sid AND status = 'open' AND kind IN {marks}"
        )
        params |= {"status": status.value, "sid": self.case_id, "at": self.at}
        if not any_unit:
            if unit_id is None:
                sql += " AND unit_id IS NULL"
            else:
                sql += " AND unit_id = :unit"
                params["unit"] = unit_id
        return settled + self.raw.run(sql, params)

    # ---- outbox -------------------------------------------------------------------------------
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
        """Write a notice to the outbox, keyed so that the same change never announces twice (nothing in a
        quiet transaction: see :meth:`Engine.quietly`).

        The default key names the case, topic, recipient and the case version this change creates.
        """
        if self.quiet:
            return
        version = self.row["version"] + 1
        key = key or f"case:{self.case_id}:{topic}:{recipient_kind}:{recipient_id or 0}:v{version}"
        body = {
            "number": self.row["number"],
            "session": self.session_name,
            "title": self.row["title"],
            **payload,
        }
        self.add_all(
            "outbox",
            [
                {
                    "key": key,
                    "suggestion_id": self.case_id,
                    "topic": topic,
                    "recipient_kind": recipient_kind,
                    "recipient_id": recipient_id,
                    "payload": canonical(body),
                    "status": "pending",
                    "created_at": self.now,
                    "available_at": available_at or self.now,
                    "attempts": 0,
                }
            ],
        )

    # ---- writing back -------------------------------------------------------------------------
    def add(self, table: str, row: dict[str, Any]) -> None:
        """Insert ``row`` into ``table`` when the transaction finishes (nothing in the action reads it back)."""
        self.buffer.setdefault(table, []).append(row)

    def add_all(self, table: str, rows: list[dict[str, Any]]) -> None:
        """Insert ``rows`` into ``table`` when the transaction finishes."""
        self.buffer.setdefault(table, []).extend(rows)

    def finish(self, *, defer: bool = False) -> int:
        """Write the buffered rows and the audit events, and compare-and-set the case row.

        With ``defer`` nothing is written: the caller (a batch) writes :attr:`buffer` and :attr:`cas` for many
        cases at once. Returns the new version.
        """
        seq: int = self.row["audit_seq"]
        head: str = self.row["audit_head"]
        rows = []
        for event in self._audit_rows:
            seq += 1
            row = {
                **event,
                "suggestion_id": self.case_id,
                "seq": seq,
                "at": self.at,
                "recorded_at": self.now,
                "prev_hash": head,
            }
            head = chain_hash(
                prev=head,
                case_id=self.case_id,
                seq=seq,
                at=self.at,
                recorded_at=self.now,
                actor=event["actor"],
                action=event["action"],
                from_state=event["from_state"],
                to_state=event["to_state"],
                round_=event["round"],
                data=event["data"],
            )
            row["hash"] = head
            rows.append(row)
        self.add_all("audit_events", rows)
        version: int = self.row["version"] + 1
        values = {
            **self.changes,
            "version": version,
            "audit_seq": seq,
            "audit_head": head,
            "last_event_at": self.at,
        }
        self.cas = (
            update_sql("suggestions", tuple(values), "id = :b_id AND version = :b_version"),
            {**values, "b_id": self.case_id, "b_version": self.base_version},
        )
        if not defer:
            for table, pending in self.buffer.items():
                self.raw.insert_many(table, pending)
            if self.raw.run(*self.cas) != 1:
                raise Conflict(case=self.label, expected=self.row["version"])
            if self.tallied:
                tally.refresh(self.raw, [self.case_id])
        return version


def write_deferred(raw: Raw, txs: Sequence[Tx], *, what: str) -> None:
    """Write what many deferred transactions buffered: one statement per table, the compare-and-sets batched
    (one per case: the last action of a chain, see :meth:`Tx.then`), then the cases' tallies.

    The case rows are locked (or the write lock held), so a compare-and-set that misses is a bug, not a race.
    """
    tables: dict[str, list[dict[str, Any]]] = {}
    updates: dict[str, list[dict[str, Any]]] = {}
    for tx in txs:
        for table, pending in tx.buffer.items():
            tables.setdefault(table, []).extend(pending)
        assert tx.cas is not None
        if not tx.superseded:  # a chain's last action writes the case row for all of them
            updates.setdefault(tx.cas[0], []).append(tx.cas[1])
    for table, pending in tables.items():
        raw.insert_many(table, pending)
    for sql, param_sets in updates.items():
        touched = raw.many(sql, param_sets)
        if touched not in (-1, len(param_sets)):
            raise BatchConflict(what=what, expected=len(param_sets), found=touched)
    tally.refresh(raw, [tx.case_id for tx in txs if tx.tallied])


def case_row(row: dict[str, Any]) -> dict[str, Any]:
    """A case row read by raw SQL, with the types the transaction relies on."""
    row["last_event_at"] = as_instant(row["last_event_at"])
    row["extended"] = bool(row["extended"])
    return row
