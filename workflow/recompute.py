"""Recomputing open deadlines in bulk: after a year's official schedule is loaded, or a rule set applied.

Work goes by ranges of case ids, each range one batch of the write pipeline (one transaction): the open
deadlines of the range's cases are recomputed from their start dates (memoised per start date, kind and rule
set, so a million cases cost a few hundred period computations); each case whose deadlines move (or whose rule
set is replaced) becomes a unit of work, a system step that moves the deadlines (their versions go up, so
their reminders key anew), records one hash-chained audit event saying what moved and why, and is flushed
with the others, its version compare-and-set like any action's. A recomputation is not an event of the case's
history: it does not move the case's last-event time, so paper records dated before it can still be entered.
"""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from rules import DeadlineKind, Due, RuleSet
from rules.i18n import _
from workflow.core.audit import canonical
from workflow.core.errors import WorkflowError
from workflow.core.views import Actor
from workflow.store.selections import SelectedCase, Selection, id_range, read_range

if TYPE_CHECKING:
    from workflow.pipeline import Batch, Pipeline

__all__ = ["RecomputeReport", "Selection", "event_data", "no_cycle_collection", "recompute"]


@dataclass
class RecomputeReport:
    """What a recomputation changed."""

    cases_checked: int = 0
    cases_changed: int = 0
    deadlines_moved: int = 0
    deadlines_cancelled: int = 0
    still_provisional: int = 0
    moves: list[dict[str, Any]] = field(default_factory=list)  # the first few, for display


def event_data(reason: str, moved: list[dict[str, Any]], ruleset: dict[str, str] | None) -> str:
    """``canonical({"deadlines": moved, "reason": reason, "ruleset": …})``, assembled from cached pieces
    (a million cases share a handful of distinct moves)."""
    items = ",".join(_move_json(m["kind"], m["from"], m["to"], m.get("provisional")) for m in moved)
    parts = [f'"deadlines":[{items}]', f'"reason":{_json_text(reason)}']
    if ruleset is not None:
        parts.append(f'"ruleset":{canonical(ruleset)}')
    return "{" + ",".join(parts) + "}"


@lru_cache(maxsize=4096)
def _json_text(value: str) -> str:
    return canonical(value)


@lru_cache(maxsize=65536)
def _move_json(kind: str, old: str, new: str | None, provisional: bool | None) -> str:
    item: dict[str, Any] = {"kind": kind, "from": old, "to": new}
    if provisional is not None:
        item["provisional"] = provisional
    return canonical(item)


def recompute(
    pipeline: Pipeline,
    selection: Selection,
    *,
    action: str,
    reason: str,
    at: datetime,
    now: datetime,
    repin: RuleSet | None = None,
    chunk: int = 5000,
    progress: Callable[[int], None] | None = None,
) -> RecomputeReport:
    """Recompute the open deadlines ``selection`` names.

    With ``repin`` every selected case moves to that rule set version, with or without open deadlines, and its
    deadlines follow the new periods. Work goes by ranges of case ids, ``chunk`` ids a transaction.
    """
    report = RecomputeReport()
    with pipeline.db.reading() as conn:
        bounds = id_range(conn, selection)
    if bounds is None:
        return report
    work = _Pass(pipeline, report, action, reason, at, now, repin)
    first, last = bounds
    with no_cycle_collection(), pipeline.db.bulk():
        saved = None  # cases changed in the ranges committed so far
        for lo in range(first, last + 1, chunk):
            try:
                with pipeline.batch(what=_("recomputation ({reason})").format(reason=reason)) as batch:
                    _range(work, batch, read_range(batch.store, selection, lo, lo + chunk - 1))
            except WorkflowError as exc:
                if saved is None:
                    raise
                msg = _(
                    "{exc}. The recomputation ({reason}) stopped there: {saved} case(s) before it were recomputed and saved; run the same command again to finish (it moves only what is still to move)"
                ).format(exc=exc, reason=reason, saved=saved)
                raise WorkflowError(msg) from exc
            saved = report.cases_changed
            if progress is not None:
                progress(min(lo + chunk, last + 1) - first)
    return report


@dataclass
class _Pass:
    """What every range of one recomputation shares."""

    pipeline: Pipeline
    report: RecomputeReport
    action: str
    reason: str
    at: datetime
    now: datetime
    repin: RuleSet | None
    memo: dict[tuple[str, int, str, Any, bool], tuple[Due, dict[str, Any]] | None] = field(
        default_factory=dict
    )


@contextmanager
def no_cycle_collection() -> Iterator[None]:
    """Pause Python's cyclic garbage collector for a bulk pass that makes no reference cycles (walking its
    large batches cost a sixth of a million-case recomputation)."""
    collecting = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if collecting:
            gc.enable()


