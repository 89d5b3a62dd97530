"""The lifecycle at the command line: one command per action of the transition table (submit, assign, answer,
feedback, close, …), built from :data:`ACTIONS`; ``assign-batch``; and the queries on cases (show, history,
list, deadlines, due)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from commands.app import (
    App,
    Choice,
    OnceCommand,
    combine,
    echo_listing,
    emit,
    header_row_option,
    json_option,
    pass_app,
    session_option,
)
from rules.i18n import _
from workflow.core.clock import checked_day
from workflow.core.states import ContactMethod, ContactStage, State
from workflow.reporting import text

if TYPE_CHECKING:
    from workflow import Change

__all__ = ["ACTIONS", "COMMANDS"]

RATINGS = ("satisfied", "basic", "unsatisfied")

action_options = combine(
    json_option,
    click.option(
        "--expect-version",
        type=click.IntRange(0, 2**63 - 1),
        metavar="N",
        help="Refuse (conflict) unless the case is still at version N.",
    ),
    click.option("--session", metavar="NAME", help="The session the number belongs to [current session]."),
    click.option(
        "--at", metavar="TIME", help="When it happened: ISO date or date-time (local if no offset)."
    ),
)


# ---- one command per action, built from a table ---------------------------------------------------
@dataclass(frozen=True)
class _Action:
    """An action command: NUMBER, its own options (named as the engine's keywords, in --help order), then
    --at, --session, --expect-version and --json; it calls ``Engine.<method>`` and prints the change."""

    name: str
    doc: str
    options: tuple[Callable[[Any], Any], ...]
    method: str
    prepare: Callable[[dict[str, Any]], dict[str, Any]] | None  # options → engine keywords
    new_case: bool  # submit: the case has no version yet to expect


def _action(
    name: str,
    doc: str,
    *options: Callable[[Any], Any],
    method: str | None = None,
    prepare: Callable[[dict[str, Any]], dict[str, Any]] | None = None,
    new_case: bool = False,
) -> _Action:
    return _Action(name, doc, options, method or name.replace("-", "_"), prepare, new_case)


def _many(flag: str, dest: str, metavar: str, help_text: str) -> Callable[[Any], Any]:
    """A repeatable option."""
    return click.option(flag, dest, multiple=True, metavar=metavar, help=help_text)


def _attach_option(what: str) -> Callable[[Any], Any]:
    """``--attach FILE``, repeatable: the files the action comes with."""
    return click.option(
        "--attach",
        "attachments",
        multiple=True,
        metavar="FILE",
        type=click.Path(path_type=Path),
        help=f"Attach FILE: {what}; repeat for several (`jianyi attachment list NUMBER`).",
    )


def _answer_keywords(options: dict[str, Any]) -> dict[str, Any]:
    """Pair each --promise with its --due and each --without-opinion with its --reason."""
    from workflow import Promised

    promises, dues = options.pop("promises"), options.pop("dues")
    without, reasons = options.pop("without"), options.pop("reasons")
    if len(promises) != len(dues):
        raise click.BadParameter(
            _("{count} --promise but {count2} --due: give each promise its date").format(
                count=len(promises), count2=len(dues)
            ),
            param_hint="--due",
        )
    if len(without) != len(reasons):
        raise click.BadParameter(_("give each --without-opinion UNIT its --reason R"), param_hint="--reason")
    items = []
    for item, due in zip(promises, dues, strict=True):
        try:
            day = date.fromisoformat(due)
        except ValueError:
            raise click.BadParameter(
                _("{due!r} is not an ISO date (2026-12-31)").format(due=due), param_hint="--due"
            ) from None
        try:
            items.append(Promised(item, checked_day(day, "promise date")))
        except ValueError as exc:
            raise click.BadParameter(str(exc), param_hint="--due") from None
    return {**options, "promises": items, "without_opinion": dict(zip(without, reasons, strict=True))}


_UNITS = (
    click.option(
        "--split",
        multiple=True,
        metavar="UNIT",
        help="A split unit (分办), each answering its part; repeat, instead of --main.",
    ),
    _many("--co", "co", "UNIT", "A co-unit (会办/协办); repeat."),
    click.option("--main", metavar="UNIT", help="The main unit (主办)."),
)
_REASON = click.option("--reason", default="", help="Why (recorded in the history).")
_REASON_REQUIRED = click.option("--reason", required=True, help="Why (recorded in the history).")

ACTIONS = (
    _action(
        "submit",
        "Register suggestion NUMBER (提出/受理).",
        click.option("--title", required=True, help="The title (标题)."),
        click.option("--deputy", required=True, metavar="NAME", help="The lead deputy (领衔代表)."),
        _many("--co-signer", "co_signers", "NAME", "A co-signing deputy (附议); repeat."),
        click.option("--content", default="", help="The text of the suggestion."),
        click.option("--field", metavar="F", help="The field (领域), e.g. 交通."),
        click.option("--between-sessions", is_flag=True, help="Submitted between sessions (闭会期间)."),
        click.option("--confidential", is_flag=True, help="Never in a public export (the deputy asked)."),
        new_case=True,
    ),
    _action(
        "assign",
        "Assign NUMBER (交办) to a main unit and co-units, or to split units; starts the clocks.",
        *_UNITS,
        click.option("--key", is_flag=True, help="Key suggestion under leaders' supervision (重点督办)."),
        click.option(
            "--complex",
            is_flag=True,
            help="Complex (涉及面广、处理难度大): the office approves the 6-month answer period now.",
        ),
    ),
    _action(
        "receive",
        """A unit signs for its assignment of NUMBER (签收); once per assignment, again after a reassignment.

        With the rule set's `lifecycle.deadlines_from_receipt` the unit's open co-opinion and answer deadlines
        then run from the day of receipt; otherwise they keep running from the assignment.
        """,
        click.option("--unit", metavar="UNIT", help="The unit signing [the acting unit]."),
    ),
    _action(
        "return",
        "A unit asks to hand NUMBER back (退办); the office then reassigns or refuses.",
        click.option("--unit", metavar="UNIT", help="The unit asking [the acting unit]."),
        click.option("--reason", required=True, help="Why the case is not the unit's responsibility."),
        method="request_return",
    ),
    _action(
        "reassign", "Assign NUMBER again (二次交办) to other units; the clocks restart.", *_UNITS, _REASON
    ),
    _action(
        "refuse-return",
        "Refuse a unit's request to hand NUMBER back; the unit keeps handling it.",
        click.option("--reason", required=True, help="Why the unit keeps the case."),
        click.option("--unit", metavar="UNIT", help="Only this unit's request [all pending]."),
    ),
    _action(
        "opinion",
        "A co-unit's opinion (会办意见) on NUMBER to the main unit.",
        click.option("--unit", metavar="UNIT", help="The co-unit [the acting unit]."),
        click.option("--text", required=True, help="The opinion."),
        _attach_option("the opinion's papers (会办意见), PDF, DOCX, XLSX, OFD or an image, by content"),
    ),
    _action(
        "contact",
        "Record a contact between a unit and the deputy (联系沟通) on NUMBER.",
        click.option("--unit", metavar="UNIT", help="The unit [the acting unit]."),
        click.option(
            "--method",
            required=True,
            type=Choice([m.value for m in ContactMethod]),
            help="visit (走访/面商), meeting (座谈), phone, letter or online.",
        ),
        click.option("--note", default="", help="What was discussed."),
        click.option(
            "--stage",
            type=Choice([s.value for s in ContactStage]),
            help="before (办前), during (办中), after (办后) [from the case].",
        ),
    ),
    _action(
        "answer",
        "The answer (答复) to the deputy on NUMBER, with its class.",
        click.option(
            "--category", required=True, metavar="A|B|C|D", help="The class (办理类别) of the rule set."
        ),
        click.option("--text", required=True, help="The answer."),
        click.option("--unit", metavar="UNIT", help="The answering unit [acting unit, or the main unit]."),
        _many(
            "--promise",
            "promises",
            "TEXT",
            "A promised item; pair with --due. A B answer needs one (rule set: lifecycle.promise_required).",
        ),
        _many("--due", "dues", "DATE", "The promised date of the --promise before it."),
        _many(
            "--without-opinion",
            "without",
            "UNIT",
            "Office only: answer without this co-unit's opinion; pair with --reason.",
        ),
        _many("--reason", "reasons", "R", "Why, for the --without-opinion before it."),
        _attach_option(
            "the answer letter (答复函) or other papers, PDF, DOCX, XLSX, OFD or an image, by content"
        ),
        prepare=_answer_keywords,
    ),
    _action(
        "feedback",
        "The deputy's feedback on the answer to NUMBER; closes or re-handles it as the rule set says.",
        click.option(
            "--rating",
            required=True,
            type=Choice(RATINGS),
            help="satisfied (满意), basic (基本满意) or unsatisfied (不满意).",
        ),
        click.option("--comment", default="", help="The deputy's opinion (required when unsatisfied)."),
        click.option("--attitude", type=Choice(RATINGS), help="Rating of the handling attitude (办理态度)."),
        click.option("--result", type=Choice(RATINGS), help="Rating of the result (办理结果)."),
    ),
    _action(
        "rehandle", "Send NUMBER back for re-handling (重新办理): round + 1, new answer deadline.", _REASON
    ),
    _action("close", "Close NUMBER (办结) after the deputy's feedback.", _REASON),
    _action(
        "withdraw",
        "Withdraw NUMBER (撤回) at the deputy's written request; handling stops.",
        _REASON_REQUIRED,
    ),
    _action(
        "extend",
        "Approve the 6-month answer period of complex NUMBER (延期), counted from assignment.",
        _REASON_REQUIRED,
    ),
    _action(
        "request-extension",
        """The main unit asks for the extended answer period of NUMBER (申请延期); the office approves or refuses.

        One request waits at a time. Refused when the period is extended already, the rule set has no extended
        period, or the answer date has passed. Pending requests: `jianyi extensions`.
        """,
        click.option("--reason", required=True, help="Why the answer needs the longer period."),
        click.option("--unit", metavar="UNIT", help="The main unit [the acting unit, or the main unit]."),
    ),
    _action(
        "approve-extension",
        """Approve the pending extension request of NUMBER: as `extend`, the unit and the deputy are told.""",
        click.option("--reason", default="", help="The office's reasons [the request's]."),
    ),
    _action(
        "refuse-extension",
        "Refuse the pending extension request of NUMBER; the unit answers within the period it has.",
        click.option("--reason", required=True, help="Why the period stays."),
    ),
    _action(
        "convert",
        """Record that B-class NUMBER became A (B→A 转化) or C: a follow-up answer to the deputy.

        The class the case was answered with is kept (`show --json`: `category`); `current_category` takes the
        new class and `history` lists the conversions. Open promises end done (A) or cancelled (C). Allowed after
        the answer in any state, closed included; by the office or the case's main unit.
        """,
        click.option(
            "--to", required=True, metavar="CLASS", help="The new class: A (solved) or C (not for now)."
        ),
        click.option("--evidence", required=True, help="What was done, and when (sent to the deputy)."),
        _attach_option("the evidence's papers, PDF, DOCX, XLSX, OFD or an image, by content"),
    ),
    _action(
        "progress",
        """Record progress on the promises of B-class NUMBER (承诺事项进展); the yearly letter to the deputy
        (`jianyi progress-letters`) reports the latest note. By the office or the case's main unit.""",
        click.option(
            "--note", required=True, help="What has been done on the promises, and what comes next."
        ),
    ),
    _action(
        "amend",
        """Correct the data of NUMBER (更正): its title, content, field or flags, in any state; by the office.

        Only what is given and differs is changed; `history` shows each change as old → new with the reason.
        `--field ""` clears the field. Refused when nothing would change.
        """,
        click.option("--title", help="The corrected title."),
        click.option("--content", help="The corrected text."),
        click.option("--field", metavar="F", help='The corrected field (领域); "" clears it.'),
        click.option(
            "--between-sessions/--in-session",
            default=None,
            help="Submitted between sessions (闭会期间), or during the session.",
        ),
        click.option(
            "--confidential/--not-confidential",
            default=None,
            help="Never in a public export, or again in one.",
        ),
        click.option("--key/--not-key", default=None, help="Under key supervision (重点督办), or no longer."),
        _REASON_REQUIRED,
    ),
)


