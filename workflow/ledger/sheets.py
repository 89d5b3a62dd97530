"""Ledger sheets (台账): the columns, reading .xlsx/.csv files, checking rows, writing tables and rejects."""

from __future__ import annotations

import csv
import io
import itertools
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from rules import RATING_LABELS, Rating, RuleSet
from workflow.core.errors import ValidationError
from workflow.ledger.cells import append_row, restore, safe_row

__all__ = [
    "COLUMNS",
    "HEADERS",
    "LedgerRow",
    "Rejected",
    "check_rows",
    "match_columns",
    "read_rows",
    "split_names",
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
_DATE_COLUMNS = ("assigned_at", "answered_at", "feedback_at", "closed_at", "converted_at")


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
    """A row that could not be imported, with its cells and every reason."""

    line: int
    cells: dict[str, str]
    reasons: tuple[str, ...]


def read_rows(path: Path) -> tuple[list[str], list[tuple[int, list[str]]]]:
    """The header and the data rows, with their line numbers (the header is line 1), of a .xlsx or .csv ledger.

    Each cell is stripped of surrounding white space, then of the quote jianyi puts before a text that would
    start a formula (:func:`~workflow.ledger.cells.restore`), so a file jianyi wrote reads back as it was.
    """
    suffix = path.suffix.lower()
    if suffix == ".xlsx":
        from openpyxl import load_workbook

        book = load_workbook(path, read_only=True, data_only=True)
        sheet = book.worksheets[0]
        values = [[_text(v) for v in row] for row in sheet.iter_rows(values_only=True)]
        book.close()
    elif suffix == ".csv":
        text = path.read_bytes().decode("utf-8-sig")
        values = [[restore(c.strip()) for c in r] for r in csv.reader(io.StringIO(text))]
    else:
        msg = f"{path}: a ledger is a .xlsx or .csv file"
        raise ValidationError(msg)
    if not values:
        raise ValidationError(f"{path}: empty, no header row")
    header = values[0]
    rows = [(line, r) for line, r in enumerate(values[1:], start=2) if any(r)]
    return header, rows


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


def _parse_date(text: str) -> date:
    cleaned = text.strip().replace("/", "-").replace(".", "-")
    m = re.fullmatch(r"(\d{4})年(\d{1,2})月(\d{1,2})日", cleaned)
    if m:
        return date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    m = re.fullmatch(r"(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T].*)?", cleaned)
    if m:
        return date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    raise ValueError(text)


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
    (when ``strict``) holding an unknown column is refused with every problem listed and the accepted headers.
    """
    aliases = dict(columns) | {en: en for _, en in columns}
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
            raise ValidationError(f"{what}: column {name!r} appears twice (as {headers[key]} / {key})")
        found[key] = i
    missing = [f"{headers[k]} ({k})" for k in required if k not in found]
    if missing or (strict and unknown):
        problems = [f"missing column {m}" for m in missing]
        problems += [f"unknown column {u!r}" for u in unknown] if strict else []
        raise ValidationError(
            f"{what}: the header does not fit: use the Chinese headers or their English aliases "
            f"({', '.join(f'{zh}/{en}' for zh, en in columns)})",
            problems=problems,
        )
    return found


def _validate(
    line: int, cells: dict[str, str], rs: RuleSet, today: date
) -> tuple[LedgerRow | None, list[str]]:
    problems: list[str] = []

    def col(key: str) -> str:
        return f"{HEADERS[key]} ({key})"

    for key in ("number", "title", "deputy"):
        if not cells.get(key):
            problems.append(f"{col(key)}: empty")
    dates: dict[str, date | None] = {}
    for key in _DATE_COLUMNS:
        value = cells.get(key, "")
        if not value:
            dates[key] = None
            continue
        try:
            dates[key] = _parse_date(value)
        except ValueError:
            problems.append(f"{col(key)}: {value!r} is not a date (YYYY-MM-DD or YYYY年M月D日)")
            dates[key] = None
            continue
        if dates[key] > today:  # type: ignore[operator]
            problems.append(f"{col(key)}: {value} is in the future")
    category = cells.get("category", "").upper() or None
    if category is not None and category not in rs.classes:
        problems.append(f"{col('category')}: class {category!r} unknown (use {', '.join(rs.classes)})")
    rating_text = cells.get("rating", "")
    rating = _RATINGS.get(rating_text) if rating_text else None
    if rating_text and rating is None:
        problems.append(f"{col('rating')}: {rating_text!r} unknown (use 满意, 基本满意 or 不满意)")
    converted = cells.get("converted_to", "").upper() or None
    if converted is not None and (converted not in rs.classes or converted in rs.lifecycle.promise_classes):
        problems.append(f"{col('converted_to')}: {converted!r} is not a class a conversion ends in")
    needs = [
        ("answered_at", "category", "an answer needs its date and its class"),
        ("feedback_at", "rating", "feedback needs its date and the deputy's opinion"),
        ("converted_at", "converted_to", "a conversion needs its date and the new class"),
    ]
    for a, b, why in needs:
        if bool(cells.get(a)) != bool(cells.get(b)):
            problems.append(f"{col(a)} / {col(b)}: {why}")
    if dates["answered_at"] and not dates["assigned_at"]:
        problems.append(f"{col('assigned_at')}: an answered suggestion needs its assignment date")
    if dates["assigned_at"] and not cells.get("main_unit"):
        problems.append(f"{col('main_unit')}: an assigned suggestion needs its main unit")
    if dates["feedback_at"] and not dates["answered_at"]:
        problems.append(f"{col('feedback_at')}: feedback without an answer")
    if converted and category in rs.classes and category not in rs.lifecycle.promise_classes:
        problems.append(
            f"{col('converted_to')}: only a {'/'.join(rs.lifecycle.promise_classes)} answer is converted"
        )
    order = [k for k in ("assigned_at", "answered_at", "feedback_at", "closed_at") if dates.get(k)]
    for earlier, later in itertools.pairwise(order):
        if dates[later] < dates[earlier]:  # type: ignore[operator]
            problems.append(f"{col(later)}: {dates[later]} is before {HEADERS[earlier]} {dates[earlier]}")
    if dates["converted_at"] and dates["answered_at"] and dates["converted_at"] < dates["answered_at"]:
        problems.append(f"{col('converted_at')}: {dates['converted_at']} is before {HEADERS['answered_at']}")
    if problems:
        return None, problems
    return (
        LedgerRow(
            line=line,
            number=cells["number"],
            title=cells["title"],
            deputy=cells["deputy"],
            co_signers=split_names(cells.get("co_signers", "")),
            field=cells.get("field") or None,
            main_unit=cells.get("main_unit") or None,
            co_units=split_names(cells.get("co_units", "")),
            assigned_at=dates["assigned_at"],
            answered_at=dates["answered_at"],
            category=category,
            rating=rating,
            feedback_at=dates["feedback_at"],
            closed_at=dates["closed_at"],
            converted_to=converted,
            converted_at=dates["converted_at"],
        ),
        [],
    )


def split_names(text: str) -> tuple[str, ...]:
    """The names in one cell, separated by 、 , ; (full- or half-width)."""
    return tuple(n for n in _SPLIT.split(text.strip()) if n)


def check_rows(path: Path, rs: RuleSet, today: date) -> tuple[list[LedgerRow], list[Rejected], int]:
    """Read and validate every row against ``rs`` (dates after ``today`` are refused): (good rows, rejected
    rows with reasons, rows read)."""
    header, rows = read_rows(path)
    columns = match_columns(header, COLUMNS, ("number", "title", "deputy"), what=path.name)
    good: list[LedgerRow] = []
    bad: list[Rejected] = []
    seen: dict[str, int] = {}
    for line, raw in rows:
        cells = {key: (raw[i] if i < len(raw) else "") for key, i in columns.items()}
        row, problems = _validate(line, cells, rs, today)
        number = cells.get("number", "")
        if number and number in seen:
            problems.append(f"建议编号 (number): {number} already on row {seen[number]}")
            row = None
        elif number:
            seen[number] = line
        if row is None:
            bad.append(Rejected(line, {HEADERS[k]: v for k, v in cells.items()}, tuple(problems)))
        else:
            good.append(row)
    return good, bad, len(rows)


def write_rejects(path: Path, rejected: Iterable[Rejected]) -> None:
    """The rejected rows with their cells and a 原因 (reason) column, as UTF-8 CSV with a BOM (Excel opens it);
    text that would start a formula is written behind a quote, as in every sheet jianyi writes."""
    with path.open("w", encoding="utf-8-sig", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(["行号", *(HEADERS[en] for _, en in COLUMNS), "原因"])
        for r in rejected:
            writer.writerow(
                safe_row([r.line, *(r.cells.get(zh, "") for zh, _ in COLUMNS), "；".join(r.reasons)])
            )


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
        from openpyxl import Workbook

        book = Workbook()
        page = book.active
        page.title = sheet
        append_row(page, header)
        for row in rows:
            append_row(page, row)
        out = io.BytesIO()
        book.save(out)
        return out.getvalue()
    msg = f"format {fmt!r} unknown: use csv or xlsx"
    raise ValidationError(msg)
