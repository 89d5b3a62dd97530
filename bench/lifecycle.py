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
"""

from __future__ import annotations

import argparse
import functools
import gc
import shutil
import sqlite3
import tempfile
import time
from pathlib import Path
from typing import Any

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


Log = list[tuple[str, str, Any]]


def recording(log: Log) -> type[sqlite3.Connection]:
    """A sqlite3 connection class that logs what is executed on it."""

    class Cursor(sqlite3.Cursor):
        def execute(self, sql: str, params: Any = ()) -> sqlite3.Cursor:  # type: ignore[override]
            log.append(("execute", sql, params))
            return super().execute(sql, params)

        def executemany(self, sql: str, rows: Any) -> sqlite3.Cursor:  # type: ignore[override]
            rows = list(rows)
            log.append(("executemany", sql, rows))
            return super().executemany(sql, rows)

    class Connection(sqlite3.Connection):
        def cursor(self, factory: Any = Cursor) -> sqlite3.Cursor:  # type: ignore[override]
            return super().cursor(factory)

        def execute(self, sql: str, params: Any = ()) -> sqlite3.Cursor:  # type: ignore[override]
            return self.cursor().execute(sql, params)

        def commit(self) -> None:
            log.append(("commit", "", None))
            super().commit()

        def rollback(self) -> None:
            log.append(("rollback", "", None))
            super().rollback()

    return Connection


def run_engine(path: Path, cases: int, log: Log | None = None) -> tuple[float, int]:
    clock = FrozenClock("2026-03-02T09:00:00+08:00")
    original = sqlite3.dbapi2.connect  # what SQLAlchemy's pysqlite dialect calls
    if log is not None:
        sqlite3.dbapi2.connect = functools.partial(original, factory=recording(log))  # type: ignore[assignment]
    try:
        with Engine.open(path, clock=clock) as engine:
            start = time.perf_counter()
            transitions = lifecycle(engine, cases, clock)
            elapsed = time.perf_counter() - start
    finally:
        sqlite3.dbapi2.connect = original
    return elapsed, transitions


def actions_of(log: Log) -> Log:
    """The transactions of the log: from the first BEGIN IMMEDIATE, without the final count query."""
    first = next(i for i, (_, sql, _p) in enumerate(log) if sql.startswith("BEGIN IMMEDIATE"))
    return [entry for entry in log[first:] if "count(*) FROM audit_events" not in entry[1]]


def run_raw(path: Path, log: Log) -> float:
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    conn.execute("PRAGMA foreign_keys=ON")
    start = time.perf_counter()
    for kind, sql, params in log:
        if kind == "execute":
            conn.execute(sql, params).fetchall()
        elif kind == "executemany":
            conn.executemany(sql, params)
        elif conn.in_transaction:  # commit or rollback (the pool's reset on return is a no-op outside one)
            conn.execute(kind.upper())
    elapsed = time.perf_counter() - start
    conn.close()
    return elapsed


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


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--cases", type=int, default=10_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="jianyi-bench-") as tmp:
        base = base_db(Path(tmp))
        engine_s, transitions = run_engine(copy(base, "engine.db"), args.cases)
        log: Log = []
        run_engine(copy(base, "traced.db"), args.cases, log)
        writes = actions_of(log)
        statements = len(writes)
        gc.collect()
        gc.freeze()  # the recorded log is large: keep the collector from walking it during the replay
        raw_s = run_raw(copy(base, "raw.db"), writes)
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
        f"batch assign {args.cases:,} cases  {batch_s:>6.2f} s   ({args.cases / batch_s:,.0f} cases/s, one transaction)"
    )


if __name__ == "__main__":
    main()
