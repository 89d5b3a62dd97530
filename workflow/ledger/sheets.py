"""Ledger sheets (台账): the columns, checking rows (read by :mod:`workflow.ledger.reading`), writing tables and
rejects."""

from __future__ import annotations

import csv
import io
import itertools
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from functools import cache, lru_cache
from pathlib import Path
from typing import Any

from rules import RATING_LABELS, Rating, RuleSet
from rules.i18n import N_, _
from workflow.core.clock import checked_day
from workflow.core.errors import ValidationError
from workflow.ledger.cells import append_row, safe_row
from workflow.ledger.reading import Unheaded, open_sheet
from workflow.ledger.workbook import DERIVED

__all__ = [
    "COLUMNS",
    "DATE_COLUMNS",
    "HEADERS",
    "Checked",
    "LedgerRow",
    "LedgerScan",
    "Rejected",
    "RejectsFile",
    "check_rows",
    "scan_rows",
    "split_names",
    "write_book",
    "write_rejects",
    "write_table",
]

# (Chinese header, English alias)
COLUMNS: tuple[tuple[str, str], ...] = (
    ("建议编号", "number"),
    ("标题", "title"),
    ("领衔代表", "deputy"),
    ("附议代表", "co_signers"),
    ("领域", "field"),
    ("主办单位", "main_unit"),
    ("会办单位", "co_units"),
    ("交办日期", "assigned_at"),
    ("答复日期", "answered_at"),
    ("办理类别", "category"),
    ("代表意见", "rating"),
    ("反馈日期", "feedback_at"),
    ("办结日期", "closed_at"),
    ("转化类别", "converted_to"),
    ("转化日期", "converted_at"),
)
HEADERS = {en: zh for zh, en in COLUMNS}
_RATINGS = {label: value for value, label in RATING_LABELS.items()} | {r.value: r.value for r in Rating}
_SPLIT = re.compile(r"\s*[、,，;；]\s*")
DATE_COLUMNS = ("assigned_at", "answered_at", "feedback_at", "closed_at", "converted_at")


@dataclass(frozen=True, slots=True)
class LedgerRow:
    """One validated ledger row."""

    line: int
    number: str
    title: str
    deputy: str
    co_signers: tuple[str, ...] = ()
    field: str | None = None
    main_unit: str | None = None
    co_units: tuple[str, ...] = ()
    assigned_at: date | None = None
    answered_at: date | None = None
    category: str | None = None
    rating: str | None = None
    feedback_at: date | None = None
    closed_at: date | None = None
    converted_to: str | None = None
    converted_at: date | None = None


@dataclass(frozen=True, slots=True)
class Rejected:
    """A row that could not be imported, with its cells (in :data:`COLUMNS` order: a file of a million bad rows
    is held as tuples, not dicts) and every reason."""

    line: int
    values: tuple[str, ...]
    reasons: tuple[str, ...]

    @classmethod
    def of(cls, line: int, cells: Mapping[str, str], reasons: Sequence[str]) -> Rejected:
        """The rejected row ``line`` whose cells are ``cells`` (by Chinese header; a missing one is empty)."""
        return cls(line, tuple(cells.get(zh, "") for zh, _ in COLUMNS), tuple(reasons))

    @property
    def number(self) -> str:
        """The row's 建议编号 (empty when it had none)."""
        return self.values[0]

    @property
    def cells(self) -> dict[str, str]:
        """The row's cells by Chinese header."""
        return {zh: value for (zh, _), value in zip(COLUMNS, self.values, strict=True)}


@lru_cache(maxsize=4096)  # a ledger's dates repeat: each distinct text is parsed once
def _parse_date(text: str) -> date:
    cleaned = text.strip().replace("/", "-").replace(".", "-")
    m = re.fullmatch(r"(\d{4})年(\d{1,2})月(\d{1,2})日", cleaned)
    if m:
        return date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    m = re.fullmatch(r"(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T].*)?", cleaned)
    if m:
        return date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    raise ValueError(text)


# cells that go in pairs, and why (translated when a row breaks the pair, not for every row)
_NEEDS = (
    ("answered_at", "category", N_("an answer needs its date and its class")),
    ("feedback_at", "rating", N_("feedback needs its date and the deputy's opinion")),
    ("converted_at", "converted_to", N_("a conversion needs its date and the new class")),
)


