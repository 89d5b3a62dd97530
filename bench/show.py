"""Reading one case's dossier on a big database.

    python bench/show.py [--cases 1000000] [--calls 200]

N assigned cases are written straight into a SQLite file in the engine's format (``deadlines.build``); then one
more case is handled through the engine: three rounds (two unsatisfied answers, re-handled twice), five
contacts, a co-unit's opinion, promises, and files attached to its answers and opinion. Printed side by side:

- in process: ``Engine.get`` (the case, its units and deadlines: the baseline) and ``Engine.dossier`` (all of
  it), the mean of ``--calls`` calls on a warm engine;
- as a process: ``python -c pass`` (the interpreter alone), ``import cli`` and ``jianyi show NUMBER`` (the
  median of five runs), and what the slowest imports of ``jianyi show`` cost (``-X importtime``).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

from deadlines import build

from rules import Rating
from workflow.core.views import Actor
from workflow.engine import Engine, Promised
from workflow.testing import FrozenClock

NUMBER = "X0001"
MAIN, CO = "市交通运输局", "市财政局"
PDF = b"%PDF-1.7\n" + b"0" * 200_000 + b"\n%%EOF\n"


def rich_case(engine: Engine, clock: FrozenClock, files: Path) -> None:
    """NUMBER through three rounds, five contacts, an opinion and promises, with a file on each answer."""

    def letter(name: str) -> list[Path]:
        path = files / name
        path.write_bytes(PDF + name.encode())
        return [path]

    def step(days: int = 1) -> None:
        clock.advance(seconds=timedelta(days=days).total_seconds())

    engine.add_unit(CO)
    engine.submit(NUMBER, title="关于优化公交线路的建议", deputy="张三", content="线路绕行严重。" * 40)
    step()
    engine.assign(NUMBER, main=MAIN, co=[CO])
    step()
    engine.opinion(
        NUMBER, text="同意，由主办单位统筹。" * 10, actor=Actor.unit(CO), attachments=letter("会办意见.pdf")
    )
    for i in range(5):
        step()
        engine.contact(NUMBER, method="visit", note=f"第{i + 1}次走访代表", actor=Actor.unit(MAIN))
    for round_ in range(3):
        step(5)
        engine.answer(
            NUMBER,
            category="B",
            text=f"第{round_ + 1}轮答复：" + "已列入计划。" * 50,
            promises=[Promised(f"承诺事项{k}", date(2027, 6, 30)) for k in range(3)],
            actor=Actor.unit(MAIN),
            attachments=letter(f"答复函{round_ + 1}.pdf"),
        )
        step()
        rating = Rating.SATISFIED if round_ == 2 else Rating.UNSATISFIED
        engine.feedback(
            NUMBER, rating=rating, comment="问题未解决" if round_ < 2 else "", actor=Actor.deputy("张三")
        )
        if round_ < 2 and engine.get(NUMBER).state != "re_handled":
            step()
            engine.rehandle(NUMBER, reason="代表不满意")


def in_process(engine: Engine, calls: int) -> tuple[float, float, str]:
    engine.dossier(NUMBER)  # warm the caches
    start = time.perf_counter()
    for _ in range(calls):
        engine.get(NUMBER)
    get = (time.perf_counter() - start) / calls
    start = time.perf_counter()
    for _ in range(calls):
        dossier = engine.dossier(NUMBER)
    full = (time.perf_counter() - start) / calls
    files = sum(len(a.attachments) for a in dossier.answers) + sum(
        len(o.attachments) for o in dossier.opinions
    )
    return get, full, f"{len(dossier.answers)} answers, {len(dossier.contacts)} contacts, {files} files"


def wall(args: list[str], runs: int = 5) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(args, check=True, capture_output=True)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def slowest_imports(db: Path, top: int = 8) -> list[tuple[float, str]]:
    """The top-level packages ``jianyi show`` spends most import time in (cumulative µs → s)."""
    done = subprocess.run(
        [
            sys.executable,
            "-X",
            "importtime",
            "-c",
            f"import cli; cli.main(['--db', {str(db)!r}, 'show', {NUMBER!r}])",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    by_package: dict[str, float] = {}
    for line in done.stderr.splitlines():
        parts = line.removeprefix("import time:").split("|")
        if len(parts) != 3 or not parts[1].strip().isdigit():
            continue
        name = parts[2].rstrip()
        if name.startswith(" ") and not name.startswith("  "):  # imported at the top, not from inside another
            root = name.strip().split(".")[0]
            by_package[root] = by_package.get(root, 0.0) + int(parts[1]) / 1e6
    return sorted(((s, n) for n, s in by_package.items()), reverse=True)[:top]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cases", type=int, default=1_000_000)
    parser.add_argument("--calls", type=int, default=200)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        db = Path(folder) / "show.db"
        start = time.perf_counter()
        build(db, args.cases)
        clock = FrozenClock("2026-08-01T09:00:00+08:00")
        with Engine.open(db, clock=clock) as engine:
            rich_case(engine, clock, Path(folder))
            print(f"{args.cases:,} cases built and {NUMBER} handled in {time.perf_counter() - start:.0f} s")
            get, full, parts = in_process(engine, args.calls)
        jianyi = str(Path(sys.executable).with_name("jianyi"))
        env_db = ["--db", str(db)]
        python = wall([sys.executable, "-c", "pass"])
        imports = wall([sys.executable, "-c", "import cli"])
        show = wall([jianyi, *env_db, "show", NUMBER])
        show_json = wall([jianyi, *env_db, "show", NUMBER, "--json"])
        print(f"\nin process, mean of {args.calls} calls (the dossier: {parts})")
        print(f"  {'Engine.get (baseline)':<28}{get * 1000:8.2f} ms")
        print(f"  {'Engine.dossier':<28}{full * 1000:8.2f} ms   ({full / get:.1f}× get)")
        print("\nas a process, median of 5 runs")
        print(f"  {'python -c pass (baseline)':<28}{python * 1000:8.0f} ms")
        print(f"  {'import cli':<28}{imports * 1000:8.0f} ms")
        print(f"  {'jianyi show':<28}{show * 1000:8.0f} ms")
        print(f"  {'jianyi show --json':<28}{show_json * 1000:8.0f} ms")
        print("\nwhere `jianyi show` spends its imports (cumulative, top-level packages)")
        for seconds, name in slowest_imports(db):
            print(f"  {name:<28}{seconds * 1000:8.0f} ms")
        os.sync()


if __name__ == "__main__":
    main()
