"""Channels to group chats and phones: 企业微信 (WeCom) and 钉钉 (DingTalk) group robots, and an SMS gateway.

A robot is reached at its webhook address (a unit's ``webhook`` contact); which robot an address is for is told
by its prefix (``https://qyapi.weixin.qq.com/`` and ``https://oapi.dingtalk.com/`` by default). Both take
``{"msgtype": "text", "text": {"content": …}}`` and answer ``{"errcode": 0, "errmsg": "ok"}``; a non-zero
``errcode`` is a failed delivery. A DingTalk robot with 加签 (signing) on is sent ``timestamp`` (milliseconds)
and ``sign`` query parameters: the HMAC-SHA256 of ``"{timestamp}\\n{secret}"`` keyed with the secret, in base64,
URL-encoded.

The SMS gateway channel POSTs a body written from a configured template (the phone number and the text, e.g.
``{"mobile": {{ phone | tojson }}, "content": {{ text | tojson }}}``) to a configured URL: gateways differ, the
template says what this one wants.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from jinja2 import StrictUndefined, TemplateError
from jinja2.sandbox import ImmutableSandboxedEnvironment

from notifications.channels import Message, http_post
from notifications.errors import ConfigError, DeliveryError
from rules.i18n import _

__all__ = ["DingTalkChannel", "SmsGatewayChannel", "WeComChannel", "dingtalk_sign"]

WECOM_PREFIX = "https://qyapi.weixin.qq.com/"
DINGTALK_PREFIX = "https://oapi.dingtalk.com/"
WECOM_TEXT_BYTES = 2048  # the longest text content a WeCom robot takes, in UTF-8 bytes
DINGTALK_TEXT_BYTES = 20000
# errcodes that say "too many messages in this minute": a later try will go through
_RATE_LIMITED = {45009, 130101, 410100}


def _content(message: Message, limit: int) -> str:
    """The subject, a blank line and the text, cut (with an ellipsis) to ``limit`` UTF-8 bytes."""
    content = f"{message.subject}\n\n{message.text}".strip()
    data = content.encode("utf-8")
    if len(data) <= limit:
        return content
    return data[: limit - 3].decode("utf-8", errors="ignore") + "…"


def _checked(answer: bytes, what: str) -> None:
    """Raise DeliveryError unless the robot answered ``errcode`` 0."""
    try:
        data = json.loads(answer or b"{}")
    except ValueError:
        raise DeliveryError(
            _("{what}: the answer is not JSON: {value!r}").format(what=what, value=answer[:200]),
            retryable=True,
        ) from None
    code = data.get("errcode", 0) if isinstance(data, dict) else 0
    if code != 0:
        raise DeliveryError(
            f"{what}: errcode {code} {data.get('errmsg', '')}".rstrip(), retryable=code in _RATE_LIMITED
        )


def dingtalk_sign(secret: str, timestamp_ms: int) -> str:
    """DingTalk's signature for ``timestamp_ms``: base64 of HMAC-SHA256(secret, "timestamp\\nsecret"), as a query
    value (URL-encoded)."""
    digest = hmac.new(secret.encode("utf-8"), f"{timestamp_ms}\n{secret}".encode(), hashlib.sha256).digest()
    return urllib.parse.quote_plus(base64.b64encode(digest).decode("ascii"))


@dataclass
class WeComChannel:
    """A 企业微信 group robot: a text message to the robot's webhook address."""

    prefix: str = WECOM_PREFIX
    timeout: float = 10.0
    name: str = "wecom"

    def accepts(self, address: str) -> bool:
        """Whether ``address`` is one of this channel's robots."""
        return address.startswith(self.prefix)

    def body(self, message: Message) -> bytes:
        """The JSON body for ``message``."""
        data = {"msgtype": "text", "text": {"content": _content(message, WECOM_TEXT_BYTES)}}
        return json.dumps(data, ensure_ascii=False).encode("utf-8")

    def send(self, message: Message) -> None:
        """POST the message to the robot; its errcode must be 0."""
        _checked(http_post(message.to, self.body(message), timeout=self.timeout, what="企业微信"), "企业微信")


@dataclass
class DingTalkChannel:
    """A 钉钉 group robot: a text message to the robot's webhook address, signed when a secret is set."""

    secret: str | None = None
    prefix: str = DINGTALK_PREFIX
    timeout: float = 10.0
    name: str = "dingtalk"
    clock: Callable[[], float] = field(default=time.time, repr=False)

    def accepts(self, address: str) -> bool:
        """Whether ``address`` is one of this channel's robots."""
        return address.startswith(self.prefix)

    def body(self, message: Message) -> bytes:
        """The JSON body for ``message``."""
        data = {"msgtype": "text", "text": {"content": _content(message, DINGTALK_TEXT_BYTES)}}
        return json.dumps(data, ensure_ascii=False).encode("utf-8")

    def url(self, address: str) -> str:
        """The address to POST to: with ``timestamp`` and ``sign`` added when the robot signs."""
        if not self.secret:
            return address
        stamp = int(self.clock() * 1000)
        joiner = "&" if "?" in address else "?"
        return f"{address}{joiner}timestamp={stamp}&sign={dingtalk_sign(self.secret, stamp)}"

    def send(self, message: Message) -> None:
        """POST the message to the robot; its errcode must be 0."""
        answer = http_post(self.url(message.to), self.body(message), timeout=self.timeout, what="钉钉")
        _checked(answer, "钉钉")


@dataclass
class SmsGatewayChannel:
    """An SMS gateway: ``body`` (a Jinja2 template of ``phone``, ``text``, ``subject`` and ``key``) POSTed to
    ``url``. ``text`` is the whole notice (its subject, a blank line, its text); ``subject`` alone makes a short
    message."""

    url: str
    body: str
    content_type: str = "application/json; charset=utf-8"
    headers: dict[str, str] = field(default_factory=dict)
    timeout: float = 10.0
    name: str = "sms"

    def __post_init__(self) -> None:
        if not self.url.startswith(("http://", "https://")):
            raise ConfigError(
                _("[notifications.sms] url {url!r}: use an http(s) address").format(url=self.url)
            )
        env = ImmutableSandboxedEnvironment(undefined=StrictUndefined, autoescape=False)
        try:
            self._template = env.from_string(self.body)
            self._template.render(self._values(Message("k", "13800000000", "主题", "正文")))
        except TemplateError as exc:
            raise ConfigError(_("[notifications.sms] body: {exc}").format(exc=exc)) from None

    @staticmethod
    def _values(message: Message) -> dict[str, Any]:
        return {
            "phone": message.to,
            "text": f"{message.subject}\n\n{message.text}".strip(),
            "subject": message.subject,
            "key": message.key,
        }

    def render(self, message: Message) -> bytes:
        """The body sent for ``message``."""
        try:
            return self._template.render(self._values(message)).encode("utf-8")
        except TemplateError as exc:
            raise DeliveryError(_("SMS body: {exc}").format(exc=exc), retryable=False) from None

    def send(self, message: Message) -> None:
        """POST the rendered body to the gateway."""
        http_post(
            self.url,
            self.render(message),
            {"X-Jianyi-Key": message.key, **self.headers},
            timeout=self.timeout,
            what="SMS gateway",
            content_type=self.content_type,
        )
