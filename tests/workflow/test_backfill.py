"""Paper history entered late: a person's action dated before steps the reminder sweep has since recorded.

The sweep's later steps give way (superseded, never deleted); a person's later event still refuses the action.
The property: entering an answer late, after the sweeps, ends where entering it on time would have.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cli import cli
from workflow.core.errors import ValidationError
from workflow.core.views import Actor
from workflow.engine import Engine
from workflow.ledger import export_ledger, import_ledger
from workflow.sweep import sweep
from workflow.testing import FrozenClock, beijing, make_case, make_engine, row_count, table_rows

MAIN = "市交通运输局"


def _outbox(engine: Engine) -> list[tuple[str, str, str]]:
    return [(k, s, r or "") for k, s, r in table_rows(engine, "outbox", "key", "status", "reason")]


def _overdue_case(clock: FrozenClock) -> Engine:
    """A case assigned 02-10 (answer due 05-11) without co-units, swept on 05-20: a 督办函 step recorded."""
    clock.set("2026-02-10T09:00:00+08:00")
    engine = make_engine(clock=clock)
    make_case(engine, "0001", state="assigned", co=())
    clock.set("2026-05-20T10:00:00+08:00")
    assert sweep(engine).steps == 1
    assert engine.get("0001").escalation_level == 2
    return engine


def test_an_answer_dated_before_a_recorded_escalation_is_entered_and_the_escalation_superseded() -> None:
    clock = FrozenClock()
    engine = _overdue_case(clock)
    before = [h.seq for h in engine.history("0001")]
    change = engine.answer(
        "0001", category="A", text="答复", actor=Actor.unit(MAIN), at=beijing("2026-05-08", 10)
    )
    assert change.state == "answered"
    case = engine.get("0001")
    assert case.escalation_level == 0
    answer = next(d for d in case.deadlines if d.kind == "answer")
    assert (answer.status, answer.late) == ("met", False)
    history = engine.history("0001")
    assert [h.seq for h in history][: len(before)] == before  # nothing deleted, nothing reordered
    escalation = next(h for h in history if h.action == "escalate")
    answered = next(h for h in history if h.action == "answer")
    assert escalation.superseded_by == answered.seq
    assert answered.data["supersedes"] == [escalation.seq]
    assert engine.verify_audit() == (1, [])
    # the step's notices not yet sent are suppressed, saying why; the next sweep records nothing again
    steps = [(status, reason) for key, status, reason in _outbox(engine) if key.startswith("step:")]
    assert steps
    assert all(status == "suppressed" and reason.startswith("superseded") for status, reason in steps)
    assert sweep(engine).steps == 0


def test_a_persons_later_event_still_refuses_it_in_the_zone_typed() -> None:
    """After a contact on 05-12, an answer dated 05-08 is refused, naming the contact, in the zone typed."""
    clock = FrozenClock()
    engine = _overdue_case(clock)
    engine.contact("0001", method="phone", actor=Actor.unit(MAIN), at=beijing("2026-05-12", 9))
    with pytest.raises(
        ValidationError, match=r"before the case's contact of 2026-05-12T09:00\+08:00 \(unit:"
    ):
        engine.answer("0001", category="A", text="答复", actor=Actor.unit(MAIN), at=beijing("2026-05-08"))
    tokyo = datetime.fromisoformat("2026-05-08T11:00:00+09:00")
    with pytest.raises(
        ValidationError, match=r"time 2026-05-08T11:00\+09:00 is before the case's contact of "
    ):
        engine.answer("0001", category="A", text="答复", actor=Actor.unit(MAIN), at=tokyo)
    assert engine.get("0001").state == "assigned"


def test_the_command_line_shows_the_times_in_the_zone_typed(db_path: object) -> None:
    runner = CliRunner()
    base = ["--db", str(db_path)]
    for args in (
        ["submit", "0001", "--title", "关于公交的建议", "--deputy", "张三", "--at", "2026-01-10"],
        ["assign", "0001", "--main", MAIN, "--at", "2026-01-12"],
        ["contact", "0001", "--method", "phone", "--unit", MAIN, "--at", "2026-02-01T09:00"],
    ):
        assert runner.invoke(cli, [*base, *args]).exit_code == 0
    result = runner.invoke(
        cli, [*base, "answer", "0001", "--category", "A", "--text", "答复", "--at", "2026-01-20T10:00+09:00"]
    )
    assert result.exit_code == 3
    assert (
        "time 2026-01-20T10:00+09:00 is before the case's contact of 2026-02-01T10:00+09:00" in result.stderr
    )


def test_feedback_dated_before_a_lapse_reopens_the_case_and_closes_it_on_the_feedback() -> None:
    """The sweep closed the answered case when its feedback window ended; the deputy's paper feedback, dated
    within the window, is entered: the lapse is superseded and the case closes on the feedback."""
    clock = FrozenClock("2026-02-10T09:00:00+08:00")
    engine = make_engine(clock=clock)
    make_case(engine, "0001", state="answered", co=(), clock=clock)
    feedback_due = next(d for d in engine.get("0001").deadlines if d.kind == "feedback")
    clock.set(feedback_due.due_at + timedelta(days=3))
    assert sweep(engine).lapsed == 1
    assert engine.get("0001").state == "closed"
    change = engine.feedback(
        "0001", rating="satisfied", actor=Actor.deputy("张三"), at=feedback_due.due_at - timedelta(days=2)
    )
    assert change.state == "closed"
    case = engine.get("0001")
    window = next(d for d in case.deadlines if d.kind == "feedback")
    assert (window.status, window.late) == ("met", False)
    history = engine.history("0001")
    lapse = next(h for h in history if h.action == "lapse")
    assert lapse.superseded_by == next(h.seq for h in history if h.action == "feedback")
    assert engine.verify_audit() == (1, [])
    assert row_count(engine, "feedback") == 1


def test_a_backfilled_action_that_settles_nothing_lets_the_sweep_record_the_step_again() -> None:
    """A contact dated before the escalation supersedes it; the answer is still overdue, so the next sweep
    records the 督办函 again, and its notice, keyed as before, is not sent twice."""
    clock = FrozenClock()
    engine = _overdue_case(clock)
    keys = {key for key, _, _ in _outbox(engine) if key.startswith("step:")}
    engine.contact("0001", method="phone", actor=Actor.unit(MAIN), at=beijing("2026-05-15"))
    assert engine.get("0001").escalation_level == 0
    again = sweep(engine)
    assert again.steps == 1
    assert engine.get("0001").escalation_level == 2
    steps = [h for h in engine.history("0001") if h.action == "escalate"]
    assert [h.superseded_by is not None for h in steps] == [True, False]
    assert {key for key, _, _ in _outbox(engine) if key.startswith("step:")} == keys


# ---- the property ---------------------------------------------------------------------------------
def _after(start: str, days: int) -> datetime:
    return beijing(start) + timedelta(days=days)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    sweeps=st.lists(st.integers(60, 200), min_size=1, max_size=4, unique=True).map(sorted),
    answered=st.integers(1, 199),
)
def test_an_answer_entered_late_ends_where_an_answer_on_time_would(sweeps: list[int], answered: int) -> None:
    """Sweeps on some days after assignment (02-10), an answer dated ``answered`` days after it: entered after
    every sweep (the later steps superseded), or on time between them, the case ends alike: state, escalation
    level, every deadline's status and lateness, the answer's escalations standing, and no event lost."""
    last = sweeps[-1]
    if answered >= last:  # entered after the last sweep: in order anyway
        answered = last - 1

    def run(late: bool) -> tuple[object, ...]:
        clock = FrozenClock("2026-02-10T09:00:00+08:00")
        engine = make_engine(clock=clock)
        make_case(engine, "0001", state="assigned", co=())
        answer_at = _after("2026-02-10", answered)
        done = False
        for day in sweeps:
            if (
                not late and not done and day >= answered
            ):  # the answer (09:00) comes before that sweep (10:00)
                clock.set(answer_at)
                engine.answer("0001", category="A", text="答复", actor=Actor.unit(MAIN))
                done = True
            clock.set(_after("2026-02-10", day) + timedelta(hours=1))
            sweep(engine)
        if not done:
            engine.answer("0001", category="A", text="答复", actor=Actor.unit(MAIN), at=answer_at)
        sweep(engine)
        case = engine.get("0001")
        history = engine.history("0001")
        # the answer deadline's steps recorded before the answer stand; the later ones are superseded (the
        # feedback window's reminders may differ: a sweep cannot remind of a window not yet entered)
        standing = [
            h.data["step"]
            for h in history
            if h.action == "escalate" and h.data["deadline"] == "answer" and not h.superseded_by
        ]
        assert engine.verify_audit() == (1, [])
        assert len({h.seq for h in history}) == len(history) == max(h.seq for h in history)
        deadlines = [(d.kind, d.status, d.late) for d in case.deadlines]
        return case.state, case.escalation_level, deadlines, standing

    assert run(late=True) == run(late=False)


def test_a_case_with_superseded_steps_exports_and_imports_as_it_was(tmp_path: Path) -> None:
    """The 办理过程 sheet keeps the superseded step (naming what superseded it); the import replays the
    answer in order and has no sweep step to leave to the next sweep."""
    clock = FrozenClock()
    engine = _overdue_case(clock)
    engine.answer("0001", category="A", text="答复", actor=Actor.unit(MAIN), at=beijing("2026-05-08", 10))
    data = export_ledger(engine, "xlsx")
    assert isinstance(data, bytes)
    book = tmp_path / "ledger.xlsx"
    book.write_bytes(data)
    fresh = make_engine(clock=clock)
    report = import_ledger(fresh, book)
    assert (report.from_history, report.sweep_steps) == (1, 0)
    before, after = engine.get("0001").to_json(), fresh.get("0001").to_json()
    assert {k: v for k, v in after.items() if k != "version"} == {
        k: v for k, v in before.items() if k != "version"
    }
