"""``jianyi``: the administrators' command line for handling deputies' suggestions (代表建议办理).

A thin shell over the engine: each command parses its options, calls one engine function and prints the
result (``--json`` for machine-readable output; the text comes from :mod:`workflow.reporting.text`). Errors
print one line to stderr and exit non-zero, by :data:`EXIT_CODES`: 1 domain error, 2 usage, 3 invalid input,
4 not found, 5 action not allowed in the state, 6 permission denied, 7 conflict (retry), 8 database not
initialised, 9 audit trail broken. ``--debug`` shows the traceback instead.

The database stack is imported inside commands, so ``jianyi --help`` stays fast.
"""

from __future__ import annotations

import json
import os
import sys
import tomllib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar
from zoneinfo import ZoneInfo

import click

from notifications.errors import ConfigError, NotificationError, TemplateProblem
from rules.errors import RuleError
from workflow.core.errors import (
    Conflict,
    NotFound,
    NotInitialised,
    PermissionDenied,
    TransitionNotAllowed,
    ValidationError,
    WorkflowError,
)
from workflow.core.states import ContactMethod, ContactStage, State
from workflow.reporting import text

if TYPE_CHECKING:
    from workflow import Actor, Change, Engine

F = TypeVar("F", bound=Callable[..., Any])

RATINGS = ("satisfied", "basic", "unsatisfied")

# The one map from error to exit code: an error exits with the code of the nearest class of its MRO listed here.
# Click's usage errors exit 2; `audit verify` exits AUDIT_BROKEN when it finds a problem.
EXIT_CODES: Mapping[type[Exception], int] = {
    WorkflowError: 1,
    ValidationError: 3,
    NotFound: 4,
    TransitionNotAllowed: 5,
    PermissionDenied: 6,
    Conflict: 7,
    NotInitialised: 8,
    RuleError: 3,
    NotificationError: 1,
    TemplateProblem: 3,
    ConfigError: 3,
}
AUDIT_BROKEN = 9


def exit_code(exc: BaseException) -> int:
    """The exit code :data:`EXIT_CODES` gives ``exc`` (1 when no class of its MRO is listed)."""
    for kind in type(exc).__mro__:
        if issubclass(kind, Exception) and kind in EXIT_CODES:
            return EXIT_CODES[kind]
    return 1


def _failure(message: str, code: int) -> click.ClickException:
    """A refused command: one line on stderr and exit ``code`` (click reads ``exit_code`` from the class)."""
    kind: type[click.ClickException] = type(f"Failure{code}", (click.ClickException,), {"exit_code": code})
    return kind(message)


class _Group(click.Group):
    """Maps the packages' errors to one line and their exit code."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except tuple(EXIT_CODES) as exc:
            app = ctx.find_object(App)
            if app is not None and app.debug:
                raise
            raise _failure(str(exc), exit_code(exc)) from None


@dataclass
class App:
    """What every command shares: where the database is, which congress, who acts."""

    db: str
    congress: str | None
    actor_text: str
    debug: bool
    notifications: dict[str, Any] = field(default_factory=dict)
    config_dir: str | None = None
    _engine: Engine | None = field(default=None, repr=False)

    def engine(self, *, init_level: str | None = None) -> Engine:
        """The engine, opened on first use and closed with the command line's context; with ``init_level``
        the database and congress are created or upgraded first (``jianyi init``)."""
        if self._engine is None:
            from workflow import Engine

            opened = (
                Engine.open(self.db, congress=self.congress)
                if init_level is None
                else Engine.init(self.db, congress=self.congress, level=init_level)
            )
            self._engine = click.get_current_context().find_root().with_resource(opened)
        return self._engine

    def zone(self) -> ZoneInfo:
        """The rule set's zone, in which times are shown."""
        return self.engine().active_ruleset().zone

    def actor(self) -> Actor:
        """The ``--as`` actor."""
        from workflow import Actor

        try:
            return Actor.parse(self.actor_text)
        except ValueError as exc:
            raise click.BadParameter(str(exc), param_hint="--as") from None

    def when(self, value: str | None) -> datetime | None:
        """``--at``/``--now`` text as an aware instant (local time in the rule set's zone when no offset)."""
        if value is None:
            return None
        from workflow import parse_instant

        try:
            return parse_instant(value, self.zone())
        except ValueError as exc:
            raise click.BadParameter(str(exc)) from None


pass_app = click.make_pass_decorator(App)


