"""Listings at a terminal: header, days left or overdue, count; colour only where a terminal shows it."""

from __future__ import annotations

import io
import subprocess
import sys
from datetime import timedelta

from rich.console import Console

from workflow.core.views import Actor
from workflow.engine import Engine
from workflow.reporting.listing import Tone, coloured, due_listing, page_listing, plain
from workflow.testing import FrozenClock, beijing

MAIN = "市交通运输局"


def _cases(engine: Engine, clock: FrozenClock) -> None:
    clock.set(beijing("2026-07-01"))
    engine.submit("0001", title="关于公交的建议", deputy="张三")
    engine.assign("0001", main=MAIN)  # answer due 2026-10-08
    engine.submit("0002", title="关于路灯的建议", deputy="李四")
    engine.assign("0002", main=MAIN)
    engine.answer("0002", category="A", text="已解决", actor=Actor.unit(MAIN))


def test_each_case_says_what_it_owes_first(engine: Engine, clock: FrozenClock) -> None:
    """Days left, overdue and nothing owed, with the tone a terminal colours them by."""
    _cases(engine, clock)
    zone = engine.active_ruleset().zone
    on = {
        "2026-10-01": ("剩7天", Tone.SOON),
        "2026-09-01": ("剩37天", Tone.PLAIN),
        "2026-10-08": ("今天到期", Tone.SOON),
        "2026-10-20": ("逾期12天", Tone.OVERDUE),
    }
    for day, expected in on.items():
        listing = page_listing(engine.search(), now=beijing(day), zone=zone)
        row = {cells[0]: (cells[5], tone) for cells, tone in listing.rows}
        assert row["0001"] == expected, day
    text = plain(page_listing(engine.search(), now=beijing("2026-10-20"), zone=zone))
    assert text.splitlines()[0].split() == ["编号", "状态", "轮次", "类别", "主办单位", "期限", "标题"]
    assert text.splitlines()[1].split()[:3] == ["0001", "已交办", "1"]
    assert text.splitlines()[-1] == "共 2 件，显示 1–2"


def test_due_counts_the_overdue(engine: Engine, clock: FrozenClock) -> None:
    """`due` rows name what is owed and by whom; the count says how many are overdue."""
    _cases(engine, clock)
    now = beijing("2026-10-20")
    items = engine.due(within=timedelta(days=400), now=now)
    listing = due_listing(items, now=now, zone=engine.active_ruleset().zone)
    rows = {(cells[4], cells[2]): (cells[3], cells[1]) for cells, _ in listing.rows}
    assert rows[("测试会议/0001", "答复")] == (MAIN, "逾期12天")
    assert rows[("测试会议/0002", "代表反馈")][0] == "代表"  # the deputy owes the feedback on the answer
    assert listing.footer == f"共 {len(items)} 项，其中逾期 2 项"


def test_a_terminal_shows_overdue_rows_red(engine: Engine, clock: FrozenClock) -> None:
    """Through rich on a terminal the overdue row is bold red; the plain text has no escape codes."""
    _cases(engine, clock)
    listing = page_listing(engine.search(), now=beijing("2026-10-20"), zone=engine.active_ruleset().zone)
    out = io.StringIO()
    Console(file=out, force_terminal=True, color_system="standard", width=120).print(coloured(listing))
    overdue_line = next(line for line in out.getvalue().splitlines() if "0001" in line)
    assert "\x1b[1;31m" in overdue_line
    assert "\x1b[" not in plain(listing)


def test_help_does_not_import_rich() -> None:
    """rich is imported when a terminal shows a listing, not for --help."""
    code = "import sys, cli\ntry:\n    cli.main(['--help'])\nexcept SystemExit:\n    pass\nprint('rich' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip().splitlines()[-1] == "False"
