"""Notices at the command line: the outbox (list, show, retry, dispatch), ``remind --once`` for cron, the
reminder ``daemon``, and the ``forecast`` of escalation steps to come."""

from __future__ import annotations

from dataclasses import asdict
from typing import TYPE_CHECKING

import click

from commands.app import App, Choice, SweepStale, emit, json_option, pass_app
from rules.i18n import _
from workflow.reporting import text

if TYPE_CHECKING:
    from notifications import NotifyConfig

__all__ = ["COMMANDS"]


NOTICE_ID = click.IntRange(1, 2**63 - 1)  # a row id as the databases store it


@click.group("outbox")
def outbox_group() -> None:
    """The outbox: every notice the lifecycle wrote, and how its delivery went."""


@outbox_group.command("list")
@click.option(
    "--status",
    type=Choice(["pending", "sending", "sent", "failed", "dead", "suppressed", "digested"]),
)
@click.option("--limit", type=click.IntRange(1, 1_000_000), default=100, show_default=True)
@json_option
@pass_app
def outbox_list(app: App, status: str | None, limit: int, as_json: bool) -> None:
    """List notices, newest first."""
    from workflow.store import outbox

    rows = outbox.listing(app.engine(), status=status, limit=limit)
    emit(
        as_json,
        [r.to_json() for r in rows],
        lambda: "\n".join(text.notice_line(r) for r in rows) or _("no notices"),
    )


@outbox_group.command("show")
@click.argument("notice_id", type=NOTICE_ID)
@click.option("--render", is_flag=True, help="Also print the notice as it would be sent.")
@json_option
@pass_app
def outbox_show(app: App, notice_id: int, render: bool, as_json: bool) -> None:
    """Show one notice: key, recipient, payload, attempts, reason."""
    from workflow.store import outbox

    notice = outbox.get(app.engine(), notice_id)
    data = notice.to_json()
    rendered = None
    if render:
        from notifications import Dispatcher

        engine = app.engine()
        sender = Dispatcher(engine, app.notify_config())
        context = sender.context(notice, engine.clock.now(), engine.active_ruleset())
        rendered = sender.renderer.render(notice.topic, context)
        data["rendered"] = {"subject": rendered.subject, "text": rendered.text}
    shown = (rendered.subject, rendered.text) if rendered is not None else None
    emit(as_json, data, lambda: text.notice_text(notice, app.zone(), shown))


@outbox_group.command("retry")
@click.argument("notice_id", type=NOTICE_ID)
@json_option
@pass_app
def outbox_retry(app: App, notice_id: int, as_json: bool) -> None:
    """Queue a dead, failed or suppressed notice again, due now."""
    from workflow.store import outbox

    notice = outbox.retry(app.engine(), notice_id, now=app.engine().clock.now())
    emit(as_json, notice.to_json(), lambda: _("outbox {notice_id} queued again").format(notice_id=notice_id))


def _channels(app: App) -> NotifyConfig:
    """The notifications configuration, refused when it names no channel to deliver through."""
    config = app.notify_config()
    if not config.channels:
        raise click.UsageError(
            _("no channel configured: add [notifications.smtp], .webhook or .file to --config")
        )
    return config


@outbox_group.command("dispatch")
@click.option(
    "--limit",
    type=click.IntRange(1, 1_000_000),
    default=100,
    show_default=True,
    help="Claim this many notices at a time.",
)
@click.option("--now", metavar="TIME", help="The time to act at [now]; a past time, never a later one.")
@json_option
@pass_app
def outbox_dispatch(app: App, limit: int, now: str | None, as_json: bool) -> None:
    """Deliver due notices once through the channels of --config's [notifications] table."""
    from notifications import Dispatcher

    app.engine().require_office("outbox dispatch")  # before the channels are read
    report = Dispatcher(app.engine(), _channels(app)).dispatch(now=app.when(now), limit=limit)
    emit(as_json, asdict(report), report.summary)


@click.command()
@click.option("--once", is_flag=True, help="Run one sweep and one dispatch pass, then exit (for cron).")
@click.option(
    "--now", metavar="TIME", help="The time to act at [now]; a past time, a later one only with --dry-run."
)
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
        raise click.UsageError(_("remind runs one pass: pass --once (or run `jianyi daemon` as a service)"))
    config = app.notify_config() if dry_run else _channels(app)
    report = run_once(app.engine(), config, now=app.when(now), dry_run=dry_run)

    def render() -> str:
        swept = text.sweep_text(report.sweep, dry_run=dry_run)
        return swept if report.dispatch is None else f"{swept}\n{report.dispatch.summary()}"

    emit(as_json, report.to_json(), render)


