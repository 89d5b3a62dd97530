"""Batch assignment orders (交办会): one row per suggestion, read from a .xlsx or .csv sheet.

Columns (Chinese header, or the English alias): 建议编号 number (required), 主办单位 main, 会办单位 co,
分办单位 split, 重点 key, 复杂 complex; other columns are ignored, and named. The header is found as in a
ledger (:func:`~workflow.ledger.reading.read_sheet`: a title row above it is passed over) or given. Several units
in one cell are separated by 、 , or ;. A flag cell is yes (是, √, 1, true, yes, y), no (否, ×, 0, false, no,
n) or empty (no).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from rules.i18n import _
from workflow.core.errors import ValidationError
from workflow.engine import AssignOrder
from workflow.ledger.reading import read_sheet
from workflow.ledger.sheets import split_names

__all__ = ["ORDER_COLUMNS", "Orders", "read_orders"]

# (Chinese header, English alias)
ORDER_COLUMNS: tuple[tuple[str, str], ...] = (
    ("建议编号", "number"),
    ("主办单位", "main"),
    ("会办单位", "co"),
    ("分办单位", "split"),
    ("重点", "key"),
    ("复杂", "complex"),
)
_HEADERS = {en: zh for zh, en in ORDER_COLUMNS}
_YES = frozenset({"1", "true", "yes", "y", "是", "√"})
_NO = frozenset({"", "0", "false", "no", "n", "否", "×"})
_FLAGS = _YES | _NO


def _column(key: str) -> str:
    return f"{_HEADERS[key]} ({key})"


@dataclass(frozen=True, slots=True)
class Orders:
    """The orders of a sheet, in its order, with where its header is and the columns it ignored."""

    orders: list[AssignOrder]
    header_row: int
    ignored: tuple[str, ...]


def read_orders(path: Path, *, header_row: int | None = None) -> Orders:
    """The assignment orders of the sheet at ``path`` (its header found, or row ``header_row``).

    Raises :class:`~workflow.core.errors.ValidationError` naming every bad row by its number in the file,
    column and reason: no number, a number already on an earlier row, several units in the main unit's
    cell, a flag that is neither yes nor no. Empty rows are skipped. Whether each case exists and may be
    assigned to the units named (some unit, none empty or named twice) is the engine's to check.
    """
    sheet = read_sheet(path, ORDER_COLUMNS, ("number",), header_row=header_row)
    columns, rows = sheet.columns, sheet.rows
    orders: list[AssignOrder] = []
    problems: list[str] = []
    bad_rows = 0
    seen: dict[str, int] = {}
    for line, raw in rows:
        cells = {key: (raw[i].strip() if i < len(raw) else "") for key, i in columns.items()}
        number = cells["number"]
        bad = []
        if not number:
            bad.append(_("{value}: empty").format(value=_column("number")))
        elif number in seen:
            bad.append(
                _("{value}: {number} already on row {value2}").format(
                    value=_column("number"), number=number, value2=seen[number]
                )
            )
        else:
            seen[number] = line
        mains = split_names(cells.get("main", ""))
        if len(mains) > 1:
            bad.append(
                _(
                    "{value}: {main!r} names {count} units; a suggestion has one main unit (put the others in {co} or {split})"
                ).format(
                    value=_column("main"),
                    main=cells["main"],
                    count=len(mains),
                    co=_HEADERS["co"],
                    split=_HEADERS["split"],
                )
            )
        flags: dict[str, bool] = {}
        for key in ("key", "complex"):
            value = cells.get(key, "").lower()
            if value not in _FLAGS:
                bad.append(
                    _("{value}: {value2!r} is neither yes (是, 1) nor no (否, 0)").format(
                        value=_column(key), value2=cells[key]
                    )
                )
            flags[key] = value in _YES
        if bad:
            bad_rows += 1
            problems += [_("row {line}: {reason}").format(line=line, reason=reason) for reason in bad]
        else:
            orders.append(
                AssignOrder(
                    number,
                    main=mains[0] if mains else None,
                    co=split_names(cells.get("co", "")),
                    split=split_names(cells.get("split", "")),
                    key=flags["key"],
                    complex=flags["complex"],
                )
            )
    if problems:
        raise ValidationError(
            _("{name}: {bad_rows} of {count} row(s) are bad, nothing assigned").format(
                name=path.name, bad_rows=bad_rows, count=len(rows)
            ),
            problems=problems,
        )
    return Orders(orders, sheet.header_row, sheet.ignored)