def _action_command(spec: _Action) -> click.Command:
    def command(
        app: App,
        /,
        number: str,
        at: str | None,
        session: str | None,
        expect_version: int | None,
        as_json: bool,
        **options: Any,
    ) -> None:
        if spec.new_case and expect_version is not None:
            raise click.BadParameter(_("a new suggestion has no version yet"), param_hint="--expect-version")
        keywords = spec.prepare(options) if spec.prepare else options
        engine = app.engine()
        common: dict[str, Any] = {
            "actor": app.actor(),
            "at": app.when(at, keep_offset=True),
            "session": session,
        }
        if not spec.new_case:
            common["expected_version"] = expect_version
        change: Change = getattr(engine, spec.method)(number, **keywords, **common)
        emit(as_json, change.to_json(), lambda: text.change_text(change))

    command.__doc__ = spec.doc
    decorate = combine(click.argument("number"), *spec.options, action_options)
    return click.command(spec.name, cls=OnceCommand)(decorate(pass_app(command)))


ACTION_COMMANDS = tuple(_action_command(spec) for spec in ACTIONS)


@click.command("assign-batch", cls=OnceCommand)
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--at", metavar="TIME", help="When the assignment meeting (交办会) took place.")
@click.option("--session", metavar="NAME", help="The session [current session].")
@header_row_option
@json_option
@pass_app
def assign_batch(
    app: App, file: str, at: str | None, session: str | None, header_row: int | None, as_json: bool
) -> None:
    """Assign many suggestions at once from a CSV or Excel (.xlsx) file (交办会), all or nothing.

    Columns: number, main, co, split, key, complex (also 建议编号, 主办单位, 会办单位, 分办单位, 重点, 复杂);
    other columns are ignored and named (with --json, on stderr). Several units in one cell are separated by
    、 , or ;. CSV in UTF-8, UTF-16 or GB18030/GBK.
    """
    from workflow.ledger import read_orders

    app.engine().require_office("assign-batch")  # before the file is read
    sheet = read_orders(Path(file), header_row=header_row)
    changes = app.engine().assign_many(sheet.orders, actor=app.actor(), at=app.when(at), session=session)
    ignored = _("ignored columns: {names}").format(names=_(", ").join(sheet.ignored)) if sheet.ignored else ""
    if as_json and ignored:
        click.echo(ignored, err=True)
    emit(
        as_json,
        [c.to_json() for c in changes],
        lambda: (
            _("assigned {count} suggestion(s) in one transaction").format(count=len(changes))
            + (f"; {ignored}" if ignored else "")
        ),
    )


