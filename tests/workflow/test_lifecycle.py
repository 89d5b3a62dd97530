"""The lifecycle through the engine: each action, its deadlines, its refusals."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import func, select

from workflow.core.errors import Conflict, NotFound, PermissionDenied, TransitionNotAllowed, ValidationError
from workflow.core.views import Actor, CaseEvent
from workflow.engine import AssignOrder, Engine, Promised
from workflow.store.models import Assignment, AuditEvent, Deadline, Outbox, table
from workflow.testing import DEFAULT_UNITS, FrozenClock, beijing, make_case, row_count, table_rows

pytestmark = pytest.mark.parametrize(
    "backend", ["sqlite-file", pytest.param("postgresql", marks=pytest.mark.postgres)], indirect=True
)

MAIN, CO, OTHER, FOURTH = "市交通运输局", "市财政局", "市住房和城乡建设局", "市教育局"

# a trigger that refuses every audit event, as a constraint would
BLOCK_AUDIT = {
    "sqlite": [
        "CREATE TRIGGER no_audit BEFORE INSERT ON audit_events BEGIN SELECT RAISE(ABORT, 'audit blocked'); END"
    ],
    "postgresql": [
        "CREATE FUNCTION no_audit() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
        "RAISE EXCEPTION 'audit blocked' USING ERRCODE = 'integrity_constraint_violation'; END $$",
        "CREATE TRIGGER no_audit BEFORE INSERT ON audit_events FOR EACH ROW EXECUTE FUNCTION no_audit()",
    ],
}


def _count(engine: Engine, model: type) -> int:
    with engine.db.engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(table(model))).scalar_one())


def _deadlines(engine: Engine, number: str) -> list[tuple[str, str | None, str, str]]:
    return [(d.kind, d.unit, d.due.isoformat(), d.status) for d in engine.get(number).deadlines]


def test_submit_registers_a_case_in_submitted(engine: Engine) -> None:
    """A new suggestion starts in submitted at version 1 with its co-signers."""
    change = engine.submit("0001", title="关于优化公交线路的建议", deputy="张三", co_signers=["李四", "王五"])
    case = engine.get("0001")
    assert (change.state, change.version) == ("submitted", 1)
    assert (case.state, case.deputy, case.co_signers, case.round) == (
        "submitted",
        "张三",
        ("李四", "王五"),
        1,
    )


def test_a_number_is_unique_within_the_session(engine: Engine) -> None:
    """Submitting the same number twice is refused and writes nothing."""
    engine.submit("0001", title="甲", deputy="张三")
    with pytest.raises(ValidationError, match="0001 already exists"):
        engine.submit("0001", title="乙", deputy="李四")
    assert engine.get("0001").title == "甲"


def test_an_unknown_deputy_is_named_with_what_to_do(engine: Engine) -> None:
    """The error says which deputy and how to add it."""
    with pytest.raises(NotFound, match=r"deputy '赵六' not found \(add it with `jianyi deputy add 赵六`\)"):
        engine.submit("0001", title="甲", deputy="赵六")


def test_assign_starts_the_clocks_from_the_assignment_day(engine: Engine, clock: FrozenClock) -> None:
    """Assignment on 2026-07-01 gives the answer on 10-08 (国庆 roll) and the co-opinion on 08-03."""
    engine.submit("0001", title="甲", deputy="张三", at=beijing("2026-03-01"))
    clock.set(beijing("2026-07-01", 10))
    engine.assign("0001", main=MAIN, co=[CO])
    assert _deadlines(engine, "0001") == [
        ("return_window", MAIN, "2026-07-15", "open"),
        ("answer", MAIN, "2026-10-08", "open"),
        ("return_window", CO, "2026-07-15", "open"),
        ("co_opinion", CO, "2026-08-03", "open"),
    ]
    case = engine.get("0001")
    assert (case.state, case.main_unit, case.co_units, case.ruleset) == (
        "assigned",
        MAIN,
        (CO,),
        "national@1",
    )


def test_assign_names_every_unknown_unit(engine: Engine) -> None:
    """Unknown units are listed together and nothing is written."""
    engine.submit("0001", title="甲", deputy="张三")
    with pytest.raises(
        ValidationError, match=r"unknown unit\(s\): 甲局, 乙局; add them with `jianyi unit add NAME`"
    ):
        engine.assign("0001", main="甲局", co=["乙局"])
    assert (engine.get("0001").state, _count(engine, Assignment), _count(engine, Deadline)) == (
        "submitted",
        0,
        0,
    )


def test_assign_needs_a_main_unit_or_split_units(engine: Engine) -> None:
    """Main and split are exclusive; split needs two units."""
    engine.submit("0001", title="甲", deputy="张三")
    with pytest.raises(ValidationError, match="name one main unit"):
        engine.assign("0001")
    with pytest.raises(ValidationError, match="at least two units"):
        engine.assign("0001", split=[MAIN])


def test_a_wrong_transition_names_case_state_and_allowed_actions(engine: Engine) -> None:
    """Answering a submitted case is refused with what is allowed."""
    engine.submit("0001", title="甲", deputy="张三")
    with pytest.raises(TransitionNotAllowed) as caught:
        engine.answer("0001", category="A", text="x")
    assert (
        str(caught.value)
        == "建议 测试会议/0001: cannot 'answer' while 'submitted' (allowed: assign, withdraw)"
    )


def test_the_last_co_opinion_moves_the_case_to_co_handled(engine: Engine, clock: FrozenClock) -> None:
    """With two co-units, the first opinion keeps assigned; the second moves to co_handled."""
    engine.submit("0001", title="甲", deputy="张三")
    engine.assign("0001", main=MAIN, co=[CO, OTHER])
    clock.advance(days=3)
    assert engine.opinion("0001", text="同意", actor=Actor.unit(CO)).state == "assigned"
    assert engine.opinion("0001", text="同意", actor=Actor.unit(OTHER)).state == "co_handled"
    statuses = {(d.kind, d.unit): (d.status, d.late) for d in engine.get("0001").deadlines}
    assert statuses[("co_opinion", CO)] == ("met", False)


def test_only_a_co_unit_sends_an_opinion_once(engine: Engine) -> None:
    """The main unit cannot send an opinion; a co-unit cannot send two."""
    make_case(engine, "0001", state="assigned", co=[CO, OTHER])
    with pytest.raises(
        PermissionDenied, match="unit:市交通运输局 may not 'opinion': unit '市交通运输局' is not a co-unit"
    ):
        engine.opinion("0001", text="x", actor=Actor.unit(MAIN))
    engine.opinion("0001", text="x", actor=Actor.unit(CO))
    with pytest.raises(TransitionNotAllowed, match="has already sent its opinion"):
        engine.opinion("0001", text="y", actor=Actor.unit(CO))


def test_answer_waits_for_co_opinions_unless_the_office_overrides(engine: Engine) -> None:
    """The main unit cannot answer early; the office may, naming the unit and the reason."""
    make_case(engine, "0001", state="assigned")
    with pytest.raises(TransitionNotAllowed, match="waiting for the opinion of 市财政局"):
        engine.answer("0001", category="A", text="x", actor=Actor.unit(MAIN))
    with pytest.raises(PermissionDenied, match="only the office may let an answer go without"):
        engine.answer("0001", category="A", text="x", actor=Actor.unit(MAIN), without_opinion={CO: "逾期"})
    change = engine.answer("0001", category="A", text="x", without_opinion={CO: "会办单位逾期未反馈"})
    assert change.state == "answered"
    assert change.events[0].data["without_opinion"] == {CO: "会办单位逾期未反馈"}
    statuses = {(d.kind, d.unit): d.status for d in engine.get("0001").deadlines}
    assert statuses[("co_opinion", CO)] == "cancelled"


def test_answer_meets_the_deadline_and_opens_feedback(engine: Engine, clock: FrozenClock) -> None:
    """An answer meets the answer deadline on time and opens the deputy's 15-working-day window."""
    make_case(engine, "0001", state="co_handled", clock=clock)
    clock.set(beijing("2026-03-20", 10))
    engine.answer("0001", category="A", text="已解决", actor=Actor.unit(MAIN))
    rows = {d.kind: d for d in engine.get("0001").deadlines if d.unit in (MAIN, None)}
    assert (rows["answer"].status, rows["answer"].late) == ("met", False)
    assert (rows["feedback"].status, rows["feedback"].due) == ("open", date(2026, 4, 13))


