"""Measures and reports on constructed ledgers whose answers were counted by hand."""

from __future__ import annotations

import io
import json
import shutil
import subprocess
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from click.testing import CliRunner
from openpyxl import load_workbook

from cli import cli
from workflow.core.errors import ValidationError
from workflow.core.views import Actor
from workflow.engine import Engine, Promised
from workflow.reporting.formats import render
from workflow.reporting.measures import Scope, measure, measure_units, percent
from workflow.reporting.reports import build
from workflow.sweep import sweep
from workflow.testing import FrozenClock, beijing, make_case, make_engine


@pytest.mark.parametrize(
    ("part", "whole", "decimals", "expected"),
    [
        (1, 16, 2, "6.25"),
        (1, 16, 1, "6.3"),  # half-up, where banker's rounding would give 6.2
        (3, 16, 1, "18.8"),  # 18.75
        (1, 8, 2, "12.50"),
        (2, 3, 2, "66.67"),
        (1, 200, 0, "1"),  # 0.5 rounds up
        (5, 1000, 1, "0.5"),
        (149, 149, 2, "100.00"),
        (40, 149, 2, "26.85"),
        (117, 149, 2, "78.52"),
    ],
)
def test_percentages_round_half_up(part: int, whole: int, decimals: int, expected: str) -> None:
    """Exact decimal arithmetic, rounded half-up per item."""
    assert percent(part, whole, decimals) == Decimal(expected)
    assert str(percent(part, whole, decimals)) == expected


def test_nothing_to_divide_is_no_percentage() -> None:
    """A rate over zero cases is absent, not 0 %."""
    assert percent(0, 0) is None


def _ledger(engine: Engine, clock: FrozenClock) -> None:
    """16 answered cases: 1 A, 12 B, 3 C; feedback 13 satisfied, 2 basic, 1 unsatisfied (then re-handled);
    one B case converted to A; one more case assigned and never answered (overdue at report time)."""
    classes = ["A"] + ["B"] * 12 + ["C"] * 3
    ratings = ["satisfied"] * 13 + ["basic"] * 2 + ["unsatisfied"]
    for i, (code, rating) in enumerate(zip(classes, ratings, strict=True)):
        number = f"{i + 1:04d}"
        make_case(engine, number, state="answered", clock=clock, co=(), category=code)
        clock.advance(hours=1)
        comment = "未解决" if rating == "unsatisfied" else ""
        engine.feedback(number, rating=rating, comment=comment, actor=Actor.deputy("张三"))
        clock.advance(hours=1)
    engine.convert("0002", to="A", evidence="已完成")
    make_case(engine, "0099", state="assigned", clock=clock, co=())


def test_a_summary_counts_a_constructed_ledger(engine: Engine, clock: FrozenClock) -> None:
    """Every count and rate of the summary matches the hand count."""
    _ledger(engine, clock)
    report = build(engine, "summary", decimals=2, now=beijing("2026-07-15", 9))
    data = json.loads(render(report, "json"))
    assert (data["total"], data["answered"], data["closed"]) == (17, 16, 15)
    assert data["categories"]["A"] == {"count": 1, "percent": "6.25"}
    assert data["categories"]["B"] == {"count": 12, "percent": "75.00"}
    assert data["categories"]["C"] == {"count": 3, "percent": "18.75"}
    assert data["satisfaction"]["satisfied"] == {"count": 13, "percent": "81.25"}
    assert data["satisfaction"]["basic"] == {"count": 2, "percent": "12.50"}
    assert data["satisfaction"]["unsatisfied"] == {"count": 1, "percent": "6.25"}
    assert data["satisfaction_rate"] == "93.75"  # basic counts as satisfied under the national rule set
    assert data["answer_rate"] == "94.12"  # 16 / 17
    assert data["on_time_rate"] == "94.12"  # 0099 is past its date, unanswered: late
    assert data["resolution_rate"] == "6.25"
    assert data["conversion_rate"] == "8.33"  # 1 of 12 B
    assert data["rehandling_rate"] == "6.25"


