"""The ledger round trip: an exported workbook (台账 + 办理过程) imports into an empty database as it was.

Compared after the round trip: every case as `show --json` prints it, every report's figures, the public file,
and the stored record itself table by table (texts, opinions, contacts, promises, return requests, deadlines,
the audit events' times, actors, actions and data), names in place of ids.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from openpyxl import load_workbook

from cli import cli
from workflow.core.errors import ValidationError
from workflow.core.states import ActorKind
from workflow.core.views import Actor
from workflow.demo import DEMO_CONGRESS, NOW, SESSION, build_demo
from workflow.engine import Engine
from workflow.ledger import export_ledger, export_public, import_ledger
from workflow.ledger.history import CELL_LIMIT, HISTORY_SHEET
from workflow.reporting.formats import render
from workflow.reporting.reports import KINDS, build
from workflow.store.scope import PUBLISHED
from workflow.testing import FrozenClock, beijing, make_engine

# what a case's stored record is compared on: every column but the row ids, the hash chain and recorded_at
# (the import records now), with the ids of cases, units and deputies read as their numbers and names
_RECORD = {
    "audit_events": "suggestion_id, seq, at, actor, action, from_state, to_state, round, data",
    "answers": "suggestion_id, unit_id, round, category, text, overrides, at",
    "opinions": "suggestion_id, unit_id, round, text, at",
    "contacts": "suggestion_id, unit_id, round, method, stage, note, at",
    "feedback": "suggestion_id, deputy_id, round, rating, attitude, result, comment, at",
    "conversions": "suggestion_id, from_category, to_category, evidence, actor, at",
    "return_requests": "suggestion_id, unit_id, reason, at, status, decided_at, decision_reason",
    "promises": "suggestion_id, unit_id, text, due, status",
    "assignments": "*",
    "deadlines": "*",
    "suggestion_signers": "*",
}
_NOT_COMPARED = {"id", "answer_id", "ref_id", "audit_seq", "audit_head", "lead_deputy_id", "session_id"}


def _record(path: Path) -> dict[str, list[tuple[Any, ...]]]:
    """The stored record of every case in the SQLite database at ``path``, as comparable rows."""
    con = sqlite3.connect(path)
    numbers = dict(con.execute("SELECT id, number FROM suggestions"))
    units = dict(con.execute("SELECT id, name FROM units"))
    deputies = dict(con.execute("SELECT id, name FROM deputies"))
    named = {"suggestion_id": numbers, "unit_id": units, "main_unit_id": units, "deputy_id": deputies}
    found: dict[str, list[tuple[Any, ...]]] = {}
    for table, columns in {**_RECORD, "suggestions": "*"}.items():
        cursor = con.execute(f"SELECT {columns} FROM {table}")
        names = [d[0] for d in cursor.description]
        rows = []
        for row in cursor:
            rows.append(
                tuple(
                    (name, named[name].get(value, value) if name in named else value)
                    for name, value in zip(names, row, strict=True)
                    if name not in _NOT_COMPARED
                )
            )
        found[table] = sorted(rows, key=repr)
    con.close()
    return found


def _shown(engine: Engine) -> dict[str, Any]:
    """What `show --json` prints of every case, every report (JSON), and the public file."""
    cases = {c.number: engine.dossier(c.number).to_json() for c in engine.list_cases()}
    reports = {kind: render(build(engine, kind), "json") for kind in KINDS}
    return {"cases": cases, "reports": reports, "public": export_public(engine, "csv")}


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The demo database and its ledger exported as a workbook."""
    folder = tmp_path_factory.mktemp("demo")
    build_demo(folder / "demo.db")
    book = folder / "ledger.xlsx"
    with Engine.open(folder / "demo.db", clock=FrozenClock(NOW)) as engine:
        exported = export_ledger(engine, "xlsx")
    assert isinstance(exported, bytes)
    book.write_bytes(exported)
    return folder / "demo.db", book


