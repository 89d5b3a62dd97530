"""The memory a big ledger takes to import.

    python bench/ledger_memory.py [--bad 1000000] [--good 200000]

Writes two workbooks (.xlsx, one 台账 sheet): ``--bad`` rows that are all bad (no title) and ``--good`` rows
that are all good (assigned, answered, with feedback, as ``bench/reports.py`` writes them). Each step runs in
a fresh process, so that its peak resident memory is its own, and prints it beside the baseline, the same
rows read and checked the way that holds them all (``check_rows``):

- the bad workbook imported: refused, the error listing 100 rows and counting the others;
- the bad workbook imported with ``skip_bad`` and a rejects file: every row written to it;
- the good workbook imported into a fresh SQLite database (rows per second too).
"""

from __future__ import annotations

import argparse
import resource
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

from workflow.core.errors import ValidationError
from workflow.engine import Engine
from workflow.ledger import COLUMNS, check_rows, import_ledger
from workflow.ledger.sheets import write_book
from workflow.testing import FrozenClock

NOW = "2027-06-30T12:00:00+08:00"


def _row(i: int, good: bool) -> list[str]:
    assigned = date(2026, 2, 10) + timedelta(days=i % 30)
    answered = assigned + timedelta(days=30 + i % 50)
    return [
        f"{i + 1:07d}",
        f"关于第{i + 1}号事项的建议" if good else "",
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


def workbook(path: Path, rows: int, *, good: bool) -> None:
    header = [zh for zh, _ in COLUMNS]
    path.write_bytes(write_book([("台账", header, (_row(i, good) for i in range(rows)))]))


def _peak() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def child(step: str, source: Path, work: Path) -> None:
    """One step, in its own process: what it did and its peak memory."""
    clock = FrozenClock(NOW)
    start = time.perf_counter()
    if step == "hold":
        from rules import default_ruleset

        checked = check_rows(source, default_ruleset(), date(2027, 6, 30))
        what = f"{len(checked.good):,} good and {len(checked.bad):,} bad rows held"
    else:
        with Engine.init(work / f"{step}.db", clock=clock) as engine:
            engine.add_session("基准会议", current=True)
            if step == "refuse":
                try:
                    import_ledger(engine, source)
                    what = "imported?"
                except ValidationError as exc:
                    what = f"refused, the error {len(str(exc)):,} characters"
            elif step == "skip":
                report = import_ledger(engine, source, skip_bad=True, rejects=work / "rejects.csv")
                size = (work / "rejects.csv").stat().st_size
                what = f"{report.rejected_count:,} rows to the rejects file ({size / 2**20:,.0f} MiB)"
            else:
                report = import_ledger(engine, source)
                took = time.perf_counter() - start
                what = f"{report.created:,} cases created, {report.rows / took:,.0f} rows/s"
    took = time.perf_counter() - start
    print(f"{step}\t{_peak():.0f}\t{took:.1f}\t{what}")


def run(step: str, source: Path, work: Path) -> tuple[float, float, str]:
    out = subprocess.run(
        [sys.executable, __file__, "--child", step, str(source), str(work)],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    _, peak, took, what = out.splitlines()[-1].split("\t")
    return float(peak), float(took), what


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--bad", type=int, default=1_000_000)
    parser.add_argument("--good", type=int, default=200_000)
    parser.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        step, source, work = args.child
        child(step, Path(source), Path(work))
        return
    with tempfile.TemporaryDirectory(prefix="jianyi-bench-") as tmp:
        work = Path(tmp)
        for rows, good, steps in (
            (args.bad, False, ("refuse", "skip")),
            (args.good, True, ("import",)),
        ):
            if not rows:
                continue
            source = work / f"{'good' if good else 'bad'}.xlsx"
            start = time.perf_counter()
            workbook(source, rows, good=good)
            size = source.stat().st_size / 2**20
            print(
                f"{rows:,} {'good' if good else 'bad'} rows: {size:,.0f} MiB workbook, "
                f"written in {time.perf_counter() - start:.0f} s"
            )
            base, base_took, base_what = run("hold", source, work)
            print(
                f"  baseline, every row held (check_rows): {base:,.0f} MiB, {base_took:.1f} s ({base_what})"
            )
            for step in steps:
                peak, took, what = run(step, source, work)
                print(
                    f"  import, {step:<6}: {peak:,.0f} MiB, {took:.1f} s ({what})  [{peak / base:.2f}× the baseline]"
                )


if __name__ == "__main__":
    main()