def test_an_answer_after_the_deadline_is_recorded_late(engine: Engine, clock: FrozenClock) -> None:
    """Met after 24:00 of the last day counts as late."""
    engine.submit("0001", title="甲", deputy="张三")
    engine.assign("0001", main=MAIN)  # 2026-03-02 → due 2026-06-02
    clock.set(beijing("2026-06-03", 8))
    engine.answer("0001", category="A", text="x")
    answer = next(d for d in engine.get("0001").deadlines if d.kind == "answer")
    assert (answer.due, answer.status, answer.late) == (date(2026, 6, 2), "met", True)


def test_b_answers_carry_promises_with_their_own_deadlines(engine: Engine) -> None:
    """Each promised item becomes a promise deadline on its date; other classes take none."""
    make_case(engine, "0001", state="co_handled")
    with pytest.raises(ValidationError, match="promised items go with class B answers, not A"):
        engine.answer("0001", category="A", text="x", promises=[Promised("修路", date(2026, 12, 31))])
    engine.answer("0001", category="B", text="x", promises=[Promised("修路", date(2026, 12, 31))])
    promise = next(d for d in engine.get("0001").deadlines if d.kind == "promise")
    assert (promise.due, promise.status, promise.unit) == (date(2026, 12, 31), "open", MAIN)


