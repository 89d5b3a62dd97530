"""``jianyi``: the administrators' command line for handling deputies' suggestions (代表建议办理).

A thin shell over the engine: each command parses its options, calls one engine function and prints the
result (``--json`` for machine-readable output). Errors print one line to stderr and exit non-zero:
1 domain error, 2 usage, 3 invalid input, 4 not found, 5 action not allowed in the state, 6 permission
denied, 7 conflict (retry), 8 database not initialised. ``--debug`` shows the traceback instead.

The database stack is imported inside commands, so ``jianyi --help`` stays fast.
"""

from __future__ import annotations

import json
import os
import sys
import tomllib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn, TypeVar

import click

from workflow.core.states import ContactMethod, ContactStage, State

if TYPE_CHECKING:
    from workflow.core.views import Actor, Case, Change
    from workflow.engine import Engine

F = TypeVar("F", bound=Callable[..., Any])

RATINGS = ("satisfied", "basic", "unsatisfied")


def Failure(message: str, code: int) -> click.ClickException:  # noqa: N802  (raised like a class)
    """A refused command: one line on stderr and exit ``code`` (click reads ``exit_code`` from the class)."""
    kind: type[click.ClickException] = type(f"Failure{code}", (click.ClickException,), {"exit_code": code})
    return kind(message)


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

    def engine(self) -> Engine:
        """The engine, opened on first use."""
        if self._engine is None:
            from workflow.engine import Engine

            self._engine = Engine.open(self.db, congress=self.congress)
        return self._engine

    def actor(self) -> Actor:
        """The ``--as`` actor."""
        from workflow.core.views import Actor

        try:
            return Actor.parse(self.actor_text)
        except ValueError as exc:
            raise click.BadParameter(str(exc), param_hint="--as") from None

    def when(self, text: str | None) -> datetime | None:
        """``--at``/``--now`` text as an aware instant (local time in the rule set's zone when no offset)."""
        if text is None:
            return None
        from workflow.core.clock import parse_instant

        try:
            return parse_instant(text, self.engine().active_ruleset().zone)
        except ValueError as exc:
            raise click.BadParameter(str(exc)) from None


pass_app = click.make_pass_decorator(App)


def _fail(exc: BaseException, debug: bool) -> NoReturn:
    if debug:
        raise exc
    code = getattr(exc, "exit_code", 1)
    raise Failure(str(exc), code if isinstance(code, int) else 1) from None


class _Group(click.Group):
    """Maps the packages' errors to one line and an exit code."""

    def invoke(self, ctx: click.Context) -> Any:
        from notifications.errors import NotificationError
        from rules.errors import RuleError
        from workflow.core.errors import WorkflowError

        try:
            return super().invoke(ctx)
        except (WorkflowError, RuleError, NotificationError) as exc:
            app = ctx.find_object(App)
            _fail(exc, bool(app and app.debug))


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
    ctx.call_on_close(lambda: ctx.obj._engine and ctx.obj._engine.dispose())


# ---- output ---------------------------------------------------------------------------------------
def _emit(as_json: bool, data: Any, text: Callable[[], str]) -> None:
    if as_json:
        click.echo(json.dumps(data, ensure_ascii=False, indent=2, default=str))
    else:
        click.echo(text())


def _local(value: datetime | None, app: App) -> str:
    if value is None:
        return "-"
    return value.astimezone(app.engine().active_ruleset().zone).strftime("%Y-%m-%d %H:%M")


def _deadline_line(d: Any, now: datetime) -> str:
    if d.status == "met":
        status = "met late (逾期办结)" if d.late else "met on time"
    elif d.status == "open" and d.overdue(now):
        status = "OVERDUE (逾期)"
    elif d.status == "open" and now >= d.due_at:
        status = "window closed"
    else:
        status = d.status
    flag = "  provisional (未载入官方节假日安排)" if d.provisional else ""
    return f"    {d.kind:<14}{_pad(d.unit or '代表 (deputy)', 16)}due {d.due}  {status}{flag}"


def _pad(text: str, width: int) -> str:
    """``text`` padded to ``width`` terminal columns (CJK characters take two)."""
    import unicodedata

    used = sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)
    return text + " " * max(1, width - used)


