"""Throughput of the lifecycle engine on a SQLite file, beside a raw sqlite3 baseline.

    python bench/lifecycle.py [--cases 10000]

1. The engine drives N suggestions through submit → assign → answer → feedback (which closes the case),
   one transaction per action, through the public API. Every persisted state change (an audit event) counts
   as a transition.
2. The same run is repeated on a copy of the database through a recording ``sqlite3`` connection that
   logs every statement the engine sends, with its parameters (BEGIN IMMEDIATE … COMMIT included); that
   exact statement stream is replayed with the bare ``sqlite3`` module on a third copy: the raw baseline
   does the same parameterised statements with no engine around them.
3. N submitted suggestions are assigned in one batch (``assign_many``), as at a 交办会.

The statements per action are printed by kind, each with what it is for (:data:`PURPOSE`).
"""

from __future__ import annotations

import argparse
import gc
import re
import shutil
import tempfile
import time
from collections import Counter
from pathlib import Path

from replay import Log, recorded, run_raw, transactions_of

from workflow.core.views import Actor
from workflow.engine import AssignOrder, Engine
from workflow.testing import FrozenClock

UNIT, DEPUTY = "市交通运输局", "张三"


def base_db(folder: Path) -> Path:
    path = folder / "base.db"
    with Engine.init(path, clock=FrozenClock("2026-01-05T09:00:00+08:00")) as engine:
        engine.add_session("基准会议", current=True)
        engine.add_unit(UNIT)
        engine.add_deputy(DEPUTY)
    return path


def copy(base: Path, name: str) -> Path:
    target = base.with_name(name)
    shutil.copy(base, target)
    return target


def lifecycle(engine: Engine, cases: int, clock: FrozenClock) -> int:
    unit, deputy = Actor.unit(UNIT), Actor.deputy(DEPUTY)
    for i in range(cases):
        number = f"{i:06d}"
        clock.advance(seconds=1)
        engine.submit(number, title="关于优化公交线路的建议", deputy=DEPUTY)
        engine.assign(number, main=UNIT)
        engine.answer(number, category="A", text="已解决", actor=unit)
        engine.feedback(number, rating="satisfied", actor=deputy)
    with engine.db.engine.connect() as conn:
        return int(conn.exec_driver_sql("SELECT count(*) FROM audit_events").scalar_one())


def run_engine(path: Path, cases: int, log: Log | None = None) -> tuple[float, float, int]:
    """The run's wall-clock and CPU seconds, and the transitions it persisted."""
    clock = FrozenClock("2026-03-02T09:00:00+08:00")
    with recorded(log), Engine.open(path, clock=clock) as engine:
        start, cpu = time.perf_counter(), time.process_time()
        transitions = lifecycle(engine, cases, clock)
        elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu
    return elapsed, cpu, transitions


def batch_assign(path: Path, cases: int) -> float:
    clock = FrozenClock("2026-02-01T09:00:00+08:00")
    with Engine.open(path, clock=clock) as engine:
        for i in range(cases):
            engine.submit(f"B{i:06d}", title="批量交办", deputy=DEPUTY)
        clock.advance(days=9)
        orders = [AssignOrder(f"B{i:06d}", main=UNIT) for i in range(cases)]
        start = time.perf_counter()
        engine.assign_many(orders)
        return time.perf_counter() - start


# what each kind of statement of the run is for (the actions that send it in brackets)
PURPOSE = {
    "BEGIN IMMEDIATE": "takes SQLite's write lock at once: the action's transaction (all)",
    "COMMIT": "ends it (all)",
    "SELECT … FROM suggestions": (
        "the case row, locked, with its session's name, the active rule set and the directory generation "
        "in a subquery (assign, answer, feedback); the deputy's scope: leads or co-signs the case (feedback)"
    ),
    "UPDATE suggestions": "compare-and-set of the case row: state, version, audit head, tallies (all)",
    "UPDATE deadlines": (
        "settles open deadlines: the one met, then the others the step ends (answer, feedback: two each)"
    ),
    "INSERT INTO audit_events": "the step's audit event, hash-chained (submit, assign, answer)",
    "INSERT INTO audit_events (many rows)": "feedback's two events: the feedback and the close it causes",
    "INSERT INTO outbox": "the notice the step sends: to the unit (assign), to the deputy (answer)",
    "SELECT … FROM sessions": "the current session's id and name, with the directory generation (submit)",
    "INSERT INTO suggestions": "the new case row, whose id the rows after it need (submit)",
    "INSERT INTO assignments": "the main unit's assignment (assign)",
    "INSERT INTO deadlines (many rows)": "the assignment's deadlines: the answer's and its reminders' (assign)",
    "INSERT INTO deadlines": "the feedback deadline (answer)",
    "SELECT … FROM assignments": (
        "the unit's scope: is it assigned to the case; then the active assignments with who has answered or "
        "given an opinion this round (answer: two)"
    ),
    "SELECT … FROM extension_requests": "a pending extension request, which the answer lapses (answer)",
    "SELECT … FROM answer_reviews": "an answer of the unit's still waiting for the office's review, which blocks a second "
    "one (answer)",
    "INSERT INTO answers": "the answer (answer)",
    "INSERT INTO feedback": "the feedback (feedback)",
}


