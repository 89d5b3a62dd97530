"""What the office sets up and checks: the database (init), sessions, units, deputies, rule sets, the
working-day calendar, notice templates, the audit trail, the lifecycle diagram and the demo database."""

from __future__ import annotations

import json
import shlex
from dataclasses import asdict
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

import click

from commands.app import (
    DEMO_DB,
    App,
    AuditBroken,
    Choice,
    TemplatesBroken,
    emit,
    emit_checked,
    json_option,
    pass_app,
    write_output,
)
from rules.i18n import _, language
from workflow.reporting import text

if TYPE_CHECKING:
    from rules import RuleSet

__all__ = ["COMMANDS"]


# ---- set-up ---------------------------------------------------------------------------------------
@click.command()
@click.option(
    "--level",
    type=Choice(["national", "province", "city", "county", "township"]),
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
    emit(
        as_json,
        data,
        lambda: _("initialised {url}: congress {congress!r}, rule set {id}@{version}").format(
            url=engine.url, congress=engine.congress, id=rs.id, version=rs.version
        ),
    )


@click.group()
def session() -> None:
    """Sessions (届次/会次): suggestions are numbered within one."""


@session.command("add")
@click.argument("name")
@click.option("--term", metavar="TERM", help="The term (届), e.g. 第十四届.")
@click.option("--year", type=click.IntRange(1900, 2999), help="The year.")
@click.option("--current", is_flag=True, help="Make it the current session.")
@json_option
@pass_app
def session_add(
    app: App, name: str, term: str | None, year: int | None, current: bool, as_json: bool
) -> None:
    """Add a session."""
    info = app.engine().add_session(name, term=term, year=year, current=current)
    emit(
        as_json,
        asdict(info),
        lambda: _("session {name!r} added").format(name=info.name) + (" (current)" if current else ""),
    )


@session.command("use")
@click.argument("name")
@json_option
@pass_app
def session_use(app: App, name: str, as_json: bool) -> None:
    """Make NAME the current session."""
    app.engine().set_current_session(name)
    emit(as_json, {"current": name}, lambda: _("current session: {name}").format(name=name))


@session.command("list")
@json_option
@pass_app
def session_list(app: App, as_json: bool) -> None:
    """List the sessions."""
    rows = app.engine().sessions()
    emit(
        as_json,
        [asdict(r) for r in rows],
        lambda: (
            "\n".join(
                f"{'*' if r.current else ' '} {r.name}  {r.term or ''} {r.year or ''}".rstrip() for r in rows
            )
            or _("no sessions yet: add one with `jianyi session add NAME --current`")
        ),
    )


@click.group()
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
    emit(as_json, asdict(info), lambda: _("unit {name!r} added").format(name=info.name))


_CLEARING = 'An empty value ("") clears it.'


@unit.command("edit")
@click.argument("name")
@click.option("--name", "new_name", metavar="NEW", help="A new name (the old one stays in `unit history`).")
@click.option("--parent", metavar="NAME", help=f"The superior unit (上级主管部门). {_CLEARING}")
@click.option("--email", metavar="E", help=_CLEARING)
@click.option("--phone", metavar="P", help=_CLEARING)
@click.option("--webhook", metavar="URL", help=_CLEARING)
@json_option
@pass_app
def unit_edit(
    app: App,
    /,
    name: str,
    new_name: str | None,
    parent: str | None,
    email: str | None,
    phone: str | None,
    webhook: str | None,
    as_json: bool,
) -> None:
    """Correct unit NAME: rename it, change its superior unit or contacts; each change goes into its history."""
    values = {"new_name": new_name, "parent": parent, "email": email, "phone": phone, "webhook": webhook}
    info = app.engine().edit_unit(
        name, new_name=new_name, parent=parent, email=email, phone=phone, webhook=webhook, actor=app.actor()
    )
    emit(
        as_json,
        asdict(info),
        lambda: _("unit {name!r} edited: {value}").format(name=info.name, value=_given(values)),
    )


@unit.command("history")
@click.argument("name")
@json_option
@pass_app
def unit_history(app: App, name: str, as_json: bool) -> None:
    """The edits of unit NAME (its name now or an old one), oldest first: renames and contacts, old → new."""
    rows = app.engine().unit_history(name)
    emit(as_json, [r.to_json() for r in rows], lambda: text.directory_history_text(name, rows, app.zone()))


def _given(values: dict[str, str | None]) -> str:
    """The options given to an edit, as ``field → value`` (a cleared one as ``(cleared)``)."""
    return ", ".join(
        f"{'name' if k == 'new_name' else k} → {v!r}" if v else f"{k} (cleared)"
        for k, v in values.items()
        if v is not None
    )


@unit.command("list")
@json_option
@pass_app
def unit_list(app: App, as_json: bool) -> None:
    """List the units."""
    rows = app.engine().units()
    emit(as_json, [asdict(r) for r in rows], lambda: "\n".join(r.name for r in rows) or _("no units yet"))


@click.group()
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
    emit(as_json, asdict(info), lambda: _("deputy {name!r} added").format(name=info.name))


@deputy.command("edit")
@click.argument("name")
@click.option("--name", "new_name", metavar="NEW", help="A new name (the old one stays in `deputy history`).")
@click.option("--delegation", metavar="D", help=f"The delegation (代表团). {_CLEARING}")
@click.option("--email", metavar="E", help=_CLEARING)
@click.option("--phone", metavar="P", help=_CLEARING)
@json_option
@pass_app
def deputy_edit(
    app: App,
    /,
    name: str,
    new_name: str | None,
    delegation: str | None,
    email: str | None,
    phone: str | None,
    as_json: bool,
) -> None:
    """Correct deputy NAME: rename them, change their delegation or contacts; each change goes into the history."""
    values = {"new_name": new_name, "delegation": delegation, "email": email, "phone": phone}
    info = app.engine().edit_deputy(
        name, new_name=new_name, delegation=delegation, email=email, phone=phone, actor=app.actor()
    )
    emit(
        as_json,
        asdict(info),
        lambda: _("deputy {name!r} edited: {value}").format(name=info.name, value=_given(values)),
    )


@deputy.command("history")
@click.argument("name")
@json_option
@pass_app
def deputy_history(app: App, name: str, as_json: bool) -> None:
    """The edits of deputy NAME (their name now or an old one), oldest first, old → new."""
    rows = app.engine().deputy_history(name)
    emit(as_json, [r.to_json() for r in rows], lambda: text.directory_history_text(name, rows, app.zone()))


@deputy.command("list")
@json_option
@pass_app
def deputy_list(app: App, as_json: bool) -> None:
    """List the deputies."""
    rows = app.engine().deputies()
    emit(as_json, [asdict(r) for r in rows], lambda: "\n".join(r.name for r in rows) or _("no deputies yet"))


# ---- rules and the calendar -----------------------------------------------------------------------
@click.group()
def rules() -> None:
    """Rule sets (办理规则): deadlines, calendar, lifecycle settings, escalation ladders."""


def _check_templates(app: App, rs: RuleSet, source: str) -> None:
    """Refuse a rule set whose ladder names a template neither shipped nor in the configured override folder
    (its notices would all go dead at the first sweep)."""
    from notifications import Renderer
    from rules.errors import Problem, RuleSetInvalid

    known = set(Renderer(app.notify_config().templates).names())
    problems = [
        Problem(
            f"ladders.{kind}.steps[{i}].template",
            f"no template {step.template!r} (jianyi templates check lists them)",
        )
        for kind, ladder in rs.ladders.items()
        for i, step in enumerate(ladder.steps)
        if step.template not in known
    ]
    if problems:
        raise RuleSetInvalid(source=source, problems=problems)


@rules.command("check")
@click.argument("file", type=click.Path(dir_okay=False))
@json_option
@pass_app
def rules_check(app: App, file: str, as_json: bool) -> None:
    """Validate a rule file; lists every problem with its key path (a ladder's templates included)."""
    from rules import load_ruleset

    rs = load_ruleset(file)
    _check_templates(app, rs, file)
    emit(
        as_json,
        {"ok": True, "id": rs.id, "version": rs.version},
        lambda: _("{file}: valid rule set {id}@{version}").format(file=file, id=rs.id, version=rs.version),
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
                _("unknown profile {profile!r}; shipped: {names}").format(
                    profile=profile, names=", ".join(profile_ids())
                ),
                param_hint="--profile",
            )
        rs = load_ruleset(profile)
    else:
        rs = app.engine().active_ruleset()
    emit(as_json, rs.model_dump(mode="json"), lambda: text.ruleset_text(rs))


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

    app.engine().require_office("rules apply")  # before the file is read
    rs = load_ruleset(file)
    _check_templates(app, rs, file)
    report = app.engine().apply_ruleset(rs, open_cases=open_cases, at=app.when(at))
    data = {"ruleset": f"{rs.id}@{rs.version}", "open_cases": asdict(report) if report else None}
    emit(
        as_json,
        data,
        lambda: (
            _("rule set {id}@{version} applied to new assignments").format(id=rs.id, version=rs.version)
            + (
                _("; open cases: {value}").format(value=text.recompute_text(report))
                if report
                else _("; open cases keep their rule set")
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


@click.group(cls=_CalendarGroup)
def calendar() -> None:
    """The working-day calendar: `jianyi calendar 2026-10` shows a month, `calendar load FILE` a new year."""


def _month_command(month: str) -> click.Command:
    @json_option
    @pass_app
    def show_month(app: App, as_json: bool) -> None:
        import calendar as pycal

        from workflow.core.clock import EARLIEST, LATEST

        year, mon = (int(p) for p in month.split("-"))
        if not 1 <= mon <= 12:
            raise click.BadParameter(_("{month}: no such month").format(month=month))
        if not EARLIEST.year <= year <= LATEST.year:
            msg = _("{month}: jianyi records days from {first} to {last}").format(
                month=month, first=EARLIEST.year, last=LATEST.year
            )
            raise click.BadParameter(msg)
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
        emit(as_json, data, lambda: text.month_text(month, days, official=cal.is_official(year)))

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

    app.engine().require_office("calendar load")  # before the file is read
    schedule = load_schedule(file)
    report = app.engine().load_calendar(schedule)
    emit(
        as_json,
        {"year": schedule.year, **asdict(report)},
        lambda: _(
            "{year} schedule loaded ({count} days off, {count2} make-up working days); open deadlines: {value}"
        ).format(
            year=schedule.year,
            count=len(schedule.holidays),
            count2=len(schedule.workdays),
            value=text.recompute_text(report),
        ),
    )


# ---- checks ---------------------------------------------------------------------------------------
@click.group()
def templates() -> None:
    """Notice templates (Chinese defaults, or an override directory)."""


@templates.command("check")
@click.option("--dir", "directory", type=click.Path(file_okay=False), help="An override directory to check.")
@json_option
@pass_app
def templates_check(app: App, directory: str | None, as_json: bool) -> None:
    """Render every template with sample data for each kind of recipient it may reach (the office, a main unit,
    a co-unit, a main unit about its late co-unit, a deputy) and report, one line each, a render that fails or
    a greeting that shows an address or an id instead of a name, before a notice meets it."""
    from notifications import Renderer

    renderer = Renderer(directory or app.notify_config().templates)
    problems = renderer.check()
    names = renderer.names()
    emit_checked(as_json, {"templates": names}, f"{len(names)} template(s)", problems)
    if problems:
        raise TemplatesBroken(templates=len(problems))


@click.group()
def audit() -> None:
    """The tamper-evident audit trail: check it, and anchor it outside the database."""


@audit.command("verify")
@click.option(
    "--anchor",
    "anchor_file",
    metavar="FILE",
    type=click.Path(exists=True, dir_okay=False),
    help="Also check against an anchor written by `audit anchor` (with the same key): names the cases deleted, "
    "rebuilt or forged since.",
)
@json_option
@pass_app
def audit_verify(app: App, anchor_file: str | None, as_json: bool) -> None:
    """Check every case's hash chain, its rows and its tallies; exit 9 on any problem.

    Each row (the case, co-signers, assignments, return requests, opinions, contacts, answers, promises,
    conversions, feedback, deadlines) must hold what the events that wrote it recorded, and the case's tallies
    what its rows give; each problem names the case, table, row and event. The history of edits to units and
    deputies (`unit history`) is checked too: its chain, and each edited value against what it holds now. A case
    deleted with its events,
    forged with a chain of its own, or a chain rewritten with recomputed hashes is caught only with --anchor.
    """
    from workflow.core.anchor import Anchor

    anchor, key = None, None
    if anchor_file is not None:
        try:
            content = Path(anchor_file).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise click.BadParameter(
                _("cannot read {anchor_file}: {exc}").format(anchor_file=anchor_file, exc=exc),
                param_hint="--anchor",
            ) from None
        anchor, key = Anchor.parse(content, source=anchor_file), app.audit_key()
    report = app.engine().check_audit(anchor=anchor, key=key)
    emit_checked(as_json, report.to_json(), report.checked(), report.problems)
    broken = {(p.session, p.number) for p in report.problems if p.number}
    directory = sum(1 for p in report.problems if p.table == "directory_changes")
    if broken or directory or report.anchor_authentic is False:
        raise AuditBroken(cases=len(broken), anchor=report.anchor_authentic is False, directory=directory)


@audit.command("anchor")
@click.option(
    "--out",
    "output",
    metavar="FILE",
    type=click.Path(dir_okay=False),
    help="Write it to FILE [standard output].",
)
@pass_app
def audit_anchor(app: App, output: str | None) -> None:
    """Write an anchor of every case's chain head, keyed, to keep away from the database.

    It holds each case's session, number, last event and its hash, their Merkle root with a short fingerprint
    (printed), and an HMAC-SHA256 of it all keyed with $JIANYI_AUDIT_KEY or the key_file of the [audit] table
    of --config. Print it or send it elsewhere: `audit verify --anchor FILE` then names any case deleted,
    rebuilt or forged since.
    """
    key = app.audit_key()
    anchor = app.engine().audit_anchor(key)
    write_output(output, anchor.text())
    click.echo(
        _("anchored {count} case(s) at {local}: root fingerprint {fingerprint}").format(
            count=len(anchor.cases), local=anchor.local, fingerprint=anchor.fingerprint
        ),
        err=output is None,
    )


@click.command()
@click.option("--format", "fmt", type=Choice(["mermaid", "markdown"]), default="mermaid", show_default=True)
@json_option
def diagram(fmt: str, as_json: bool) -> None:
    """Print the lifecycle, generated from the transition table."""
    from workflow.core.machine import markdown_table, mermaid

    chart = mermaid() if fmt == "mermaid" else markdown_table()
    if as_json:
        click.echo(json.dumps({"format": fmt, "diagram": chart}, ensure_ascii=False))
    else:
        click.echo(chart, nl=False)


@click.command()
@click.option(
    "--db",
    "path",
    default=DEMO_DB,
    show_default=True,
    type=click.Path(dir_okay=False),
    help="Where to build it (a previous demo there is replaced; nothing else is overwritten).",
)
@json_option
@pass_app
def demo(app: App, path: str, as_json: bool) -> None:
    """Build a realistic session (150 suggestions, 30 units) in a fresh SQLite database, describe it and print
    the year's summary report (as `report summary` prints it now). The notices of the simulated past are
    suppressed, so a daemon started on the demo sends only what comes due from then on."""
    from workflow import PermissionDenied
    from workflow.core.states import STATE_LABELS
    from workflow.demo import DEMO_CONGRESS, SCENARIO_LABELS, build_demo

    if not app.actor().is_office:  # it replaces a database: the office's to do
        reason = _("only the office (代表工作机构) may do this")
        raise PermissionDenied(case=None, actor=str(app.actor()), action="demo", reason=reason)

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
        "suppressed_notices": report.suppressed,
    }

    def render() -> str:
        chinese = language() != "en"
        states = "、".join(
            f"{STATE_LABELS.get(s, s) if chinese else s} {n}"
            for s, n in sorted(report.states.items(), key=lambda kv: -kv[1])
        )
        paths = "、".join(
            f"{SCENARIO_LABELS.get(k, k) if chinese else k} {v}" for k, v in sorted(report.scenarios.items())
        )
        sample = report.examples.get("closed", "0001")
        base = f"jianyi --db {shlex.quote(path)} --congress {shlex.quote(DEMO_CONGRESS)}"
        return "\n".join(
            [
                _(
                    "Built {cases} suggestions, {units} units, {deputies} deputies with {actions} actions in "
                    "{path}."
                ).format(
                    cases=report.cases,
                    units=report.units,
                    deputies=report.deputies,
                    actions=report.actions,
                    path=path,
                ),
                _("States: {states}.").format(states=states),
                _("Paths: {paths}").format(paths=paths),
                _("Try:"),
                f"  {base} list --overdue",
                f"  {base} show {sample}",
                f"  {base} history {sample}",
                f"  {base} audit verify",
                f"  {base} report units",
                f"  {base} forecast --days 30",
                f"  {base} report summary",
                _(
                    "The {count} notice(s) of the simulated past are suppressed, never sent: a daemon "
                    "started on the demo sends only what comes due from now on."
                ).format(count=report.suppressed),
                "",
                report.summary.rstrip(),
            ]
        )

    emit(as_json, data, render)


COMMANDS: tuple[click.Command, ...] = (
    init,
    session,
    unit,
    deputy,
    rules,
    calendar,
    templates,
    audit,
    diagram,
    demo,
)