def _case_text(case: Case, app: App) -> str:
    now = app.engine().clock.now()
    units = (
        f"main unit (主办): {case.main_unit}"
        if case.main_unit
        else f"split units (分办): {'、'.join(case.split_units)}"
    )
    if case.co_units:
        units += f"   co-units (会办): {'、'.join(case.co_units)}"
    flags = [
        name
        for name, on in (
            ("key 重点督办", case.key),
            ("complex 复杂", case.complex),
            ("extended 已延期", case.extended),
            ("confidential 不公开", case.confidential),
            ("between sessions 闭会期间", case.between_sessions),
        )
        if on
    ]
    if case.escalation_level:
        flags.append(f"escalation level {case.escalation_level} (督办)")
    lines = [
        f"建议 {case.session}/{case.number}  {case.title}",
        f"  state: {case.state} (round {case.round})   version {case.version}   rule set {case.ruleset or '-'}",
        f"  deputy (领衔代表): {case.deputy}"
        + (f"   co-signers (附议): {'、'.join(case.co_signers)}" if case.co_signers else ""),
    ]
    if case.main_unit or case.split_units:
        lines.append("  " + units)
    if case.category:
        conv = f" → {case.current_category}" if case.current_category != case.category else ""
        lines.append(f"  class (办理类别): {case.category}{conv}")
    if flags:
        lines.append("  flags: " + ", ".join(flags))
    lines.append(
        f"  submitted {_local(case.submitted_at, app)}   assigned {_local(case.assigned_at, app)}   "
        f"answered {_local(case.answered_at, app)}   closed {_local(case.closed_at, app)}"
    )
    if case.deadlines:
        lines.append("  deadlines (期限):")
        lines.extend(_deadline_line(d, now) for d in case.deadlines)
    lines.append("  allowed: " + (", ".join(case.allowed) or "nothing (final state)"))
    return "\n".join(lines)


def _change_text(change: Change) -> str:
    steps = "; ".join(
        f"{e.action}: {e.from_state} → {e.to_state}" if e.from_state != e.to_state else f"{e.action} recorded"
        for e in change.events
    )
    return f"建议 {change.session}/{change.number}: {steps} (now {change.state}, version {change.version})"


# ---- common options -------------------------------------------------------------------------------
def json_option(f: F) -> F:
    """``--json``: machine-readable output."""
    return click.option("--json", "as_json", is_flag=True, help="Print JSON.")(f)


def action_options(f: F) -> F:
    """Options every action takes."""
    f = click.option(
        "--at", metavar="TIME", help="When it happened: ISO date or date-time (local if no offset)."
    )(f)
    f = click.option(
        "--session", metavar="NAME", help="The session the number belongs to [current session]."
    )(f)
    f = click.option(
        "--expect-version",
        type=int,
        metavar="N",
        help="Refuse (conflict) unless the case is still at version N.",
    )(f)
    return json_option(f)


def _run(
    app: App,
    as_json: bool,
    call: Callable[[Engine, dict[str, Any]], Change],
    at: str | None,
    session: str | None,
    expect_version: int | None,
) -> None:
    engine = app.engine()
    common = {
        "actor": app.actor(),
        "at": app.when(at),
        "session": session,
        "expected_version": expect_version,
    }
    change = call(engine, common)
    _emit(as_json, change.to_json(), lambda: _change_text(change))


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
    from workflow.engine import Engine

    engine = Engine.init(app.db, congress=app.congress, level=level)
    app._engine = engine
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
    _emit(as_json, _asdict(info), lambda: f"session {info.name!r} added" + (" (current)" if current else ""))


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
        [_asdict(r) for r in rows],
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
def unit_add(
    app: App,
    name: str,
    parent: str | None,
    email: str | None,
    phone: str | None,
    webhook: str | None,
    as_json: bool,
) -> None:
    """Add a unit."""
    info = app.engine().add_unit(name, parent=parent, email=email, phone=phone, webhook=webhook)
    _emit(as_json, _asdict(info), lambda: f"unit {info.name!r} added")


@unit.command("list")
@json_option
@pass_app
def unit_list(app: App, as_json: bool) -> None:
    """List the units."""
    rows = app.engine().units()
    _emit(as_json, [_asdict(r) for r in rows], lambda: "\n".join(r.name for r in rows) or "no units yet")


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
def deputy_add(
    app: App, name: str, delegation: str | None, email: str | None, phone: str | None, as_json: bool
) -> None:
    """Add a deputy."""
    info = app.engine().add_deputy(name, delegation=delegation, email=email, phone=phone)
    _emit(as_json, _asdict(info), lambda: f"deputy {info.name!r} added")


@deputy.command("list")
@json_option
@pass_app
def deputy_list(app: App, as_json: bool) -> None:
    """List the deputies."""
    rows = app.engine().deputies()
    _emit(as_json, [_asdict(r) for r in rows], lambda: "\n".join(r.name for r in rows) or "no deputies yet")


def _asdict(value: Any) -> dict[str, Any]:
    from dataclasses import asdict

    return asdict(value)


