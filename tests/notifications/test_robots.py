"""企业微信 and 钉钉 group robots and an SMS gateway, against a real HTTP server in the test process."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from notifications import NotifyConfig
from notifications.dispatcher import Dispatcher
from notifications.errors import ConfigError
from notifications.robots import DingTalkChannel, SmsGatewayChannel, WeComChannel
from workflow.engine import Engine
from workflow.store import outbox
from workflow.testing import FrozenClock

SECRET = "SEC0123456789abcdef"


@dataclass
class Robot:
    """What the server received, and what it answers."""

    base: str
    requests: list[dict[str, Any]] = field(default_factory=list)
    answer: dict[str, Any] = field(default_factory=lambda: {"errcode": 0, "errmsg": "ok"})


@pytest.fixture
def robot() -> Iterator[Robot]:
    """A real HTTP server on 127.0.0.1 that records each POST (path, query, headers, body) and answers JSON."""
    state = Robot("")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            parts = urlsplit(self.path)
            state.requests.append(
                {
                    "path": parts.path,
                    "query": parse_qs(parts.query),
                    "content_type": self.headers["Content-Type"],
                    "authorization": self.headers.get("Authorization"),
                    "body": json.loads(body),
                }
            )
            data = json.dumps(state.answer).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    state.base = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()


def _assigned(db_path: Path, clock: FrozenClock, **contacts: str) -> Engine:
    engine = Engine.open(db_path, clock=clock)
    engine.edit_unit("市交通运输局", **contacts)  # type: ignore[arg-type]
    engine.submit("0001", title="关于优化公交线路的建议", deputy="张三")
    engine.assign("0001", main="市交通运输局")
    return engine


def test_a_wecom_robot_gets_a_text_message(db_path: Path, clock: FrozenClock, robot: Robot) -> None:
    """A unit whose webhook is a 企业微信 robot's gets {"msgtype": "text", "text": {"content": …}}."""
    config = NotifyConfig(channels={"wecom": WeComChannel(prefix=f"{robot.base}/cgi-bin/webhook/")})
    with _assigned(db_path, clock, webhook=f"{robot.base}/cgi-bin/webhook/send?key=abc") as engine:
        report = Dispatcher(engine, config).dispatch()
        [notice] = outbox.listing(engine, status="sent")
    assert (report.sent, notice.channel) == (1, "wecom")
    [request] = robot.requests
    assert (request["path"], request["query"]) == ("/cgi-bin/webhook/send", {"key": ["abc"]})
    assert request["body"]["msgtype"] == "text"
    content = request["body"]["text"]["content"]
    assert content.startswith("【交办】0001 关于优化公交线路的建议\n\n市交通运输局：\n")
    assert list(request["body"]) == ["msgtype", "text"]


def test_a_long_notice_is_cut_to_what_a_wecom_robot_takes() -> None:
    """WeCom takes at most 2,048 bytes of text: a longer notice is cut, with an ellipsis, on a character."""
    from notifications.channels import Message

    body = WeComChannel().body(Message("k", "https://qyapi.weixin.qq.com/x", "主题", "长" * 2000))
    content = json.loads(body)["text"]["content"]
    assert len(content.encode("utf-8")) <= 2048
    assert content.endswith("长…")


def test_a_dingtalk_robot_gets_a_signed_text_message(db_path: Path, clock: FrozenClock, robot: Robot) -> None:
    """钉钉 加签: timestamp in milliseconds and sign = base64(HMAC-SHA256(secret, "timestamp\\nsecret")) as query
    parameters."""
    channel = DingTalkChannel(secret=SECRET, prefix=f"{robot.base}/robot/", clock=lambda: 1_767_225_600.123)
    with _assigned(db_path, clock, webhook=f"{robot.base}/robot/send?access_token=tok") as engine:
        report = Dispatcher(engine, NotifyConfig(channels={"dingtalk": channel})).dispatch()
    assert report.sent == 1
    [request] = robot.requests
    query = request["query"]
    assert (query["access_token"], query["timestamp"]) == (["tok"], ["1767225600123"])
    expected = base64.b64encode(
        hmac.new(SECRET.encode(), f"1767225600123\n{SECRET}".encode(), hashlib.sha256).digest()
    ).decode()
    assert query["sign"] == [expected]
    assert request["body"]["msgtype"] == "text"
    assert request["body"]["text"]["content"].startswith("【交办】0001")


def test_a_robot_that_answers_an_errcode_fails_the_notice(
    db_path: Path, clock: FrozenClock, robot: Robot
) -> None:
    """A non-zero errcode (a wrong signature) is a failed delivery, with the robot's words as the reason."""
    robot.answer = {"errcode": 310000, "errmsg": "sign not match"}
    channel = DingTalkChannel(secret="wrong", prefix=f"{robot.base}/robot/")
    with _assigned(db_path, clock, webhook=f"{robot.base}/robot/send?access_token=tok") as engine:
        report = Dispatcher(engine, NotifyConfig(channels={"dingtalk": channel})).dispatch()
        [dead] = outbox.listing(engine, status="dead")
    assert report.dead == 1
    assert dead.reason == "钉钉: errcode 310000 sign not match"


def test_an_sms_gateway_gets_the_configured_body(
    db_path: Path, clock: FrozenClock, robot: Robot, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A unit with only a phone number is reached through the SMS gateway: the configured template, with the
    phone and the notice's subject, POSTed to the configured URL with the token."""
    monkeypatch.setenv("JIANYI_SMS_TOKEN", "t0ken")
    config = NotifyConfig.from_mapping(
        {
            "sms": {
                "url": f"{robot.base}/sms/send",
                "body": '{"mobile": {{ phone | tojson }}, "content": {{ subject | tojson }}, "id": {{ key | tojson }}}',
                "token_env": "JIANYI_SMS_TOKEN",
            }
        }
    )
    with _assigned(db_path, clock, phone="13800001111") as engine:
        report = Dispatcher(engine, config).dispatch()
        [notice] = outbox.listing(engine, status="sent")
    assert (report.sent, notice.channel) == (1, "sms")
    [request] = robot.requests
    assert request["path"] == "/sms/send"
    assert request["authorization"] == "Bearer t0ken"
    assert request["body"] == {
        "mobile": "13800001111",
        "content": "【交办】0001 关于优化公交线路的建议",
        "id": notice.key,
    }


def test_a_broken_sms_body_template_is_a_config_error() -> None:
    """An SMS body template that does not render is refused when the configuration is read, in one line."""
    with pytest.raises(ConfigError) as caught:
        SmsGatewayChannel(url="http://127.0.0.1:9/sms", body="{{ mobile }}")
    assert str(caught.value) == "[notifications.sms] body: 'mobile' is undefined"
    with pytest.raises(ConfigError, match=r"needs url and body"):
        NotifyConfig.from_mapping({"sms": {"url": "http://127.0.0.1:9/sms"}})