def _validate(
    line: int, cells: dict[str, str], rs: RuleSet, today: date
) -> tuple[LedgerRow | None, list[str]]:
    problems: list[str] = []

    def col(key: str) -> str:
        return f"{HEADERS[key]} ({key})"

    for key in ("number", "title", "deputy"):
        if not cells.get(key):
            problems.append(_("{value}: empty").format(value=col(key)))
    problems += _name_problems(cells, col)
    dates: dict[str, date | None] = {}
    for key in DATE_COLUMNS:
        value = cells.get(key, "")
        if not value:
            dates[key] = None
            continue
        try:
            day = _parse_date(value)
        except ValueError:
            problems.append(
                _("{value}: {value2!r} is not a date (YYYY-MM-DD or YYYY年M月D日)").format(
                    value=col(key), value2=value
                )
            )
            dates[key] = None
            continue
        try:
            dates[key] = checked_day(day, "date")
        except ValueError as exc:
            problems.append(f"{col(key)}: {exc}")
            dates[key] = None
            continue
        if dates[key] > today:  # type: ignore[operator]
            problems.append(_("{value}: {value2} is in the future").format(value=col(key), value2=value))
    category = cells.get("category", "").upper() or None
    if category is not None and category not in rs.classes:
        problems.append(
            _("{value}: class {category!r} unknown (use {names})").format(
                value=col("category"), category=category, names=", ".join(rs.classes)
            )
        )
    rating_text = cells.get("rating", "")
    rating = _RATINGS.get(rating_text) if rating_text else None
    if rating_text and rating is None:
        problems.append(
            _("{value}: {rating_text!r} unknown (use 满意, 基本满意 or 不满意)").format(
                value=col("rating"), rating_text=rating_text
            )
        )
    converted = cells.get("converted_to", "").upper() or None
    if converted is not None and converted not in rs.lifecycle.conversion_classes:
        targets = " or ".join(rs.lifecycle.conversion_classes)
        problems.append(
            _("{value}: {converted!r} is not a class a conversion ends in (use {targets})").format(
                value=col("converted_to"), converted=converted, targets=targets
            )
        )
    for a, b, why in _NEEDS:
        if bool(cells.get(a)) != bool(cells.get(b)):
            problems.append(_("{first} / {second}: {why}").format(first=col(a), second=col(b), why=_(why)))
    if dates["answered_at"] and not dates["assigned_at"]:
        problems.append(
            _("{value}: an answered suggestion needs its assignment date").format(value=col("assigned_at"))
        )
    if dates["assigned_at"] and not cells.get("main_unit"):
        problems.append(
            _("{value}: an assigned suggestion needs its main unit").format(value=col("main_unit"))
        )
    if dates["feedback_at"] and not dates["answered_at"]:
        problems.append(_("{value}: feedback without an answer").format(value=col("feedback_at")))
    if converted and category in rs.classes and category not in rs.lifecycle.promise_classes:
        problems.append(
            _("{value}: only a {names} answer is converted").format(
                value=col("converted_to"), names="/".join(rs.lifecycle.promise_classes)
            )
        )
    order = [k for k in ("assigned_at", "answered_at", "feedback_at", "closed_at") if dates.get(k)]
    for earlier, later in itertools.pairwise(order):
        if dates[later] < dates[earlier]:  # type: ignore[operator]
            problems.append(
                _("{value}: {value2} is before {value3} {value4}").format(
                    value=col(later), value2=dates[later], value3=HEADERS[earlier], value4=dates[earlier]
                )
            )
    if dates["converted_at"] and dates["answered_at"] and dates["converted_at"] < dates["answered_at"]:
        problems.append(
            _("{value}: {converted_at} is before {answered_at}").format(
                value=col("converted_at"),
                converted_at=dates["converted_at"],
                answered_at=HEADERS["answered_at"],
            )
        )
    if problems:
        return None, problems
    return (
        # by position, in the fields' order: sixteen keywords cost a frozen dataclass three times as much
        LedgerRow(
            line,
            cells["number"],
            cells["title"],
            cells["deputy"],
            split_names(cells.get("co_signers", "")),
            cells.get("field") or None,
            cells.get("main_unit") or None,
            split_names(cells.get("co_units", "")),
            dates["assigned_at"],
            dates["answered_at"],
            category,
            rating,
            dates["feedback_at"],
            dates["closed_at"],
            converted,
            dates["converted_at"],
        ),
        [],
    )


