"""Plain text for people at a terminal: cases, changes, histories, deadlines, rule sets, notices, sweeps,
calendars.

Pure functions of the view objects (:mod:`workflow.core.views` and their kin) and, where a time is shown or
judged, the rule set's zone and ``now``. Columns are padded by terminal width, a CJK character taking two.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime, tzinfo
from typing import TYPE_CHECKING

import rules
from rules.i18n import _, language
from workflow.core.errors import visible
from workflow.core.states import action_word, actor_word, state_word
from workflow.core.text import display_width

if TYPE_CHECKING:
    from rules import DayInfo, RuleSet
    from workflow.core.views import (
        Change,
        DeadlineExplained,
        DeadlineInfo,
        HistoryEntry,
    )
    from workflow.recompute import RecomputeReport
    from workflow.store.directory_changes import DirectoryEdit
    from workflow.store.outbox import Notice
    from workflow.sweep import ForecastItem, SweepReport

__all__ = [
    "NOTICE_STATUS",
    "NOTICE_TOPICS",
    "change_text",
    "deadline_line",
    "deadlines_text",
    "forecast_text",
    "history_text",
    "local_time",
    "month_text",
    "notice_line",
    "notice_text",
    "pad",
    "recompute_text",
    "ruleset_text",
    "sweep_text",
]


def pad(text: str, width: int) -> str:
    """``text`` padded to ``width`` terminal columns, with at least one space after it."""
    return text + " " * max(1, width - display_width(text))


def local_time(value: datetime | None, zone: tzinfo) -> str:
    """``2026-07-01 10:00`` in ``zone``; ``-`` for no time."""
    if value is None:
        return "-"
    return value.astimezone(zone).strftime("%Y-%m-%d %H:%M")


def deadline_line(d: DeadlineInfo, now: datetime) -> str:
    """One deadline, indented under its case: kind, who owes it, due date and how it stands at ``now``."""
    if d.status == "met":
        status = _("met late (逾期办结)") if d.late else _("met on time")
    elif d.status == "open" and d.overdue(now):
        status = _("OVERDUE (逾期)")
    elif d.status == "open" and now >= d.due_at:
        status = _("window closed")
    else:
        status = {"open": _("open"), "cancelled": _("cancelled"), "missed": _("missed")}.get(
            d.status, d.status
        )
    flag = _("  provisional (未载入官方节假日安排)") if d.provisional else ""
    due = _("due {due}").format(due=d.due)
    who = d.unit or _("代表 (deputy)")
    return f"    {pad(_kind(d.kind), 14)}{pad(who, 16)}{due}  {status}{flag}"


def _kind(kind: str) -> str:
    """A deadline's kind in the current language: the offices' word (答复, 退办期) in Chinese."""
    from workflow.reporting.dossier import KIND_LABELS  # here: the dossier's imports would slow --help

    return kind if language() == "en" else KIND_LABELS.get(kind, kind)


def change_text(change: Change) -> str:
    """One line for what an action committed: each step, the new state and version."""
    steps = _("; ").join(
        _("{action}: {before} → {after}").format(
            action=action_word(e.action), before=state_word(str(e.from_state)), after=state_word(e.to_state)
        )
        if e.from_state != e.to_state
        else _("{action} recorded").format(action=action_word(e.action))
        for e in change.events
    )
    message = _("建议 {case}: {steps} (now {state}, version {version})")
    return message.format(
        case=f"{change.session}/{change.number}",
        steps=steps,
        state=state_word(change.state),
        version=change.version,
    )


def history_text(rows: Sequence[HistoryEntry], zone: tzinfo) -> str:
    """``jianyi history``: one line per audit event (an amendment with a line per changed value, old → new)."""
    return "\n".join(
        f"#{h.seq:<3} {local_time(h.at, zone)}  {pad(actor_word(h.actor), 24)}{pad(action_word(h.action), 14)}"
        f"{state_word(h.from_state) if h.from_state else '-'} → {state_word(h.to_state)}"
        + (_("  (superseded by #{seq})").format(seq=h.superseded_by) if h.superseded_by is not None else "")
        + _amended(h)
        + (f"  (录入 {h.data['entered_by']})" if h.data.get("entered_by") else "")
        for h in rows
    )


def _amended(entry: HistoryEntry) -> str:
    """An amendment's changes, one indented line each (a long text shortened), and its reason."""
    changed = entry.data.get("changed") if entry.action == "amend" else None
    if not isinstance(changed, dict):
        return ""
    lines = [
        f"\n       {column}: {_shown(change.get('from'))} → {_shown(change.get('to'))}"
        for column, change in changed.items()
    ]
    return (
        "".join(lines)
        + "\n       "
        + _("reason: {reason}").format(reason=visible(str(entry.data.get("reason", ""))))
    )


