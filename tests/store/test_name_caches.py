"""The directory's name caches hold committed rows only: a unit or deputy added by a transaction that is then
rolled back (a refused batch of a ledger import) is not found afterwards, and its id, which the database may
give to the next row inserted, never names that row by the old name."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from workflow.core.errors import NotFound, ValidationError
from workflow.engine import Engine
from workflow.ledger import COLUMNS, import_ledger
from workflow.testing import DEFAULT_UNITS, FrozenClock, beijing, row_count

pytestmark = pytest.mark.parametrize(
    "backend",
    ["sqlite-file", "sqlite-memory", pytest.param("postgresql", marks=pytest.mark.postgres)],
    indirect=True,
)

NEW_UNIT, NEW_DEPUTY = "新设单位乙", "新代表丙"
OTHER_UNIT, OTHER_DEPUTY = "后设单位丁", "后来代表戊"


@pytest.fixture(autouse=True)
def _autumn(clock: FrozenClock) -> None:
    clock.set(beijing("2026-11-02", 9))


def _ledger(tmp_path: Path) -> Path:
    """A good row, then a row naming a new unit and a new deputy whose feedback (today, 11:00) is in the
    future: the batch is refused, then replayed row by row, and the second row writes nothing."""
    good = ["0001", "关于公交的建议", "张三", "", "", DEFAULT_UNITS[0], "", "2026-02-10"] + [""] * 7
    refused = ["0002", "关于学校的建议", NEW_DEPUTY, "", "", NEW_UNIT, "", "2026-02-10", "2026-05-25", "A"]
    refused += ["满意", "2026-11-02", "", "", ""]
    path = tmp_path / "ledger.csv"
    with path.open("w", encoding="utf-8-sig", newline="") as out:
        writer = csv.writer(out)
        writer.writerow([zh for zh, _ in COLUMNS])
        writer.writerows([good, refused])
    return path


def _refused_import(engine: Engine, tmp_path: Path) -> None:
    units, deputies = row_count(engine, "units"), row_count(engine, "deputies")
    with pytest.raises(ValidationError, match="this row wrote nothing"):
        import_ledger(engine, _ledger(tmp_path))
    assert (row_count(engine, "units"), row_count(engine, "deputies")) == (units, deputies)
    assert [c.number for c in engine.list_cases()] == ["0001"]


def test_a_unit_a_refused_import_added_is_not_found_after_it(engine: Engine, tmp_path: Path) -> None:
    """The refused row's unit was looked up (to assign its case) in transactions that were rolled back; the
    unit added next, which may take the same id, is not taken for it: assigning to the old name is refused,
    naming how to add it, and the new unit receives nothing."""
    _refused_import(engine, tmp_path)
    engine.add_unit(OTHER_UNIT)
    engine.submit("0003", title="关于道路的建议", deputy="张三")
    with pytest.raises(ValidationError, match=rf"unknown unit\(s\): {NEW_UNIT}; add them with"):
        engine.assign("0003", main=NEW_UNIT)
    assert engine.get("0003").state == "submitted"
    assert row_count(engine, "assignments") == 1  # 0001's alone
    engine.assign("0003", main=OTHER_UNIT)
    assert engine.get("0003").main_unit == OTHER_UNIT


def test_a_deputy_a_refused_import_added_is_not_found_after_it(engine: Engine, tmp_path: Path) -> None:
    """The same for the refused row's lead deputy: a case submitted under that name is refused, not filed under
    the deputy added since."""
    _refused_import(engine, tmp_path)
    engine.add_deputy(OTHER_DEPUTY)
    with pytest.raises(NotFound, match=f"deputy '{NEW_DEPUTY}' not found"):
        engine.submit("0003", title="关于道路的建议", deputy=NEW_DEPUTY)
    assert [c.number for c in engine.list_cases()] == ["0001"]
    engine.submit("0003", title="关于道路的建议", deputy=OTHER_DEPUTY)
    assert engine.get("0003").deputy == OTHER_DEPUTY


def test_an_id_a_rolled_back_transaction_saw_names_the_row_that_has_it_now(engine: Engine) -> None:
    """Inside a transaction that adds a unit, the unit is found by name and by id; once it is rolled back,
    neither is remembered: the name is not found, and the id names whatever unit holds it now."""
    directory = engine.directory
    seen: list[int] = []

    def add_then_fail() -> None:
        with engine.db.transaction() as conn:
            assert directory.add_missing(conn, [NEW_UNIT], []) == ([NEW_UNIT], [])
            seen.append(directory.unit_id(conn, NEW_UNIT))
            assert directory.unit_name(conn, seen[0]) == NEW_UNIT
            raise RuntimeError("rolled back")

    with pytest.raises(RuntimeError):
        add_then_fail()
    engine.add_unit(OTHER_UNIT)
    with engine.db.reading() as conn:
        with pytest.raises(NotFound):
            directory.unit_id(conn, NEW_UNIT)
        other = directory.unit_id(conn, OTHER_UNIT)
        assert directory.unit_name(conn, other) == OTHER_UNIT
    # SQLite gives the rolled-back row's id to the next row (what made a remembered one dangerous); PostgreSQL not
    assert (other == seen[0]) is not engine.db.postgres
