"""Reminders end to end: quiet hours, digests, stale steps, the remind/forecast commands and the daemon."""

from __future__ import annotations

import email.message
import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from email.header import decode_header, make_header
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from click.testing import CliRunner

from cli import cli
from notifications import EmailChannel, NotifyConfig
from notifications.dispatcher import Dispatcher
from rules import DeadlineKind, Ladder, LadderStep, Recipient, RuleSet, default_ruleset
from workflow.engine import AssignOrder, Engine
from workflow.store import outbox
from workflow.store.sql import Raw
from workflow.sweep import sweep
from workflow.testing import FrozenClock, beijing, notices

if TYPE_CHECKING:
    from conftest import Mailbox


def _subject(message: email.message.Message) -> str:
    return str(make_header(decode_header(message["Subject"])))


def _mail_config(port: int, **extra: object) -> NotifyConfig:
    return NotifyConfig(
        channels={"email": EmailChannel("127.0.0.1", port, sender="office@example.org")}, **extra
    )  # type: ignore[arg-type]


def _unit_case(engine: Engine, number: str, unit: str = "市水利局") -> None:
    engine.submit(number, title=f"关于河道治理的建议{number}", deputy="张三")
    engine.assign(number, main=unit)


def _flush(engine: Engine, *, but_steps: bool = False) -> None:
    """Mark what the set-up wrote as sent (ladder steps excepted with ``but_steps``), so a test sees only
    what it causes."""
    where = " WHERE key NOT LIKE 'step:%'" if but_steps else ""
    with engine.db.transaction() as conn:
        Raw(conn).run(f"UPDATE outbox SET status = 'sent'{where}", {})


def test_quiet_hours_hold_a_notice_until_the_next_working_morning(
    db_path: Path, clock: FrozenClock, smtp_server: tuple[Mailbox, int]
) -> None:
    """At 20:00 on a Friday the assignment notice waits, with the reason, until Monday 09:00."""
    box, port = smtp_server
    clock.set(beijing("2026-03-06", 20))
    with Engine.open(db_path, clock=clock) as engine:
        engine.add_unit("市水利局", email="slj@example.org")
        _unit_case(engine, "0001")
        night = Dispatcher(engine, _mail_config(port)).dispatch()
        [held] = outbox.listing(engine)
        clock.set(beijing("2026-03-09", 9))
        morning = Dispatcher(engine, _mail_config(port)).dispatch()
    assert (night.deferred, night.sent, held.status, held.attempts) == (1, 0, "pending", 0)
    assert held.reason == "quiet hours: held until 2026-03-09 09:00"
    assert (morning.sent, len(box.messages)) == (1, 1)


def test_a_unit_gets_one_digest_a_day(
    db_path: Path, clock: FrozenClock, smtp_server: tuple[Mailbox, int]
) -> None:
    """Three reminders due the same day become one mail listing three cases; the next day's is a new digest."""
    box, port = smtp_server
    with Engine.open(db_path, clock=clock) as engine:
        engine.add_unit("市水利局", email="slj@example.org")
        for number in ("0001", "0002", "0003"):
            _unit_case(engine, number)
        clock.advance(days=1)
        _unit_case(engine, "0004")
        _flush(engine)
        clock.set(beijing("2026-05-19", 9))
        sweep(engine)
        first = Dispatcher(engine, _mail_config(port, digest=True)).dispatch()
        clock.set(beijing("2026-05-20", 9, 30))  # 0004's reminder day
        sweep(engine)
        second = Dispatcher(engine, _mail_config(port, digest=True)).dispatch()
        digested = outbox.listing(engine, status="digested")
    assert (first.digested, first.digests, first.sent) == (3, 1, 1)
    assert (second.digested, second.digests, second.sent, len(digested)) == (1, 1, 1, 4)
    assert [_subject(m) for m in box.messages] == [
        "【每日提醒】市水利局 待办代表建议3件",
        "【每日提醒】市水利局 待办代表建议1件",
    ]
    bodies = [m.get_payload(decode=True).decode("utf-8") for m in box.messages]
    assert [f"测试会议第000{n}号" in bodies[0] for n in (1, 2, 3, 4)] == [True, True, True, False]
    assert "测试会议第0004号" in bodies[1]