def test_the_summary_prose_has_the_seeds_form(engine: Engine, clock: FrozenClock) -> None:
    """One decimal: 1 of 16 is 6.3 %; classes and ratings in the offices' wording."""
    _ledger(engine, clock)
    report = build(engine, "summary", decimals=1, now=beijing("2026-07-15", 9))
    assert report.paragraphs[0] == (
        "共接办代表建议17件，已办结15件，答复率达94.1%。其中，所提问题已经解决或者基本解决的（A类）1件，占6.3%；"
        "所提问题正在解决或者列入规划逐步解决的（B类）12件，占75%；"
        "所提问题因目前条件限制或者其他原因需待以后解决的（C类）3件，占18.8%。"
        "代表表示满意的13件，占81.3%；表示基本满意的2件，占12.5%；表示不满意的1件，占6.3%。"
    )
    assert report.paragraphs[2] == "B类建议12件，转化A类1件，转化A类率8.3%。"


def _contacts_and_lateness(engine: Engine, clock: FrozenClock) -> None:
    """Four answered cases of 市交通运输局 and one of 市财政局: 0001 visited before its answer, 0002 phoned
    before, 0003 phoned only after its answer, 0004 answered after its date (late), 0005 (市财政局) on time."""
    for number in ("0001", "0002", "0003", "0004"):
        make_case(engine, number, state="assigned", clock=clock, co=())
    make_case(engine, "0005", state="assigned", clock=clock, co=(), main="市财政局")
    clock.advance(days=3)
    engine.contact("0001", method="visit", actor=Actor.unit("市交通运输局"))
    engine.contact("0002", method="phone", actor=Actor.unit("市交通运输局"))
    clock.advance(days=3)
    for number in ("0001", "0002", "0003", "0005"):
        engine.answer(number, category="A", text="已解决")
    clock.advance(hours=1)
    engine.contact("0003", method="visit", actor=Actor.unit("市交通运输局"))
    clock.set(beijing("2026-06-20", 10))  # past the three months
    engine.answer("0004", category="C", text="暂不具备条件", at=clock.now())


def test_contacts_count_before_the_first_answer_and_late_answers_count_late(
    engine: Engine, clock: FrozenClock
) -> None:
    """Contact and face-to-face rates look at contacts before the first answer; a late answer is late in the
    summary and in its unit's row."""
    _contacts_and_lateness(engine, clock)
    m = measure(engine)
    assert (m.answered, m.contacted, m.face_to_face, m.due, m.on_time) == (5, 2, 1, 5, 4)
    rates = m.rates(engine.active_ruleset())
    assert (rates["contact_rate"], rates["face_to_face_rate"], rates["on_time_rate"]) == (
        Decimal("40.00"),
        Decimal("20.00"),
        Decimal("80.00"),
    )
    units = {u.unit: u.measures for u in measure_units(engine)}
    traffic, finance = units["市交通运输局"], units["市财政局"]
    assert (traffic.total, traffic.contacted, traffic.due, traffic.on_time) == (4, 2, 4, 3)
    assert (finance.total, finance.contacted, finance.due, finance.on_time) == (1, 0, 1, 1)
    assert m.days_to_answer is not None
    assert traffic.days_to_answer is not None
    assert traffic.days_to_answer > m.days_to_answer  # 0004's late answer pulls its unit's average up