# ---- the lifecycle --------------------------------------------------------------------------------
@cli.command()
@click.argument("number")
@click.option("--title", required=True, help="The title (标题).")
@click.option("--deputy", "lead", required=True, metavar="NAME", help="The lead deputy (领衔代表).")
@click.option(
    "--co-signer", "co_signers", multiple=True, metavar="NAME", help="A co-signing deputy (附议); repeat."
)
@click.option("--content", default="", help="The text of the suggestion.")
@click.option("--field", "field_", metavar="F", help="The field (领域), e.g. 交通.")
@click.option("--between-sessions", is_flag=True, help="Submitted between sessions (闭会期间).")
@click.option("--confidential", is_flag=True, help="Never in a public export (the deputy asked).")
@action_options
@pass_app
def submit(
    app: App,
    number: str,
    title: str,
    lead: str,
    co_signers: tuple[str, ...],
    content: str,
    field_: str | None,
    between_sessions: bool,
    confidential: bool,
    at: str | None,
    session: str | None,
    expect_version: int | None,
    as_json: bool,
) -> None:
    """Register suggestion NUMBER (提出/受理)."""
    if expect_version is not None:
        raise click.BadParameter("a new suggestion has no version yet", param_hint="--expect-version")
    _run(
        app,
        as_json,
        lambda e, c: e.submit(
            number,
            title=title,
            deputy=lead,
            co_signers=co_signers,
            content=content,
            field=field_,
            between_sessions=between_sessions,
            confidential=confidential,
            actor=c["actor"],
            at=c["at"],
            session=c["session"],
        ),
        at,
        session,
        None,
    )


def _units_options(f: F) -> F:
    f = click.option("--main", metavar="UNIT", help="The main unit (主办).")(f)
    f = click.option("--co", multiple=True, metavar="UNIT", help="A co-unit (会办/协办); repeat.")(f)
    return click.option(
        "--split",
        multiple=True,
        metavar="UNIT",
        help="A split unit (分办), each answering its part; repeat, instead of --main.",
    )(f)


@cli.command()
@click.argument("number")
@_units_options
@click.option("--key", is_flag=True, help="Key suggestion under leaders' supervision (重点督办).")
@click.option(
    "--complex",
    "complex_",
    is_flag=True,
    help="Complex (涉及面广、处理难度大): the office approves the 6-month answer period now.",
)
@action_options
@pass_app
def assign(
    app: App,
    number: str,
    main: str | None,
    co: tuple[str, ...],
    split: tuple[str, ...],
    key: bool,
    complex_: bool,
    at: str | None,
    session: str | None,
    expect_version: int | None,
    as_json: bool,
) -> None:
    """Assign NUMBER (交办) to a main unit and co-units, or to split units; starts the clocks."""
    _run(
        app,
        as_json,
        lambda e, c: e.assign(number, main=main, co=co, split=split, key=key, complex=complex_, **c),
        at,
        session,
        expect_version,
    )


@cli.command("assign-batch")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--at", metavar="TIME", help="When the assignment meeting (交办会) took place.")
@click.option("--session", metavar="NAME", help="The session [current session].")
@json_option
@pass_app
def assign_batch(app: App, file: str, at: str | None, session: str | None, as_json: bool) -> None:
    """Assign many suggestions at once from a CSV file (交办会), all or nothing.

    Columns: number, main, co, split, key, complex (also 建议编号, 主办单位, 会办单位, 分办单位, 重点, 复杂).
    Several units in one cell are separated by 、 , or ;.
    """
    orders = _read_orders(Path(file))
    changes = app.engine().assign_many(orders, actor=app.actor(), at=app.when(at), session=session)
    _emit(
        as_json,
        [c.to_json() for c in changes],
        lambda: f"assigned {len(changes)} suggestion(s) in one transaction",
    )


def _read_orders(path: Path) -> list[Any]:
    import csv

    from workflow.engine import AssignOrder
    from workflow.ledger import split_names

    aliases = {
        "建议编号": "number",
        "主办单位": "main",
        "会办单位": "co",
        "分办单位": "split",
        "重点": "key",
        "复杂": "complex",
    }
    truthy = {"1", "true", "yes", "y", "是", "√"}
    with path.open(encoding="utf-8-sig", newline="") as fh:
        reader = csv.DictReader(fh)
        orders = []
        problems = []
        for line, raw in enumerate(reader, start=2):
            row = {
                aliases.get((k or "").strip(), (k or "").strip()): (v or "").strip() for k, v in raw.items()
            }
            if not row.get("number"):
                problems.append(f"line {line}: no number")
                continue

            orders.append(
                AssignOrder(
                    row["number"],
                    main=row.get("main") or None,
                    co=split_names(row.get("co", "")),
                    split=split_names(row.get("split", "")),
                    key=row.get("key", "").lower() in truthy,
                    complex=row.get("complex", "").lower() in truthy,
                )
            )
    if problems:
        from workflow.core.errors import ValidationError

        raise ValidationError(f"{path}: {len(problems)} bad line(s), nothing assigned", problems=problems)
    return orders


@cli.command("return")
@click.argument("number")
@click.option("--unit", "unit_name", metavar="UNIT", help="The unit asking [the acting unit].")
@click.option("--reason", required=True, help="Why the case is not the unit's responsibility.")
@action_options
@pass_app
def return_(
    app: App,
    number: str,
    unit_name: str | None,
    reason: str,
    at: str | None,
    session: str | None,
    expect_version: int | None,
    as_json: bool,
) -> None:
    """A unit asks to hand NUMBER back (退办); the office then reassigns or refuses."""
    _run(
        app,
        as_json,
        lambda e, c: e.request_return(number, unit=unit_name, reason=reason, **c),
        at,
        session,
        expect_version,
    )


