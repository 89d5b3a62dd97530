"""The ledger (台账): validation first, all or nothing, idempotent re-import, round trip, public export."""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner
from openpyxl import Workbook

from cli import cli
from workflow.core.errors import ValidationError
from workflow.engine import Engine
from workflow.ledger import COLUMNS, export_ledger, export_public, import_ledger
from workflow.reporting.measures import measure
from workflow.testing import FrozenClock, beijing, notices, row_count

HEADER = [zh for zh, _ in COLUMNS]
GOOD = [
    [
        "0001",
        "关于公交的建议",
        "张三",
        "李四、王五",
        "交通",
        "市交通运输局",
        "市财政局",
        "2026-02-10",
        "2026-04-20",
        "B",
        "满意",
        "2026-04-30",
        "",
        "A",
        "2026-09-01",
    ],
    [
        "0002",
        "关于学校的建议",
        "李四",
        "",
        "教育",
        "新设单位甲",
        "",
        "2026年2月10日",
        "2026-05-25",
        "A",
        "基本满意",
        "2026-06-01",
        "",
        "",
        "",
    ],
    [
        "0003",
        "关于医院的建议",
        "赵六",
        "",
        "",
        "市卫生健康委员会",
        "",
        "2026/2/10",
        "",
        "",
        "",
        "",
        "",
        "",
        "",
    ],
]


@pytest.fixture(autouse=True)
def _autumn(clock: FrozenClock) -> None:
    """The ledgers' dates are in the past."""
    clock.set(beijing("2026-11-02", 9))


def _csv(tmp_path: Path, rows: list[list[str]], header: list[str] = HEADER, name: str = "ledger.csv") -> Path:
    path = tmp_path / name
    with path.open("w", encoding="utf-8-sig", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def _cases(engine: Engine) -> int:
    return len(engine.list_cases())


def test_a_ledger_becomes_cases_true_to_its_dates(engine: Engine, tmp_path: Path) -> None:
    """Rows are replayed: states, classes, conversions, created units and deputies, on-time from the dates."""
    report = import_ledger(engine, _csv(tmp_path, GOOD))
    first, second, third = engine.get("0001"), engine.get("0002"), engine.get("0003")
    assert (report.created, report.units_created, report.deputies_created) == (
        3,
        ["新设单位甲", "市卫生健康委员会"],
        ["赵六"],
    )
    assert (first.state, first.category, first.current_category, first.co_signers) == (
        "closed",
        "B",
        "A",
        ("李四", "王五"),
    )
    assert (second.state, second.main_unit, third.state) == ("closed", "新设单位甲", "assigned")
    answer = next(d for d in second.deadlines if d.kind == "answer")
    assert (answer.due.isoformat(), answer.late) == ("2026-05-11", True)  # answered 05-25: late
    assert [h.action for h in engine.history("0001")][:3] == ["submit", "assign", "answer"]
    assert engine.history("0001")[2].at.isoformat() == "2026-04-20T02:00:00+00:00"  # 10:00 Beijing


def test_importing_the_same_file_twice_changes_nothing(engine: Engine, tmp_path: Path) -> None:
    """The second import finds every case and adds nothing."""
    path = _csv(tmp_path, GOOD)
    import_ledger(engine, path)
    versions = [engine.get(n).version for n in ("0001", "0002", "0003")]
    again = import_ledger(engine, path)
    assert (again.created, again.advanced, again.unchanged) == (0, 0, 3)
    assert [engine.get(n).version for n in ("0001", "0002", "0003")] == versions


def test_a_later_ledger_brings_a_case_forward(engine: Engine, tmp_path: Path) -> None:
    """A row that now has its answer adds the answer to the existing case."""
    import_ledger(engine, _csv(tmp_path, GOOD))
    later = [*GOOD[2][:8], "2026-05-06", "A", "满意", "2026-05-10", "", "", ""]
    report = import_ledger(engine, _csv(tmp_path, [later], name="later.csv"))
    assert (report.advanced, engine.get("0003").state) == (1, "closed")


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({0: ""}, "row 2: 建议编号 (number): empty"),
        ({9: "E"}, "row 2: 办理类别 (category): class 'E' unknown (use A, B, C, D)"),
        (
            {8: "2026-13-01"},
            "row 2: 答复日期 (answered_at): '2026-13-01' is not a date (YYYY-MM-DD or YYYY年M月D日)",
        ),
        ({8: "2026-02-01"}, "row 2: 答复日期 (answered_at): 2026-02-01 is before 交办日期 2026-02-10"),
        ({10: "很好"}, "row 2: 代表意见 (rating): '很好' unknown (use 满意, 基本满意 or 不满意)"),
        (
            {9: ""},
            "row 2: 答复日期 (answered_at) / 办理类别 (category): an answer needs its date and its class",
        ),
        ({13: "A", 9: "A"}, "row 2: 转化类别 (converted_to): only a B answer is converted"),
    ],
)
def test_a_bad_row_stops_the_import_and_names_row_column_and_reason(
    engine: Engine, tmp_path: Path, change: dict[int, str], reason: str
) -> None:
    """Nothing is written; the message lists the row, the column and why."""
    row = list(GOOD[0])
    for i, value in change.items():
        row[i] = value
    with pytest.raises(ValidationError) as caught:
        import_ledger(engine, _csv(tmp_path, [row, GOOD[1]]))
    assert reason in caught.value.problems
    assert "1 of 2 row(s) are bad, nothing was imported" in str(caught.value)
    assert _cases(engine) == 0