# the cells naming something, with what each name is and where it is stored (table, column): checked before
# anything is written, as `unit add` and `deputy add` check a name typed
_NAMES = (
    ("number", "number", "suggestions", "number"),
    ("title", "title", "suggestions", "title"),
    ("deputy", "deputy", "deputies", "name"),
    ("co_signers", "deputy", "deputies", "name"),
    ("main_unit", "unit", "units", "name"),
    ("co_units", "unit", "units", "name"),
)


def _name_problems(cells: dict[str, str], col: Callable[[str], str]) -> list[str]:
    """What is wrong with the names in ``cells``: a control character (an escape code, a line break in a name),
    or a name longer than its column holds."""
    from workflow.core.text import control_character

    problems = []
    for key, what, table, column in _NAMES:
        text = cells.get(key, "")
        if not text or ((key == "title" or text.isprintable()) and len(text) <= _limit(table, column)):
            continue  # the common case, at C speed: no name in the cell can be wrong
        names = split_names(text) if key in ("co_signers", "co_units") else (text,)
        for name in names:
            bad = None if key == "title" else control_character(name)
            if bad is not None:
                problems.append(
                    _(
                        "{value}: {what} {name!r} holds a control character ({bad}); type it on one line"
                    ).format(value=col(key), what=what, name=name, bad=bad)
                )
            elif len(name) > (limit := _limit(table, column)):
                problems.append(
                    f"{col(key)}: {what} {name[:20]!r}…: it is {len(name):,} characters long; at most {limit} fit"
                )
    return problems


@cache
def _limit(table: str, column: str) -> int:
    """How many characters ``column`` of ``table`` holds."""
    from workflow.store.models import column_length

    return column_length(table, column)


def split_names(text: str) -> tuple[str, ...]:
    """The names in one cell, separated by 、 , ; (full- or half-width)."""
    return tuple(n for n in _SPLIT.split(text.strip()) if n)


@dataclass(frozen=True, slots=True)
class Checked:
    """A ledger read and checked: the good rows, the rejected ones with their reasons, how many rows were read,
    where the header is and the columns ignored (:class:`Sheet`)."""

    good: list[LedgerRow]
    bad: list[Rejected]
    rows: int
    header_row: int
    ignored: tuple[str, ...]


class LedgerScan:
    """A ledger sheet checked row by row as it is read (:func:`scan_rows`): iterating it yields each data row as
    a :class:`LedgerRow` when it is good, else as a :class:`Rejected` with every reason; only the numbers seen
    (a number already on an earlier row is refused) are kept, never the rows. The same file scanned again
    yields the same rows with the same verdicts."""

    def __init__(self, path: Path, rs: RuleSet, today: date, header_row: int | None) -> None:
        # the columns the 台账 workbook adds (序号, state, overdue, key) are known, so not named as ignored, and
        # not read
        self.header_row, header, found, self._rows = open_sheet(
            path, (*COLUMNS, *DERIVED), ("number", "title", "deputy"), header_row, None
        )
        self._unheaded = Unheaded(header, found)
        self._columns = {alias: i for alias, i in found.items() if alias in HEADERS}
        self._rs, self._today = rs, today
        self._seen: dict[str, int] = {}
        self.rows = 0  # data rows read so far

    def __iter__(self) -> Iterator[LedgerRow | Rejected]:
        columns, seen = self._columns, self._seen
        for line, raw in map(self._unheaded.see, self._rows):
            self.rows += 1
            cells = {key: (raw[i] if i < len(raw) else "") for key, i in columns.items()}
            row, problems = _validate(line, cells, self._rs, self._today)
            number = cells.get("number", "")
            if number and number in seen:
                problems.append(
                    _("建议编号 (number): {number} already on row {value}").format(
                        number=number, value=seen[number]
                    )
                )
                row = None
            elif number:
                seen[number] = line
            yield (
                Rejected.of(line, {HEADERS[k]: v for k, v in cells.items()}, problems) if row is None else row
            )

    def holds(self, number: str) -> bool:
        """Whether a row read so far, good or bad, has the number ``number``."""
        return number in self._seen

    @property
    def ignored(self) -> tuple[str, ...]:
        """The columns not imported (:attr:`Sheet.ignored`), of the rows read so far."""
        return self._unheaded.ignored()