def _config(path: str | None) -> dict[str, Any]:
    if path is None:
        return {}
    try:
        data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise click.BadParameter(f"cannot read {path}: {exc}", param_hint="--config") from None
    tables = set(data) - {"db", "congress", "actor"}
    unknown_tables = tables - {"jianyi", "notifications"}
    section = {k: v for k, v in data.items() if k not in tables} | dict(data.get("jianyi", {}))
    unknown = sorted((set(section) - {"db", "congress", "actor"}) | unknown_tables)
    if unknown:
        raise click.BadParameter(f"unknown key(s) in {path}: {', '.join(unknown)}", param_hint="--config")
    section["notifications"] = dict(data.get("notifications", {}))
    section["base"] = str(Path(path).resolve().parent)
    return section


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--db", metavar="URL|PATH", help="Database: a SQLite path or a SQLAlchemy URL [$JIANYI_DB, ./jianyi.db]."
)
@click.option(
    "--congress", metavar="NAME", help="Congress (人大) to work on, when the database holds several."
)
@click.option(
    "--config",
    "config_path",
    metavar="FILE",
    type=click.Path(dir_okay=False),
    help="TOML file with defaults for db, congress and actor ([jianyi] table).",
)
@click.option("--as", "actor", metavar="ACTOR", help="Who acts: office (default), unit:NAME or deputy:NAME.")
@click.option("--debug", is_flag=True, help="Show tracebacks instead of one-line errors.")
@click.version_option(package_name="jianyi", prog_name="jianyi")
@click.pass_context
def cli(
    ctx: click.Context,
    db: str | None,
    congress: str | None,
    config_path: str | None,
    actor: str | None,
    debug: bool,
) -> None:
    """jianyi (建议): handle deputies' suggestions from submission (提出) to closing (办结).

    Register suggestions, assign them (交办) to main and co-units, record opinions (会办意见), contacts,
    answers (答复, class A/B/C/D) and the deputy's feedback, re-handle (重新办理) unsatisfied answers, and
    keep every deadline and a tamper-evident history.

    \b
    Exit codes: 0 done, 1 other error, 2 usage, 3 invalid input, 4 not found,
    5 not allowed in the case's state, 6 permission denied, 7 conflict (reload
    and retry), 8 database not initialised, 9 audit trail broken.
    """
    conf = _config(config_path)
    ctx.obj = App(
        db=db or os.environ.get("JIANYI_DB") or conf.get("db") or "jianyi.db",
        congress=congress or conf.get("congress"),
        actor_text=actor or conf.get("actor") or "office",
        debug=debug,
        notifications=conf.get("notifications", {}),
        config_dir=conf.get("base"),
    )


# ---- output ---------------------------------------------------------------------------------------
def _emit(as_json: bool, data: Any, render: Callable[[], str]) -> None:
    if as_json:
        click.echo(json.dumps(data, ensure_ascii=False, indent=2, default=str))
    else:
        click.echo(render())


def _emit_checked(as_json: bool, data: dict[str, Any], checked: str, problems: Sequence[Any]) -> None:
    """Print the problems a check found, then the count line (or all of it as JSON)."""
    lines = [str(p) for p in problems]
    _emit(
        as_json,
        {**data, "problems": lines},
        lambda: "".join(f"{line}\n" for line in lines) + f"{checked} checked, {len(lines)} problem(s)",
    )


def _write(output: str | None, body: str | bytes) -> None:
    if output is None:
        if isinstance(body, bytes):
            raise click.UsageError("an Excel workbook needs --output FILE.xlsx")
        click.echo(body, nl=False)
        return
    path = Path(output)
    if isinstance(body, bytes):
        path.write_bytes(body)
    else:
        path.write_text(body, encoding="utf-8")
    click.echo(f"wrote {path}", err=True)


# ---- common options -------------------------------------------------------------------------------
def _options(*decorators: Callable[[Any], Any]) -> Callable[[F], F]:
    """One decorator adding the options of ``decorators`` in the order given, which is their --help order."""

    def apply(f: F) -> F:
        for decorator in reversed(decorators):
            f = decorator(f)
        return f

    return apply


json_option = click.option("--json", "as_json", is_flag=True, help="Print JSON.")
session_option = click.option("--session", metavar="NAME", help="The session [current session].")
action_options = _options(
    json_option,
    click.option(
        "--expect-version",
        type=int,
        metavar="N",
        help="Refuse (conflict) unless the case is still at version N.",
    ),
    click.option("--session", metavar="NAME", help="The session the number belongs to [current session]."),
    click.option(
        "--at", metavar="TIME", help="When it happened: ISO date or date-time (local if no offset)."
    ),
)
scope_options = _options(
    click.option("--session", metavar="NAME", help="Only this session [all]."),
    click.option(
        "--term", metavar="TERM", help="Only sessions of this term (届), as `session add --term` gave it."
    ),
    click.option("--unit", metavar="UNIT", help="Only cases this unit handles as main (or split) unit."),
    click.option("--from", "start", metavar="DATE", help="Only cases assigned on or after DATE."),
    click.option("--to", "end", metavar="DATE", help="Only cases assigned on or before DATE."),
)
output_options = _options(
    click.option(
        "--format",
        "fmt",
        type=click.Choice(["text", "md", "html", "json", "xlsx", "csv"]),
        default="text",
        show_default=True,
    ),
    click.option(
        "--output", metavar="FILE", help="Write to FILE instead of standard output (needed for xlsx)."
    ),
)


# ---- set-up ---------------------------------------------------------------------------------------
@cli.command()
@click.option(
    "--level",
    type=click.Choice(["national", "province", "city", "county", "township"]),
    default="province",
    show_default=True,
    help="Level of a congress created now.",
)
@json_option
@pass_app
def init(app: App, level: str, as_json: bool) -> None:
    """Create or upgrade the database, and the congress (--congress, default 'default')."""
    engine = app.engine(init_level=level)
    rs = engine.active_ruleset()
    data = {"db": engine.url, "congress": engine.congress, "ruleset": f"{rs.id}@{rs.version}"}
    _emit(
        as_json,
        data,
        lambda: f"initialised {engine.url}: congress {engine.congress!r}, rule set {rs.id}@{rs.version}",
    )


