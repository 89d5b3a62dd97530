"""Delivering the outbox to a real SMTP server and a real HTTP server in the test process."""

from __future__ import annotations

import email
import hashlib
import hmac
import json
import threading
from collections.abc import Iterator
from datetime import timedelta
from email.header import decode_header, make_header
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from notifications import (
    EmailChannel,
    FileChannel,
    Message,
    NotifyConfig,
    RecordingChannel,
    Renderer,
    WebhookChannel,
    message_id,
)
from notifications.dispatcher import Dispatcher
from notifications.errors import DeliveryError
from workflow.core.errors import ValidationError
from workflow.engine import Engine
from workflow.store import outbox
from workflow.testing import FrozenClock

if TYPE_CHECKING:
    from conftest import Mailbox

SECRET = "test-secret"


@pytest.fixture
def webhook_server() -> Iterator[tuple[list[dict[str, Any]], str]]:
    """A real HTTP server on 127.0.0.1 that checks the signature; 401 when it does not match."""
    received: list[dict[str, Any]] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            expected = "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
            if not hmac.compare_digest(expected, self.headers.get("X-Jianyi-Signature", "")):
                self.send_response(401)
                self.end_headers()
                return
            received.append({"key": self.headers["X-Jianyi-Key"], **json.loads(body)})
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield received, f"http://127.0.0.1:{server.server_address[1]}/hook"
    finally:
        server.shutdown()
        server.server_close()


def _subject(message: email.message.Message) -> str:
    return str(make_header(decode_header(message["Subject"])))


def _engine(db_path: Path, clock: FrozenClock, **unit_contacts: str | None) -> Engine:
    engine = Engine.open(db_path, clock=clock)
    engine.add_unit("市水利局", **unit_contacts)  # type: ignore[arg-type]
    engine.submit("0001", title="关于加强河道治理的建议", deputy="张三")
    engine.assign("0001", main="市水利局")
    return engine


def test_an_assignment_notice_arrives_once_by_email(
    db_path: Path, clock: FrozenClock, smtp_server: tuple[Mailbox, int]
) -> None:
    """The unit gets one mail with a Chinese subject and body; a second pass sends nothing."""
    box, port = smtp_server
    with _engine(db_path, clock, email="slj@example.org") as engine:
        config = NotifyConfig(
            channels={"email": EmailChannel("127.0.0.1", port, sender="office@example.org")}
        )
        first = Dispatcher(engine, config).dispatch()
        second = Dispatcher(engine, config).dispatch()
        [notice] = outbox.listing(engine, status="sent")
    assert (first.sent, second.claimed, len(box.messages)) == (1, 0, 1)
    mail = box.messages[0]
    assert _subject(mail) == "【交办】0001 关于加强河道治理的建议"
    assert mail["To"] == "slj@example.org"
    assert mail["Message-ID"] == message_id(notice.key)
    body = mail.get_payload(decode=True).decode("utf-8")
    assert "现将代表建议《关于加强河道治理的建议》（测试会议第0001号）交由你单位主办。" in body
    assert "请于2026-06-02前答复代表。" in body


def test_a_webhook_is_signed_and_keyed(
    db_path: Path, clock: FrozenClock, webhook_server: tuple[list[dict[str, Any]], str]
) -> None:
    """A unit with only a webhook gets a signed JSON POST carrying the idempotency key."""
    received, url = webhook_server
    with _engine(db_path, clock, webhook=url) as engine:
        report = Dispatcher(engine, NotifyConfig(channels={"webhook": WebhookChannel(SECRET)})).dispatch()
    assert report.sent == 1
    assert received[0]["subject"] == "【交办】0001 关于加强河道治理的建议"
    assert received[0]["key"].startswith("case:")


def test_a_bad_signature_is_refused_and_the_notice_dies(
    db_path: Path, clock: FrozenClock, webhook_server: tuple[list[dict[str, Any]], str]
) -> None:
    """A 401 will not heal by retrying: the notice is dead, with the reason."""
    _, url = webhook_server
    with _engine(db_path, clock, webhook=url) as engine:
        report = Dispatcher(engine, NotifyConfig(channels={"webhook": WebhookChannel("wrong")})).dispatch()
        [dead] = outbox.listing(engine, status="dead")
    assert (report.dead, dead.reason) == (1, f"webhook {url}: HTTP 401")


