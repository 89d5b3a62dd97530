"""The reminder sweep: ladder steps recorded once, in order, with the right recipients and times."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from cli import cli
from rules import DeadlineKind, Ladder, LadderStep, Recipient, RuleSet, default_ruleset
from workflow.core.errors import ValidationError
from workflow.engine import Engine
from workflow.store import outbox
from workflow.store.sql import Raw, as_instant
from workflow.store.steps import DUE_STEPS
from workflow.sweep import forecast, sweep
from workflow.testing import FrozenClock, beijing, make_case, row_count, unit_ids


def _variant(**changes: object) -> RuleSet:
    base = default_ruleset()
    return base.model_copy(update={"version": base.version + 1, **changes})


def _steps(engine: Engine) -> list[outbox.Notice]:
    return sorted((n for n in outbox.listing(engine) if n.key.startswith("step:")), key=lambda n: n.id)


def test_a_due_step_is_recorded_once(engine: Engine, clock: FrozenClock) -> None:
    """Ten working days before the answer is due the main unit is reminded; a second sweep adds nothing."""
    make_case(engine, "0001", state="assigned", clock=clock, co=())
    clock.set(beijing("2026-05-20", 9))
    first = sweep(engine)
    second = sweep(engine)
    [notice] = _steps(engine)
    assert (first.steps, first.notices, second.looked, second.steps) == (1, 1, 0, 0)
    assert re.fullmatch(r"step:\d+:\d+:v1:0:unit:\d+", notice.key)
    assert (notice.topic, notice.recipient_kind, notice.payload["due"]) == (
        "reminder_before_due",
        "unit",
        "2026-06-03",
    )
    assert (notice.payload["working_days_left"], notice.payload["unit"]) == (10, "市交通运输局")
    last = engine.history("0001")[-1]
    assert (last.action, last.actor, last.data["label"], last.data["recipients"]) == (
        "escalate",
        "system",
        "到期前提醒",
        [f"unit:{notice.recipient_id}"],
    )


def test_a_step_not_yet_due_is_not_recorded(engine: Engine, clock: FrozenClock) -> None:
    """One minute before 09:00 on the step's day nothing fires."""
    make_case(engine, "0001", state="assigned", clock=clock, co=())
    clock.set(beijing("2026-05-20", 8, 59))
    report = sweep(engine)
    assert (report.looked, report.steps, _steps(engine)) == (0, 0, [])


def test_missed_steps_are_named_and_only_the_latest_is_sent(engine: Engine, clock: FrozenClock) -> None:
    """After a week without sweeps only the 督办函 goes out; the earlier steps are listed as skipped."""
    make_case(engine, "0001", state="assigned", clock=clock, co=())
    clock.set(beijing("2026-06-11", 10))
    report = sweep(engine)
    [record] = report.records
    assert (record.label, record.skipped) == ("督办函", ("到期前提醒", "到期前提醒", "催办"))
    assert [(n.topic, n.recipient_kind) for n in _steps(engine)] == [
        ("supervision_letter", "unit"),
        ("supervision_letter", "office"),
    ]
    assert engine.get("0001").escalation_level == 2
    assert _steps(engine)[0].payload["working_days_late"] == 6


def test_the_parent_unit_receives_the_supervision_letter(engine: Engine, clock: FrozenClock) -> None:
    """A unit's parent (主管部门) is a recipient of the 督办函 step."""
    engine.add_unit("市政府办公厅")
    engine.add_unit("市河湖中心", parent="市政府办公厅")
    engine.submit("0001", title="甲", deputy="张三")
    engine.assign("0001", main="市河湖中心")
    clock.set(beijing("2026-06-10", 9))
    [record] = sweep(engine).records
    ids = unit_ids(engine)
    assert (record.label, record.recipients) == (
        "督办函",
        (f"unit:{ids['市河湖中心']}", f"unit:{ids['市政府办公厅']}", "office"),
    )


def test_a_lapsed_feedback_window_closes_the_case_without_feedback(
    engine: Engine, clock: FrozenClock
) -> None:
    """When the window ends the case is closed (lapse) and no late reminder goes to the deputy."""
    make_case(engine, "0001", state="answered", clock=clock, co=())
    clock.set(beijing("2026-04-01", 10))
    report = sweep(engine)
    case = engine.get("0001")
    last = engine.history("0001")[-1]
    assert (report.lapsed, report.steps, _steps(engine)) == (1, 0, [])
    assert (case.state, last.action, last.actor) == ("closed", "lapse", "system")
    assert last.data["skipped"] == ["征询意见提醒"]
    assert [d.status for d in case.deadlines if d.kind == "feedback"] == ["missed"]