@cli.command()
@click.argument("number")
@_units_options
@click.option("--reason", default="", help="Why (recorded in the history).")
@action_options
@pass_app
def reassign(
    app: App,
    number: str,
    main: str | None,
    co: tuple[str, ...],
    split: tuple[str, ...],
    reason: str,
    at: str | None,
    session: str | None,
    expect_version: int | None,
    as_json: bool,
) -> None:
    """Assign NUMBER again (二次交办) to other units; the clocks restart."""
    _run(
        app,
        as_json,
        lambda e, c: e.reassign(number, main=main, co=co, split=split, reason=reason, **c),
        at,
        session,
        expect_version,
    )


@cli.command("refuse-return")
@click.argument("number")
@click.option("--reason", required=True, help="Why the unit keeps the case.")
@click.option("--unit", "unit_name", metavar="UNIT", help="Only this unit's request [all pending].")
@action_options
@pass_app
def refuse_return(
    app: App,
    number: str,
    reason: str,
    unit_name: str | None,
    at: str | None,
    session: str | None,
    expect_version: int | None,
    as_json: bool,
) -> None:
    """Refuse a unit's request to hand NUMBER back; the unit keeps handling it."""
    _run(
        app,
        as_json,
        lambda e, c: e.refuse_return(number, reason=reason, unit=unit_name, **c),
        at,
        session,
        expect_version,
    )


@cli.command()
@click.argument("number")
@click.option("--unit", "unit_name", metavar="UNIT", help="The co-unit [the acting unit].")
@click.option("--text", required=True, help="The opinion.")
@action_options
@pass_app
def opinion(
    app: App,
    number: str,
    unit_name: str | None,
    text: str,
    at: str | None,
    session: str | None,
    expect_version: int | None,
    as_json: bool,
) -> None:
    """A co-unit's opinion (会办意见) on NUMBER to the main unit."""
    _run(
        app,
        as_json,
        lambda e, c: e.opinion(number, unit=unit_name, text=text, **c),
        at,
        session,
        expect_version,
    )


@cli.command()
@click.argument("number")
@click.option("--unit", "unit_name", metavar="UNIT", help="The unit [the acting unit].")
@click.option(
    "--method",
    required=True,
    type=click.Choice([m.value for m in ContactMethod]),
    help="visit (走访/面商), meeting (座谈), phone, letter or online.",
)
@click.option("--note", default="", help="What was discussed.")
@click.option(
    "--stage",
    type=click.Choice([s.value for s in ContactStage]),
    help="before (办前), during (办中), after (办后) [from the case].",
)
@action_options
@pass_app
def contact(
    app: App,
    number: str,
    unit_name: str | None,
    method: str,
    note: str,
    stage: str | None,
    at: str | None,
    session: str | None,
    expect_version: int | None,
    as_json: bool,
) -> None:
    """Record a contact between a unit and the deputy (联系沟通) on NUMBER."""
    _run(
        app,
        as_json,
        lambda e, c: e.contact(number, unit=unit_name, method=method, note=note, stage=stage, **c),
        at,
        session,
        expect_version,
    )


@cli.command()
@click.argument("number")
@click.option("--category", required=True, metavar="A|B|C|D", help="The class (办理类别) of the rule set.")
@click.option("--text", required=True, help="The answer.")
@click.option(
    "--unit", "unit_name", metavar="UNIT", help="The answering unit [acting unit, or the main unit]."
)
@click.option(
    "--promise", "promises", multiple=True, metavar="TEXT", help="A promised item (B); pair with --due."
)
@click.option(
    "--due", "dues", multiple=True, metavar="DATE", help="The promised date of the --promise before it."
)
@click.option(
    "--without-opinion",
    "without",
    multiple=True,
    metavar="UNIT",
    help="Office only: answer without this co-unit's opinion; pair with --reason.",
)
@click.option(
    "--reason", "reasons", multiple=True, metavar="R", help="Why, for the --without-opinion before it."
)
@action_options
@pass_app
def answer(
    app: App,
    number: str,
    category: str,
    text: str,
    unit_name: str | None,
    promises: tuple[str, ...],
    dues: tuple[str, ...],
    without: tuple[str, ...],
    reasons: tuple[str, ...],
    at: str | None,
    session: str | None,
    expect_version: int | None,
    as_json: bool,
) -> None:
    """The answer (答复) to the deputy on NUMBER, with its class."""
    from workflow.engine import Promised

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
    _run(
        app,
        as_json,
        lambda e, c: e.answer(
            number,
            category=category,
            text=text,
            unit=unit_name,
            promises=items,
            without_opinion=dict(zip(without, reasons, strict=True)),
            **c,
        ),
        at,
        session,
        expect_version,
    )