@click.command()
@click.option(
    "--every", type=click.FloatRange(min=1), default=60, show_default=True, help="Seconds between runs."
)
@click.option(
    "--log-level",
    type=Choice(["debug", "info", "warning", "error"]),
    default="info",
    show_default=True,
)
@click.option(
    "--log-format",
    type=Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="json: one JSON object a line (time, level, logger, message).",
)
@pass_app
def daemon(app: App, every: float, log_level: str, log_format: str) -> None:
    """Run the reminder daemon: `remind --once` every --every seconds until SIGTERM or SIGINT.

    APScheduler is only the clock (one job, fixed id, in memory, coalesced, one at a time); the work is in the
    database, so a restart or a second daemon on the same PostgreSQL database records and sends nothing twice.
    Logs one line to stderr per run that did something, nothing for a run with nothing to do (`--log-level
    debug` shows those too); each run's time is what `jianyi status` reports.
    """
    from notifications import ReminderDaemon
    from notifications.daemon import configure_logging

    configure_logging(log_level, log_format)
    app.engine().require_office("daemon")  # before it starts
    ReminderDaemon(app.engine(), _channels(app), every=every).run()


@click.command()
@click.option("--days", type=click.IntRange(1, 3660), default=30, show_default=True, help="How far ahead.")
@click.option("--unit", metavar="UNIT", help="Only deadlines this unit owes.")
@click.option("--now", metavar="TIME", help="Forecast from this time [now].")
@json_option
@pass_app
def forecast(app: App, days: int, unit: str | None, now: str | None, as_json: bool) -> None:
    """Which escalation steps will fire when, for whom and why, in the next --days days."""
    from workflow.sweep import forecast as upcoming

    items = upcoming(app.engine(), now=app.when(now), days=days, unit=unit)
    emit(as_json, [i.to_json() for i in items], lambda: text.forecast_text(items, app.zone(), days))


def _age(seconds: float) -> str:
    minutes = int(seconds // 60)
    if minutes < 60:
        return _("{minutes} min").format(minutes=minutes)
    hours, minutes = divmod(minutes, 60)
    if hours < 48:
        return _("{hours} h {minutes} min").format(hours=hours, minutes=minutes)
    return _("{days} d").format(days=hours // 24)


@click.command()
@click.option(
    "--stale-after",
    type=click.FloatRange(min=1),
    default=10,
    show_default=True,
    metavar="MINUTES",
    help="Exit 10 when the last sweep is older than this.",
)
@json_option
@pass_app
def status(app: App, stale_after: float, as_json: bool) -> None:
    """The reminder daemon's health, for monitoring: the last sweep, the outbox backlog, dead notices.

    Exits 0 when the last sweep (of `daemon` or `remind --once`) ran within --stale-after minutes, 10 when it
    is older or never ran (the report is printed first); dead notices are reported, not failed on.
    """
    from workflow.store import heartbeat

    engine = app.engine()
    now = engine.clock.now()
    found = heartbeat.health(engine, now)
    age = None if found.last_sweep is None else (now - found.last_sweep).total_seconds()
    stale = age is None or age > stale_after * 60

    def render() -> str:
        swept = (
            _("never")
            if found.last_sweep is None or age is None
            else _("{at} ({age} ago)").format(at=text.local_time(found.last_sweep, app.zone()), age=_age(age))
        )
        oldest = (
            _(", the oldest due since {at}").format(at=text.local_time(found.oldest_due, app.zone()))
            if found.oldest_due
            else ""
        )
        outbox = _(
            "outbox: {backlog} waiting ({due} due now{oldest}), {dead} dead, {suppressed} suppressed"
        ).format(
            backlog=found.backlog, due=found.due, oldest=oldest, dead=found.dead, suppressed=found.suppressed
        )
        return (
            _("last sweep: {swept}").format(swept=swept)
            + (_("  STALE") if stale else "")
            + "\n"
            + outbox
            + (_("  (see `jianyi outbox list --status dead`)") if found.dead else "")
        )

    emit(as_json, {**found.to_json(), "stale": stale, "stale_after_minutes": stale_after}, render)
    if stale:
        raise SweepStale(minutes=stale_after, age=None if age is None else _age(age))


COMMANDS: tuple[click.Command, ...] = (outbox_group, remind, daemon, forecast, status)
