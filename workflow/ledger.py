"""The ledger (台账): importing a year of paper-era spreadsheets as cases, and exporting them again.

A ledger row becomes a case replayed through the real lifecycle with the row's dates, so its deadlines,
on-time flags and audit events are true to them: submitted and assigned on 交办日期 (09:00 and 09:30 local),
answered on 答复日期 (10:00, by the main unit; co-unit opinions the ledger does not hold are waived by the
office, audited), feedback on 反馈日期 (11:00), closed on 办结日期 (11:30) when the rule set has not already
closed it on feedback, converted on 转化日期 (14:00). Unknown units and deputies are created.

Every row is checked before anything is written: one bad row (missing number, unknown class, unparseable
date, dates out of order, duplicate number, …) stops the import with every bad row listed by row, column and
reason, unless the caller skips bad rows (they are returned with their reasons). A case already in the
session is brought forward only by the steps it lacks, so importing the same file twice changes nothing.
"""

from __future__ import annotations

import csv
import io
import itertools
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection

from rules import RATING_LABELS, Rating, RuleSet
from workflow._sql import Raw, as_instant
from workflow._tx import Tx, write_deferred
from workflow.errors import ValidationError, WorkflowError
from workflow.recompute import no_cycle_collection
from workflow.states import State
from workflow.views import Actor

if TYPE_CHECKING:
    from workflow.engine import Engine