def test_a_duplicate_number_is_a_bad_row(engine: Engine, tmp_path: Path) -> None:
    """The second row with a number is named with the first's row."""
    with pytest.raises(ValidationError) as caught:
        import_ledger(engine, _csv(tmp_path, [GOOD[0], GOOD[0]]))
    assert list(caught.value.problems) == ["row 3: 建议编号 (number): 0001 already on row 2"]


def test_every_bad_row_is_listed(engine: Engine, tmp_path: Path) -> None:
    """Two bad rows, two (or more) problems, one message."""
    bad1 = [*GOOD[0][:9], "X", *GOOD[0][10:]]
    bad2 = ["0009", "", "张三", *[""] * 12]
    with pytest.raises(ValidationError) as caught:
        import_ledger(engine, _csv(tmp_path, [bad1, GOOD[1], bad2]))
    assert sorted({p.split(":")[0] for p in caught.value.problems}) == ["row 2", "row 4"]


def test_skip_bad_imports_the_good_rows_and_writes_the_rejects(
    runner: CliRunner, db_path: Path, tmp_path: Path
) -> None:
    """--skip-bad: good rows in, bad rows to the rejects file with their reasons."""
    bad = [*GOOD[0][:9], "X", *GOOD[0][10:]]
    path = _csv(tmp_path, [bad, GOOD[1]])
    rejects = tmp_path / "rejects.csv"
    result = runner.invoke(
        cli, ["--db", str(db_path), "import", str(path), "--skip-bad", str(rejects), "--json"]
    )
    assert result.exit_code == 0, result.output
    with rejects.open(encoding="utf-8-sig") as f:
        rows = list(csv.reader(f))
    assert rows[0][0] == "行号"
    assert rows[0][-1] == "原因"
    assert (rows[1][0], rows[1][1], rows[1][-1]) == (
        "2",
        "0001",
        "办理类别 (category): class 'X' unknown (use A, B, C, D)",
    )
    assert '"created": 1' in result.stdout


def test_a_header_that_does_not_fit_is_named(engine: Engine, tmp_path: Path) -> None:
    """Unknown and missing columns are listed, with the accepted headers."""
    with pytest.raises(ValidationError) as caught:
        import_ledger(engine, _csv(tmp_path, [], header=["编号", "标题", "领衔代表"]))
    assert list(caught.value.problems) == ["missing column 建议编号 (number)", "unknown column '编号'"]