@cli.group()
def session() -> None:
    """Sessions (届次/会次): suggestions are numbered within one."""


@session.command("add")
@click.argument("name")
@click.option("--term", metavar="TERM", help="The term (届), e.g. 第十四届.")
@click.option("--year", type=int, help="The year.")
@click.option("--current", is_flag=True, help="Make it the current session.")
@json_option
@pass_app
def session_add(
    app: App, name: str, term: str | None, year: int | None, current: bool, as_json: bool
) -> None:
    """Add a session."""
    info = app.engine().add_session(name, term=term, year=year, current=current)
    _emit(as_json, asdict(info), lambda: f"session {info.name!r} added" + (" (current)" if current else ""))


@session.command("use")
@click.argument("name")
@json_option
@pass_app
def session_use(app: App, name: str, as_json: bool) -> None:
    """Make NAME the current session."""
    app.engine().set_current_session(name)
    _emit(as_json, {"current": name}, lambda: f"current session: {name}")


@session.command("list")
@json_option
@pass_app
def session_list(app: App, as_json: bool) -> None:
    """List the sessions."""
    rows = app.engine().sessions()
    _emit(
        as_json,
        [asdict(r) for r in rows],
        lambda: (
            "\n".join(
                f"{'*' if r.current else ' '} {r.name}  {r.term or ''} {r.year or ''}".rstrip() for r in rows
            )
            or "no sessions yet: add one with `jianyi session add NAME --current`"
        ),
    )


@cli.group()
def unit() -> None:
    """Handling units (承办单位)."""


@unit.command("add")
@click.argument("name")
@click.option("--parent", metavar="NAME", help="The superior unit (上级主管部门).")
@click.option("--email", metavar="E")
@click.option("--phone", metavar="P")
@click.option("--webhook", metavar="URL", help="Webhook for notices (SMS gateway, 企业微信/钉钉 robot).")
@json_option
@pass_app
def unit_add(app: App, /, name: str, as_json: bool, **contacts: str | None) -> None:
    """Add a unit."""
    info = app.engine().add_unit(name, **contacts)
    _emit(as_json, asdict(info), lambda: f"unit {info.name!r} added")


@unit.command("list")
@json_option
@pass_app
def unit_list(app: App, as_json: bool) -> None:
    """List the units."""
    rows = app.engine().units()
    _emit(as_json, [asdict(r) for r in rows], lambda: "\n".join(r.name for r in rows) or "no units yet")


@cli.group()
def deputy() -> None:
    """Deputies (代表)."""


@deputy.command("add")
@click.argument("name")
@click.option("--delegation", metavar="D", help="The delegation (代表团).")
@click.option("--email", metavar="E")
@click.option("--phone", metavar="P")
@json_option
@pass_app
def deputy_add(app: App, /, name: str, as_json: bool, **contacts: str | None) -> None:
    """Add a deputy."""
    info = app.engine().add_deputy(name, **contacts)
    _emit(as_json, asdict(info), lambda: f"deputy {info.name!r} added")


@deputy.command("list")
@json_option
@pass_app
def deputy_list(app: App, as_json: bool) -> None:
    """List the deputies."""
    rows = app.engine().deputies()
    _emit(as_json, [asdict(r) for r in rows], lambda: "\n".join(r.name for r in rows) or "no deputies yet")


# ---- the lifecycle: one command per action, built from a table -------------------------------------
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