# ---- queries --------------------------------------------------------------------------------------
@click.command()
@click.argument("number")
@session_option
@json_option
@pass_app
def show(app: App, number: str, session: str | None, as_json: bool) -> None:
    """Show NUMBER's dossier (案卷): the submission, assignments, opinions, contacts, answers with their
    promises, feedback per round, extensions, conversions, withdrawal, deadlines and what may be done next."""
    from workflow.reporting.dossier import dossier_text

    dossier = app.engine().dossier(number, session=session)
    emit(
        as_json,
        dossier.to_json(),
        lambda: dossier_text(dossier, zone=app.zone(), now=app.engine().clock.now()),
    )


@click.command()
@click.argument("number")
@session_option
@json_option
@pass_app
def history(app: App, number: str, session: str | None, as_json: bool) -> None:
    """The audit history of NUMBER, in order."""
    rows = app.engine().history(number, session=session)
    emit(as_json, [h.to_json() for h in rows], lambda: text.history_text(rows, app.zone()))


@click.command("list")
@click.option("--state", type=Choice([s.value for s in State]), help="Only cases in this state.")
@click.option("--unit", metavar="UNIT", help="Only cases this unit is handling now.")
@click.option("--overdue", is_flag=True, help="Only cases with an open deadline past due.")
@click.option("--now", metavar="TIME", help="The time --overdue is judged at [now].")
@click.option("--deputy", metavar="NAME", help="Only cases this deputy leads or co-signs (领衔或附议).")
@click.option(
    "--delegation", metavar="NAME", help="Only cases whose lead deputy is of this delegation (代表团)."
)
@click.option("--field", metavar="FIELD", help="Only cases of this field (教育, 交通…).")
@click.option("--key/--no-key", default=None, help="Only key cases (重点督办), or only the others.")
@click.option(
    "--between-sessions/--during-session",
    default=None,
    help="Only cases submitted between sessions (闭会期间), or only those during the session.",
)
@click.option(
    "--confidential/--not-confidential", default=None, help="Only confidential cases, or only the others."
)
@click.option(
    "--text", metavar="TEXT", help="Only cases with TEXT in the title or content (公交, 夜班公交…)."
)
@click.option(
    "--limit", type=click.IntRange(1, 1_000_000), default=100, show_default=True, help="Cases on a page."
)
@click.option(
    "--offset", type=click.IntRange(0, 2**62), default=0, show_default=True, help="Cases to skip first."
)
@session_option
@json_option
@pass_app
def list_(app: App, /, now: str | None, as_json: bool, **filters: Any) -> None:
    """List cases of the session by number, a page at a time, with how many match."""
    page = app.engine().search(now=app.when(now), **filters)
    if as_json:
        emit(as_json, page.to_json(), str)
        return
    from workflow.reporting.listing import page_listing

    echo_listing(page_listing(page, now=app.when(now) or app.engine().clock.now(), zone=app.zone()))


