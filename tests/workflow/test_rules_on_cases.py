"""Rule sets and calendars acting on cases: loading a year's schedule, applying a new rule-set version."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rules import DeadlineKind, RuleSetInvalid, YearSchedule, default_ruleset, parse_ruleset
from workflow.core.audit import canonical
from workflow.core.errors import ValidationError
from workflow.core.states import ACTION_LABELS
from workflow.engine import Engine
from workflow.recompute import event_data
from workflow.testing import FrozenClock, beijing, make_case

MAIN = "市交通运输局"

# a made-up 2027 schedule for tests only (not the State Council's): 2027-03-01 off, 2027-02-27 worked
SCHEDULE_2027 = YearSchedule(
    year=2027,
    source="测试用安排",
    holidays={date(2027, 3, 1): "测试假日", date(2027, 3, 2): "测试假日"},
    workdays=[date(2027, 2, 27)],
)


def _answer(engine: Engine, number: str) -> tuple[date, bool, int]:
    found = next(d for d in engine.get(number).deadlines if d.kind == "answer")
    return found.due, found.provisional, found.version


def test_a_deadline_in_an_unloaded_year_is_provisional_until_its_schedule_is_loaded(
    engine: Engine, clock: FrozenClock
) -> None:
    """Assigned 2026-12-01: answer due 2027-03-01, provisional; the 2027 schedule moves it and clears the flag."""
    clock.set(beijing("2026-12-01", 10))
    engine.submit("0001", title="甲", deputy="张三")
    engine.assign("0001", main=MAIN)
    assert _answer(engine, "0001") == (date(2027, 3, 1), True, 1)
    report = engine.load_calendar(SCHEDULE_2027)
    assert (report.cases_changed, report.deadlines_moved) == (1, 1)
    assert _answer(engine, "0001") == (date(2027, 3, 3), False, 2)
    last = engine.history("0001")[-1]
    assert (last.action, last.actor, last.data["deadlines"]) == (
        "deadlines_recomputed",
        "system",
        [{"kind": "answer", "from": "2027-03-01", "to": "2027-03-03", "provisional": False}],
    )
    assert engine.verify_audit()[1] == []


def test_loading_the_same_schedule_twice_moves_nothing(engine: Engine, clock: FrozenClock) -> None:
    """Recomputation is idempotent."""
    clock.set(beijing("2026-12-01", 10))
    make_case(engine, "0001", state="assigned", co=[])
    engine.load_calendar(SCHEDULE_2027)
    version = engine.get("0001").version
    again = engine.load_calendar(SCHEDULE_2027)
    assert (again.cases_changed, engine.get("0001").version) == (0, version)


def test_a_loaded_year_replaces_the_librarys_guess(engine: Engine) -> None:
    """The loaded schedule is authoritative for its year: 2027-02-27 (a Saturday) becomes a working day."""
    engine.load_calendar(SCHEDULE_2027)
    cal = engine.active_ruleset().work_calendar
    assert (
        cal.is_working_day(date(2027, 2, 27)),
        cal.is_working_day(date(2027, 3, 1)),
        cal.is_official(2027),
    ) == (True, False, True)


def test_apply_without_open_cases_moves_nothing(engine: Engine) -> None:
    """A new version governs new assignments only, unless open cases are moved."""
    make_case(engine, "0001", state="answered")
    faster = parse_ruleset(
        'id = "national"\nversion = 2\nextends = "national"\n[deadlines.feedback]\namount = 5\n'
    )
    assert engine.apply_ruleset(faster) is None
    assert (engine.get("0001").ruleset, engine.active_ruleset().version) == ("national@1", 2)
    make_case(engine, "0002", state="assigned")
    assert engine.get("0002").ruleset == "national@2"


def test_apply_to_open_cases_recomputes_and_audits(engine: Engine, clock: FrozenClock) -> None:
    """Open cases move to the new version; their open deadlines follow it; closed cases keep theirs."""
    make_case(
        engine, "0001", state="answered", clock=clock
    )  # answered Thu 2026-03-05: feedback 15 wd → 03-26
    make_case(engine, "0002", state="closed", clock=clock)
    before = next(d for d in engine.get("0001").deadlines if d.kind == "feedback")
    faster = parse_ruleset(
        'id = "national"\nversion = 2\nextends = "national"\n[deadlines.feedback]\namount = 5\n'
    )
    report = engine.apply_ruleset(faster, open_cases=True)
    assert report is not None
    after = next(d for d in engine.get("0001").deadlines if d.kind == "feedback")
    assert (before.due, after.due, after.version) == (date(2026, 3, 26), date(2026, 3, 12), 2)
    assert (engine.get("0001").ruleset, engine.get("0002").ruleset) == ("national@2", "national@1")
    assert engine.history("0001")[-1].data["ruleset"] == {"from": "national@1", "to": "national@2"}
    assert engine.verify_audit()[1] == []


def test_a_longer_answer_period_applied_to_open_cases_moves_the_date_they_count_late_from(
    engine: Engine, clock: FrozenClock
) -> None:
    """The summary counts an open answer late from its deadline as it stands: after a rule set with a longer
    answer period is applied to open cases, a case past three months is not late yet."""
    from workflow.reporting.measures import measure

    make_case(engine, "0001", state="assigned", clock=clock, co=())
    clock.advance(days=100)
    assert (measure(engine).due, measure(engine).on_time) == (1, 0)
    slower = parse_ruleset(
        'id = "national"\nversion = 2\nextends = "national"\n[deadlines.answer]\namount = 4\nunit = "months"\n'
    )
    engine.apply_ruleset(slower, open_cases=True)
    assert (measure(engine).due, measure(engine).on_time) == (0, 0)


def test_a_changed_rule_set_needs_a_new_version(engine: Engine) -> None:
    """Same id and version with other content is refused; so is an older version."""
    changed = parse_ruleset(
        'id = "national"\nversion = 1\nextends = "national"\n[deadlines.feedback]\namount = 5\n'
    )
    with pytest.raises(
        ValidationError, match="national@1 is stored with other content; give the changed rule set"
    ):
        engine.apply_ruleset(changed)
    engine.apply_ruleset(changed.model_copy(update={"version": 3}))
    with pytest.raises(ValidationError, match="national@2 is older than the stored national@3"):
        engine.apply_ruleset(changed.model_copy(update={"version": 2}))


def test_explain_names_rule_basis_and_roll(engine: Engine, clock: FrozenClock) -> None:
    """--explain data: the rule, the statute, the raw end and the roll over 国庆节."""
    clock.set(beijing("2026-07-01", 10))
    engine.submit("0001", title="甲", deputy="张三")
    engine.assign("0001", main=MAIN)
    answer = next(e for e in engine.explain("0001") if e.deadline.kind == "answer")
    assert (answer.rule, answer.deadline.raw_due, answer.deadline.roll_reason, answer.due_local) == (
        "3 months from assigned",
        date(2026, 10, 1),
        "2026-10-01 国庆节 → 2026-10-08",
        "2026-10-08 24:00 Asia/Shanghai",
    )
    assert "代表法 第五十一条" in answer.basis


def test_due_lists_obligations_by_due_date(engine: Engine, clock: FrozenClock) -> None:
    """due: open obligations (not hand-back windows) within the span, overdue first, per unit."""
    make_case(engine, "0001", state="assigned")  # assigned 2026-03-02: co-opinion due 04-02, answer 06-02
    items = engine.due(within=__import__("datetime").timedelta(days=40))
    assert [(i.number, i.kind, i.unit, i.due, i.overdue) for i in items] == [
        ("0001", "co_opinion", "市财政局", date(2026, 4, 2), False)
    ]
    late = engine.due(now=beijing("2026-04-10"), unit="市财政局")
    assert [(i.kind, i.overdue) for i in late] == [("co_opinion", True)]


def test_rule_set_start_event_is_validated() -> None:
    """A start event the kind cannot have is refused with the allowed ones."""
    with pytest.raises(RuleSetInvalid, match=r"deadlines\.answer\.start 'received' unknown: use assigned"):
        parse_ruleset('id = "x"\nextends = "national"\n[deadlines.answer]\nstart = "received"\n')


def test_ladders_must_rise(tmp_path: Path) -> None:
    """Escalation steps are in time order."""
    text = (
        'id = "x"\nextends = "national"\n[ladders.answer]\nsteps = [\n'
        '{ offset = 5, action = "cuiban", recipients = ["office"], template = "overdue_reminder" },\n'
        '{ offset = 1, action = "cuiban", recipients = ["office"], template = "overdue_reminder" },\n]\n'
    )
    with pytest.raises(
        RuleSetInvalid, match=r"ladders\.answer: step offsets must rise strictly, got \[5, 1\]"
    ):
        parse_ruleset(text)


def test_the_default_answer_ladder_escalates_as_offices_do() -> None:
    """+1 催办, +5 督办函, +20 通报, +30 约谈 after the answer deadline."""
    steps = default_ruleset().ladders[DeadlineKind.ANSWER.value].steps
    assert [(s.offset, s.label) for s in steps if s.offset > 0] == [
        (1, "催办"),
        (5, "督办函"),
        (20, "通报"),
        (30, "约谈"),
    ]


moves = st.lists(
    st.fixed_dictionaries(
        {
            "kind": st.sampled_from(["answer", "co_opinion", "feedback"]),
            "from": st.dates().map(str),
            "to": st.none() | st.dates().map(str),
        },
        optional={"provisional": st.booleans()},
    ),
    max_size=4,
)


@given(
    st.text(max_size=30),
    moves,
    st.none() | st.fixed_dictionaries({"from": st.text(max_size=9), "to": st.text(max_size=9)}),
)
def test_recompute_event_data_is_the_canonical_json(
    reason: str, moved: list[dict[str, Any]], ruleset: dict[str, str] | None
) -> None:
    """The fast assembly of a recompute event's data is byte for byte what the audit chain hashes."""
    data: dict[str, Any] = {"reason": reason, "deadlines": moved}
    if ruleset is not None:
        data["ruleset"] = ruleset
    assert event_data(reason, moved, ruleset) == canonical(data)


