"""The transition table: sound, documented from the same data."""

from __future__ import annotations

from pathlib import Path

from workflow.core.machine import TRANSITIONS, allowed_actions, markdown_table, mermaid, validate
from workflow.core.states import FINAL_STATES, Action, State


def test_the_table_is_sound() -> None:
    """Every state is reachable, no open state is a trap, every action is used."""
    assert validate() == []


def test_the_states_are_the_documented_identifiers() -> None:
    """The states' identifiers are a published contract."""
    assert [s.value for s in State] == [
        "submitted",
        "assigned",
        "co_handled",
        "answered",
        "revisited",
        "re_handled",
        "closed",
        "withdrawn",
    ]


def test_final_states_are_never_left() -> None:
    """A withdrawn case takes only the office's corrections; a closed one those and the follow-ups of its B
    answer, all of which leave it where it is."""
    assert {s: allowed_actions(s) for s in FINAL_STATES} == {
        State.CLOSED: (Action.CONVERT, Action.PROGRESS, Action.AMEND),
        State.WITHDRAWN: (Action.AMEND,),
    }
    assert all(t.dest is None for t in TRANSITIONS if set(t.sources) & FINAL_STATES)


def test_every_action_has_one_command_and_handler_in_the_table() -> None:
    """The action registry is checked against the transition table: nothing missing, nothing outside it."""
    from workflow.actions import check

    assert check() == []


def test_answer_is_possible_only_while_handling() -> None:
    """The answer comes from assigned, co_handled or re_handled."""
    sources = {s for t in TRANSITIONS if t.action is Action.ANSWER for s in t.sources}
    assert sources == {State.ASSIGNED, State.CO_HANDLED, State.RE_HANDLED}


def test_mermaid_is_generated_from_the_table() -> None:
    """Each transition appears as an edge of the diagram."""
    text = mermaid()
    assert text.startswith("stateDiagram-v2\n    [*] --> submitted\n")
    assert "    revisited --> re_handled: rehandle\n" in text
    assert "    closed --> [*]\n" in text


def test_the_readme_table_is_the_generated_one() -> None:
    """The README's state table cannot drift from the code."""
    readme = (Path(__file__).parents[2] / "README.md").read_text(encoding="utf-8")
    assert markdown_table() in readme


def test_amend_is_allowed_in_every_state_and_changes_none() -> None:
    """The office's correction of a case's own data is one transition from every state, to the same state."""
    rows = [t for t in TRANSITIONS if t.action is Action.AMEND]
    assert [(set(t.sources), t.dest) for t in rows] == [(set(State), None)]


def test_the_next_steps_leave_out_the_corrections_allowed_always() -> None:
    """A refusal's "allowed: …" and a case's allowed actions list the lifecycle's steps, not amend."""
    from workflow.core.machine import next_actions

    assert next_actions(State.SUBMITTED) == (Action.ASSIGN, Action.WITHDRAW)
    assert next_actions(State.WITHDRAWN) == ()
    assert all(Action.AMEND in allowed_actions(s) for s in State)
