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


def test_final_states_allow_nothing() -> None:
    """Closed and withdrawn cases take no action."""
    assert {s: allowed_actions(s) for s in FINAL_STATES} == {State.CLOSED: (), State.WITHDRAWN: ()}


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