def _answer_keywords(options: dict[str, Any]) -> dict[str, Any]:
    """Pair each --promise with its --due and each --without-opinion with its --reason."""
    from workflow import Promised

    promises, dues = options.pop("promises"), options.pop("dues")
    without, reasons = options.pop("without"), options.pop("reasons")
    if len(promises) != len(dues):
        raise click.BadParameter(
            f"{len(promises)} --promise but {len(dues)} --due: give each promise its date", param_hint="--due"
        )
    if len(without) != len(reasons):
        raise click.BadParameter("give each --without-opinion UNIT its --reason R", param_hint="--reason")
    items = []
    for item, due in zip(promises, dues, strict=True):
        try:
            items.append(Promised(item, date.fromisoformat(due)))
        except ValueError:
            raise click.BadParameter(f"{due!r} is not an ISO date (2026-12-31)", param_hint="--due") from None
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
    ),
    _action(
        "contact",
        "Record a contact between a unit and the deputy (联系沟通) on NUMBER.",
        click.option("--unit", metavar="UNIT", help="The unit [the acting unit]."),
        click.option(
            "--method",
            required=True,
            type=click.Choice([m.value for m in ContactMethod]),
            help="visit (走访/面商), meeting (座谈), phone, letter or online.",
        ),
        click.option("--note", default="", help="What was discussed."),
        click.option(
            "--stage",
            type=click.Choice([s.value for s in ContactStage]),
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
        _many("--promise", "promises", "TEXT", "A promised item (B); pair with --due."),
        _many("--due", "dues", "DATE", "The promised date of the --promise before it."),
        _many(
            "--without-opinion",
            "without",
            "UNIT",
            "Office only: answer without this co-unit's opinion; pair with --reason.",
        ),
        _many("--reason", "reasons", "R", "Why, for the --without-opinion before it."),
        prepare=_answer_keywords,
    ),
    _action(
        "feedback",
        "The deputy's feedback on the answer to NUMBER; closes or re-handles it as the rule set says.",
        click.option(
            "--rating",
            required=True,
            type=click.Choice(RATINGS),
            help="satisfied (满意), basic (基本满意) or unsatisfied (不满意).",
        ),
        click.option("--comment", default="", help="The deputy's opinion (required when unsatisfied)."),
        click.option(
            "--attitude", type=click.Choice(RATINGS), help="Rating of the handling attitude (办理态度)."
        ),
        click.option("--result", type=click.Choice(RATINGS), help="Rating of the result (办理结果)."),
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
    ),
    _action(
        "progress",
        """Record progress on the promises of B-class NUMBER (承诺事项进展); the yearly letter to the deputy
        (`jianyi progress-letters`) reports the latest note. By the office or the case's main unit.""",
        click.option(
            "--note", required=True, help="What has been done on the promises, and what comes next."
        ),
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
            raise click.BadParameter("a new suggestion has no version yet", param_hint="--expect-version")
        keywords = spec.prepare(options) if spec.prepare else options
        engine = app.engine()
        common: dict[str, Any] = {"actor": app.actor(), "at": app.when(at), "session": session}
        if not spec.new_case:
            common["expected_version"] = expect_version
        change: Change = getattr(engine, spec.method)(number, **keywords, **common)
        _emit(as_json, change.to_json(), lambda: text.change_text(change))

    command.__doc__ = spec.doc
    decorate = _options(click.argument("number"), *spec.options, action_options)
    return cli.command(spec.name)(decorate(pass_app(command)))


for _spec in ACTIONS:
    _action_command(_spec)


@cli.command("assign-batch")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--at", metavar="TIME", help="When the assignment meeting (交办会) took place.")
@click.option("--session", metavar="NAME", help="The session [current session].")
@json_option
@pass_app
def assign_batch(app: App, file: str, at: str | None, session: str | None, as_json: bool) -> None:
    """Assign many suggestions at once from a CSV or Excel (.xlsx) file (交办会), all or nothing.

    Columns: number, main, co, split, key, complex (also 建议编号, 主办单位, 会办单位, 分办单位, 重点, 复杂).
    Several units in one cell are separated by 、 , or ;.
    """
    from workflow.ledger import read_orders

    orders = read_orders(Path(file))
    changes = app.engine().assign_many(orders, actor=app.actor(), at=app.when(at), session=session)
    _emit(
        as_json,
        [c.to_json() for c in changes],
        lambda: f"assigned {len(changes)} suggestion(s) in one transaction",
    )


@cli.command("progress-letters")
@click.option("--year", type=int, help="The year the letters report on [this year].")
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
    _emit(
        as_json,
        {"year": when, "written": written, "already": had},
        lambda: (
            f"{written} progress letter(s) for {when} written to the outbox; {had} deputy(ies) had theirs already"
        ),
    )


# ---- queries --------------------------------------------------------------------------------------
@cli.command()
@click.argument("number")
@session_option
@json_option
@pass_app
def show(app: App, number: str, session: str | None, as_json: bool) -> None:
    """Show NUMBER: state, units, class, deadlines and what may be done next."""
    case = app.engine().get(number, session=session)
    _emit(
        as_json,
        case.to_json(),
        lambda: text.case_text(case, zone=app.zone(), now=app.engine().clock.now()),
    )


@cli.command()
@click.argument("number")
@session_option
@json_option
@pass_app
def history(app: App, number: str, session: str | None, as_json: bool) -> None:
    """The audit history of NUMBER, in order."""
    rows = app.engine().history(number, session=session)
    _emit(as_json, [h.to_json() for h in rows], lambda: text.history_text(rows, app.zone()))


@cli.command("list")
@click.option("--state", type=click.Choice([s.value for s in State]), help="Only cases in this state.")
@click.option("--unit", metavar="UNIT", help="Only cases this unit is handling now.")
@click.option("--overdue", is_flag=True, help="Only cases with an open deadline past due.")
@click.option("--now", metavar="TIME", help="The time --overdue is judged at [now].")
@session_option
@json_option
@pass_app
def list_(app: App, /, now: str | None, as_json: bool, **filters: Any) -> None:
    """List cases of the session."""
    cases = app.engine().list_cases(now=app.when(now), **filters)
    _emit(as_json, [c.to_json() for c in cases], lambda: text.cases_text(cases))


@cli.command()
@click.argument("number")
@click.option("--explain", is_flag=True, help="Show rule, legal basis, start, raw end and why it rolled.")
@session_option
@json_option
@pass_app
def deadlines(app: App, number: str, explain: bool, session: str | None, as_json: bool) -> None:
    """The deadlines of NUMBER (期限), with --explain how each was computed."""
    rows = app.engine().explain(number, session=session)
    now = app.engine().clock.now()
    _emit(
        as_json, [r.to_json() for r in rows], lambda: text.deadlines_text(number, rows, now, explain=explain)
    )


def _span(value: str) -> Any:
    import re
    from datetime import timedelta

    match = re.fullmatch(r"\s*(\d+)\s*([dw]?)\s*", value)
    if not match:
        raise click.BadParameter(f"{value!r}: use days (7d or 7) or weeks (2w)", param_hint="--within")
    amount = int(match.group(1))
    return timedelta(weeks=amount) if match.group(2) == "w" else timedelta(days=amount)


@cli.command()
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
    _emit(as_json, [i.to_json() for i in items], lambda: text.due_text(items))


# ---- rules and the calendar -----------------------------------------------------------------------
@cli.group()
def rules() -> None:
    """Rule sets (办理规则): deadlines, calendar, lifecycle settings, escalation ladders."""


@rules.command("check")
@click.argument("file", type=click.Path(dir_okay=False))
@json_option
def rules_check(file: str, as_json: bool) -> None:
    """Validate a rule file; lists every problem with its key path."""
    from rules import load_ruleset

    rs = load_ruleset(file)
    _emit(
        as_json,
        {"ok": True, "id": rs.id, "version": rs.version},
        lambda: f"{file}: valid rule set {rs.id}@{rs.version}",
    )


@rules.command("show")
@click.option(
    "--profile", metavar="ID", help="A shipped profile (national, beijing, …) [the congress's rule set]."
)
@json_option
@pass_app
def rules_show(app: App, profile: str | None, as_json: bool) -> None:
    """Show a rule set: each deadline with its basis, lifecycle settings, classes, ladders."""
    from rules import load_ruleset, profile_ids

    if profile is not None:
        if profile not in profile_ids():
            raise click.BadParameter(
                f"unknown profile {profile!r}; shipped: {', '.join(profile_ids())}", param_hint="--profile"
            )
        rs = load_ruleset(profile)
    else:
        rs = app.engine().active_ruleset()
    _emit(as_json, rs.model_dump(mode="json"), lambda: text.ruleset_text(rs))


@rules.command("apply")
@click.argument("file", metavar="FILE|PROFILE")
@click.option(
    "--open-cases", is_flag=True, help="Also move open cases to it, recomputing their open deadlines."
)
@click.option("--at", metavar="TIME", help="When it took effect [now].")
@json_option
@pass_app
def rules_apply(app: App, file: str, open_cases: bool, at: str | None, as_json: bool) -> None:
    """Make a rule set the congress's rule set for new assignments (a changed one needs a new version)."""
    from rules import load_ruleset

    rs = load_ruleset(file)
    report = app.engine().apply_ruleset(rs, open_cases=open_cases, at=app.when(at))
    data = {"ruleset": f"{rs.id}@{rs.version}", "open_cases": asdict(report) if report else None}
    _emit(
        as_json,
        data,
        lambda: (
            f"rule set {rs.id}@{rs.version} applied to new assignments"
            + (
                f"; open cases: {text.recompute_text(report)}"
                if report
                else "; open cases keep their rule set"
            )
        ),
    )


class _CalendarGroup(click.Group):
    """``jianyi calendar 2026-10`` shows a month; ``jianyi calendar load FILE`` loads a year."""

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        import re

        if re.fullmatch(r"\d{4}-\d{2}", cmd_name):
            return _month_command(cmd_name)
        return super().get_command(ctx, cmd_name)


@cli.group(cls=_CalendarGroup)
def calendar() -> None:
    """The working-day calendar: `jianyi calendar 2026-10` shows a month, `calendar load FILE` a new year."""


def _month_command(month: str) -> click.Command:
    @json_option
    @pass_app
    def show_month(app: App, as_json: bool) -> None:
        import calendar as pycal

        year, mon = (int(p) for p in month.split("-"))
        if not 1 <= mon <= 12:
            raise click.BadParameter(f"{month}: no such month")
        cal = app.engine().active_ruleset().work_calendar
        days = [cal.info(date(year, mon, d)) for d in range(1, pycal.monthrange(year, mon)[1] + 1)]
        data = {
            "month": month,
            "official": cal.is_official(year),
            "days": [
                {"date": d.day.isoformat(), "working": d.working, "holiday": d.holiday, "makeup": d.makeup}
                for d in days
            ],
        }
        _emit(as_json, data, lambda: text.month_text(month, days, official=cal.is_official(year)))

    return click.Command(
        month,
        callback=show_month,
        params=show_month.__click_params__,  # type: ignore[attr-defined]
        help=f"Show {month}.",
    )


@calendar.command("load")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@json_option
@pass_app
def calendar_load(app: App, file: str, as_json: bool) -> None:
    """Load a year's official holiday schedule (TOML) and recompute the open deadlines it touches.

    \b
    year = 2027
    source = "国务院办公厅关于2027年部分节假日安排的通知"
    workdays = [2027-02-20]                       # make-up working days (调休上班)
    breaks = [{ name = "春节", from = 2027-02-06, to = 2027-02-12 }]
    [holidays]                                     # single days off, if any
    "2027-01-01" = "元旦"
    """
    from rules import load_schedule

    schedule = load_schedule(file)
    report = app.engine().load_calendar(schedule)
    _emit(
        as_json,
        {"year": schedule.year, **asdict(report)},
        lambda: (
            f"{schedule.year} schedule loaded ({len(schedule.holidays)} days off, {len(schedule.workdays)} "
            f"make-up working days); open deadlines: {text.recompute_text(report)}"
        ),
    )


# ---- notices ---------------------------------------------------------------------------------------
@cli.group("outbox")
def outbox_group() -> None:
    """The outbox: every notice the lifecycle wrote, and how its delivery went."""


@outbox_group.command("list")
@click.option(
    "--status",
    type=click.Choice(["pending", "sending", "sent", "failed", "dead", "suppressed", "digested"]),
)
@click.option("--limit", type=int, default=100, show_default=True)
@json_option
@pass_app
def outbox_list(app: App, status: str | None, limit: int, as_json: bool) -> None:
    """List notices, newest first."""
    from workflow.store import outbox

    rows = outbox.listing(app.engine(), status=status, limit=limit)
    _emit(
        as_json,
        [r.to_json() for r in rows],
        lambda: "\n".join(text.notice_line(r) for r in rows) or "no notices",
    )


@outbox_group.command("show")
@click.argument("notice_id", type=int)
@click.option("--render", is_flag=True, help="Also print the notice as it would be sent.")
@json_option
@pass_app
def outbox_show(app: App, notice_id: int, render: bool, as_json: bool) -> None:
    """Show one notice: key, recipient, payload, attempts, reason."""
    from workflow.store import outbox

    notice = outbox.get(app.engine(), notice_id)
    data = notice.to_json()
    if render:
        from notifications import Renderer

        override = _notify_config(app).templates
        rendered = Renderer(override).render(
            notice.topic, {"recipient": data["recipient"], "office": "代表工作机构", **notice.payload}
        )
        data["rendered"] = {"subject": rendered.subject, "text": rendered.text}
    _emit(as_json, data, lambda: json.dumps(data, ensure_ascii=False, indent=2, default=str))


@outbox_group.command("retry")
@click.argument("notice_id", type=int)
@json_option
@pass_app
def outbox_retry(app: App, notice_id: int, as_json: bool) -> None:
    """Queue a dead, failed or suppressed notice again, due now."""
    from workflow.store import outbox

    notice = outbox.retry(app.engine(), notice_id, now=app.engine().clock.now())
    _emit(as_json, notice.to_json(), lambda: f"outbox {notice_id} queued again")


def _notify_config(app: App) -> Any:
    from notifications import NotifyConfig

    return NotifyConfig.from_mapping(app.notifications, base=Path(app.config_dir) if app.config_dir else None)


def _channels(app: App) -> Any:
    config = _notify_config(app)
    if not config.channels:
        raise click.UsageError(
            "no channel configured: add [notifications.smtp], .webhook or .file to --config"
        )
    return config


def _dispatch_text(report: Any) -> str:
    summary = (
        f"{report.claimed} claimed: {report.sent} sent, {report.failed} to retry, {report.dead} dead, "
        f"{report.suppressed} suppressed, {report.deferred} held, {report.digested} in {report.digests} digest(s)"
    )
    return summary + "".join(f"\n  {e}" for e in report.errors)


@outbox_group.command("dispatch")
@click.option("--limit", type=int, default=100, show_default=True, help="Claim this many notices at a time.")
@click.option("--now", metavar="TIME", help="The time to act at [now].")
@json_option
@pass_app
def outbox_dispatch(app: App, limit: int, now: str | None, as_json: bool) -> None:
    """Deliver due notices once through the channels of --config's [notifications] table."""
    from notifications import Dispatcher

    report = Dispatcher(app.engine(), _channels(app)).dispatch(now=app.when(now), limit=limit)
    _emit(as_json, asdict(report), lambda: _dispatch_text(report))


@cli.command()
@click.option("--once", is_flag=True, help="Run one sweep and one dispatch pass, then exit (for cron).")
@click.option("--now", metavar="TIME", help="The time to act at [now].")
@click.option("--dry-run", is_flag=True, help="Write and send nothing; list the steps that are due.")
@json_option
@pass_app
def remind(app: App, once: bool, now: str | None, dry_run: bool, as_json: bool) -> None:
    """Record the escalation steps due now and deliver the outbox, once.

    The sweep records each due ladder step of the rule sets (到期前提醒, 催办, 督办函, 通报, 约谈) with an audit
    event, the case's escalation level and one notice per recipient, and closes answered cases whose feedback
    window ended without feedback when the rule set says so. Then the dispatcher delivers what is due, in
    working hours (urgent steps at any time). Running it twice records and sends nothing twice.
    """
    from notifications import run_once

    if not once:
        raise click.UsageError("remind runs one pass: pass --once (or run `jianyi daemon` as a service)")
    config = _notify_config(app) if dry_run else _channels(app)
    report = run_once(app.engine(), config, now=app.when(now), dry_run=dry_run)

    def render() -> str:
        lines = [
            f"{r.case}  {r.kind} due {r.due}  {r.label}"
            + (f" → {', '.join(r.recipients)}" if r.recipients else "")
            + (f"  (skipped: {', '.join(r.skipped)})" if r.skipped else "")
            for r in report.sweep.records
        ]
        prefix = "would record" if dry_run else "recorded"
        lines.append(
            f"{prefix} {report.sweep.steps} step(s), {report.sweep.notices} notice(s), "
            f"{report.sweep.lapsed} feedback window(s) closed"
        )
        if report.dispatch is not None:
            lines.append(_dispatch_text(report.dispatch))
        return "\n".join(lines)

    _emit(as_json, report.to_json(), render)


@cli.command()
@click.option(
    "--every", type=click.FloatRange(min=1), default=60, show_default=True, help="Seconds between runs."
)
@click.option(
    "--log-level",
    type=click.Choice(["debug", "info", "warning", "error"]),
    default="info",
    show_default=True,
)
@pass_app
def daemon(app: App, every: float, log_level: str) -> None:
    """Run the reminder daemon: `remind --once` every --every seconds until SIGTERM or SIGINT.

    APScheduler is only the clock (one job, fixed id, in memory, coalesced, one at a time); the work is in the
    database, so a restart or a second daemon on the same PostgreSQL database records and sends nothing twice.
    Logs one line per run to stderr.
    """
    import logging

    from notifications import ReminderDaemon

    logging.basicConfig(
        level=getattr(logging, log_level.upper()),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
    ReminderDaemon(app.engine(), _channels(app), every=every).run()


@cli.command()
@click.option("--days", type=click.IntRange(1, 3660), default=30, show_default=True, help="How far ahead.")
@click.option("--unit", metavar="UNIT", help="Only deadlines this unit owes.")
@click.option("--now", metavar="TIME", help="Forecast from this time [now].")
@json_option
@pass_app
def forecast(app: App, days: int, unit: str | None, now: str | None, as_json: bool) -> None:
    """Which escalation steps will fire when, for whom and why, in the next --days days."""
    from workflow.sweep import forecast as upcoming

    items = upcoming(app.engine(), now=app.when(now), days=days, unit=unit)
    _emit(as_json, [i.to_json() for i in items], lambda: text.forecast_text(items, app.zone(), days))


# ---- reports, the ledger ---------------------------------------------------------------------------
def _date_option(value: str | None, what: str) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a date (YYYY-MM-DD)", param_hint=what) from None


def _scope(
    *, session: str | None, term: str | None, unit: str | None, start: str | None, end: str | None
) -> Any:
    from workflow.reporting.measures import Scope

    return Scope(session, term, unit, _date_option(start, "--from"), _date_option(end, "--to"))


@cli.command()
@click.argument("kind", type=click.Choice(["summary", "units", "conversion", "overdue", "evaluation"]))
@scope_options
@output_options
@click.option(
    "--decimals", type=click.IntRange(0, 6), default=2, show_default=True, help="Decimals of percentages."
)
@click.option("--now", metavar="TIME", help="Count as at this time [now].")
@pass_app
def report(
    app: App, /, kind: str, fmt: str, output: str | None, decimals: int, now: str | None, **scope: str | None
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
    """
    from workflow.reporting.formats import render
    from workflow.reporting.reports import build

    built = build(app.engine(), kind, _scope(**scope), decimals=decimals, now=app.when(now))
    _write(output, render(built, fmt))


@cli.command()
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
                f"{weights!r}: give two shares, e.g. 0.8,0.2", param_hint="--weights"
            ) from None
        shares = (site, satisfaction)
    built = run(app.engine(), _scope(**scope), read_scores(Path(scores)), weights=shares)
    _write(output, render(built, fmt))


@cli.command()
@scope_options
@output_options
@pass_app
def lookback(app: App, /, fmt: str, output: str | None, **scope: str | None) -> None:
    """回头看: every B case (since the start of --term, or in scope) with its promises and what became of it.

    Opens with the conversion sentence, e.g. 本届以来B类建议32件，转化A类24件、C类7件。
    """
    from workflow.reporting.formats import render
    from workflow.reporting.reports import build

    _write(output, render(build(app.engine(), "lookback", _scope(**scope)), fmt))


@cli.command("import")
@click.argument("path", metavar="FILE.xlsx|FILE.csv", type=click.Path(exists=True, dir_okay=False))
@click.option("--session", metavar="NAME", help="The session the numbers belong to [current session].")
@click.option(
    "--skip-bad",
    metavar="REJECTS.csv",
    help="Import the good rows and write the bad ones, with their reasons, to this file.",
)
@json_option
@pass_app
def import_(app: App, path: str, session: str | None, skip_bad: str | None, as_json: bool) -> None:
    """Import a ledger (台账): each row becomes a case replayed through the lifecycle with its dates.

    \b
    Columns (Chinese header, or the English alias):
      建议编号 number, 标题 title, 领衔代表 deputy (required); 附议代表 co_signers, 领域 field,
      主办单位 main_unit, 会办单位 co_units, 交办日期 assigned_at, 答复日期 answered_at,
      办理类别 category, 代表意见 rating (满意/基本满意/不满意), 反馈日期 feedback_at,
      办结日期 closed_at, 转化类别 converted_to, 转化日期 converted_at.
    Several names in one cell are separated by 、 , or ;. Dates: 2026-03-01 or 2026年3月1日.

    Every row is checked first: a bad row stops the import with every bad row listed, nothing written,
    unless --skip-bad. Unknown units and deputies are created. A case already in the session only gains
    the steps it lacks, so importing a file twice changes nothing the second time. The replayed steps send
    no notices (they happened on paper); reminders of deadlines still open are sent as usual.
    """
    from workflow.ledger import import_ledger, write_rejects

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
            app.engine(), Path(path), session=session, skip_bad=skip_bad is not None, progress=progress
        )
    finally:
        for bar in bars:
            bar.__exit__(None, None, None)
    if skip_bad is not None:
        write_rejects(Path(skip_bad), report.rejected)
    data = {
        "rows": report.rows,
        "created": report.created,
        "advanced": report.advanced,
        "unchanged": report.unchanged,
        "rejected": len(report.rejected),
        "units_created": report.units_created,
        "deputies_created": report.deputies_created,
    }
    _emit(
        as_json,
        data,
        lambda: (
            f"{report.rows} row(s): {report.created} case(s) created, {report.advanced} brought forward, "
            f"{report.unchanged} unchanged, {len(report.rejected)} rejected"
            + (f" (written to {skip_bad})" if skip_bad and report.rejected else "")
            + f"; {len(report.units_created)} unit(s) and {len(report.deputies_created)} deputy(ies) created"
        ),
    )


@cli.command()
@click.argument("what", type=click.Choice(["ledger", "public"]))
@click.option("--format", "fmt", type=click.Choice(["csv", "xlsx"]), default="csv", show_default=True)
@session_option
@click.option("--output", metavar="FILE", help="Write to FILE instead of standard output (needed for xlsx).")
@pass_app
def export(app: App, what: str, fmt: str, session: str | None, output: str | None) -> None:
    """Export the session: `ledger` with the import's columns (it imports back unchanged), or `public`, a
    disclosure file without confidential cases, co-signers, feedback or any contact data."""
    from workflow.ledger import export_ledger, export_public

    write = export_ledger if what == "ledger" else export_public
    _write(output, write(app.engine(), fmt, session=session))


# ---- checks ---------------------------------------------------------------------------------------
@cli.group()
def templates() -> None:
    """Notice templates (Chinese defaults, or an override directory)."""


@templates.command("check")
@click.option("--dir", "directory", type=click.Path(file_okay=False), help="An override directory to check.")
@json_option
@pass_app
def templates_check(app: App, directory: str | None, as_json: bool) -> None:
    """Render every template with sample data and report what fails, before a notice meets it."""
    from notifications import Renderer

    renderer = Renderer(directory or _notify_config(app).templates)
    problems = renderer.check()
    names = renderer.names()
    _emit_checked(as_json, {"templates": names}, f"{len(names)} template(s)", problems)
    if problems:
        raise _failure(f"{len(problems)} template(s) do not render", EXIT_CODES[TemplateProblem])


@cli.group()
def audit() -> None:
    """The tamper-evident audit trail."""


@audit.command("verify")
@json_option
@pass_app
def audit_verify(app: App, as_json: bool) -> None:
    """Check every case's hash chain; names the case and event of any altered or missing row."""
    checked, problems = app.engine().verify_audit()
    _emit_checked(as_json, {"checked": checked}, f"{checked} case(s)", problems)
    if problems:
        cases = len({(p.session, p.number) for p in problems})
        raise _failure(f"audit trail broken in {cases} case(s)", AUDIT_BROKEN)


@cli.command()
@click.option(
    "--format", "fmt", type=click.Choice(["mermaid", "markdown"]), default="mermaid", show_default=True
)
@json_option
def diagram(fmt: str, as_json: bool) -> None:
    """Print the lifecycle, generated from the transition table."""
    from workflow.core.machine import markdown_table, mermaid

    chart = mermaid() if fmt == "mermaid" else markdown_table()
    if as_json:
        click.echo(json.dumps({"format": fmt, "diagram": chart}, ensure_ascii=False))
    else:
        click.echo(chart, nl=False)


@cli.command()
@click.option(
    "--db",
    "path",
    default="jianyi-demo.db",
    show_default=True,
    type=click.Path(dir_okay=False),
    help="Where to build it (a previous demo there is replaced; nothing else is overwritten).",
)
@json_option
def demo(path: str, as_json: bool) -> None:
    """Build a realistic session (150 suggestions, 30 units) in a fresh SQLite database, describe it and print
    the year's summary report."""
    from workflow.demo import DEMO_CONGRESS, build_demo

    report = build_demo(path, progress=None if as_json else lambda m: click.echo(f"… {m}", err=True))
    data = {
        "db": str(report.path),
        "congress": DEMO_CONGRESS,
        "cases": report.cases,
        "units": report.units,
        "deputies": report.deputies,
        "actions": report.actions,
        "scenarios": dict(report.scenarios),
        "states": dict(report.states),
        "conversions": report.conversions,
    }

    def render() -> str:
        states = "、".join(f"{s} {n}" for s, n in sorted(report.states.items(), key=lambda kv: -kv[1]))
        sample = report.examples.get("closed", "0001")
        base = f"jianyi --db {path} --congress {DEMO_CONGRESS}"
        return "\n".join(
            [
                f"Built {report.cases} suggestions, {report.units} units, {report.deputies} deputies "
                f"with {report.actions} actions in {path}.",
                f"States: {states}.",
                "Paths: " + "、".join(f"{k} {v}" for k, v in sorted(report.scenarios.items())),
                "Try:",
                f"  {base} list --overdue",
                f"  {base} show {sample}",
                f"  {base} history {sample}",
                f"  {base} audit verify",
                f"  {base} report units",
                f"  {base} forecast --days 30",
                "",
                report.summary.rstrip(),
            ]
        )

    _emit(as_json, data, render)


def main(argv: Sequence[str] | None = None) -> None:
    """The console script."""
    cli.main(args=list(argv) if argv is not None else None, prog_name="jianyi")


if __name__ == "__main__":  # pragma: no cover
    main(sys.argv[1:])
