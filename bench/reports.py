"""Reports and the ledger import at scale.

    python bench/reports.py [--cases 1000000] [--rows 100000] [--import-only]

1. Builds N assigned cases on a SQLite file in the engine's storage format (as ``bench/deadlines.py`` does),
   then, by SQL, spreads them over 40 main units, answers 80 % of them (classes A/B/C), closes them with
   feedback (satisfied/basic/unsatisfied), records contacts for half and marks one answer in seven late:
   every table a summary reads is full. The case tallies are then computed for every case, as migration
   0005 does on an upgrade (timed). Times ``jianyi report summary`` and ``report units`` on it, wall clock and
   CPU, each twice (the first in the process, then again), beside the baseline: the same measures counted as
   before migration 0013, one condition per measure over every case (``plain=True``), on the database without
   the index 0013 adds; then creates that index (timed, as the upgrade does) and checks that both give the
   same figures.
2. Imports a generated ledger of ``--rows`` rows (assigned, answered, with feedback) into a fresh database
   through ``jianyi import``'s code: each row replayed through the lifecycle (submit, assign, answer,
   feedback, which closes it), new cases in batches of 500 per transaction: rows per second. With
   ``--import-only`` only this part runs.
"""

from __future__ import annotations

import argparse
import csv
import resource
import sqlite3
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from deadlines import build

from workflow.engine import Engine
from workflow.ledger import COLUMNS, import_ledger
from workflow.reporting.formats import render
from workflow.reporting.measures import measure, measure_units
from workflow.reporting.reports import build as build_report
from workflow.store.models import Suggestion, table
from workflow.store.tally import refresh_sql
from workflow.testing import FrozenClock

NOW = "2027-06-30T12:00:00+08:00"


def fill(path: Path) -> None:
    """Answers, feedback, contacts and met deadlines for 80 % of the cases, by SQL."""
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA synchronous=OFF")
    conn.execute("BEGIN")
    # 40 main units: case i is handled by unit 1 + i % 40 (its answer deadline too)
    conn.executemany(
        "INSERT INTO units (id, congress_id, name) VALUES (?, 1, ?)",
        [(u, f"单位{u:02d}") for u in range(2, 41)],
    )
    conn.execute(
        "INSERT INTO assignments (suggestion_id, unit_id, role, round, since) "
        "SELECT id, 1 + id % 40, 'main', 1, assigned_at FROM suggestions"
    )
    conn.execute("UPDATE deadlines SET unit_id = 1 + suggestion_id % 40")
    answered = "id % 5 <> 0"
    category = "CASE id % 3 WHEN 0 THEN 'A' WHEN 1 THEN 'B' ELSE 'C' END"
    later = "strftime('%Y-%m-%d %H:%M:%f', assigned_at, '+' || (40 + id % 60) || ' days')"
    conn.execute(
        "INSERT INTO answers (suggestion_id, unit_id, round, category, text, overrides, at) "
        f"SELECT id, 1, 1, {category}, '', '[]', {later} FROM suggestions WHERE {answered}"
    )
    conn.execute(
        "INSERT INTO feedback (suggestion_id, deputy_id, round, rating, comment, at) "
        "SELECT id, 1, 1, CASE id % 10 WHEN 0 THEN 'unsatisfied' WHEN 1 THEN 'basic' WHEN 2 THEN 'basic' "
        f"ELSE 'satisfied' END, '', {later} FROM suggestions WHERE {answered}"
    )
    conn.execute(
        "INSERT INTO contacts (suggestion_id, unit_id, round, method, stage, note, at) "
        "SELECT id, 1, 1, CASE id % 4 WHEN 0 THEN 'visit' ELSE 'phone' END, 'before', '', assigned_at "
        "FROM suggestions WHERE id % 2 = 0"
    )
    conn.execute(
        f"UPDATE suggestions SET category = {category}, current_category = {category}, answered_at = {later}, "
        f"closed_at = {later}, state = 'closed' WHERE {answered}"
    )
    conn.execute(
        "UPDATE deadlines SET status = 'met', met_at = due_at, late = (suggestion_id % 7 = 0), next_step_at = NULL "
        "WHERE suggestion_id % 5 <> 0"
    )
    conn.execute("COMMIT")
    start = time.perf_counter()
    conn.execute("BEGIN")
    conn.execute(refresh_sql("1 = 1"))
    conn.execute("COMMIT")
    print(
        f"case tallies computed for every case (migration 0005's backfill): {time.perf_counter() - start:.1f} s"
    )
    conn.execute("ANALYZE")
    conn.close()


def _index() -> Any:
    return next(i for i in table(Suggestion).indexes if i.name == "ix_suggestions_measures")