def test_an_open_answer_counts_late_from_the_date_its_deadline_moved_to(
    engine: Engine, clock: FrozenClock
) -> None:
    """An answer still open counts as due and late once its date has passed, in the summary and in its unit's
    row; an approved extension (six months) moves that date."""
    make_case(engine, "0001", state="assigned", clock=clock, co=())
    make_case(engine, "0002", state="assigned", clock=clock, co=())
    engine.extend("0002", reason="涉及多个部门，需要统筹")
    clock.advance(days=120)  # past three months, within six
    m = measure(engine)
    assert (m.total, m.due, m.on_time) == (2, 1, 0)
    unit = {u.unit: u.measures for u in measure_units(engine)}["市交通运输局"]
    assert (unit.due, unit.on_time) == (1, 0)
    clock.advance(days=90)  # past six months too
    m = measure(engine)
    assert (m.due, m.on_time) == (2, 0)
    engine.answer("0001", category="A", text="已解决")  # late: still due, still not on time
    assert (measure(engine).due, measure(engine).on_time) == (2, 0)


def test_a_reassigned_case_counts_under_its_new_main_unit(engine: Engine, clock: FrozenClock) -> None:
    """The units table counts a case under the main unit it has now: after a reassignment (二次交办) the old
    unit's row no longer holds it, and a split case counts under each split unit."""
    make_case(engine, "0001", state="assigned", clock=clock, co=())
    make_case(engine, "0002", state="assigned", clock=clock, co=())
    engine.reassign("0002", main="市财政局", reason="职责调整")
    engine.submit("0003", title="跨部门事项", deputy="张三")
    engine.assign("0003", split=["市交通运输局", "市财政局"])
    units = {u.unit: u.measures.total for u in measure_units(engine)}
    assert units == {"市交通运输局": 2, "市财政局": 2}
    assert measure(engine, Scope(unit="市财政局")).total == 2


def test_a_lapsed_feedback_window_is_left_out_of_satisfaction(engine: Engine, clock: FrozenClock) -> None:
    """A case closed without feedback counts as closed but not in the satisfaction denominator."""
    make_case(engine, "0001", state="closed", clock=clock, co=())
    make_case(engine, "0002", state="answered", clock=clock, co=())
    clock.set(beijing("2026-05-01", 10))
    sweep(engine)
    m = measure(engine)
    assert (m.closed, m.feedback, m.ratings) == (2, 1, {"satisfied": 1})


def test_a_unit_scope_counts_its_cases_only(engine: Engine, clock: FrozenClock) -> None:
    """--unit counts the cases the unit handles as main unit."""
    make_case(engine, "0001", state="closed", clock=clock, co=())
    make_case(engine, "0002", state="closed", clock=clock, co=(), main="市财政局")
    assert measure(engine, Scope(unit="市财政局")).total == 1


def test_units_below_the_minimum_are_not_ranked(engine: Engine, clock: FrozenClock) -> None:
    """With min_cases = 3 a unit with one case is listed but not ranked."""
    for n in range(3):
        make_case(engine, f"000{n}", state="closed", clock=clock, co=())
    make_case(engine, "0009", state="closed", clock=clock, co=(), main="市财政局")
    report = build(engine, "units")
    assert report.data["ranking"] == ["市交通运输局"]
    assert [u["unit"] for u in report.data["units"] if u["total"]] == ["市交通运输局", "市财政局"]


def test_overdue_lists_open_obligations_past_due(engine: Engine, clock: FrozenClock) -> None:
    """An unanswered case past its date is listed with its working days late."""
    make_case(engine, "0001", state="assigned", clock=clock, co=())
    report = build(engine, "overdue", now=beijing("2026-06-05", 10))
    assert [(i["case"], i["kind"], i["due"], i["working_days_late"]) for i in report.data["items"]] == [
        ("测试会议/0001", "答复", "2026-06-03", 2)
    ]