def _empty(db: str | Path) -> Engine:
    engine = Engine.init(db, congress=DEMO_CONGRESS, level="city", clock=FrozenClock(NOW))
    engine.add_session(SESSION, term="第十七届", year=2026, current=True)
    return engine


def test_the_demo_comes_back_as_it_was_exported(demo: tuple[Path, Path], tmp_path: Path) -> None:
    """Demo → export ledger (xlsx) → import into an empty database: every case, figure and stored row alike."""
    source, book = demo
    with _empty(tmp_path / "new.db") as fresh:
        report = import_ledger(fresh, book)
        assert (report.created, report.from_history, report.from_rows, report.defaulted) == (150, 150, 0, ())
        with Engine.open(source, clock=FrozenClock(NOW)) as original:
            before = _shown(original)
        after = _shown(fresh)
    for number, case in before["cases"].items():
        assert after["cases"][number] == case, number
    assert after == before
    with Engine.open(tmp_path / "new.db", clock=FrozenClock(NOW)) as fresh:  # the public list's total too
        published = sum(c.state in PUBLISHED and not c.confidential for c in fresh.list_cases())
        assert published > 0
        assert fresh.acting(Actor.public()).published_page(limit=1).total == published
    # what the issue found lost: withdrawn, split, confidential, extended, contacted cases are all there
    cases = before["cases"].values()
    assert sum(c["state"] == "withdrawn" for c in cases) == 4
    assert any(c["split_units"] for c in cases)
    assert any(c["confidential"] for c in cases)
    assert any(c["extended"] for c in cases)
    record = _record(tmp_path / "new.db")
    expected = _record(source)
    for table, rows in expected.items():
        assert record[table] == rows, table
    assert expected["contacts"]
    assert expected["promises"]
    assert expected["opinions"]
    assert expected["return_requests"]


def test_the_demo_round_trip_lands_alike_on_postgresql(demo: tuple[Path, Path], pg_url: str) -> None:
    """The workbook imported into PostgreSQL shows every case and figure as the SQLite original does."""
    source, book = demo
    with _empty(pg_url) as fresh:
        import_ledger(fresh, book)
        with Engine.open(source, clock=FrozenClock(NOW)) as original:
            assert _shown(fresh) == _shown(original)


def test_importing_the_workbook_again_changes_nothing(demo: tuple[Path, Path], tmp_path: Path) -> None:
    _, book = demo
    with _empty(tmp_path / "new.db") as fresh:
        import_ledger(fresh, book)
        before = _record(tmp_path / "new.db")
        again = import_ledger(fresh, book)
        assert (again.created, again.advanced, again.unchanged) == (0, 0, 150)
    assert _record(tmp_path / "new.db") == before


def _corrected(db: Path, *, rename: bool) -> None:
    """Cases amended by the office (one before its assignment, one while handled, one withdrawn), and with
    ``rename`` their unit and deputy renamed after they acted."""
    engine = _empty(db)
    for unit in ("市交通局", "市财政局"):
        engine.add_unit(unit)
    for deputy in ("张三", "李四"):
        engine.add_deputy(deputy)
    engine.submit(
        "0001", title="关于公交的建意", deputy="张三", content="正文", field="交通", at=beijing("2026-01-10")
    )
    engine.amend(
        "0001",
        title="关于公交的建议",
        content="更正正文",
        field="",
        reason="录入错误",
        at=beijing("2026-01-11"),
    )
    engine.assign("0001", main="市交通局", co=["市财政局"], at=beijing("2026-01-12"))
    engine.opinion("0001", text="同意", actor=Actor.unit("市财政局"), at=beijing("2026-01-20"))
    engine.amend(
        "0001", confidential=True, key=True, field="城建", reason="代表要求", at=beijing("2026-01-21")
    )
    engine.answer(
        "0001", category="A", text="答复正文", actor=Actor.unit("市交通局"), at=beijing("2026-02-20")
    )
    engine.feedback("0001", rating="satisfied", actor=Actor.deputy("张三"), at=beijing("2026-02-25"))
    engine.submit(
        "0002", title="关于学校的建议", deputy="李四", between_sessions=True, at=beijing("2026-01-10", 10)
    )
    engine.amend(
        "0002", between_sessions=False, title="关于学校扩建的建议", reason="更正", at=beijing("2026-01-13")
    )
    engine.withdraw("0002", reason="代表撤回", at=beijing("2026-01-14"))
    engine.amend("0002", content="补录正文", reason="补录", at=beijing("2026-01-15"))
    if rename:
        engine.edit_unit("市交通局", new_name="市交通运输局", at=beijing("2026-03-01"))
        engine.edit_unit("市财政局", new_name="市财政厅", at=beijing("2026-03-01"))
        engine.edit_deputy("张三", new_name="张叁", at=beijing("2026-03-01"))
    engine.dispose()