def test_a_second_digest_the_same_day_waits(
    db_path: Path, clock: FrozenClock, smtp_server: tuple[Mailbox, int]
) -> None:
    """Once today's digest went out, a new reminder for the unit waits for the next working day's."""
    box, port = smtp_server
    with Engine.open(db_path, clock=clock) as engine:
        engine.add_unit("市水利局", email="slj@example.org")
        _unit_case(engine, "0001")
        clock.advance(hours=2)
        _unit_case(engine, "0002")  # same due date, different case
        _flush(engine)
        clock.set(beijing("2026-05-20", 9))
        sweep(engine)
        with engine.db.transaction() as conn:  # hold 0002's reminder back for an hour
            Raw(conn).run(
                "UPDATE outbox SET available_at = :later WHERE status = 'pending' AND id = (SELECT max(id) FROM outbox)",
                {"later": beijing("2026-05-20", 10)},
            )
        Dispatcher(engine, _mail_config(port, digest=True)).dispatch()
        clock.set(beijing("2026-05-20", 10))
        again = Dispatcher(engine, _mail_config(port, digest=True)).dispatch()
        [held] = outbox.listing(engine, status="pending")
    assert (again.deferred, len(box.messages)) == (1, 1)
    assert held.reason == "today's digest for this recipient went out: held until 2026-05-21 09:00"
    assert held.available_at == beijing("2026-05-21", 9)


def test_a_step_whose_deadline_was_met_meanwhile_is_suppressed(
    db_path: Path, clock: FrozenClock, smtp_server: tuple[Mailbox, int]
) -> None:
    """Recorded at 08:00, answered at 08:30: the 09:00 dispatch suppresses the reminder and says why."""
    box, port = smtp_server
    with Engine.open(db_path, clock=clock) as engine:
        engine.add_unit("市水利局", email="slj@example.org")
        _unit_case(engine, "0001")
        _flush(engine)
        clock.set(beijing("2026-06-04", 10))
        sweep(engine)  # the 催办 step, to the unit and the office
        clock.set(beijing("2026-06-04", 10, 5))
        from workflow.core.views import Actor

        engine.answer("0001", category="A", text="已解决", actor=Actor.unit("市水利局"))
        _flush(engine, but_steps=True)
        report = Dispatcher(engine, _mail_config(port)).dispatch()
        reasons = {n.reason for n in outbox.listing(engine, status="suppressed")}
    assert (report.suppressed, len(box.messages)) == (2, 0)
    assert reasons == {"the answer deadline was met meanwhile, case answered: nothing to remind of"}


def test_remind_once_records_and_sends_then_does_nothing_twice(
    runner: CliRunner, db_path: Path, tmp_path: Path
) -> None:
    """`remind --once` sweeps and dispatches; run again at the same time it records and sends nothing."""
    db = str(db_path)
    for args in (
        ["unit", "add", "市水利局"],
        ["submit", "0001", "--title", "甲", "--deputy", "张三", "--at", "2026-03-01T09:00"],
        ["assign", "0001", "--main", "市水利局", "--at", "2026-03-02T09:00"],
    ):
        assert runner.invoke(cli, ["--db", db, *args]).exit_code == 0
    conf = tmp_path / "jianyi.toml"
    conf.write_text('[notifications]\n[notifications.file]\ndirectory = "out"\n', encoding="utf-8")
    base = ["--db", db, "--config", str(conf), "remind", "--once", "--now", "2026-06-04T10:00", "--json"]
    first = json.loads(runner.invoke(cli, base).stdout)
    second = json.loads(runner.invoke(cli, base).stdout)
    assert [(r["label"], r["recipients"][-1]) for r in first["sweep"]["records"]] == [("催办", "office")]
    # the assignment notices were written now (the real clock), after --now: not yet due then
    assert (first["sweep"]["notices"], first["dispatch"]["sent"]) == (2, 2)
    assert (second["sweep"]["steps"], second["dispatch"]["claimed"]) == (0, 0)
    assert len(list((tmp_path / "out").iterdir())) == 2