def test_report_formats_from_the_command_line(
    runner: CliRunner, engine: Engine, clock: FrozenClock, db_path: Path, tmp_path: Path
) -> None:
    """json, csv, md, html (the document, with its charts) and xlsx (one sheet per table) carry the same
    numbers."""
    _ledger(engine, clock)
    engine.dispose()
    base = ["--db", str(db_path), "report", "summary", "--now", "2026-07-15T09:00"]
    data = json.loads(runner.invoke(cli, [*base, "--format", "json"]).stdout)
    csv_text = runner.invoke(cli, [*base, "--format", "csv"]).stdout
    md = runner.invoke(cli, [*base, "--format", "md"]).stdout
    html = runner.invoke(cli, [*base, "--format", "html"]).stdout
    out = tmp_path / "r.xlsx"
    assert runner.invoke(cli, [*base, "--format", "xlsx", "--output", str(out)]).exit_code == 0
    book = load_workbook(io.BytesIO(out.read_bytes()))
    assert data["categories"]["B"]["percent"] == "75.00"
    assert "B类,所提问题正在解决或者列入规划逐步解决,12,75.00" in csv_text
    assert "| B类 | 所提问题正在解决或者列入规划逐步解决 | 12 | 75.00 |" in md
    assert html.count('<div class="chart">') == 2
    assert (
        '<td>B类</td><td>所提问题正在解决或者列入规划逐步解决</td><td class="n">12</td><td class="n">75%</td>'
        in html
    )
    assert book.sheetnames == ["说明", "办理类别", "代表意见", "主要指标"]
    assert [c.value for c in book["办理类别"][3]] == ["B类", "所提问题正在解决或者列入规划逐步解决", 12, 75.0]


def test_xlsx_needs_an_output_file(runner: CliRunner, db_path: Path) -> None:
    """A workbook is not written to a terminal."""
    result = runner.invoke(cli, ["--db", str(db_path), "report", "summary", "--format", "xlsx"])
    assert result.exit_code == 2
    assert "an Excel workbook needs --output FILE.xlsx" in result.output


def _chromium() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    pytest.skip(
        "the HTML report check needs Chromium (Debian: apt-get install chromium); .ci/run installs it"
    )


def test_the_html_report_renders_in_headless_chromium(
    engine: Engine, clock: FrozenClock, tmp_path: Path
) -> None:
    """Chromium parses the self-contained page (charts as SVG with their bars) and prints it to PDF."""
    _ledger(engine, clock)
    page = tmp_path / "units.html"
    page.write_text(render(build(engine, "units"), "html"), encoding="utf-8")
    flags = [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        f"--user-data-dir={tmp_path / 'profile'}",
    ]
    dom = subprocess.run(
        [_chromium(), *flags, "--dump-dom", page.as_uri()],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    ).stdout
    pdf = tmp_path / "units.pdf"
    subprocess.run(
        [_chromium(), *flags, "--no-pdf-header-footer", f"--print-to-pdf={pdf}", page.as_uri()],
        capture_output=True,
        timeout=120,
        check=True,
    )
    assert dom.count("<svg") == 2
    assert dom.count('class="bar"') == 2  # one unit, one bar in each chart
    assert "承办单位办理情况" in dom
    assert pdf.read_bytes().startswith(b"%PDF")
    assert pdf.stat().st_size > 5000


def test_lookback_since_the_start_of_the_term(engine: Engine, clock: FrozenClock) -> None:
    """B cases of the term's sessions, their promises and conversions, in the seeds' sentence."""
    engine.add_session("十七届一次", term="第十七届", current=True)
    for n in ("0001", "0002", "0003", "0004"):
        make_case(engine, n, state="closed", clock=clock, co=(), category="B")
    make_case(engine, "0005", state="closed", clock=clock, co=(), category="A")
    engine.convert("0001", to="A", evidence="已完成")
    engine.convert("0002", to="A", evidence="已完成")
    engine.convert("0003", to="C", evidence="条件不具备")
    report = build(engine, "lookback", Scope(term="第十七届"), decimals=1)
    assert report.paragraphs == ["本届以来B类建议4件，转化A类2件、C类1件，转化A类率50%。"]
    assert [(c["case"], c["current_category"]) for c in report.data["cases"]] == [
        ("十七届一次/0001", "A"),
        ("十七届一次/0002", "A"),
        ("十七届一次/0003", "C"),
        ("十七届一次/0004", "B"),
    ]