def _round_trip(source: Path, target: Path) -> None:
    with Engine.open(source, clock=FrozenClock(NOW)) as engine:
        data = export_ledger(engine, "xlsx")
    assert isinstance(data, bytes)
    (target.parent / "book.xlsx").write_bytes(data)
    with _empty(target) as fresh:
        report = import_ledger(fresh, target.parent / "book.xlsx")
        assert (report.created, report.from_history) == (2, 2)


def test_amended_cases_come_back_as_they_were(tmp_path: Path) -> None:
    """Each case's 办理过程 submits what was submitted and replays the amendments: every shown value, figure and
    stored row alike, the amendments' events included."""
    _corrected(tmp_path / "src.db", rename=False)
    _round_trip(tmp_path / "src.db", tmp_path / "new.db")
    with Engine.open(tmp_path / "src.db", clock=FrozenClock(NOW)) as original:
        before = _shown(original)
        amended = [h.data for h in original.history("0001") if h.action == "amend"]
    with Engine.open(tmp_path / "new.db", clock=FrozenClock(NOW)) as fresh:
        assert _shown(fresh) == before
        assert [h.data for h in fresh.history("0001") if h.action == "amend"] == amended
    assert before["cases"]["0001"]["title"] == "关于公交的建议"
    assert (before["cases"]["0001"]["field"], before["cases"]["0001"]["confidential"]) == ("城建", True)
    assert _record(tmp_path / "new.db") == _record(tmp_path / "src.db")


def test_units_and_deputies_renamed_since_come_back_under_their_names_now(tmp_path: Path) -> None:
    """The history names them as they are called now: the cases, figures and rows (opinion and answer texts
    included) come back alike; only the events (their data, and so who did what in the dossier) name them so
    where the original named them as they were."""
    _corrected(tmp_path / "src.db", rename=True)
    _round_trip(tmp_path / "src.db", tmp_path / "new.db")
    with Engine.open(tmp_path / "src.db", clock=FrozenClock(NOW)) as original:
        before = _shown(original)
    # the dossier's `by` is the actor its event recorded: the name as it was then, and as it is in the import
    now_called = {
        "unit:市财政局": "unit:市财政厅",
        "unit:市交通局": "unit:市交通运输局",
        "deputy:张三": "deputy:张叁",
    }
    for case in before["cases"].values():
        for part in ("opinions", "answers", "feedback", "contacts"):
            for entry in case[part]:
                entry["by"] = now_called.get(entry["by"], entry["by"])
    with Engine.open(tmp_path / "new.db", clock=FrozenClock(NOW)) as fresh:
        assert _shown(fresh) == before
        assert [u.name for u in fresh.units()] == ["市交通运输局", "市财政厅"]
        assert fresh.get("0001").deputy == "张叁"
    record, expected = _record(tmp_path / "new.db"), _record(tmp_path / "src.db")
    for table, rows in expected.items():
        if table != "audit_events":
            assert record[table] == rows, table
    assert expected["opinions"]


