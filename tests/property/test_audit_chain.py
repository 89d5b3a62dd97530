"""A step's audit rows made in one pass (``chained``) are the rows ``audit_row`` makes one event at a time, and
the chain they make verifies."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from workflow.core.audit import GENESIS, Event, audit_row, chained, verify_chain

TEXT = st.text(min_size=0, max_size=12)
INSTANTS = st.datetimes(
    min_value=datetime(2020, 1, 1), max_value=datetime(2030, 1, 1), timezones=st.just(UTC)
)
EVENT = st.tuples(
    TEXT,  # actor
    st.sampled_from(["submit", "assign", "answer", "feedback", "close"]),
    st.one_of(st.none(), st.sampled_from(["submitted", "assigned", "answered"])),
    st.sampled_from(["assigned", "answered", "closed"]),
    st.integers(min_value=1, max_value=3),  # round
    TEXT,  # data
)
# the steps of a case: each a list of events (the first carries the step's record of its rows)
STEPS = st.lists(st.tuples(TEXT, st.lists(EVENT, min_size=1, max_size=3)), min_size=1, max_size=4)


def _one_by_one(prev: str, written: str, events: list[Event]) -> list[dict[str, Any]]:
    rows = []
    for i, (case_id, seq, at, recorded_at, actor, action, source, target, round_, data) in enumerate(events):
        row = audit_row(
            prev=prev,
            case_id=case_id,
            seq=seq,
            at=at,
            recorded_at=recorded_at,
            actor=actor,
            action=action,
            from_state=source,
            to_state=target,
            round_=round_,
            data=data,
            written=written if i == 0 else "",
        )
        rows.append(row)
        prev = row["hash"]
    return rows


@given(st.integers(min_value=1, max_value=10**9), INSTANTS, STEPS)
def test_a_step_chained_in_one_pass_equals_its_events_chained_one_by_one(
    case_id: int, start: datetime, steps: list[tuple[str, list[tuple[Any, ...]]]]
) -> None:
    """``chained`` makes, step after step, exactly the rows ``audit_row`` makes event by event, and they verify."""
    prev, seq, made = GENESIS, 0, []
    for written, step in steps:
        events: list[Event] = []
        for actor, action, source, target, round_, data in step:
            seq += 1
            at = start + timedelta(minutes=seq)
            events.append(
                (case_id, seq, at, at + timedelta(seconds=1), actor, action, source, target, round_, data)
            )
        rows = chained(prev, written, events)
        assert rows == _one_by_one(prev, written, events)
        prev = rows[-1]["hash"]
        made += rows
    stored = [SimpleNamespace(**row) for row in made]
    case = SimpleNamespace(
        id=case_id, number="0001", audit_seq=seq, audit_head=prev, state=made[-1]["to_state"]
    )
    assert verify_chain("2026", case, stored) == []