def test_a_recipient_without_address_is_suppressed_with_the_reason(db_path: Path, clock: FrozenClock) -> None:
    """Nothing is silently dropped."""
    with _engine(db_path, clock) as engine:
        report = Dispatcher(engine, NotifyConfig(channels={"email": RecordingChannel()})).dispatch()
        [row] = outbox.listing(engine, status="suppressed")
    assert report.suppressed == 1
    assert row.reason == "unit 市水利局 has no address for the configured channels (email)"


def test_a_refused_mailbox_is_dead_at_once(
    db_path: Path, clock: FrozenClock, smtp_server: tuple[Mailbox, int]
) -> None:
    """SMTP 550 is final."""
    box, port = smtp_server
    box.refuse.add("gone@example.org")
    with _engine(db_path, clock, email="gone@example.org") as engine:
        report = Dispatcher(
            engine, NotifyConfig(channels={"email": EmailChannel("127.0.0.1", port)})
        ).dispatch()
    assert (report.dead, box.messages) == (1, [])


def test_failures_back_off_then_die_and_can_be_retried(db_path: Path, clock: FrozenClock) -> None:
    """A server that is down: retried after 1, 2, … minutes, dead after max_attempts, re-queued by retry."""
    channel = RecordingChannel(name="email", fail=DeliveryError("connection refused", retryable=True))
    with _engine(db_path, clock, email="a@example.org") as engine:
        dispatcher = Dispatcher(engine, NotifyConfig(max_attempts=3, channels={"email": channel}))
        assert dispatcher.dispatch().failed == 1
        assert dispatcher.dispatch().claimed == 0  # not before its retry time
        [failed] = outbox.listing(engine, status="failed")
        assert failed.available_at - clock.now() == timedelta(minutes=1)
        clock.advance(minutes=1)
        assert dispatcher.dispatch().failed == 1
        clock.advance(minutes=2)
        assert dispatcher.dispatch().dead == 1
        [dead] = outbox.listing(engine, status="dead")
        assert (dead.attempts, dead.reason) == (3, "connection refused")
        channel.fail = None
        outbox.retry(engine, dead.id, now=clock.now())
        assert dispatcher.dispatch().sent == 1
    assert len(channel.sent) == 1


def test_a_dead_dispatchers_lease_is_taken_over(db_path: Path, clock: FrozenClock) -> None:
    """A notice claimed by a dispatcher that died is delivered by another once the lease runs out."""
    channel = RecordingChannel(name="email")
    with _engine(db_path, clock, email="a@example.org") as engine:
        [claimed] = outbox.claim(engine, owner="crashed", now=clock.now())
        other = Dispatcher(engine, NotifyConfig(channels={"email": channel}), owner="survivor")
        assert other.dispatch().claimed == 0
        clock.advance(minutes=6)
        assert other.dispatch().sent == 1
        assert outbox.settle(engine, claimed, owner="crashed", status="sent", now=clock.now()) is False
    assert [m.key for m in channel.sent] == [claimed.key]


def test_the_file_channel_writes_one_file_per_notice(
    db_path: Path, clock: FrozenClock, tmp_path: Path
) -> None:
    """Offices without mail get files."""
    with _engine(db_path, clock) as engine:
        Dispatcher(engine, NotifyConfig(channels={"file": FileChannel(tmp_path / "out")})).dispatch()
    [written] = list((tmp_path / "out").glob("*.txt"))
    assert written.read_text(encoding="utf-8").startswith(
        "收件人：市水利局\n主题：【交办】0001 关于加强河道治理的建议\n"
    )


def test_every_shipped_template_renders() -> None:
    """templates check finds nothing wrong with the defaults."""
    assert Renderer().check() == []


def test_a_broken_override_template_is_named(tmp_path: Path) -> None:
    """An override with an unknown variable is reported before any notice meets it."""
    (tmp_path / "assigned.txt.j2").write_text(
        '{% set subject = "x" %}{{ unknown_variable }}', encoding="utf-8"
    )
    [problem] = Renderer(tmp_path).check(["assigned"])
    assert str(problem) == "template 'assigned': UndefinedError: 'unknown_variable' is undefined"


def test_the_supervision_letter_has_a_printable_html_form() -> None:
    """督办函 renders as a document too, escaped."""
    rendered = Renderer().render(
        "supervision_letter",
        {
            "number": "0001",
            "session": "s",
            "title": "<b>标题</b>",
            "recipient": "市水利局",
            "kind": "answer",
            "due": "2026-05-11",
            "working_days_late": 5,
            "office": "代表工作委员会",
            "today": "2026-05-18",
        },
    )
    assert rendered.html is not None
    assert "&lt;b&gt;标题&lt;/b&gt;" in rendered.html
    assert "<h1>督办函</h1>" in rendered.html


