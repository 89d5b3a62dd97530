"""The vocabulary of the lifecycle: states, actions, roles and the other closed sets.

Kept free of heavy imports so that the CLI can offer these as choices without loading the database stack.
"""

from __future__ import annotations

from enum import StrEnum

from rules.i18n import language

__all__ = [
    "ACTION_LABELS",
    "ACTOR_LABELS",
    "FINAL_STATES",
    "OPEN_STATES",
    "PUBLISHED_STATES",
    "STATE_LABELS",
    "Action",
    "ActorKind",
    "ContactMethod",
    "ContactStage",
    "DeadlineStatus",
    "ExtensionStatus",
    "ReturnStatus",
    "ReviewStatus",
    "Role",
    "State",
    "action_word",
    "actor_label",
    "actor_word",
    "state_word",
]


class State(StrEnum):
    """Where a suggestion stands."""

    SUBMITTED = "submitted"  # 提出/受理
    ASSIGNED = "assigned"  # 交办
    CO_HANDLED = "co_handled"  # 会办意见齐备
    ANSWERED = "answered"  # 答复
    REVISITED = "revisited"  # 回访/征询意见: the deputy's feedback is in
    RE_HANDLED = "re_handled"  # 重新办理
    CLOSED = "closed"  # 办结
    WITHDRAWN = "withdrawn"  # 撤回


# each state as the offices write it (已提出/已交办/会办完毕/已答复/已征询/重新办理/已办结/已撤回)
STATE_LABELS: dict[str, str] = {
    State.SUBMITTED: "已提出",
    State.ASSIGNED: "已交办",
    State.CO_HANDLED: "会办完毕",
    State.ANSWERED: "已答复",
    State.REVISITED: "已征询",
    State.RE_HANDLED: "重新办理",
    State.CLOSED: "已办结",
    State.WITHDRAWN: "已撤回",
}

# the offices' words for the actions (error messages, the dossier)
ACTION_LABELS: dict[str, str] = {
    "submit": "提出",
    "assign": "交办",
    "receive": "签收",
    "return": "申请退办",
    "reassign": "二次交办",
    "refuse_return": "不同意退办",
    "opinion": "会办意见",
    "contact": "联系沟通",
    "extend": "延期",
    "request_extension": "申请延期",
    "refuse_extension": "不同意延期",
    "answer": "答复",
    "submit_answer": "提交审核",
    "approve_answer": "审核通过",
    "return_answer": "审核退回",
    "feedback": "代表反馈",
    "rehandle": "重新办理",
    "close": "办结",
    "convert": "类别转化",
    "progress": "承诺事项进展",
    "lapse": "期满未反馈",
    "withdraw": "撤回",
    "amend": "更正",
    # what the system records on a case besides the actions
    "deadlines_recomputed": "期限重算",
    "ruleset_applied": "适用新规则",
}


# who acted, when it is the office or the engine itself (a unit or a deputy is ``unit:NAME`` / ``deputy:NAME``)
ACTOR_LABELS: dict[str, str] = {"office": "代表工作机构", "system": "系统"}


def actor_label(actor: str) -> str:
    """An event's actor in the offices' words: ``unit:市财政局`` → 市财政局, ``deputy:张三`` → 张三, ``office`` →
    代表工作机构, ``system`` → 系统; who keyed it in kept in brackets (``张三（录入 office）``)."""
    text, _sep, entered = actor.partition(" (")
    kind, _sep, name = text.partition(":")
    who = name or ACTOR_LABELS.get(kind, kind)
    return f"{who}（{entered.rstrip(')')}）" if entered else who


def actor_word(actor: str) -> str:
    """An actor as people read it now: :func:`actor_label` in Chinese, the stored form in English."""
    return actor if language() == "en" else actor_label(actor)


def state_word(state: str) -> str:
    """A state as people read it now: the offices' word (已提出) in Chinese, the value in English."""
    return state if language() == "en" else STATE_LABELS.get(state, state)


def action_word(action: str) -> str:
    """An action as people read it now: the offices' word (答复) in Chinese, the value in English."""
    return action if language() == "en" else ACTION_LABELS.get(action, action)


