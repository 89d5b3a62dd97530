"""B-to-A conversion (转化): a follow-up answer that changes the current class and keeps the answered one."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner

from cli import cli
from workflow.core.errors import NotFound, PermissionDenied, TransitionNotAllowed, ValidationError
from workflow.core.views import Actor
from workflow.engine import Engine, Promised
from workflow.reporting.letters import progress_letters
from workflow.store import outbox
from workflow.testing import FrozenClock, make_case


def _b_case(engine: Engine, clock: FrozenClock, number: str = "0001") -> None:
    """A case answered B with one promise, closed after satisfied feedback."""
    make_case(engine, number, state="co_handled", clock=clock, co=())
    clock.advance(days=1)
    engine.answer(
        number,
        category="B",
        text="已列入计划",
        actor=Actor.unit("市交通运输局"),
        promises=[Promised("完成线路调整", date(2026, 12, 31))],
    )
    clock.advance(days=1)
    engine.feedback(number, rating="satisfied", actor=Actor.deputy("张三"))
    clock.advance(days=30)


def test_a_closed_b_case_becomes_a_and_keeps_its_answered_class(engine: Engine, clock: FrozenClock) -> None:
    """category stays B, current_category is A, the conversion is listed, the promise is done."""
    _b_case(engine, clock)
    change = engine.convert("0001", to="A", evidence="线路调整已于2026年9月完成")
    case = engine.get("0001")
    data = case.to_json()
    assert (change.state, data["category"], data["current_category"]) == ("closed", "B", "A")
    assert [(h["from"], h["to"], h["evidence"], h["actor"]) for h in data["history"]] == [
        ("B", "A", "线路调整已于2026年9月完成", "office")
    ]
    assert [d.status for d in case.deadlines if d.kind == "promise"] == ["met"]
    assert engine.history("0001")[-1].action == "convert"
    [notice] = [n for n in outbox.listing(engine) if n.topic == "conversion"]
    assert (notice.recipient_kind, notice.payload["to_category"]) == ("deputy", "A")


def test_b_to_c_cancels_the_promises(engine: Engine, clock: FrozenClock) -> None:
    """A B answer that turns out impossible becomes C; its promise deadline is cancelled."""
    _b_case(engine, clock)
    engine.convert("0001", to="C", evidence="资金未落实，列入下年度计划")
    case = engine.get("0001")
    assert (case.current_category, [d.status for d in case.deadlines if d.kind == "promise"]) == (
        "C",
        ["cancelled"],
    )


def test_only_promise_classes_convert(engine: Engine, clock: FrozenClock) -> None:
    """An A answer cannot be converted; a converted case cannot be converted again."""
    make_case(engine, "0001", state="closed", clock=clock, co=(), category="A")
    with pytest.raises(TransitionNotAllowed, match="its class is A; only B answers are converted"):
        engine.convert("0001", to="A", evidence="x")
    _b_case(engine, clock, "0002")
    engine.convert("0002", to="A", evidence="已完成")
    with pytest.raises(TransitionNotAllowed, match="its class is A"):
        engine.convert("0002", to="C", evidence="x")


def test_a_bad_target_or_missing_evidence_is_refused(engine: Engine, clock: FrozenClock) -> None:
    """--to B, --to D (留作参考 is no follow-up of a promise) and an empty evidence are named; nothing
    changes."""
    _b_case(engine, clock)
    version = engine.get("0001").version
    for target in ("B", "D"):
        with pytest.raises(ValidationError, match=rf"a conversion to class '{target}': use A or C$"):
            engine.convert("0001", to=target, evidence="x")
    with pytest.raises(ValidationError, match="needs its evidence"):
        engine.convert("0001", to="A", evidence="  ")
    assert engine.get("0001").version == version


def test_before_the_answer_there_is_nothing_to_convert(engine: Engine, clock: FrozenClock) -> None:
    """An assigned case is refused with its state named."""
    make_case(engine, "0001", state="assigned", clock=clock, co=())
    with pytest.raises(TransitionNotAllowed, match="only an answered case can be converted"):
        engine.convert("0001", to="A", evidence="x")


def test_a_co_unit_may_not_convert(engine: Engine, clock: FrozenClock) -> None:
    """Only the office or the main unit records a conversion: a co-unit is refused, a unit never assigned does
    not find the case."""
    make_case(engine, "0001", state="closed", clock=clock, category="B")  # 市财政局 gives the co-opinion
    with pytest.raises(PermissionDenied):
        engine.convert("0001", to="A", evidence="x", actor=Actor.unit("市财政局"))
    with pytest.raises(NotFound):
        engine.convert("0001", to="A", evidence="x", actor=Actor.unit("市教育局"))
    engine.convert("0001", to="A", evidence="已完成", actor=Actor.unit("市交通运输局"))


def test_convert_command(runner: CliRunner, db_path: Path, engine: Engine, clock: FrozenClock) -> None:
    """`jianyi convert` records it and `show --json` tells both classes."""
    _b_case(engine, clock)
    engine.dispose()
    result = runner.invoke(
        cli, ["--db", str(db_path), "convert", "0001", "--to", "A", "--evidence", "已完成"]
    )
    assert result.exit_code == 0, result.output
    shown = runner.invoke(cli, ["--db", str(db_path), "show", "0001", "--json"])
    data = json.loads(shown.stdout)
    assert (data["category"], data["current_category"], len(data["history"])) == ("B", "A", 1)


def test_progress_notes_and_the_yearly_letter(engine: Engine, clock: FrozenClock) -> None:
    """A progress note goes into the deputy's yearly letter, once per year; converted cases drop out."""
    _b_case(engine, clock)
    _b_case(engine, clock, "0002")
    engine.progress("0001", note="已完成线路论证", actor=Actor.unit("市交通运输局"))
    engine.convert("0002", to="A", evidence="已完成")
    first = progress_letters(engine, year=2026)
    again = progress_letters(engine, year=2026)
    [letter] = [n for n in outbox.listing(engine) if n.topic == "progress_letter"]
    [item] = letter.payload["items"]
    assert (first, again) == ((1, 0), (0, 1))
    assert (item["number"], item["note"], item["promises"][0]["text"]) == (
        "0001",
        "已完成线路论证",
        "完成线路调整",
    )
    assert engine.history("0001")[-1].action == "progress"


def test_progress_is_recorded_on_b_answers_only(engine: Engine, clock: FrozenClock) -> None:
    """An A case has no promises to report on."""
    make_case(engine, "0001", state="closed", clock=clock, co=(), category="A")
    with pytest.raises(TransitionNotAllowed, match="progress is recorded on B answers"):
        engine.progress("0001", note="x")


def test_a_withdrawn_case_takes_no_progress_nor_conversion(engine: Engine, clock: FrozenClock) -> None:
    """Answered B, unsatisfied, re-handled, then withdrawn: its promises are no longer followed up."""
    make_case(engine, "0001", state="re_handled", clock=clock, co=(), category="B")
    engine.withdraw("0001", reason="代表书面撤回")
    with pytest.raises(TransitionNotAllowed, match="progress is recorded on answered cases"):
        engine.progress("0001", note="已完成一半")
    with pytest.raises(TransitionNotAllowed, match="only an answered case can be converted"):
        engine.convert("0001", to="A", evidence="已完成")
