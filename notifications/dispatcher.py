"""Delivering the outbox: claim, render, send, settle; retries with backoff, dead letters, suppressions.

Each claimed notice goes to one channel chosen from its recipient's contacts: e-mail when the recipient (or,
for the office, the configured office address) has one and e-mail is configured, else its webhook (through the
企业微信 or 钉钉 robot channel when the address is one of theirs, else the signed webhook), else its phone
through the SMS gateway, else the file channel. A notice nobody can receive is *suppressed* with the reason
recorded, never silently dropped. Every notice greets its recipient by name (:func:`notice_context`).

Outside working hours on the rule set's working days a notice not marked urgent is held (``pending``, with the
reason and the time it is held until). With ``digest = true`` a unit's reminders, overdue reminders and
promise reminders are folded into one daily digest per unit and day (``digested``, naming the digest); what
comes later that day waits for the next working day's digest. A ladder step's notice whose deadline was met or
cancelled meanwhile is suppressed with that reason.

A failed send is retried after 1, 2, 4, 8 … minutes (at most a day) and is *dead* after ``max_attempts``;
dead and suppressed notices stay visible and can be re-queued with ``jianyi outbox retry``.
"""

from __future__ import annotations

import os
import socket
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from notifications.channels import Channel, Message
from notifications.config import NotifyConfig
from notifications.errors import DeliveryError, TemplateProblem
from notifications.render import KIND_LABELS, Renderer
from rules import RuleSet
from rules.i18n import _
from workflow.core.clock import not_future
from workflow.core.errors import ValidationError
from workflow.engine import Engine
from workflow.store import outbox

__all__ = ["DIGEST_TOPICS", "DispatchReport", "Dispatcher", "notice_context", "summary"]

DIGEST_TOPICS = frozenset({"reminder_before_due", "overdue_reminder", "promise_reminder"})


@dataclass
class DispatchReport:
    """What one dispatch pass did."""

    claimed: int = 0
    sent: int = 0
    failed: int = 0
    dead: int = 0
    suppressed: int = 0
    deferred: int = 0  # held for working hours or the next digest
    digested: int = 0  # folded into a daily digest
    digests: int = 0  # daily digests written
    lost: int = 0  # leases another dispatcher took over meanwhile
    errors: list[str] = field(default_factory=list)

    def summary(self) -> str:
        """The counts in one line, then each error on a line of its own."""
        line = _(
            "{claimed} claimed: {sent} sent, {failed} to retry, {dead} dead, "
            "{suppressed} suppressed, {deferred} held, {digested} in {digests} digest(s)"
        ).format(
            claimed=self.claimed,
            sent=self.sent,
            failed=self.failed,
            dead=self.dead,
            suppressed=self.suppressed,
            deferred=self.deferred,
            digested=self.digested,
            digests=self.digests,
        )
        return line + "".join(f"\n  {e}" for e in self.errors)


def _local(instant: datetime, rs: RuleSet) -> str:
    return instant.astimezone(rs.zone).strftime("%Y-%m-%d %H:%M")


SUMMARY_CHARS = 200  # how much of an answer a feedback request quotes


