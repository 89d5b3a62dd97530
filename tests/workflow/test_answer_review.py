"""Answer review (答复审核, rule set ``lifecycle.answer_review``): a unit's answer is held until the office approves
it (it then reaches the deputy) or returns it with a reason (the unit answers again)."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from rules import RuleSet, default_ruleset
from workflow.actions import Promised
from workflow.core.errors import PermissionDenied, TransitionNotAllowed, ValidationError
from workflow.core.views import Actor
from workflow.engine import Engine
from workflow.store.models import Outbox, table
from workflow.testing import DEFAULT_UNITS, FrozenClock, beijing, make_case, table_rows

pytestmark = pytest.mark.parametrize(
    "backend", ["sqlite-file", pytest.param("postgresql", marks=pytest.mark.postgres)], indirect=True
)

MAIN, CO = DEFAULT_UNITS[0], DEFAULT_UNITS[1]
DEPUTY = Actor.deputy("张三")


def _review(on: bool) -> RuleSet:
    base = default_ruleset()
    lifecycle = base.lifecycle.model_copy(update={"answer_review": on})
    return base.model_copy(update={"version": base.version + 1, "lifecycle": lifecycle})


def _topics(engine: Engine) -> list[tuple[str, str]]:
    outbox = table(Outbox)
    with engine.db.engine.connect() as conn:
        rows = conn.execute(select(outbox.c.topic, outbox.c.recipient_kind).order_by(outbox.c.id))
        return [(r[0], r[1]) for r in rows]


def _assigned(engine: Engine, clock: FrozenClock, *, review: bool = True) -> None:
    engine.apply_ruleset(_review(review))
    engine.submit("0001", title="修路", deputy="张三")
    engine.assign("0001", main=MAIN)  # 2026-03-02
    clock.set(beijing("2026-04-10", 10))


def test_without_the_switch_an_answer_reaches_the_deputy_at_once(engine: Engine, clock: FrozenClock) -> None:
    _assigned(engine, clock, review=False)
    change = engine.answer("0001", category="A", text="已解决", actor=Actor.unit(MAIN))
    assert (change.state, [e.action for e in change.events]) == ("answered", ["answer"])
    assert engine.pending_reviews() == []
    assert table_rows(engine, "answer_reviews", "status") == []
    assert _topics(engine)[-1] == ("feedback_request", "deputy")


def test_a_held_answer_is_kept_from_the_deputy_until_approved(engine: Engine, clock: FrozenClock) -> None:
    _assigned(engine, clock)
    topics = len(_topics(engine))
    change = engine.answer(
        "0001",
        category="B",
        text="列入明年计划",
        promises=[Promised("拓宽道路", date(2026, 12, 31))],
        actor=Actor.unit(MAIN),
    )
    assert (change.state, [e.action for e in change.events]) == ("assigned", ["submit_answer"])
    assert _topics(engine)[topics:] == [("answer_submitted", "office")]
    [held] = engine.pending_reviews()
    assert (held.number, held.unit, held.category, held.at, held.answer_due) == (
        "0001",
        MAIN,
        "B",
        beijing("2026-04-10", 10),
        date(2026, 6, 2),
    )
    # the deputy, the public and the dossier see no answer; the unit sees its own waiting review
    assert engine.acting(DEPUTY).dossier("0001").answers == ()
    assert engine.acting(DEPUTY).dossier("0001").reviews == ()
    assert engine.acting(DEPUTY).pending_reviews() == []
    assert "submit_answer" not in [e.action for e in engine.acting(DEPUTY).history("0001")]
    assert engine.published_page().total == 0
    assert [r.status for r in engine.acting(Actor.unit(MAIN)).dossier("0001").reviews] == ["pending"]
    # approved two weeks later, after the answer's date: the unit is judged on the day it sent the answer
    clock.set(beijing("2026-06-20", 10))
    approved = engine.approve_answer("0001")
    assert approved.state == "answered"
    assert [e.action for e in approved.events] == ["approve_answer", "answer"]
    assert approved.events[1].actor == f"unit:{MAIN}"
    [answer] = engine.dossier("0001").answers
    assert (answer.category, answer.text, answer.late, [p.text for p in answer.promises]) == (
        "B",
        "列入明年计划",
        False,
        ["拓宽道路"],
    )
    assert engine.pending_reviews() == []
    assert _topics(engine)[-1] == ("feedback_request", "deputy")
    assert any(d.kind == "feedback" and d.status == "open" for d in engine.get("0001").deadlines)
    assert [r.status for r in engine.dossier("0001").reviews] == ["approved"]
    seen = [e.action for e in engine.acting(DEPUTY).history("0001")]
    assert (seen[-1], "approve_answer" in seen) == ("answer", False)


def test_a_returned_answer_is_answered_again(engine: Engine, clock: FrozenClock) -> None:
    _assigned(engine, clock)
    engine.answer("0001", category="A", text="初稿", actor=Actor.unit(MAIN))
    with pytest.raises(ValidationError, match=r"case 0001 \(assigned\): .*waiting for the office's review"):
        engine.answer("0001", category="A", text="第二稿", actor=Actor.unit(MAIN))
    with pytest.raises(ValidationError, match="needs the reason"):
        engine.return_answer("0001", reason="  ")
    change = engine.return_answer("0001", reason="未说明具体措施")
    assert (change.state, change.events[0].data) == ("assigned", {"unit": MAIN, "reason": "未说明具体措施"})
    assert _topics(engine)[-1] == ("answer_returned", "unit")
    with pytest.raises(TransitionNotAllowed, match="no answer is waiting"):
        engine.approve_answer("0001")
    engine.answer("0001", category="A", text="第二稿", actor=Actor.unit(MAIN))
    assert engine.approve_answer("0001").state == "answered"
    assert [a.text for a in engine.dossier("0001").answers] == ["第二稿"]
    assert [(r.status, r.text, r.decision_reason) for r in engine.dossier("0001").reviews] == [
        ("returned", "初稿", "未说明具体措施"),
        ("approved", "第二稿", None),
    ]
    assert [e.action for e in engine.history("0001")][-5:] == [
        "submit_answer",
        "return_answer",
        "submit_answer",
        "approve_answer",
        "answer",
    ]


def test_only_the_office_decides_a_review(engine: Engine, clock: FrozenClock) -> None:
    _assigned(engine, clock)
    engine.answer("0001", category="A", text="已解决", actor=Actor.unit(MAIN))
    for actor in (Actor.unit(MAIN), DEPUTY):
        with pytest.raises(PermissionDenied):
            engine.approve_answer("0001", actor=actor)
        with pytest.raises(PermissionDenied):
            engine.return_answer("0001", reason="不行", actor=actor)
    assert len(engine.pending_reviews()) == 1


def test_a_reassignment_lapses_the_waiting_review(engine: Engine, clock: FrozenClock) -> None:
    _assigned(engine, clock)
    engine.answer("0001", category="A", text="已解决", actor=Actor.unit(MAIN))
    engine.reassign("0001", main=CO, reason="职能调整")
    assert engine.pending_reviews() == []
    assert table_rows(engine, "answer_reviews", "status") == [("lapsed",)]
    engine.answer("0001", category="A", text="新单位答复", actor=Actor.unit(CO))
    assert [r.unit for r in engine.pending_reviews()] == [CO]


def test_the_review_survives_a_recompute(engine: Engine, clock: FrozenClock) -> None:
    """The audit's record of each step covers the review rows: the audit check stays clean."""
    _assigned(engine, clock)
    engine.answer("0001", category="A", text="初稿", actor=Actor.unit(MAIN))
    engine.return_answer("0001", reason="重写")
    engine.answer("0001", category="A", text="定稿", actor=Actor.unit(MAIN))
    engine.approve_answer("0001")
    report = engine.check_audit()
    assert report.problems == ()
    assert report.uncovered_rows == 0


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=st.lists(st.sampled_from(["answer", "approve", "return"]), min_size=1, max_size=6))
def test_no_deputy_or_public_read_shows_an_unapproved_answer(
    engine: Engine, clock: FrozenClock, steps: list[str]
) -> None:
    """Whatever the unit sends and the office decides, the deputy and the public see an answer only once one
    was approved, and then only the approved text."""
    engine.apply_ruleset(_review(True))
    number = f"{engine.search().total + 1:04d}"
    make_case(engine, number, state="assigned", co=())
    approved: list[str] = []
    for i, step in enumerate(steps):
        try:
            if step == "answer":
                engine.answer(number, category="A", text=f"稿{i}", actor=Actor.unit(MAIN))
            elif step == "approve":
                engine.approve_answer(number)
                approved.append(next(iter(engine.dossier(number).answers)).text)
            else:
                engine.return_answer(number, reason="退回")
        except (ValidationError, TransitionNotAllowed):
            pass
        seen = [a.text for a in engine.acting(DEPUTY).dossier(number).answers]
        assert seen == approved
        published = [c.number for c in engine.published_page(limit=None).items]
        assert (number in published) == bool(approved)