def _shown(value: object, limit: int = 60) -> str:
    """A value of an amendment as one line: a text quoted (shortened past ``limit``), a flag yes/no, none -."""
    if value is None:
        return "-"
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    text = visible(str(value))
    return "'" + (text if len(text) <= limit else text[: limit - 1] + "…") + "'"


def directory_history_text(name: str, rows: Sequence[DirectoryEdit], zone: tzinfo) -> str:
    """``jianyi unit history`` / ``deputy history``: one line per edit, old → new."""
    if not rows:
        return _("{name}: no edits").format(name=visible(name))
    return "\n".join(
        f"#{r.seq:<3} {local_time(r.at, zone)}  {pad(visible(r.actor), 24)}{r.field:<10} "
        f"{_shown(r.old)} → {_shown(r.new)}"
        for r in rows
    )


def deadlines_text(number: str, rows: Sequence[DeadlineExplained], now: datetime, *, explain: bool) -> str:
    """``jianyi deadlines``: each deadline of case ``number``; with ``explain``, how it was computed."""
    if not rows:
        return _("建议 {case} has no deadlines (not assigned yet)").format(case=number)
    out = []
    for r in rows:
        out.append(deadline_line(r.deadline, now).strip())
        if explain:
            d = r.deadline
            out.append(
                "    " + _("rule: {rule} ({ruleset})").format(rule=_rule_words(r.rule), ruleset=r.ruleset)
            )
            if r.basis:
                out.append("    " + _("basis: {basis}").format(basis=r.basis))
            out.append(
                "    "
                + _("start: {start} (not counted)   raw end: {raw}   due: {due} = {at}").format(
                    start=d.start, raw=d.raw_due, due=r.due_local, at=d.due_at.isoformat()
                )
            )
            if d.roll_reason:
                out.append("    " + _("rolled: {reason}").format(reason=d.roll_reason))
            if d.provisional:
                years = ", ".join(map(str, r.provisional_years))
                out.append(
                    "    "
                    + _(
                        "provisional: no official holiday schedule loaded for {years} (`jianyi calendar load FILE`)"
                    ).format(years=years)
                )
    return "\n".join(out)


# who owes a deadline and what meets it, as `rules show` says them in Chinese
_RULE_WORDS = {
    "return (退办申请)": "退办申请",
    "promise kept (B→A)": "承诺兑现（B→A）",
    "each assigned unit": "每个承办单位",
    "each co-unit": "每个会办单位",
    "the main unit, or each split unit": "主办单位，或每个分办单位",
    "the lead deputy": "领衔代表",
    "the main or split units": "主办或分办单位",
    "the answering unit": "答复单位",
    "assigned": "交办",
    "answered": "答复",
    "rehandled": "重新交办",
    "received": "签收",
    "re_answer_again": "再次重新答复",
}
_RATING_WORDS = {"satisfied": "满意", "basic": "基本满意", "unsatisfied": "不满意"}


def _rule_words(rule: str) -> str:
    """A deadline's rule (``3 months from assigned``, as JSON carries it) in the offices' words in Chinese."""
    found = re.fullmatch(r"(\d+) (working days|days|months) from (\w+)", rule)
    if found is None or language() == "en":
        return rule
    amount, unit, start = found.groups()
    units = {"days": _("day(s)"), "working days": _("working day(s)"), "months": _("month(s)")}
    return _("{amount} {unit} from {start}").format(
        amount=amount, unit=units[unit], start=_RULE_WORDS.get(start, start)
    )