@pytest.mark.postgres
def test_postgres_calendar_load_and_rule_apply(pg_url: str) -> None:
    """On PostgreSQL too: loading a year recomputes, applying a version moves open cases, chains verify."""
    clock = FrozenClock("2026-12-01T09:00:00+08:00")
    with Engine.init(pg_url, clock=clock) as engine:
        engine.add_session("s", current=True)
        engine.add_unit(MAIN)
        engine.add_unit("市财政局")
        engine.add_deputy("张三")
        make_case(engine, "0001", state="assigned", co=[])
        make_case(engine, "0002", state="submitted")
        assert engine.load_calendar(SCHEDULE_2027).cases_changed == 1
        faster = parse_ruleset(
            'id = "national"\nversion = 2\nextends = "national"\n[deadlines.feedback]\namount = 5\n'
        )
        report = engine.apply_ruleset(faster, open_cases=True)
        assert report is not None
        assert (report.cases_changed, engine.get("0001").ruleset) == (1, "national@2")
        assert engine.verify_audit()[1] == []


def test_what_the_system_records_on_a_case_reads_in_the_offices_words(
    engine: Engine, clock: FrozenClock
) -> None:
    """A new rule set and a loaded schedule write their own events into a case's history; each has its word."""
    clock.set(beijing("2026-12-01", 10))
    engine.submit("0001", title="甲", deputy="张三")
    engine.assign("0001", main=MAIN)
    base = default_ruleset()
    lifecycle = base.lifecycle.model_copy(update={"answer_review": True})
    engine.apply_ruleset(
        base.model_copy(update={"version": base.version + 1, "lifecycle": lifecycle}), open_cases=True
    )
    engine.load_calendar(SCHEDULE_2027)
    actions = [event.action for event in engine.history("0001")]
    assert {"ruleset_applied", "deadlines_recomputed"} <= set(actions)
    assert [a for a in actions if a not in ACTION_LABELS] == []
