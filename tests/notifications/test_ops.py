"""Running the daemon: quiet when nothing is due, JSON log lines, libraries' chatter silenced, and `jianyi status`
for monitoring."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from cli import cli
from notifications import NotifyConfig, RecordingChannel, ReminderDaemon
from notifications.daemon import configure_logging
from workflow.engine import Engine
from workflow.store.sql import Raw
from workflow.testing import FrozenClock, beijing


@pytest.fixture
def logging_restored() -> Iterator[None]:
    """configure_logging changes process-wide state: put it back afterwards."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    loggers = {
        name: logging.getLogger(name).level for name in ("jianyi", "transitions", "apscheduler", "alembic")
    }
    yield
    root.handlers[:] = handlers
    root.setLevel(level)
    for name, old in loggers.items():
        logging.getLogger(name).setLevel(old)


def test_a_run_with_nothing_to_do_logs_nothing(
    db_path: Path, clock: FrozenClock, caplog: pytest.LogCaptureFixture
) -> None:
    """An idle run writes no line at info level; a run that sends something writes one."""
    caplog.set_level(logging.INFO, logger="jianyi")
    with Engine.open(db_path, clock=clock) as engine:
        daemon = ReminderDaemon(engine, NotifyConfig(channels={"file": RecordingChannel()}))
        daemon.tick()
        assert [r.getMessage() for r in caplog.records] == []
        engine.submit("0001", title="关于优化公交线路的建议", deputy="张三")
        engine.assign("0001", main="市交通运输局")
        daemon.tick()
    [line] = [r.getMessage() for r in caplog.records]
    assert line.startswith("sweep: 0 deadline(s) looked at")
    assert "dispatch: 1 claimed, 1 sent" in line


@pytest.mark.usefixtures("logging_restored")
def test_json_log_lines_and_no_state_machine_chatter(db_path: Path, clock: FrozenClock) -> None:
    """--log-format json writes one JSON object a line; the state machine library's INFO lines are not written."""
    stream = io.StringIO()
    configure_logging("info", "json", stream)
    with Engine.open(db_path, clock=clock) as engine:
        engine.submit("0001", title="关于优化公交线路的建议", deputy="张三")
        engine.assign("0001", main="市交通运输局")  # transitions logs "Finished processing state …" at INFO
    logging.getLogger("jianyi.daemon").info("daemon started: %s", "测试")
    [line] = stream.getvalue().splitlines()
    data = json.loads(line)
    assert (data["level"], data["logger"], data["message"]) == (
        "info",
        "jianyi.daemon",
        "daemon started: 测试",
    )
    assert data["time"].endswith("+00:00")


def _conf(tmp_path: Path) -> Path:
    conf = tmp_path / "jianyi.toml"
    conf.write_text('[notifications]\n[notifications.file]\ndirectory = "out"\n', encoding="utf-8")
    return conf


def test_status_fails_until_a_sweep_has_run(runner: CliRunner, db_path: Path, tmp_path: Path) -> None:
    """Before any sweep, status prints its report and exits 10; after `remind --once` it exits 0."""
    db = str(db_path)
    before = runner.invoke(cli, ["--db", db, "status"])
    assert before.exit_code == 10
    assert before.stdout == "last sweep: never  STALE\noutbox: 0 waiting (0 due now), 0 dead, 0 suppressed\n"
    assert before.stderr == (
        "Error: the reminder sweep has never run, more than 10 minute(s): is `jianyi daemon` running?\n"
    )
    assert (
        runner.invoke(cli, ["--db", db, "--config", str(_conf(tmp_path)), "remind", "--once"]).exit_code == 0
    )
    after = runner.invoke(cli, ["--db", db, "status", "--json"])
    assert after.exit_code == 0, after.output
    data = json.loads(after.stdout)
    assert data["stale"] is False
    assert data["last_sweep"] is not None


def test_status_reports_the_backlog_and_dead_notices_and_a_stale_sweep(
    runner: CliRunner, db_path: Path, clock: FrozenClock
) -> None:
    """Waiting and dead notices are counted; a sweep older than --stale-after fails the check."""
    from notifications import run_once
    from workflow.store import heartbeat

    clock.set(beijing("2026-03-02", 20))  # after hours: the notices wait
    with Engine.open(db_path, clock=clock) as engine:
        for number in ("0001", "0002"):
            engine.submit(number, title="关于优化公交线路的建议", deputy="张三")
            engine.assign(number, main="市交通运输局")
        run_once(engine, NotifyConfig(channels={"file": RecordingChannel()}))
        with engine.db.transaction() as conn:
            Raw(conn).run("UPDATE outbox SET status = 'dead' WHERE id = (SELECT MIN(id) FROM outbox)", {})
        found = heartbeat.health(engine, clock.now())
    assert (found.last_sweep, found.backlog, found.due, found.dead) == (clock.now(), 1, 0, 1)
    shown = runner.invoke(cli, ["--db", str(db_path), "status", "--stale-after", "60"])
    assert shown.exit_code == 10
    assert shown.stdout.startswith("last sweep: 2026-03-02 20:00 (")
    assert shown.stdout.splitlines()[0].endswith("ago)  STALE")
    assert shown.stdout.splitlines()[1] == (
        "outbox: 1 waiting (1 due now, the oldest due since 2026-03-03 09:00), 1 dead, 0 suppressed  "
        "(see `jianyi outbox list --status dead`)"
    )
    assert "last ran" in shown.stderr