def test_an_unknown_class_lists_the_rule_sets_classes(engine: Engine) -> None:
    """Classes are data of the rule set."""
    make_case(engine, "0001", state="co_handled")
    with pytest.raises(
        ValidationError, match=r"answer class 'E' unknown in rule set national: use A \(所提问题已经解决"
    ):
        engine.answer("0001", category="E", text="x")


def test_satisfied_feedback_closes_and_keeps_the_promise_open(engine: Engine) -> None:
    """Satisfied closes by default; a B promise stays followed up after closing."""
    make_case(engine, "0001", state="co_handled")
    engine.answer("0001", category="B", text="x", promises=[Promised("修路", date(2026, 12, 31))])
    change = engine.feedback("0001", rating="satisfied", actor=Actor.deputy("张三"))
    assert [(e.action, e.to_state, e.actor) for e in change.events] == [
        ("feedback", "revisited", "deputy:张三"),
        ("close", "closed", "system"),
    ]
    assert [d.status for d in engine.get("0001").deadlines if d.kind == "promise"] == ["open"]


def test_unsatisfied_feedback_needs_a_comment_and_starts_round_two(
    engine: Engine, clock: FrozenClock
) -> None:
    """Unsatisfied re-handles: round 2, a 1-month re-answer deadline, a notice to the unit."""
    make_case(engine, "0001", state="answered")
    with pytest.raises(ValidationError, match="unsatisfied feedback must say what is wrong"):
        engine.feedback("0001", rating="unsatisfied")
    engine.feedback("0001", rating="unsatisfied", comment="未解决")
    case = engine.get("0001")
    reanswer = [d for d in case.deadlines if d.kind == "re_answer"]
    assert (case.state, case.round, [(d.due, d.round) for d in reanswer]) == (
        "re_handled",
        2,
        [(date(2026, 4, 2), 2)],
    )
    engine.answer("0001", category="A", text="重新答复")  # no co-opinion needed again
    assert engine.get("0001").state == "answered"


def test_a_second_unsatisfied_round_escalates_to_the_office(engine: Engine) -> None:
    """Round 3 writes an escalation notice for the office."""
    make_case(engine, "0001", state="re_handled")
    engine.answer("0001", category="C", text="x")
    engine.feedback("0001", rating="unsatisfied", comment="仍不满意")
    with engine.db.engine.connect() as conn:
        topics = [r.topic for r in conn.execute(select(table(Outbox).c.topic).order_by(table(Outbox).c.id))]
    assert topics[-1] == "unsatisfied_again"
    assert engine.get("0001").round == 3


def test_only_the_lead_deputy_gives_feedback(engine: Engine) -> None:
    """A co-signer or a unit may not rate the answer; another deputy does not even find the case."""
    engine.submit("0001", title="甲", deputy="张三", co_signers=["李四"])
    engine.assign("0001", main=MAIN)
    engine.answer("0001", category="A", text="答复", actor=Actor.unit(MAIN))
    with pytest.raises(
        PermissionDenied, match=r"deputy:李四 may not 'feedback': only the lead deputy \(张三\)"
    ):
        engine.feedback("0001", rating="satisfied", actor=Actor.deputy("李四"))
    with pytest.raises(NotFound, match="0001' not found"):
        engine.feedback("0001", rating="satisfied", actor=Actor.deputy("王五"))
    with pytest.raises(PermissionDenied, match="only the deputy or the office may do this"):
        engine.feedback("0001", rating="satisfied", actor=Actor.unit(MAIN))


def test_units_may_not_assign_close_or_act_for_others(engine: Engine) -> None:
    """Units act within their own assignment only."""
    engine.submit("0001", title="甲", deputy="张三")
    with pytest.raises(NotFound):  # not yet its case: the unit does not find it
        engine.assign("0001", main=MAIN, actor=Actor.unit(MAIN))
    engine.assign("0001", main=MAIN, co=[CO])
    with pytest.raises(PermissionDenied, match="only the office"):
        engine.reassign("0001", main=CO, actor=Actor.unit(MAIN))
    with pytest.raises(PermissionDenied, match="a unit acts only for itself"):
        engine.opinion("0001", unit=CO, text="x", actor=Actor.unit(MAIN))
    with pytest.raises(NotFound, match="0001' not found"):  # a unit never assigned does not find the case
        engine.contact("0001", method="phone", actor=Actor.unit(FOURTH))