def test_an_unknown_term_is_named(engine: Engine) -> None:
    """A term no session has is an error that says where terms come from."""
    with pytest.raises(ValidationError, match="no session of term '第九届'"):
        build(engine, "lookback", Scope(term="第九届"))


def test_split_units_are_timely_each_by_their_own_deadline(engine: Engine, clock: FrozenClock) -> None:
    """Split handling (分办): each unit's on-time count follows its own answer deadline; the case is late in
    the summary when either part was."""
    engine.submit("0001", title="分办建议", deputy="张三")
    engine.assign("0001", split=["市交通运输局", "市财政局"])
    clock.advance(days=20)
    engine.answer("0001", category="A", text="已解决", unit="市交通运输局", actor=Actor.unit("市交通运输局"))
    clock.set(beijing("2026-06-20", 10))  # past the three months
    engine.answer("0001", category="A", text="已解决", unit="市财政局", actor=Actor.unit("市财政局"))
    units = {u.unit: u.measures for u in measure_units(engine)}
    assert (units["市交通运输局"].due, units["市交通运输局"].on_time) == (1, 1)
    assert (units["市财政局"].due, units["市财政局"].on_time) == (1, 0)
    m = measure(engine)
    assert (m.total, m.due, m.on_time) == (1, 1, 0)


@pytest.mark.postgres
def test_postgres_counts_the_same(pg_url: str) -> None:
    """The measures' SQL gives the same counts on PostgreSQL, tallies and per-unit timeliness included."""
    clock = FrozenClock("2026-03-02T09:00:00+08:00")
    with make_engine(pg_url, clock=clock) as engine:
        _contacts_and_lateness(engine, clock)
        m = measure(engine)
        assert (m.answered, m.contacted, m.face_to_face, m.due, m.on_time) == (5, 2, 1, 5, 4)
        units = {u.unit: u.measures for u in measure_units(engine)}
        assert (units["市交通运输局"].due, units["市交通运输局"].on_time) == (4, 3)
        summary = json.loads(render(build(engine, "summary"), "json"))
        assert summary["on_time_rate"] == "80.00"


def test_the_units_table_has_a_column_per_class_and_charts_the_right_rates(
    engine: Engine, clock: FrozenClock
) -> None:
    """Every class of the rule set (A to D nationally) is a column; the charts show each unit's rates (marked:
    one case is fewer than measures.min_cases)."""
    make_case(engine, "0001", state="closed", clock=clock, co=(), category="D")
    report = build(engine, "units")
    table = report.tables[0]
    assert [h for h in table.headers if h.endswith("类")] == ["A类", "B类", "C类", "D类"]
    assert table.rows[0][table.headers.index("D类")] == 1
    on_time, satisfaction = report.charts
    unit = report.data["units"][0]
    assert on_time["bars"] == [(unit["unit"] + "＊", Decimal(unit["on_time_rate"]))]
    assert satisfaction["bars"] == [(unit["unit"] + "＊", Decimal(unit["satisfaction_rate"]))]


def test_an_opinion_waived_after_its_date_counts_as_missed(engine: Engine, clock: FrozenClock) -> None:
    """The office may answer without a co-unit's opinion: waived before its date the opinion is cancelled and
    counts nowhere; waived after it, it was missed, and counts against the co-unit's timeliness."""
    make_case(engine, "0001", state="assigned", clock=clock, co=("市财政局",))
    make_case(engine, "0002", state="assigned", clock=clock, co=("市财政局",))
    engine.answer("0001", category="A", text="已解决", without_opinion={"市财政局": "情况紧急"})
    clock.advance(days=40)  # past the co-opinion's month
    engine.answer("0002", category="A", text="已解决", without_opinion={"市财政局": "会办单位未回复"})
    statuses = {
        (c, d.status) for c in ("0001", "0002") for d in engine.get(c).deadlines if d.kind == "co_opinion"
    }
    assert statuses == {("0001", "cancelled"), ("0002", "missed")}
    finance = {u.unit: u for u in measure_units(engine)}["市财政局"]
    assert (finance.co_due, finance.co_on_time) == (1, 0)


