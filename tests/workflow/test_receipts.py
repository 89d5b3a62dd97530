"""Receipts (签收): a unit signs for its assignment; the rule set may run its deadlines from the receipt."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from rules import RuleSet, default_ruleset
from workflow.core.errors import PermissionDenied, ValidationError
from workflow.core.views import Actor
from workflow.engine import Engine
from workflow.ledger import export_ledger, import_ledger
from workflow.reporting.dossier import dossier_text
from workflow.testing import (
    DEFAULT_DEPUTIES,
    DEFAULT_UNITS,
    FrozenClock,
    beijing,
    make_case,
    make_engine,
    table_rows,
)

pytestmark = pytest.mark.parametrize(
    "backend", ["sqlite-file", pytest.param("postgresql", marks=pytest.mark.postgres)], indirect=True
)

MAIN, CO, OTHER = DEFAULT_UNITS[0], DEFAULT_UNITS[1], DEFAULT_UNITS[2]


def _from_receipt(on: bool) -> RuleSet:
    base = default_ruleset()
    lifecycle = base.lifecycle.model_copy(update={"deadlines_from_receipt": on})
    return base.model_copy(update={"version": base.version + 1, "lifecycle": lifecycle})


def _signed(engine: Engine, number: str) -> list[tuple[str, int, bool]]:
    return [(a.unit, a.round, a.received_at is not None) for a in engine.dossier(number).assignments]


def _due(engine: Engine, number: str) -> dict[tuple[str, str | None], date]:
    """The open co-opinion and answer deadlines (the 退办 window keeps running from the assignment)."""
    return {
        (d.kind, d.unit): d.due
        for d in engine.get(number).deadlines
        if d.status == "open" and d.kind in ("co_opinion", "answer")
    }


def test_a_unit_signs_for_its_assignment_once(engine: Engine, clock: FrozenClock) -> None:
    """The receipt is recorded with its time; the state does not change; a second one is refused."""
    make_case(engine, "0001", state="assigned")
    clock.set(beijing("2026-03-03", 10))
    change = engine.receive("0001", actor=Actor.unit(MAIN))
    assert (change.state, change.events[0].action, change.events[0].data) == (
        "assigned",
        "receive",
        {"unit": MAIN},
    )
    assert table_rows(engine, "receipts", "round") == [(1,)]
    clock.set(beijing("2026-03-04", 10))
    with pytest.raises(
        ValidationError, match=f"{MAIN} signed for this case on 2026-03-03 10:00 already; nothing to do"
    ):
        engine.receive("0001", actor=Actor.unit(MAIN))
    assert table_rows(engine, "receipts", "round") == [(1,)]


def test_the_office_signs_for_a_named_unit_and_must_name_one(engine: Engine) -> None:
    """The office records a unit's receipt by naming the unit; without a name it is told to give one."""
    make_case(engine, "0001", state="assigned")
    with pytest.raises(ValidationError, match=r"name the unit that signs for the case$"):
        engine.receive("0001")
    engine.receive("0001", unit=CO)
    assert _signed(engine, "0001") == [(MAIN, 1, False), (CO, 1, True)]


def test_only_assigned_units_and_never_deputies_sign(engine: Engine) -> None:
    """A unit the case is not assigned to, named by the office, and the case's deputy are refused; nothing is
    written."""
    make_case(engine, "0001", state="assigned")
    with pytest.raises(PermissionDenied, match=f"unit {OTHER!r} is not assigned to this case"):
        engine.receive("0001", unit=OTHER)
    with pytest.raises(PermissionDenied, match="deputies give feedback and may withdraw"):
        engine.receive("0001", actor=Actor.deputy(DEFAULT_DEPUTIES[0]), unit=MAIN)
    assert table_rows(engine, "receipts", "round") == []


def test_a_reassignment_needs_a_fresh_receipt(engine: Engine, clock: FrozenClock) -> None:
    """After 二次交办 the unit's earlier receipt no longer counts: it signs again."""
    make_case(engine, "0001", state="assigned", co=())
    engine.receive("0001", actor=Actor.unit(MAIN))
    clock.set(beijing("2026-03-04", 10))
    engine.reassign("0001", main=MAIN, reason="调整")
    assert _signed(engine, "0001") == [(MAIN, 1, True), (MAIN, 1, False)]
    engine.receive("0001", actor=Actor.unit(MAIN))
    assert _signed(engine, "0001") == [(MAIN, 1, True), (MAIN, 1, True)]


