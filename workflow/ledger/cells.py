"""Text cells a spreadsheet program shows as text, never runs as a formula (OWASP: CSV injection).

Excel, WPS and LibreOffice take a cell whose text starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage
return for a formula: a title ``=HYPERLINK("http://…","点击查看")`` in an exported ledger would open as a live
link. Every CSV and Excel file jianyi writes passes its text through :func:`neutralise`, which puts a single
quote ``'`` before such a text, as OWASP recommends. The full-width ``＝＋－＠`` count as formula starts too:
Excel and WPS in Chinese locales correct full-width characters in a formula to their ASCII forms, so they may
take one for a formula start, and a quote costs nothing: reading a sheet takes it off again (:func:`restore`),
so an exported ledger imports back unchanged. A lone ``-`` (what reports write for "nothing") is not a formula
and is left as it is.

Only text is touched: numbers and dates are written as numbers and dates, a negative number stays a number.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

__all__ = ["FORMULA_STARTS", "append_row", "neutralise", "restore", "safe_row"]

FORMULA_STARTS = frozenset("=+-@\t\r＝＋－＠")
_QUOTE = "'"
_NOTHING = "-"


def _needs_quote(text: str) -> bool:
    """Whether ``text`` gets a quote: it starts, after any quotes of its own, with a formula start.

    Counting the text's own leading quotes makes :func:`restore` the exact inverse of :func:`neutralise`: a text
    that already starts with ``'=`` gets one more quote, which reading takes off again.
    """
    rest = text.lstrip(_QUOTE)
    return rest != _NOTHING and rest[:1] in FORMULA_STARTS


def neutralise(text: str) -> str:
    """``text`` as a spreadsheet cell: with a leading ``'`` when it would otherwise start a formula."""
    return _QUOTE + text if _needs_quote(text) else text


def restore(text: str) -> str:
    """The text a cell written by :func:`neutralise` stands for: its leading ``'`` taken off again."""
    if text.startswith(_QUOTE) and _needs_quote(text[1:]):
        return text[1:]
    return text


def safe_row(values: Iterable[Any]) -> list[Any]:
    """``values`` as a row of cells: text neutralised, numbers, dates and empty cells as they are."""
    return [neutralise(v) if isinstance(v, str) else v for v in values]


def append_row(sheet: Any, values: Iterable[Any]) -> None:
    """Append ``values`` to an openpyxl worksheet; text is neutralised and written as text.

    openpyxl writes a text starting with ``=`` as a formula and ``#N/A`` (and the other error codes) as an
    error: each text cell is set to the string type, so the workbook holds exactly the text.
    """
    from openpyxl.cell.cell import Cell

    cells: list[Any] = []
    for value in safe_row(values):
        if isinstance(value, str):
            cell = Cell(sheet, row=1, column=1, value=value)  # placed by append (write-only sheets too)
            cell.data_type = "s"
            cells.append(cell)
        else:
            cells.append(value)
    sheet.append(cells)