def test_english_aliases_and_xlsx(engine: Engine, tmp_path: Path) -> None:
    """An Excel ledger with English headers imports the same."""
    book = Workbook()
    sheet = book.active
    sheet.append([en for _, en in COLUMNS])
    for row in GOOD:
        sheet.append(row)
    path = tmp_path / "ledger.xlsx"
    book.save(path)
    assert import_ledger(engine, path).created == 3


def test_the_ledger_export_imports_back_unchanged(engine: Engine, tmp_path: Path, clock: object) -> None:
    """import → export → import into a fresh database → export: the same file, the same measures."""
    import_ledger(engine, _csv(tmp_path, GOOD))
    exported = export_ledger(engine, "csv")
    assert isinstance(exported, str)
    path = tmp_path / "export.csv"
    path.write_text(exported, encoding="utf-8")
    from workflow.testing import make_engine

    fresh = make_engine(clock=engine.clock)  # type: ignore[arg-type]
    import_ledger(fresh, path)
    assert export_ledger(fresh, "csv") == exported
    assert measure(fresh) == measure(engine)


def test_the_public_export_leaves_out_confidential_cases_and_personal_data(
    engine: Engine, tmp_path: Path
) -> None:
    """A confidential case is absent; no co-signers, ratings or contacts appear."""
    import_ledger(engine, _csv(tmp_path, GOOD))
    engine.submit("0004", title="涉密建议", deputy="张三", confidential=True)
    public = export_public(engine, "csv")
    assert isinstance(public, str)
    lines = public.lstrip("\ufeff").splitlines()
    assert lines[0] == "建议编号,标题,领衔代表,领域,主办单位,会办单位,交办日期,答复日期,办理类别"
    assert [line.split(",")[0] for line in lines[1:]] == ["0001", "0002", "0003"]
    assert "李四、王五" not in public
    assert "满意" not in public


def test_a_row_the_lifecycle_refuses_is_named_and_the_case_keeps_its_steps(
    engine: Engine, tmp_path: Path
) -> None:
    """A later ledger whose answer predates what the case holds stops at that row, saying what to do."""
    import_ledger(engine, _csv(tmp_path, GOOD))
    earlier = [*GOOD[2][:7], "2026-01-05", "2026-01-20", "A", "", "", "", "", ""]
    with pytest.raises(ValidationError) as caught:
        import_ledger(engine, _csv(tmp_path, [earlier], name="earlier.csv"))
    assert str(caught.value).startswith("row 2 (0003): ")
    assert "correct the row and import the file again" in str(caught.value)
    assert engine.get("0003").state == "assigned"


UNSATISFIED_THEN_CLOSED = [
    "0004",
    "关于停车的建议",
    "王五",
    "",
    "",
    "市交通运输局",
    "市财政局、市卫生健康委员会",
    "2026-02-12",
    "2026-06-30",  # after its three months: late
    "C",
    "不满意",
    "2026-07-06",
    "2026-07-20",
    "",
    "",
]


def _dump(engine: Engine) -> dict[str, list[tuple[object, ...]]]:
    """Everything an import writes, without row ids that depend on the order of inserts."""
    queries = {
        "cases": "SELECT s.number, s.state, s.round, s.version, s.category, s.current_category, s.assigned_at, "
        "s.answered_at, s.closed_at, s.first_answer_at, s.rating, s.contact_level, s.answer_met, s.audit_seq, "
        "s.audit_head, s.last_event_at FROM suggestions s ORDER BY s.number",
        "audit": "SELECT s.number, a.seq, a.action, a.from_state, a.to_state, a.at, a.data, a.hash "
        "FROM audit_events a JOIN suggestions s ON s.id = a.suggestion_id ORDER BY s.number, a.seq",
        "deadlines": "SELECT s.number, d.kind, d.unit_id, d.round, d.start, d.due, d.due_at, d.status, d.met_at, "
        "d.late, d.next_step_at FROM deadlines d JOIN suggestions s ON s.id = d.suggestion_id",
        "outbox": "SELECT key, topic, recipient_kind, recipient_id, status, reason, payload FROM outbox",
        "assignments": "SELECT s.number, a.unit_id, a.role, a.since FROM assignments a "
        "JOIN suggestions s ON s.id = a.suggestion_id",
        "answers": "SELECT suggestion_id, unit_id, round, category, overrides, at FROM answers",
        "feedback": "SELECT suggestion_id, round, rating, comment, at FROM feedback",
        "conversions": "SELECT suggestion_id, from_category, to_category, at FROM conversions",
    }
    with engine.db.engine.connect() as conn:
        return {
            name: sorted(conn.exec_driver_sql(sql).all(), key=lambda r: tuple(map(str, r)))
            for name, sql in queries.items()
        }