def test_the_ledger_sheet_alone_imports_and_says_what_it_defaulted(
    demo: tuple[Path, Path], tmp_path: Path
) -> None:
    """The CSV export is the 台账 alone: it imports, and the report names what the cases were given by default."""
    source, _ = demo
    result = CliRunner().invoke(
        cli, ["--db", str(source), "export", "ledger", "--output", str(tmp_path / "l.csv")]
    )
    assert result.exit_code == 0, result.output
    _empty(tmp_path / "new.db").dispose()
    result = CliRunner().invoke(cli, ["--db", str(tmp_path / "new.db"), "import", str(tmp_path / "l.csv")])
    assert result.exit_code == 0, result.output
    assert "150 case(s) from their 台账 row alone, defaulted: co-unit opinions waived" in result.output
    assert "not confidential" in result.output


def _history_book(tmp_path: Path, change: Any) -> Path:
    """A two-case workbook exported from a small engine, its 办理过程 sheet changed by ``change(sheet)``."""
    engine = make_engine(clock=FrozenClock("2026-06-01T09:00:00+08:00"))
    engine.submit("0001", title="关于公交的建议", deputy="张三", at=beijing("2026-01-10"))
    engine.assign("0001", main="市交通运输局", co=["市财政局"], at=beijing("2026-01-12"))
    engine.opinion("0001", text="同意", unit="市财政局", at=beijing("2026-01-20"))
    engine.submit("0002", title="关于学校的建议", deputy="李四", at=beijing("2026-01-10", 10))
    data = export_ledger(engine, "xlsx")
    assert isinstance(data, bytes)
    path = tmp_path / "book.xlsx"
    path.write_bytes(data)
    book = load_workbook(path)
    change(book[HISTORY_SHEET])
    book.save(path)
    return path


@pytest.mark.parametrize(
    ("change", "said"),
    [
        (lambda s: s.cell(4, 6, "{not json"), "办理过程 row 4: 内容 is not JSON"),
        (lambda s: s.cell(4, 2, 5), "办理过程 row 4: 序号 5 where 3 is next"),
        (
            lambda s: s.cell(3, 6, '{"main": "市交通运输局", "colour": "red"}'),
            "assign: unknown field(s) colour",
        ),
        (lambda s: s.cell(3, 3, "2026-01-12T09:00:00"), "has no offset (+08:00)"),
        (lambda s: s.cell(3, 4, "somebody"), "操作者: actor 'somebody' not understood"),
        (
            lambda s: s.cell(
                2,
                6,
                '{"title": "另一个建议", "deputy": "张三", "co_signers": [], "content": "", "field": null}',
            ),
            "the history submits 「另一个建议」 by 张三, the 台账 row 「关于公交的建议」 by 张三",
        ),
        (lambda s: s.cell(5, 1, "0009"), "a history of 0009, which the 台账 sheet does not hold"),
    ],
)
def test_a_bad_history_row_is_named_and_nothing_is_imported(tmp_path: Path, change: Any, said: str) -> None:
    path = _history_book(tmp_path, change)
    fresh = make_engine(clock=FrozenClock("2026-06-01T09:00:00+08:00"))
    with pytest.raises(ValidationError) as caught:
        import_ledger(fresh, path)
    assert any(said in p for p in caught.value.problems), caught.value.problems
    assert fresh.list_cases() == []


def test_a_text_longer_than_a_cell_goes_on_to_the_right(tmp_path: Path) -> None:
    """An answer longer than a spreadsheet cell holds (32,767 characters) comes back whole."""
    engine = make_engine(clock=FrozenClock("2026-06-01T09:00:00+08:00"))
    engine.submit("0001", title="关于公交的建议", deputy="张三", at=beijing("2026-01-10"))
    engine.assign("0001", main="市交通运输局", at=beijing("2026-01-12"))
    long = "答复正文" * 20_000
    engine.answer("0001", category="A", text=long, at=beijing("2026-02-12"))
    data = export_ledger(engine, "xlsx")
    assert isinstance(data, bytes)
    path = tmp_path / "book.xlsx"
    path.write_bytes(data)
    sheet = load_workbook(path)[HISTORY_SHEET]
    assert max(len(str(c.value or "")) for row in sheet.iter_rows() for c in row) <= CELL_LIMIT
    fresh = make_engine(clock=FrozenClock("2026-06-01T09:00:00+08:00"))
    import_ledger(fresh, path)
    with fresh.db.reading() as conn:
        (text,) = conn.exec_driver_sql("SELECT text FROM answers").one()
    assert text == long
    assert json.dumps(fresh.get("0001").to_json()) == json.dumps(engine.get("0001").to_json())


