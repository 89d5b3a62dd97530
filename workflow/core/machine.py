"""The suggestion lifecycle as data, driven through one shared ``transitions`` machine.

``TRANSITIONS`` is the single source of truth: the engine runs it, :func:`validate` proves it sound at
import time, and the README table and ``jianyi diagram`` are generated from it.

The machine never touches a database row. The engine builds a small :class:`CaseView` of the facts the
conditions need and fires ``FLOW.events[action].trigger(view, ...)``; conditions that refuse write the
reason on the view.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Final, cast

from transitions import EventData, Machine

from workflow.core.states import FINAL_STATES, Action, State

__all__ = [
    "FLOW",
    "TRANSITIONS",
    "CaseView",
    "Transition",
    "allowed_actions",
    "fire",
    "markdown_table",
    "mermaid",
    "next_actions",
    "refusal_outside",
    "validate",
]


@dataclass(slots=True)
class CaseView:
    """What the machine's conditions may look at; ``state`` is moved by the machine."""

    state: State
    pending_opinions: frozenset[int] = frozenset()  # co-units whose opinion is not in
    overridden: frozenset[int] = frozenset()  # co-units the office let the answer go without
    pending_answers: frozenset[int] = frozenset()  # main/split units that still owe an answer
    unit_id: int | None = None  # the unit acting, when a unit acts
    refusal: str | None = field(default=None)


def _last_opinion(event: EventData) -> bool:
    view = cast(CaseView, event.model)
    return view.pending_opinions <= {view.unit_id}


def _ready_to_answer(event: EventData) -> bool:
    view = cast(CaseView, event.model)
    missing = view.pending_opinions - view.overridden
    if missing:
        view.refusal = "co-unit opinions missing"
        return False
    return True


def _last_answer(event: EventData) -> bool:
    view = cast(CaseView, event.model)
    return view.pending_answers <= {view.unit_id}


@dataclass(frozen=True, slots=True)
class Transition:
    """One row of the transition table."""

    action: Action
    sources: tuple[State, ...]
    dest: State | None  # None: the state does not change
    conditions: tuple[Callable[[EventData], bool], ...] = ()
    note: str = ""


_HANDLING = (State.ASSIGNED, State.CO_HANDLED)
# an answered case is followed up (conversion, progress on promises), closed or not; a withdrawn one is not
_FOLLOWED_UP = (State.ANSWERED, State.REVISITED, State.RE_HANDLED, State.CLOSED)

