"""Reading a sheet of rows from a .xlsx or .csv file: finding its header row, matching its columns to known ones,
refusing what would be read wrong (formulas never computed, merged cells), streaming its data rows.

Nothing here knows what a ledger holds: :mod:`workflow.ledger.sheets` gives the columns and checks the rows.
"""

from __future__ import annotations

import csv
import itertools
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from rules.i18n import _
from workflow.core.errors import ValidationError
from workflow.ledger.cells import restore

__all__ = [
    "Sheet",
    "Unheaded",
    "match_columns",
    "open_sheet",
    "read_rows",
    "read_sheet",
    "sheet_names",
    "stream_sheet",
]


def read_rows(
    path: Path,
    columns: Sequence[tuple[str, str]] = (),
    *,
    header_row: int | None = None,
    sheet: str | None = None,
) -> tuple[list[str], list[tuple[int, list[str]]]]:
    """The header and the non-empty data rows below it, each with its row number in the file (a CSV record's
    number), of a .xlsx or .csv sheet.

    The header is row ``header_row`` when given; else, when ``columns`` (Chinese header, English alias) are
    given, the first of the first ten rows naming at least two of them, so a title row above the header
    (``2026年代表建议台账``) is passed over; else the first row. Rows above the header are not read as data.

    Of a workbook, the worksheet named ``sheet`` is read (default: the first one).

    A CSV file may be UTF-8 (with or without a BOM), UTF-16 with a BOM or GB18030/GBK
    (:func:`rules.loader.decode_text`), comma- or tab-separated. Of a workbook, the first worksheet is read, every
    row of it whatever its ``<dimension>`` says; a formula never computed (no value saved with it) in the header
    or a data row, or merged cells there, refuse the file, naming the cells. Each cell is stripped of
    surrounding white space, then of the quote jianyi puts before a text that would start a formula
    (:func:`~workflow.ledger.cells.restore`), so a file jianyi wrote reads back as it was.
    """
    _, header, rows = _read(path, columns, header_row, sheet)
    return header, list(rows)


def _read(
    path: Path, columns: Sequence[tuple[str, str]], header_row: int | None, sheet: str | None = None
) -> tuple[int, list[str], Iterator[tuple[int, list[str]]]]:
    """:func:`read_rows`, with the header's row number first, the data rows as they are read (a big sheet is
    never held whole)."""
    source, uncomputed, merged = _read_values(path, sheet)
    head = list(itertools.islice(source, max(_HEADER_WITHIN, header_row or 0)))
    if not head:
        raise ValidationError(_("{name}: empty, no header row").format(name=path.name))
    top = _header_index(path.name, head, columns, header_row)
    read = _known(head[top], columns)

    def is_read(column: int) -> bool:
        return read is None or column in read

    _refuse_uncomputed(path.name, [(r, c) for r, c in uncomputed if r == top or (r > top and is_read(c))])
    _refuse_merged(
        path.name,
        [
            (r1, c1, r2, c2)
            for r1, c1, r2, c2 in merged
            if r1 <= top <= r2 or (r2 > top and any(is_read(c) for c in range(c1, c2 + 1)))
        ],
    )
    rows = (
        (line, r) for line, r in enumerate(itertools.chain(head[top + 1 :], source), start=top + 2) if any(r)
    )
    return top + 1, head[top], rows


@dataclass(frozen=True, slots=True)
class Sheet:
    """A sheet read against known columns: where its header is, where each known column stands (by English
    alias), the columns it holds that are not known (ignored), and its non-empty data rows."""

    header_row: int
    columns: dict[str, int]
    ignored: tuple[str, ...]
    rows: list[tuple[int, list[str]]]


def read_sheet(
    path: Path,
    columns: Sequence[tuple[str, str]],
    required: Sequence[str],
    *,
    header_row: int | None = None,
    sheet: str | None = None,
) -> Sheet:
    """The sheet at ``path`` (:func:`read_rows`) with its header matched to ``columns``
    (:func:`match_columns`): a missing required column or a column named twice refuses it; any other column
    (序号, 备注, …, or one without a header that holds something) is ignored and named in
    :attr:`Sheet.ignored`."""
    top, header, found, stream = open_sheet(path, columns, required, header_row, sheet)
    unheaded = Unheaded(header, found)
    rows = [unheaded.see(row) for row in stream]
    return Sheet(top, found, unheaded.ignored(), rows)


def stream_sheet(
    path: Path,
    columns: Sequence[tuple[str, str]],
    required: Sequence[str],
    *,
    sheet: str | None = None,
) -> tuple[int, dict[str, int], Iterator[tuple[int, list[str]]]]:
    """:func:`read_sheet` holding no row: the header's row number, where each known column stands, and the
    data rows as they are read."""
    top, _, found, rows = open_sheet(path, columns, required, None, sheet)
    return top, found, rows