def statement_kinds(writes: Log) -> Counter[str]:
    """How many of each kind of statement the log holds: its verb and table (``UPDATE deadlines``)."""
    kinds: Counter[str] = Counter()
    for kind, sql, params in writes:
        if kind in ("commit", "rollback"):
            kinds[kind.upper()] += 1
            continue
        words = re.sub(r"\s+", " ", sql.strip()).split(" ")
        verb = words[0].upper()
        if verb == "BEGIN":
            label = " ".join(words[:2])
        elif verb == "SELECT":
            outer = sql
            while (inner := re.sub(r"\([^()]*\)", "", outer)) != outer:  # subqueries aside
                outer = inner
            found = re.search(r"\bFROM (\w+)", outer)
            label = f"SELECT … FROM {found.group(1) if found else '?'}"
        else:
            label = " ".join(words[:3]) if verb in ("INSERT", "DELETE") else " ".join(words[:2])
        # many rows: an executemany of several parameter sets, or one insert of several VALUES rows
        many = (kind == "executemany" and len(params) > 1) or re.search(r"\)\s*,\s*\(\?", sql) is not None
        kinds[label + (" (many rows)" if many else "")] += 1
    return kinds


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--cases", type=int, default=10_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="jianyi-bench-") as tmp:
        base = base_db(Path(tmp))
        engine_s, engine_cpu, transitions = run_engine(copy(base, "engine.db"), args.cases)
        log: Log = []
        run_engine(copy(base, "traced.db"), args.cases, log)
        writes = transactions_of(log, leave_out="count(*) FROM audit_events")
        statements = len(writes)
        kinds = statement_kinds(writes)
        gc.collect()
        gc.freeze()  # the recorded log is large: keep the collector from walking it during the replay
        raw_cpu = time.process_time()
        raw_s = run_raw(copy(base, "raw.db"), writes)
        raw_cpu = time.process_time() - raw_cpu
        del log, writes
        gc.unfreeze()
        gc.collect()
        batch_s = batch_assign(copy(base, "batch.db"), args.cases)
    actions = 4 * args.cases
    engine_rate = transitions / engine_s
    raw_rate = transitions / raw_s
    print(f"cases                     {args.cases:>10,}")
    print(f"actions (transactions)    {actions:>10,}")
    print(
        f"persisted transitions     {transitions:>10,}   (audit events: submit, assign, answer, feedback, close)"
    )
    print(f"statements per action     {statements / actions:>10.1f}   (BEGIN IMMEDIATE … COMMIT included)")
    print(
        f"engine                    {engine_s:>10.2f} s   {engine_rate:>8,.0f} transitions/s   "
        f"{actions / engine_s:>7,.0f} actions/s"
    )
    print(f"raw sqlite3, same SQL     {raw_s:>10.2f} s   {raw_rate:>8,.0f} transitions/s")
    print(f"ratio engine / raw        {engine_rate / raw_rate:>10.2f}")
    print(
        f"CPU: engine {engine_cpu:.2f} s, raw {raw_cpu:.2f} s, ratio {raw_cpu / engine_cpu:.2f} "
        "(the wall-clock ratio on a machine of its own)"
    )
    print("  per action, by kind:")
    for label, count in kinds.most_common():
        if count / actions >= 0.005:  # the first action's one-time reads (PRAGMAs, names, rule set) aside
            print(f"    {count / actions:>5.2f}  {label:<38} {PURPOSE.get(label, '')}")
    print(
        f"batch assign {args.cases:,} cases  {batch_s:>6.2f} s   ({args.cases / batch_s:,.0f} cases/s, one transaction)"
    )


if __name__ == "__main__":
    main()