def test_remind_once_prints_each_step_then_the_counts(
    runner: CliRunner, db_path: Path, tmp_path: Path
) -> None:
    """Without --json, remind prints each step and its recipients, the sweep's counts, then the dispatch's."""
    db = str(db_path)
    for args in (
        ["submit", "0001", "--title", "甲", "--deputy", "张三", "--at", "2026-03-01T09:00"],
        ["assign", "0001", "--main", "市交通运输局", "--at", "2026-03-02T09:00"],
    ):
        assert runner.invoke(cli, ["--db", db, *args]).exit_code == 0
    conf = tmp_path / "jianyi.toml"
    conf.write_text('[notifications]\n[notifications.file]\ndirectory = "out"\n', encoding="utf-8")
    base = ["--db", db, "--config", str(conf), "remind", "--once", "--now", "2026-06-04T10:00"]
    step = "测试会议/0001  answer due 2026-06-02  催办 → 市交通运输局, 代表工作机构  (skipped: 到期前提醒, 到期前提醒)\n"
    dry = runner.invoke(cli, [*base, "--dry-run"])
    assert dry.stdout == step + "would record 1 step(s), 2 notice(s), 0 feedback window(s) closed\n"
    done = runner.invoke(cli, base)
    assert done.stdout == (
        step + "recorded 1 step(s), 2 notice(s), 0 feedback window(s) closed\n"
        "2 claimed: 2 sent, 0 to retry, 0 dead, 0 suppressed, 0 held, 0 in 0 digest(s)\n"
    )


def test_remind_needs_once(runner: CliRunner, db_path: Path) -> None:
    """Without --once the command says what to use instead."""
    result = runner.invoke(cli, ["--db", str(db_path), "remind"])
    assert result.exit_code == 2
    assert "remind runs one pass: pass --once (or run `jianyi daemon` as a service)" in result.output


def test_forecast_command_lists_steps(runner: CliRunner, db_path: Path) -> None:
    """`forecast` prints when each step fires, for whom and why."""
    db = str(db_path)
    runner.invoke(
        cli, ["--db", db, "submit", "0001", "--title", "甲", "--deputy", "张三", "--at", "2026-03-01T09:00"]
    )
    runner.invoke(cli, ["--db", db, "assign", "0001", "--main", "市交通运输局", "--at", "2026-03-02T09:00"])
    result = runner.invoke(cli, ["--db", db, "forecast", "--now", "2026-05-01T09:00", "--days", "20"])
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[0] == (
        "2026-05-19 09:00  测试会议/0001  到期前提醒  → 市交通运输局  (answer due 2026-06-02: 10 working day(s) before)"
    )


# ---- real daemons ------------------------------------------------------------------------------------
def _urgent_ruleset() -> RuleSet:
    """One urgent reminder ten working days before the answer is due (urgent: sent at any hour)."""
    base = default_ruleset()
    step = LadderStep(
        offset=-10,
        action="reminder",
        label="到期前提醒",
        recipients=[Recipient.OWING_UNIT],
        template="reminder_before_due",
        urgent=True,
    )
    return base.model_copy(
        update={"version": 2, "ladders": {DeadlineKind.ANSWER.value: Ladder(steps=[step])}}
    )


def _due_now(engine: Engine, count: int, units: int) -> None:
    """``count`` cases assigned in the past so that their one reminder is due now, by the real clock."""
    rs = _urgent_ruleset()
    engine.apply_ruleset(rs)
    now = datetime.now(UTC)
    today = now.astimezone(rs.zone).date()
    for back in range(60, 120):
        start = today - timedelta(days=back)
        due = rs.due(DeadlineKind.ANSWER, start)
        assert due is not None
        if rs.step_times(DeadlineKind.ANSWER, due.end)[0].at <= now - timedelta(hours=1) and due.due_at > now:
            break
    assigned = datetime.combine(start, datetime.min.time(), tzinfo=rs.zone).replace(hour=10).astimezone(UTC)
    for i in range(units):
        engine.add_unit(f"单位{i:02d}", email=f"u{i:02d}@example.org")
    for n in range(count):
        engine.submit(f"{n:05d}", title=f"建议{n}", deputy="张三", at=assigned - timedelta(days=1))
    engine.assign_many(
        [AssignOrder(f"{n:05d}", main=f"单位{n % units:02d}") for n in range(count)], at=assigned
    )
    _flush(engine)


def _daemon(db: str, conf: Path, log: Path) -> subprocess.Popen[bytes]:
    code = "import sys; from cli import main; sys.argv[0] = 'jianyi'; main()"
    with log.open("wb") as sink:
        return subprocess.Popen(
            [sys.executable, "-c", code, "--db", db, "--config", str(conf), "daemon", "--every", "1"],
            stdout=subprocess.DEVNULL,
            stderr=sink,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )


def _mail_conf(tmp_path: Path, port: int, lease: float = 300) -> Path:
    conf = tmp_path / "jianyi.toml"
    conf.write_text(
        f'[notifications]\nlease_seconds = {lease}\n[notifications.smtp]\nhost = "127.0.0.1"\nport = {port}\n',
        encoding="utf-8",
    )
    return conf


