"""Delivering the outbox: claim, render, send, settle; retries with backoff, dead letters, suppressions.

Each claimed notice goes to one channel chosen from its recipient's contacts: e-mail when the recipient (or,
for the office, the configured office address) has one and e-mail is configured, else the webhook, else the
file channel. A notice nobody can receive is *suppressed* with the reason recorded, never silently dropped. A
failed send is retried after 1, 2, 4, 8 … minutes (at most a day) and is *dead* after ``max_attempts``; dead
and suppressed notices stay visible and can be re-queued with ``jianyi outbox retry``.
"""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from notifications.channels import Channel, Message
from notifications.config import NotifyConfig
from notifications.errors import DeliveryError, TemplateProblem
from notifications.render import Renderer
from workflow import outbox
from workflow.engine import Engine

__all__ = ["DispatchReport", "Dispatcher"]


@dataclass
class DispatchReport:
    """What one dispatch pass did."""

    claimed: int = 0
    sent: int = 0
    failed: int = 0
    dead: int = 0
    suppressed: int = 0
    lost: int = 0  # leases another dispatcher took over meanwhile
    errors: list[str] = field(default_factory=list)


def backoff(attempts: int) -> timedelta:
    """How long to wait before the next try after ``attempts`` tries."""
    return timedelta(minutes=min(2 ** max(attempts - 1, 0), 24 * 60))


class Dispatcher:
    """Delivers outbox notices through the configured channels."""

    def __init__(
        self,
        engine: Engine,
        config: NotifyConfig,
        *,
        renderer: Renderer | None = None,
        owner: str | None = None,
    ) -> None:
        self.engine = engine
        self.config = config
        self.renderer = renderer or Renderer(config.templates)
        self.owner = owner or f"{socket.gethostname()}:{os.getpid()}"

    def _route(self, notice: outbox.Notice) -> tuple[Channel, str] | str:
        """The channel and address for a notice, or why it cannot be delivered."""
        channels = self.config.channels
        if notice.recipient_kind == "office":
            if self.config.office_email and "email" in channels:
                return channels["email"], self.config.office_email
            if "file" in channels:
                return channels["file"], self.config.office_name
            return "no office address: set office_email (with [notifications.smtp]) or a file channel"
        who = outbox.recipient(self.engine, notice.recipient_kind, notice.recipient_id)
        if who is None:
            return f"{notice.recipient_kind} {notice.recipient_id} no longer exists"
        if who.email and "email" in channels:
            return channels["email"], who.email
        if who.webhook and "webhook" in channels:
            return channels["webhook"], who.webhook
        if "file" in channels:
            return channels["file"], who.name
        return f"{who.kind} {who.name} has no address for the configured channels ({', '.join(channels) or 'none'})"

    def dispatch(self, *, now: datetime | None = None, limit: int = 100) -> DispatchReport:
        """One pass: claim up to ``limit`` notices and settle each."""
        moment = now or self.engine.clock.now()
        report = DispatchReport()
        zone = self.engine.active_ruleset().zone
        for notice in outbox.claim(self.engine, owner=self.owner, now=moment, limit=limit):
            report.claimed += 1
            route = self._route(notice)
            if isinstance(route, str):
                self._settle(notice, "suppressed", moment, report, reason=route)
                continue
            channel, address = route
            context = {
                "today": moment.astimezone(zone).date().isoformat(),
                "office": self.config.office_name,
                "recipient": address,
                **notice.payload,
            }
            try:
                rendered = self.renderer.render(notice.topic, context)
                channel.send(
                    Message(notice.key, address, rendered.subject, rendered.text, rendered.html, notice.topic)
                )
            except TemplateProblem as exc:  # a broken template will not heal by waiting
                self._settle(notice, "dead", moment, report, reason=str(exc), channel=channel.name)
            except DeliveryError as exc:
                if not exc.retryable or notice.attempts >= self.config.max_attempts:
                    self._settle(notice, "dead", moment, report, reason=str(exc), channel=channel.name)
                else:
                    self._settle(
                        notice,
                        "failed",
                        moment,
                        report,
                        reason=str(exc),
                        channel=channel.name,
                        retry_at=moment + backoff(notice.attempts),
                    )
            else:
                self._settle(notice, "sent", moment, report, channel=channel.name)
        return report

    def _settle(
        self,
        notice: outbox.Notice,
        status: str,
        now: datetime,
        report: DispatchReport,
        *,
        reason: str | None = None,
        channel: str | None = None,
        retry_at: datetime | None = None,
    ) -> None:
        kept = outbox.settle(
            self.engine,
            notice,
            owner=self.owner,
            status=status,
            now=now,
            reason=reason,
            channel=channel,
            retry_at=retry_at,
        )
        if not kept:
            report.lost += 1
            return
        setattr(report, status, getattr(report, status) + 1)
        if reason and status != "suppressed":
            report.errors.append(f"outbox {notice.id} ({notice.topic}): {reason}")