def test_return_then_reassign_restarts_the_clocks(engine: Engine, clock: FrozenClock) -> None:
    """The unit asks to hand back, the office reassigns: old assignment ended, new deadlines from today."""
    engine.submit("0001", title="甲", deputy="张三")
    engine.assign("0001", main=MAIN)
    clock.set(beijing("2026-03-05", 10))
    engine.request_return("0001", reason="不属于本单位职责", actor=Actor.unit(MAIN))
    clock.set(beijing("2026-03-10", 10))
    change = engine.reassign("0001", main=OTHER, reason="改由住建局主办")
    assert change.events[0].data["old"] == [{"unit": MAIN, "role": "main"}]
    assert _deadlines(engine, "0001") == [
        ("return_window", MAIN, "2026-03-16", "met"),
        ("answer", MAIN, "2026-06-02", "cancelled"),
        ("return_window", OTHER, "2026-03-24", "open"),
        ("answer", OTHER, "2026-06-10", "open"),
    ]
    with engine.db.engine.connect() as conn:
        ended = conn.execute(
            select(table(Assignment).c.until).where(table(Assignment).c.unit_id == 1)
        ).scalar_one()
    assert ended == beijing("2026-03-10", 10)


def test_a_unit_cannot_ask_to_hand_back_after_the_window(engine: Engine, clock: FrozenClock) -> None:
    """After 10 working days the unit keeps the case; the office may still record a late request."""
    engine.submit("0001", title="甲", deputy="张三")
    engine.assign("0001", main=MAIN)
    clock.set(beijing("2026-03-20", 10))
    with pytest.raises(ValidationError, match="the window to ask for a hand-back closed on 2026-03-16"):
        engine.request_return("0001", reason="x", actor=Actor.unit(MAIN))
    change = engine.request_return("0001", unit=MAIN, reason="x")
    assert change.events[0].data["late"] is True


def test_refuse_return_needs_a_pending_request(engine: Engine) -> None:
    """Refusing without a request is refused; with one, the unit is told."""
    make_case(engine, "0001", state="assigned")
    with pytest.raises(TransitionNotAllowed, match="no return request is waiting"):
        engine.refuse_return("0001", reason="x")
    engine.request_return("0001", reason="不属于", actor=Actor.unit(MAIN))
    assert engine.refuse_return("0001", reason="属于你单位职责").events[0].data["units"] == [MAIN]


def test_split_units_each_answer_before_the_case_is_answered(engine: Engine) -> None:
    """With split handling the case is answered when the last unit has answered."""
    engine.submit("0001", title="甲", deputy="张三")
    engine.assign("0001", split=[MAIN, OTHER])
    assert engine.answer("0001", category="A", text="x", actor=Actor.unit(MAIN)).state == "assigned"
    with pytest.raises(TransitionNotAllowed, match="has already answered in round 1"):
        engine.answer("0001", category="A", text="x", actor=Actor.unit(MAIN))
    promised = [Promised("修路", date(2026, 12, 31))]
    assert (
        engine.answer("0001", category="B", text="y", actor=Actor.unit(OTHER), promises=promised).state
        == "answered"
    )


def test_a_b_answer_names_its_promised_items(engine: Engine) -> None:
    """A B answer without a promised item is refused, saying how to give one; the rule set may let it pass."""
    make_case(engine, "0001", state="co_handled")
    with pytest.raises(
        ValidationError, match="a class B answer says what will be done and by when: give each"
    ):
        engine.answer("0001", category="B", text="列入计划")
    assert engine.get("0001").state == "co_handled"
    rs = engine.active_ruleset()
    lifecycle = rs.lifecycle.model_copy(update={"promise_required": False})
    engine.apply_ruleset(rs.model_copy(update={"version": rs.version + 1, "lifecycle": lifecycle}))
    make_case(engine, "0002", state="co_handled")
    assert engine.answer("0002", category="B", text="列入计划").state == "answered"


def test_extend_moves_the_answer_to_six_months_from_assignment(engine: Engine, clock: FrozenClock) -> None:
    """An approved extension recomputes the open answer deadline and bumps its version."""
    engine.submit("0001", title="甲", deputy="张三")
    engine.assign("0001", main=MAIN)  # 2026-03-02
    clock.advance(days=30)
    with pytest.raises(ValidationError, match="needs its reasons"):
        engine.extend("0001", reason=" ")
    engine.extend("0001", reason="涉及面广")
    answer = next(d for d in engine.get("0001").deadlines if d.kind == "answer")
    assert (answer.due, answer.version) == (date(2026, 9, 2), 2)
    with pytest.raises(TransitionNotAllowed, match="already extended"):
        engine.extend("0001", reason="again")