def test_the_batch_replay_writes_what_one_action_at_a_time_writes(
    engine: Engine, tmp_path: Path, template_db: Path, clock: FrozenClock
) -> None:
    """New cases replayed in one transaction leave the very rows, deadlines, notices and audit chain (hash for
    hash) that the engine's actions leave when called one by one."""
    source = _csv(tmp_path, [*GOOD, UNSATISFIED_THEN_CLOSED])
    batched = import_ledger(engine, source)
    shutil.copy(template_db, tmp_path / "one_by_one.db")
    with Engine.open(tmp_path / "one_by_one.db", clock=clock) as other:
        single = import_ledger(other, source, per_action=True)
        assert (batched.created, single.created) == (4, 4)
        assert _dump(engine) == _dump(other)
    case = engine.get("0004")  # unsatisfied: re-handled under the rule set, as the engine does
    assert (case.state, case.round) == ("re_handled", 2)


def test_imported_history_sends_no_notices_but_open_deadlines_remind(
    engine: Engine, tmp_path: Path, clock: FrozenClock
) -> None:
    """The replayed steps happened on paper: no notice of them is queued, while they stay in the audit trail.
    The deadline still open (0003 was assigned and never answered) reminds as usual."""
    from workflow.sweep import sweep

    import_ledger(engine, _csv(tmp_path, GOOD))
    assert row_count(engine, "outbox") == 0
    assert [e.action for e in engine.history("0002")] == ["submit", "assign", "answer", "feedback", "close"]
    report = sweep(engine, now=clock.now())
    assert {r.case for r in report.records} == {"测试会议/0003"}
    assert notices(engine, status="pending")


def test_a_new_case_the_lifecycle_refuses_stops_at_its_row(engine: Engine, tmp_path: Path) -> None:
    """A refusal inside a batch of new cases: the rows before it are imported, the error names the row, and
    the refused row writes nothing (no case left half-replayed)."""
    today = [*GOOD[1][:10], "满意", "2026-11-02", "", "", ""]  # feedback at 11:00 today; it is 09:00
    today[0] = "0009"
    with pytest.raises(ValidationError) as caught:
        import_ledger(engine, _csv(tmp_path, [GOOD[0], today, GOOD[2]]))
    assert str(caught.value).startswith("row 3 (0009): ")
    assert "in the future" in str(caught.value)
    assert "this row wrote nothing" in str(caught.value)
    assert engine.get("0001").state == "closed"
    assert [c.number for c in engine.list_cases()] == ["0001"]


def test_a_refused_new_row_leaves_no_unit_or_deputy_only_it_names(engine: Engine, tmp_path: Path) -> None:
    """The units and deputies a new case's row names are added with its replay: refused, they are not."""
    refused = [*GOOD[1][:10], "满意", "2026-11-02", "", "", ""]  # feedback at 11:00 today; it is 09:00
    refused[0], refused[2], refused[5] = "0009", "新代表丙", "新设单位乙"
    with pytest.raises(ValidationError, match="this row wrote nothing"):
        import_ledger(engine, _csv(tmp_path, [GOOD[0], refused]))
    assert "新设单位乙" not in {u.name for u in engine.units()}
    assert "新代表丙" not in {d.name for d in engine.deputies()}
    assert [c.number for c in engine.list_cases()] == ["0001"]


