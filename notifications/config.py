"""The notifications configuration: the ``[notifications]`` table of jianyi's TOML config file.

[notifications]
office_name = "市人大常委会代表工作委员会"
office_email = "office@example.org"
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

__all__ = ["NotifyConfig"]

_KNOWN = {
    "office_name",
    "office_email",
    "max_attempts",
    "lease_seconds",
    "templates",
    "digest",
    "smtp",
    "webhook",
    "file",
}


@dataclass
class NotifyConfig:
    """What the dispatcher needs to know."""

    office_name: str = "代表工作机构"
    office_email: str | None = None
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
            raise ConfigError(f"[notifications]: unknown key(s) {', '.join(unknown)}")
        channels: dict[str, Channel] = {}
        smtp = data.get("smtp")
        if smtp is not None:
            try:
                password = os.environ.get(smtp["password_env"]) if "password_env" in smtp else None
                security = smtp.get("security", "plain")
                if security not in ("plain", "starttls", "ssl"):
                    raise ConfigError(
                        f"[notifications.smtp] security {security!r}: use plain, starttls or ssl"
                    )
                channels["email"] = EmailChannel(
                    host=str(smtp["host"]),
                    port=int(smtp.get("port", 25)),
                    sender=str(smtp.get("sender", "jianyi@localhost")),
                    security=security,
                    username=smtp.get("username"),
                    password=password,
                    timeout=float(smtp.get("timeout", 10)),
                )
            except KeyError as exc:
                raise ConfigError(f"[notifications.smtp] needs {exc.args[0]}") from None
        hook = data.get("webhook")
        if hook is not None:
            secret = os.environ.get(hook.get("secret_env", "JIANYI_WEBHOOK_SECRET")) or hook.get("secret")
            if not secret:
                raise ConfigError("[notifications.webhook] needs a secret (secret_env names its variable)")
            channels["webhook"] = WebhookChannel(secret=secret, timeout=float(hook.get("timeout", 10)))
        files = data.get("file")
        if files is not None:
            directory = Path(files.get("directory", "notices"))
            channels["file"] = FileChannel(
                directory if directory.is_absolute() or base is None else base / directory
            )
        templates = data.get("templates")
        return cls(
            office_name=str(data.get("office_name", cls.office_name)),
            office_email=data.get("office_email"),
            max_attempts=int(data.get("max_attempts", 5)),
            lease_seconds=_positive(data.get("lease_seconds", 300), "lease_seconds"),
            templates=Path(templates) if templates else None,
            digest=_flag(data.get("digest", False), "digest"),
            channels=channels,
        )


def _flag(value: Any, name: str) -> bool:
    if not isinstance(value, bool):
        raise ConfigError(f"[notifications] {name} = {value!r}: use true or false")
    return value


def _positive(value: Any, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
        raise ConfigError(f"[notifications] {name} = {value!r}: use a positive number of seconds")
    return float(value)
