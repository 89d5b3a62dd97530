"""Listings for the office at a terminal (``jianyi list``, ``jianyi due``): a header, one row per case or
obligation with the days left or overdue, and a count; each row carries a tone (overdue, due soon) that a
terminal shows in colour.

Pure functions of the view objects, ``now`` and the rule set's zone; :func:`plain` writes a listing as text
(columns padded by display width, a CJK character taking two), :func:`coloured` through rich on a terminal.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, tzinfo
from enum import StrEnum
from typing import TYPE_CHECKING

from workflow.core.states import STATE_LABELS
from workflow.core.text import display_width
from workflow.core.views import WINDOW_KINDS

if TYPE_CHECKING:
    from workflow.core.views import Case, CasePage, DueItem, ExtensionRequestInfo, ReviewInfo

__all__ = [
    "SOON_DAYS",
    "Listing",
    "Tone",
    "coloured",
    "due_listing",
    "extension_listing",
    "page_listing",
    "plain",
    "review_listing",
]

SOON_DAYS = 7  # an obligation due within this many days is shown as due soon
_KINDS = {
    "co_opinion": "会办意见",
    "answer": "答复",
    "feedback": "代表反馈",
    "re_answer": "重新答复",
    "promise": "承诺事项",
}


class Tone(StrEnum):
    """How a row stands: nothing owed soon, due within :data:`SOON_DAYS` days, or overdue."""

    PLAIN = "plain"
    SOON = "soon"
    OVERDUE = "overdue"


@dataclass(frozen=True, slots=True)
class Listing:
    """A header, rows of cells (each with its tone) and a closing count."""

    header: tuple[str, ...]
    rows: tuple[tuple[tuple[str, ...], Tone], ...]
    footer: str
    empty: str = "没有符合条件的建议"


def _left(due: date, today: date) -> tuple[str, Tone]:
    """``剩N天`` or ``逾期N天`` for an obligation whose last day is ``due``."""
    days = (due - today).days
    if days < 0:
        return f"逾期{-days}天", Tone.OVERDUE
    return ("今天到期" if days == 0 else f"剩{days}天"), (Tone.SOON if days <= SOON_DAYS else Tone.PLAIN)


def _next(case: Case, today: date) -> tuple[str, Tone]:
    """What the case owes first: the days left or overdue of its earliest open obligation."""
    owed = [d.due for d in case.deadlines if d.status == "open" and d.kind not in WINDOW_KINDS]
    return _left(min(owed), today) if owed else ("-", Tone.PLAIN)


def page_listing(page: CasePage, *, now: datetime, zone: tzinfo) -> Listing:
    """``jianyi list``: number, state, round, class, main unit, what it owes first, title; and the count."""
    today = now.astimezone(zone).date()
    rows = []
    for c in page.cases:
        owed, tone = _next(c, today)
        unit = c.main_unit or "、".join(c.split_units) or "-"
        state = STATE_LABELS.get(c.state, c.state)
        rows.append(((c.number, state, str(c.round), c.category or "-", unit, owed, c.title), tone))
    if page.cases:
        footer = f"共 {page.total} 件，显示 {page.first}–{page.last}"
    else:
        footer = f"共 {page.total} 件，--offset {page.offset} 之后没有了" if page.total else ""
    return Listing(("编号", "状态", "轮次", "类别", "主办单位", "期限", "标题"), tuple(rows), footer)


def due_listing(items: Sequence[DueItem], *, now: datetime, zone: tzinfo) -> Listing:
    """``jianyi due``: last day, days left or overdue, what is owed, by whom, the case; and the count."""
    today = now.astimezone(zone).date()
    rows = []
    for i in items:
        left, tone = _left(i.due, today)
        kind = _KINDS.get(i.kind, i.kind)
        who = i.unit or "代表"
        day = f"{i.due}" + ("（暂定）" if i.provisional else "")
        rows.append(((day, left, kind, who, f"{i.session}/{i.number}", i.title), tone))
    late = sum(1 for _, tone in rows if tone is Tone.OVERDUE)
    footer = f"共 {len(rows)} 项，其中逾期 {late} 项" if rows else ""
    return Listing(
        ("到期日", "期限", "事项", "承办", "建议", "标题"), tuple(rows), footer, empty="没有到期事项"
    )


def extension_listing(items: Sequence[ExtensionRequestInfo], *, now: datetime, zone: tzinfo) -> Listing:
    """``jianyi extensions``: when asked, by whom, the answer's last day as it stands and the days left, the
    case, the reason; and the count."""
    today = now.astimezone(zone).date()
    rows = []
    for i in items:
        left, tone = _left(i.answer_due, today) if i.answer_due else ("-", Tone.PLAIN)
        due = str(i.answer_due) if i.answer_due else "-"
        asked = i.at.astimezone(zone).strftime("%Y-%m-%d %H:%M")
        rows.append(((asked, i.unit, due, left, f"{i.session}/{i.number}", i.reason), tone))
    footer = f"共 {len(rows)} 件待审批" if rows else ""
    return Listing(
        ("申请时间", "申请单位", "答复期限", "期限", "建议", "理由"),
        tuple(rows),
        footer,
        empty="没有待审批的延期申请",
    )


def review_listing(items: Sequence[ReviewInfo], *, now: datetime, zone: tzinfo) -> Listing:
    """``jianyi review list``: when sent, by whom, the class, the answer's last day and the days left, the case,
    its title; and the count."""
    today = now.astimezone(zone).date()
    rows = []
    for i in items:
        left, tone = _left(i.answer_due, today) if i.answer_due else ("-", Tone.PLAIN)
        due = str(i.answer_due) if i.answer_due else "-"
        sent = i.at.astimezone(zone).strftime("%Y-%m-%d %H:%M")
        rows.append(((sent, i.unit, i.category, due, left, f"{i.session}/{i.number}", i.title), tone))
    footer = f"共 {len(rows)} 件待审核" if rows else ""
    return Listing(
        ("提交时间", "答复单位", "类别", "答复期限", "期限", "建议", "标题"),
        tuple(rows),
        footer,
        empty="没有待审核的答复",
    )


def _widths(listing: Listing) -> list[int]:
    widths = [display_width(h) for h in listing.header]
    for cells, _ in listing.rows:
        for i, cell in enumerate(cells[:-1]):  # the last column (a title) is not padded
            widths[i] = max(widths[i], display_width(cell))
    return widths


def _line(cells: Sequence[str], widths: Sequence[int]) -> str:
    parts = [cell + " " * (widths[i] - display_width(cell)) for i, cell in enumerate(cells[:-1])]
    return "  ".join([*parts, cells[-1]])


def plain(listing: Listing) -> str:
    """The listing as text: the header, the rows, the count."""
    if not listing.rows:
        return listing.footer or listing.empty
    widths = _widths(listing)
    lines = [
        _line(listing.header, widths),
        *(_line(cells, widths) for cells, _ in listing.rows),
        listing.footer,
    ]
    return "\n".join(lines)


_STYLES = {Tone.PLAIN: "", Tone.SOON: "yellow", Tone.OVERDUE: "bold red"}


def coloured(listing: Listing) -> object:
    """The listing as a rich renderable: the header bold, overdue rows red, rows due soon yellow (rich is
    imported here, when a terminal asks for colour)."""
    from rich.table import Table
    from rich.text import Text

    table = Table(box=None, pad_edge=False, show_edge=False, header_style="bold", caption=listing.footer)
    for name in listing.header:
        table.add_column(name, no_wrap=name != listing.header[-1])
    for cells, tone in listing.rows:
        table.add_row(*(Text(cell) for cell in cells), style=_STYLES[tone])
    return table