def open_sheet(
    path: Path,
    columns: Sequence[tuple[str, str]],
    required: Sequence[str],
    header_row: int | None,
    sheet: str | None,
) -> tuple[int, list[str], dict[str, int], Iterator[tuple[int, list[str]]]]:
    """The header's row number, the header, where each known column stands, and the data rows as read."""
    top, header, rows = _read(path, columns, header_row, sheet)
    where = _("{name} ({sheet}header on row {top})").format(
        name=path.name, sheet="" if sheet is None else _("sheet {sheet}, ").format(sheet=sheet), top=top
    )
    return top, header, match_columns(header, columns, required, what=where, strict=False), rows


class Unheaded:
    """The columns of a sheet it does not read, found as its rows go by: those with an unknown header, and
    those without a header that hold something in some row."""

    def __init__(self, header: list[str], found: dict[str, int]) -> None:
        self.header, self.used = header, set(found.values())
        self.blank = [i for i, name in enumerate(header) if not name and i not in self.used]
        self.filled: set[int] = set()
        self.width = len(header)

    def see(self, row: tuple[int, list[str]]) -> tuple[int, list[str]]:
        """Note what ``row`` (line, cells) holds outside the read columns; returns it."""
        cells = row[1]
        for i in self.blank:
            if i < len(cells) and cells[i]:
                self.filled.add(i)
        if len(cells) > len(self.header):
            self.width = max(self.width, len(cells))
            self.filled.update(i for i in range(len(self.header), len(cells)) if cells[i])
        return row

    def ignored(self) -> tuple[str, ...]:
        """The columns not read, in their order: by header, or by letter (``D (no header)``)."""
        found = []
        for i in range(self.width):
            if i in self.used:
                continue
            name = self.header[i] if i < len(self.header) else ""
            if name:
                found.append(name)
            elif i in self.filled:
                found.append(_("{value} (no header)").format(value=_letter(i)))
        return tuple(found)


_HEADER_WITHIN = 10  # rows searched for the header
_HEADER_NAMES = 2  # known column names a header row holds at least
_NAMED = 5  # cells named in a refusal, then "and N more"
_XLSX_MAIN = "officeDocument"
_XLSX_SHEET = "worksheet"


def _header_index(
    name: str, values: list[list[str]], columns: Sequence[tuple[str, str]], header_row: int | None
) -> int:
    """The index in ``values`` of the header (:func:`read_rows`)."""
    if header_row is not None:
        if not 1 <= header_row <= len(values):
            msg = _("{name}: no row {header_row} to be the header (the sheet has {count} row(s))").format(
                name=name, header_row=header_row, count=len(values)
            )
            raise ValidationError(msg)
        return header_row - 1
    if columns:
        for i, row in enumerate(values[:_HEADER_WITHIN]):
            if len(_known(row, columns) or ()) >= min(_HEADER_NAMES, len(columns)):
                return i
    return 0


def _known(header: Sequence[str], columns: Sequence[tuple[str, str]]) -> set[int] | None:
    """The positions in ``header`` naming one of ``columns`` (None: no columns given, every one is read)."""
    if not columns:
        return None
    names = {zh for zh, _ in columns} | {en for _, en in columns}
    return {i for i, cell in enumerate(header) if cell in names or cell.lower() in names}