def test_a_rule_set_can_keep_waiting_for_feedback(engine: Engine, clock: FrozenClock) -> None:
    """With close_without_feedback = false the case stays answered after the window."""
    rs = default_ruleset()
    engine.apply_ruleset(
        _variant(lifecycle=rs.lifecycle.model_copy(update={"close_without_feedback": False}))
    )
    make_case(engine, "0001", state="answered", clock=clock, co=())
    clock.set(beijing("2026-04-01", 10))
    report = sweep(engine)
    assert (report.lapsed, engine.get("0001").state) == (0, "answered")


def test_the_feedback_reminder_goes_to_the_deputy_before_the_window_ends(
    engine: Engine, clock: FrozenClock
) -> None:
    """Five working days before the feedback is due the lead deputy is reminded."""
    make_case(engine, "0001", state="answered", clock=clock, co=())
    feedback_due = next(d.due for d in engine.get("0001").deadlines if d.kind == "feedback")
    clock.set(beijing("2026-03-20", 9))
    sweep(engine)
    [notice] = _steps(engine)
    assert (notice.topic, notice.recipient_kind, notice.payload["due"]) == (
        "feedback_reminder",
        "deputy",
        feedback_due.isoformat(),
    )


def test_non_urgent_notices_wait_for_working_hours(engine: Engine, clock: FrozenClock) -> None:
    """A step recorded at 20:00 is available at 09:00 the next working day; an urgent one at once."""
    ladder = Ladder(
        steps=[
            LadderStep(
                offset=-10,
                action="reminder",
                recipients=[Recipient.OWING_UNIT],
                template="reminder_before_due",
            ),
            LadderStep(
                offset=1,
                action="cuiban",
                recipients=[Recipient.OFFICE],
                template="overdue_reminder",
                urgent=True,
            ),
        ]
    )
    engine.apply_ruleset(_variant(ladders={DeadlineKind.ANSWER.value: ladder}))
    make_case(engine, "0001", state="assigned", clock=clock, co=())
    clock.set(beijing("2026-05-22", 20))  # a Friday evening
    sweep(engine)
    clock.set(beijing("2026-06-04", 20))
    sweep(engine)
    reminder, urgent = _steps(engine)
    assert reminder.available_at == beijing("2026-05-25", 9)  # Monday
    assert urgent.available_at == beijing("2026-06-04", 20)


def test_an_extension_restarts_the_ladder(engine: Engine, clock: FrozenClock) -> None:
    """Extending to six months moves the steps to the new due date; the next sweep sends nothing old."""
    make_case(engine, "0001", state="assigned", clock=clock, co=())
    clock.set(beijing("2026-05-20", 9))
    sweep(engine)
    engine.extend("0001", reason="涉及面广")
    again = sweep(engine)
    upcoming = forecast(engine, days=200)
    assert (again.looked, again.steps) == (0, 0)
    assert [(i.label, i.due.isoformat()) for i in upcoming[:1]] == [("到期前提醒", "2026-09-03")]


def test_a_dry_run_writes_nothing(engine: Engine, clock: FrozenClock) -> None:
    """The dry run lists the step; the real sweep afterwards still records it."""
    make_case(engine, "0001", state="assigned", clock=clock, co=())
    clock.set(beijing("2026-05-20", 9))
    dry = sweep(engine, dry_run=True)
    version = engine.get("0001").version
    real = sweep(engine)
    assert ([r.label for r in dry.records], version) == (["到期前提醒"], engine.get("0001").version - 1)
    assert real.steps == 1


def test_forecast_says_when_for_whom_and_why(engine: Engine, clock: FrozenClock) -> None:
    """The forecast lists each coming step with its recipients and reason."""
    make_case(engine, "0001", state="assigned", clock=clock, co=())
    items = forecast(engine, days=100)
    first = items[0]
    assert (first.at, first.case, first.label, first.recipients, first.why) == (
        beijing("2026-05-20", 9),
        "测试会议/0001",
        "到期前提醒",
        ("市交通运输局",),
        "answer due 2026-06-03: 10 working day(s) before",
    )
    assert [i.label for i in items] == ["到期前提醒", "到期前提醒", "催办", "督办函"]
    assert forecast(engine, days=100, unit="市财政局") == []


