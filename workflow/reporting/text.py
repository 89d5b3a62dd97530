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
from workflow.core.errors import visible
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

_DEPUTY = "代表 (deputy)"


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
        status = "met late (逾期办结)" if d.late else "met on time"
    elif d.status == "open" and d.overdue(now):
        status = "OVERDUE (逾期)"
    elif d.status == "open" and now >= d.due_at:
        status = "window closed"
    else:
        status = d.status
    flag = "  provisional (未载入官方节假日安排)" if d.provisional else ""
    return f"    {d.kind:<14}{pad(d.unit or _DEPUTY, 16)}due {d.due}  {status}{flag}"


def change_text(change: Change) -> str:
    """One line for what an action committed: each step, the new state and version."""
    steps = "; ".join(
        f"{e.action}: {e.from_state} → {e.to_state}" if e.from_state != e.to_state else f"{e.action} recorded"
        for e in change.events
    )
    return f"建议 {change.session}/{change.number}: {steps} (now {change.state}, version {change.version})"


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
        return f"建议 {number} has no deadlines (not assigned yet)"
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
    return f"{n.id:>6}  {n.status:<10} {n.topic:<18} {who:<12} {n.payload.get('number', '')}  tries {n.attempts}{extra}"


def forecast_text(items: Sequence[ForecastItem], zone: tzinfo, days: int) -> str:
    """``jianyi forecast``: when each step fires, for which case, for whom and why."""
    return (
        "\n".join(
            f"{local_time(i.at, zone)}  {i.case}  {i.label}  → {', '.join(i.recipients) or '-'}  ({i.why})"
            for i in items
        )
        or f"nothing due in the next {days} day(s)"
    )


def sweep_text(report: SweepReport, *, dry_run: bool) -> str:
    """``jianyi remind``: each ladder step recorded (or, in a dry run, due) with its recipients, then the counts."""
    lines = [
        f"{r.case}  {r.kind} due {r.due}  {r.label}"
        + (f" → {', '.join(r.names or r.recipients)}" if r.recipients else "")
        + (f"  (skipped: {', '.join(r.skipped)})" if r.skipped else "")
        for r in report.records
    ]
    prefix = "would record" if dry_run else "recorded"
    lines.append(
        f"{prefix} {report.steps} step(s), {report.notices} notice(s), "
        f"{report.lapsed} feedback window(s) closed"
    )
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