@cli.command()
@click.argument("number")
@click.option(
    "--rating",
    required=True,
    type=click.Choice(RATINGS),
    help="satisfied (满意), basic (基本满意) or unsatisfied (不满意).",
)
@click.option("--comment", default="", help="The deputy's opinion (required when unsatisfied).")
@click.option("--attitude", type=click.Choice(RATINGS), help="Rating of the handling attitude (办理态度).")
@click.option("--result", type=click.Choice(RATINGS), help="Rating of the result (办理结果).")
@action_options
@pass_app
def feedback(
    app: App,
    number: str,
    rating: str,
    comment: str,
    attitude: str | None,
    result: str | None,
    at: str | None,
    session: str | None,
    expect_version: int | None,
    as_json: bool,
) -> None:
    """The deputy's feedback on the answer to NUMBER; closes or re-handles it as the rule set says."""
    _run(
        app,
        as_json,
        lambda e, c: e.feedback(
            number, rating=rating, comment=comment, attitude=attitude, result=result, **c
        ),
        at,
        session,
        expect_version,
    )


def _simple(name: str, method: str, doc: str, *, reason_required: bool) -> None:
    @click.argument("number")
    @(
        click.option("--reason", required=True, help="Why (recorded in the history).")
        if reason_required
        else click.option("--reason", default="", help="Why (recorded in the history).")
    )
    @action_options
    @pass_app
    def command(
        app: App,
        number: str,
        reason: str,
        at: str | None,
        session: str | None,
        expect_version: int | None,
        as_json: bool,
    ) -> None:
        _run(
            app,
            as_json,
            lambda e, c: getattr(e, method)(number, reason=reason, **c),
            at,
            session,
            expect_version,
        )

    command.__doc__ = doc
    cli.command(name)(command)


_simple(
    "rehandle",
    "rehandle",
    "Send NUMBER back for re-handling (重新办理): round + 1, new answer deadline.",
    reason_required=False,
)
_simple("close", "close", "Close NUMBER (办结) after the deputy's feedback.", reason_required=False)
_simple(
    "withdraw",
    "withdraw",
    "Withdraw NUMBER (撤回) at the deputy's written request; handling stops.",
    reason_required=True,
)
_simple(
    "extend",
    "extend",
    "Approve the 6-month answer period of complex NUMBER (延期), counted from assignment.",
    reason_required=True,
)


@cli.command()
@click.argument("number")
@click.option(
    "--to", "to", required=True, metavar="CLASS", help="The new class: A (solved) or C (not for now)."
)
@click.option("--evidence", required=True, help="What was done, and when (sent to the deputy).")
@action_options
@pass_app
def convert(
    app: App,
    number: str,
    to: str,
    evidence: str,
    at: str | None,
    session: str | None,
    expect_version: int | None,
    as_json: bool,
) -> None:
    """Record that B-class NUMBER became A (B→A 转化) or C: a follow-up answer to the deputy.

    The class the case was answered with is kept (`show --json`: `category`); `current_category` takes the
    new class and `history` lists the conversions. Open promises end done (A) or cancelled (C). Allowed after
    the answer in any state, closed included; by the office or the case's main unit.
    """
    _run(
        app,
        as_json,
        lambda e, c: e.convert(number, to=to, evidence=evidence, **c),
        at,
        session,
        expect_version,
    )


@cli.command()
@click.argument("number")
@click.option("--note", required=True, help="What has been done on the promises, and what comes next.")
@action_options
@pass_app
def progress(
    app: App,
    number: str,
    note: str,
    at: str | None,
    session: str | None,
    expect_version: int | None,
    as_json: bool,
) -> None:
    """Record progress on the promises of B-class NUMBER (承诺事项进展); the yearly letter to the deputy
    (`jianyi progress-letters`) reports the latest note. By the office or the case's main unit."""
    _run(app, as_json, lambda e, c: e.progress(number, note=note, **c), at, session, expect_version)


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
    when = year or engine.clock.now().astimezone(engine.active_ruleset().zone).year
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
@click.option("--session", metavar="NAME", help="The session [current session].")
@json_option
@pass_app
def show(app: App, number: str, session: str | None, as_json: bool) -> None:
    """Show NUMBER: state, units, class, deadlines and what may be done next."""
    case = app.engine().get(number, session=session)
    _emit(as_json, case.to_json(), lambda: _case_text(case, app))


@cli.command()
@click.argument("number")
@click.option("--session", metavar="NAME", help="The session [current session].")
@json_option
@pass_app
def history(app: App, number: str, session: str | None, as_json: bool) -> None:
    """The audit history of NUMBER, in order."""
    rows = app.engine().history(number, session=session)

    def text() -> str:
        return "\n".join(
            f"#{h.seq:<3} {_local(h.at, app)}  {_pad(h.actor, 24)}{h.action:<14} {h.from_state or '-'} → {h.to_state}"
            for h in rows
        )

    _emit(as_json, [h.to_json() for h in rows], text)


