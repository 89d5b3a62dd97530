"""Extension requests (申请延期): the main unit asks, the office approves (extends) or refuses, the unit is told."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import select

from workflow.core.errors import PermissionDenied, TransitionNotAllowed, ValidationError
from workflow.core.views import Actor
from workflow.engine import Engine
from workflow.reporting.dossier import dossier_text
from workflow.store.models import Outbox, table
from workflow.testing import DEFAULT_UNITS, FrozenClock, beijing, make_case, table_rows

pytestmark = pytest.mark.parametrize(
    "backend", ["sqlite-file", pytest.param("postgresql", marks=pytest.mark.postgres)], indirect=True
)

MAIN, CO = DEFAULT_UNITS[0], DEFAULT_UNITS[1]


def _topics(engine: Engine) -> list[tuple[str, str]]:
    outbox = table(Outbox)
    with engine.db.engine.connect() as conn:
        rows = conn.execute(select(outbox.c.topic, outbox.c.recipient_kind).order_by(outbox.c.id))
        return [(r[0], r[1]) for r in rows]


def _answer_due(engine: Engine, number: str) -> date:
    return next(d.due for d in engine.get(number).deadlines if d.kind == "answer")


def test_an_approved_request_extends_the_answer_and_tells_the_unit(
    engine: Engine, clock: FrozenClock
) -> None:
    """Request → listed for the office → approve: six months from assignment, unit and deputy told."""
    engine.submit("0001", title="甲", deputy="张三")
    engine.assign("0001", main=MAIN)  # 2026-03-02
    clock.set(beijing("2026-04-01", 10))
    change = engine.request_extension("0001", reason="涉及多个部门，需统筹", actor=Actor.unit(MAIN))
    assert (change.state, change.events[0].action, change.events[0].data) == (
        "assigned",
        "request_extension",
        {"unit": MAIN, "reason": "涉及多个部门，需统筹"},
    )
    [pending] = engine.pending_extensions()
    assert (pending.number, pending.unit, pending.reason, pending.answer_due) == (
        "0001",
        MAIN,
        "涉及多个部门，需统筹",
        date(2026, 6, 2),
    )
    clock.set(beijing("2026-04-03", 10))
    approved = engine.approve_extension("0001")
    assert approved.events[0].action == "extend"
    assert approved.events[0].data["request"] == {"unit": MAIN, "reason": "涉及多个部门，需统筹"}
    assert approved.events[0].data["reason"] == "涉及多个部门，需统筹"
    assert _answer_due(engine, "0001") == date(2026, 9, 2)
    assert engine.get("0001").extended
    assert engine.pending_extensions() == []
    assert table_rows(engine, "extension_requests", "status", "decision_reason") == [
        ("approved", "涉及多个部门，需统筹")
    ]
    assert _topics(engine)[-3:] == [
        ("extension_requested", "office"),
        ("extended", "deputy"),
        ("extension_approved", "unit"),
    ]


def test_a_second_request_waits_for_the_first(engine: Engine) -> None:
    """One pending request at a time; once extended, no more requests."""
    make_case(engine, "0001", state="assigned")
    engine.request_extension("0001", reason="甲", actor=Actor.unit(MAIN))
    with pytest.raises(
        ValidationError, match="an extension request is already waiting for the office's decision"
    ):
        engine.request_extension("0001", reason="乙", actor=Actor.unit(MAIN))
    engine.approve_extension("0001", reason="同意")
    with pytest.raises(TransitionNotAllowed, match="the answer period is already extended"):
        engine.request_extension("0001", reason="丙", actor=Actor.unit(MAIN))


def test_a_refused_request_keeps_the_period_and_tells_the_unit(engine: Engine) -> None:
    """Refusal needs reasons; the unit is told and may ask again later."""
    make_case(engine, "0001", state="assigned")
    due = _answer_due(engine, "0001")
    with pytest.raises(TransitionNotAllowed, match="no extension request is waiting for a decision"):
        engine.refuse_extension("0001", reason="不同意")
    engine.request_extension("0001", reason="甲", actor=Actor.unit(MAIN))
    with pytest.raises(ValidationError, match="a refusal needs its reasons"):
        engine.refuse_extension("0001", reason=" ")
    change = engine.refuse_extension("0001", reason="可在期限内办结")
    assert change.events[0].data == {"unit": MAIN, "reason": "可在期限内办结"}
    assert (_answer_due(engine, "0001"), engine.get("0001").extended) == (due, False)
    assert _topics(engine)[-1] == ("extension_refused", "unit")
    engine.request_extension("0001", reason="情况有变", actor=Actor.unit(MAIN))
    assert [p.reason for p in engine.pending_extensions()] == ["情况有变"]


def test_only_the_main_unit_asks_and_only_the_office_decides(engine: Engine) -> None:
    """A co-unit may not ask; a unit may not approve or refuse."""
    make_case(engine, "0001", state="assigned")
    with pytest.raises(PermissionDenied, match="only the main unit"):
        engine.request_extension("0001", reason="甲", actor=Actor.unit(CO))
    engine.request_extension("0001", reason="甲", actor=Actor.unit(MAIN))
    with pytest.raises(PermissionDenied, match="only the office"):
        engine.approve_extension("0001", actor=Actor.unit(MAIN))
    with pytest.raises(PermissionDenied, match="only the office"):
        engine.refuse_extension("0001", reason="x", actor=Actor.unit(MAIN))


def test_approving_needs_a_request_but_extend_does_not(engine: Engine) -> None:
    """approve_extension refuses without a request; extend works as before and approves one that waits."""
    make_case(engine, "0001", state="assigned")
    make_case(engine, "0002", state="assigned")
    with pytest.raises(TransitionNotAllowed, match="no extension request is waiting for a decision"):
        engine.approve_extension("0001", reason="同意")
    assert engine.extend("0001", reason="复杂").events[0].data.get("request") is None
    engine.request_extension("0002", reason="甲", actor=Actor.unit(MAIN))
    assert engine.extend("0002", reason="复杂").events[0].data["request"]["unit"] == MAIN


def test_a_request_lapses_when_the_case_is_answered(engine: Engine) -> None:
    """Answered before a decision: the request is no longer pending and the dossier says it lapsed."""
    make_case(engine, "0001", state="co_handled")
    engine.request_extension("0001", reason="甲", actor=Actor.unit(MAIN))
    engine.answer("0001", category="A", text="已解决", actor=Actor.unit(MAIN))
    assert engine.pending_extensions() == []
    [entry] = engine.dossier("0001").extension_requests
    assert entry.status == "lapsed"
    text = dossier_text(engine.dossier("0001"), zone=engine.active_ruleset().zone, now=engine.clock.now())
    assert "  延期申请：" in text
    assert f"{MAIN}  已失效" in text


def test_a_unit_lists_only_its_own_requests(engine: Engine) -> None:
    """The pending list keeps to the reader's scope."""
    make_case(engine, "0001", state="assigned")
    make_case(engine, "0002", state="assigned", main=DEFAULT_UNITS[2])
    engine.request_extension("0001", reason="甲", actor=Actor.unit(MAIN))
    engine.request_extension("0002", reason="乙", actor=Actor.unit(DEFAULT_UNITS[2]))
    assert [p.number for p in engine.pending_extensions()] == ["0001", "0002"]
    assert [p.number for p in engine.acting(Actor.unit(MAIN)).pending_extensions()] == ["0001"]
    assert [p.number for p in engine.pending_extensions(unit=DEFAULT_UNITS[2])] == ["0002"]


