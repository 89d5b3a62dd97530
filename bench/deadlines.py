"""Deadline computation at scale.

    python bench/deadlines.py [--cases 1000000]

1. Compute the deadlines of N assignments (return window, co-opinion and answer, on assignment days spread
   over 2026–2027): once through ``compute_due`` for every deadline, once through the rule set's memo (what
   the engine uses: most cases share their assignment day).
2. Recompute the open deadlines of N assigned cases after a calendar change: N cases are written straight
   into a SQLite database in the engine's own format (assigned in October and November 2026, so their answer
   deadlines fall in 2027, which has no loaded schedule and is provisional); then a 2027 schedule is loaded
   through ``Engine.load_calendar``, which recomputes every one of them, moves those that change and writes one
   audit event per changed case.
"""

from __future__ import annotations

import argparse
import random
import resource
import sqlite3
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from rules import DeadlineKind, YearSchedule, compute_due, default_ruleset
from workflow.core.audit import GENESIS, canonical, chain_hash
from workflow.engine import Engine
from workflow.testing import FrozenClock

KINDS = (DeadlineKind.RETURN_WINDOW, DeadlineKind.CO_OPINION, DeadlineKind.ANSWER)


def compute(cases: int) -> tuple[float, float]:
    rs = default_ruleset()
    rng = random.Random(7)
    first = date(2026, 1, 1)
    starts = [first + timedelta(days=rng.randrange(730)) for _ in range(cases)]
    start = time.perf_counter()
    for day in starts:
        for kind in KINDS:
            rule = rs.deadlines[kind]
            compute_due(day, rule.amount, rule.unit, rs.work_calendar, rs.zone)
    plain = time.perf_counter() - start
    start = time.perf_counter()
    for day in starts:
        for kind in KINDS:
            rs.due(kind, day)
    memo = time.perf_counter() - start
    return plain, memo


def _instant(value: datetime) -> str:
    return value.astimezone(UTC).replace(tzinfo=None).isoformat(" ", "microseconds")


def spread(rng: random.Random) -> Callable[[int], date]:
    """Assignment days spread over October and November 2026 (answers fall due in 2027)."""
    return lambda _: date(2026, 10, 1) + timedelta(days=rng.randrange(61))


def build(path: Path, cases: int, assigned_on: Callable[[int], date] | None = None) -> None:
    """N assigned cases with their open answer deadline, written in the engine's storage format; case ``i`` is
    assigned on ``assigned_on(i)``. The sweep looks at each deadline first at its ladder's first step."""
    with Engine.init(path, clock=FrozenClock("2026-08-01T09:00:00+08:00")) as engine:
        engine.add_session("基准会议", current=True)
        engine.add_unit("市交通运输局")
        engine.add_deputy("张三")
    rs = default_ruleset()
    day_of = assigned_on or spread(random.Random(11))
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=OFF")
    conn.execute("BEGIN")
    batch_cases, batch_deadlines, batch_audit = [], [], []
    for i in range(1, cases + 1):
        day = day_of(i)
        at = datetime(day.year, day.month, day.day, 1, tzinfo=UTC)
        due = rs.due(DeadlineKind.ANSWER, day)
        assert due is not None
        data = canonical({"main": "市交通运输局"})
        digest = chain_hash(
            prev=GENESIS,
            case_id=i,
            seq=1,
            at=at,
            recorded_at=at,
            actor="office",
            action="assign",
            from_state="submitted",
            to_state="assigned",
            round_=1,
            data=data,
        )
        batch_cases.append(
            (i, f"{i:07d}", _instant(at), _instant(at), digest, _instant(at), _instant(due.due_at))
        )
        first_step = rs.first_check_at(DeadlineKind.ANSWER, due.end, due.due_at)
        batch_deadlines.append(
            (
                i,
                day.isoformat(),
                due.end.isoformat(),
                _instant(due.due_at),
                due.raw_end.isoformat(),
                due.roll_reason,
                int(due.provisional),
                _instant(first_step) if first_step else None,
            )
        )
        batch_audit.append((i, _instant(at), _instant(at), data, GENESIS, digest))
        if len(batch_cases) == 50_000 or i == cases:
            conn.executemany(
                "INSERT INTO suggestions (id, session_id, number, title, content, lead_deputy_id, between_sessions, "
                "confidential, key, complex, extended, state, round, version, ruleset_id, ruleset_version, "
                "escalation_level, contact_level, answer_met, answer_due_at, submitted_at, assigned_at, last_event_at, "
                "audit_seq, audit_head) "
                "VALUES (?, 1, ?, '基准', '', 1, 0, 0, 0, 0, 0, 'assigned', 1, 1, 'national', 1, 0, 0, 0, ?, ?, ?, ?, "
                "1, ?)",
                [(c[0], c[1], c[6], c[2], c[3], c[5], c[4]) for c in batch_cases],
            )
            conn.executemany(
                "INSERT INTO deadlines (suggestion_id, kind, unit_id, round, start, due, due_at, raw_due, roll_reason, "
                "status, provisional, version, escalation_step, next_step_at) "
                "VALUES (?, 'answer', 1, 1, ?, ?, ?, ?, ?, 'open', ?, 1, 0, ?)",
                batch_deadlines,
            )
            conn.executemany(
                "INSERT INTO audit_events (suggestion_id, seq, at, recorded_at, actor, action, from_state, to_state, "
                "round, data, prev_hash, hash) VALUES (?, 1, ?, ?, 'office', 'assign', 'submitted', 'assigned', 1, ?, "
                "?, ?)",
                batch_audit,
            )
            batch_cases, batch_deadlines, batch_audit = [], [], []
    conn.execute("COMMIT")
    conn.close()


