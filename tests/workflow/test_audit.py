"""The audit trail is hash-chained: edits, deletions and state tampering are named."""

from __future__ import annotations

from sqlalchemy import delete, update

from workflow.engine import Engine
from workflow.store.models import AuditEvent, Suggestion, table
from workflow.testing import make_case

AUDIT = table(AuditEvent)


def _tamper(engine: Engine, statement: object) -> None:
    with engine.db.engine.begin() as conn:
        conn.execute(statement)  # type: ignore[arg-type]


def test_an_untouched_trail_verifies(engine: Engine) -> None:
    """Every case checked, no problem."""
    make_case(engine, "0001", state="closed")
    make_case(engine, "0002", state="assigned")
    assert engine.verify_audit() == (2, [])


def test_an_edited_event_is_named(engine: Engine) -> None:
    """Changing an event's content breaks its hash."""
    make_case(engine, "0001", state="closed")
    _tamper(engine, update(AUDIT).where(AUDIT.c.seq == 4).values(data='{"category":"A","unit":"某局"}'))
    _, problems = engine.verify_audit()
    assert [str(p) for p in problems] == [
        "建议 测试会议/0001: event #4: altered (its hash does not match its content)"
    ]


def test_a_deleted_event_is_named(engine: Engine) -> None:
    """A gap in the sequence names the missing event; the rows it wrote no longer have their record."""
    make_case(engine, "0001", state="closed")
    _tamper(engine, delete(AUDIT).where(AUDIT.c.seq == 3))
    _, problems = engine.verify_audit()
    assert [str(p) for p in problems][:3] == [
        "建议 测试会议/0001: event #3: missing (#3 absent before #4)",
        "建议 测试会议/0001: event #4: does not link to the event before it",
        "建议 测试会议/0001: opinions row 1, event #3: no event wrote it (no event's record holds audit_ref 3.1): "
        "forged, or its audit_ref was altered",
    ]


def test_a_deleted_last_event_is_named(engine: Engine) -> None:
    """The case row remembers how many events it has."""
    make_case(engine, "0001", state="closed")
    _tamper(engine, delete(AUDIT).where(AUDIT.c.seq == 6))
    _, problems = engine.verify_audit()
    assert "event #6: missing: the case records 6 event(s), 5 found" in str(problems[0])


def test_a_state_changed_behind_the_engines_back_is_named(engine: Engine) -> None:
    """The state must be where the last event leads."""
    make_case(engine, "0001", state="assigned", co=[])
    _tamper(engine, update(table(Suggestion)).values(state="closed"))
    _, problems = engine.verify_audit()
    assert [str(p) for p in problems] == [
        "建议 测试会议/0001: event #2: the case is 'closed' but its last event leads to 'assigned'",
        "建议 测试会议/0001: suggestions row 1, event #2: state is 'closed' but the event wrote 'assigned'",
    ]