def test_no_request_after_the_answer_date_passed(engine: Engine, clock: FrozenClock) -> None:
    """Asked after the date: refused with the date, as extend refuses it."""
    engine.submit("0001", title="甲", deputy="张三")
    engine.assign("0001", main=MAIN)
    clock.set(beijing("2026-06-03", 10))
    with pytest.raises(TransitionNotAllowed, match="the answer was due 2026-06-03 00:00"):
        engine.request_extension("0001", reason="甲", actor=Actor.unit(MAIN))


def test_the_ledger_carries_the_requests_and_their_decisions(
    engine: Engine, clock: FrozenClock, tmp_path: Path
) -> None:
    """Export → import into an empty database: approved, refused and lapsed requests come back as they were."""
    from workflow.ledger import export_ledger, import_ledger
    from workflow.testing import make_engine

    for number in ("0001", "0002", "0003"):
        make_case(engine, number, state="co_handled", clock=clock)
        clock.advance(days=1)
        engine.request_extension(number, reason=f"申请{number}", actor=Actor.unit(MAIN))
    clock.advance(days=1)
    engine.approve_extension("0001")
    engine.refuse_extension("0002", reason="可按期办结")
    engine.answer("0003", category="A", text="已解决", actor=Actor.unit(MAIN))
    book = export_ledger(engine, "xlsx")
    assert isinstance(book, bytes)
    fresh = make_engine(clock=clock)
    try:
        file = tmp_path / "ledger.xlsx"
        file.write_bytes(book)
        import_ledger(fresh, file)
        for number in ("0001", "0002", "0003"):
            assert fresh.dossier(number).to_json() == engine.dossier(number).to_json(), number
        assert [e.status for n in ("0001", "0002", "0003") for e in fresh.dossier(n).extension_requests] == [
            "approved",
            "refused",
            "lapsed",
        ]
    finally:
        fresh.dispose()
