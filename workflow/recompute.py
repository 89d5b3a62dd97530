"""Recomputing open deadlines in bulk: after a year's official schedule is loaded, or a rule set applied.

Work goes case by case in chunks, each chunk one transaction: the open deadlines of the chunk's cases are
recomputed from their start dates (memoised per start date, kind and rule set, so a million cases cost a
few hundred period computations), the rows that change get their new due date and a bumped version, and each
changed case gets one hash-chained audit event that says what moved and why, with its version
compare-and-set like any action.
"""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from rules import DeadlineKind, Due, RuleSet
from workflow.core.audit import audit_row, canonical, instant_text
from workflow.core.errors import BatchConflict, WorkflowError
from workflow.core.states import FINAL_STATES
from workflow.store.sql import Raw, as_date, update_sql

if TYPE_CHECKING:
    from workflow.pipeline import Pipeline

__all__ = ["RecomputeReport", "Selection", "event_data", "no_cycle_collection", "recompute"]

_FINAL = tuple(s.value for s in FINAL_STATES)


@dataclass
class RecomputeReport:
    """What a recomputation changed."""

    cases_checked: int = 0
    cases_changed: int = 0
    deadlines_moved: int = 0
    deadlines_cancelled: int = 0
    still_provisional: int = 0
    moves: list[dict[str, Any]] = field(default_factory=list)  # the first few, for display


@dataclass(frozen=True, slots=True)
class Selection:
    """Which open deadlines of which open cases to recompute (SQL on ``s``, the case, and ``d``, a deadline)."""

    cases: str
    deadlines: str
    params: dict[str, Any]

    @classmethod
    def touching(cls, first: datetime, last: date) -> Selection:
        """The deadlines of assigned cases whose period runs between the instant ``first`` and the day ``last``."""
        return cls(
            "s.ruleset_id IS NOT NULL",
            "d.due_at > :first AND d.start < :last",
            {"first": first, "last": last},
        )

    @classmethod
    def not_on(cls, rule_id: str, version: int, congress_id: int) -> Selection:
        """Every assigned case of the congress pinned to another rule set version than ``rule_id@version``."""
        return cls(
            "s.ruleset_id IS NOT NULL AND NOT (s.ruleset_id = :id AND s.ruleset_version = :v) "
            "AND s.session_id IN (SELECT id FROM sessions WHERE congress_id = :c)",
            "1 = 1",
            {"c": congress_id, "id": rule_id, "v": version},
        )


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
    case_filter, deadline_filter, params = selection.cases, selection.deadlines, selection.params
    db = pipeline.db
    with db.reading() as conn:
        bounds = Raw(conn).all(f"SELECT min(s.id), max(s.id) FROM suggestions s WHERE {case_filter}", params)[
            0
        ]
    if bounds[0] is None:
        return report
    final = ", ".join(f"'{state}'" for state in _FINAL)
    on_deadline = (
        f"d.suggestion_id = s.id AND d.status = 'open' AND d.kind <> 'promise' AND {deadline_filter}"
    )
    on_case = f"s.id BETWEEN :lo AND :hi AND s.state NOT IN ({final}) AND {case_filter}"
    columns = (
        "SELECT s.id, s.number, s.state, s.round, s.version, s.audit_seq, s.audit_head, s.extended, s.ruleset_id, "
        "s.ruleset_version, d.id, d.kind, d.start, d.due, d.provisional, d.roll_reason FROM suggestions s "
    )
    postgres = db.postgres
    if repin is not None:  # every selected case, with or without open deadlines
        sql = f"{columns}LEFT JOIN deadlines d ON {on_deadline} WHERE {on_case}"
    elif postgres:
        sql = f"{columns}JOIN deadlines d ON {on_deadline} WHERE {on_case}"
    else:  # CROSS JOIN keeps SQLite on the case-id range (its planner would scan the due-date index per chunk)
        sql = f"{columns}CROSS JOIN deadlines d WHERE {on_deadline} AND {on_case}"
    sql += " ORDER BY s.id, d.id"
    sql += db.dialect.lock("s")
    work = _Pass(pipeline, report, action, reason, at, now, repin)
    first, last = int(bounds[0]), int(bounds[1])
    with no_cycle_collection(), db.bulk():
        saved = None  # cases changed in the chunks committed so far
        for lo in range(first, last + 1, chunk):
            try:
                with db.transaction() as conn:
                    raw = Raw(conn)
                    _chunk(work, raw, raw.all(sql, {**params, "lo": lo, "hi": lo + chunk - 1}))
            except WorkflowError as exc:
                if saved is None:
                    raise
                msg = (
                    f"{exc}. The recomputation ({reason}) stopped there: {saved} case(s) before "
                    "it were recomputed and saved; run the same command again to finish (it moves only what is "
                    "still to move)"
                )
                raise WorkflowError(msg) from exc
            saved = report.cases_changed
            if progress is not None:
                progress(min(lo + chunk, last + 1) - first)
    return report