def _letter(column: int) -> str:
    """The spreadsheet letter of the 0-based ``column``: 0 → A, 26 → AA."""
    letters = ""
    column += 1
    while column:
        column, rest = divmod(column - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return letters


def _some(names: Sequence[str]) -> str:
    more = _(" and {value} more").format(value=len(names) - _NAMED) if len(names) > _NAMED else ""
    return ", ".join(names[:_NAMED]) + more


def _refuse_uncomputed(name: str, cells: Sequence[tuple[int, int]]) -> None:
    if not cells:
        return
    where = _some([f"{_letter(c)}{r + 1}" for r, c in sorted(cells)])
    holds = _("holds a formula whose value was") if len(cells) == 1 else _("hold formulas whose values were")
    msg = _(
        "{name}: {where} {holds} never computed: open and save the file in Excel/WPS, or paste values"
    ).format(name=name, where=where, holds=holds)
    raise ValidationError(msg)


def _refuse_merged(name: str, ranges: Sequence[tuple[int, int, int, int]]) -> None:
    if not ranges:
        return
    where = _some([f"{_letter(c1)}{r1 + 1}:{_letter(c2)}{r2 + 1}" for r1, c1, r2, c2 in sorted(ranges)])
    msg = _(
        "{name}: merged cells {where} in the header or the rows: a sheet has one header row naming every column and a cell per row and column; unmerge them (取消合并单元格) and fill each cell"
    ).format(name=name, where=where)
    raise ValidationError(msg)


def _read_values(
    path: Path, sheet: str | None = None
) -> tuple[Iterator[list[str]], list[tuple[int, int]], list[tuple[int, int, int, int]]]:
    """Every row of a .xlsx or .csv sheet as text cells, as they are read; of a workbook (its worksheet
    ``sheet``, default the first) also the cells holding a formula never computed, and the merged ranges
    (0-based rows and columns), found before any row is read."""
    suffix = path.suffix.lower()
    if suffix == ".xlsx":
        return _read_xlsx(path, sheet)
    if suffix == ".csv":
        return _read_csv(path), [], []
    msg = _("{name}: a ledger is a .xlsx or .csv file").format(name=path.name)
    raise ValidationError(msg)


def _read_csv(path: Path) -> Iterator[list[str]]:
    """The records of the CSV file at ``path``, read as they are needed (its encoding found first,
    :func:`rules.loader.text_encoding`; comma- or tab-separated, as its first ten lines say)."""
    from rules.loader import ENCODINGS, TextUnreadable, text_encoding

    try:
        encoding = text_encoding(path)
    except TextUnreadable:
        msg = _("{name}: not text in {ENCODINGS}: save it as CSV UTF-8 (or as an Excel workbook)").format(
            name=path.name, ENCODINGS=ENCODINGS
        )
        raise ValidationError(msg) from None
    with path.open(encoding=encoding, newline="") as f:
        head = list(itertools.islice(f, _HEADER_WITHIN))
    tabs = any("\t" in line for line in head) and not any("," in line for line in head)

    def records() -> Iterator[list[str]]:
        # opened when the first record is read, closed after the last or when the reader is dropped
        with path.open(encoding=encoding, newline="") as f:
            reader = csv.reader(f, delimiter="\t" if tabs else ",")
            try:
                for r in reader:
                    # most cells start with no quote: restore() is called only for those that do
                    yield [c if c[:1] != "'" else restore(c) for c in map(str.strip, r)]
            except csv.Error as exc:
                msg = _("{name}: record {line_num} is not CSV: {exc}").format(
                    name=path.name, line_num=reader.line_num, exc=exc
                )
                raise ValidationError(msg) from None

    return records()


def sheet_names(path: Path) -> list[str]:
    """The names of the worksheets of the workbook at ``path``, in order."""
    import zipfile

    try:
        with zipfile.ZipFile(path) as archive:
            return [name for name, _path in _sheets(archive)]
    except (zipfile.BadZipFile, KeyError, ValueError, SyntaxError, StopIteration):
        msg = _("{name}: not an Excel workbook (.xlsx) jianyi can read; save it again from Excel/WPS").format(
            name=path.name
        )
        raise ValidationError(msg) from None


def _read_xlsx(
    path: Path, name: str | None = None
) -> tuple[Iterator[list[str]], list[tuple[int, int]], list[tuple[int, int, int, int]]]:
    import zipfile

    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    unreadable = (zipfile.BadZipFile, InvalidFileException, KeyError, ValueError, SyntaxError, StopIteration)
    refusal = _("{name}: not an Excel workbook (.xlsx) jianyi can read; save it again from Excel/WPS").format(
        name=path.name
    )
    try:
        uncomputed, merged = _scan_xlsx(path, name)
    except unreadable:
        raise ValidationError(refusal) from None

    def records() -> Iterator[list[str]]:
        # opened when the first row is read, closed after the last or when the reader is dropped (a refusal)
        try:
            book = load_workbook(path, read_only=True, data_only=True)
        except unreadable:
            raise ValidationError(refusal) from None
        try:
            sheet = book.worksheets[0] if name is None else book[name]
            # read-only mode stops at the rows the sheet's <dimension> claims, which some programs write wrong
            sheet.reset_dimensions()
            for row in sheet.iter_rows(values_only=True):
                yield [_text(v) for v in row]
        except unreadable:
            raise ValidationError(refusal) from None
        finally:
            book.close()

    return records(), uncomputed, merged


def _local(tag: str) -> str:
    return tag.rpartition("}")[2]


def _rels(archive: Any, part: str) -> dict[str, tuple[str, str]]:
    """The relationships of ``part`` of an Office archive: id → (kind, target part)."""
    import posixpath

    from openpyxl.xml.functions import fromstring

    folder, name = posixpath.split(part)
    root = fromstring(archive.read(posixpath.join(folder, "_rels", f"{name}.rels")))
    found = {}
    for rel in root:
        target = rel.get("Target", "")
        target = (
            target.lstrip("/")
            if target.startswith("/")
            else posixpath.normpath(posixpath.join(folder, target))
        )
        found[rel.get("Id", "")] = (rel.get("Type", "").rpartition("/")[2], target)
    return found


def _sheets(archive: Any) -> list[tuple[str, str]]:
    """The worksheets of an open workbook archive, in order: (name, part)."""
    from openpyxl.xml.functions import fromstring

    workbook = next(t for kind, t in _rels(archive, "").values() if kind == _XLSX_MAIN)
    parts = _rels(archive, workbook)
    found = []
    for element in fromstring(archive.read(workbook)).iter():
        if _local(element.tag) != "sheet":
            continue
        for key, value in element.attrib.items():
            if _local(key) == "id" and value in parts and parts[value][0] == _XLSX_SHEET:
                found.append((element.get("name", ""), parts[value][1]))
    return found


def _scan_xlsx(
    path: Path, name: str | None = None
) -> tuple[list[tuple[int, int]], list[tuple[int, int, int, int]]]:
    """The cells of the worksheet ``name`` (default: the first) holding a formula with no value saved (``<f>``
    without a ``<v>``, or with an empty one when the result is not text: a workbook written by a program that
    does not compute), and its merged ranges; openpyxl shows neither in read-only mode. The sheet's XML is
    streamed, so a big sheet costs no memory."""
    import zipfile

    from openpyxl.utils.cell import range_boundaries

    # the parser openpyxl reads the workbook with: defusedxml when installed, else expat (≥ 2.4 bounds entity
    # expansion); a workbook holds no DTD of its own
    from openpyxl.xml.functions import iterparse

    uncomputed: list[tuple[int, int]] = []
    merged: list[tuple[int, int, int, int]] = []
    with zipfile.ZipFile(path) as archive:
        sheets = _sheets(archive)
        sheet = sheets[0][1] if name is None else next(part for n, part in sheets if n == name)
        with archive.open(sheet) as source:
            row = column = 0
            data: Any = None
            for event, element in iterparse(source, events=("start", "end")):
                tag = _local(element.tag)
                if event == "start":
                    if tag == "sheetData":
                        data = element
                    elif tag == "row":
                        row = int(element.get("r") or row + 1)
                        column = 0
                    elif tag == "c":
                        ref = element.get("r")
                        column = range_boundaries(ref)[0] if ref else column + 1
                    continue
                if tag == "c":
                    children = {_local(child.tag): child.text for child in element}
                    # a text result may be empty (t="str"), a number never: openpyxl writes <v/> for "none"
                    if "f" in children and not children.get("v") and element.get("t") != "str":
                        uncomputed.append((row - 1, column - 1))
                elif tag == "row" and data is not None:
                    data.clear()
                elif tag == "mergeCell":
                    c1, r1, c2, r2 = range_boundaries(element.get("ref", ""))
                    if None not in (c1, r1, c2, r2):  # whole rows or columns merged: no cells named
                        merged.append((r1 - 1, c1 - 1, r2 - 1, c2 - 1))
    return uncomputed, merged


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return restore(str(value).strip())


def match_columns(
    header: Sequence[str],
    columns: Sequence[tuple[str, str]],
    required: Sequence[str],
    *,
    what: str,
    strict: bool = True,
) -> dict[str, int]:
    """Where each known column stands in ``header`` (its Chinese header or English alias, any case), by alias.

    ``columns`` lists (Chinese header, English alias); a header naming one twice, missing one of ``required``, or
    (when ``strict``) holding an unknown column is refused with every problem listed and the accepted headers
    (the unknown columns too when one is missing: one of them may be it, misspelt).
    """
    aliases = dict(columns) | {en: en for _zh, en in columns}
    headers = {en: zh for zh, en in columns}
    found: dict[str, int] = {}
    unknown = []
    for i, name in enumerate(header):
        key = aliases.get(name) or aliases.get(name.lower())
        if key is None:
            if name:
                unknown.append(name)
            continue
        if key in found:
            raise ValidationError(
                _("{what}: column {name!r} appears twice (as {value} / {key})").format(
                    what=what, name=name, value=headers[key], key=key
                )
            )
        found[key] = i
    missing = [f"{headers[k]} ({k})" for k in required if k not in found]
    if missing or (strict and unknown):
        problems = [_("missing column {m}").format(m=m) for m in missing]
        problems += [_("unknown column {u!r}").format(u=u) for u in unknown]
        raise ValidationError(
            _(
                "{what}: the header does not fit: use the Chinese headers or their English aliases ({names})"
            ).format(what=what, names=", ".join((f"{zh}/{en}" for zh, en in columns))),
            problems=problems,
        )
    return found