@cli.command("list")
@click.option("--state", type=click.Choice([s.value for s in State]), help="Only cases in this state.")
@click.option("--unit", "unit_name", metavar="UNIT", help="Only cases this unit is handling now.")
@click.option("--overdue", is_flag=True, help="Only cases with an open deadline past due.")
@click.option("--now", metavar="TIME", help="The time --overdue is judged at [now].")
@click.option("--session", metavar="NAME", help="The session [current session].")
@json_option
@pass_app
def list_(
    app: App,
    state: str | None,
    unit_name: str | None,
    overdue: bool,
    now: str | None,
    session: str | None,
    as_json: bool,
) -> None:
    """List cases of the session."""
    engine = app.engine()
    cases = engine.list_cases(
        state=state, unit=unit_name, overdue=overdue, now=app.when(now), session=session
    )

    def text() -> str:
        if not cases:
            return "no cases match"
        return "\n".join(
            f"{c.number:<8} {c.state:<11} r{c.round} {c.category or '-'}  "
            f"{_pad(c.main_unit or '、'.join(c.split_units) or '-', 24)}{c.title}"
            for c in cases
        )

    _emit(as_json, [c.to_json() for c in cases], text)


@cli.command()
@click.argument("number")
@click.option("--explain", is_flag=True, help="Show rule, legal basis, start, raw end and why it rolled.")
@click.option("--session", metavar="NAME", help="The session [current session].")
@json_option
@pass_app
def deadlines(app: App, number: str, explain: bool, session: str | None, as_json: bool) -> None:
    """The deadlines of NUMBER (期限), with --explain how each was computed."""
    rows = app.engine().explain(number, session=session)
    now = app.engine().clock.now()

    def text() -> str:
        if not rows:
            return f"建议 {number} has no deadlines (not assigned yet)"
        out = []
        for r in rows:
            out.append(_deadline_line(r.deadline, now).strip())
            if explain:
                d = r.deadline
                out.append(f"    rule: {r.rule} ({r.ruleset})")
                if r.basis:
                    out.append(f"    basis: {r.basis}")
                out.append(
                    f"    start: {d.start} (not counted)   raw end: {d.raw_due}   due: {r.due_local}"
                    f" = {d.due_at.isoformat()}"
                )
                if d.roll_reason:
                    out.append(f"    rolled: {d.roll_reason}")
                if d.provisional:
                    years = ", ".join(map(str, r.provisional_years))
                    out.append(
                        f"    provisional: no official holiday schedule loaded for {years} "
                        "(`jianyi calendar load FILE`)"
                    )
        return "\n".join(out)

    _emit(as_json, [r.to_json() for r in rows], text)


def _span(text: str) -> Any:
    import re
    from datetime import timedelta

    match = re.fullmatch(r"\s*(\d+)\s*([dw]?)\s*", text)
    if not match:
        raise click.BadParameter(f"{text!r}: use days (7d or 7) or weeks (2w)", param_hint="--within")
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

    def text() -> str:
        if not items:
            return "nothing due"
        return "\n".join(
            f"{'OVERDUE ' if i.overdue else '        '}{i.due}  {i.kind:<11}{_pad(i.unit or '代表 (deputy)', 24)}"
            f"{i.session}/{i.number}  {i.title}" + ("  (provisional)" if i.provisional else "")
            for i in items
        )

    _emit(as_json, [i.to_json() for i in items], text)


@cli.group()
def rules() -> None:
    """Rule sets (办理规则): deadlines, calendar, lifecycle settings, escalation ladders."""


def _ruleset_text(rs: Any) -> str:
    from rules import KINDS

    lines = [
        f"{rs.id}@{rs.version}  {rs.name}  (zone {rs.timezone}"
        + (f", effective {rs.effective}" if rs.effective else "")
        + ")"
    ]
    for kind, info in KINDS.items():
        rule = rs.deadlines.get(kind)
        if rule is None or not rule.enabled:
            lines.append(f"  {kind.value:<14}not applied")
            continue
        length = "the promised date" if kind.value == "promise" else f"{rule.amount} {rule.unit.value}"
        if rule.complex_amount:
            length += f" ({rule.complex_amount} when complex)"
        lines.append(
            f"  {kind.value:<14}{length} from {rs.start_event(kind)}; met by {info.met_by}; "
            f"owed by {info.owed_by}"
        )
        if rule.basis:
            lines.append(f"  {'':<14}basis: {rule.basis}")
    life = rs.lifecycle
    lines.append(
        f"  lifecycle: close on {', '.join(life.auto_close_on) or '-'}; re-handle on "
        f"{', '.join(life.auto_rehandle_on) or '-'}; 基本满意 counts as satisfied: "
        f"{'yes' if life.basic_counts_as_satisfied else 'no'}"
    )
    lines.append("  classes: " + "; ".join(f"{c} {m}" for c, m in rs.classes.items()))
    years = sorted(set(rs.calendar.official_years) | set(rs.calendar.schedules))
    span = f"{years[0]}–{years[-1]}" if years else "none"
    lines.append(
        f"  calendar: official schedules {span}; roll to working day: "
        f"{'yes' if rs.calendar.roll_to_working_day else 'no'}"
    )
    for key, ladder in rs.ladders.items():
        steps = ", ".join(f"{st.offset:+d} {st.label or st.action}" for st in ladder.steps)
        lines.append(f"  ladder {key}: {steps}")
    return "\n".join(lines)


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
    _emit(as_json, rs.model_dump(mode="json"), lambda: _ruleset_text(rs))


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
    data = {"ruleset": f"{rs.id}@{rs.version}", "open_cases": _report(report) if report else None}
    _emit(
        as_json,
        data,
        lambda: (
            f"rule set {rs.id}@{rs.version} applied to new assignments"
            + (f"; open cases: {_report_text(report)}" if report else "; open cases keep their rule set")
        ),
    )