def test_withdraw_cancels_every_open_deadline(engine: Engine) -> None:
    """Withdrawal stops handling; only the lead deputy or the office may withdraw."""
    make_case(engine, "0001", state="assigned")
    with pytest.raises(NotFound):  # another deputy does not find the case
        engine.withdraw("0001", reason="x", actor=Actor.deputy("李四"))
    engine.withdraw("0001", reason="情况变化", actor=Actor.deputy("张三"))
    assert {d.status for d in engine.get("0001").deadlines} == {"cancelled"}
    with pytest.raises(
        TransitionNotAllowed, match="cannot 'answer' while 'withdrawn' \\(no action is allowed any more\\)"
    ):
        engine.answer("0001", category="A", text="x")


def test_contacts_record_their_stage(engine: Engine, clock: FrozenClock) -> None:
    """First contact before the answer is 办前, later 办中, after the answer 办后."""
    make_case(engine, "0001", state="co_handled")
    stages = [engine.contact("0001", method="visit", unit=MAIN).events[0].data["stage"]]
    stages.append(engine.contact("0001", method="phone", unit=MAIN).events[0].data["stage"])
    engine.answer("0001", category="A", text="x")
    stages.append(engine.contact("0001", method="visit", unit=MAIN).events[0].data["stage"])
    assert stages == ["before", "during", "after"]


def test_a_time_before_the_last_event_is_refused(engine: Engine, clock: FrozenClock) -> None:
    """Paper records are entered in order; the message names both times, in Beijing time as they were typed."""
    engine.submit("0001", title="甲", deputy="张三", at=beijing("2026-02-01"))
    engine.assign("0001", main=MAIN, at=beijing("2026-02-10"))
    with pytest.raises(
        ValidationError,
        match=r"time 2026-02-09T09:00\+08:00 is before the case's assign of 2026-02-10T09:00\+08:00 \(office\)",
    ):
        engine.answer("0001", category="A", text="x", at=beijing("2026-02-09"))


def test_a_time_in_the_future_is_refused(engine: Engine, clock: FrozenClock) -> None:
    """What has not happened cannot be entered."""
    with pytest.raises(
        ValidationError, match=r"^time \d{4}-\d\d-\d\dT\d\d:\d\d\+08:00 is in the future \(the clock says "
    ):
        engine.submit("0001", title="甲", deputy="张三", at=clock.now() + timedelta(days=1))


def test_a_stale_expected_version_is_a_conflict(engine: Engine) -> None:
    """A form loaded at an older version gets a conflict that says to reload and retry."""
    make_case(engine, "0001", state="assigned", co=[])
    version = engine.get("0001").version
    engine.contact("0001", method="phone", unit=MAIN)
    with pytest.raises(
        Conflict, match=rf"expected version {version}, it is now at version {version + 1}\); reload"
    ):
        engine.answer("0001", category="A", text="x", expected_version=version)


def test_a_refused_action_changes_nothing(engine: Engine) -> None:
    """No audit event, deadline or outbox row survives a refusal."""
    make_case(engine, "0001", state="assigned")
    before = (
        engine.get("0001"),
        _count(engine, AuditEvent),
        _count(engine, Deadline),
        _count(engine, Outbox),
    )
    with pytest.raises(TransitionNotAllowed):
        engine.answer("0001", category="B", text="x", promises=[Promised("a", date(2026, 12, 1))])
    after = (engine.get("0001"), _count(engine, AuditEvent), _count(engine, Deadline), _count(engine, Outbox))
    assert after == before


def test_batch_assign_is_all_or_nothing(engine: Engine) -> None:
    """One bad order refuses the whole batch and lists every failure."""
    for n in ("0001", "0002", "0003"):
        engine.submit(n, title=n, deputy="张三")
    orders = [
        AssignOrder("0001", main=MAIN),
        AssignOrder("0002", main="无此单位"),
        AssignOrder("0009", main=MAIN),
    ]
    with pytest.raises(ValidationError) as caught:
        engine.assign_many(orders)
    assert caught.value.problems == (
        "建议 测试会议/0002: unknown unit(s): 无此单位; add them with `jianyi unit add NAME`",
        "建议 测试会议/0009: not found",
    )
    assert [c.state for c in engine.list_cases()] == ["submitted"] * 3
    changes = engine.assign_many([AssignOrder(n, main=MAIN, co=(CO,)) for n in ("0001", "0002", "0003")])
    assert [c.state for c in changes] == ["assigned"] * 3
    assert _count(engine, Deadline) == 3 * 4


