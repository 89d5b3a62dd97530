"""A person's action entered after the fact, dated before steps the reminder sweep has since recorded.

Paper comes late: a unit's answer dated 08-15 reaches the office after the sweep recorded an overdue step on
08-17. Such an action is accepted when everything the case recorded after its date is the sweep's own steps
(``escalate``, ``lapse``); an action of a person (or what followed from one) after that date still refuses it,
since the history would then no longer be in the order it happened.

The sweep's steps after the date are **superseded**, never deleted: they stay in the audit trail as they were,
and the new action's event names them (``supersedes``: their event numbers). Their effects are undone before
the action applies: the escalation level is what the standing steps left; a superseded ``lapse`` reopens the
case (answered again, its feedback window open); each deadline a superseded step concerned has its reminder
ladder set back to the steps still standing, so that the next sweep records again what is still due once the
action has applied (an answer that settles its deadline leaves nothing to record); notices of superseded steps
not yet sent are suppressed, saying why.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from rules import DeadlineKind
from rules.i18n import _
from workflow.core.audit import superseded
from workflow.core.states import ActorKind, DeadlineStatus
from workflow.core.unit_of_work import UnitOfWork
from workflow.core.views import HistoryEntry
from workflow.store.backfill import case_events, ladder_deadlines, suppress_step_notices

if TYPE_CHECKING:
    from workflow.store.sql import Raw

__all__ = ["SWEEP_STEPS", "make_room"]

SWEEP_STEPS = frozenset({"escalate", "lapse"})  # the reminder sweep's own steps, which give way


def make_room(work: UnitOfWork, raw: Raw, at: datetime) -> None:
    """Before a person's action dated ``at`` on ``work``'s case: supersede the sweep's steps recorded after
    ``at`` (see the module), so that the action is in order. Refuses, naming it, when a later event is not the
    sweep's; does nothing when no event is later."""
    events = case_events(raw, work.case_id)
    gone = superseded((e.seq, e.data) for e in events)
    standing = [e for e in events if e.seq not in gone]
    later = [e for e in standing if e.at > at]
    if not later:
        return
    person = next((e for e in reversed(later) if not _sweep_step(e)), None)
    if person is not None:
        zone = work.shown_zone
        when, last = (t.astimezone(zone).isoformat(timespec="minutes") for t in (at, person.at))
        raise work.invalid(
            _(
                "time {when} is before the case's {action} of {last} ({actor}); enter events in the order they happened (only the reminder sweep's steps give way to an action entered later)"
            ).format(when=when, action=person.action, last=last, actor=person.actor)
        )
    rs = work.ruleset
    kept = [e for e in standing if e.at <= at]
    level = max((int(e.data.get("level", 0)) for e in kept if e.action == "escalate"), default=0)
    work.set(escalation_level=level, last_event_at=max(e.at for e in kept))
    lapse = next((e for e in later if e.action == "lapse"), None)
    reopened: set[int] = set()
    deadlines = ladder_deadlines(raw, work.case_id)
    if lapse is not None and lapse.from_state is not None:
        work.set(state=lapse.from_state, closed_at=None)
        reopened = {
            d.id
            for d in deadlines
            if d.kind == DeadlineKind.FEEDBACK.value
            and d.status == DeadlineStatus.MISSED.value
            and d.due.isoformat() == lapse.data.get("feedback_due")
        }
    hit = {(e.data.get("deadline"), e.data.get("due")) for e in later if e.action == "escalate"}
    for d in deadlines:
        which = (d.kind, d.due.isoformat())
        if d.id not in reopened and (d.status != DeadlineStatus.OPEN.value or which not in hit):
            continue
        taken = max(
            (int(e.data.get("step", -1)) + 1 for e in kept if e.action == "escalate" and _about(e) == which),
            default=0,
        )
        times = [t.at for t in rs.step_times(d.kind, d.due, d.round)[taken:]]
        if d.kind == DeadlineKind.FEEDBACK.value and rs.lifecycle.close_without_feedback:
            times.append(d.due_at)
        values: dict[str, object] = {"escalation_step": taken, "next_step_at": min(times) if times else None}
        if d.id in reopened:
            values |= {"status": DeadlineStatus.OPEN.value, "met_at": None, "late": None}
        work.update("deadlines", {"id": d.id}, **values)
    work.writes.append(suppress_step_notices(raw, work.case_id, min(e.recorded_at for e in later)))
    work.supersedes = [e.seq for e in later]


def _sweep_step(event: HistoryEntry) -> bool:
    return event.actor == ActorKind.SYSTEM.value and event.action in SWEEP_STEPS


def _about(event: HistoryEntry) -> tuple[object, object]:
    """The deadline an escalation concerns: (kind, due date)."""
    return event.data.get("deadline"), event.data.get("due")
