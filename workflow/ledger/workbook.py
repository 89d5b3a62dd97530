"""The 台账 as an office keeps it in Excel: a title row with the 截至 date, a frozen header with a filter, 序号,
real date cells, the state in the offices' words, the days a case is overdue and the key flag, columns as wide
as what they hold (a CJK character counted double), and a landscape A4 page that repeats the header.

The sheet still imports: the title row is passed over, the derived columns (:data:`DERIVED`) are known and not
read, and a date cell reads as its day.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence
from datetime import date
from typing import Any

from workflow.core.text import display_width
from workflow.ledger.cells import append_row

__all__ = ["DERIVED", "ledger_workbook"]

# the columns the workbook adds around the ledger's own (Chinese header, English alias); never imported
DERIVED: tuple[tuple[str, str], ...] = (
    ("序号", "seq"),
    ("办理状态", "state_label"),
    ("逾期", "overdue"),
    ("重点督办", "key_flag"),
)
_MIN_WIDTH, _MAX_WIDTH = 6, 60  # characters of a column, the CJK ones counted double
_DATE_FORMAT = "yyyy-mm-dd"


def _shown(value: Any) -> str:
    if isinstance(value, date):
        return value.isoformat()
    return "" if value is None else str(value)


def ledger_workbook(
    *,
    title: str,
    header: Sequence[str],
    rows: Sequence[Sequence[Any]],
    others: Iterable[tuple[str, Sequence[str], Iterable[Sequence[Any]]]] = (),
) -> bytes:
    """The workbook: a 台账 sheet of ``rows`` under ``header`` (dates as :class:`date` cells; the first column
    is 序号), titled ``title``, then the ``others`` sheets (name, header, rows) as plain tables."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.properties import PageSetupProperties

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "台账"
    last = get_column_letter(len(header))
    append_row(sheet, [title])
    sheet.merge_cells(f"A1:{last}1")
    sheet["A1"].font = Font(bold=True, size=14)
    sheet["A1"].alignment = Alignment(horizontal="center")
    append_row(sheet, header)
    for cell in sheet[2]:
        cell.font = Font(bold=True)
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
    widths = [display_width(h) for h in header]
    for row in rows:
        append_row(sheet, [v if isinstance(v, date | int) else _shown(v) for v in row])
        for i, value in enumerate(row):
            widths[i] = max(widths[i], display_width(_shown(value)))
    for i, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(i)].width = min(_MAX_WIDTH, max(_MIN_WIDTH, width + 2))
    for column in sheet.iter_cols(min_row=3, max_row=sheet.max_row):
        for cell in column:
            if isinstance(cell.value, date):
                cell.number_format = _DATE_FORMAT
    sheet.freeze_panes = "A3"
    sheet.auto_filter.ref = f"A2:{last}{max(2, sheet.max_row)}"
    sheet.print_title_rows = "2:2"
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0
    sheet.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)
    for name, other_header, other_rows in others:
        page = book.create_sheet(name)
        append_row(page, other_header)
        for row in other_rows:
            append_row(page, row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