def test_subscribers_hear_committed_events_only(engine: Engine) -> None:
    """Callbacks run after commit; a refused action announces nothing; a failing callback harms nothing."""
    heard: list[CaseEvent] = []
    engine.subscribe(heard.append)
    engine.subscribe(lambda _e: (_ for _ in ()).throw(RuntimeError("subscriber bug")))
    engine.submit("0001", title="甲", deputy="张三")
    with pytest.raises(TransitionNotAllowed):
        engine.close("0001")
    assert [(e.number, e.action, e.to_state, e.version) for e in heard] == [
        ("0001", "submit", "submitted", 1)
    ]


def test_list_filters_by_state_unit_and_overdue(engine: Engine, clock: FrozenClock) -> None:
    """Overdue means an open obligation past due; a closed hand-back window is not overdue."""
    make_case(engine, "0001", state="assigned", co=[])
    make_case(engine, "0002", state="closed", main=OTHER, co=[])
    assert [c.number for c in engine.list_cases(state="assigned")] == ["0001"]
    assert [c.number for c in engine.list_cases(unit=OTHER)] == ["0002"]
    assert (
        engine.list_cases(overdue=True, now=beijing("2026-03-20")) == []
    )  # only the return window has passed
    assert [c.number for c in engine.list_cases(overdue=True, now=beijing("2026-06-03"))] == ["0001"]


def test_history_replays_the_states(engine: Engine) -> None:
    """The history lists each event with from/to states in order."""
    make_case(engine, "0001", state="closed")
    assert [(h.action, h.from_state, h.to_state) for h in engine.history("0001")] == [
        ("submit", None, "submitted"),
        ("assign", "submitted", "assigned"),
        ("opinion", "assigned", "co_handled"),
        ("answer", "co_handled", "answered"),
        ("feedback", "answered", "revisited"),
        ("close", "revisited", "closed"),
    ]


def test_instants_come_back_aware_utc(engine: Engine) -> None:
    """SQLite keeps no zone (the column type restores UTC); PostgreSQL's come back in UTC as well."""
    at = beijing("2026-03-01", 9)
    engine.submit("0001", title="甲", deputy="张三", at=at)
    submitted = engine.get("0001").submitted_at
    assert (submitted, submitted.utcoffset()) == (at, timedelta(0))


def test_sessions_separate_numbers(engine: Engine) -> None:
    """The same number in another session is another case; --session picks it."""
    engine.submit("0001", title="今年", deputy="张三")
    engine.add_session("下一次会议")
    engine.submit("0001", title="另一次", deputy="张三", session="下一次会议")
    assert (engine.get("0001").title, engine.get("0001", session="下一次会议").title) == ("今年", "另一次")
    with pytest.raises(NotFound, match="session '无此会议' not found"):
        engine.get("0001", session="无此会议")


def test_a_database_refusal_is_one_error_and_writes_nothing(engine: Engine) -> None:
    """A constraint the database enforces surfaces as one clear error, and the whole action is rolled back."""
    with engine.db.engine.begin() as conn:
        for statement in BLOCK_AUDIT[engine.db.dialect.name]:
            conn.exec_driver_sql(statement)
    with pytest.raises(
        ValidationError, match="the database refused the change, nothing was written: audit blocked"
    ):
        engine.submit("0001", title="甲", deputy="张三")
    assert engine.list_cases() == []


# ---- an assignment always names the units that answer ---------------------------------------------
def _picture(engine: Engine, number: str) -> tuple[object, ...]:
    """What a refused assignment leaves as it was: the case, its history, every deadline, every table's size."""
    sizes = {name: row_count(engine, name) for name in ("assignments", "audit_events", "deadlines", "outbox")}
    deadlines = table_rows(engine, "deadlines", "id", "unit_id", "kind", "status", "due", "version")
    return engine.get(number), engine.history(number), deadlines, sizes


EMPTY_UNITS = [
    pytest.param(
        {"main": ""},
        "the main unit (主办) is empty; name the unit that answers the deputy",
        id="main",
    ),
    pytest.param(
        {"main": "  "},
        "the main unit (主办) is empty; name the unit that answers the deputy",
        id="blank",
    ),
    pytest.param({"split": [CO, ""]}, "a split unit (分办) is empty; name each split unit", id="split"),
    pytest.param(
        {"main": MAIN, "co": [""]},
        "a co-unit (会办) is empty; name each co-unit, or name none",
        id="co",
    ),
]


@pytest.mark.parametrize(("units", "reason"), EMPTY_UNITS)
def test_assign_to_an_empty_unit_is_refused_and_writes_nothing(
    engine: Engine, units: dict[str, Any], reason: str
) -> None:
    """An empty or blank unit name is refused, naming case and state; the case stays submitted, unassigned."""
    engine.submit("0001", title="甲", deputy="张三")
    before = _picture(engine, "0001")
    with pytest.raises(ValidationError) as caught:
        engine.assign("0001", **units)
    assert str(caught.value) == f"建议 测试会议/0001: cannot 'assign' while 'submitted': {reason}"
    assert _picture(engine, "0001") == before