def scan_rows(path: Path, rs: RuleSet, today: date, *, header_row: int | None = None) -> LedgerScan:
    """The ledger at ``path`` (its header found, or on row ``header_row``), to be checked against ``rs`` row by
    row as it is read (dates after ``today`` are refused): a sheet of any length in little memory."""
    return LedgerScan(path, rs, today, header_row)


def check_rows(path: Path, rs: RuleSet, today: date, *, header_row: int | None = None) -> Checked:
    """Read (:func:`read_sheet`; the header found, or row ``header_row``) and validate every row against ``rs``
    (dates after ``today`` are refused), holding them all (:func:`scan_rows` holds none)."""
    scan = scan_rows(path, rs, today, header_row=header_row)
    good: list[LedgerRow] = []
    bad: list[Rejected] = []
    for item in scan:
        if isinstance(item, Rejected):
            bad.append(item)
        else:
            good.append(item)
    return Checked(good, bad, scan.rows, scan.header_row, scan.ignored)


class RejectsFile:
    """The rejects file (:func:`write_rejects`) written as rows come: into a file beside ``path`` that takes its
    place when the writer closes without an error (a failure leaves ``path`` as it was)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._part = path.with_name(f".{path.name}.part")
        self._out = self._part.open("w", encoding="utf-8-sig", newline="")
        self._writer = csv.writer(self._out)
        self._writer.writerow(["行号", *(HEADERS[en] for _, en in COLUMNS), "原因"])

    def write(self, r: Rejected) -> None:
        """Add the rejected row ``r``."""
        self._writer.writerow(safe_row([r.line, *r.values, "；".join(r.reasons)]))

    def __enter__(self) -> RejectsFile:
        return self

    def __exit__(self, kind: type[BaseException] | None, *_: object) -> None:
        self._out.close()
        if kind is None:
            self._part.replace(self.path)
        else:
            self._part.unlink(missing_ok=True)


def write_rejects(path: Path, rejected: Iterable[Rejected]) -> None:
    """The rejected rows with their cells and a 原因 (reason) column, as UTF-8 CSV with a BOM (Excel opens it);
    text that would start a formula is written behind a quote, as in every sheet jianyi writes."""
    with RejectsFile(path) as out:
        for r in rejected:
            out.write(r)


def write_book(sheets: Sequence[tuple[str, Sequence[str], Iterable[Sequence[Any]]]]) -> bytes:
    """An Excel workbook of ``(name, header, rows)`` sheets, in order; text that would start a formula is
    written behind a quote (:func:`~workflow.ledger.cells.neutralise`)."""
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    for name, header, rows in sheets:
        page = book.create_sheet(name)
        append_row(page, header)
        for row in rows:
            append_row(page, row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def write_table(header: list[str], rows: list[list[str]], fmt: str, sheet: str) -> str | bytes:
    """``rows`` under ``header`` as CSV text (with a BOM, for Excel) or an Excel workbook with one sheet; text
    that would start a formula is written behind a quote (:func:`~workflow.ledger.cells.neutralise`)."""
    if fmt == "csv":
        buffer = io.StringIO()
        # rows end in "\r\n" (RFC 4180), so a cell holding a CR is quoted: a bare CR would end the row in a
        # spreadsheet program and start a cell of its own, unquoted.
        writer = csv.writer(buffer)
        writer.writerow(safe_row(header))
        writer.writerows(safe_row(row) for row in rows)
        return "\ufeff" + buffer.getvalue()
    if fmt == "xlsx":
        return write_book([(sheet, header, rows)])
    msg = _("format {fmt!r} unknown: use csv or xlsx").format(fmt=fmt)
    raise ValidationError(msg)