def baseline(path: Path) -> dict[str, Any]:
    """Each report's measures counted one condition per measure over every case, on the database without the
    index migration 0013 adds (as before it): their times (the first in the process, then again) and figures;
    then the index is created, as the upgrade does."""
    found: dict[str, Any] = {}
    with Engine.open(path, clock=FrozenClock(NOW)) as engine:
        for kind, count in (("summary", measure), ("units", measure_units)):
            took, cpu = [], []
            for _ in range(2):
                start, cpu_start = time.perf_counter(), time.process_time()
                found[f"{kind} figures"] = count(engine, plain=True)
                took.append(time.perf_counter() - start)
                cpu.append(time.process_time() - cpu_start)
            found[kind], found[f"{kind} cpu"] = took, cpu
    conn = sqlite3.connect(path, isolation_level=None)
    start = time.perf_counter()
    index = _index()
    conn.execute(f"CREATE INDEX {index.name} ON suggestions ({', '.join(c.name for c in index.columns)})")
    conn.execute("ANALYZE")
    conn.close()
    print(f"the index of migration 0013 created over every case: {time.perf_counter() - start:.1f} s")
    return found


def ledger(path: Path, rows: int) -> None:
    """A ledger of assigned, answered cases with feedback, over 40 units and 500 deputies."""
    with path.open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out)
        writer.writerow([zh for zh, _ in COLUMNS])
        for i in range(rows):
            assigned = date(2026, 2, 10) + timedelta(days=i % 30)
            answered = assigned + timedelta(days=30 + i % 50)
            writer.writerow(
                [
                    f"{i + 1:06d}",
                    f"关于第{i + 1}号事项的建议",
                    f"代表{i % 500:03d}",
                    "",
                    "",
                    f"单位{i % 40:02d}",
                    "",
                    assigned.isoformat(),
                    answered.isoformat(),
                    "ABC"[i % 3],
                    ("满意", "满意", "基本满意")[i % 3],
                    (answered + timedelta(days=5)).isoformat(),
                    "",
                    "",
                    "",
                ]
            )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--cases", type=int, default=1_000_000)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--import-only", action="store_true", help="time the ledger import alone (part 2)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="jianyi-bench-") as tmp:
        if not args.import_only:
            reports(Path(tmp), args.cases)
        import_rows(Path(tmp), args.rows)
    print(f"peak memory {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:,.0f} MiB")


def reports(tmp: Path, cases: int) -> None:
    """Part 1: the reports on ``cases`` cases, beside the baseline."""
    path = tmp / "reports.db"
    start = time.perf_counter()
    build(path, cases)
    # the database as it stood before migration 0013 (whose index :func:`baseline` creates): 0005's backfill
    # ran without it
    conn = sqlite3.connect(path)
    conn.execute(f"DROP INDEX {_index().name}")
    conn.close()
    fill(path)
    print(f"built {cases:,} cases with answers, feedback and contacts in {time.perf_counter() - start:.0f} s")
    before = baseline(path)
    with Engine.open(path, clock=FrozenClock(NOW)) as engine:
        for kind, goal in (("summary", 1.0), ("units", 1.5)):
            took, cpu = [], []
            for _ in range(2):  # the first in the process, then again
                start, cpu_start = time.perf_counter(), time.process_time()
                text = render(build_report(engine, kind), "text")
                took.append(time.perf_counter() - start)
                cpu.append(time.process_time() - cpu_start)
            base, base_cpu = before[kind], before[f"{kind} cpu"]
            print(
                f"report {kind}: {took[0]:.2f} s (again: {took[1]:.2f} s; target {goal:g} s) "
                f"beside the baseline {base[0]:.2f} s (again: {base[1]:.2f} s); "
                f"CPU {cpu[0]:.2f} s (again: {cpu[1]:.2f} s) beside {base_cpu[0]:.2f} s (again: {base_cpu[1]:.2f} s)"
            )
        assert isinstance(text, str)
        assert measure(engine) == before["summary figures"]
        assert measure_units(engine) == before["units figures"]
        print("  the same figures as the baseline's")
        summary = render(build_report(engine, "summary"), "text")
        assert isinstance(summary, str)
        print("  " + summary.splitlines()[3][:110] + "…")


def import_rows(tmp: Path, rows: int) -> None:
    """Part 2: a generated ledger of ``rows`` rows imported into a fresh database."""
    source = tmp / "ledger.csv"
    ledger(source, rows)
    target = tmp / "import.db"
    with Engine.init(target, clock=FrozenClock(NOW)) as engine:
        engine.add_session("基准会议", current=True)
        start, cpu = time.perf_counter(), time.process_time()
        report = import_ledger(engine, source)
        took, cpu = time.perf_counter() - start, time.process_time() - cpu
    print(
        f"import {report.rows:,} ledger rows: {took:.1f} s, {report.rows / took:,.0f} rows/s "
        f"({report.created:,} cases, 4 lifecycle actions each + feedback's automatic close); "
        f"CPU {cpu:.1f} s, {report.rows / cpu:,.0f} rows/s of CPU"
    )


if __name__ == "__main__":
    main()
