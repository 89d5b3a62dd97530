"""The outbox and templates commands."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

from click.testing import CliRunner, Result

from cli import cli
from notifications import Channel, FileChannel, NotifyConfig, WebhookChannel
from notifications.dispatcher import Dispatcher, DispatchReport
from rules import default_ruleset
from workflow.engine import Engine
from workflow.testing import FrozenClock


def run(runner: CliRunner, db: Path, *args: str) -> Result:
    return runner.invoke(cli, ["--db", str(db), *args])


def _config(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "jianyi.toml"
    path.write_text(body, encoding="utf-8")
    return path


def _working_now() -> str:
    """The next moment notices may be sent (working hours on a working day), from the real clock."""
    soon = datetime.now(UTC) + timedelta(seconds=5)
    return default_ruleset().next_sending_time(soon).isoformat()


def _dispatch_in_working_hours(db: Path, channel: Channel) -> DispatchReport:
    """One delivery pass as the daemon makes it at the next working hours (notices wait for them; a dispatch
    dated ahead of the clock is refused, so the pass runs on a clock set there)."""
    with Engine.open(db, clock=FrozenClock(_working_now())) as engine:
        return Dispatcher(engine, NotifyConfig(channels={channel.name: channel})).dispatch()


def _assigned(runner: CliRunner, db: Path) -> None:
    assert (
        run(runner, db, "submit", "0001", "--title", "甲", "--deputy", "张三", "--at", "2026-06-01").exit_code
        == 0
    )
    assert run(runner, db, "assign", "0001", "--main", "市交通运输局", "--at", "2026-07-01").exit_code == 0


def test_dispatch_to_files_then_list_and_show(runner: CliRunner, db_path: Path, tmp_path: Path) -> None:
    """dispatch delivers through the configured channel; list and show report it."""
    _assigned(runner, db_path)
    report = _dispatch_in_working_hours(db_path, FileChannel(tmp_path / "out"))
    assert report.summary() == "1 claimed: 1 sent, 0 to retry, 0 dead, 0 suppressed, 0 held, 0 in 0 digest(s)"
    assert len(list((tmp_path / "out").glob("*.txt"))) == 1
    [row] = json.loads(run(runner, db_path, "outbox", "list", "--json").stdout)
    assert (row["status"], row["topic"], row["channel"], row["attempts"]) == ("sent", "assigned", "file", 1)
    shown = json.loads(run(runner, db_path, "outbox", "show", str(row["id"]), "--render", "--json").stdout)
    assert shown["rendered"]["subject"] == "【交办】0001 甲"


def test_dispatch_without_channels_is_a_usage_error(runner: CliRunner, db_path: Path) -> None:
    """Nothing is claimed when nothing could deliver."""
    _assigned(runner, db_path)
    result = run(runner, db_path, "outbox", "dispatch")
    assert (result.exit_code, "no channel configured" in result.stderr) == (2, True)
    assert json.loads(run(runner, db_path, "outbox", "list", "--json").stdout)[0]["status"] == "pending"


def test_retry_requeues_only_settled_failures(runner: CliRunner, db_path: Path, tmp_path: Path) -> None:
    """A suppressed notice can be queued again; a pending one cannot."""
    _assigned(runner, db_path)
    pending = run(runner, db_path, "outbox", "retry", "1")
    assert (pending.exit_code, "only dead, failed or suppressed notices are retried" in pending.stderr) == (
        3,
        True,
    )
    _dispatch_in_working_hours(db_path, WebhookChannel("s"))
    [row] = json.loads(run(runner, db_path, "outbox", "list", "--status", "suppressed", "--json").stdout)
    assert row["reason"] == "unit 市交通运输局 has no address for the configured channels (webhook)"
    assert (
        run(runner, db_path, "outbox", "retry", str(row["id"])).stdout == f"outbox {row['id']} queued again\n"
    )


def test_unknown_notice_and_bad_config_are_one_line_errors(
    runner: CliRunner, db_path: Path, tmp_path: Path
) -> None:
    """Exit codes, no tracebacks."""
    assert run(runner, db_path, "outbox", "show", "99").exit_code == 4
    conf = _config(tmp_path, '[notifications]\nsmtp_host = "x"\n')
    bad = runner.invoke(
        cli, ["--db", str(db_path), "--config", str(conf), "outbox", "dispatch", "--now", _working_now()]
    )
    assert (bad.exit_code, bad.stderr) == (3, "Error: [notifications]: unknown key(s) smtp_host\n")


def test_templates_check(runner: CliRunner, db_path: Path, tmp_path: Path) -> None:
    """Shipped templates render; a broken override is named and fails the command."""
    assert run(runner, db_path, "templates", "check").stdout.endswith("template(s) checked, 0 problem(s)\n")
    (tmp_path / "rehandle.txt.j2").write_text("{% set subject = 'x' %}{{ nope }", encoding="utf-8")
    result = run(runner, db_path, "templates", "check", "--dir", str(tmp_path))
    assert result.exit_code == 3
    assert "template 'rehandle': TemplateSyntaxError" in result.stdout
