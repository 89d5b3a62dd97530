"""The reminder sweep: the escalation ladders' due steps, recorded once, in batches.

Every open deadline carries ``next_step_at``, the instant the sweep must look at it next (its next ladder step
or, for a feedback window that closes the case, its end; never later). A sweep reads the deadlines with
``next_step_at <= now`` through an index, so its work is proportional to what is due, never to the number of
cases. For each, in one transaction per batch, it

- records the latest step that has come due: the deadline's ``escalation_step``, the case's
  ``escalation_level`` (overdue steps only), one audit event ``escalate`` and one outbox row per recipient
  keyed ``step:{case}:{deadline}:v{deadline version}:{step}:{recipient}``, unique; steps that came due while
  no sweep ran are not sent late but named in the event as ``skipped``;
- closes an answered case whose feedback window ended without feedback (action ``lapse``), when the case's
  rule set says so (``lifecycle.close_without_feedback``);
- moves ``next_step_at`` on to the following step (NULL when nothing is left).

The case rows are locked (PostgreSQL: ``FOR UPDATE SKIP LOCKED``, so a second daemon takes other cases; SQLite:
the write lock) and the deadlines re-read under the lock, so running the sweep twice, or in two daemons at
once, records nothing twice. A notice not marked urgent is made available at the next working hour of the
rule set's calendar.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from rules import DeadlineKind, Recipient, RuleSet, StepTime
from workflow.actions import Lapse, handler_for
from workflow.core.audit import canonical
from workflow.core.clock import ensure_utc, not_future
from workflow.core.states import DeadlineStatus, State
from workflow.core.unit_of_work import UnitOfWork
from workflow.core.views import Actor
from workflow.recompute import no_cycle_collection
from workflow.store.sql import as_date, as_instant
from workflow.store.steps import Names, active_mains, due_cases, move_steps, names, upcoming_steps

if TYPE_CHECKING:
    from workflow.engine import Engine
    from workflow.pipeline import Batch

__all__ = ["ForecastItem", "StepRecord", "SweepReport", "forecast", "sweep"]


@dataclass(frozen=True, slots=True)
class StepRecord:
    """A ladder step the sweep recorded (or, in a dry run, would record), or a feedback window it closed."""

    case: str  # SESSION/NUMBER
    deadline_id: int
    kind: str
    due: date
    step: int | None  # the step's index in its ladder; None for a closed feedback window
    action: str  # the step's action (reminder, cuiban, …) or "lapse"
    label: str
    fires_at: datetime
    recipients: tuple[str, ...]  # unit:ID, deputy:ID, office
    skipped: tuple[str, ...] = ()  # earlier steps that came due unrecorded
    names: tuple[str, ...] = ()  # the recipients by name, in the order of ``recipients``

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return {
            "case": self.case,
            "deadline": self.deadline_id,
            "kind": self.kind,
            "due": self.due.isoformat(),
            "step": self.step,
            "action": self.action,
            "label": self.label,
            "fires_at": self.fires_at.isoformat(),
            "recipients": list(self.recipients),
            "recipient_names": list(self.names),
            "skipped": list(self.skipped),
        }


@dataclass
class SweepReport:
    """What one sweep did."""

    looked: int = 0  # deadlines looked at
    steps: int = 0  # ladder steps recorded
    notices: int = 0  # outbox rows written
    lapsed: int = 0  # feedback windows closed without feedback
    skipped_cases: int = 0  # cases another writer held (taken by a later sweep)
    records: list[StepRecord] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class ForecastItem:
    """A ladder step (or the end of a feedback window) that will come due."""

    at: datetime
    case: str
    kind: str
    due: date
    action: str
    label: str
    recipients: tuple[str, ...]
    why: str  # in English, as the JSON gives it; the text output words it from kind, due and offset
    offset: int | None = None  # the ladder step's working days from the due date (None: a feedback window)

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return {
            "at": self.at.isoformat(),
            "case": self.case,
            "kind": self.kind,
            "due": self.due.isoformat(),
            "action": self.action,
            "label": self.label,
            "recipients": list(self.recipients),
            "why": self.why,
        }


def _due_steps(
    times: tuple[StepTime, ...], taken: int, due_at: datetime, now: datetime
) -> tuple[list[StepTime], list[StepTime], int]:
    """The steps come due at ``now`` after the ``taken`` ones: (those to record, of which the sweep sends the
    last; before-due steps whose date has passed, which are not sent; the new count of steps taken)."""
    fired = [t for t in times[taken:] if t.at <= now]
    new_step = fired[-1].index + 1 if fired else taken
    stale: list[StepTime] = []
    if due_at <= now:  # a reminder before the due date is not sent once the date has passed
        stale = [t for t in fired if t.step.offset < 0]
        fired = [t for t in fired if t.step.offset >= 0]
    return fired, stale, new_step


def _overdue_rank(times: tuple[StepTime, ...], index: int) -> int:
    """The escalation level a step stands for: how many overdue steps (offset > 0) up to and including it."""
    return sum(1 for t in times[: index + 1] if t.step.offset > 0)


def _why(kind: str, due: date, offset: int) -> str:
    if offset < 0:
        return f"{kind} due {due.isoformat()}: {-offset} working day(s) before"
    if offset == 0:
        return f"{kind} due {due.isoformat()}: on the day"
    return f"{kind} due {due.isoformat()}: {offset} working day(s) after"


def _recipients(
    wanted: Iterable[Recipient],
    *,
    owing: int | None,
    deputy: int | None,
    mains: list[int],
    directory: Names,
) -> list[tuple[str, int | None]]:
    found: list[tuple[str, int | None]] = []
    for who in wanted:
        if who is Recipient.OWING_UNIT:
            found.append(("unit", owing) if owing is not None else ("deputy", deputy))
        elif who is Recipient.PARENT_UNIT:
            parent = directory.parent(owing)
            if parent is not None:
                found.append(("unit", parent))
        elif who is Recipient.MAIN_UNIT:
            found.extend(("unit", m) for m in mains if m != owing)
        elif who is Recipient.OFFICE:
            found.append(("office", None))
        else:
            found.append(("deputy", deputy))
    unique: list[tuple[str, int | None]] = []
    for item in found:
        if item not in unique and (item[0] == "office" or item[1] is not None):
            unique.append(item)
    return unique


def _label(kind: str, rid: int | None) -> str:
    return kind if rid is None else f"{kind}:{rid}"


def sweep(
    engine: Engine, *, now: datetime | None = None, batch: int = 1000, dry_run: bool = False
) -> SweepReport:
    """Record every ladder step due at ``now`` (default: the engine clock), in transactions of ``batch``
    deadlines. With ``dry_run`` nothing is written: the report lists what would be recorded (at most ``batch``
    deadlines' worth)."""
    engine.require_office("remind")
    wall = ensure_utc(engine.clock.now(), what="clock time")
    moment = wall if now is None else ensure_utc(now, what="now")
    if not dry_run:  # a dry run may look ahead; what is recorded has happened
        hint = (
            "the sweep records what is due, not what will be: look ahead with `jianyi forecast` or --dry-run"
        )
        not_future(moment, wall, what="now", zone=engine.active_ruleset().zone, hint=hint)
    report = SweepReport()
    memo = _Moment(moment)  # what the batches derive from the sweep's time, worked out once for them all
    with no_cycle_collection():
        while True:
            done, found = _batch(engine, memo, wall, batch, report, dry_run=dry_run)
            if dry_run or found < batch or done == 0:
                break
    return report


class _DryRun(Exception):
    """Raised inside a dry run's transaction to roll it back."""


def _batch(
    engine: Engine, moment: _Moment, wall: datetime, size: int, report: SweepReport, *, dry_run: bool
) -> tuple[int, int]:
    """One transaction of the steps due at ``moment.now``, recorded at the clock's ``wall`` time: returns
    (deadlines handled, candidates found)."""
    done, candidates = 0, list[tuple[Any, ...]]()
    try:
        with engine.pipeline.batch(what="reminder sweep") as batch:
            candidates, cases = due_cases(batch.store, engine.congress_id, moment.now, size)
            if not candidates:
                return 0, 0
            report.skipped_cases += len({r[1] for r in candidates}) - len(cases)
            done = _record(batch, moment, wall, candidates, cases, report)
            if dry_run:
                raise _DryRun
    except _DryRun:
        pass
    return done, len(candidates)


def _record(
    batch: Batch,
    moment: _Moment,
    wall: datetime,
    candidates: list[tuple[Any, ...]],
    cases: dict[int, dict[str, Any]],
    report: SweepReport,
) -> int:
    raw = batch.store.raw
    now = moment.now
    leads = {int(c["lead_deputy_id"]) for c in cases.values() if c.get("lead_deputy_id") is not None}
    directory = names(raw, deputy_ids=leads)  # the deputies a step may go to, by name in the report
    mains = active_mains(raw, list(cases))
    moves: list[dict[str, Any]] = []
    done = 0
    system = Actor.system()
    by_case: dict[int, list[tuple[Any, ...]]] = {}
    for row in candidates:
        if row[1] in cases:
            by_case.setdefault(row[1], []).append(row)
    for case_id, rows in by_case.items():
        case = cases[case_id]
        work = batch.open(case, str(case.pop("session_name")))
        work.begin(system, now, wall, ordered=False)
        # a step leaves its deadline open with the same dates, and a lapse misses only the feedback window: nothing
        # a tally reads changes (were a step to settle an answer deadline, answer_due_at would need a refresh)
        work.tallies = False
        rs = work.ruleset
        level = int(case["escalation_level"])
        for deadline_id, _, kind, unit_id, round_, due_value, due_at_value, version, step, status in rows:
            done += 1
            if status != DeadlineStatus.OPEN.value:  # settled by a path that left the pointer: clear it
                moves.append({"id": deadline_id, "step": step, "next": None})
                continue
            report.looked += 1
            due, due_at = as_date(due_value), as_instant(due_at_value)
            assert due_at is not None
            times, fired, stale, new_step = moment.due_steps(rs, kind, due, round_, step, due_at)
            if fired and work.state not in (State.CLOSED, State.WITHDRAWN):
                latest = fired[-1]
                level = max(level, _overdue_rank(times, latest.index))
                who = _recipients(
                    latest.step.recipients,
                    owing=unit_id,
                    deputy=case["lead_deputy_id"],
                    mains=mains.get(case_id, []),
                    directory=directory,
                )
                record = StepRecord(
                    case=work.label,
                    deadline_id=deadline_id,
                    kind=kind,
                    due=due,
                    step=latest.index,
                    action=latest.step.action,
                    label=latest.step.label or latest.step.action,
                    fires_at=latest.at,
                    recipients=tuple(_label(k, r) for k, r in who),
                    names=tuple(_named(k, r, directory) for k, r in who),
                    skipped=tuple(t.step.label or t.step.action for t in [*stale, *fired[:-1]]),
                )
                _notify(
                    work,
                    rs,
                    record,
                    latest,
                    who,
                    unit=directory.name(unit_id),
                    version=version,
                    moment=moment,
                    level=level,
                )
                report.steps += 1
                report.notices += len(who)
                report.records.append(record)
            lapse = (
                kind == DeadlineKind.FEEDBACK.value
                and rs.lifecycle.close_without_feedback
                and due_at <= now
                and work.state is State.ANSWERED
            )
            if lapse:
                skipped = tuple(t.step.label or t.step.action for t in stale)
                command = Lapse(deadline_id, due, due_at, skipped)
                handler_for(command)(work, command)
                report.lapsed += 1
                report.records.append(
                    StepRecord(
                        work.label,
                        deadline_id,
                        kind,
                        due,
                        None,
                        "lapse",
                        "反馈期满未反馈",
                        due_at,
                        (),
                        skipped,
                    )
                )
                continue  # the deadline is settled
            later = [t.at for t in times[new_step:]]
            if kind == DeadlineKind.FEEDBACK.value and rs.lifecycle.close_without_feedback and due_at > now:
                later.append(due_at)
            moves.append(
                {"id": deadline_id, "step": new_step, "next": raw.value(min(later) if later else None)}
            )
        if level != case["escalation_level"]:
            work.set(escalation_level=level)
        if work.events:
            work.end()
        else:
            batch.drop(work)
    move_steps(raw, moves)
    return done


@dataclass
class _Moment:
    """The sweep's time, with what it costs to derive from it memoised per rule set (and due date)."""

    now: datetime
    _late: dict[tuple[tuple[str, int], date], int] = field(default_factory=dict)
    _send: dict[tuple[str, int], datetime] = field(default_factory=dict)
    encoded: dict[tuple[Any, ...], str] = field(default_factory=dict)
    _due: dict[tuple[Any, ...], tuple[tuple[StepTime, ...], list[StepTime], list[StepTime], int]] = field(
        default_factory=dict
    )

    def due_steps(
        self, rs: RuleSet, kind: str, due: date, round_: int, taken: int, due_at: datetime
    ) -> tuple[tuple[StepTime, ...], list[StepTime], list[StepTime], int]:
        """The ladder of a deadline and, of its steps after the ``taken`` ones, those come due now (see
        :func:`_due_steps`): the same for every deadline of the same kind, round, due date and progress, which
        many of a sweep's share. The lists are shared: read them, never change them."""
        key = (rs.key, kind, due, round_, taken, due_at)
        found = self._due.get(key)
        if found is None:
            times = rs.step_times(kind, due, round_)
            found = self._due[key] = (times, *_due_steps(times, taken, due_at, self.now))
        return found

    def working_days_late(self, rs: RuleSet, due: date) -> int:
        """Working days from ``due`` to today (negative: still to come)."""
        key = (rs.key, due)
        found = self._late.get(key)
        if found is None:
            today = self.now.astimezone(rs.zone).date()
            found = self._late[key] = rs.work_calendar.working_days_between(due, today)
        return found

    def send_at(self, rs: RuleSet) -> datetime:
        """When a notice that is not urgent may go out."""
        found = self._send.get(rs.key)
        if found is None:
            found = self._send[rs.key] = rs.next_sending_time(self.now)
        return found


def _notify(
    tx: UnitOfWork,
    rs: RuleSet,
    record: StepRecord,
    latest: StepTime,
    who: list[tuple[str, int | None]],
    *,
    unit: str | None,
    version: int,
    moment: _Moment,
    level: int,
) -> None:
    days = moment.working_days_late(rs, record.due)
    data = {
        "deadline": record.kind,
        "due": record.due.isoformat(),
        "step": latest.index,
        "action": record.action,
        "label": record.label,
        "recipients": list(record.recipients),
        "skipped": list(record.skipped),
        "level": level,
    }
    # many cases share a step, a due date and a unit: their events' data are the same text
    memo = (
        record.kind,
        record.due,
        latest.index,
        record.action,
        record.label,
        record.recipients,
        record.skipped,
        level,
    )
    encoded = moment.encoded.get(memo)
    if encoded is None:
        encoded = moment.encoded[memo] = canonical(data)
    tx.audit("escalate", tx.state, tx.state, data, encoded=encoded)
    available = moment.now if latest.step.urgent else moment.send_at(rs)
    for kind, rid in who:
        tx.notify(
            latest.step.template,
            kind,
            rid,
            {
                "kind": record.kind,
                "deadline_id": record.deadline_id,
                "due": record.due.isoformat(),
                "unit": unit,
                "step": record.label,
                "action": record.action,
                "level": level,
                "urgent": latest.step.urgent,
                "working_days_left": max(-days, 0),
                "working_days_late": max(days, 0),
            },
            key=f"step:{tx.case_id}:{record.deadline_id}:v{version}:{latest.index}:{kind}:{rid or 0}",
            available_at=available,
        )


def forecast(
    engine: Engine, *, now: datetime | None = None, days: int = 30, unit: str | None = None
) -> list[ForecastItem]:
    """Which ladder steps (and feedback-window ends) come due in the next ``days`` days, for whom and why;
    optionally only for deadlines ``unit`` owes."""
    engine.require_office("forecast")
    moment = ensure_utc(now or engine.clock.now(), what="now")
    horizon = moment + timedelta(days=days)
    items: list[ForecastItem] = []
    with engine.db.reading() as conn:
        unit_id = None if unit is None else engine.directory.unit_id(conn, unit)
        upcoming = upcoming_steps(conn, engine.congress_id, horizon, unit_id)
    rows, mains, directory = upcoming.rows, upcoming.mains, upcoming.names
    for row in rows:
        _, case_id, kind, unit_id, round_, due_value, due_at_value, _, step, status = row[:10]
        session, number, deputy, rid, rversion, state = row[10:]
        if (
            rid is None
            or status != DeadlineStatus.OPEN.value
            or state in (State.CLOSED.value, State.WITHDRAWN.value)
        ):
            continue
        rs = engine.ruleset(rid, rversion)
        due, due_at = as_date(due_value), as_instant(due_at_value)
        assert due_at is not None
        label = f"{session}/{number}"
        times = rs.step_times(kind, due, round_)
        fired, _, taken = _due_steps(times, step, due_at, moment)
        for t in [*fired[-1:], *times[taken:]]:  # what the next sweep records, then what comes later
            if t.at > horizon:
                break
            who = _recipients(
                t.step.recipients,
                owing=unit_id,
                deputy=deputy,
                mains=mains.get(case_id, []),
                directory=directory,
            )
            items.append(
                ForecastItem(
                    at=max(t.at, moment),
                    case=label,
                    kind=kind,
                    due=due,
                    action=t.step.action,
                    label=t.step.label or t.step.action,
                    recipients=tuple(_named(k, r, directory) for k, r in who),
                    why=_why(kind, due, t.step.offset),
                    offset=t.step.offset,
                )
            )
        if kind == DeadlineKind.FEEDBACK.value and rs.lifecycle.close_without_feedback and due_at <= horizon:
            items.append(
                ForecastItem(
                    max(due_at, moment),
                    label,
                    kind,
                    due,
                    "lapse",
                    "反馈期满未反馈",
                    (),
                    f"feedback due {due.isoformat()}: the case closes without feedback",
                )
            )
    items.sort(key=lambda i: (i.at, i.case))
    return items


def _named(kind: str, rid: int | None, directory: Names) -> str:
    if kind == "unit":
        return directory.name(rid) or f"unit {rid}"
    if kind == "deputy":
        return directory.deputy(rid) or f"deputy {rid}"
    return "代表工作机构"