@dataclass
class _Pass:
    """What every chunk of one recomputation shares."""

    pipeline: Pipeline
    report: RecomputeReport
    action: str
    reason: str
    at: datetime
    now: datetime
    repin: RuleSet | None
    memo: dict[tuple[str, int, str, str, bool], tuple[Due, dict[str, Any]] | None] = field(
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


def _chunk(work: _Pass, raw: Raw, rows: list[tuple[Any, ...]]) -> None:
    rules, memo, report, repin = work.pipeline.rules, work.memo, work.report, work.repin
    action, reason, at, now = work.action, work.reason, work.at, work.now
    # rows: the case's columns (0–9) then one open deadline's (10–15), or NULLs; ordered by case id
    groups: dict[int, list[tuple[Any, ...]]] = {}
    for row in rows:
        groups.setdefault(row[0], []).append(row)
    at_db, now_db = raw.value(at), raw.value(now)
    at_text, now_text = instant_text(at), instant_text(now)
    answer = DeadlineKind.ANSWER.value
    rulesets: dict[tuple[str, int], RuleSet] = {}
    deadline_updates: list[dict[str, Any]] = []
    cancels: list[dict[str, Any]] = []
    audits: list[dict[str, Any]] = []
    cas: list[dict[str, Any]] = []
    for case_id, case_rows in groups.items():
        _, number, state, round_, version, audit_seq, audit_head, extended, ruleset_id, ruleset_version = (
            case_rows[0][:10]
        )
        report.cases_checked += 1
        if not ruleset_id:  # not assigned yet: no deadlines, and assignment pins the active rule set
            continue
        rs = repin or rulesets.get((ruleset_id, ruleset_version))
        if rs is None:
            rs = rulesets[(ruleset_id, ruleset_version)] = rules.get(None, ruleset_id, ruleset_version)
        moved: list[dict[str, Any]] = []
        for row in case_rows:
            deadline_id, kind, start, due, provisional, roll_reason = row[10:]
            if deadline_id is None:
                continue
            complex_case = bool(extended) and kind == answer
            key = (rs.id, rs.version, kind, str(start)[:10], complex_case)
            found = memo.get(key, _MISSING)
            if found is _MISSING:
                found = memo[key] = _compute(raw, rs, kind, start, complex_case)
            old_due = str(due)[:10]
            if found is None:
                cancels.append({"id": deadline_id})
                moved.append({"kind": kind, "from": old_due, "to": None})
                report.deadlines_cancelled += 1
                continue
            new, stored = found
            report.still_provisional += new.provisional
            if (
                stored["due_text"] == old_due
                and new.provisional == bool(provisional)
                and new.roll_reason == roll_reason
            ):
                continue
            deadline_updates.append({"id": deadline_id, **stored["row"]})
            moved.append(
                {"kind": kind, "from": old_due, "to": stored["due_text"], "provisional": new.provisional}
            )
        repinned = repin is not None and (ruleset_id, ruleset_version) != (repin.id, repin.version)
        if not moved and not repinned:
            continue
        report.cases_changed += 1
        report.deadlines_moved += sum(1 for m in moved if m["to"] is not None)
        if len(report.moves) < 20:
            report.moves.extend({"number": number, **m} for m in moved[: 20 - len(report.moves)])
        ruleset = (
            {"from": f"{ruleset_id}@{ruleset_version}", "to": f"{repin.id}@{repin.version}"}
            if repinned and repin is not None
            else None
        )
        seq = audit_seq + 1
        text = event_data(reason, moved, ruleset)
        event = audit_row(
            prev=audit_head,
            case_id=case_id,
            seq=seq,
            at=at_text,
            recorded_at=now_text,
            actor="system",
            action=action,
            from_state=state,
            to_state=state,
            round_=round_,
            data=text,
            stored=(at_db, now_db),
        )
        audits.append(event)
        digest = event["hash"]
        values: dict[str, Any] = {"version": version + 1, "audit_seq": seq, "audit_head": digest}
        if repin is not None:
            values |= {"ruleset_id": repin.id, "ruleset_version": repin.version}
        cas.append({**values, "b_id": case_id, "b_version": version})
    raw.many(
        "UPDATE deadlines SET due = :due, raw_due = :raw_due, due_at = :due_at, roll_reason = :roll_reason, "
        "provisional = :provisional, next_step_at = :next_step_at, version = version + 1 WHERE id = :id",
        deadline_updates,
        prepared=True,
    )
    raw.many(
        "UPDATE deadlines SET status = 'cancelled', next_step_at = NULL WHERE id = :id",
        cancels,
        prepared=True,
    )
    raw.insert_many("audit_events", audits, prepared=True)
    if cas:
        columns = tuple(k for k in cas[0] if not k.startswith("b_"))
        sql = update_sql("suggestions", columns, "id = :b_id AND version = :b_version")
        touched = raw.many(sql, cas, prepared=True)
        if touched not in (-1, len(cas)):
            raise BatchConflict(what=f"recomputation ({reason})", expected=len(cas), found=touched)


_MISSING: Any = object()


def _compute(
    raw: Raw, rs: RuleSet, kind: str, start: Any, complex_case: bool
) -> tuple[Due, dict[str, Any]] | None:
    """The recomputed deadline and its stored form (memoised by the caller)."""
    new = rs.due(DeadlineKind(kind), as_date(start), complex_case=complex_case)
    if new is None:
        return None
    # the sweep looks again from the ladder's first step: steps already taken stay taken (the deadline keeps its
    # escalation step), so a moved due date re-sends nothing
    row = {
        "due": raw.value(new.end),
        "raw_due": raw.value(new.raw_end),
        "due_at": raw.value(new.due_at),
        "roll_reason": new.roll_reason,
        "provisional": raw.value(new.provisional),
        "next_step_at": raw.value(rs.first_check_at(kind, new.end, new.due_at)),
    }
    return new, {"due_text": new.end.isoformat(), "row": row}
