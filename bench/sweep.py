"""The reminder sweep and the dispatcher at scale.

    python bench/sweep.py [--cases 1000000] [--due 10000] [--send 2000]

1. Builds N assigned cases on a SQLite file in the engine's storage format (as ``bench/deadlines.py`` does):
   ``--due`` of them assigned on 2026-10-01, so that the 到期前提醒 step of their answer deadline (ten working
   days before 2027-01-04) is due at the benchmark's "now", 2026-12-18 10:00 Beijing time; the rest assigned
   from 2026-10-15 on, with nothing due yet.
2. Runs one sweep in a fresh process (so its peak memory is its own): the time to record every due step
   (escalation level, audit event, one outbox row each) and the process's peak resident memory. A second
   sweep at the same time shows the cost when nothing is due.
   Beside it, the raw-SQL floor: the same sweep on a copy of the database through a recording connection,
   and its statement stream (the same parameterised statements in the same transactions) replayed with the
   bare ``sqlite3`` module on a third copy.
3. Delivers ``--send`` of the notices to a local SMTP server (aiosmtpd, from the test extra) through the
   dispatcher: notices per second, one SMTP connection per notice.
"""

from __future__ import annotations

import argparse
import random
import resource
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from deadlines import build
from replay import Log, recorded, run_raw, transactions_of

from workflow.engine import Engine
from workflow.testing import FrozenClock, beijing

NOW = beijing("2026-12-18", 10)


def _assigned_on(due: int) -> Any:
    rng = random.Random(5)
    return lambda i: date(2026, 10, 1) if i <= due else date(2026, 10, 15) + timedelta(days=rng.randrange(47))


def sweep_only(path: str) -> None:
    """Run in a child process: one sweep, then one more, with timings and peak memory."""
    from workflow.sweep import sweep

    with Engine.open(path, clock=FrozenClock(NOW)) as engine:
        start = time.perf_counter()
        report = sweep(engine)
        took = time.perf_counter() - start
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        start = time.perf_counter()
        again = sweep(engine)
        idle = time.perf_counter() - start
    print(
        f"sweep: {took:.2f} s for {report.steps:,} due steps ({report.steps / took:,.0f} steps/s), "
        f"{report.notices:,} notices; peak memory {peak:,.0f} MiB"
    )
    print(f"sweep again, nothing due: {idle * 1000:.1f} ms ({again.steps} steps)")


def raw_floor(base: Path) -> None:
    """The same sweep's statements replayed with the bare sqlite3 module."""
    from workflow.sweep import sweep

    traced, bare = base.with_name("traced.db"), base.with_name("bare.db")
    shutil.copy(base, traced)
    shutil.copy(base, bare)
    log: Log = []
    with recorded(log), Engine.open(traced, clock=FrozenClock(NOW)) as engine:
        sweep(engine)
    writes = transactions_of(log)
    took = run_raw(bare, writes)
    commits = sum(1 for kind, _, _ in writes if kind == "commit")
    print(
        f"raw sqlite3, the same statements: {took:.2f} s ({len(writes)} statements in {commits} transactions)"
    )
    traced.unlink()
    bare.unlink()


def dispatch(path: Path, count: int) -> None:
    from aiosmtpd.controller import Controller

    from notifications import EmailChannel, NotifyConfig
    from notifications.dispatcher import Dispatcher

    class Sink:
        received = 0

        async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802 (aiosmtpd hook)
            Sink.received += 1
            return "250 OK"

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(Sink(), hostname="127.0.0.1", port=port)
    controller.start()
    try:
        with Engine.open(path, clock=FrozenClock(NOW)) as engine:
            with engine.db.managed() as conn:  # every unit gets an address
                from sqlalchemy import text

                conn.execute(text("UPDATE units SET email = 'unit' || id || '@example.org'"))
            config = NotifyConfig(
                channels={"email": EmailChannel("127.0.0.1", port, sender="office@example.org")}
            )
            start = time.perf_counter()
            report = Dispatcher(engine, config).dispatch(now=NOW, limit=100, rounds=max(count // 100, 1))
            took = time.perf_counter() - start
    finally:
        controller.stop()
    print(
        f"dispatch: {report.sent:,} notices sent to a local SMTP server in {took:.1f} s "
        f"({report.sent / took:,.0f} notices/s); the server received {Sink.received:,}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--cases", type=int, default=1_000_000)
    parser.add_argument("--due", type=int, default=10_000)
    parser.add_argument("--send", type=int, default=2_000)
    parser.add_argument("--sweep-only", metavar="DB", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.sweep_only:
        sweep_only(args.sweep_only)
        return
    with tempfile.TemporaryDirectory(prefix="jianyi-bench-") as tmp:
        path = Path(tmp) / "sweep.db"
        start = time.perf_counter()
        build(path, args.cases, _assigned_on(args.due))
        print(
            f"built {args.cases:,} assigned cases ({args.due:,} with a step due) in "
            f"{time.perf_counter() - start:.0f} s ({path.stat().st_size / 2**20:,.0f} MiB)"
        )
        raw_floor(path)
        subprocess.run([sys.executable, __file__, "--sweep-only", str(path)], check=True)
        dispatch(path, args.send)


if __name__ == "__main__":
    main()