def _range(work: _Pass, batch: Batch, cases: list[SelectedCase]) -> None:
    """Move what changed among ``cases``: one unit of work per changed case, flushed with the batch."""
    rules, memo, report, repin = work.pipeline.rules, work.memo, work.report, work.repin
    answer = DeadlineKind.ANSWER.value
    rulesets: dict[tuple[str, int], RuleSet] = {}
    changed: list[tuple[SelectedCase, list[dict[str, Any]], list[tuple[int, dict[str, Any]]]]] = []
    for case in cases:
        report.cases_checked += 1
        key_rs = (case.ruleset_id, case.ruleset_version)
        rs = repin or rulesets.get(key_rs)
        if rs is None:
            rs = rulesets[key_rs] = rules.get(batch.store.conn, *key_rs)
        moved: list[dict[str, Any]] = []
        writes: list[tuple[int, dict[str, Any]]] = []
        for d in case.deadlines:
            complex_case = case.extended and d.kind == answer
            key = (rs.id, rs.version, d.kind, d.start, complex_case)
            found = memo.get(key, _MISSING)
            if found is _MISSING:
                found = memo[key] = _compute(rs, d.kind, d.start, complex_case, batch.store.prepared)
            old_due = d.due.isoformat()
            if found is None:
                writes.append((d.id, _CANCELLED))
                moved.append({"kind": d.kind, "from": old_due, "to": None})
                report.deadlines_cancelled += 1
                continue
            new, stored = found
            report.still_provisional += new.provisional
            if new.end == d.due and new.provisional == d.provisional and new.roll_reason == d.roll_reason:
                continue
            writes.append((d.id, stored))
            moved.append(
                {"kind": d.kind, "from": old_due, "to": stored["due_text"], "provisional": new.provisional}
            )
        if moved or (repin is not None and key_rs != (repin.id, repin.version)):
            changed.append((case, moved, writes))
    if not changed:
        return
    rows = batch.store.load_ids([case.id for case, _, _ in changed])
    system = Actor.system()
    for case, moved, writes in changed:
        row = rows[case.id]
        uow = batch.open(row, str(row.pop("session_name")))
        uow.begin(system, work.at, work.now, ordered=False)
        # a moved answer deadline moves the case's answer_due_at tally; other dates change nothing a tally reads
        uow.tallies = any(m["kind"] == answer for m in moved)
        for deadline_id, values in writes:
            uow.move_deadline(deadline_id, values["row"])
        ruleset = None
        if repin is not None and (case.ruleset_id, case.ruleset_version) != (repin.id, repin.version):
            ruleset = {
                "from": f"{case.ruleset_id}@{case.ruleset_version}",
                "to": f"{repin.id}@{repin.version}",
            }
            uow.set(ruleset_id=repin.id, ruleset_version=repin.version)
        data: dict[str, Any] = {"deadlines": moved, "reason": work.reason}
        if ruleset is not None:
            data["ruleset"] = ruleset
        uow.audit(work.action, uow.state, uow.state, data, encoded=event_data(work.reason, moved, ruleset))
        uow.end(last_event=False)
        report.cases_changed += 1
        report.deadlines_moved += sum(1 for m in moved if m["to"] is not None)
        if len(report.moves) < 20:
            report.moves.extend({"number": row["number"], **m} for m in moved[: 20 - len(report.moves)])


_MISSING: Any = object()
# a deadline the new periods no longer give (its kind has no period any more) no longer applies
_CANCELLED: dict[str, Any] = {"row": {"status": "cancelled", "next_step_at": None}}


def _compute(
    rs: RuleSet,
    kind: str,
    start: Any,
    complex_case: bool,
    prepared: Callable[[Mapping[str, Any]], Mapping[str, Any]],
) -> tuple[Due, dict[str, Any]] | None:
    """The recomputed deadline and its stored form, ``prepared`` once for the many cases that share it
    (memoised by the caller)."""
    new = rs.due(DeadlineKind(kind), start, complex_case=complex_case)
    if new is None:
        return None
    # the sweep looks again from the ladder's first step: steps already taken stay taken (the deadline keeps its
    # escalation step), so a moved due date re-sends nothing
    row = {
        "due": new.end,
        "raw_due": new.raw_end,
        "due_at": new.due_at,
        "roll_reason": new.roll_reason,
        "provisional": new.provisional,
        "next_step_at": rs.first_check_at(kind, new.end, new.due_at),
    }
    return new, {"due_text": new.end.isoformat(), "row": prepared(row)}