def ruleset_text(rs: RuleSet) -> str:
    """``jianyi rules show``: each deadline with its basis, lifecycle settings, classes, calendar, ladders."""
    effective = _(", effective {date}").format(date=rs.effective) if rs.effective else ""
    lines = [
        f"{rs.id}@{rs.version}  {rs.name}  "
        + _("(zone {zone}{effective})").format(zone=rs.timezone, effective=effective)
    ]
    chinese = language() != "en"
    units = {"days": _("day(s)"), "working_days": _("working day(s)"), "months": _("month(s)")}
    for kind, info in rules.KINDS.items():
        rule = rs.deadlines.get(kind)
        if rule is None or not rule.enabled:
            lines.append(f"  {pad(_kind(kind.value), 14)}" + _("not applied"))
            continue
        unit = units.get(rule.unit.value, rule.unit.value) if chinese else rule.unit.value
        length = (
            _("the promised date")
            if kind.value == "promise"
            else _("{amount} {unit}").format(amount=rule.amount, unit=unit)
        )
        if rule.complex_amount:
            length += _(" ({amount} when complex)").format(amount=rule.complex_amount)
        lines.append(
            f"  {pad(_kind(kind.value), 14)}"
            + _("{length} from {start}; met by {met_by}; owed by {owed_by}").format(
                length=length,
                start=_RULE_WORDS.get(rs.start_event(kind), rs.start_event(kind))
                if chinese
                else rs.start_event(kind),
                met_by=_RULE_WORDS.get(info.met_by, action_word(info.met_by)) if chinese else info.met_by,
                owed_by=_RULE_WORDS.get(info.owed_by, info.owed_by) if chinese else info.owed_by,
            )
        )
        if rule.basis:
            lines.append(f"  {'':<14}" + _("basis: {basis}").format(basis=rule.basis))
    life = rs.lifecycle
    lines.append(
        "  "
        + _(
            "lifecycle: close on {close}; re-handle on {rehandle}; 基本满意 counts as satisfied: {basic}"
        ).format(
            close=_(", ").join(_RATING_WORDS.get(r, r) if chinese else r for r in life.auto_close_on) or "-",
            rehandle=_(", ").join(_RATING_WORDS.get(r, r) if chinese else r for r in life.auto_rehandle_on)
            or "-",
            basic=_("yes") if life.basic_counts_as_satisfied else _("no"),
        )
    )
    lines.append(
        "  " + _("classes: {classes}").format(classes=_("; ").join(f"{c} {m}" for c, m in rs.classes.items()))
    )
    years = sorted(set(rs.calendar.official_years) | set(rs.calendar.schedules))
    span = f"{years[0]}–{years[-1]}" if years else _("none")
    lines.append(
        "  "
        + _("calendar: official schedules {span}; roll to working day: {roll}").format(
            span=span, roll=_("yes") if rs.calendar.roll_to_working_day else _("no")
        )
    )
    for key, ladder in rs.ladders.items():
        steps = _(", ").join(f"{st.offset:+d} {st.label or action_word(st.action)}" for st in ladder.steps)
        name = _RULE_WORDS.get(key, _kind(key)) if chinese else key
        lines.append("  " + _("ladder {key}: {steps}").format(key=name, steps=steps))
    return "\n".join(lines)


def recompute_text(report: RecomputeReport) -> str:
    """What a recomputation of open deadlines changed, with the moves it lists."""
    text = _(
        "{checked} checked, {changed} changed, {moved} deadline(s) moved, {cancelled} cancelled, "
        "{provisional} still provisional"
    ).format(
        checked=report.cases_checked,
        changed=report.cases_changed,
        moved=report.deadlines_moved,
        cancelled=report.deadlines_cancelled,
        provisional=report.still_provisional,
    )
    moves = "".join(
        f"\n  {m['number']} {_kind(str(m['kind']))}: {m['from']} → {m['to'] or _('cancelled')}"
        for m in report.moves
    )
    return text + moves


# an outbox notice's status and topic in the offices' words (the codes stay in JSON and in English)
NOTICE_STATUS = {
    "pending": "待发送",
    "sending": "发送中",
    "sent": "已发送",
    "failed": "失败待重试",
    "dead": "发送失败",
    "suppressed": "无需发送",
    "digested": "已并入汇总",
}
NOTICE_TOPICS = {
    "assigned": "交办通知",
    "reassigned": "重新交办通知",
    "conversion": "类别转化",
    "daily_digest": "每日汇总",
    "extended": "延期",
    "extension_approved": "同意延期",
    "extension_refused": "不同意延期",
    "extension_requested": "延期申请",
    "feedback_reminder": "反馈提醒",
    "feedback_request": "征询反馈意见",
    "overdue_reminder": "逾期提醒",
    "progress_letter": "进展情况函",
    "promise_reminder": "承诺事项提醒",
    "public_notice": "公开通知",
    "rehandle": "重新办理",
    "reminder_before_due": "到期前提醒",
    "return_refused": "不同意退办",
    "return_requested": "退办申请",
    "submission_accepted": "网上提交已受理",
    "submission_declined": "网上提交不予受理",
    "supervision_letter": "督办函",
    "talk_flag": "约谈提示",
    "unsatisfied_again": "再次不满意",
    "withdrawn": "撤回",
}


