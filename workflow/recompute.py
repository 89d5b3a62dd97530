"""Recomputing open deadlines in bulk: after a year's official schedule is loaded, or a rule set applied.

Work goes case by case in chunks, each chunk one transaction: the open deadlines of the chunk's cases are
recomputed from their start dates (memoised per start date, kind and rule set, so a million cases cost a
few hundred period computations), the rows that change get their new due date and a bumped version, and each
changed case gets one hash-chained audit event that says what moved and why, with its version
compare-and-set like any action.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from rules import DeadlineKind, Due, RuleSet
from workflow._sql import Raw, as_date, update_sql
from workflow.audit import canonical, chain_hash, instant_text
from workflow.errors import Conflict
from workflow.states import FINAL_STATES

if TYPE_CHECKING:
    from workflow.engine import Engine

__all__ = ["RecomputeReport", "event_data", "recompute"]

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


def event_data(reason: str, moved: list[dict[str, Any]], ruleset: dict[str, str] | None) -> str:
    """``canonical({"deadlines": moved, "reason": reason, "ruleset": …})``, assembled from cached pieces
    (a million cases share a handful of distinct moves)."""
    parts = [f'"deadlines":[{",".join(_move_json(**m) for m in moved)}]', f'"reason":{_json_text(reason)}']
    if ruleset is not None:
        parts.append(f'"ruleset":{canonical(ruleset)}')
    return "{" + ",".join(parts) + "}"


@lru_cache(maxsize=4096)
def _json_text(value: str) -> str:
    return canonical(value)


@lru_cache(maxsize=65536)
def _move_json(kind: str, to: str | None, provisional: bool | None = None, **rest: str) -> str:
    item: dict[str, Any] = {"kind": kind, "to": to, **rest}
    if provisional is not None:
        item["provisional"] = provisional
    return canonical(item)


def recompute(
    engine: Engine,
    *,
    case_filter: str,
    deadline_filter: str,
    params: dict[str, Any],
    action: str,
    reason: str,
    at: datetime,
    now: datetime,
    repin: RuleSet | None = None,
    chunk: int = 5000,
    progress: Callable[[int], None] | None = None,
) -> RecomputeReport:
    """Recompute the open deadlines that ``deadline_filter`` selects (SQL on ``d``), of the open cases that
    ``case_filter`` selects (SQL on ``s``).

    With ``repin`` every selected case moves to that rule set version, with or without open deadlines, and its
    deadlines follow the new periods. Work goes by ranges of case ids, ``chunk`` ids a transaction.
    """
    report = RecomputeReport()
    with engine._reading() as conn:
        bounds = Raw(conn).all(f"SELECT min(s.id), max(s.id) FROM suggestions s WHERE {case_filter}", params)[
            0
        ]
    if bounds[0] is None:
        return report
    memo: dict[tuple[str, int, str, str, bool], tuple[Due, dict[str, Any]] | None] = {}
    final = ", ".join(f"'{state}'" for state in _FINAL)
    on_deadline = (
        f"d.suggestion_id = s.id AND d.status = 'open' AND d.kind <> 'promise' AND {deadline_filter}"
    )
    on_case = f"s.id BETWEEN :lo AND :hi AND s.state NOT IN ({final}) AND {case_filter}"
    columns = (
        "SELECT s.id, s.number, s.state, s.round, s.version, s.audit_seq, s.audit_head, s.extended, s.ruleset_id, "
        "s.ruleset_version, d.id, d.kind, d.start, d.due, d.provisional, d.roll_reason FROM suggestions s "
    )
    with engine._reading() as conn:
        postgres = Raw(conn).postgres
    if repin is not None:  # every selected case, with or without open deadlines
        sql = f"{columns}LEFT JOIN deadlines d ON {on_deadline} WHERE {on_case}"
    elif postgres:
        sql = f"{columns}JOIN deadlines d ON {on_deadline} WHERE {on_case}"
    else:  # CROSS JOIN keeps SQLite on the case-id range (its planner would scan the due-date index per chunk)
        sql = f"{columns}CROSS JOIN deadlines d WHERE {on_deadline} AND {on_case}"
    sql += " ORDER BY s.id, d.id"
    for lo in range(int(bounds[0]), int(bounds[1]) + 1, chunk):
        with engine._action() as conn:
            raw = Raw(conn)
            rows = raw.all(
                sql + (" FOR UPDATE OF s" if raw.postgres else ""), {**params, "lo": lo, "hi": lo + chunk - 1}
            )
            _chunk(engine, raw, rows, memo, report, action=action, reason=reason, at=at, now=now, repin=repin)
        if progress is not None:
            progress(min(lo + chunk, int(bounds[1]) + 1) - int(bounds[0]))
    return report


def _chunk(
    engine: Engine,
    raw: Raw,
    rows: list[tuple[Any, ...]],
    memo: dict[tuple[str, int, str, str, bool], tuple[Due, dict[str, Any]] | None],
    report: RecomputeReport,
    *,
    action: str,
    reason: str,
    at: datetime,
    now: datetime,
    repin: RuleSet | None,
) -> None:
    names = (
        "id",
        "number",
        "state",
        "round",
        "version",
        "audit_seq",
        "audit_head",
        "extended",
        "ruleset_id",
        "ruleset_version",
    )
    cases: dict[int, dict[str, Any]] = {}
    by_case: dict[int, list[tuple[Any, ...]]] = {}
    for row in rows:
        if row[0] not in cases:
            cases[row[0]] = dict(zip(names, row[:10], strict=True))
            by_case[row[0]] = []
        if row[10] is not None:
            by_case[row[0]].append((row[10], row[0], *row[11:]))
    at_db, now_db = raw.value(at), raw.value(now)
    at_text, now_text = instant_text(at), instant_text(now)
    deadline_updates: list[dict[str, Any]] = []
    cancels: list[dict[str, Any]] = []
    audits: list[dict[str, Any]] = []
    cas: list[dict[str, Any]] = []
    for case_id, case in cases.items():
        report.cases_checked += 1
        if not case["ruleset_id"]:  # not assigned yet: no deadlines, and assignment pins the active rule set
            continue
        rs = repin or engine.ruleset(None, case["ruleset_id"], case["ruleset_version"])
        moved: list[dict[str, Any]] = []
        for deadline_id, _, kind, start, due, provisional, roll_reason in by_case.get(case_id, []):
            complex_case = bool(case["extended"]) and kind == DeadlineKind.ANSWER.value
            key = (rs.id, rs.version, kind, str(start)[:10], complex_case)
            if key not in memo:
                new_due = rs.due(DeadlineKind(kind), as_date(start), complex_case=complex_case)
                memo[key] = (
                    None
                    if new_due is None
                    else (
                        new_due,
                        {
                            "due": raw.value(new_due.end),
                            "raw_due": raw.value(new_due.raw_end),
                            "due_at": raw.value(new_due.due_at),
                            "roll_reason": new_due.roll_reason,
                            "provisional": raw.value(new_due.provisional),
                        },
                    )
                )
            found = memo[key]
            old_due = as_date(due)
            if found is None:
                cancels.append({"id": deadline_id})
                moved.append({"kind": kind, "from": old_due.isoformat(), "to": None})
                report.deadlines_cancelled += 1
                continue
            new, stored = found
            report.still_provisional += int(new.provisional)
            if new.end == old_due and new.provisional == bool(provisional) and new.roll_reason == roll_reason:
                continue
            deadline_updates.append({"id": deadline_id, **stored})
            moved.append(
                {
                    "kind": kind,
                    "from": old_due.isoformat(),
                    "to": new.end.isoformat(),
                    "provisional": new.provisional,
                }
            )
        repinned = repin is not None and (case["ruleset_id"], case["ruleset_version"]) != (
            repin.id,
            repin.version,
        )
        if not moved and not repinned:
            continue
        report.cases_changed += 1
        report.deadlines_moved += sum(1 for m in moved if m["to"] is not None)
        if len(report.moves) < 20:
            report.moves.extend({"number": case["number"], **m} for m in moved[: 20 - len(report.moves)])
        ruleset = (
            {"from": f"{case['ruleset_id']}@{case['ruleset_version']}", "to": f"{repin.id}@{repin.version}"}
            if repinned and repin is not None
            else None
        )
        seq = case["audit_seq"] + 1
        text = event_data(reason, moved, ruleset)
        digest = chain_hash(
            prev=case["audit_head"],
            case_id=case_id,
            seq=seq,
            at=at_text,
            recorded_at=now_text,
            actor="system",
            action=action,
            from_state=case["state"],
            to_state=case["state"],
            round_=case["round"],
            data=text,
        )
        audits.append(
            {
                "suggestion_id": case_id,
                "seq": seq,
                "at": at_db,
                "recorded_at": now_db,
                "actor": "system",
                "action": action,
                "from_state": case["state"],
                "to_state": case["state"],
                "round": case["round"],
                "data": text,
                "prev_hash": case["audit_head"],
                "hash": digest,
            }
        )
        values: dict[str, Any] = {"version": case["version"] + 1, "audit_seq": seq, "audit_head": digest}
        if repin is not None:
            values |= {"ruleset_id": repin.id, "ruleset_version": repin.version}
        cas.append({**values, "b_id": case_id, "b_version": case["version"]})
    raw.many(
        "UPDATE deadlines SET due = :due, raw_due = :raw_due, due_at = :due_at, roll_reason = :roll_reason, "
        "provisional = :provisional, version = version + 1 WHERE id = :id",
        deadline_updates,
        prepared=True,
    )
    raw.many("UPDATE deadlines SET status = 'cancelled' WHERE id = :id", cancels, prepared=True)
    raw.insert_many("audit_events", audits, prepared=True)
    if cas:
        columns = tuple(k for k in cas[0] if not k.startswith("b_"))
        sql = update_sql("suggestions", columns, "id = :b_id AND version = :b_version")
        touched = raw.many(sql, cas, prepared=True)
        if touched not in (-1, len(cas)):
            raise Conflict(case="(recompute)", expected=len(cas), found=touched)