@pytest.mark.parametrize(("units", "reason"), EMPTY_UNITS)
def test_reassign_to_an_empty_unit_is_refused_and_keeps_every_deadline(
    engine: Engine, units: dict[str, Any], reason: str
) -> None:
    """A refused reassignment cancels nothing: the case keeps its units, its deadlines and its place overdue."""
    make_case(engine, "0001", state="assigned", co=[])
    before = _picture(engine, "0001")
    with pytest.raises(ValidationError) as caught:
        engine.reassign("0001", reason="改派", **units)
    assert str(caught.value) == f"建议 测试会议/0001: cannot 'reassign' while 'assigned': {reason}"
    assert _picture(engine, "0001") == before
    assert [c.number for c in engine.list_cases(overdue=True, now=beijing("2026-06-03"))] == ["0001"]


def test_assign_with_no_unit_at_all_is_refused(engine: Engine) -> None:
    """No main unit and no split units: refused, saying what to name."""
    engine.submit("0001", title="甲", deputy="张三")
    with pytest.raises(ValidationError) as caught:
        engine.assign("0001", co=[CO])
    assert str(caught.value) == (
        "建议 测试会议/0001: cannot 'assign' while 'submitted': "
        "no unit answers it: name one main unit (主办) or two or more split units (分办)"
    )


@pytest.mark.parametrize(
    ("units", "twice"),
    [
        pytest.param({"main": MAIN, "co": [MAIN]}, MAIN, id="main-and-co"),
        pytest.param({"main": MAIN, "co": [CO, f" {CO} "]}, CO, id="co-twice"),
        pytest.param({"split": [CO, OTHER, CO]}, CO, id="split-twice"),
    ],
)
def test_a_unit_named_twice_is_refused(engine: Engine, units: dict[str, Any], twice: str) -> None:
    """One unit, one part: the same unit as main and co, or twice among co or split units, is refused."""
    engine.submit("0001", title="甲", deputy="张三")
    before = _picture(engine, "0001")
    with pytest.raises(ValidationError) as caught:
        engine.assign("0001", **units)
    assert str(caught.value) == (
        f"建议 测试会议/0001: cannot 'assign' while 'submitted': "
        f"a unit may have one part only: {twice} named twice; name each unit once"
    )
    assert _picture(engine, "0001") == before


def test_unit_names_are_stripped_and_recorded_as_checked(engine: Engine) -> None:
    """Spaces around a name are not part of it: the assignment and its audit event name the unit itself."""
    engine.submit("0001", title="甲", deputy="张三")
    change = engine.assign("0001", main=f" {MAIN} ", co=[f"{CO}\t"])
    data = change.events[0].data
    assert (data["main"], data["co"], data["split"]) == (MAIN, [CO], [])
    assert (engine.get("0001").main_unit, engine.get("0001").co_units) == (MAIN, (CO,))


def test_batch_assign_with_an_empty_unit_refuses_the_whole_batch(engine: Engine) -> None:
    """Each order naming an empty unit is listed by its case; no order of the batch is written."""
    for n in ("0001", "0002", "0003", "0004"):
        engine.submit(n, title=n, deputy="张三")
    before = [_picture(engine, n) for n in ("0001", "0002", "0003", "0004")]
    orders = [
        AssignOrder("0001", main=MAIN),
        AssignOrder("0002", main=" "),
        AssignOrder("0003", split=[CO, ""]),
        AssignOrder("0004", main=MAIN, co=[""]),
    ]
    with pytest.raises(ValidationError) as caught:
        engine.assign_many(orders)
    assert str(caught.value).splitlines()[0] == (
        "batch assignment refused: 3 of 4 order(s) failed, nothing assigned"
    )
    assert caught.value.problems == (
        "建议 测试会议/0002: cannot 'assign' while 'submitted': the main unit (主办) is empty; "
        "name the unit that answers the deputy",
        "建议 测试会议/0003: cannot 'assign' while 'submitted': a split unit (分办) is empty; "
        "name each split unit",
        "建议 测试会议/0004: cannot 'assign' while 'submitted': a co-unit (会办) is empty; "
        "name each co-unit, or name none",
    )
    assert [_picture(engine, n) for n in ("0001", "0002", "0003", "0004")] == before


NAMES = st.sampled_from([*DEFAULT_UNITS, "", " ", f" {DEFAULT_UNITS[1]} "])