def summary(text: str, limit: int = SUMMARY_CHARS) -> str:
    """``text`` on one line, cut to ``limit`` characters with an ellipsis."""
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def notice_context(
    notice: outbox.Notice,
    *,
    office: str,
    portal_url: str | None = None,
    today: date | None = None,
    classes: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """A notice's template values: its payload; ``recipient``, whom it greets by name (a unit's or deputy's name,
    the office's name), never an address; ``recipient_kind``; and ``copy_for``, the owing unit's name when the
    notice is a copy (the office's, a main unit's about its co-unit, a superior organ's), else None."""
    payload = notice.payload
    if notice.recipient_kind == "office":
        name = office
    else:
        name = notice.recipient_name or (notice.recipient.name if notice.recipient else None) or ""
    owing = payload.get("unit") if payload.get("deadline_id") is not None else None
    copy_for = (
        owing
        if owing
        and (notice.recipient_kind == "office" or (notice.recipient_kind == "unit" and name != owing))
        else None
    )
    category = str(payload.get("category") or "")
    return {
        "office": office,
        "portal_url": portal_url,
        "category_label": (classes or {}).get(category, ""),
        "answer_unit": "",
        "answer_summary": "",
        **({"today": today.isoformat()} if today is not None else {}),
        "kind_label": KIND_LABELS.get(str(payload.get("kind", "")), ""),
        **payload,
        "recipient": name,
        "recipient_kind": notice.recipient_kind,
        "copy_for": copy_for,
    }


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
        self.stopping = threading.Event()  # set: finish the current notice, give the rest back, return

    def _route(self, notice: outbox.Notice) -> tuple[Channel, str] | str:
        """The channel and address for a notice, or why it cannot be delivered."""
        channels = self.config.channels
        if notice.recipient_kind == "office":
            if self.config.office_email and "email" in channels:
                return channels["email"], self.config.office_email
            if "file" in channels:
                return channels["file"], self.config.office_name
            return _("no office address: set office_email (with [notifications.smtp]) or a file channel")
        who = notice.recipient
        if who is None:
            return _("{kind} {id} no longer exists").format(
                kind=notice.recipient_kind, id=notice.recipient_id
            )
        if who.email and "email" in channels:
            return channels["email"], who.email
        if who.webhook:
            robot = next(
                (
                    channels[name]
                    for name in ("wecom", "dingtalk")
                    if name in channels and getattr(channels[name], "accepts", lambda _: False)(who.webhook)
                ),
                None,
            )
            if robot is not None:
                return robot, who.webhook
            if "webhook" in channels:
                return channels["webhook"], who.webhook
        if who.phone and "sms" in channels:
            return channels["sms"], who.phone
        if "file" in channels:
            return channels["file"], who.name
        return _("{kind} {name} has no address for the configured channels ({channels})").format(
            kind=who.kind, name=who.name, channels=", ".join(channels) or _("none")
        )

    def dispatch(self, *, now: datetime | None = None, limit: int = 100, rounds: int = 50) -> DispatchReport:
        """Claim and settle notices, ``limit`` at a time, until none is ready (at most ``rounds`` claims). The
        office's: the notices are every case's."""
        self.engine.require_office("outbox dispatch")
        rs = self.engine.active_ruleset()
        moment = self.engine.clock.now()
        if now is not None:  # a notice is sent when it is sent: a later "now" would date it falsely
            hint = _("notices go out at the time they are sent; leave --now out")
            moment = not_future(now, moment, what="now", zone=rs.zone, hint=hint)
        report = DispatchReport()
        for _round in range(rounds):
            if self.stopping.is_set():
                break
            if now is None:  # leases run from the real time of each claim, however long the pass has taken
                moment = self.engine.clock.now()
            claimed = outbox.claim(
                self.engine,
                owner=self.owner,
                now=moment,
                limit=limit,
                lease=timedelta(seconds=self.config.lease_seconds),
            )
            if not claimed:
                break
            report.claimed += len(claimed)
            digests: dict[tuple[str, int | None], list[outbox.Notice]] = {}
            for notice in claimed:
                if self.stopping.is_set():
                    self._defer(notice, moment, "the dispatcher stopped before sending it", report)
                elif not notice.payload.get("urgent") and not rs.is_sending_time(moment):
                    until = rs.next_sending_time(moment)
                    self._defer(notice, until, f"quiet hours: held until {_local(until, rs)}", report)
                elif self.config.digest and notice.recipient_kind == "unit" and notice.topic in DIGEST_TOPICS:
                    digests.setdefault((notice.recipient_kind, notice.recipient_id), []).append(notice)
                else:
                    self._deliver(notice, moment, rs, report)
            for notices in digests.values():
                self._fold(notices, moment, rs, report)
        return report

    def context(self, notice: outbox.Notice, moment: datetime, rs: RuleSet) -> dict[str, Any]:
        """What a notice's template is rendered with: its payload, and whom it greets, by name."""
        values = notice_context(
            notice,
            office=self.config.office_name,
            portal_url=self.config.portal_url,
            today=moment.astimezone(rs.zone).date(),
            classes=rs.classes,
        )
        if notice.topic == "feedback_request" and notice.case_id is not None:
            answer = outbox.latest_answers(self.engine, [notice.case_id]).get(notice.case_id)
            if answer is not None:
                values.update(answer_unit=answer.unit, answer_summary=summary(answer.text))
        return values

    def _deliver(self, notice: outbox.Notice, moment: datetime, rs: RuleSet, report: DispatchReport) -> None:
        if notice.stale is not None:
            self._settle(notice, "suppressed", moment, report, reason=notice.stale)
            return
        route = self._route(notice)
        if isinstance(route, str):
            self._settle(notice, "suppressed", moment, report, reason=route)
            return
        channel, address = route
        context = self.context(notice, moment, rs)
        try:
            rendered = self.renderer.render(notice.topic, context)
            channel.send(
                Message(notice.key, address, rendered.subject, rendered.text, rendered.html, notice.topic)
            )
        except TemplateProblem as exc:  # a broken template will not heal by waiting
            self._settle(notice, "dead", moment, report, reason=str(exc), channel=channel.name)
        except Exception as exc:  # whatever one notice meets is that notice's, never the batch's
            # a delivery error says whether waiting may help; anything else (a channel's own fault) is tried
            # again with backoff until max_attempts, then dead, with its reason
            failure = (
                exc
                if isinstance(exc, DeliveryError)
                else DeliveryError(f"{type(exc).__name__}: {exc}", retryable=True)
            )
            if not failure.retryable or notice.attempts >= self.config.max_attempts:
                self._settle(notice, "dead", moment, report, reason=str(failure), channel=channel.name)
            else:
                self._settle(
                    notice,
                    "failed",
                    moment,
                    report,
                    reason=str(failure),
                    channel=channel.name,
                    retry_at=moment + backoff(notice.attempts),
                )
        else:
            self._settle(notice, "sent", moment, report, channel=channel.name)

    def _fold(
        self, notices: list[outbox.Notice], moment: datetime, rs: RuleSet, report: DispatchReport
    ) -> None:
        """One recipient's digestible notices become today's digest, or wait for tomorrow's."""
        first = notices[0]
        day = moment.astimezone(rs.zone).date()
        key = f"digest:{first.recipient_kind}:{first.recipient_id}:{day.isoformat()}"
        items = [
            {
                "session": n.payload.get("session", ""),
                "number": n.payload.get("number", ""),
                "title": n.payload.get("title", ""),
                "kind_label": KIND_LABELS.get(str(n.payload.get("kind", "")), ""),
                "step": n.payload.get("step", ""),
                "due": n.payload.get("due", ""),
                "overdue": int(n.payload.get("working_days_late") or 0) > 0,
            }
            for n in notices
        ]
        try:
            digest = outbox.fold(
                self.engine, notices, owner=self.owner, key=key, payload={"items": items}, now=moment
            )
        except outbox.LeaseLost:
            report.lost += len(notices)
            return
        except (
            ValidationError
        ):  # the digest's unique key: another dispatcher wrote today's at the same moment
            digest = None
        if digest is None:
            until = rs.local_instant(
                rs.work_calendar.next_working_day(day + timedelta(days=1)), rs.notices.work_start
            )
            for notice in notices:
                self._defer(
                    notice,
                    until,
                    f"today's digest for this recipient went out: held until {_local(until, rs)}",
                    report,
                )
            return
        report.digested += len(notices)
        report.digests += 1

    def _defer(self, notice: outbox.Notice, until: datetime, reason: str, report: DispatchReport) -> None:
        if outbox.defer(self.engine, notice, owner=self.owner, until=until, reason=reason):
            report.deferred += 1
        else:
            report.lost += 1

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
