"""Plain text for people at a terminal: cases, changes, histories, deadlines, rule sets, notices, sweeps,
calendars.

Pure functions of the view objects (:mod:`workflow.core.views` and their kin) and, where a time is shown or
judged, the rule set's zone and ``now``. Columns are padded by terminal width, a CJK character taking two.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, tzinfo
from typing import TYPE_CHECKING

import rules
from rules.i18n import _, language
from workflow.core.errors import visible
from workflow.core.states import action_word, state_word
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
    "change_text",
    "deadline_line",
    "deadlines_text",
    "forecast_text",
    "history_text",
    "local_time",
    "month_text",
    "notice_line",
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
        f"#{h.seq:<3} {local_time(h.at, zone)}  {pad(h.actor, 24)}{h.action:<14} {h.from_state or '-'} → {h.to_state}"
        + (f"  (superseded by #{h.superseded_by})" if h.superseded_by is not None else "")
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
    return "".join(lines) + f"\n       reason: {visible(str(entry.data.get('reason', '')))}"


def _shown(value: object, limit: int = 60) -> str:
    """A value of an amendment as one line: a text quoted (shortened past ``limit``), a flag yes/no, none -."""
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    text = visible(str(value))
    return "'" + (text if len(text) <= limit else text[: limit - 1] + "…") + "'"


def directory_history_text(name: str, rows: Sequence[DirectoryEdit], zone: tzinfo) -> str:
    """``jianyi unit history`` / ``deputy history``: one line per edit, old → new."""
    if not rows:
        return f"{visible(name)}: no edits"
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
            out.append(f"    rule: {r.rule} ({r.ruleset})")
            if r.basis:
                out.append(f"    basis: {r.basis}")
            out.append(
                f"    start: {d.start} (not counted)   raw end: {d.raw_due}   due: {r.due_local}"
                f" = {d.due_at.isoformat()}"
            )
            if d.roll_reason:
                out.append(f"    rolled: {d.roll_reason}")
            if d.provisional:
                years = ", ".join(map(str, r.provisional_years))
                out.append(
                    f"    provisional: no official holiday schedule loaded for {years} "
                    "(`jianyi calendar load FILE`)"
                )
    return "\n".join(out)


def ruleset_text(rs: RuleSet) -> str:
    """``jianyi rules show``: each deadline with its basis, lifecycle settings, classes, calendar, ladders."""
    lines = [
        f"{rs.id}@{rs.version}  {rs.name}  (zone {rs.timezone}"
        + (f", effective {rs.effective}" if rs.effective else "")
        + ")"
    ]
    for kind, info in rules.KINDS.items():
        rule = rs.deadlines.get(kind)
        if rule is None or not rule.enabled:
            lines.append(f"  {kind.value:<14}not applied")
            continue
        length = "the promised date" if kind.value == "promise" else f"{rule.amount} {rule.unit.value}"
        if rule.complex_amount:
            length += f" ({rule.complex_amount} when complex)"
        lines.append(
            f"  {kind.value:<14}{length} from {rs.start_event(kind)}; met by {info.met_by}; "
            f"owed by {info.owed_by}"
        )
        if rule.basis:
            lines.append(f"  {'':<14}basis: {rule.basis}")
    life = rs.lifecycle
    lines.append(
        f"  lifecycle: close on {', '.join(life.auto_close_on) or '-'}; re-handle on "
        f"{', '.join(life.auto_rehandle_on) or '-'}; 基本满意 counts as satisfied: "
        f"{'yes' if life.basic_counts_as_satisfied else 'no'}"
    )
    lines.append("  classes: " + "; ".join(f"{c} {m}" for c, m in rs.classes.items()))
    years = sorted(set(rs.calendar.official_years) | set(rs.calendar.schedules))
    span = f"{years[0]}–{years[-1]}" if years else "none"
    lines.append(
        f"  calendar: official schedules {span}; roll to working day: "
        f"{'yes' if rs.calendar.roll_to_working_day else 'no'}"
    )
    for key, ladder in rs.ladders.items():
        steps = ", ".join(f"{st.offset:+d} {st.label or st.action}" for st in ladder.steps)
        lines.append(f"  ladder {key}: {steps}")
    return "\n".join(lines)


def recompute_text(report: RecomputeReport) -> str:
    """What a recomputation of open deadlines changed, with the moves it lists."""
    text = (
        f"{report.cases_checked} checked, {report.cases_changed} changed, {report.deadlines_moved} deadline(s) "
        f"moved, {report.deadlines_cancelled} cancelled, {report.still_provisional} still provisional"
    )
    moves = "".join(
        f"\n  {m['number']} {m['kind']}: {m['from']} → {m['to'] or 'cancelled'}" for m in report.moves
    )
    return text + moves


def notice_line(n: Notice) -> str:
    """One outbox notice: id, status, topic, recipient, case number, attempts and why."""
    who = n.addressee
    extra = f"  ({n.reason})" if n.reason else ""
    tries = _("tries {count}").format(count=n.attempts)
    return f"{n.id:>6}  {n.status:<10} {n.topic:<18} {who:<12} {n.payload.get('number', '')}  {tries}{extra}"


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
        f"{month}" + ("" if official else "  (no official schedule loaded: provisional)"),
        "Mon Tue Wed Thu Fri Sat Sun",
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
    lines.append("  - rest day   * make-up working day (调休上班)")
    lines.extend(f"  {d.day.isoformat()} {d.holiday}" for d in days if d.holiday)
    return "\n".join(lines)
