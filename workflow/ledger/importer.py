"""Importing a ledger (台账): a year of paper-era spreadsheets replayed as cases through the lifecycle.

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

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from pathlib import Path
from typing import TYPE_CHECKING

from rules import RATING_LABELS, Rating, RuleSet
from workflow.actions import Answer, Assign, Close, Convert, Feedback, Submit
from workflow.core.errors import (
    NotFound,
    PermissionDenied,
    TransitionNotAllowed,
    ValidationError,
    WorkflowError,
)
from workflow.core.states import State
from workflow.core.text import one_line
from workflow.ledger.sheets import HEADERS, LedgerRow, Rejected, check_rows, write_rejects
from workflow.pipeline import Step
from workflow.recompute import no_cycle_collection
from workflow.store.ledger import CaseFacts, case_facts

if TYPE_CHECKING:
    from workflow.engine import Engine

__all__ = ["BATCH", "ImportReport", "import_ledger"]

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
_UNSATISFIED = "台账导入：代表不满意"
_CLOSED = "台账导入：办结"
_CONVERTED = "台账导入"


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
    header_row: int = 1
    ignored_columns: list[str] = field(default_factory=list)  # columns not imported (序号, 备注, …)


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

    New cases are replayed in batches of :data:`BATCH` per transaction; cases already in the session are
    brought forward one action at a time. With ``per_action`` every action is its own transaction, as if
    entered by hand (the same rows, some ten times slower). The replayed actions send no notices (they happened on paper;
    :meth:`Engine.quietly`). ``progress(done, total)`` is called after each batch (and every 100 rows
    brought forward).
    """
    rs = engine.active_ruleset()
    checked = check_rows(path, rs, engine.clock.now().astimezone(rs.zone).date(), header_row=header_row)
    good, bad, total = checked.good, list(checked.bad), checked.rows
    existing = _existing(engine, session, [r.number for r in good])
    others = [r for r in good if r.number in existing and _another(r, existing[r.number])]
    if others:  # the same number for another suggestion: bringing the case forward would falsify it
        bad = sorted([*bad, *(_rejected(r, existing[r.number]) for r in others)], key=lambda r: r.line)
        good = [r for r in good if r not in others]
    if bad and not skip_bad:
        raise ValidationError(
            f"{path.name}: {len(bad)} of {total} row(s) are bad, nothing was imported "
            "(fix them, or import the good rows with --skip-bad REJECTS.csv)",
            problems=[f"row {r.line}: {reason}" for r in bad for reason in r.reasons],
        )
    if rejects is not None:  # before anything is written: a refusal while replaying leaves it complete
        write_rejects(rejects, bad)
    report = ImportReport(
        rows=total, rejected=bad, header_row=checked.header_row, ignored_columns=list(checked.ignored)
    )
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
    with engine.quietly():
        _import_rows(engine, rs, good, existing, session, report, progress, per_action=per_action)
    return report


def _import_rows(
    engine: Engine,
    rs: RuleSet,
    good: list[LedgerRow],
    existing: dict[str, CaseFacts],
    session: str | None,
    report: ImportReport,
    progress: Callable[[int, int], None] | None,
    *,
    per_action: bool,
) -> None:
    batch: list[LedgerRow] = []
    done = 0

    def flush() -> None:
        nonlocal done
        if batch:
            _replay_batch(engine, rs, batch, session, per_action=per_action)
            report.created += len(batch)
            done += len(batch)
            batch.clear()
            if progress is not None:
                progress(done, len(good))

    for row in good:  # in the file's order: runs of new cases in batches, existing ones one by one
        if row.number not in existing:
            batch.append(row)
            if len(batch) == (1 if per_action else BATCH):
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


def _replay_batch(
    engine: Engine, rs: RuleSet, rows: Sequence[LedgerRow], session: str | None, *, per_action: bool
) -> None:
    """Replay new cases in one transaction through the pipeline: each row's commands run on its case with the
    row's dates (:meth:`~workflow.pipeline.Pipeline.replay`), and everything is written in one statement per
    table.

    When the lifecycle refuses any row, the batch is rolled back and its rows replayed one row (one
    transaction) at a time, so that the rows before the refused one are imported, the refused row writes
    nothing, and the error names that row.
    """
    if per_action:
        for row in rows:
            _replay(engine, rs, row, None, session)
        return
    histories = [
        (
            row.number,
            _submit(row),
            _at(rs, row.assigned_at, "submit") if row.assigned_at else None,
            _steps(rs, row, _NEW),
        )
        for row in rows
    ]
    try:
        with no_cycle_collection():
            engine.pipeline.replay(histories, session=session)
    except WorkflowError:
        for row, history in zip(rows, histories, strict=True):
            try:
                engine.pipeline.replay([history], session=session)
            except (
                ValidationError,
                TransitionNotAllowed,
                PermissionDenied,
                NotFound,
            ) as exc:  # the row's fault
                msg = (
                    f"row {row.line} ({row.number}): {exc}. The rows before it are imported and this row wrote "
                    "nothing; correct it and import the file again (cases already in gain only what they lack)"
                )
                raise ValidationError(msg) from exc


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
        command = Answer(row.category, _ANSWER, row.main_unit, without_opinion=waived)
        steps.append(Step(command, _at(rs, row.answered_at, "answer")))
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


def _rejected(row: LedgerRow, have: CaseFacts) -> Rejected:
    """The row refused as another suggestion under a number the session holds, with what its cells said."""
    reason = (
        f"{HEADERS['number']} {row.number} is already 「{have.title}」 by {have.deputy}; this row is "
        f"「{one_line(row.title)}」 by {row.deputy}: another suggestion under the same number, correct the number"
    )
    cells = {
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
    return Rejected(row.line, cells, (reason,))


def _day(value: date | None) -> str:
    return "" if value is None else value.isoformat()


def _existing(engine: Engine, session: str | None, numbers: list[str]) -> dict[str, CaseFacts]:
    """What the session already holds of these numbers (naming an unknown session before any write)."""
    with engine.db.reading() as conn:
        return case_facts(conn, engine.directory.session_id(conn, session), numbers)


def _at(rs: RuleSet, day: date, step: str) -> datetime:
    return datetime.combine(day, _TIMES[step], tzinfo=rs.zone).astimezone(UTC)


def _replay(engine: Engine, rs: RuleSet, row: LedgerRow, have: CaseFacts | None, session: str | None) -> int:
    """Drive the case through the steps the row records and the case lacks, one action (one transaction)
    at a time; returns how many ran."""
    steps = 0
    try:
        if have is None:
            at = _at(rs, row.assigned_at, "submit") if row.assigned_at else None
            engine.run(row.number, _submit(row), at=at, session=session)
            steps += 1
            have = _NEW
        state = State(have.state)
        for step in _steps(rs, row, have):
            if step.needs is not None and state is not step.needs:
                continue
            change = engine.run(row.number, step.command, at=step.at, session=session)
            state = State(change.state)
            steps += 1
    except WorkflowError as exc:
        msg = (
            f"row {row.line} ({row.number}): {exc}. The rows before it are imported and this case kept the steps "
            "that succeeded; correct the row and import the file again (cases already in gain only what they lack)"
        )
        raise ValidationError(msg) from exc
    return steps