def test_histories_held_in_another_order_than_the_ledger_come_back_alike(
    demo: tuple[Path, Path], tmp_path: Path
) -> None:
    """The import reads the 办理过程 sheet forward beside the 台账: a sheet holding the histories in another
    order (here the last case first) keeps the ones met early until their 台账 row comes, and lands alike."""
    from itertools import groupby

    from workflow.ledger.sheets import write_book

    source, book = demo
    opened = load_workbook(book, read_only=True)
    sheets = {}
    for name in opened.sheetnames:
        rows = [["" if v is None else v for v in row] for row in opened[name].iter_rows(values_only=True)]
        sheets[name] = (rows[0], rows[1:])
    opened.close()
    history = sheets[HISTORY_SHEET][1]
    cases = [list(rows) for _, rows in groupby(history, key=lambda r: r[0])]
    assert len(cases) == 150
    reordered = tmp_path / "reordered.xlsx"
    reordered.write_bytes(
        write_book(
            [
                (
                    name,
                    sheets[name][0],
                    [r for case in reversed(cases) for r in case]
                    if name == HISTORY_SHEET
                    else sheets[name][1],
                )
                for name in sheets
            ]
        )
    )
    with _empty(tmp_path / "new.db") as fresh:
        report = import_ledger(fresh, reordered)
        assert (report.created, report.from_history) == (150, 150)
        with Engine.open(source, clock=FrozenClock(NOW)) as original:
            assert _shown(fresh) == _shown(original)


def test_who_keyed_an_action_in_comes_back(tmp_path: Path) -> None:
    """A unit's opinion and a deputy's feedback the office keyed in (entered_by) come back so: the 办理过程 says
    `unit:NAME (录入 office:王芳)` and the imported events record it alike."""
    engine = _empty(tmp_path / "src.db")
    engine.add_unit("市交通局")
    engine.add_unit("市财政局")
    engine.add_deputy("张三")
    clerk = Actor(ActorKind.OFFICE, "王芳")
    for number in ("0001", "0002"):
        engine.submit(number, title=f"关于公交的建议{number}", deputy="张三", at=beijing("2026-01-10"))
        engine.assign(number, main="市交通局", co=["市财政局"], at=beijing("2026-02-10"))
    engine.opinion("0001", text="同意", actor=Actor.unit("市财政局").entered(clerk), at=beijing("2026-02-20"))
    engine.answer("0001", category="A", text="已解决", actor=Actor.unit("市交通局"), at=beijing("2026-03-20"))
    engine.feedback(
        "0001", rating="satisfied", actor=Actor.deputy("张三").entered(clerk), at=beijing("2026-03-25")
    )
    engine.dispose()
    _round_trip(tmp_path / "src.db", tmp_path / "new.db")
    with Engine.open(tmp_path / "src.db", clock=FrozenClock(NOW)) as original:
        before = _shown(original)
    with Engine.open(tmp_path / "new.db", clock=FrozenClock(NOW)) as fresh:
        assert _shown(fresh) == before
        keyed = [
            (h.actor, h.data.get("entered_by")) for h in fresh.history("0001") if h.data.get("entered_by")
        ]
    assert keyed == [("unit:市财政局", "office:王芳"), ("deputy:张三", "office:王芳")]
    assert before["cases"]["0001"]["opinions"][0]["by"] == "unit:市财政局 (录入 office:王芳)"