def notice_line(n: Notice) -> str:
    """One outbox notice: id, status, topic, recipient, case number, attempts and why."""
    who = n.addressee
    extra = f"  ({n.reason})" if n.reason else ""
    tries = _("tries {count}").format(count=n.attempts)
    status, topic = n.status, n.topic
    if language() != "en":
        status, topic = NOTICE_STATUS.get(status, status), NOTICE_TOPICS.get(topic, topic)
    number = n.payload.get("number", "")
    return f"{n.id:>6}  {pad(status, 10)}{pad(topic, 18)}{pad(who, 12)}{number}  {tries}{extra}"


def notice_text(n: Notice, zone: tzinfo, rendered: tuple[str, str] | None = None) -> str:
    """``jianyi outbox show``: one notice, a labelled line each (status and topic in the offices' words), its
    payload as JSON, and with ``rendered`` (subject, text) the notice as it would be sent."""
    import json  # here: only this renderer needs it

    status, topic = n.status, n.topic
    if language() != "en":
        status, topic = NOTICE_STATUS.get(status, status), NOTICE_TOPICS.get(topic, topic)
    rows = [
        (_("notice"), f"{n.id}  {n.key}"),
        (_("status"), status + (f"  ({n.reason})" if n.reason else "")),
        (_("topic"), topic),
        (_("recipient"), n.addressee + (f"  ({n.channel})" if n.channel else "")),
        (_("case"), str(n.payload.get("number", "-"))),
        (_("attempts"), str(n.attempts)),
        (_("written"), local_time(n.created_at, zone)),
        (_("due to send"), local_time(n.available_at, zone)),
        (_("sent"), local_time(n.sent_at, zone)),
    ]
    width = max(display_width(label) for label, _value in rows) + 2
    lines = [pad(label, width) + value for label, value in rows]
    lines.append(_("payload:") + " " + json.dumps(n.payload, ensure_ascii=False, sort_keys=True, default=str))
    if rendered is not None:
        subject, body = rendered
        lines += ["", subject, "", body]
    return "\n".join(lines)


def forecast_text(items: Sequence[ForecastItem], zone: tzinfo, days: int) -> str:
    """``jianyi forecast``: when each step fires, for which case, for whom and why."""
    return "\n".join(
        f"{local_time(i.at, zone)}  {i.case}  {i.label}  → {', '.join(i.recipients) or '-'}  ({_why(i)})"
        for i in items
    ) or _("nothing due in the next {days} day(s)").format(days=days)


def _why(item: ForecastItem) -> str:
    """Why a forecast item comes due, in the current language."""
    kind = _kind(item.kind)
    due = item.due.isoformat()
    if item.action == "lapse":
        return _("{kind} due {due}: the case closes without feedback").format(kind=kind, due=due)
    if item.offset is None:
        return item.why
    if item.offset < 0:
        text = _("{kind} due {due}: {days} working day(s) before")
    elif item.offset == 0:
        text = _("{kind} due {due}: on the day")
    else:
        text = _("{kind} due {due}: {days} working day(s) after")
    return text.format(kind=kind, due=due, days=abs(item.offset))


def sweep_text(report: SweepReport, *, dry_run: bool) -> str:
    """``jianyi remind``: each ladder step recorded (or, in a dry run, due) with its recipients, then the counts."""
    lines = [
        f"{r.case}  {r.kind} "
        + _("due {due}").format(due=r.due)
        + f"  {r.label}"
        + (f" → {', '.join(r.names or r.recipients)}" if r.recipients else "")
        + (_("  (skipped: {names})").format(names=", ".join(r.skipped)) if r.skipped else "")
        for r in report.records
    ]
    counts = (
        _("would record {steps} step(s), {notices} notice(s), {lapsed} feedback window(s) closed")
        if dry_run
        else _("recorded {steps} step(s), {notices} notice(s), {lapsed} feedback window(s) closed")
    )
    lines.append(counts.format(steps=report.steps, notices=report.notices, lapsed=report.lapsed))
    return "\n".join(lines)


def month_text(month: str, days: Sequence[DayInfo], *, official: bool) -> str:
    """``jianyi calendar YYYY-MM``: the month's weeks with rest and make-up days marked, then its holidays."""
    lines = [
        f"{month}" + ("" if official else _("  (no official schedule loaded: provisional)")),
        _("Mon Tue Wed Thu Fri Sat Sun"),
    ]
    row = ["   "] * days[0].day.weekday()
    for d in days:
        mark = "*" if d.makeup else ("-" if not d.working else " ")
        row.append(f"{d.day.day:>2}{mark}")
        if d.day.weekday() == 6:
            lines.append(" ".join(row))
            row = []
    if row:
        lines.append(" ".join(row))
    lines.append(_("  - rest day   * make-up working day (调休上班)"))
    lines.extend(f"  {d.day.isoformat()} {d.holiday}" for d in days if d.holiday)
    return "\n".join(lines)