TRANSITIONS: Final[tuple[Transition, ...]] = (
    Transition(
        Action.ASSIGN, (State.SUBMITTED,), State.ASSIGNED, note="交办: main unit + co-units, or split units"
    ),
    Transition(
        Action.RECEIVE,
        (*_HANDLING, State.RE_HANDLED),
        None,
        note="签收: a unit signs for its assignment (deadlines from receipt when the rule set says so)",
    ),
    Transition(Action.RETURN, _HANDLING, None, note="a unit asks to hand the case back (退办)"),
    Transition(Action.REFUSE_RETURN, _HANDLING, None, note="the office refuses a return request"),
    Transition(Action.REASSIGN, _HANDLING, State.ASSIGNED, note="二次交办: new units, clocks restart"),
    Transition(Action.REASSIGN, (State.RE_HANDLED,), None, note="re-handling moved to other units"),
    Transition(
        Action.OPINION, (State.ASSIGNED,), State.CO_HANDLED, (_last_opinion,), "the last co-unit opinion"
    ),
    Transition(Action.OPINION, (State.ASSIGNED,), None, note="a co-unit opinion, others still owed"),
    Transition(
        Action.CONTACT,
        tuple(s for s in State if s not in FINAL_STATES and s is not State.SUBMITTED),
        None,
        note="a recorded contact with the deputy",
    ),
    Transition(Action.EXTEND, _HANDLING, None, note="complex: answer within 6 months (office)"),
    Transition(
        Action.REQUEST_EXTENSION,
        _HANDLING,
        None,
        note="the main unit asks for the extended period (申请延期)",
    ),
    Transition(
        Action.REFUSE_EXTENSION, _HANDLING, None, note="the office refuses a pending extension request"
    ),
    Transition(
        Action.ANSWER,
        (*_HANDLING, State.RE_HANDLED),
        State.ANSWERED,
        (_ready_to_answer, _last_answer),
        "the (last) answer; co-unit opinions in or overridden",
    ),
    Transition(
        Action.ANSWER,
        (*_HANDLING, State.RE_HANDLED),
        None,
        (_ready_to_answer,),
        "a split unit's answer, others still owed",
    ),
    Transition(
        Action.SUBMIT_ANSWER,
        (*_HANDLING, State.RE_HANDLED),
        None,
        note="提交审核: the answer is held for the office's review (rule set lifecycle.answer_review)",
    ),
    Transition(
        Action.APPROVE_ANSWER,
        (*_HANDLING, State.RE_HANDLED),
        None,
        note="审核通过: the office lets the held answer go; it then takes effect as `answer`",
    ),
    Transition(
        Action.RETURN_ANSWER,
        (*_HANDLING, State.RE_HANDLED),
        None,
        note="审核退回: the office returns the held answer with its reason; the unit answers again",
    ),
    Transition(Action.FEEDBACK, (State.ANSWERED,), State.REVISITED, note="the deputy's feedback"),
    Transition(Action.REHANDLE, (State.REVISITED,), State.RE_HANDLED, note="重新办理, round + 1"),
    Transition(Action.CLOSE, (State.REVISITED,), State.CLOSED, note="办结"),
    Transition(
        Action.LAPSE,
        (State.ANSWERED,),
        State.CLOSED,
        note="feedback window closed without feedback (system; left out of satisfaction)",
    ),
    Transition(
        Action.WITHDRAW,
        (State.SUBMITTED, *_HANDLING, State.RE_HANDLED),
        State.WITHDRAWN,
        note="撤回, before the answer",
    ),
    Transition(
        Action.CONVERT,
        _FOLLOWED_UP,
        None,
        note="B→A (or B→C) follow-up answer; closed cases too",
    ),
    Transition(Action.PROGRESS, _FOLLOWED_UP, None, note="progress on a B answer's promises"),
    Transition(
        Action.AMEND,
        tuple(State),
        None,
        note="更正: the office corrects the case's title, content, field, flags",
    ),
)

# why an action is refused in a state the table does not list for it, where "allowed: …" would not say it
_OUTSIDE: Final[dict[Action, str]] = {
    Action.CONVERT: "only an answered case can be converted",
    Action.PROGRESS: "progress is recorded on answered cases",
}


def refusal_outside(action: Action) -> str:
    """Why ``action`` is refused in a state the table does not list for it ("" when the allowed list says it)."""
    return _OUTSIDE.get(action, "")


def _build() -> Machine:
    return Machine(
        model=None,
        states=list(State),
        initial=None,
        auto_transitions=False,
        send_event=True,
        transitions=[
            {
                "trigger": t.action.value,
                "source": list(t.sources),
                "dest": t.dest,
                "conditions": list(t.conditions),
            }
            for t in TRANSITIONS
        ],
    )


FLOW: Final = _build()

_ALLOWED: Final[dict[State, tuple[Action, ...]]] = {
    state: tuple(dict.fromkeys(t.action for t in TRANSITIONS if state in t.sources)) for state in State
}


def allowed_actions(state: State) -> tuple[Action, ...]:
    """The actions the table allows from ``state`` (conditions aside), in table order."""
    return _ALLOWED[state]


# the office's corrections of a case's own data: allowed in every state, so lists of what may be done next
# (a refusal's "allowed: …", a case's ``allowed``) leave them out
_CORRECTIONS: Final = frozenset({Action.AMEND})
_NEXT: Final[dict[State, tuple[Action, ...]]] = {
    state: tuple(a for a in actions if a not in _CORRECTIONS) for state, actions in _ALLOWED.items()
}