def test_the_ledger_carries_the_reviews_and_their_decisions(
    engine: Engine, clock: FrozenClock, tmp_path: Path
) -> None:
    """Export → import into a database with the same rule set: returned, approved and waiting answers come back
    as they were, each answer's timeliness with them."""
    from workflow.ledger import export_ledger, import_ledger
    from workflow.testing import make_engine

    start = clock.now()
    engine.apply_ruleset(_review(True))
    for number in ("0001", "0002"):
        make_case(engine, number, state="assigned", clock=clock, co=())
        engine.answer(number, category="A", text=f"初稿{number}", actor=Actor.unit(MAIN))
        clock.advance(days=1)
    engine.return_answer("0001", reason="重写")
    engine.answer("0001", category="A", text="定稿", actor=Actor.unit(MAIN))
    clock.advance(days=1)
    engine.approve_answer("0001")
    book = export_ledger(engine, "xlsx")
    assert isinstance(book, bytes)
    fresh = make_engine(clock=clock)
    try:
        later = clock.now()
        clock.set(start)  # the rule set in force from before the cases, as in the exporting database
        fresh.apply_ruleset(_review(True))
        clock.set(later)
        file = tmp_path / "ledger.xlsx"
        file.write_bytes(book)
        import_ledger(fresh, file)
        for number in ("0001", "0002"):
            assert fresh.dossier(number).to_json() == engine.dossier(number).to_json(), number
        assert [r.number for r in fresh.pending_reviews()] == ["0002"]
    finally:
        fresh.dispose()


def test_a_ledger_without_history_answers_its_answered_rows_under_review(
    engine: Engine, clock: FrozenClock, tmp_path: Path
) -> None:
    """A 台账 row answered on paper reached the deputy: imported under answer review it is answered, not held."""
    from workflow.ledger import export_ledger, import_ledger
    from workflow.testing import make_engine

    start = clock.now()
    make_case(engine, "0001", state="answered", clock=clock, co=())
    book = export_ledger(engine, "csv")
    fresh = make_engine(clock=clock)
    try:
        later = clock.now() + timedelta(days=2)  # the 台账's times are the days' working hours
        clock.set(start)
        fresh.apply_ruleset(_review(True))
        clock.set(later)
        file = tmp_path / "ledger.csv"
        file.write_bytes(book if isinstance(book, bytes) else book.encode("utf-8"))
        import_ledger(fresh, file)
        assert fresh.get("0001").state == "answered"
        assert fresh.pending_reviews() == []
        assert [r.status for r in fresh.dossier("0001").reviews] == ["approved"]
    finally:
        fresh.dispose()
