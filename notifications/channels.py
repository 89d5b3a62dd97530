"""Delivery channels: e-mail over SMTP, signed webhooks, files, and a recording channel for tests.

Each channel delivers one :class:`Message` or raises :class:`~notifications.errors.DeliveryError`, whose
``retryable`` says whether a later try may succeed (a refused recipient will not; a timeout may).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import smtplib
import ssl
import unicodedata
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import formatdate
from pathlib import Path
from typing import Protocol

from notifications.errors import DeliveryError
from rules.i18n import _

__all__ = [
    "Channel",
    "EmailChannel",
    "FileChannel",
    "Message",
    "RecordingChannel",
    "WebhookChannel",
    "http_post",
    "message_id",
    "subject_line",
]


@dataclass(frozen=True, slots=True)
class Message:
    """What a channel delivers."""

    key: str  # the outbox row's idempotency key
    to: str  # an e-mail address, a webhook URL, or a name (files)
    subject: str
    text: str
    html: str | None = None
    topic: str = ""


class Channel(Protocol):
    """Something that delivers messages."""

    name: str

    def send(self, message: Message) -> None:
        """Deliver ``message`` or raise DeliveryError."""
        ...


def subject_line(text: str) -> str:
    """``text`` on one line: line breaks, tabs and other control characters become single spaces."""
    return " ".join("".join(" " if unicodedata.category(c) == "Cc" else c for c in text).split())


def message_id(key: str) -> str:
    """A stable Message-ID for an idempotency key, so a receiver can drop a repeat."""
    return f"<{hashlib.sha256(key.encode('utf-8')).hexdigest()[:32]}@jianyi>"


@dataclass
class EmailChannel:
    """E-mail over SMTP (plain, STARTTLS or SSL; optional login), UTF-8 subject and body."""

    host: str
    port: int = 25
    sender: str = "jianyi@localhost"
    security: str = "plain"  # plain | starttls | ssl
    username: str | None = None
    password: str | None = None
    timeout: float = 10.0
    name: str = "email"

    def send(self, message: Message) -> None:
        """Deliver one mail (a subject's line breaks, common in spreadsheet cells, become spaces)."""
        mail = EmailMessage()
        try:
            mail["From"] = self.sender
            mail["To"] = message.to
            mail["Subject"] = subject_line(message.subject)
            mail["Date"] = formatdate(localtime=False)
            mail["Message-ID"] = message_id(message.key)
            mail.set_content(message.text, charset="utf-8")
            if message.html is not None:
                mail.add_alternative(message.html, subtype="html", charset="utf-8")
        except (ValueError, TypeError) as exc:  # an address with a line break: no later try will do better
            raise DeliveryError(
                _("cannot write the mail to {to!r}: {exc}").format(to=message.to, exc=exc), retryable=False
            ) from exc
        try:
            if self.security == "ssl":
                client: smtplib.SMTP = smtplib.SMTP_SSL(
                    self.host, self.port, timeout=self.timeout, context=ssl.create_default_context()
                )
            else:
                client = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
            with client:
                if self.security == "starttls":
                    client.starttls(context=ssl.create_default_context())
                if self.username:
                    client.login(self.username, self.password or "")
                client.send_message(mail)
        except smtplib.SMTPRecipientsRefused as exc:
            raise DeliveryError(
                _("recipient refused: {recipients}").format(recipients=exc.recipients), retryable=False
            ) from exc
        except smtplib.SMTPResponseException as exc:
            raise DeliveryError(
                _("SMTP {smtp_code}: {smtp_error!r}").format(
                    smtp_code=exc.smtp_code, smtp_error=exc.smtp_error
                ),
                retryable=exc.smtp_code < 500,
            ) from exc
        except (OSError, smtplib.SMTPException) as exc:
            raise DeliveryError(
                _("SMTP {host}:{port}: {exc}").format(host=self.host, port=self.port, exc=exc), retryable=True
            ) from exc


@dataclass
class WebhookChannel:
    """A JSON POST signed with HMAC-SHA256 (for SMS gateways and 企业微信/钉钉 robots behind a relay).

    Headers: ``X-Jianyi-Signature: sha256=<hex of HMAC(secret, body)>`` and ``X-Jianyi-Key: <idempotency key>``.
    """

    secret: str
    timeout: float = 10.0
    name: str = "webhook"

    def body(self, message: Message) -> bytes:
        """The JSON body sent for ``message``."""
        data = {"key": message.key, "topic": message.topic, "subject": message.subject, "text": message.text}
        return json.dumps(data, ensure_ascii=False, sort_keys=True).encode("utf-8")

    def signature(self, body: bytes) -> str:
        """The signature header value for ``body``."""
        return "sha256=" + hmac.new(self.secret.encode("utf-8"), body, hashlib.sha256).hexdigest()

    def send(self, message: Message) -> None:
        """POST the message to its URL."""
        if not message.to.startswith(("http://", "https://")):
            raise DeliveryError(_("webhook URL {to!r} is not http(s)").format(to=message.to), retryable=False)
        body = self.body(message)
        headers = {"X-Jianyi-Signature": self.signature(body), "X-Jianyi-Key": message.key}
        http_post(message.to, body, headers, timeout=self.timeout, what="webhook")


def http_post(
    url: str,
    body: bytes,
    headers: dict[str, str] | None = None,
    *,
    timeout: float,
    what: str,
    content_type: str = "application/json; charset=utf-8",
) -> bytes:
    """POST ``body`` to ``url``; the response's body, or :class:`DeliveryError` (retryable on a network error, a
    timeout, 408, 429 and 5xx; not on a malformed URL or another 4xx)."""
    try:
        request = urllib.request.Request(  # noqa: S310  (the URL is a configured webhook, http or https)
            url, data=body, method="POST", headers={"Content-Type": content_type, **(headers or {})}
        )
    except ValueError as exc:  # a malformed URL ("http://[::1"): no later try will do better
        raise DeliveryError(
            _("{what} URL {url!r} is malformed: {exc}").format(what=what, url=url, exc=exc), retryable=False
        ) from exc
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
            return bytes(response.read())
    except urllib.error.HTTPError as exc:
        exc.close()  # the error is the response: let its connection go now
        retry = exc.code >= 500 or exc.code in (408, 429)
        raise DeliveryError(
            _("{what} {url}: HTTP {code}").format(what=what, url=url, code=exc.code), retryable=retry
        ) from exc
    except (OSError, urllib.error.URLError) as exc:
        raise DeliveryError(f"{what} {url}: {exc}", retryable=True) from exc


@dataclass
class FileChannel:
    """One file per notice in a directory (for offices without mail); a repeat overwrites the same file."""

    directory: Path
    name: str = "file"

    def send(self, message: Message) -> None:
        """Write ``<key>.txt`` (and ``.html`` when there is one)."""
        safe = "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in message.key)
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            for suffix, content in (
                (".txt", f"收件人：{message.to}\n主题：{message.subject}\n\n{message.text}"),
                (".html", message.html),
            ):
                if content is None:
                    continue
                target = self.directory / f"{safe}{suffix}"
                partial = target.with_suffix(suffix + ".part")
                partial.write_text(content, encoding="utf-8")
                partial.replace(target)
        except OSError as exc:
            raise DeliveryError(
                _("cannot write to {directory}: {strerror}").format(
                    directory=self.directory, strerror=exc.strerror
                ),
                retryable=True,
            ) from exc


@dataclass
class RecordingChannel:
    """Keeps what it is given (for tests); can be told to fail."""

    name: str = "recording"
    sent: list[Message] = field(default_factory=list)
    fail: DeliveryError | None = None

    def send(self, message: Message) -> None:
        """Record ``message``, or raise the configured failure."""
        if self.fail is not None:
            raise self.fail
        self.sent.append(message)
