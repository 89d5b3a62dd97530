"""Reports and the ledger at the command line: report, evaluate, lookback, the yearly progress letters, and
the ledger's import and export."""

from __future__ import annotations

import sys
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from commands.app import (
    App,
    Choice,
    combine,
    emit,
    header_row_option,
    json_option,
    pass_app,
    session_option,
    write_output,
)
from rules.i18n import _

if TYPE_CHECKING:
    from workflow.reporting.measures import Scope

__all__ = ["COMMANDS"]

scope_options = combine(
    click.option("--session", metavar="NAME", help="Only this session [all]."),
    click.option(
        "--term", metavar="TERM", help="Only sessions of this term (届), as `session add --term` gave it."
    ),
    click.option("--unit", metavar="UNIT", help="Only cases this unit handles as main (or split) unit."),
    click.option("--from", "start", metavar="DATE", help="Only cases assigned on or after DATE."),
    click.option("--to", "end", metavar="DATE", help="Only cases assigned on or before DATE."),
)
output_options = combine(
    click.option(
        "--format",
        "fmt",
        type=Choice(["text", "md", "html", "json", "xlsx", "csv"]),
        default="text",
        show_default=True,
    ),
    click.option(
        "--output", metavar="FILE", help="Write to FILE instead of standard output (needed for xlsx)."
    ),
)
report_output = combine(
    click.option(
        "--format",
        "fmt",
        type=Choice(["text", "md", "html", "pdf", "json", "xlsx", "csv"]),
        default="text",
        show_default=True,
        help="html and pdf: an A4 document in 公文 form (see `jianyi document --help`).",
    ),
    click.option(
        "--output", metavar="FILE", help="Write to FILE instead of standard output (needed for xlsx, pdf)."
    ),
    click.option(
        "--templates",
        metavar="DIR",
        type=click.Path(exists=True, file_okay=False),
        help="html, pdf: document templates used before the shipped ones [config: [documents] templates].",
    ),
)


# ---- reports --------------------------------------------------------------------------------------
def _date_option(value: str | None, what: str) -> date | None:
    if value is None:
        return None
    from workflow.core.clock import checked_day

    try:
        day = date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(
            _("{value!r} is not a date (YYYY-MM-DD)").format(value=value), param_hint=what
        ) from None
    try:
        return checked_day(day, "date")
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint=what) from None


def _scope(
    *, session: str | None, term: str | None, unit: str | None, start: str | None, end: str | None
) -> Scope:
    from workflow.reporting.measures import Scope

    return Scope(session, term, unit, _date_option(start, "--from"), _date_option(end, "--to"))


@click.command()
@click.argument("kind", type=Choice(["summary", "units", "conversion", "overdue", "evaluation"]))
@scope_options
@report_output
@click.option(
    "--decimals", type=click.IntRange(0, 6), default=2, show_default=True, help="Decimals of percentages."
)
@click.option("--now", metavar="TIME", help="Count as at this time [now].")
@pass_app
def report(
    app: App,
    /,
    kind: str,
    fmt: str,
    output: str | None,
    templates: str | None,
    decimals: int,
    now: str | None,
    **scope: str | None,
) -> None:
    """Reports: summary (Chinese prose of the offices' form, then tables), units (per main unit, with a
    ranking), conversion (B cases since --term / in scope), overdue (open obligations past due), evaluation
    (quantified satisfaction per unit; `jianyi evaluate --scores` adds the deputies' on-site scores).

    \b
    Measures (rule-set settings in brackets):
      total        assigned cases in scope, withdrawn ones counted apart
      answer rate  answered ÷ total
      on-time      first-round answer deadlines all met by their date (extensions
                   counted) ÷ answers due or given; open cases past due are late
      contact      answered cases with a contact before the first answer ÷ answered;
                   face-to-face: a visit or meeting
      resolution   A ÷ answered, or (A+B) ÷ answered  [measures.resolution]
      satisfaction each case's latest feedback: satisfied (+ basic)
                   [lifecycle.basic_counts_as_satisfied] ÷ feedback received;
                   cases closed without feedback are left out
      conversion   B cases now A ÷ B cases
      re-handling  answered cases handled again ÷ answered
      ranking      units with at least [measures.min_cases] cases, by satisfaction
                   rate, then on-time rate
    Percentages are rounded half-up (四舍五入) per item to --decimals places.

    \b
    As html or pdf the report is a document: A4, the issuing body and date of
    the [documents] table of --config, the 截至 date and the scope named.
    """
    from workflow.reporting.formats import render
    from workflow.reporting.reports import build

    if fmt == "pdf" and output is None:
        raise click.UsageError(_("a PDF needs --output FILE.pdf"))
    moment = app.when(now)
    built = build(app.engine(), kind, _scope(**scope), decimals=decimals, now=moment)
    if fmt in ("html", "pdf"):
        from workflow.reporting.documents import report_document, to_pdf

        page = report_document(app.engine(), built, app.document_settings(templates), now=moment)
        write_output(output, to_pdf(page) if fmt == "pdf" else page)
        return
    write_output(output, render(built, fmt))


