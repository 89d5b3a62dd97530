"""Notices: rendering and delivering what the workflow engine writes to its outbox.

The engine writes every notice (assignment, feedback request, re-handling, withdrawal, return requests) as
an outbox row inside the transaction that caused it; this package renders the Chinese templates, greeting
each recipient by name, and delivers them by e-mail, signed webhook, 企业微信 or 钉钉 group robot, SMS gateway
or file, at least once, with retries and dead letters, in working hours, optionally folded into daily
digests. The reminder daemon runs the workflow's sweep (escalation ladders) and
the dispatcher on a clock.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rules._lazy import lazy_exports

if TYPE_CHECKING:
    from notifications.channels import (
        Channel,
        EmailChannel,
        FileChannel,
        Message,
        RecordingChannel,
        WebhookChannel,
        message_id,
    )
    from notifications.config import NotifyConfig
    from notifications.daemon import ReminderDaemon, RunReport, run_once
    from notifications.dispatcher import Dispatcher, DispatchReport, backoff
    from notifications.errors import ConfigError, DeliveryError, NotificationError, TemplateProblem
    from notifications.render import Rendered, Renderer
    from notifications.robots import DingTalkChannel, SmsGatewayChannel, WeComChannel

__all__ = [
    "Channel",
    "ConfigError",
    "DeliveryError",
    "DingTalkChannel",
    "DispatchReport",
    "Dispatcher",
    "EmailChannel",
    "FileChannel",
    "Message",
    "NotificationError",
    "NotifyConfig",
    "RecordingChannel",
    "ReminderDaemon",
    "Rendered",
    "Renderer",
    "RunReport",
    "SmsGatewayChannel",
    "TemplateProblem",
    "WeComChannel",
    "WebhookChannel",
    "backoff",
    "message_id",
    "run_once",
]

_WHERE = {
    "Channel": "notifications.channels",
    "ConfigError": "notifications.errors",
    "DeliveryError": "notifications.errors",
    "DispatchReport": "notifications.dispatcher",
    "Dispatcher": "notifications.dispatcher",
    "EmailChannel": "notifications.channels",
    "FileChannel": "notifications.channels",
    "Message": "notifications.channels",
    "NotificationError": "notifications.errors",
    "NotifyConfig": "notifications.config",
    "RecordingChannel": "notifications.channels",
    "Rendered": "notifications.render",
    "Renderer": "notifications.render",
    "TemplateProblem": "notifications.errors",
    "WebhookChannel": "notifications.channels",
    "WeComChannel": "notifications.robots",
    "DingTalkChannel": "notifications.robots",
    "SmsGatewayChannel": "notifications.robots",
    "backoff": "notifications.dispatcher",
    "message_id": "notifications.channels",
    "ReminderDaemon": "notifications.daemon",
    "RunReport": "notifications.daemon",
    "run_once": "notifications.daemon",
}


__getattr__, __dir__ = lazy_exports(__name__, _WHERE, __all__)