@click.command()
@click.argument("number")
@click.option("--explain", is_flag=True, help="Show rule, legal basis, start, raw end and why it rolled.")
@session_option
@json_option
@pass_app
def deadlines(app: App, number: str, explain: bool, session: str | None, as_json: bool) -> None:
    """The deadlines of NUMBER (期限), with --explain how each was computed."""
    rows = app.engine().explain(number, session=session)
    now = app.engine().clock.now()
    emit(
        as_json, [r.to_json() for r in rows], lambda: text.deadlines_text(number, rows, now, explain=explain)
    )


def _span(value: str) -> Any:
    import re
    from datetime import timedelta

    match = re.fullmatch(r"\s*(\d+)\s*([dw]?)\s*", value)
    if not match:
        raise click.BadParameter(
            _("{value!r}: use days (7d or 7) or weeks (2w)").format(value=value), param_hint="--within"
        )
    amount = int(match.group(1)) * (7 if match.group(2) == "w" else 1)
    if amount > _MAX_SPAN_DAYS:
        msg = _("{value!r}: look at most {days} days (ten years) ahead").format(
            value=value, days=_MAX_SPAN_DAYS
        )
        raise click.BadParameter(msg, param_hint="--within")
    return timedelta(days=amount)


_MAX_SPAN_DAYS = 3660  # as `forecast --days`