@pytest.mark.parametrize(
    ("table", "message"),
    [
        (
            {"smtp": {"host": "127.0.0.1", "pasword_env": "X"}},
            r"\[notifications.smtp\]: unknown key\(s\) pasword_env",
        ),
        (
            {"smtp": {"host": "127.0.0.1", "password_env": "JIANYI_UNSET_FOR_TEST"}},
            "JIANYI_UNSET_FOR_TEST is not set",
        ),
        (
            {"smtp": {"host": "127.0.0.1", "port": "twenty-five"}},
            "smtp.port = 'twenty-five': use a port number",
        ),
        ({"max_attempts": 0}, "max_attempts = 0: use a whole number, 1 or more"),
        ({"webhook": {"secret": "s", "timeout": -1}}, "webhook.timeout = -1"),
    ],
)
def test_a_notifications_setting_that_cannot_work_is_named(table: dict[str, object], message: str) -> None:
    """A typo, an unset password variable or a bad number stops start-up with the key named."""
    from notifications.errors import ConfigError

    with pytest.raises(ConfigError, match=message):
        NotifyConfig.from_mapping(table)


def test_a_subject_with_line_breaks_arrives_on_one_line(smtp_server: tuple[Mailbox, int]) -> None:
    """A title copied from a spreadsheet cell (line breaks, a tab) makes a one-line subject, not an error."""
    box, port = smtp_server
    channel = EmailChannel("127.0.0.1", port, sender="office@example.org")
    channel.send(Message("k1", "slj@example.org", "【交办】0001 关于加强\r\n河道\t治理的建议", "正文"))
    assert [_subject(m) for m in box.messages] == ["【交办】0001 关于加强 河道 治理的建议"]


def test_a_template_that_includes_itself_is_a_problem_not_a_crash(tmp_path: Path) -> None:
    """A runaway override (it includes itself) is named as a template problem."""
    (tmp_path / "assigned.txt.j2").write_text('{% include "assigned.txt.j2" %}', encoding="utf-8")
    problems = Renderer(tmp_path).check(["assigned"])
    assert [str(p) for p in problems] == [
        "template 'assigned': nested too deeply (does it include or extend itself?)"
    ]


def test_one_notice_that_cannot_go_is_dead_and_the_others_go(
    db_path: Path, clock: FrozenClock, webhook_server: tuple[list[dict[str, Any]], str]
) -> None:
    """A notice whose delivery fails in a way no retry mends (a malformed webhook URL, a template that recurses
    for its case) is marked dead with the reason; the notices claimed with it are delivered, the pass ends
    normally, and nothing stays sending."""
    received, url = webhook_server
    templates = db_path.parent / "templates"
    templates.mkdir()
    (templates / "assigned.txt.j2").write_text(
        '{% if "递归" in title %}{% include "assigned.txt.j2" %}{% endif %}'
        + (Path(__file__).parents[2] / "notifications/templates/assigned.txt.j2").read_text(encoding="utf-8"),
        encoding="utf-8",
    )
    with Engine.open(db_path, clock=clock) as engine:
        engine.add_unit("市水利局", webhook="http://[::1")
        engine.add_unit("市林业局", webhook=url)
        engine.submit("0001", title="关于加强河道治理的建议", deputy="张三")
        engine.assign("0001", main="市水利局")
        engine.submit("0002", title="关于植树的建议", deputy="张三")
        engine.assign("0002", main="市林业局")
        engine.submit("0003", title="递归的建议", deputy="张三")
        engine.assign("0003", main="市林业局")
        config = NotifyConfig(channels={"webhook": WebhookChannel(SECRET)}, templates=templates)
        report = Dispatcher(engine, config).dispatch()
        states = {(n.payload["number"], n.status) for n in outbox.listing(engine)}
        dead = {n.payload["number"]: n.reason for n in outbox.listing(engine, status="dead")}
    assert (report.sent, report.dead) == (1, 2)
    assert states == {("0001", "dead"), ("0002", "sent"), ("0003", "dead")}
    assert [r["subject"] for r in received] == ["【交办】0002 关于植树的建议"]
    assert "malformed" in str(dead["0001"])
    assert "nested too deeply" in str(dead["0003"])