def _report(report: Any) -> dict[str, Any]:
    return {
        "cases_checked": report.cases_checked,
        "cases_changed": report.cases_changed,
        "deadlines_moved": report.deadlines_moved,
        "deadlines_cancelled": report.deadlines_cancelled,
        "still_provisional": report.still_provisional,
        "moves": report.moves,
    }


def _report_text(report: Any) -> str:
    text = (
        f"{report.cases_checked} checked, {report.cases_changed} changed, {report.deadlines_moved} deadline(s) "
        f"moved, {report.deadlines_cancelled} cancelled, {report.still_provisional} still provisional"
    )
    moves = "".join(
        f"\n  {m['number']} {m['kind']}: {m['from']} → {m['to'] or 'cancelled'}" for m in report.moves
    )
    return text + moves


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
        from datetime import date

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

        def text() -> str:
            lines = [
                f"{month}"
                + ("" if cal.is_official(year) else "  (no official schedule loaded: provisional)"),
                "Mon Tue Wed Thu Fri Sat Sun",
            ]
            row = ["   "] * days[0].day.weekday()
            for d in days:
                mark = "*" if d.makeup else ("-" if not d.working else " ")
                row.append(f"{d.day.day:>2}{mark}")
                if d.day.weekday() == 6:
                    lines.append(" ".join(row))
                    row = []
            if row:
                lines.append(" ".join(row))
            lines.append("  - rest day   * make-up working day (调休上班)")
            lines.extend(f"  {d.day.isoformat()} {d.holiday}" for d in days if d.holiday)
            return "\n".join(lines)

        _emit(as_json, data, text)

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
        {"year": schedule.year, **_report(report)},
        lambda: (
            f"{schedule.year} schedule loaded ({len(schedule.holidays)} days off, {len(schedule.workdays)} "
            f"make-up working days); open deadlines: {_report_text(report)}"
        ),
    )


@cli.group("outbox")
def outbox_group() -> None:
    """The outbox: every notice the lifecycle wrote, and how its delivery went."""


def _notice_line(n: Any) -> str:
    who = f"{n.recipient_kind}:{n.recipient_id}" if n.recipient_id else n.recipient_kind
    extra = f"  ({n.reason})" if n.reason else ""
    return f"{n.id:>6}  {n.status:<10} {n.topic:<18} {who:<12} {n.payload.get('number', '')}  tries {n.attempts}{extra}"


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
        as_json, [r.to_json() for r in rows], lambda: "\n".join(_notice_line(r) for r in rows) or "no notices"
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
        text = Renderer(override).render(
            notice.topic, {"recipient": data["recipient"], "office": "代表工作机构", **notice.payload}
        )
        data["rendered"] = {"subject": text.subject, "text": text.text}
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
    text = (
        f"{report.claimed} claimed: {report.sent} sent, {report.failed} to retry, {report.dead} dead, "
        f"{report.suppressed} suppressed, {report.deferred} held, {report.digested} in {report.digests} digest(s)"
    )
    return text + "".join(f"\n  {e}" for e in report.errors)


@outbox_group.command("dispatch")
@click.option("--limit", type=int, default=100, show_default=True, help="Claim this many notices at a time.")
@click.option("--now", metavar="TIME", help="The time to act at [now].")
@json_option
@pass_app
def outbox_dispatch(app: App, limit: int, now: str | None, as_json: bool) -> None:
    """Deliver due notices once through the channels of --config's [notifications] table."""
    from dataclasses import asdict

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

    def text() -> str:
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

    _emit(as_json, report.to_json(), text)


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
    _emit(
        as_json,
        [i.to_json() for i in items],
        lambda: (
            "\n".join(
                f"{_local(i.at, app)}  {i.case}  {i.label}  → {', '.join(i.recipients) or '-'}  ({i.why})"
                for i in items
            )
            or f"nothing due in the next {days} day(s)"
        ),
    )