def test_the_sweep_reads_the_next_step_index(engine: Engine) -> None:
    """The candidate query is an index range, not a scan of every deadline."""
    with engine.db.reading() as conn:
        plan = Raw(conn).all(
            f"EXPLAIN QUERY PLAN {DUE_STEPS}",
            {"now": "2026-01-01", "limit": 500, "congress": engine.congress_id},
        )
    assert any("ix_deadlines_next_step" in str(row[-1]) for row in plan)


@pytest.mark.parametrize("state", ["closed", "withdrawn"])
def test_finished_cases_get_no_steps(engine: Engine, clock: FrozenClock, state: str) -> None:
    """Deadlines settled by closing or withdrawing leave nothing for the sweep."""
    make_case(engine, "0001", state=state, clock=clock, co=())
    clock.set(beijing("2026-12-31", 10))
    assert sweep(engine).looked == 0


def test_forecast_of_missed_steps_shows_what_the_next_sweep_sends(engine: Engine, clock: FrozenClock) -> None:
    """Steps that came due unswept appear once, as the one step the next sweep records, then the later ones."""
    make_case(engine, "0001", state="assigned", clock=clock, co=())
    clock.set(beijing("2026-06-11", 10))
    items = forecast(engine, days=30)
    assert [(i.label, i.at) for i in items] == [
        ("督办函", beijing("2026-06-11", 10)),
        ("通报", beijing("2026-07-02", 9)),
    ]


def test_a_sweep_at_a_future_time_is_refused_and_writes_nothing(
    engine: Engine, clock: FrozenClock, runner: CliRunner, db_path: Path
) -> None:
    """A sweep may not record the future (steps and lapses dated ahead would block every real action after
    them): refused in one line, with the times in Beijing time, nothing written; a dry run may look ahead."""
    make_case(engine, "0001", state="answered", clock=clock, co=())
    before = (engine.history("0001"), row_count(engine, "outbox"), row_count(engine, "audit_events"))
    with pytest.raises(
        ValidationError,
        match=r"^now 2027-06-01T09:00\+08:00 is in the future \(the clock says 2026-03-0\dT\d\d:\d\d\+08:00\)",
    ):
        sweep(engine, now=beijing("2027-06-01", 9))
    assert sweep(engine, now=beijing("2027-06-01", 9), dry_run=True).lapsed == 1
    conf = db_path.parent / "jianyi.toml"
    conf.write_text('[notifications]\n[notifications.file]\ndirectory = "out"\n', encoding="utf-8")
    result = runner.invoke(
        cli, ["--db", str(db_path), "--config", str(conf), "remind", "--once", "--now", "2027-06-01T09:00"]
    )
    assert result.exit_code == 3
    assert result.stderr.count("\n") == 1
    assert "is in the future" in result.stderr
    assert (engine.history("0001"), row_count(engine, "outbox"), row_count(engine, "audit_events")) == before


def test_a_sweep_for_a_past_time_is_recorded_now(engine: Engine, clock: FrozenClock) -> None:
    """Catching up on a missed day: the step is dated at the time given, recorded at the clock's time."""
    make_case(engine, "0001", state="assigned", clock=clock, co=())
    clock.set(beijing("2026-05-22", 10))
    sweep(engine, now=beijing("2026-05-20", 9))
    [event] = [e for e in engine.history("0001") if e.action == "escalate"]
    with engine.db.reading() as conn:
        [(_, recorded)] = Raw(conn).all("SELECT at, recorded_at FROM audit_events WHERE action = 'escalate'")
    assert event.at == beijing("2026-05-20", 9)
    assert as_instant(recorded) == beijing("2026-05-22", 10)


def test_an_action_is_not_moved_forward_to_an_event_dated_ahead(engine: Engine, clock: FrozenClock) -> None:
    """An action without --at follows a last event a few minutes ahead (another host's clock); one dated
    further ahead (a record from before the sweep refused the future) refuses the action instead of dating it
    in the future."""
    make_case(engine, "0001", state="assigned", clock=clock, co=())
    make_case(engine, "0002", state="assigned", clock=clock, co=())
    now = clock.now()
    with engine.db.transaction() as conn:
        Raw(conn).run(
            "UPDATE suggestions SET last_event_at = :at WHERE number = '0001'",
            {"at": now + timedelta(minutes=2)},
        )
        Raw(conn).run(
            "UPDATE suggestions SET last_event_at = :at WHERE number = '0002'",
            {"at": now + timedelta(days=30)},
        )
    engine.contact("0001", method="phone", unit="市交通运输局")
    assert engine.history("0001")[-1].at == now + timedelta(minutes=2)
    with pytest.raises(ValidationError, match="before the case's last event"):
        engine.contact("0002", method="phone", unit="市交通运输局")