__all__ = [
    "COLUMNS",
    "ImportReport",
    "LedgerRow",
    "Rejected",
    "export_ledger",
    "export_public",
    "import_ledger",
    "read_rows",
    "split_names",
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
_ALIASES = dict(COLUMNS) | {en: en for _, en in COLUMNS}
_HEADERS = {en: zh for zh, en in COLUMNS}
_RATINGS = {label: value for value, label in RATING_LABELS.items()} | {r.value: r.value for r in Rating}
_SPLIT = re.compile(r"\s*[、,，;；]\s*")
_TIMES = {
    "submit": time(9),
    "assign": time(9, 30),
    "answer": time(10),
    "feedback": time(11),
    "close": time(11, 30),
    "convert": time(14),
}
_DATE_COLUMNS = ("assigned_at", "answered_at", "feedback_at", "closed_at", "converted_at")
BATCH = 500  # new cases replayed per transaction
# what the replayed actions say of themselves
_ANSWER = "（台账导入）"
_WAIVED = "台账导入：会办意见未在台账登记"
_UNSATISFIED = "台账导入：代表不满意"
_CLOSED = "台账导入：办结"
_CONVERTED = "台账导入"


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


@dataclass
class ImportReport:
    """What an import did."""

    rows: int = 0
    created: int = 0
    advanced: int = 0  # existing cases brought forward
    unchanged: int = 0
    units_created: list[str] = field(default_factory=list)
    deputies_created: list[str] = field(default_factory=list)
    rejected: list[Rejected] = field(default_factory=list)


def read_rows(path: Path) -> tuple[list[str], list[tuple[int, list[str]]]]:
    """The header and the data rows, with their line numbers (the header is line 1), of a .xlsx or .csv ledger."""
    suffix = path.suffix.lower()
    if suffix == ".xlsx":
        from openpyxl import load_workbook

        book = load_workbook(path, read_only=True, data_only=True)
        sheet = book.worksheets[0]
        values = [[_text(v) for v in row] for row in sheet.iter_rows(values_only=True)]
        book.close()
    elif suffix == ".csv":
        text = path.read_bytes().decode("utf-8-sig")
        values = [list(r) for r in csv.reader(io.StringIO(text))]
    else:
        msg = f"{path}: a ledger is a .xlsx or .csv file"
        raise ValidationError(msg)
    if not values:
        raise ValidationError(f"{path}: empty, no header row")
    header = [h.strip() for h in values[0]]
    rows = [(line, r) for line, r in enumerate(values[1:], start=2) if any(c.strip() for c in r)]
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
    return str(value).strip()


def _parse_date(text: str) -> date:
    cleaned = text.strip().replace("/", "-").replace(".", "-")
    m = re.fullmatch(r"(\d{4})年(\d{1,2})月(\d{1,2})日", cleaned)
    if m:
        return date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    m = re.fullmatch(r"(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T].*)?", cleaned)
    if m:
        return date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    raise ValueError(text)


def _columns(header: Sequence[str]) -> dict[str, int]:
    found: dict[str, int] = {}
    unknown = []
    for i, name in enumerate(header):
        key = _ALIASES.get(name) or _ALIASES.get(name.lower())
        if key is None:
            if name:
                unknown.append(name)
            continue
        if key in found:
            raise ValidationError(f"column {name!r} appears twice (as {_HEADERS[key]} / {key})")
        found[key] = i
    missing = [f"{_HEADERS[k]} ({k})" for k in ("number", "title", "deputy") if k not in found]
    if missing or unknown:
        problems = [f"missing column {m}" for m in missing] + [f"unknown column {u!r}" for u in unknown]
        raise ValidationError(
            "the ledger's header does not fit: use the Chinese headers or their English aliases "
            f"({', '.join(f'{zh}/{en}' for zh, en in COLUMNS)})",
            problems=problems,
        )
    return found


def _validate(
    line: int, cells: dict[str, str], rs: RuleSet, today: date
) -> tuple[LedgerRow | None, list[str]]:
    problems: list[str] = []

    def col(key: str) -> str:
        return f"{_HEADERS[key]} ({key})"

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
            problems.append(f"{col(later)}: {dates[later]} is before {_HEADERS[earlier]} {dates[earlier]}")
    if dates["converted_at"] and dates["answered_at"] and dates["converted_at"] < dates["answered_at"]:
        problems.append(f"{col('converted_at')}: {dates['converted_at']} is before {_HEADERS['answered_at']}")
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


def check_rows(engine: Engine, path: Path) -> tuple[list[LedgerRow], list[Rejected], int]:
    """Read and validate every row: (good rows, rejected rows with reasons, rows read)."""
    header, rows = read_rows(path)
    columns = _columns(header)
    rs = engine.active_ruleset()
    today = engine.clock.now().astimezone(rs.zone).date()
    good: list[LedgerRow] = []
    bad: list[Rejected] = []
    seen: dict[str, int] = {}
    for line, raw in rows:
        cells = {key: (raw[i].strip() if i < len(raw) else "") for key, i in columns.items()}
        row, problems = _validate(line, cells, rs, today)
        number = cells.get("number", "")
        if number and number in seen:
            problems.append(f"建议编号 (number): {number} already on row {seen[number]}")
            row = None
        elif number:
            seen[number] = line
        if row is None:
            bad.append(Rejected(line, {_HEADERS[k]: v for k, v in cells.items()}, tuple(problems)))
        else:
            good.append(row)
    return good, bad, len(rows)


def import_ledger(
    engine: Engine,
    path: Path,
    *,
    session: str | None = None,
    skip_bad: bool = False,
    progress: Callable[[int, int], None] | None = None,
) -> ImportReport:
    """Import ``path`` into ``session`` (default: the current one): all or nothing unless ``skip_bad``.

    New cases are replayed in batches of :data:`BATCH` per transaction; cases already in the session are
    brought forward one action at a time. The replayed actions send no notices (they happened on paper;
    :meth:`Engine.quietly`). ``progress(done, total)`` is called after each batch (and every 100 rows
    brought forward).
    """
    good, bad, total = check_rows(engine, path)
    if bad and not skip_bad:
        raise ValidationError(
            f"{path.name}: {len(bad)} of {total} row(s) are bad, nothing was imported "
            "(fix them, or import the good rows with --skip-bad REJECTS.csv)",
            problems=[f"row {r.line}: {reason}" for r in bad for reason in r.reasons],
        )
    report = ImportReport(rows=total, rejected=bad)
    existing = _existing(
        engine, session, [r.number for r in good]
    )  # names an unknown session before any write
    known_units = {u.name for u in engine.units()}
    known_deputies = {d.name for d in engine.deputies()}
    for row in good:
        for unit in [row.main_unit, *row.co_units]:
            if unit and unit not in known_units:
                engine.add_unit(unit)
                known_units.add(unit)
                report.units_created.append(unit)
        for deputy in (row.deputy, *row.co_signers):
            if deputy not in known_deputies:
                engine.add_deputy(deputy)
                known_deputies.add(deputy)
                report.deputies_created.append(deputy)
    rs = engine.active_ruleset()
    with engine.quietly():
        _import_rows(engine, rs, good, existing, session, report, progress)
    return report


def _import_rows(
    engine: Engine,
    rs: RuleSet,
    good: list[LedgerRow],
    existing: dict[str, dict[str, Any]],
    session: str | None,
    report: ImportReport,
    progress: Callable[[int, int], None] | None,
) -> None:
    batch: list[LedgerRow] = []
    done = 0

    def flush() -> None:
        nonlocal done
        if batch:
            _replay_batch(engine, rs, batch, session)
            report.created += len(batch)
            done += len(batch)
            batch.clear()
            if progress is not None:
                progress(done, len(good))

    for row in good:  # in the file's order: runs of new cases in batches, existing ones one by one
        if row.number not in existing:
            batch.append(row)
            if len(batch) == BATCH:
                flush()
            continue
        flush()
        if _replay(engine, rs, row, existing[row.number], session):
            report.advanced += 1
        else:
            report.unchanged += 1
        done += 1
        if progress is not None and (done % 100 == 0 or done == len(good)):
            progress(done, len(good))
    flush()


def _replay_batch(engine: Engine, rs: RuleSet, rows: Sequence[LedgerRow], session: str | None) -> None:
    """Replay new cases in one transaction: each row's actions run the engine's own action code, chained on
    the case (:meth:`~workflow._tx.Tx.then`), and everything is written in one statement per table.

    When the lifecycle refuses any row, the batch is rolled back and its rows replayed one action at a time,
    so that the rows before the refused one are imported and the error names that row, as without batches.
    """
    txs: list[Tx] = []
    try:
        with no_cycle_collection(), engine._action() as conn:
            where = engine._session_ref(conn, session)
            for row in rows:
                txs.extend(_chain(engine, conn, rs, row, where))
            write_deferred(Raw(conn), txs, what="ledger import")
    except WorkflowError:
        for row in rows:
            _replay(engine, rs, row, None, session)
        return
    for tx in txs:
        engine._publish(tx.events)


def _chain(engine: Engine, conn: Connection, rs: RuleSet, row: LedgerRow, where: tuple[int, str]) -> list[Tx]:
    """The transactions of one new case's actions (:func:`_steps`), chained and finished deferred."""
    at, now = engine._when(_at(rs, row.assigned_at, "submit") if row.assigned_at else None)
    tx = engine._new_case(
        conn,
        row.number,
        title=row.title,
        deputy=row.deputy,
        co_signers=row.co_signers,
        content="",
        field=row.field,
        between_sessions=False,
        confidential=False,
        actor=Actor.office(),
        at=at,
        now=now,
        session=where[1],
        session_ref=where,
    )
    tx.fresh = True
    tx.set_assignments(())
    chain = [tx]
    for step, day, body, needs in _steps(engine, rs, row, _NEW):
        if needs is not None and chain[-1].state is not needs:
            continue
        chain[-1].finish(defer=True)
        chain.append(chain[-1].then(*engine._when(_at(rs, day, step))))
        body(chain[-1])
    chain[-1].finish(defer=True)
    return chain


_NEW: dict[str, Any] = {
    "state": State.SUBMITTED.value,
    "answered": False,
    "converted": False,
    "feedback": False,
}


def _steps(
    engine: Engine, rs: RuleSet, row: LedgerRow, have: dict[str, Any]
) -> Iterator[tuple[str, date, Callable[[Tx], None], State | None]]:
    """The actions after submission that the row records and the case (``have``) lacks, in order: the step's
    name (its time of day), its date, what it does to the case, and the state it needs (else it is skipped)."""
    from workflow.engine import AssignOrder

    if row.assigned_at and row.main_unit and have["state"] == State.SUBMITTED.value:
        order = AssignOrder(row.number, row.main_unit, row.co_units)
        yield "assign", row.assigned_at, lambda tx: engine._assign_in(tx, order, rs), None
    if row.answered_at and row.category and not have["answered"]:
        waived = dict.fromkeys(row.co_units, _WAIVED)
        body = engine._answer_body(row.category, _ANSWER, row.main_unit, (), waived)
        yield "answer", row.answered_at, body, None
    if row.feedback_at and row.rating and not have["feedback"]:
        comment = _UNSATISFIED if row.rating == "unsatisfied" else ""
        yield "feedback", row.feedback_at, engine._feedback_body(row.rating, comment, None, None), None
        if row.closed_at:  # when the rule set has not closed it on the feedback already
            yield "close", row.closed_at, engine._office_close_body(_CLOSED), State.REVISITED
    if row.converted_to and row.converted_at and not have["converted"]:
        yield "convert", row.converted_at, engine._convert_body(row.converted_to, _CONVERTED), None


def _existing(engine: Engine, session: str | None, numbers: list[str]) -> dict[str, dict[str, Any]]:
    """What the session already holds of these numbers: state, answered, feedback and conversion facts."""
    found: dict[str, dict[str, Any]] = {}
    with engine._reading() as conn:
        sid = engine._session_id(conn, session)
        raw = Raw(conn)
        for chunk in range(0, len(numbers), 500):
            marks, params = Raw.in_list("n", numbers[chunk : chunk + 500])
            for number, state, answered, current, category, rating in raw.all(
                "SELECT s.number, s.state, s.answered_at, s.current_category, s.category, s.rating "
                f"FROM suggestions s WHERE s.session_id = :sid AND s.number IN {marks}",
                {**params, "sid": sid},
            ):
                found[number] = {
                    "state": state,
                    "answered": answered is not None,
                    "converted": current != category,
                    "feedback": rating is not None,
                }
    return found


def _at(rs: RuleSet, day: date, step: str) -> datetime:
    return datetime.combine(day, _TIMES[step], tzinfo=rs.zone).astimezone(UTC)


def _replay(
    engine: Engine, rs: RuleSet, row: LedgerRow, have: dict[str, Any] | None, session: str | None
) -> int:
    """Drive the case through the steps the row records and the case lacks, one action (one transaction)
    at a time; returns how many ran."""
    steps = 0
    try:
        if have is None:
            engine.submit(
                row.number,
                title=row.title,
                deputy=row.deputy,
                co_signers=row.co_signers,
                field=row.field,
                at=_at(rs, row.assigned_at, "submit") if row.assigned_at else None,
                session=session,
            )
            steps += 1
            have = _NEW
        state = State(have["state"])
        for step, day, body, needs in _steps(engine, rs, row, have):
            if needs is not None and state is not needs:
                continue
            change = engine._act(
                row.number,
                actor=Actor.office(),
                at=_at(rs, day, step),
                session=session,
                expected_version=None,
                body=body,
            )
            state = State(change.state)
            steps += 1
    except WorkflowError as exc:
        msg = (
            f"row {row.line} ({row.number}): {exc}. The rows before it are imported and this case kept the steps "
            "that succeeded; correct the row and import the file again (cases already in gain only what they lack)"
        )
        raise ValidationError(msg) from exc
    return steps


def write_rejects(path: Path, rejected: Iterable[Rejected]) -> None:
    """The rejected rows with their cells and a 原因 (reason) column, as UTF-8 CSV with a BOM (Excel opens it)."""
    with path.open("w", encoding="utf-8-sig", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(["行号", *(_HEADERS[en] for _, en in COLUMNS), "原因"])
        for r in rejected:
            writer.writerow([r.line, *(r.cells.get(zh, "") for zh, _ in COLUMNS), "；".join(r.reasons)])


def ledger_rows(engine: Engine, *, session: str | None = None, public: bool = False) -> list[list[str]]:
    """The session's cases as ledger rows (Chinese column order); ``public`` leaves out confidential cases."""
    rs = engine.active_ruleset()

    def day(value: Any) -> str:
        instant = as_instant(value)
        return instant.astimezone(rs.zone).date().isoformat() if instant else ""

    with engine._reading() as conn:
        raw = Raw(conn)
        sid = engine._session_id(conn, session)
        units = dict(raw.all("SELECT id, name FROM units", {}))
        deputies = dict(raw.all("SELECT id, name FROM deputies", {}))
        where = "s.session_id = :sid" + (" AND NOT s.confidential" if public else "")
        cases = raw.rows(f"SELECT s.* FROM suggestions s WHERE {where} ORDER BY s.number", {"sid": sid})
        roles: dict[int, list[tuple[int, str]]] = {}
        signers: dict[int, list[int]] = {}
        feedback: dict[int, tuple[str, Any]] = {}
        conversions: dict[int, tuple[str, Any]] = {}
        for sid_, unit, role in raw.all(
            "SELECT a.suggestion_id, a.unit_id, a.role FROM assignments a JOIN suggestions s ON s.id = a.suggestion_id "
            f"WHERE {where} AND a.until IS NULL ORDER BY a.id",
            {"sid": sid},
        ):
            roles.setdefault(sid_, []).append((unit, role))
        for sid_, deputy in raw.all(
            "SELECT g.suggestion_id, g.deputy_id FROM suggestion_signers g JOIN suggestions s ON s.id = g.suggestion_id "
            f"WHERE {where} ORDER BY g.position",
            {"sid": sid},
        ):
            signers.setdefault(sid_, []).append(deputy)
        for sid_, rating, at in raw.all(
            f"SELECT f.suggestion_id, f.rating, f.at FROM feedback f JOIN suggestions s ON s.id = f.suggestion_id WHERE {where} "
            "ORDER BY f.id",
            {"sid": sid},
        ):
            feedback[sid_] = (rating, at)
        for sid_, to, at in raw.all(
            f"SELECT c.suggestion_id, c.to_category, c.at FROM conversions c JOIN suggestions s ON s.id = c.suggestion_id "
            f"WHERE {where} ORDER BY c.id",
            {"sid": sid},
        ):
            conversions[sid_] = (to, at)
    rows = []
    for c in cases:
        cid = c["id"]
        mine = roles.get(cid, [])
        main = next((units[u] for u, r in mine if r in ("main", "split")), "")
        co = "、".join(units[u] for u, r in mine if r == "co")
        rating, feedback_at = feedback.get(cid, ("", None))
        to, converted_at = conversions.get(cid, ("", None))
        rows.append(
            [
                c["number"],
                c["title"],
                deputies[c["lead_deputy_id"]],
                "、".join(deputies[d] for d in signers.get(cid, [])),
                c["field"] or "",
                main,
                co,
                day(c["assigned_at"]),
                day(c["first_answer_at"]),
                c["category"] or "",
                RATING_LABELS.get(rating, ""),
                day(feedback_at),
                day(c["closed_at"]) if c["state"] == "closed" else "",
                to,
                day(converted_at),
            ]
        )
    return rows


def export_ledger(engine: Engine, fmt: str, *, session: str | None = None) -> str | bytes:
    """The session's ledger with the import's Chinese headers, as CSV text or an Excel workbook."""
    return _table([zh for zh, _ in COLUMNS], ledger_rows(engine, session=session), fmt, "台账")


_PUBLIC = ("建议编号", "标题", "领衔代表", "领域", "主办单位", "会办单位", "交办日期", "答复日期", "办理类别")


def export_public(engine: Engine, fmt: str, *, session: str | None = None) -> str | bytes:
    """A disclosure file: no confidential case, no co-signers, feedback or contact data; the answer's class."""
    index = [zh for zh, _ in COLUMNS]
    rows = [[r[index.index(h)] for h in _PUBLIC] for r in ledger_rows(engine, session=session, public=True)]
    return _table(list(_PUBLIC), rows, fmt, "公开")


def _table(header: list[str], rows: list[list[str]], fmt: str, sheet: str) -> str | bytes:
    if fmt == "csv":
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)
        return "\ufeff" + buffer.getvalue()
    if fmt == "xlsx":
        from openpyxl import Workbook

        book = Workbook()
        page = book.active
        page.title = sheet
        page.append(header)
        for row in rows:
            page.append(row)
        out = io.BytesIO()
        book.save(out)
        return out.getvalue()
    msg = f"format {fmt!r} unknown: use csv or xlsx"
    raise ValidationError(msg)