@click.command()
@scope_options
@click.option(
    "--scores",
    required=True,
    metavar="FILE.xlsx|FILE.csv",
    type=click.Path(exists=True, dir_okay=False),
    help="Deputies' on-site scores: columns 单位 (unit) and 评分 (score), one row per score.",
)
@click.option("--weights", metavar="SITE,SATISFACTION", help="Shares of the two parts [rule set: 0.8,0.2].")
@output_options
@pass_app
def evaluate(
    app: App, /, scores: str, weights: str | None, fmt: str, output: str | None, **scope: str | None
) -> None:
    """Evaluate the units (评议): on-site scores by deputies plus quantified satisfaction, weighted.

    Each unit's score = mean on-site score × the first weight + satisfaction × the second, where satisfaction
    is the mean of the points its cases' latest feedback earns (rule set measures.points: 满意 100, 基本满意
    80, 不满意 0). Every part is shown, so each score can be checked by hand.
    """
    from decimal import Decimal, InvalidOperation

    from workflow.reporting.evaluation import evaluate as run
    from workflow.reporting.evaluation import read_scores
    from workflow.reporting.formats import render

    shares = None
    if weights is not None:
        try:
            site, satisfaction = (Decimal(w.strip()) for w in weights.split(","))
        except (ValueError, InvalidOperation):
            raise click.BadParameter(
                _("{weights!r}: give two shares, e.g. 0.8,0.2").format(weights=weights),
                param_hint="--weights",
            ) from None
        shares = (site, satisfaction)
    built = run(app.engine(), _scope(**scope), read_scores(Path(scores)), weights=shares)
    write_output(output, render(built, fmt))


@click.command()
@scope_options
@output_options
@pass_app
def lookback(app: App, /, fmt: str, output: str | None, **scope: str | None) -> None:
    """回头看: every B case (since the start of --term, or in scope) with its promises and what became of it.

    Opens with the conversion sentence, e.g. 本届以来B类建议32件，转化A类24件、C类7件。
    """
    from workflow.reporting.formats import render
    from workflow.reporting.reports import build

    write_output(output, render(build(app.engine(), "lookback", _scope(**scope)), fmt))


@click.command("progress-letters")
@click.option("--year", type=click.IntRange(1900, 2999), help="The year the letters report on [this year].")
@json_option
@pass_app
def progress_letters(app: App, year: int | None, as_json: bool) -> None:
    """Write the yearly progress letter to every deputy with B answers still being worked on: their cases,
    promises and the latest progress. Outbox notices keyed by deputy and year: running it twice in a year
    writes nothing new. `remind --once` or the daemon delivers them."""
    from workflow.reporting.letters import progress_letters as write

    engine = app.engine()
    when = year or engine.clock.now().astimezone(app.zone()).year
    written, had = write(engine, year=when)
    emit(
        as_json,
        {"year": when, "written": written, "already": had},
        lambda: _(
            "{written} progress letter(s) for {when} written to the outbox; {had} deputy(ies) had theirs already"
        ).format(written=written, when=when, had=had),
    )