FINAL_STATES = frozenset({State.CLOSED, State.WITHDRAWN})
OPEN_STATES = frozenset(State) - FINAL_STATES
# the states of a case whose answer has reached the deputy (已答复, 已征询, 重新办理, 已办结): only these are published,
# and only when not confidential; a withdrawn case (withdrawn before any answer) never is
PUBLISHED_STATES = frozenset({State.ANSWERED, State.REVISITED, State.RE_HANDLED, State.CLOSED})


class Action(StrEnum):
    """What can be done to a suggestion. Every action but ``submit`` (which creates the case) is a trigger of the
    machine."""

    SUBMIT = "submit"  # 提出
    ASSIGN = "assign"  # 交办
    RECEIVE = "receive"  # 签收: a unit signs for its assignment
    RETURN = "return"  # 申请退办
    REASSIGN = "reassign"  # 二次交办
    REFUSE_RETURN = "refuse_return"  # 不同意退办
    OPINION = "opinion"  # 会办意见
    CONTACT = "contact"  # 联系沟通
    EXTEND = "extend"  # 延期 (复杂建议, 6 months)
    REQUEST_EXTENSION = "request_extension"  # 申请延期: the main unit asks; the office extends or refuses
    REFUSE_EXTENSION = "refuse_extension"  # 不同意延期
    ANSWER = "answer"  # 答复
    SUBMIT_ANSWER = (
        "submit_answer"  # 提交审核: the answer is held for the office's review (lifecycle.answer_review)
    )
    APPROVE_ANSWER = "approve_answer"  # 审核通过: the held answer goes to the deputy
    RETURN_ANSWER = "return_answer"  # 审核退回: the unit answers again
    FEEDBACK = "feedback"  # 代表反馈
    REHANDLE = "rehandle"  # 重新办理
    CLOSE = "close"  # 办结
    CONVERT = "convert"  # B→A 转化 (or B→C): a follow-up answer, after closing too
    PROGRESS = "progress"  # 承诺事项进展: a note on a B answer's promises
    LAPSE = "lapse"  # 反馈期满未反馈: closed without feedback (the reminder sweep, when the rule set says so)
    WITHDRAW = "withdraw"  # 撤回
    AMEND = "amend"  # 更正: the office corrects the case's own data (title, content, field, flags)


class Role(StrEnum):
    """A unit's part in handling a suggestion."""

    MAIN = "main"  # 主办
    CO = "co"  # 会办/协办
    SPLIT = "split"  # 分办: each answers its own part


class ActorKind(StrEnum):
    """Who acts."""

    OFFICE = "office"  # 代表工作机构
    UNIT = "unit"  # 承办单位
    DEPUTY = "deputy"  # 代表
    SYSTEM = "system"  # the engine itself (automatic steps)
    PUBLIC = "public"  # 公众: reads what is published (the public site), does nothing


class ContactMethod(StrEnum):
    """How a unit contacted the deputy."""

    VISIT = "visit"  # 走访/面商
    MEETING = "meeting"  # 座谈
    PHONE = "phone"  # 电话
    LETTER = "letter"  # 书面
    ONLINE = "online"  # 网络平台


FACE_TO_FACE = frozenset({ContactMethod.VISIT, ContactMethod.MEETING})


class ContactStage(StrEnum):
    """When in handling a contact happened (三访)."""

    BEFORE = "before"  # 办前走访
    DURING = "during"  # 办中拜访
    AFTER = "after"  # 办后回访


class DeadlineStatus(StrEnum):
    """A deadline row's status."""

    OPEN = "open"
    MET = "met"
    MISSED = "missed"
    CANCELLED = "cancelled"


class ReturnStatus(StrEnum):
    """A unit's request to hand a case back (退办)."""

    PENDING = "pending"
    ACCEPTED = "accepted"
    REFUSED = "refused"


class ExtensionStatus(StrEnum):
    """A unit's request for the extended answer period (申请延期)."""

    PENDING = "pending"  # 待审批
    APPROVED = "approved"  # 已同意: the office extended the answer period
    REFUSED = "refused"  # 未同意
    LAPSED = "lapsed"  # 已失效: the case was reassigned, answered or withdrawn before a decision


class ReviewStatus(StrEnum):
    """A unit's answer held for the office's review (答复审核)."""

    PENDING = "pending"  # 待审核
    APPROVED = "approved"  # 审核通过: the answer went to the deputy
    RETURNED = "returned"  # 审核退回: the unit answers again
    LAPSED = "lapsed"  # 已失效: the case was reassigned or withdrawn before a decision