def next_actions(state: State) -> tuple[Action, ...]:
    """The lifecycle's next steps from ``state``: :func:`allowed_actions` but the corrections allowed always."""
    return _NEXT[state]


def _edges() -> dict[State, set[State]]:
    edges: dict[State, set[State]] = {s: set() for s in State}
    for t in TRANSITIONS:
        for s in t.sources:
            edges[s].add(t.dest or s)
    return edges


def _closure(start: State, edges: dict[State, set[State]]) -> set[State]:
    seen, todo = {start}, [start]
    while todo:
        for nxt in edges[todo.pop()]:
            if nxt not in seen:
                seen.add(nxt)
                todo.append(nxt)
    return seen


def validate() -> list[str]:
    """Problems with the table: unreachable states, traps, unused actions, final states with exits."""
    edges = _edges()
    problems: list[str] = []
    unreachable = [s.value for s in State if s not in _closure(State.SUBMITTED, edges)]
    if unreachable:
        problems.append(f"Disconnected states: {unreachable}")
    traps = [s.value for s in State if s not in FINAL_STATES and not (_closure(s, edges) & FINAL_STATES)]
    if traps:
        problems.append(f"Trap states (no way to a final state): {traps}")
    exits = [s.value for s in FINAL_STATES if edges[s] - {s}]
    if exits:
        problems.append(f"Final states with transitions: {sorted(exits)}")
    used = {t.action for t in TRANSITIONS}
    unused = [a.value for a in Action if a is not Action.SUBMIT and a not in used]
    if unused:
        problems.append(f"Actions never used: {unused}")
    return problems


def mermaid() -> str:
    """A Mermaid state diagram generated from :data:`TRANSITIONS`."""
    lines = ["stateDiagram-v2", f"    [*] --> {State.SUBMITTED.value}"]
    seen: set[tuple[str, str, str]] = set()
    for t in TRANSITIONS:
        for s in t.sources:
            edge = (s.value, (t.dest or s).value, t.action.value)
            if edge not in seen:
                seen.add(edge)
                lines.append(f"    {edge[0]} --> {edge[1]}: {edge[2]}")
    lines.extend(f"    {s.value} --> [*]" for s in sorted(FINAL_STATES))
    return "\n".join(lines) + "\n"


def markdown_table() -> str:
    """The transition table as Markdown (the README's table is this text)."""
    rows = ["| action | from | to | note |", "|---|---|---|---|"]
    for t in TRANSITIONS:
        sources = ", ".join(f"`{s.value}`" for s in t.sources)
        dest = f"`{t.dest.value}`" if t.dest else "(unchanged)"
        rows.append(f"| `{t.action.value}` | {sources} | {dest} | {t.note} |")
    return "\n".join(rows) + "\n"


_Decision = tuple[bool, State, str | None]
_DECIDED: dict[tuple[Any, ...], _Decision] = {}


def fire(action: Action, view: CaseView) -> bool:
    """Run ``action`` on ``view``; False when a condition refused (``view.refusal`` may say why).

    The conditions look at nothing but the view's facts, so the machine's decision for the same action and
    facts is always the same: each is made by ``transitions`` once and then remembered (bounded).
    """
    key = (action, view.state, view.pending_opinions, view.overridden, view.pending_answers, view.unit_id)
    known = _DECIDED.get(key) if view.refusal is None else None
    if known is None:
        fresh = view.refusal is None
        result: bool = FLOW.events[action.value].trigger(view)
        if fresh:
            if len(_DECIDED) >= 4096:
                _DECIDED.clear()
            _DECIDED[key] = (result, view.state, view.refusal)
        return result
    result, view.state, view.refusal = known
    return result


_problems = validate()
if _problems:  # pragma: no cover - guarded by tests; stops a broken table at import
    raise RuntimeError("invalid transition table: " + "; ".join(_problems))