@click.command()
@click.option("--within", default="7d", show_default=True, help="How far ahead: days (7d) or weeks (2w).")
@click.option("--unit", "unit_name", metavar="UNIT", help="Only what this unit owes.")
@click.option("--now", metavar="TIME", help="The time to judge from [now].")
@click.option("--session", metavar="NAME", help="Only this session [all sessions].")
@json_option
@pass_app
def due(
    app: App, within: str, unit_name: str | None, now: str | None, session: str | None, as_json: bool
) -> None:
    """Open obligations coming due within a span, overdue ones first (催办 list)."""
    items = app.engine().due(within=_span(within), unit=unit_name, now=app.when(now), session=session)
    if as_json:
        emit(as_json, [i.to_json() for i in items], str)
        return
    from workflow.reporting.listing import due_listing

    echo_listing(due_listing(items, now=app.when(now) or app.engine().clock.now(), zone=app.zone()))


@click.command()
@click.option("--unit", "unit_name", metavar="UNIT", help="Only this unit's requests.")
@click.option("--session", metavar="NAME", help="Only this session [all sessions].")
@json_option
@pass_app
def extensions(app: App, unit_name: str | None, session: str | None, as_json: bool) -> None:
    """Extension requests (申请延期) waiting for the office's decision, oldest first; a unit sees its own.

    Decide each with `approve-extension NUMBER` or `refuse-extension NUMBER --reason R`.
    """
    engine = app.engine()
    items = engine.pending_extensions(unit=unit_name, session=session)
    if as_json:
        emit(as_json, [i.to_json() for i in items], str)
        return
    from workflow.reporting.listing import extension_listing

    echo_listing(extension_listing(items, now=engine.clock.now(), zone=app.zone()))


COMMANDS: tuple[click.Command, ...] = (
    *ACTION_COMMANDS,
    assign_batch,
    show,
    history,
    list_,
    deadlines,
    due,
    extensions,
)
