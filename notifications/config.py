"""The notifications configuration: the ``[notifications]`` table of jianyi's TOML config file.

[notifications]
office_name = "市人大常委会代表工作委员会"
office_email = "office@example.org"
portal_url = "https://jianyi.example.org/"   # optional: where deputies reply (the feedback request names it)
max_attempts = 5              # then a notice is dead (visible, re-triable with `jianyi outbox retry`)
templates = "my-templates"    # an override directory (optional)
digest = false                # true: one daily digest per unit instead of single reminders
lease_seconds = 300           # a claimed notice not settled by then (its dispatcher died) is claimed again

[notifications.smtp]
host = "127.0.0.1"
port = 25
security = "plain"            # plain | starttls | ssl
sender = "jianyi@example.org"
username = "…"                # optional
password_env = "JIANYI_SMTP_PASSWORD"   # the password is read from this environment variable

[notifications.webhook]
secret_env = "JIANYI_WEBHOOK_SECRET"

[notifications.wecom]          # 企业微信 group robots: a unit's webhook address under this prefix
prefix = "https://qyapi.weixin.qq.com/"

[notifications.dingtalk]       # 钉钉 group robots, signed (加签) with the secret when one is set
prefix = "https://oapi.dingtalk.com/"
secret_env = "JIANYI_DINGTALK_SECRET"

[notifications.sms]            # an SMS gateway, for a unit or deputy with a phone number and no other address
url = "https://sms.example.org/send"
body = '{"mobile": {{ phone | tojson }}, "content": {{ subject | tojson }}}'
content_type = "application/json; charset=utf-8"
token_env = "JIANYI_SMS_TOKEN"  # optional: sent as "Authorization: Bearer <token>"

[notifications.file]
directory = "notices"
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from notifications.channels import Channel, EmailChannel, FileChannel, WebhookChannel
from notifications.errors import ConfigError
from notifications.robots import (
    DINGTALK_PREFIX,
    WECOM_PREFIX,
    DingTalkChannel,
    SmsGatewayChannel,
    WeComChannel,
)
from rules.i18n import _

__all__ = ["NotifyConfig"]

_KNOWN = {
    "office_name",
    "office_email",
    "portal_url",
    "max_attempts",
    "lease_seconds",
    "templates",
    "digest",
    "smtp",
    "webhook",
    "file",
    "wecom",
    "dingtalk",
    "sms",
}


@dataclass
class NotifyConfig:
    """What the dispatcher needs to know."""

    office_name: str = "代表工作机构"
    office_email: str | None = None
    portal_url: str | None = None  # where deputies give feedback online; without it, the paper 征询意见表
    max_attempts: int = 5
    lease_seconds: float = 300.0
    templates: Path | None = None
    digest: bool = False
    channels: dict[str, Channel] = field(default_factory=dict)

    @classmethod
    def from_mapping(cls, data: dict[str, Any], *, base: Path | None = None) -> NotifyConfig:
        """Build from the ``[notifications]`` table; every problem is named."""
        unknown = sorted(set(data) - _KNOWN)
        if unknown:
            raise ConfigError(_("[notifications]: unknown key(s) {names}").format(names=", ".join(unknown)))
        channels: dict[str, Channel] = {}
        smtp = data.get("smtp")
        if smtp is not None:
            _only(smtp, "smtp", {"host", "port", "sender", "security", "username", "password_env", "timeout"})
            try:
                password = None
                if "password_env" in smtp:
                    password = os.environ.get(smtp["password_env"])
                    if password is None:
                        raise ConfigError(
                            _(
                                "[notifications.smtp] password_env: the variable {password_env} is not set; set it in the environment of jianyi (or remove password_env for no login)"
                            ).format(password_env=smtp["password_env"])
                        )
                security = smtp.get("security", "plain")
                if security not in ("plain", "starttls", "ssl"):
                    raise ConfigError(
                        _("[notifications.smtp] security {security!r}: use plain, starttls or ssl").format(
                            security=security
                        )
                    )
                channels["email"] = EmailChannel(
                    host=str(smtp["host"]),
                    port=int(_positive(smtp.get("port", 25), "smtp.port", _("a port number"))),
                    sender=str(smtp.get("sender", "jianyi@localhost")),
                    security=security,
                    username=smtp.get("username"),
                    password=password,
                    timeout=_positive(smtp.get("timeout", 10), "smtp.timeout"),
                )
            except KeyError as exc:
                raise ConfigError(_("[notifications.smtp] needs {value}").format(value=exc.args[0])) from None
        hook = data.get("webhook")
        if hook is not None:
            _only(hook, "webhook", {"secret_env", "secret", "timeout"})
            secret = os.environ.get(hook.get("secret_env", "JIANYI_WEBHOOK_SECRET")) or hook.get("secret")
            if not secret:
                raise ConfigError(_("[notifications.webhook] needs a secret (secret_env names its variable)"))
            channels["webhook"] = WebhookChannel(
                secret=secret, timeout=_positive(hook.get("timeout", 10), "webhook.timeout")
            )
        wecom = data.get("wecom")
        if wecom is not None:
            _only(wecom, "wecom", {"prefix", "timeout"})
            channels["wecom"] = WeComChannel(
                prefix=_prefix(wecom.get("prefix", WECOM_PREFIX), "wecom"),
                timeout=_positive(wecom.get("timeout", 10), "wecom.timeout"),
            )
        ding = data.get("dingtalk")
        if ding is not None:
            _only(ding, "dingtalk", {"prefix", "secret_env", "timeout"})
            secret = None
            if "secret_env" in ding:
                secret = os.environ.get(ding["secret_env"])
                if not secret:
                    raise ConfigError(
                        _(
                            "[notifications.dingtalk] secret_env: the variable {secret_env} is not set; set it (the robot's 加签 secret, SEC…) or remove secret_env for an unsigned robot"
                        ).format(secret_env=ding["secret_env"])
                    )
            channels["dingtalk"] = DingTalkChannel(
                secret=secret,
                prefix=_prefix(ding.get("prefix", DINGTALK_PREFIX), "dingtalk"),
                timeout=_positive(ding.get("timeout", 10), "dingtalk.timeout"),
            )
        sms = data.get("sms")
        if sms is not None:
            _only(sms, "sms", {"url", "body", "content_type", "token_env", "timeout"})
            if "url" not in sms or "body" not in sms:
                raise ConfigError(_("[notifications.sms] needs url and body (a template of phone and text)"))
            headers = {}
            if "token_env" in sms:
                token = os.environ.get(sms["token_env"])
                if not token:
                    raise ConfigError(
                        _("[notifications.sms] token_env: the variable {token_env} is not set").format(
                            token_env=sms["token_env"]
                        )
                    )
                headers["Authorization"] = f"Bearer {token}"
            channels["sms"] = SmsGatewayChannel(
                url=str(sms["url"]),
                body=str(sms["body"]),
                content_type=str(sms.get("content_type", "application/json; charset=utf-8")),
                headers=headers,
                timeout=_positive(sms.get("timeout", 10), "sms.timeout"),
            )
        files = data.get("file")
        if files is not None:
            _only(files, "file", {"directory"})
            directory = Path(files.get("directory", "notices"))
            channels["file"] = FileChannel(
                directory if directory.is_absolute() or base is None else base / directory
            )
        templates = None if not data.get("templates") else Path(data["templates"])
        if templates is not None and not templates.is_absolute() and base is not None:
            templates = base / templates  # like every path of the file: from its own folder
        return cls(
            office_name=str(data.get("office_name", cls.office_name)),
            office_email=data.get("office_email"),
            portal_url=_url(data.get("portal_url")),
            max_attempts=int(
                _positive(data.get("max_attempts", 5), "max_attempts", _("a whole number, 1 or more"))
            ),
            lease_seconds=_positive(data.get("lease_seconds", 300), "lease_seconds"),
            templates=templates,
            digest=_flag(data.get("digest", False), "digest"),
            channels=channels,
        )


def _prefix(value: Any, name: str) -> str:
    if not isinstance(value, str) or not value.startswith(("http://", "https://")):
        raise ConfigError(
            _("[notifications.{name}] prefix = {value!r}: use the start of an http(s) address").format(
                name=name, value=value
            )
        )
    return value


def _url(value: Any) -> str | None:
    if value is None or value == "":
        return None
    if not isinstance(value, str) or not value.startswith(("http://", "https://")):
        raise ConfigError(
            _("[notifications] portal_url = {value!r}: use an http(s) address").format(value=value)
        )
    return value


def _flag(value: Any, name: str) -> bool:
    if not isinstance(value, bool):
        raise ConfigError(
            _("[notifications] {name} = {value!r}: use true or false").format(name=name, value=value)
        )
    return value


def _positive(value: Any, name: str, what: str | None = None) -> float:
    """``value`` as a positive number: of seconds, or a whole one when ``what`` says what it is."""
    whole = what is not None
    if (
        isinstance(value, bool)
        or not isinstance(value, int | float)
        or value <= 0
        or (whole and not float(value).is_integer())
    ):
        raise ConfigError(
            _("[notifications] {name} = {value!r}: use {what}").format(
                name=name, value=value, what=what or _("a positive number of seconds")
            )
        )
    return float(value)


def _only(table: Any, name: str, known: set[str]) -> None:
    """Refuse a sub-table that is not a table, or that has keys jianyi does not read (a typo would be ignored)."""
    if not isinstance(table, dict):
        raise ConfigError(_("[notifications.{name}] must be a table").format(name=name))
    unknown = sorted(set(table) - known)
    if unknown:
        raise ConfigError(
            _("[notifications.{name}]: unknown key(s) {names} (known: {names2})").format(
                name=name, names=", ".join(unknown), names2=", ".join(sorted(known))
            )
        )