@pytest.mark.parametrize(
    ("column", "value", "said"),
    [
        (2, "张\x1b[2J三", "领衔代表 (deputy): deputy '张\\x1b[2J三' holds a control character (U+001B)"),
        (6, "财政局、坏\n单位", "会办单位 (co_units): unit '坏\\n单位' holds a control character (U+000A)"),
        (0, "00\u202e01", "建议编号 (number): number '00\\u202e01' holds a control character (U+202E)"),
        (
            5,
            "局" * 201,
            "主办单位 (main_unit): unit '局局局局局局局局局局局局局局局局局局局局'…: it is 201 characters long",
        ),
    ],
)
def test_a_name_no_list_could_show_is_a_bad_row(
    engine: Engine, tmp_path: Path, column: int, value: str, said: str
) -> None:
    """A control character or an over-long name in a cell naming a case, deputy or unit is found before anything
    is written, as `unit add` would refuse it."""
    row = list(GOOD[0])
    row[column] = value
    with pytest.raises(ValidationError) as caught:
        import_ledger(engine, _csv(tmp_path, [GOOD[1], row]))
    assert any(said in p for p in caught.value.problems), caught.value.problems
    assert engine.list_cases() == []


@pytest.mark.postgres
def test_postgres_imports_in_batches_too(pg_url: str, tmp_path: Path) -> None:
    """On PostgreSQL the batch replay writes the same cases, and a second import changes nothing."""
    from workflow.testing import make_engine

    clock = FrozenClock("2026-11-02T09:00:00+08:00")
    with make_engine(pg_url, clock=clock) as engine:
        source = _csv(tmp_path, [*GOOD, UNSATISFIED_THEN_CLOSED])
        assert import_ledger(engine, source).created == 4
        states = {c.number: (c.state, c.category, c.current_category) for c in engine.list_cases()}
        assert states == {
            "0001": ("closed", "B", "A"),
            "0002": ("closed", "A", "A"),
            "0003": ("assigned", None, None),
            "0004": ("re_handled", "C", "C"),
        }
        assert import_ledger(engine, source).unchanged == 4
        assert engine.verify_audit()[1] == []


def test_an_unknown_session_is_named_before_anything_is_written(engine: Engine, tmp_path: Path) -> None:
    """A mistyped --session stops the import with nothing created, not even the new units and deputies."""
    from workflow.core.errors import NotFound

    units = len(engine.units())
    with pytest.raises(NotFound, match="第九次会议"):
        import_ledger(engine, _csv(tmp_path, GOOD), session="第九次会议")
    assert len(engine.units()) == units


def test_batch_orders_name_every_bad_row(tmp_path: Path) -> None:
    """An empty number, a repeated number and a 重点 cell that is neither yes nor no are each named by row."""
    from workflow.core.errors import ValidationError
    from workflow.ledger import read_orders

    sheet = tmp_path / "orders.csv"
    sheet.write_text(
        "建议编号,主办单位,重点\n0001,市交通运输局,是\n,市财政局,否\n0001,市财政局,否\n0002,市财政局,也许\n",
        encoding="utf-8",
    )
    with pytest.raises(ValidationError) as caught:
        read_orders(sheet)
    lines = caught.value.problems
    assert [line.split(":")[0] for line in lines] == ["row 3", "row 4", "row 5"]


