"""Documents (公文) at the command line: ``jianyi document assignment-sheet|answer-form|supervision-letter|
feedback-form|progress-letter``, each written as PDF (A4, GB/T 9704) or HTML from the shipped templates or a
folder of overrides."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import click

from commands.app import App, Choice, combine, pass_app, session_option, write_output
from rules.i18n import _

__all__ = ["COMMANDS", "document_output", "write_document"]

document_output = combine(
    click.option(
        "-o",
        "--output",
        metavar="FILE",
        help="Write to FILE (needed for pdf); html goes to standard output without it.",
    ),
    click.option("--format", "fmt", type=Choice(["pdf", "html"]), default="pdf", show_default=True),
    click.option(
        "--templates",
        metavar="DIR",
        type=click.Path(exists=True, file_okay=False),
        help="A folder of document templates used before the shipped ones [config: [documents] templates].",
    ),
    click.option("--now", metavar="TIME", help="Date the document as at this time [now]."),
)


def write_document(output: str | None, fmt: str, html: str) -> None:
    """Write ``html`` as it is, or as PDF (to a file only)."""
    if fmt == "pdf":
        if output is None:
            raise click.UsageError(_("a PDF needs --output FILE.pdf (or --format html)"))
        from workflow.reporting.documents import to_pdf

        write_output(output, to_pdf(html))
    else:
        write_output(output, html)


def _make(
    app: App, output: str | None, fmt: str, templates: str | None, build: Callable[..., str], **kw: Any
) -> None:
    if fmt == "pdf" and output is None:  # refused before any work is done
        raise click.UsageError(_("a PDF needs --output FILE.pdf (or --format html)"))
    settings = app.document_settings(templates)
    write_document(output, fmt, build(app.engine(), settings, **kw))


@click.group()
def document() -> None:
    """Documents in 公文 form (GB/T 9704: A4, 小标宋 title, 仿宋 body, page numbers), as PDF or HTML.

    \b
    The issuing body, the letterhead and the office's contact line come from the
    [documents] table of --config (issuer, letterhead, contact); templates from
    a folder of overrides (templates, or --templates) before the shipped ones.
    PDF needs WeasyPrint (pip install 'jianyi[pdf]') and a Chinese font
    (apt-get install fonts-noto-cjk).
    """


@document.command("assignment-sheet")
@click.argument("numbers", nargs=-1, metavar="[NUMBER]...")
@click.option("--unit", required=True, metavar="UNIT", help="The unit the 交办函 goes to.")
@session_option
@document_output
@pass_app
def assignment_sheet(
    app: App,
    /,
    numbers: tuple[str, ...],
    unit: str,
    session: str | None,
    output: str | None,
    fmt: str,
    templates: str | None,
    now: str | None,
) -> None:
    """The 交办函 to UNIT: the cases it handles (or NUMBERs), with number, title, lead deputy, main/co role and
    the last day of what it owes."""
    from workflow.reporting.documents import assignment_sheet as build

    _make(app, output, fmt, templates, build, unit=unit, session=session, numbers=numbers, now=app.when(now))


@document.command("answer-form")
@click.argument("number")
@session_option
@document_output
@pass_app
def answer_form(
    app: App,
    /,
    number: str,
    session: str | None,
    output: str | None,
    fmt: str,
    templates: str | None,
    now: str | None,
) -> None:
    """The 答复函 form the main unit of NUMBER fills: the case printed, class A/B/C boxes, the answer and
    promises, 联系人/电话 lines, the signature and seal area."""
    from workflow.reporting.documents import answer_form as build

    _make(app, output, fmt, templates, build, number=number, session=session, now=app.when(now))


@document.command("supervision-letter")
@click.argument("number", required=False)
@click.option("--unit", metavar="UNIT", help="The late unit (every overdue case of it).")
@session_option
@document_output
@pass_app
def supervision_letter(
    app: App,
    /,
    number: str | None,
    unit: str | None,
    session: str | None,
    output: str | None,
    fmt: str,
    templates: str | None,
    now: str | None,
) -> None:
    """The 督办函 to a late unit: its overdue answers and co-opinions, with their dates and working days late.
    Give --unit, or NUMBER for a letter to each unit late on that case."""
    if number is None and unit is None:
        raise click.UsageError(_("give NUMBER or --unit UNIT"))
    from workflow.reporting.documents import supervision_letter as build

    _make(app, output, fmt, templates, build, unit=unit, number=number, session=session, now=app.when(now))


@document.command("feedback-form")
@click.argument("number")
@session_option
@document_output
@pass_app
def feedback_form(
    app: App,
    /,
    number: str,
    session: str | None,
    output: str | None,
    fmt: str,
    templates: str | None,
    now: str | None,
) -> None:
    """The 征询意见表 for the lead deputy of NUMBER ("背靠背" evaluation): 满意/基本满意/不满意 boxes on the
    attitude and the result, the contacts, specific opinions, signature, the date to return it by."""
    from workflow.reporting.documents import feedback_form as build

    _make(app, output, fmt, templates, build, number=number, session=session, now=app.when(now))


@document.command("progress-letter")
@click.option("--deputy", required=True, metavar="NAME", help="The deputy the letter goes to.")
@click.option("--year", type=click.IntRange(1900, 2999), help="The year it reports on [this year].")
@document_output
@pass_app
def progress_letter(
    app: App,
    /,
    deputy: str,
    year: int | None,
    output: str | None,
    fmt: str,
    templates: str | None,
    now: str | None,
) -> None:
    """The yearly letter to a deputy on the promises of their B answers: each case, its promised items and
    dates, how far they are, and the latest progress reported (the paper form of `progress-letters`)."""
    from workflow.reporting.documents import progress_letter as build

    moment = app.when(now)
    when = year or (moment or app.engine().clock.now()).astimezone(app.zone()).year
    _make(app, output, fmt, templates, build, deputy=deputy, year=when, now=moment)


COMMANDS: tuple[click.Command, ...] = (document,)
