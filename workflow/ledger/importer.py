"""Importing a ledger (台账): a year of paper-era spreadsheets replayed as cases through the lifecycle.

A ledger row becomes a case replayed through the real lifecycle with the row's dates, so its deadlines,
on-time flags and audit events are true to them: submitted and assigned on 交办日期 (09:00 and 09:30 local),
answered on 答复日期 (10:00, by the main unit; co-unit opinions the ledger does not hold are waived by the
office, audited), feedback on 反馈日期 (11:00), closed on 办结日期 (11:30) when the rule set has not already
closed it on feedback, converted on 转化日期 (14:00). What a 台账 row does not hold is defaulted, and the
report says so (:data:`DEFAULTED`). Unknown units and deputies are created.

A workbook jianyi exported holds a second sheet, 办理过程: each case's history as the commands that made it
(:mod:`workflow.ledger.history`). A new case with a history there is replayed from it instead, every action
with its own actor and time, so that it comes back as it was exported: its opinions, contacts, extension,
split units, promises, withdrawal, confidentiality, texts, deadlines and every report figure.

Every row is checked before anything is written: one bad row (missing number, unknown class, unparseable
date, dates out of order, duplicate number, …) stops the import with every bad row listed by row, column and
reason, unless the caller skips bad rows (they are returned with their reasons). A case already in the
session is brought forward only by the steps it lacks, so importing the same file twice changes nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import nullcontext
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, tzinfo
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from rules import RATING_LABELS, Rating, RuleSet
from rules.i18n import N_, _
from workflow.actions import Answer, ApproveAnswer, Assign, Close, Convert, Feedback, Submit
from workflow.core.errors import (
    LISTED,
    NotFound,
    PermissionDenied,
    TransitionNotAllowed,
    ValidationError,
    WorkflowError,
)
from workflow.core.states import State
from workflow.core.text import one_line
from workflow.ledger.history import HISTORY_SHEET, CaseHistory, HistoryCursor, HistoryIndex, has_history
from workflow.ledger.sheets import HEADERS, LedgerRow, LedgerScan, Rejected, RejectsFile, scan_rows
from workflow.pipeline import Step
from workflow.recompute import no_cycle_collection
from workflow.store.ledger import CaseFacts, case_facts

if TYPE_CHECKING:
    from workflow.engine import Engine

__all__ = ["BATCH", "DEFAULTED", "ImportReport", "import_ledger"]

_TIMES = {
    "submit": time(9),
    "assign": time(9, 30),
    "answer": time(10),
    "feedback": time(11),
    "close": time(11, 30),
    "convert": time(14),
}
BATCH = 500  # new cases replayed per transaction
# what the replayed actions say of themselves
_ANSWER = "（台账导入）"
_WAIVED = "台账导入：会办意见未在台账登记"
_NO_PROMISES = "台账导入：承诺事项未在台账登记"
_UNSATISFIED = "台账导入：代表不满意"
_CLOSED = "台账导入：办结"
_CONVERTED = "台账导入"
# what a case imported from its 台账 row alone lacks, said in the report
DEFAULTED = (
    N_("co-unit opinions waived (会办意见 not in the 台账)"),
    N_("no contacts, extensions, split units or withdrawals"),
    N_("B answers without their promised items (not in the 台账)"),
    N_("not key, not complex, not confidential; no content text"),
)


@dataclass
class ImportReport:
    """What an import did."""

    rows: int = 0
    created: int = 0
    advanced: int = 0  # existing cases brought forward
    unchanged: int = 0
    units_created: list[str] = field(default_factory=list)
    deputies_created: list[str] = field(default_factory=list)
    rejected: list[Rejected] = field(
        default_factory=list
    )  # the first LISTED rejected rows (all: the rejects file)
    rejected_count: int = 0  # rows rejected in all
    header_row: int = 1
    ignored_columns: list[str] = field(default_factory=list)  # columns not imported (序号, 备注, …)
    from_history: int = 0  # new cases replayed from the 办理过程 sheet
    from_rows: int = 0  # new cases replayed from their 台账 row alone (see :data:`DEFAULTED`)
    sweep_steps: int = 0  # the reminder sweep's steps in the histories, left to the next sweep

    @property
    def defaulted(self) -> tuple[str, ...]:
        """What the cases imported from their 台账 row alone were given by default (nothing when none was)."""
        return DEFAULTED if self.from_rows else ()


def import_ledger(
    engine: Engine,
    path: Path,
    *,
    session: str | None = None,
    skip_bad: bool = False,
    per_action: bool = False,
    progress: Callable[[int, int], None] | None = None,
    header_row: int | None = None,
    rejects: Path | None = None,
) -> ImportReport:
    """Import ``path`` into ``session`` (default: the current one): all or nothing unless ``skip_bad``
    (the bad rows are then written to ``rejects``, when given, before any row is imported).

    The header is row ``header_row``, or the first of the first ten rows naming two known columns (a title row
    above it is passed over); other columns (序号, 备注, …) are not imported and are named in the report.

    The file is read twice, holding no more than a batch of its rows: once to check every row (against the
    rule set, the other rows' numbers, the cases the session holds and the 办理过程 histories), keeping only
    the numbers seen, the first :data:`~workflow.core.errors.LISTED` bad rows and a count of the others (all
    of them go to ``rejects`` as they are found); then, when nothing stops it, to import the good rows. A file
    changed between the two readings stops the import at the first batch read after the change.

    New cases are replayed in batches of :data:`BATCH` per transaction; cases already in the session are
    brought forward one action at a time. With ``per_action`` every action is its own transaction, as if
    entered by hand (the same rows, some ten times slower). The replayed actions send no notices (they happened on paper;
    :meth:`Engine.quietly`). ``progress(done, total)`` is called after each batch (and every 100 rows
    brought forward).
    """
    engine.require_office("import")
    rs = engine.active_ruleset()
    today = engine.clock.now().astimezone(rs.zone).date()
    with engine.db.reading() as conn:  # an unknown session is named before anything is read
        session_id = engine.directory.session_id(conn, session)
    stamp = _stamp(path)
    histories = HistoryIndex(path) if has_history(path) else None
    report = ImportReport()
    refusals = _Refusals(report, skip_bad)
    with RejectsFile(rejects) if rejects is not None else nullcontext() as out:
        refusals.out = out
        good = _check(
            engine, session_id, scan_rows(path, rs, today, header_row=header_row), histories, refusals
        )
        if report.rejected_count and not skip_bad:
            raise ValidationError(
                _(
                    "{name}: {rejected_count} of {rows} row(s) are bad, nothing was imported (fix them, or import the good rows with --skip-bad REJECTS.csv)"
                ).format(name=path.name, rejected_count=report.rejected_count, rows=report.rows),
                problems=refusals.problems,
                more=refusals.more,
            )
    if good:
        replayer = _Replayer(engine, rs, session, report, progress, per_action=per_action, total=good)
        if histories is not None and report.from_history:
            replayer.cursor = histories.cursor()
        scan = scan_rows(path, rs, today, header_row=header_row)
        with engine.quietly():
            for rows, bad in _checked(engine, session_id, scan, histories):
                _replay_checked(path, stamp, rows, bad, refusals.lines, replayer)
            replayer.flush()
    return report


def _check(
    engine: Engine, session_id: int, scan: LedgerScan, histories: HistoryIndex | None, refusals: _Refusals
) -> int:
    """The first reading: every row checked (:func:`_checked`), the refused ones handed to ``refusals``, and
    the new cases with a history marked to replay from it; returns how many rows are good."""
    report = refusals.report
    good = 0
    for rows, bad in _checked(engine, session_id, scan, histories):
        good += len(rows)
        for row, have in rows:
            if have is not None:
                continue
            sweep = None if histories is None else histories.replay(row.number)
            if sweep is None:
                report.from_rows += 1
            else:
                report.from_history += 1
                report.sweep_steps += sweep
        refusals.add(bad)
    if histories is not None:
        refusals.add(
            Rejected.of(
                first,
                {HEADERS["number"]: number},
                (
                    _("{HISTORY_SHEET}: a history of {number}, which the 台账 sheet does not hold").format(
                        HISTORY_SHEET=HISTORY_SHEET, number=number
                    ),
                ),
            )
            for number, first in histories.first_lines()
            if not scan.holds(number)
        )
    report.rows, report.header_row, report.ignored_columns = scan.rows, scan.header_row, list(scan.ignored)
    return good


def _replay_checked(
    path: Path,
    stamp: tuple[int, int],
    rows: list[tuple[LedgerRow, CaseFacts | None]],
    bad: list[Rejected],
    refused: set[int],
    replayer: _Replayer,
) -> None:
    """The second reading: a batch of rows checked again, replayed. What was read of the file before it changed
    (``stamp``), or before a row the first reading found good and this one refuses (the session gained its
    number meanwhile), is imported; then the import stops, naming why."""
    if _stamp(path) != stamp:
        replayer.flush()
        raise ValidationError(
            _(
                "{name} changed while it was imported: {done} of its {total} good rows are imported; import the file again (cases already in gain only what they lack)"
            ).format(name=path.name, done=replayer.done, total=replayer.total)
        )
    surprise = next((r for r in bad if r.line not in refused), None)
    if surprise is None:
        replayer.add(rows)
        return
    replayer.add([(row, have) for row, have in rows if row.line < surprise.line])
    replayer.flush()
    raise ValidationError(
        _(
            "row {line} ({number}): {names}. The rows before it are imported and this row wrote nothing; correct it and import the file again (cases already in gain only what they lack)"
        ).format(line=surprise.line, number=surprise.number, names="; ".join(surprise.reasons))
    )


class _Refusals:
    """The rows an import refuses, as they are found: the first :data:`LISTED` in the report and their reasons
    for the error, the others counted; every one in the rejects file, when there is one."""

    def __init__(self, report: ImportReport, skip_bad: bool) -> None:
        self.report, self.skip_bad = report, skip_bad
        self.out: RejectsFile | None = None
        self.problems: list[str] = []
        self.more = 0
        self.lines: set[int] = set()  # (when skipping them) to know them again

    def add(self, rows: Iterable[Rejected]) -> None:
        report = self.report
        for r in rows:
            report.rejected_count += 1
            if len(report.rejected) < LISTED:
                report.rejected.append(r)
            for reason in r.reasons:
                if len(self.problems) < LISTED:
                    self.problems.append(_("row {line}: {reason}").format(line=r.line, reason=reason))
                else:
                    self.more += 1
            if self.skip_bad:
                self.lines.add(r.line)
            if self.out is not None:
                self.out.write(r)


def _stamp(path: Path) -> tuple[int, int]:
    """What tells a file changed: its size and when it was last written."""
    st = path.stat()
    return st.st_size, st.st_mtime_ns


Checks = tuple[list[tuple[LedgerRow, CaseFacts | None]], list[Rejected]]


def _checked(
    engine: Engine, session_id: int, scan: LedgerScan, histories: HistoryIndex | None
) -> Iterator[Checks]:
    """The rows of ``scan`` in batches of :data:`BATCH`, each row checked as well against the session (a number
    it holds for another suggestion, whose case bringing forward would falsify) and its 办理过程 history: the
    good rows with what the session holds of each (None: a new case), and the rejected ones in row order."""

    def check(rows: list[LedgerRow], bad: list[Rejected]) -> Checks:
        with engine.db.reading() as conn:
            facts = case_facts(conn, session_id, [r.number for r in rows])
        good: list[tuple[LedgerRow, CaseFacts | None]] = []
        for row in rows:
            have = facts.get(row.number)
            reasons = [] if have is None or not _another(row, have) else [_another_reason(row, have)]
            if histories is not None:
                reasons += histories.problems(row.number, row.title, row.deputy)
            if reasons:
                bad.append(Rejected.of(row.line, _cells(row), reasons))
            else:
                good.append((row, have))
        bad.sort(key=lambda r: r.line)
        return good, bad

    rows: list[LedgerRow] = []
    bad: list[Rejected] = []
    for item in scan:
        if isinstance(item, Rejected):
            bad.append(item)
        else:
            rows.append(item)
        if len(rows) + len(bad) == BATCH:
            yield check(rows, bad)
            rows, bad = [], []
    if rows or bad:
        yield check(rows, bad)


class _Replayer:
    """The good rows replayed as they come: runs of new cases in batches, existing ones one by one."""

    def __init__(
        self,
        engine: Engine,
        rs: RuleSet,
        session: str | None,
        report: ImportReport,
        progress: Callable[[int, int], None] | None,
        *,
        per_action: bool,
        total: int,
    ) -> None:
        self.engine, self.rs, self.session, self.report = engine, rs, session, report
        self.progress, self.per_action, self.total = progress, per_action, total
        self.cursor: HistoryCursor | None = None
        self.batch: list[LedgerRow] = []
        self.replays: dict[str, CaseHistory] = {}
        self.done = 0

    def add(self, rows: Sequence[tuple[LedgerRow, CaseFacts | None]]) -> None:
        """Replay ``rows`` (each with what the session holds of its case) in the file's order."""
        engine, rs, report = self.engine, self.rs, self.report
        for row, have in rows:
            if have is None:
                history = None if self.cursor is None else self.cursor.take(row.number)
                if history is not None:
                    self.replays[row.number] = history
                self.batch.append(row)
                if len(self.batch) == (1 if self.per_action else BATCH):
                    self.flush()
                continue
            self.flush()
            if _replay(engine, rs, row, have, self.session, report):
                report.advanced += 1
            else:
                report.unchanged += 1
            self.done += 1
            if self.progress is not None and (self.done % 100 == 0 or self.done == self.total):
                self.progress(self.done, self.total)

    def flush(self) -> None:
        """Replay the new cases gathered so far."""
        if not self.batch:
            return
        _replay_batch(
            self.engine,
            self.rs,
            self.batch,
            self.session,
            self.report,
            per_action=self.per_action,
            replays=self.replays,
        )
        self.report.created += len(self.batch)
        self.done += len(self.batch)
        self.batch.clear()
        self.replays.clear()
        if self.progress is not None:
            self.progress(self.done, self.total)


def _replay_batch(
    engine: Engine,
    rs: RuleSet,
    rows: Sequence[LedgerRow],
    session: str | None,
    report: ImportReport,
    *,
    per_action: bool,
    replays: dict[str, CaseHistory],
) -> None:
    """Replay new cases in one transaction through the pipeline: the units and deputies they name that the
    congress lacks are added, and each row's commands run on its case with the row's dates
    (:meth:`~workflow.pipeline.Pipeline.replay`); everything is written in one statement per table.

    When the lifecycle refuses any row, the batch is rolled back and its rows replayed one row (one
    transaction) at a time, so that the rows before the refused one are imported, the refused row writes
    nothing (not the units or deputies only it names either), and the error names that row.
    """
    if per_action:
        for row in rows:
            _replay(engine, rs, row, None, session, report, replays.get(row.number))
        return
    histories = [_history(rs, row, replays.get(row.number)) for row in rows]
    names = [_names(row, replays.get(row.number)) for row in rows]

    def replay(which: Sequence[int]) -> None:
        added = engine.pipeline.replay(
            [histories[i] for i in which],
            session=session,
            names=([u for i in which for u in names[i][0]], [d for i in which for d in names[i][1]]),
        )
        report.units_created += added[0]
        report.deputies_created += added[1]

    try:
        with no_cycle_collection():
            replay(range(len(rows)))
    except WorkflowError:
        for i, row in enumerate(rows):
            try:
                replay([i])
            except (
                ValidationError,
                TransitionNotAllowed,
                PermissionDenied,
                NotFound,
            ) as exc:  # the row's fault
                msg = _(
                    "row {line} ({number}): {exc}. The rows before it are imported and this row wrote nothing; correct it and import the file again (cases already in gain only what they lack)"
                ).format(line=row.line, number=row.number, exc=exc)
                raise ValidationError(msg) from exc


def _names(row: LedgerRow, history: CaseHistory | None) -> tuple[list[str], list[str]]:
    """The units and the deputies ``row`` (and its history) name."""
    units = [u for u in (row.main_unit, *row.co_units) if u]
    deputies = [row.deputy, *row.co_signers]
    if history is not None:
        units += history.units()
        deputies += history.deputies()
    return units, deputies


def _history(
    rs: RuleSet, row: LedgerRow, history: CaseHistory | None
) -> tuple[str, Submit, datetime | None, list[Step]]:
    """What replays a new case: its 办理过程 history when the workbook holds it (every person's action with its
    actor and time; the engine's own steps follow from them), else its 台账 row."""
    if history is None or history.submit is None:
        at = _at(rs, row.assigned_at, "submit") if row.assigned_at else None
        return row.number, _submit(row), at, _steps(rs, row, _NEW)
    submit, at = history.submit
    steps = [
        Step(e.command, e.at.astimezone(UTC), actor=e.actor)
        for e in history.events[1:]
        if e.command is not None and e.actor is not None
    ]
    return row.number, submit, at.astimezone(UTC), steps


def _submit(row: LedgerRow) -> Submit:
    return Submit(row.title, row.deputy, row.co_signers, "", row.field)


_NEW = CaseFacts(State.SUBMITTED.value, answered=False, converted=False, feedback=False)


def _steps(rs: RuleSet, row: LedgerRow, have: CaseFacts) -> list[Step]:
    """The actions after submission that the row records and the case (``have``) lacks, in order, each with its
    time and the state it needs (else it is skipped)."""
    steps: list[Step] = []
    if row.assigned_at and row.main_unit and have.state == State.SUBMITTED.value:
        steps.append(Step(Assign(row.main_unit, row.co_units), _at(rs, row.assigned_at, "assign")))
    if row.answered_at and row.category and not have.answered:
        waived = dict.fromkeys(row.co_units, _WAIVED)
        command = Answer(
            row.category, _ANSWER, row.main_unit, without_opinion=waived, no_promises=_NO_PROMISES
        )
        steps.append(Step(command, _at(rs, row.answered_at, "answer")))
        if rs.lifecycle.answer_review:  # the 台账's answer reached the deputy: held for review, then approved
            steps.append(Step(ApproveAnswer(row.main_unit), _at(rs, row.answered_at, "answer")))
    if row.feedback_at and row.rating and not have.feedback:
        comment = _UNSATISFIED if row.rating == "unsatisfied" else ""
        steps.append(Step(Feedback(row.rating, comment), _at(rs, row.feedback_at, "feedback")))
        if row.closed_at:  # when the rule set has not closed it on the feedback already
            steps.append(Step(Close(_CLOSED), _at(rs, row.closed_at, "close"), State.REVISITED))
    if row.converted_to and row.converted_at and not have.converted:
        steps.append(Step(Convert(row.converted_to, _CONVERTED), _at(rs, row.converted_at, "convert")))
    return steps


def _another(row: LedgerRow, have: CaseFacts) -> bool:
    """Whether ``row`` is another suggestion than the case under its number (its title or lead deputy differ)."""
    return one_line(row.title) != one_line(have.title) or row.deputy != have.deputy


def _another_reason(row: LedgerRow, have: CaseFacts) -> str:
    """Why ``row`` is refused as another suggestion under a number the session holds."""
    return _(
        "{number} {number2} is already 「{title}」 by {deputy}; this row is 「{value}」 by {deputy2}: another suggestion under the same number, correct the number"
    ).format(
        number=HEADERS["number"],
        number2=row.number,
        title=have.title,
        deputy=have.deputy,
        value=one_line(row.title),
        deputy2=row.deputy,
    )


def _cells(row: LedgerRow) -> dict[str, str]:
    """What the cells of ``row`` said, by Chinese header (for the rejects file)."""
    return {
        HEADERS["number"]: row.number,
        HEADERS["title"]: row.title,
        HEADERS["deputy"]: row.deputy,
        HEADERS["co_signers"]: "、".join(row.co_signers),
        HEADERS["field"]: row.field or "",
        HEADERS["main_unit"]: row.main_unit or "",
        HEADERS["co_units"]: "、".join(row.co_units),
        HEADERS["assigned_at"]: _day(row.assigned_at),
        HEADERS["answered_at"]: _day(row.answered_at),
        HEADERS["category"]: row.category or "",
        HEADERS["rating"]: RATING_LABELS.get(Rating(row.rating), row.rating) if row.rating else "",
        HEADERS["feedback_at"]: _day(row.feedback_at),
        HEADERS["closed_at"]: _day(row.closed_at),
        HEADERS["converted_to"]: row.converted_to or "",
        HEADERS["converted_at"]: _day(row.converted_at),
    }


def _day(value: date | None) -> str:
    return "" if value is None else value.isoformat()


def _at(rs: RuleSet, day: date, step: str) -> datetime:
    return _local_at(rs.zone, day, step)


@lru_cache(maxsize=4096)  # a ledger's dates repeat
def _local_at(zone: tzinfo, day: date, step: str) -> datetime:
    """The instant of ``step`` on ``day`` in ``zone`` (:data:`_TIMES`), in UTC."""
    return datetime.combine(day, _TIMES[step], tzinfo=zone).astimezone(UTC)


def _replay(
    engine: Engine,
    rs: RuleSet,
    row: LedgerRow,
    have: CaseFacts | None,
    session: str | None,
    report: ImportReport,
    history: CaseHistory | None = None,
) -> int:
    """Drive the case through the steps the row (or, for a new case, its ``history``) records and the case
    lacks, one action (one transaction) at a time, after adding the units and deputies it names that the
    congress lacks; returns how many ran."""
    steps = 0
    try:
        with engine.db.transaction() as conn:
            added = engine.directory.add_missing(conn, *_names(row, history))
        report.units_created += added[0]
        report.deputies_created += added[1]
        if have is None:
            _rows, submit, at, planned = _history(rs, row, history)
            engine.run(row.number, submit, at=at, session=session)
            steps += 1
            have = _NEW
        else:
            planned = _steps(rs, row, have)
        state = State(have.state)
        for step in planned:
            if step.needs is not None and state is not step.needs:
                continue
            change = engine.run(row.number, step.command, at=step.at, session=session, actor=step.actor)
            state = State(change.state)
            steps += 1
    except WorkflowError as exc:
        msg = _(
            "row {line} ({number}): {exc}. The rows before it are imported and this case kept the steps that succeeded; correct the row and import the file again (cases already in gain only what they lack)"
        ).format(line=row.line, number=row.number, exc=exc)
        raise ValidationError(msg) from exc
    return steps