def test_a_units_unsigned_cases_are_those_it_holds_now_and_may_still_sign(
    engine: Engine, clock: FrozenClock
) -> None:
    """What a unit has not signed for: its current parts not yet received, in a state where it may sign; a
    receipt, a reassignment to another unit and a state past signing take a case out, a reassignment back puts
    it in again; another unit's cases never show."""
    make_case(engine, "0001", state="assigned", co=())
    make_case(engine, "0002", state="assigned", co=[CO])
    make_case(engine, "0003", state="assigned", co=())
    make_case(engine, "0004", state="answered", co=())
    session = engine.get("0001").session
    main = engine.acting(Actor.unit(MAIN))
    assert main.unreceived() == {(session, "0001"), (session, "0002"), (session, "0003")}
    assert engine.acting(Actor.unit(CO)).unreceived() == {(session, "0002")}
    assert engine.acting(Actor.unit(OTHER)).unreceived() == set()
    engine.receive("0001", actor=Actor.unit(MAIN))
    clock.set(beijing("2026-03-04", 10))
    engine.reassign("0003", main=OTHER, reason="调整")
    assert main.unreceived() == {(session, "0002")}
    assert engine.acting(Actor.unit(OTHER)).unreceived() == {(session, "0003")}
    engine.reassign("0003", main=MAIN, reason="调回")
    assert main.unreceived() == {(session, "0002"), (session, "0003")}
    assert engine.unreceived() == set()  # the office signs for no case of its own


def test_by_default_deadlines_keep_running_from_the_assignment(engine: Engine, clock: FrozenClock) -> None:
    """Switch off (the default): signing moves nothing."""
    engine.submit("0001", title="甲", deputy="张三")
    engine.assign("0001", main=MAIN, co=[CO])  # Monday 2026-03-02
    before = _due(engine, "0001")
    clock.set(beijing("2026-03-05", 10))
    change = engine.receive("0001", actor=Actor.unit(MAIN))
    engine.receive("0001", actor=Actor.unit(CO))
    assert "due" not in change.events[0].data
    assert (
        _due(engine, "0001")
        == before
        == {
            ("answer", MAIN): date(2026, 6, 2),
            ("co_opinion", CO): date(2026, 4, 2),
        }
    )


def test_with_the_switch_each_unit_counts_from_its_own_receipt(engine: Engine, clock: FrozenClock) -> None:
    """Switch on: the signer's deadlines run from its receipt day on the 2026 calendar; an unsigned unit's
    stay on the assignment."""
    engine.apply_ruleset(_from_receipt(True))
    engine.submit("0001", title="甲", deputy="张三")
    engine.assign("0001", main=MAIN, co=[CO])  # Monday 2026-03-02
    clock.set(beijing("2026-03-05", 10))
    change = engine.receive("0001", actor=Actor.unit(CO))
    # a month from Thursday 03-05 is Sunday 04-05, inside 清明 (04-04..04-06): the next working day
    assert change.events[0].data == {"unit": CO, "due": {"co_opinion": "2026-04-07"}}
    assert _due(engine, "0001") == {("answer", MAIN): date(2026, 6, 2), ("co_opinion", CO): date(2026, 4, 7)}
    clock.set(beijing("2026-03-06", 16))
    engine.receive("0001", actor=Actor.unit(MAIN))
    assert _due(engine, "0001") == {("answer", MAIN): date(2026, 6, 8), ("co_opinion", CO): date(2026, 4, 7)}


def test_the_dossier_shows_who_signed_and_when(engine: Engine, clock: FrozenClock) -> None:
    """Each assignment reads 已签收 with the time, or 未签收; ``show --json`` carries ``received_at``."""
    make_case(engine, "0001", state="assigned")
    clock.set(beijing("2026-03-03", 10))
    engine.receive("0001", actor=Actor.unit(MAIN))
    dossier = engine.dossier("0001")
    text = dossier_text(dossier, zone=engine.active_ruleset().zone, now=clock.now())
    assert [line.split("  ")[-1] for line in text.splitlines() if "轮  2026-03-02" in line] == [
        "已签收 2026-03-03 10:00",
        "未签收",
    ]
    assert [a["received_at"] for a in dossier.to_json()["assignments"]] == ["2026-03-03T02:00:00+00:00", None]


def test_the_ledger_replays_receipts(engine: Engine, clock: FrozenClock, tmp_path: Path) -> None:
    """Export and import keep the receipt and the deadlines it moved."""
    engine.apply_ruleset(_from_receipt(True))
    make_case(engine, "0001", state="assigned")
    clock.set(beijing("2026-03-05", 10))
    engine.receive("0001", actor=Actor.unit(MAIN))
    clock.advance(days=1)
    engine.receive("0001", unit=CO)
    book = export_ledger(engine, "xlsx")
    assert isinstance(book, bytes)
    fresh = make_engine(clock=clock)
    try:
        fresh.apply_ruleset(_from_receipt(True))
        file = tmp_path / "ledger.xlsx"
        file.write_bytes(book)
        import_ledger(fresh, file)
        assert fresh.dossier("0001").to_json() == engine.dossier("0001").to_json()
        assert _signed(fresh, "0001") == [(MAIN, 1, True), (CO, 1, True)]
        assert _due(fresh, "0001") == {
            ("answer", MAIN): date(2026, 6, 5),
            ("co_opinion", CO): date(2026, 4, 7),
        }
    finally:
        fresh.dispose()