def test_another_suggestion_under_a_number_the_session_holds_is_a_bad_row(
    engine: Engine, tmp_path: Path
) -> None:
    """A row whose number the session already holds for another suggestion (its title or lead deputy differ)
    would bring that case forward with someone else's answer and feedback: it is a bad row, named with both
    suggestions, and nothing is written; with --skip-bad the other rows are imported and it goes to the
    rejects file with its cells."""
    import_ledger(engine, _csv(tmp_path, [GOOD[2]]))  # 0003 关于医院的建议 by 赵六, assigned
    before = (engine.get("0003"), engine.history("0003"), row_count(engine, "suggestions"))
    other = [*GOOD[0][:1], *GOOD[0][1:]]
    other[0] = "0003"  # 关于公交的建议 by 张三, answered and rated, under 0003
    with pytest.raises(ValidationError, match=r"1 of 2 row\(s\) are bad, nothing was imported") as caught:
        import_ledger(engine, _csv(tmp_path, [GOOD[1], other]))
    assert list(caught.value.problems) == [
        "row 3: 建议编号 0003 is already 「关于医院的建议」 by 赵六; this row is 「关于公交的建议」 by 张三: "
        "another suggestion under the same number, correct the number"
    ]
    assert (engine.get("0003"), engine.history("0003"), row_count(engine, "suggestions")) == before
    report = import_ledger(engine, _csv(tmp_path, [GOOD[1], other]), skip_bad=True)
    assert (report.created, [r.line for r in report.rejected]) == (1, [3])
    assert report.rejected[0].cells["标题"] == "关于公交的建议"
    assert report.rejected[0].cells["代表意见"] == "满意"
    assert (report.rejected[0].cells["转化类别"], report.rejected[0].cells["转化日期"]) == ("A", "2026-09-01")
    assert (engine.get("0003"), engine.history("0003")) == before[:2]


@pytest.mark.parametrize(
    ("rejects", "message"),
    [
        ("missing-folder/rejects.csv", "missing-folder is not a folder"),
        ("ledger.csv", "the rejects file would overwrite the ledger itself"),
    ],
)
def test_a_rejects_file_that_cannot_be_written_stops_the_import_before_it_starts(
    runner: CliRunner, db_path: Path, tmp_path: Path, rejects: str, message: str
) -> None:
    """--skip-bad's file is checked first: the good rows are committed as the import goes, so a rejects file
    that cannot be written (or would overwrite the ledger) must stop it before any row is imported."""
    path = _csv(tmp_path, [GOOD[0], ["0002", "", "李四"]])
    result = runner.invoke(
        cli, ["--db", str(db_path), "import", str(path), "--skip-bad", str(tmp_path / rejects)]
    )
    assert result.exit_code == 2
    assert message in result.stderr
    with Engine.open(db_path, clock=FrozenClock("2026-11-02T09:00:00+08:00")) as engine:
        assert row_count(engine, "suggestions") == 0
    assert path.read_text(encoding="utf-8-sig").startswith("建议编号")


def test_a_date_beyond_what_jianyi_records_or_a_conversion_to_d_is_a_bad_row(
    engine: Engine, tmp_path: Path
) -> None:
    """A ledger date outside 1900–2999 (year 1 would give deadlines in year 1) and a conversion to a class a B
    answer cannot become are bad rows, named; nothing is imported."""
    early = [*GOOD[2]]
    early[7] = "0001-01-01"
    to_d = [*GOOD[0]]
    to_d[13] = "D"
    with pytest.raises(ValidationError, match=r"2 of 2 row\(s\) are bad") as caught:
        import_ledger(engine, _csv(tmp_path, [early, to_d]))
    assert list(caught.value.problems) == [
        "row 2: 交办日期 (assigned_at): date 0001-01-01 is out of range: jianyi records days from 1900 to 2999",
        "row 3: 转化类别 (converted_to): 'D' is not a class a conversion ends in (use A or C)",
    ]
    assert row_count(engine, "suggestions") == 0


def test_the_rejects_file_is_complete_even_when_a_later_row_is_refused(
    engine: Engine, tmp_path: Path
) -> None:
    """With --skip-bad the bad rows are written before any row is imported: a row the lifecycle refuses later
    stops the import, and the rejects file still holds every bad row."""
    bad = [*GOOD[2]]
    bad[7] = "not a date"
    today = [*GOOD[1][:10], "满意", "2026-11-02", "", "", ""]  # feedback at 11:00 today; it is 09:00
    today[0] = "0009"
    rejects = tmp_path / "rejects.csv"
    with pytest.raises(ValidationError, match=r"^row 4 \(0009\): "):
        import_ledger(engine, _csv(tmp_path, [GOOD[0], bad, today]), skip_bad=True, rejects=rejects)
    with rejects.open(encoding="utf-8-sig") as f:
        rows = list(csv.reader(f))
    assert [(r[0], r[1]) for r in rows[1:]] == [("3", "0003")]
    assert [c.number for c in engine.list_cases()] == ["0001"]