def _wait(condition: object, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():  # type: ignore[operator]
            return
        time.sleep(0.2)
    pytest.fail(f"timed out waiting for {what}")


def _open_notices(engine: Engine) -> int:
    return sum(len(notices(engine, status=s)) for s in ("pending", "sending", "failed"))


def _step_keys(engine: Engine) -> set[str]:
    return {n.key for n in notices(engine) if n.key.startswith("step:")}


def _message_ids(box: Mailbox) -> Counter[str]:
    return Counter(str(m["Message-ID"]) for m in box.messages)


def test_a_daemon_stops_cleanly_on_sigterm(
    db_path: Path, tmp_path: Path, smtp_server: tuple[Mailbox, int]
) -> None:
    """The daemon logs its runs and exits 0 on SIGTERM."""
    box, port = smtp_server
    with Engine.open(db_path) as engine:
        _due_now(engine, 5, 2)
    log = tmp_path / "daemon.log"
    proc = _daemon(str(db_path), _mail_conf(tmp_path, port), log)
    try:
        _wait(lambda: len(box.messages) == 5, 120, "five reminders")
        _wait(lambda: "sweep:" in log.read_text(encoding="utf-8"), 60, "a logged run")
    finally:
        proc.send_signal(signal.SIGTERM)
        code = proc.wait(timeout=30)
    text = log.read_text(encoding="utf-8")
    assert code == 0, text
    assert "daemon started: jianyi-remind every 1s" in text
    assert (
        "sweep: 5 deadline(s) looked at, 5 step(s), 5 notice(s), 0 lapsed; dispatch: 5 claimed, 5 sent"
        in text
    )
    assert "SIGTERM received: stopping" in text
    assert "daemon stopped after" in text


@pytest.mark.postgres
def test_two_daemons_on_postgres_send_every_notice_exactly_once(
    pg_url: str, tmp_path: Path, smtp_server: tuple[Mailbox, int]
) -> None:
    """5,000 due steps, two daemons on one PostgreSQL database: 5,000 mails, each Message-ID once."""
    box, port = smtp_server
    with Engine.init(pg_url) as engine:
        engine.add_session("测试会议", current=True)
        engine.add_deputy("张三")
        _due_now(engine, 5000, 40)
        conf = _mail_conf(tmp_path, port)
        daemons = [_daemon(pg_url, conf, tmp_path / f"d{i}.log") for i in (1, 2)]
        try:
            # a bound on liveness, not a timing: a loaded machine may take several times the usual 90 s
            _wait(lambda: len(box.messages) >= 5000 and _open_notices(engine) == 0, 900, "5,000 mails")
            time.sleep(2)  # anything sent twice would arrive now
        finally:
            for proc in daemons:
                proc.send_signal(signal.SIGTERM)
            codes = [proc.wait(timeout=60) for proc in daemons]
        keys = _step_keys(engine)
    logs = [(tmp_path / f"d{i}.log").read_text(encoding="utf-8") for i in (1, 2)]
    ids = _message_ids(box)
    assert codes == [0, 0], logs
    assert (len(keys), len(box.messages), max(ids.values())) == (5000, 5000, 1)
    assert all("dispatch:" in text for text in logs)  # both took part
    assert all("sent" in text for text in logs)


def test_a_daemon_killed_mid_dispatch_loses_nothing(
    db_path: Path, tmp_path: Path, smtp_server: tuple[Mailbox, int]
) -> None:
    """SIGKILL while sending, then a restart: every notice arrives, at most one of them twice."""
    box, port = smtp_server
    with Engine.open(db_path) as engine:
        _due_now(engine, 400, 10)
    conf = _mail_conf(tmp_path, port, lease=2)
    first = _daemon(str(db_path), conf, tmp_path / "first.log")
    try:
        _wait(lambda: len(box.messages) >= 50, 300, "the first mails")
    finally:
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=30)
    received_before = len(box.messages)
    second = _daemon(str(db_path), conf, tmp_path / "second.log")
    try:
        with Engine.open(db_path) as engine:
            _wait(lambda: _open_notices(engine) == 0 and len(box.messages) >= 400, 600, "every mail")
            keys = _step_keys(engine)
    finally:
        second.send_signal(signal.SIGTERM)
        assert second.wait(timeout=30) == 0
    ids = _message_ids(box)
    duplicates = sum(n - 1 for n in ids.values())
    assert received_before < 400  # the kill came mid-dispatch
    assert len(keys) == 400
    assert len(ids) == 400  # nothing lost
    assert duplicates <= 1  # the README's bound: one per killed dispatcher
