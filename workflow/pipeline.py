"""The one write path: lock → unit of work → handler → flush → commit → publish.

A single action is a batch of one (:meth:`Pipeline.run`); the yearly batch assignment (:meth:`Pipeline.run_many`),
the ledger import (:meth:`Pipeline.replay`) and the reminder sweep (:meth:`Pipeline.batch`) run many units of
work through the same steps, in one transaction, so a fix to the write path is made once.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Connection

from rules import RuleSet
from rules.i18n import _
from workflow.actions import (
    Command,
    Convert,
    Extend,
    Reassign,
    Receive,
    RefuseExtension,
    RefuseReturn,
    RequestExtension,
    RequestReturn,
    Submit,
    handler_for,
    new_case_row,
)
from workflow.backfill import make_room
from workflow.core.clock import FUTURE_SLACK, Clock, ensure_utc, not_future
from workflow.core.errors import Conflict, PermissionDenied, ValidationError, WorkflowError
from workflow.core.states import ActorKind, State
from workflow.core.text import cleaned
from workflow.core.unit_of_work import UnitOfWork
from workflow.core.views import Actor, CaseEvent, Change
from workflow.store.cases import CaseStore, flush
from workflow.store.database import Database
from workflow.store.directory import Directory
from workflow.store.rulesets import RuleSets
from workflow.store.scope import scope_of
from workflow.store.sql import Raw

__all__ = ["Batch", "Pipeline", "Step"]

# commands that read or update rows an earlier step of the same unit of work may have buffered (return requests,
# assignments, deadlines, promises): in a replayed history, what came before them is flushed first (:meth:`Batch.checkpoint`)
_SEES_WRITTEN = (
    Receive,
    RequestReturn,
    RefuseReturn,
    Reassign,
    Extend,
    RequestExtension,
    RefuseExtension,
    Convert,
)


@dataclass(frozen=True, slots=True)
class Step:
    """One action of a replayed history: the command, when it happened, the state it needs (else skipped) and
    who did it (default: the replay's actor)."""

    command: Command
    at: datetime
    needs: State | None = None
    actor: Actor | None = None


@dataclass
class Batch:
    """The units of work of one transaction; flushed together when the block ends."""

    pipeline: Pipeline
    store: CaseStore
    works: list[UnitOfWork] = field(default_factory=list)
    active: RuleSet | None = None  # the congress's active rule set, read once for new cases that go on
    flushed: list[UnitOfWork] = field(default_factory=list)  # written early (:meth:`checkpoint`), to publish

    def open(self, row: dict[str, Any], session_name: str, *, inserted: bool = False) -> UnitOfWork:
        """A unit of work on the case ``row`` (locked by the caller), flushed with the batch."""
        work = UnitOfWork(
            self.store,
            self.pipeline.rules,
            row,
            session_name=session_name,
            notices=self.pipeline.notices,
            inserted=inserted,
        )
        self.works.append(work)
        return work

    def new_case(self, session: tuple[int, str], number: str, at: datetime) -> UnitOfWork:
        """A unit of work on a case about to be registered (the Submit command inserts it); when the batch has
        read the congress's active rule set (:attr:`active`), the row names it, as a loaded case's row does."""
        row = new_case_row(session[0], number, at)
        if self.active is not None:
            row |= {"active_ruleset_id": self.active.id, "active_ruleset_version": self.active.version}
        return self.open(row, session[1], inserted=True)

    def checkpoint(self, work: UnitOfWork, *, what: str) -> UnitOfWork:
        """Write what ``work`` holds now, within the transaction, and go on with a new unit of work on its case,
        which reads those rows as written (a step reading or updating rows an earlier step buffered needs it)."""
        flush(self.store.raw, [work], what=what)
        self.works.remove(work)
        self.flushed.append(work)
        row = self.store.load(self.pipeline.directory.congress_id, str(work.row["number"]), work.session_name)
        assert row is not None  # locked by this transaction, which has just written it
        return self.open(row, str(row.pop("session_name")))

    def drop(self, work: UnitOfWork) -> None:
        """Leave ``work`` out of the flush (it failed; nothing of it was written)."""
        self.works.remove(work)

    @staticmethod
    def apply(
        work: UnitOfWork, command: Command, *, actor: Actor, at: datetime, now: datetime, late: bool = False
    ) -> Change:
        """Run ``command`` as the next step of ``work`` (its texts checked first: see :func:`cleaned`). With
        ``late`` (a person's action entered after the fact) the reminder sweep's steps recorded after ``at`` give
        way first, within the step (:func:`~workflow.backfill.make_room`)."""
        if actor.is_public:
            raise PermissionDenied(
                case=work.label,
                actor=str(actor),
                action=type(command).__name__.lower(),
                reason=_("the public reads alone"),
            )
        try:
            command = cleaned(command)
        except ValidationError as exc:
            raise work.invalid(str(exc)) from None
        work.begin(actor, at, now, ordered=not late)
        if late:
            make_room(work, Raw(work.store.conn), at)
            work.require_after(work.row["last_event_at"])
        handler_for(command)(work, command)
        version = work.end()
        return Change(
            work.row["number"], work.session_name, work.row["state"], version, tuple(work.step_events)
        )


class Pipeline:
    """Runs commands on cases of one congress."""

    def __init__(
        self,
        db: Database,
        directory: Directory,
        rules: RuleSets,
        clock: Clock,
        publish: Callable[[Iterable[CaseEvent]], None],
    ) -> None:
        self.db = db
        self.directory = directory
        self.rules = rules
        self.clock = clock
        self.publish = publish
        self._local = threading.local()

    @property
    def notices(self) -> bool:
        """Whether actions in this thread write notices (see :meth:`quietly`)."""
        return not getattr(self._local, "quiet", False)

    @contextmanager
    def quietly(self) -> Iterator[None]:
        """Within the block (in this thread), actions write no notices."""
        before = getattr(self._local, "quiet", False)
        self._local.quiet = True
        try:
            yield
        finally:
            self._local.quiet = before

    def when(self, at: datetime | None) -> tuple[datetime, datetime]:
        """(when it happened, now): ``at`` checked (aware, not in the future), or now."""
        now = ensure_utc(self.clock.now(), what="clock time")
        if at is None:
            return now, now
        try:
            at = ensure_utc(at, what="--at")
        except ValueError as exc:
            raise ValidationError(str(exc)) from None
        if at > now + FUTURE_SLACK:  # said in the rule set's zone, where people read times
            not_future(at, now, what="time", zone=self.rules.active().zone, hint="enter what has happened")
        return at, now

    @contextmanager
    def batch(self, *, what: str) -> Iterator[Batch]:
        """One transaction: the units of work opened in the block are flushed and committed together, then
        their events published."""
        with self.db.transaction() as conn:
            batch = Batch(self, CaseStore(conn, self.directory, self.db.dialect))
            yield batch
            flush(batch.store.raw, batch.works, what=what)
        for work in [*batch.flushed, *batch.works]:
            self.publish(work.events)

    def sees(self, conn: Connection, actor: Actor, case_id: int) -> bool:
        """Whether ``actor`` may act on case ``case_id`` at all (:mod:`workflow.store.scope`): a case out of its
        scope is "not found" to it, as to a reader."""
        return actor.is_office or scope_of(conn, self.directory, actor).sees(conn, case_id)

    # ---- one action ----------------------------------------------------------------------------
    def run(
        self,
        number: str,
        command: Command,
        *,
        actor: Actor | None = None,
        at: datetime | None = None,
        session: str | None = None,
        expected_version: int | None = None,
    ) -> Change:
        """Run ``command`` on case ``number`` of ``session`` (the current one by default)."""
        who = actor or Actor.office()
        number = number.strip()
        with self.batch(what=f"{command.action.value} {number}") as batch:
            late = False
            if isinstance(command, Submit):
                at, now = self.when(at)
                work = batch.new_case(self.directory.session_ref(batch.store.conn, session), number, at)
            else:
                row = batch.store.load(self.directory.congress_id, number, session)
                if row is None or not self.sees(batch.store.conn, who, row["id"]):
                    raise self.directory.case_not_found(batch.store.conn, number, session)
                # "now" is read once the case is locked, so that writers queued behind each other stay in order
                explicit = at is not None
                typed = at.tzinfo if at is not None else None
                at, now = self.when(at)
                # another host's clock may run a little ahead: an action at "now" follows its last event; a
                # last event further ahead is not moved to (the action is refused as out of order)
                if not explicit and at < row["last_event_at"] <= at + FUTURE_SLACK:
                    at = row["last_event_at"]
                work = batch.open(row, str(row.pop("session_name")))
                work.typed_zone = typed
                if expected_version is not None and row["version"] != expected_version:
                    raise Conflict(case=work.label, expected=expected_version, found=row["version"])
                late = explicit and at < row["last_event_at"] and who.kind is not ActorKind.SYSTEM
            change = batch.apply(work, command, actor=who, at=at, now=now, late=late)
        return change

    # ---- many cases ----------------------------------------------------------------------------
    def run_many(
        self,
        orders: Sequence[tuple[str, Command]],
        *,
        actor: Actor | None = None,
        at: datetime | None = None,
        session: str | None = None,
        what: str = "batch",
        nothing: str = "nothing written",
    ) -> list[Change]:
        """Run each ``(number, command)`` in one transaction, all or nothing: when any fails, nothing is written
        and the error lists every failure."""
        at, now = self.when(at)
        who = actor or Actor.office()
        numbers = [n for n, _order in orders]
        if len(set(numbers)) != len(numbers):
            dupes = sorted({n for n in numbers if numbers.count(n) > 1})
            raise ValidationError(_("a batch names a case twice"), problems=dupes)
        changes: list[Change] = []
        problems: list[str] = []
        with self.batch(what=what) as batch:
            sid, session_name = self.directory.session_ref(batch.store.conn, session)
            rows = batch.store.load_numbers(sid, numbers)
            for number, command in orders:
                row = rows.get(number)
                if row is None or not self.sees(batch.store.conn, who, row["id"]):
                    problems.append(_("建议 {case}: not found").format(case=f"{session_name}/{number}"))
                    continue
                work = batch.open(row, str(row.pop("session_name")))
                try:
                    changes.append(batch.apply(work, command, actor=who, at=at, now=now))
                except WorkflowError as exc:
                    batch.drop(work)
                    problems.append(str(exc))
            if problems:
                raise ValidationError(
                    _("{what} refused: {count} of {count2} order(s) failed, {nothing}").format(
                        what=what, count=len(problems), count2=len(orders), nothing=nothing
                    ),
                    problems=problems,
                )
        return changes

    def replay(
        self,
        histories: Sequence[tuple[str, Submit, datetime | None, Sequence[Step]]],
        *,
        session: str | None = None,
        actor: Actor | None = None,
        names: tuple[Sequence[str], Sequence[str]] = ((), ()),
    ) -> tuple[list[str], list[str]]:
        """Register each ``(number, submit, at, steps)`` case and run its steps, in one transaction: the ledger
        import's batches. The units and deputies of ``names`` (units, deputies) the congress lacks are added
        first, in the same transaction. Any refusal stops the whole batch; nothing of it is written (a number
        another writer took meanwhile too, at the flush: a batch of one names it). The cases' ids are taken
        ahead, so that their rows go in together at the flush. Returns the units and deputies added."""
        who = actor or Actor.office()
        with self.batch(what="ledger import") as batch:
            added = self.directory.add_missing(batch.store.conn, *names)
            where = self.directory.session_ref(batch.store.conn, session)
            batch.active = self.rules.active(batch.store.conn)  # their assignments pin it
            if len(histories) > 1:  # their rows go in at flush; a batch of one inserts its case at once
                batch.store.reserve_case_ids(len(histories))
            for number, submit, submitted_at, steps in histories:
                at, now = self.when(submitted_at)
                work = batch.new_case(where, number, at)
                batch.apply(work, submit, actor=who, at=at, now=now)
                for step in steps:
                    if step.needs is not None and work.state is not step.needs:
                        continue
                    if isinstance(step.command, _SEES_WRITTEN):
                        work = batch.checkpoint(work, what="ledger import")
                    at, now = self.when(step.at)
                    batch.apply(work, step.command, actor=step.actor or who, at=at, now=now)
        return added