def test_a_split_case_handed_to_one_main_unit_leaves_the_other_split_units(
    engine: Engine, clock: FrozenClock
) -> None:
    """A split case reassigned to one main unit counts under that unit alone: the units that split it before
    hold no part of it now (the units report reads the split parts only while some case has one open)."""
    engine.submit("0001", title="分办建议", deputy="张三")
    engine.assign("0001", split=["市交通运输局", "市财政局"])
    before = {u.unit: u.measures.total for u in measure_units(engine)}
    assert before == {"市交通运输局": 1, "市财政局": 1}
    engine.reassign("0001", main="市财政局", reason="职责调整")
    after = {u.unit: u.measures.total for u in measure_units(engine)}
    assert after == {"市财政局": 1}
    assert measure_units(engine) == measure_units(engine, plain=True)


def test_split_units_count_each_with_the_class_of_its_own_answer(engine: Engine, clock: FrozenClock) -> None:
    """Split handling (分办): each unit answers its part with its class, and the units table counts each with
    its own (the case's last class would credit the first unit with the second's)."""
    engine.submit("0001", title="分办建议", deputy="张三")
    engine.assign("0001", split=["市交通运输局", "市财政局"])
    clock.advance(days=10)
    engine.answer("0001", category="A", text="已解决", unit="市交通运输局", actor=Actor.unit("市交通运输局"))
    clock.advance(days=10)
    engine.answer(
        "0001",
        category="B",
        text="列入计划",
        unit="市财政局",
        promises=[Promised("拨付资金", date(2026, 12, 1))],
        actor=Actor.unit("市财政局"),
    )
    units = {u.unit: u.measures for u in measure_units(engine)}
    assert (units["市交通运输局"].categories, units["市交通运输局"].promised) == ({"A": 1}, 0)
    assert (units["市财政局"].categories, units["市财政局"].promised) == ({"B": 1}, 1)


def test_an_output_file_that_cannot_be_written_is_one_line(runner: CliRunner, db_path: Path) -> None:
    """--output into a folder that does not exist: a usage error naming the file, not a traceback."""
    result = runner.invoke(
        cli, ["--db", str(db_path), "report", "summary", "--format", "csv", "--output", "/no/such/dir/x.csv"]
    )
    assert result.exit_code == 2
    assert "cannot write /no/such/dir/x.csv: No such file or directory" in result.stderr
    assert "Traceback" not in result.output


def test_a_template_that_fails_in_its_own_arithmetic_is_named(tmp_path: Path) -> None:
    """{{ 1 / 0 }} in an override is a template problem, not a traceback of `templates check`."""
    from notifications import Renderer

    (tmp_path / "assigned.txt.j2").write_text('{% set subject = "x" %}{{ 1 / 0 }}', encoding="utf-8")
    assert [p.detail for p in Renderer(tmp_path).check(["assigned"])] == [
        "ZeroDivisionError: division by zero"
    ]


def test_the_units_table_leaves_out_units_without_a_case_as_main_unit(
    engine: Engine, clock: FrozenClock
) -> None:
    """A unit with no case as main unit is not a row of zeros in 承办单位; a co-unit among them is listed
    with its co-opinions in 只承担会办的单位; the data keeps every unit."""
    make_case(engine, "0001", state="closed", clock=clock, co=("市财政局",))
    report = build(engine, "units")
    main_table, co_table = report.tables[0], report.tables[1]
    assert [r[0] for r in main_table.rows] == ["市交通运输局"]
    assert co_table.title == "只承担会办的单位"
    assert [r[:2] for r in co_table.rows] == [("市财政局", 1)]
    assert {u["unit"] for u in report.data["units"]} >= {"市交通运输局", "市财政局"}
