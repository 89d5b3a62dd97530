"""``jianyi show``: a case's dossier (:mod:`workflow.core.dossier`) as an office reader reads it, in Chinese.

Times are shown in the rule set's zone; a deadline is judged at ``now``. Every text the units and the deputy
wrote is shown in full, indented under what it belongs to.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, tzinfo
from typing import TYPE_CHECKING

from rules import RATING_LABELS
from workflow.core.states import ACTION_LABELS as STATES_ACTION_LABELS
from workflow.core.states import STATE_LABELS
from workflow.core.states import actor_label as _who
from workflow.core.text import display_width

if TYPE_CHECKING:
    from workflow.core.dossier import AttachmentEntry, Dossier
    from workflow.core.views import DeadlineInfo

__all__ = [
    "ACTION_LABELS",
    "KIND_LABELS",
    "METHOD_LABELS",
    "PROMISE_LABELS",
    "RETURN_LABELS",
    "REVIEW_LABELS",
    "ROLE_LABELS",
    "STAGE_LABELS",
    "dossier_text",
]

_ROLES = {"main": "主办", "co": "会办", "split": "分办"}
_KINDS = {
    "return_window": "退办期",
    "co_opinion": "会办意见",
    "answer": "答复",
    "feedback": "代表反馈",
    "re_answer": "重新答复",
    "promise": "承诺事项",
}
_METHODS = {"visit": "走访", "meeting": "座谈", "phone": "电话", "letter": "书面", "online": "网络平台"}
_STAGES = {"before": "办前", "during": "办中", "after": "办后"}
_RETURNS = {"pending": "待定", "accepted": "已同意", "refused": "未同意"}
_REVIEWS = {"pending": "待审核", "approved": "审核通过", "returned": "审核退回", "lapsed": "已失效"}
_EXTENSIONS = {"pending": "待审批", "approved": "已同意", "refused": "未同意", "lapsed": "已失效"}
_PROMISES = {"open": "未完成", "done": "已完成", "cancelled": "已取消"}
_ACTIONS = STATES_ACTION_LABELS  # one table of the offices' action words (workflow.core.states)
# the same words for other faces (the web portal) to show
ROLE_LABELS, KIND_LABELS, METHOD_LABELS, STAGE_LABELS = _ROLES, _KINDS, _METHODS, _STAGES
RETURN_LABELS, PROMISE_LABELS, ACTION_LABELS = _RETURNS, _PROMISES, _ACTIONS
REVIEW_LABELS = _REVIEWS
_INDENT = "      "
_FIELDS = {
    "title": "标题",
    "content": "内容",
    "field": "领域",
    "between_sessions": "闭会期间",
    "confidential": "不公开",
    "key": "重点督办",
}


def _value(value: object) -> str:
    if isinstance(value, bool):
        return "是" if value else "否"
    text = "（空）" if value in (None, "") else str(value)
    return text if len(text) <= 60 else text[:57] + "…"


def _at(value: datetime | None, zone: tzinfo) -> str:
    return "-" if value is None else value.astimezone(zone).strftime("%Y-%m-%d %H:%M")


def _timeliness(due: date | None, late: bool | None) -> str:
    if due is None:
        return ""
    return f"  限 {due}" + ("" if late is None else "，逾期" if late else "，按期")


def _text(body: str) -> list[str]:
    return [_INDENT + line for line in body.splitlines() if line.strip()] or [_INDENT + "（无正文）"]


def _files(files: Iterable[AttachmentEntry]) -> list[str]:
    return [
        f"{_INDENT}附件：{f.name}（{f.media_type}，{f.size:,} 字节，sha256 {f.sha256[:12]}…）" for f in files
    ]


def _deadline(d: DeadlineInfo, now: datetime) -> str:
    if d.status == "met":
        status = "逾期完成" if d.late else "按期完成"
    elif d.status == "open" and d.overdue(now):
        status = "已逾期"
    elif d.status == "open" and now >= d.due_at:
        status = "期满"
    else:
        status = {"open": "未到期", "cancelled": "已取消", "missed": "已错过"}.get(d.status, d.status)
    kind = _KINDS.get(d.kind, d.kind)
    who = d.unit or "代表"
    flag = "（未载入官方节假日安排，暂定）" if d.provisional else ""
    return f"    {kind}{' ' * max(1, 10 - display_width(kind))}{who}  {d.due}  {status}{flag}"


def dossier_text(dossier: Dossier, *, zone: tzinfo, now: datetime) -> str:
    """The dossier, part by part; parts with nothing in them are left out."""
    case = dossier.case
    state = STATE_LABELS.get(case.state, case.state)
    lines = [
        f"建议 {case.session}/{case.number}  {case.title}",
        f"  状态：{state}（第 {case.round} 轮办理）  版本 {case.version}  规则 {case.ruleset or '-'}",
        f"  领衔代表：{case.deputy}"
        + (f"  附议代表：{'、'.join(case.co_signers)}" if case.co_signers else ""),
    ]
    if case.field:
        lines.append(f"  领域：{case.field}")
    flags = [
        name
        for name, on in (
            ("重点督办", case.key),
            ("复杂建议", case.complex),
            ("已延期", case.extended),
            ("不公开", case.confidential),
            ("闭会期间", case.between_sessions),
        )
        if on
    ]
    if case.escalation_level:
        flags.append(f"督办 {case.escalation_level} 级")
    if flags:
        lines.append("  标记：" + "、".join(flags))
    if case.category:
        conv = f" → {case.current_category}" if case.current_category != case.category else ""
        lines.append(f"  办理类别：{case.category}{conv}")
    lines.append(
        f"  提出 {_at(case.submitted_at, zone)}（{_who(dossier.submitted_by) or '-'}）  "
        f"交办 {_at(case.assigned_at, zone)}  答复 {_at(case.answered_at, zone)}  办结 {_at(case.closed_at, zone)}"
    )
    if dossier.origin is not None:
        origin = dossier.origin
        lines.append(
            f"  来源：网上提交（网上建议 #{origin.submission}，{_who(origin.proposed_by)} "
            f"{_at(origin.proposed_at, zone)} 提交）"
        )
    lines.append("  内容：")
    lines.extend(_text(case.content))
    if dossier.assignments:
        lines.append("  交办：")
        for asg in dossier.assignments:
            span = f"{_at(asg.since, zone)} 起" + (f"，{_at(asg.until, zone)} 止" if asg.until else "")
            signed = f"已签收 {_at(asg.received_at, zone)}" if asg.received_at else "未签收"
            lines.append(
                f"    {_ROLES.get(asg.role, asg.role)}  {asg.unit}  第 {asg.round} 轮  {span}  {signed}"
            )
    if dossier.returns:
        lines.append("  退办申请：")
        for r in dossier.returns:
            decided = f"，{_at(r.decided_at, zone)} 决定" if r.decided_at else ""
            lines.append(f"    {_at(r.at, zone)}  {r.unit}  {_RETURNS.get(r.status, r.status)}{decided}")
            lines.extend(_text(r.reason))
            if r.decision_reason:
                lines.append(f"{_INDENT}决定理由：{r.decision_reason}")
    if dossier.extension_requests:
        lines.append("  延期申请：")
        for e in dossier.extension_requests:
            decided = f"，{_at(e.decided_at, zone)} 决定" if e.decided_at else ""
            lines.append(f"    {_at(e.at, zone)}  {e.unit}  {_EXTENSIONS.get(e.status, e.status)}{decided}")
            lines.extend(_text(e.reason))
            if e.decision_reason:
                lines.append(f"{_INDENT}决定理由：{e.decision_reason}")
    if dossier.reviews:
        lines.append("  答复审核：")
        for v in dossier.reviews:
            decided = f"，{_at(v.decided_at, zone)} 决定" if v.decided_at else ""
            status = _REVIEWS.get(v.status, v.status)
            lines.append(
                f"    {_at(v.at, zone)}  {v.unit}  第 {v.round} 轮  {v.category} 类  {status}{decided}"
            )
            lines.extend(_text(v.text))
            if v.attachments:
                lines.append(f"{_INDENT}附件：" + "、".join(a.name for a in v.attachments))
            if v.decision_reason:
                lines.append(
                    f"{_INDENT}{'退回理由' if v.status == 'returned' else '审核意见'}：{v.decision_reason}"
                )
    for title, notes in (("不同意退办：", dossier.refusals), ("延期：", dossier.extensions)):
        if notes:
            lines.append("  " + title)
            for n in notes:
                lines.append(f"    {_at(n.at, zone)}  {_who(n.by)}")
                lines.extend(_text(n.text))
    if dossier.opinions:
        lines.append("  会办意见：")
        for o in dossier.opinions:
            when = _timeliness(o.due, o.late)
            lines.append(f"    {_at(o.at, zone)}  {o.unit}  第 {o.round} 轮{when}  经办 {_who(o.by) or '-'}")
            lines.extend(_text(o.text))
            lines.extend(_files(o.attachments))
    if dossier.contacts:
        lines.append("  联系沟通：")
        for c in dossier.contacts:
            how = f"{_STAGES.get(c.stage, c.stage)}{_METHODS.get(c.method, c.method)}"
            lines.append(f"    {_at(c.at, zone)}  {c.unit}  {how}  第 {c.round} 轮  经办 {_who(c.by) or '-'}")
            if c.note.strip():
                lines.extend(_text(c.note))
    for round_ in dossier.rounds():
        answers = [a for a in dossier.answers if a.round == round_]
        feedback = [f for f in dossier.feedback if f.round == round_]
        rehandled = [n for n in dossier.rehandlings if n.round == round_]
        if not (answers or feedback or rehandled):
            continue
        lines.append(f"  第 {round_} 轮：")
        for n in rehandled:
            lines.append(f"    重新办理  {_at(n.at, zone)}  {_who(n.by)}")
            lines.extend(_text(n.text))
        for ans in answers:
            when = _timeliness(ans.due, ans.late)
            lines.append(
                f"    答复  {_at(ans.at, zone)}  {ans.unit}  {ans.category} 类{when}  经办 {_who(ans.by) or '-'}"
            )
            lines.extend(_text(ans.text))
            for p in ans.promises:
                lines.append(f"{_INDENT}承诺：{p.text}（{p.due} 前，{_PROMISES.get(p.status, p.status)}）")
            for unit, reason in ans.without_opinion:
                lines.append(f"{_INDENT}未待 {unit} 会办意见即答复：{reason}")
            lines.extend(_files(ans.attachments))
        for f in feedback:
            parts = [RATING_LABELS.get(f.rating, f.rating)]
            if f.attitude:
                parts.append(f"办理态度 {RATING_LABELS.get(f.attitude, f.attitude)}")
            if f.result:
                parts.append(f"办理结果 {RATING_LABELS.get(f.result, f.result)}")
            lines.append(f"    代表反馈  {_at(f.at, zone)}  {f.deputy or '-'}  {'，'.join(parts)}")
            if f.comment.strip():
                lines.extend(_text(f.comment))
    for title, notes in (("承诺事项进展：", dossier.progress), ("类别转化：", dossier.conversions)):
        if notes:
            lines.append("  " + title)
            for n in notes:
                extra = f"  {n.data.get('from')} → {n.data.get('to')}" if n.action == "convert" else ""
                lines.append(f"    {_at(n.at, zone)}  {_who(n.by)}{extra}")
                lines.extend(_text(n.text))
                lines.extend(_files(n.attachments))
    if dossier.amendments:
        lines.append("  更正：")
        for n in dossier.amendments:
            lines.append(f"    {_at(n.at, zone)}  {_who(n.by)}  理由：{n.text}")
            changed = n.data.get("changed", {})
            for column, change in changed.items():
                label = _FIELDS.get(column, column)
                lines.append(f"{_INDENT}{label}：{_value(change.get('from'))} → {_value(change.get('to'))}")
    if dossier.withdrawal:
        w = dossier.withdrawal
        lines.append(f"  撤回：{_at(w.at, zone)}  {_who(w.by)}")
        lines.extend(_text(w.text))
    if case.deadlines:
        lines.append("  期限：")
        lines.extend(_deadline(d, now) for d in case.deadlines)
    allowed = "、".join(f"{_ACTIONS.get(a, a)}（{a}）" for a in case.allowed)
    lines.append("  可办理：" + (allowed or "无（已终结）"))
    return "\n".join(lines)
