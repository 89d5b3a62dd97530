"""The 台账 workbook an office can use: title with the 截至 date, frozen header with a filter, 序号, date cells,
states in the offices' words, days overdue, the key flag, widths from the content, a landscape A4 page; and
every CSV begins with a BOM."""

from __future__ import annotations

import io
from datetime import date

from openpyxl import load_workbook

from workflow.core.views import Actor
from workflow.engine import Engine
from workflow.ledger import export_ledger, export_public
from workflow.reporting.formats import render
from workflow.reporting.reports import build
from workflow.testing import FrozenClock, beijing

MAIN = "市交通运输局"


def _cases(engine: Engine, clock: FrozenClock) -> None:
    engine.submit(
        "0001",
        title="关于优化公交线路和站点设置以方便群众出行的建议",
        deputy="张三",
        at=beijing("2026-01-10"),
    )
    engine.assign("0001", main=MAIN, key=True, at=beijing("2026-02-10"))
    engine.submit("0002", title='=HYPERLINK("http://x","点击")', deputy="李四", at=beijing("2026-01-11"))
    engine.assign("0002", main=MAIN, at=beijing("2026-02-10"))
    engine.answer("0002", category="A", text="已解决", actor=Actor.unit(MAIN), at=beijing("2026-03-02"))
    engine.submit("0003", title="关于路灯的建议", deputy="王五", at=beijing("2026-01-12"))
    clock.set(beijing("2026-06-01"))


def test_the_ledger_sheet_is_a_working_ledger(engine: Engine, clock: FrozenClock) -> None:
    """Title row, header on row 2 frozen and filtered, 序号, real dates, Chinese states, 逾期 days, 重点督办."""
    _cases(engine, clock)
    book = load_workbook(io.BytesIO(bytes(export_ledger(engine, "xlsx"))))
    sheet = book["台账"]
    assert sheet["A1"].value == f"{engine.congress} 测试会议 代表建议办理台账（截至 2026-06-01）"
    assert [str(r) for r in sheet.merged_cells.ranges] == [
        f"A1:{sheet.cell(2, sheet.max_column).column_letter}1"
    ]
    header = [c.value for c in sheet[2]]
    assert header[:3] == ["序号", "建议编号", "标题"]
    assert header[-3:] == ["办理状态", "逾期", "重点督办"]
    rows = {r[1]: dict(zip(header, r, strict=True)) for r in sheet.iter_rows(min_row=3, values_only=True)}
    first = rows["0001"]
    assert first["序号"] == 1
    assert first["交办日期"].date() == date(2026, 2, 10)  # a date cell, not text
    assert first["办理状态"] == "已交办"
    assert first["重点督办"] == "是"
    # the answer was due 2026-05-11 (three months from 02-10, a working day): 21 days past on 06-01
    assert first["逾期"] == "逾期21天"
    second = rows["0002"]
    assert (second["办理状态"], second["重点督办"]) == ("已答复", None)
    feedback_due = next(d.due for d in engine.get("0002").deadlines if d.kind == "feedback")
    assert second["逾期"] == f"逾期{(date(2026, 6, 1) - feedback_due).days}天"  # the deputy owes the feedback
    assert rows["0002"]["标题"] == '\'=HYPERLINK("http://x","点击")'  # never a live formula
    assert rows["0003"]["办理状态"] == "已提出"
    date_cell = sheet.cell(3, header.index("交办日期") + 1)
    assert date_cell.number_format == "yyyy-mm-dd"
    assert sheet.freeze_panes == "A3"
    assert sheet.auto_filter.ref == f"A2:{sheet.cell(2, len(header)).column_letter}5"
    title_width = sheet.column_dimensions["C"].width
    assert title_width >= 2 * len("关于优化公交线路和站点设置以方便群众出行的建议")  # CJK counted double
    assert sheet.column_dimensions["A"].width < title_width
    assert (sheet.page_setup.orientation, str(sheet.page_setup.paperSize)) == (
        "landscape",
        str(sheet.PAPERSIZE_A4),
    )
    assert sheet.print_title_rows == "$2:$2"
    assert book.sheetnames == ["台账", "办理过程"]


def test_every_csv_begins_with_a_bom(engine: Engine, clock: FrozenClock) -> None:
    """The ledger, the public file and every report as CSV start with the BOM Excel needs to read UTF-8."""
    _cases(engine, clock)
    texts = [
        export_ledger(engine, "csv"),
        export_public(engine, "csv"),
        render(build(engine, "summary"), "csv"),
    ]
    assert all(isinstance(t, str) and t.startswith("\ufeff") for t in texts)