def _acceptable(main: str | None, co: list[str], split: list[str]) -> bool:
    """Whether an assignment names its units well: every name non-blank, each unit once, one main unit (with
    any co-units) or two or more split units."""
    given_names = ([] if main is None else [main]) + co + split
    names = [n.strip() for n in given_names]
    if not all(names) or len(set(names)) != len(names):
        return False
    return (main is not None and not split) or (main is None and not co and len(split) >= 2)


@given(main=st.none() | NAMES, co=st.lists(NAMES, max_size=3), split=st.lists(NAMES, max_size=3))
def test_an_assignment_names_its_units_or_writes_nothing(
    engine: Engine, main: str | None, co: list[str], split: list[str]
) -> None:
    """For any names (known, empty, blank, padded, repeated): assigned with every deadline owned by a unit
    named, or refused with nothing written."""
    number = f"{len(engine.list_cases()) + 1:04d}"
    engine.submit(number, title="甲", deputy="张三")
    before = _picture(engine, number)
    try:
        engine.assign(number, main=main, co=co, split=split)
    except ValidationError:
        assert not _acceptable(main, co, split)
        assert _picture(engine, number) == before
        return
    assert _acceptable(main, co, split)
    answering = {main.strip()} if main is not None else {n.strip() for n in split}
    case = engine.get(number)
    assert case.state == "assigned"
    assert {d.unit for d in case.deadlines} == answering | {n.strip() for n in co}
    assert {d.unit for d in case.deadlines if d.kind == "answer"} == answering


def test_texts_are_kept_clean_of_control_characters(engine: Engine, clock: FrozenClock) -> None:
    """A title's line breaks (a spreadsheet cell's Alt+Enter) become spaces; a text keeps its lines with
    Windows line endings made plain; an escape code, NUL or direction mark anywhere is refused, the field
    named, and nothing is written."""
    engine.submit(
        "0001", title="关于加强\r\n河道治理\n的建议", deputy="张三", content="第一段\r\n第二段\r第三段"
    )
    case = engine.get("0001")
    assert case.title == "关于加强 河道治理 的建议"
    assert engine.history("0001")[0].data["title"] == "关于加强 河道治理 的建议"
    assert table_rows(engine, "suggestions", "content") == [("第一段\n第二段\n第三段",)]
    engine.assign("0001", main=MAIN)
    before = (_picture(engine, "0001"), row_count(engine, "suggestions"))
    refused = [
        lambda: engine.submit("0002", title="坏\x1b[2J标题", deputy="张三"),
        lambda: engine.submit("00\x1b03", title="标题", deputy="张三"),
        lambda: engine.answer("0001", category="A", text="已解决\u202e", actor=Actor.unit(MAIN)),
        lambda: engine.contact("0001", method="phone", unit=MAIN, note="电话\x00沟通"),
        lambda: engine.answer(
            "0001", category="B", text="列入计划", promises=[Promised("建\x07设", date(2026, 12, 1))]
        ),
    ]
    for action in refused:
        with pytest.raises(ValidationError, match=r"holds a control character \(U\+00(1B|00|07)\)|U\+202E"):
            action()
    assert (_picture(engine, "0001"), row_count(engine, "suggestions")) == before


def test_an_extension_after_the_answer_date_is_refused_and_the_miss_stays(
    engine: Engine, clock: FrozenClock
) -> None:
    """An extension is approved before the answer falls due: approved after, it would turn a missed date
    into a met one. Refused, naming the date; the answer given later counts late."""
    make_case(engine, "0001", state="assigned", clock=clock, co=())
    due = next(d for d in engine.get("0001").deadlines if d.kind == "answer")
    clock.set(due.due_at + timedelta(days=1))
    before = _picture(engine, "0001")
    with pytest.raises(
        TransitionNotAllowed,
        match=rf"cannot 'extend' while 'assigned': the answer was due {due.due.isoformat()} 24:00|"
        rf"the answer was due {(due.due + timedelta(days=1)).isoformat()} 00:00",
    ):
        engine.extend("0001", reason="涉及面广")
    assert _picture(engine, "0001") == before
    engine.answer("0001", category="A", text="已解决", actor=Actor.unit(MAIN))
    [answer] = [d for d in engine.get("0001").deadlines if d.kind == "answer"]
    assert (answer.status, answer.late) == ("met", True)


def test_a_case_label_with_a_control_character_is_echoed_escaped(engine: Engine) -> None:
    """A number holding an escape code, refused for another field, is named with the code escaped, never raw."""
    with pytest.raises(ValidationError) as caught:
        engine.submit("\x1b[2J", title="甲", deputy="张\x1f三")
    assert "\x1b" not in str(caught.value)
    assert str(caught.value).startswith("建议 测试会议/\\x1b[2J: ")