def _date_option(value: str | None, what: str) -> Any:
    if value is None:
        return None
    from datetime import date

    try:
        return date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a date (YYYY-MM-DD)", param_hint=what) from None


def _scope(
    session: str | None, term: str | None, unit: str | None, start: str | None, end: str | None
) -> Any:
    from workflow.reporting.measures import Scope

    return Scope(session, term, unit, _date_option(start, "--from"), _date_option(end, "--to"))


def scope_options(f: F) -> F:
    """--session, --term, --unit, --from, --to."""
    f = click.option("--to", "end", metavar="DATE", help="Only cases assigned on or before DATE.")(f)
    f = click.option("--from", "start", metavar="DATE", help="Only cases assigned on or after DATE.")(f)
    f = click.option("--unit", metavar="UNIT", help="Only cases this unit handles as main (or split) unit.")(
        f
    )
    f = click.option(
        "--term", metavar="TERM", help="Only sessions of this term (届), as `session add --term` gave it."
    )(f)
    return click.option("--session", metavar="NAME", help="Only this session [all].")(f)


def output_options(f: F) -> F:
    """--format (text, md, html, json, xlsx, csv) and --output FILE."""
    f = click.option(
        "--output", metavar="FILE", help="Write to FILE instead of standard output (needed for xlsx)."
    )(f)
    return click.option(
        "--format",
        "fmt",
        type=click.Choice(["text", "md", "html", "json", "xlsx", "csv"]),
        default="text",
        show_default=True,
    )(f)


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
    app: App,
    kind: str,
    session: str | None,
    term: str | None,
    unit: str | None,
    start: str | None,
    end: str | None,
    fmt: str,
    decimals: int,
    output: str | None,
    now: str | None,
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

    built = build(
        app.engine(), kind, _scope(session, term, unit, start, end), decimals=decimals, now=app.when(now)
    )
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
    app: App,
    session: str | None,
    term: str | None,
    unit: str | None,
    start: str | None,
    end: str | None,
    scores: str,
    weights: str | None,
    fmt: str,
    output: str | None,
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
    engine = app.engine()
    built = run(engine, _scope(session, term, unit, start, end), read_scores(Path(scores)), weights=shares)
    _write(output, render(built, fmt))


@cli.command()
@scope_options
@output_options
@pass_app
def lookback(
    app: App,
    session: str | None,
    term: str | None,
    unit: str | None,
    start: str | None,
    end: str | None,
    fmt: str,
    output: str | None,
) -> None:
    """回头看: every B case (since the start of --term, or in scope) with its promises and what became of it.

    Opens with the conversion sentence, e.g. 本届以来B类建议32件，转化A类24件、C类7件。
    """
    from workflow.reporting.formats import render
    from workflow.reporting.reports import build

    _write(output, render(build(app.engine(), "lookback", _scope(session, term, unit, start, end)), fmt))


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
@click.option("--session", metavar="NAME", help="The session [current session].")
@click.option("--output", metavar="FILE", help="Write to FILE instead of standard output (needed for xlsx).")
@pass_app
def export(app: App, what: str, fmt: str, session: str | None, output: str | None) -> None:
    """Export the session: `ledger` with the import's columns (it imports back unchanged), or `public`, a
    disclosure file without confidential cases, co-signers, feedback or any contact data."""
    from workflow.ledger import export_ledger, export_public

    if what == "ledger":
        _write(output, export_ledger(app.engine(), fmt, session=session))
    else:
        _write(output, export_public(app.engine(), fmt, session=session))


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
        raise Failure(f"{len(problems)} template(s) do not render", 3)


def _emit_checked(as_json: bool, data: dict[str, Any], checked: str, problems: Sequence[Any]) -> None:
    """Print the problems a check found, then the count line (or all of it as JSON)."""
    lines = [str(p) for p in problems]
    _emit(
        as_json,
        {**data, "problems": lines},
        lambda: "".join(f"{line}\n" for line in lines) + f"{checked} checked, {len(lines)} problem(s)",
    )


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
        raise Failure(f"audit trail broken in {len({(p.session, p.number) for p in problems})} case(s)", 9)


@cli.command()
@click.option(
    "--format", "fmt", type=click.Choice(["mermaid", "markdown"]), default="mermaid", show_default=True
)
@json_option
def diagram(fmt: str, as_json: bool) -> None:
    """Print the lifecycle, generated from the transition table."""
    from workflow.core.machine import markdown_table, mermaid

    text = mermaid() if fmt == "mermaid" else markdown_table()
    if as_json:
        click.echo(json.dumps({"format": fmt, "diagram": text}, ensure_ascii=False))
    else:
        click.echo(text, nl=False)


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

    def text() -> str:
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

    _emit(as_json, data, text)


def main(argv: Sequence[str] | None = None) -> None:
    """The console script."""
    cli.main(args=list(argv) if argv is not None else None, prog_name="jianyi")


if __name__ == "__main__":  # pragma: no cover
    main(sys.argv[1:])