def test_a_b_row_is_answered_without_promises_and_the_audit_says_why(engine: Engine, tmp_path: Path) -> None:
    """A 台账 holds no promised items: its B answers pass the rule that asks for them, saying so in the audit."""
    import_ledger(engine, _csv(tmp_path, [GOOD[0]]))
    (answer,) = [e for e in engine.history("0001") if e.action == "answer"]
    assert (answer.data["category"], answer.data["promises"]) == ("B", [])
    assert answer.data["no_promises"] == "台账导入：承诺事项未在台账登记"


def test_a_refusal_lists_a_hundred_bad_rows_and_counts_the_rest(engine: Engine, tmp_path: Path) -> None:
    """A file of 250 bad rows: the message lists 100 and counts the other 150 (the error holds those 100, not
    every row of a file that may hold a million); with --skip-bad every one is in the rejects file."""
    bad = [[f"{i:04d}", "", "张三", *[""] * 12] for i in range(1, 251)]
    with pytest.raises(ValidationError) as caught:
        import_ledger(engine, _csv(tmp_path, bad))
    lines = str(caught.value).splitlines()
    assert len(lines) == 1 + 100 + 1
    assert lines[-1] == "  - … and 150 more"
    assert (len(caught.value.problems), caught.value.more) == (100, 150)
    rejects = tmp_path / "rejects.csv"
    report = import_ledger(engine, _csv(tmp_path, bad), skip_bad=True, rejects=rejects)
    with rejects.open(encoding="utf-8-sig", newline="") as f:
        written = list(csv.reader(f))[1:]
    assert [r[0] for r in written] == [str(line) for line in range(2, 252)]
    assert (report.rejected_count, len(report.rejected), report.created) == (250, 100, 0)


def _many(count: int) -> list[list[str]]:
    """``count`` good rows: assigned cases, each its own number, title and deputy."""
    return [
        [f"{i:04d}", f"关于第{i}号事项的建议", f"代表{i:04d}", "", "", "市交通运输局", "", "2026-02-10"]
        + [""] * 7
        for i in range(1, count + 1)
    ]


def test_a_file_changed_while_it_is_imported_stops_at_the_next_batch(engine: Engine, tmp_path: Path) -> None:
    """The file is read twice (checked, then imported): a file written to between the readings is not imported
    on the strength of the first; what was imported before the change is said."""
    path = _csv(tmp_path, _many(1200))

    def edit(done: int, total: int) -> None:
        if done == 500:  # the first batch is in: someone saves the file again
            with path.open("a", encoding="utf-8", newline="") as out:
                csv.writer(out).writerow(["9999", "关于另一件事的建议", "代表9999"])

    with pytest.raises(ValidationError) as caught:
        import_ledger(engine, path, progress=edit)
    assert "ledger.csv changed while it was imported: 500 of its 1200 good rows are imported" in str(
        caught.value
    )
    assert _cases(engine) == 500
    again = import_ledger(engine, path)  # and importing it again brings the rest
    assert (again.created, again.unchanged, _cases(engine)) == (701, 500, 1201)


def test_a_number_taken_while_importing_stops_the_import_at_its_row(engine: Engine, tmp_path: Path) -> None:
    """A row good when checked whose number the session gives another suggestion before its batch comes is
    refused then: the rows before it are imported, it writes nothing, the error names it."""
    path = _csv(tmp_path, _many(1200))

    def meanwhile(done: int, total: int) -> None:
        if done == 500:
            engine.submit("0900", title="关于别的事的建议", deputy="王五")

    with pytest.raises(ValidationError) as caught:
        import_ledger(engine, path, progress=meanwhile)
    assert str(caught.value).startswith(
        "row 901 (0900): 建议编号 0900 is already 「关于别的事的建议」 by 王五"
    )
    assert _cases(engine) == 900  # 899 rows and the other suggestion
    assert engine.get("0900").title == "关于别的事的建议"
    assert engine.get("0899").state == "assigned"