def test_a_dispatch_dated_in_the_future_is_refused(db_path: Path, clock: FrozenClock) -> None:
    """A notice is sent when it is sent: a dispatch "now" ahead of the clock is refused, nothing claimed."""
    with _engine(db_path, clock, email="slj@example.org") as engine:
        channel = RecordingChannel(name="email")
        dispatcher = Dispatcher(engine, NotifyConfig(channels={"email": channel}))
        with pytest.raises(ValidationError, match=r"^now 2027-01-01T09:00\+08:00 is in the future"):
            dispatcher.dispatch(now=clock.now().replace(year=2027, month=1, day=1, hour=1))
        assert ([n.status for n in outbox.listing(engine)], channel.sent) == (["pending"], [])


def test_a_runaway_override_is_stopped_and_named(tmp_path: Path) -> None:
    """An override whose loops would run for hours stops after the render time limit; one that writes or
    builds more than a notice may hold stops as it grows, before the memory is taken: each is named."""
    templates = {
        "assigned": "{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}",
        "extended": '{% for i in range(100000) %}{{ "xxxxxxxxxx" }}{% endfor %}',
        "withdrawn": '{{ "x" * 100000000 }}',
        "reassigned": "{{ 10 ** 100000 }}",
    }
    for name, body in templates.items():
        (tmp_path / f"{name}.txt.j2").write_text('{% set subject = "x" %}' + body, encoding="utf-8")
    problems = {p.template: p.detail for p in Renderer(tmp_path).check(sorted(templates))}
    assert problems == {
        "assigned": "took longer than 2 s to render (a loop too long?)",
        "extended": "output longer than 200,000 characters",
        "withdrawn": "SecurityError: a repetition longer than 200,000 items",
        "reassigned": "SecurityError: a power above 1000",
    }


def test_each_congress_sweeps_forecasts_and_delivers_its_own(db_path: Path, clock: FrozenClock) -> None:
    """Two congresses in one database: the sweep, the forecast, the outbox listing and the dispatcher of one
    see only its own cases and notices, so each office runs its own reminders."""
    from workflow.sweep import forecast, sweep
    from workflow.testing import beijing, make_case

    with Engine.open(db_path, clock=clock) as city:
        make_case(city, "0001", state="assigned", clock=clock, co=())
    county = Engine.init(db_path, congress="某县人大", level="county", clock=clock)
    county.add_session("县十八届人大三次会议", current=True)
    county.add_unit("县交通运输局", email="jt@example.org")
    county.add_deputy("赵县代表")
    county.submit("0001", title="关于乡村公路的建议", deputy="赵县代表")
    county.assign("0001", main="县交通运输局")
    with Engine.open(db_path, clock=clock) as city:
        assert [n.payload["title"] for n in outbox.listing(city)] == ["测试建议 0001"]
        assert [n.payload["title"] for n in outbox.listing(county)] == ["关于乡村公路的建议"]
        clock.set(beijing("2026-05-28", 9))
        assert {i.case for i in forecast(county, days=30)} == {"县十八届人大三次会议/0001"}
        report = sweep(county)
        assert report.steps == 1
        assert {n.payload["session"] for n in outbox.listing(county)} == {"县十八届人大三次会议"}
        assert len(outbox.listing(city)) == 1  # the city's case was not swept by the county
        channel = RecordingChannel(name="email")
        sent = Dispatcher(county, NotifyConfig(channels={"email": channel})).dispatch()
        assert (sent.claimed, {m.to for m in channel.sent}) == (2, {"jt@example.org"})
        assert [n.status for n in outbox.listing(city)] == ["pending"]
    county.dispose()


def test_a_channel_fault_is_retried_then_dead_and_never_stops_the_pass(
    db_path: Path, clock: FrozenClock
) -> None:
    """A channel that fails in its own way (not a delivery error, say a broken connection mid-reply) is tried
    again with backoff, then dead after max_attempts with the reason; the pass goes on."""
    channel = RecordingChannel(name="email", fail=ConnectionResetError("peer reset"))  # type: ignore[arg-type]
    with _engine(db_path, clock, email="a@example.org") as engine:
        dispatcher = Dispatcher(engine, NotifyConfig(max_attempts=2, channels={"email": channel}))
        assert dispatcher.dispatch().failed == 1
        [failed] = outbox.listing(engine, status="failed")
        assert failed.reason == "ConnectionResetError: peer reset"
        clock.advance(minutes=1)
        assert dispatcher.dispatch().dead == 1