def schedule_2027() -> YearSchedule:
    """A stand-in 2027 schedule (the State Council has not published it): the library's rule-based holidays,
    plus a made-up make-up working day on Saturday 2027-02-20, so that many deadlines move."""
    cal = default_ruleset().work_calendar
    holidays = {}
    day = date(2027, 1, 1)
    while day.year == 2027:
        info = cal.info(day)
        if info.holiday:
            holidays[day] = info.holiday
        day += timedelta(days=1)
    return YearSchedule(
        year=2027,
        source="benchmark stand-in, not the official notice",
        holidays=holidays,
        workdays=[date(2027, 2, 20)],
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--cases", type=int, default=1_000_000)
    args = parser.parse_args()
    plain, memo = compute(args.cases)
    n = args.cases * len(KINDS)
    print(f"compute {n:,} deadlines ({args.cases:,} assignments × 3 kinds)")
    print(f"  compute_due every time      {plain:8.2f} s   {n / plain:>12,.0f} deadlines/s")
    print(f"  rule set memo (engine)      {memo:8.2f} s   {n / memo:>12,.0f} deadlines/s")
    with tempfile.TemporaryDirectory(prefix="jianyi-bench-") as tmp:
        path = Path(tmp) / "deadlines.db"
        start = time.perf_counter()
        build(path, args.cases)
        built = time.perf_counter() - start
        print(
            f"built {args.cases:,} assigned cases in {built:.1f} s ({path.stat().st_size / 2**20:,.0f} MiB)"
        )
        with Engine.open(path, clock=FrozenClock("2026-12-01T09:00:00+08:00")) as engine:
            start = time.perf_counter()
            report = engine.load_calendar(schedule_2027())
            took = time.perf_counter() - start
            print(
                f"recompute after loading 2027: {took:.1f} s for {report.cases_checked:,} cases "
                f"({report.cases_checked / took:,.0f} cases/s); {report.cases_changed:,} changed, "
                f"{report.deadlines_moved:,} moved, {report.still_provisional:,} still provisional"
            )
            start = time.perf_counter()
            again = engine.load_calendar(schedule_2027())
            print(f"loading it again: {time.perf_counter() - start:.1f} s, {again.cases_changed:,} changed")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak memory {peak:,.0f} MiB")


if __name__ == "__main__":
    main()