# ---- the ledger -----------------------------------------------------------------------------------
@click.command("import")
@click.argument("path", metavar="FILE.xlsx|FILE.csv", type=click.Path(exists=True, dir_okay=False))
@click.option("--session", metavar="NAME", help="The session the numbers belong to [current session].")
@click.option(
    "--skip-bad",
    metavar="REJECTS.csv",
    help="Import the good rows and write the bad ones, with their reasons, to this file.",
)
@header_row_option
@json_option
@pass_app
def import_(
    app: App, path: str, session: str | None, skip_bad: str | None, header_row: int | None, as_json: bool
) -> None:
    """Import a ledger (台账): each row becomes a case replayed through the lifecycle with its dates.

    \b
    Columns (Chinese header, or the English alias):
      建议编号 number, 标题 title, 领衔代表 deputy (required); 附议代表 co_signers, 领域 field,
      主办单位 main_unit, 会办单位 co_units, 交办日期 assigned_at, 答复日期 answered_at,
      办理类别 category, 代表意见 rating (满意/基本满意/不满意), 反馈日期 feedback_at,
      办结日期 closed_at, 转化类别 converted_to, 转化日期 converted_at.
    Several names in one cell are separated by 、 , or ;. Dates: 2026-03-01 or 2026年3月1日.
    Other columns (序号, 备注, …) are ignored and named; a title row above the header is passed over.
    CSV in UTF-8, UTF-16 or GB18030/GBK (what Excel saves); of a workbook, the first sheet.

    \b
    A workbook from `export ledger --format xlsx` also holds 办理过程, every case's history (建议编号,
    序号, 时间, 操作者, 操作, 内容): a new case is then replayed from it, each action with its actor and
    time, and comes back as it was exported (opinions, contacts, extension, split units, promises,
    withdrawal, confidentiality, texts). From the 台账 row alone, what it does not hold is defaulted and
    the report says what.

    Every row is checked first: a bad row stops the import with every bad row listed, nothing written,
    unless --skip-bad. Unknown units and deputies are created. A case already in the session only gains
    the steps it lacks, so importing a file twice changes nothing the second time. The replayed steps send
    no notices (they happened on paper); reminders of deadlines still open are sent as usual.
    """
    app.engine().require_office("import")  # before the file is read
    from workflow.ledger import import_ledger

    if skip_bad is not None:  # checked before anything is imported: the good rows are committed as they go
        rejects = Path(skip_bad)
        if rejects.resolve() == Path(path).resolve():
            raise click.BadParameter(
                _("the rejects file would overwrite the ledger itself"), param_hint="--skip-bad"
            )
        if not rejects.parent.is_dir():
            raise click.BadParameter(
                _("{parent} is not a folder").format(parent=rejects.parent), param_hint="--skip-bad"
            )
        try:
            rejects.touch()
        except OSError as exc:
            raise click.BadParameter(
                _("cannot write {rejects}: {strerror}").format(rejects=rejects, strerror=exc.strerror),
                param_hint="--skip-bad",
            ) from None
    bars: list[Any] = []

    def progress(done: int, total: int) -> None:
        if total < 500:
            return
        if not bars:
            bar = click.progressbar(length=total, label="importing", file=sys.stderr)
            bar.__enter__()
            bars.append(bar)
        bars[0].update(done - bars[0].pos)

    try:
        report = import_ledger(
            app.engine(),
            Path(path),
            session=session,
            skip_bad=skip_bad is not None,
            progress=progress,
            header_row=header_row,
            rejects=None if skip_bad is None else Path(skip_bad),
        )
    finally:
        for bar in bars:
            bar.__exit__(None, None, None)
    data = {
        "rows": report.rows,
        "created": report.created,
        "advanced": report.advanced,
        "unchanged": report.unchanged,
        "rejected": report.rejected_count,
        "units_created": report.units_created,
        "deputies_created": report.deputies_created,
        "header_row": report.header_row,
        "ignored_columns": report.ignored_columns,
        "from_history": report.from_history,
        "from_rows": report.from_rows,
        "defaulted": list(report.defaulted),
        "sweep_steps": report.sweep_steps,
    }
    emit(
        as_json,
        data,
        lambda: (
            _(
                "{rows} row(s): {created} case(s) created, {advanced} brought forward, {unchanged} unchanged, {rejected_count} rejected"
            ).format(
                rows=report.rows,
                created=report.created,
                advanced=report.advanced,
                unchanged=report.unchanged,
                rejected_count=report.rejected_count,
            )
            + (
                _(" (written to {skip_bad})").format(skip_bad=skip_bad)
                if skip_bad and report.rejected_count
                else ""
            )
            + _("; {count} unit(s) and {count2} deputy(ies) created").format(
                count=len(report.units_created), count2=len(report.deputies_created)
            )
            + (
                _("; header on row {header_row}").format(header_row=report.header_row)
                if report.header_row != 1
                else ""
            )
            + (
                _("; ignored columns: {names}").format(names=", ".join(report.ignored_columns))
                if report.ignored_columns
                else ""
            )
            + (
                _("\n{from_history} case(s) replayed from 办理过程").format(from_history=report.from_history)
                if report.from_history
                else ""
            )
            + (
                _("\n{from_rows} case(s) from their 台账 row alone, defaulted: {names}").format(
                    from_rows=report.from_rows, names=_("; ").join(_(d) for d in report.defaulted)
                )
                if report.defaulted
                else ""
            )
            + (
                _(
                    "\n{sweep_steps} reminder step(s) in 办理过程 (escalate, lapse) are left to the next `jianyi remind --once`"
                ).format(sweep_steps=report.sweep_steps)
                if report.sweep_steps
                else ""
            )
        ),
    )


@click.command()
@click.argument("what", type=Choice(["ledger", "public"]))
@click.option("--format", "fmt", type=Choice(["csv", "xlsx"]), default="csv", show_default=True)
@session_option
@click.option("--output", metavar="FILE", help="Write to FILE instead of standard output (needed for xlsx).")
@pass_app
def export(app: App, what: str, fmt: str, session: str | None, output: str | None) -> None:
    """Export the session: `ledger` with the import's columns, or `public`, a disclosure file without
    confidential cases, co-signers, feedback or any contact data.

    As xlsx, the ledger holds a second sheet, 办理过程: every case's history, so that `jianyi import`
    brings each case back as it was. As CSV it is the 台账 alone (its import defaults what the 台账 does
    not hold, and says what)."""
    from workflow.ledger import export_ledger, export_public

    write = export_ledger if what == "ledger" else export_public
    write_output(output, write(app.engine(), fmt, session=session))


COMMANDS: tuple[click.Command, ...] = (report, evaluate, lookback, progress_letters, import_, export)
