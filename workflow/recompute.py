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
from typing import TYPE_CHECKING, Any

from rules import DeadlineKind, Due, RuleSet
from workflow._sql import Raw, as_date, update_sql
from workflow.audit import canonical, chain_hash
from workflow.errors import Conflict
from workflow.states import FINAL_STATES

if TYPE_CHECKING:
    from workflow.engine import Engine

__all__ = ["RecomputeReport", "recompute"]

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


def recompute(
    engine: Engine,
    *,
    case_ids_sql: str,
    params: dict[str, Any],
    action: str,
    reason: str,
    at: datetime,
    now: datetime,
    repin: RuleSet | None = None,
    chunk: int = 2000,
    progress: Callable[[int], None] | None = None,
) -> RecomputeReport:
    """Recompute the open deadlines of the cases ``case_ids_sql`` selects (one id column).

    With ``repin`` the cases move to that rule set version first (their deadlines follow its periods).
    """
    report = RecomputeReport()
    with engine._reading() as conn:
        case_ids = [int(r) for r in Raw(conn).column(case_ids_sql, params)]
    memo: dict[tuple[str, int, str, str, bool], Due | None] = {}
    for start in range(0, len(case_ids), chunk):
        with engine._action() as conn:
            _chunk(
                engine,
                Raw(conn),
                case_ids[start : start + chunk],
                memo,
                report,
                action=action,
                reason=reason,
                at=at,
                now=now,
                repin=repin,
            )
        if progress is not None:
            progress(min(start + chunk, len(case_ids)))
    return report


def _chunk(
    engine: Engine,
    raw: Raw,
    ids: list[int],
    memo: dict[tuple[str, int, str, str, bool], Due | None],
    report: RecomputeReport,
    *,
    action: str,
    reason: str,
    at: datetime,
    now: datetime,
    repin: RuleSet | None,
) -> None:
    marks, params = Raw.in_list("c", ids)
    cases = {
        r["id"]: r
        for r in raw.rows(
            "SELECT id, number, state, round, version, audit_seq, audit_head, extended, ruleset_id, ruleset_version "
            f"FROM suggestions WHERE id IN {marks}" + (" FOR UPDATE" if raw.postgres else ""),
            params,
        )
    }
    rows = raw.all(
        "SELECT id, suggestion_id, kind, start, due, provisional, roll_reason, unit_id FROM deadlines "
        f"WHERE status = 'open' AND kind <> 'promise' AND suggestion_id IN {marks} ORDER BY id",
        params,
    )
    by_case: dict[int, list[tuple[Any, ...]]] = {}
    for row in rows:
        by_case.setdefault(row[1], []).append(row)
    deadline_updates: list[dict[str, Any]] = []
    cancels: list[dict[str, Any]] = []
    audits: list[dict[str, Any]] = []
    cas: list[dict[str, Any]] = []
    for case_id, case in cases.items():
        if case["state"] in _FINAL:
            continue
        report.cases_checked += 1
        if not case["ruleset_id"]:  # not assigned yet: no deadlines, and assignment pins the active rule set
            continue
        rs = repin or engine.ruleset(None, case["ruleset_id"], case["ruleset_version"])
        moved: list[dict[str, Any]] = []
        for deadline_id, _, kind, start, due, provisional, roll_reason, _unit in by_case.get(case_id, []):
            begin = as_date(start)
            complex_case = bool(case["extended"]) and kind == DeadlineKind.ANSWER.value
            key = (rs.id, rs.version, kind, begin.isoformat(), complex_case)
            if key not in memo:
                memo[key] = rs.due(DeadlineKind(kind), begin, complex_case=complex_case)
            new = memo[key]
            if new is None:
                cancels.append({"id": deadline_id})
                moved.append({"kind": kind, "from": as_date(due).isoformat(), "to": None})
                report.deadlines_cancelled += 1
                continue
            report.still_provisional += int(new.provisional)
            if (
                new.end == as_date(due)
                and new.provisional == bool(provisional)
                and new.roll_reason == roll_reason
            ):
                continue
            deadline_updates.append(
                {
                    "id": deadline_id,
                    "due": new.end,
                    "raw_due": new.raw_end,
                    "due_at": new.due_at,
                    "roll_reason": new.roll_reason,
                    "provisional": new.provisional,
                }
            )
            moved.append(
                {
                    "kind": kind,
                    "from": as_date(due).isoformat(),
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
        data: dict[str, Any] = {"reason": reason, "deadlines": moved}
        if repinned and repin is not None:
            data["ruleset"] = {
                "from": f"{case['ruleset_id']}@{case['ruleset_version']}",
                "to": f"{repin.id}@{repin.version}",
            }
        seq = case["audit_seq"] + 1
        event = {
            "suggestion_id": case_id,
            "seq": seq,
            "at": at,
            "recorded_at": now,
            "actor": "system",
            "action": action,
            "from_state": case["state"],
            "to_state": case["state"],
            "round": case["round"],
            "data": canonical(data),
            "prev_hash": case["audit_head"],
        }
        event["hash"] = chain_hash(
            prev=case["audit_head"],
            case_id=case_id,
            seq=seq,
            at=at,
            recorded_at=now,
            actor="system",
            action=action,
            from_state=case["state"],
            to_state=case["state"],
            round_=case["round"],
            data=event["data"],
        )
        audits.append(event)
        values: dict[str, Any] = {
            "version": case["version"] + 1,
            "audit_seq": seq,
            "audit_head": event["hash"],
        }
        if repin is not None:
            values |= {"ruleset_id": repin.id, "ruleset_version": repin.version}
        cas.append({**values, "b_id": case_id, "b_version": case["version"]})
    raw.many(
        "UPDATE deadlines SET due = :due, raw_due = :raw_due, due_at = :due_at, roll_reason = :roll_reason, "
        "provisional = :provisional, version = version + 1 WHERE id = :id",
        deadline_updates,
    )
    raw.many("UPDATE deadlines SET status = 'cancelled' WHERE id = :id", cancels)
    raw.insert_many("audit_events", audits)
    if cas:
        columns = tuple(k for k in cas[0] if not k.startswith("b_"))
        touched = raw.many(update_sql("suggestions", columns, "id = :b_id AND version = :b_version"), cas)
        if touched not in (-1, len(cas)):
            raise Conflict(case="(recompute)", expected=len(cas), found=touched)
