"""Formula injection (OWASP: CSV injection): text that would start a formula is written behind a quote, as
text, in every CSV and Excel file jianyi writes, and a ledger jianyi wrote reads back as it was."""

from __future__ import annotations

import csv
import io
import operator
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from openpyxl import load_workbook

from workflow.engine import Engine
from workflow.ledger import export_ledger, export_public, import_ledger, read_rows, write_rejects, write_table
from workflow.ledger.cells import FORMULA_STARTS, neutralise, restore
from workflow.reporting.formats import render
from workflow.reporting.reports import build
from workflow.reporting.tables import Report, Table
from workflow.testing import DEFAULT_DEPUTIES, FrozenClock, beijing, make_engine

TITLES = ('=HYPERLINK("http://127.0.0.1/x","点击查看")', "+1", "-1+1", "@SUM(A1)", "＝1+1")
Export = Callable[..., str | bytes]


def _submit(engine: Engine) -> list[str]:
    numbers = [f"{i:04d}" for i in range(1, len(TITLES) + 1)]
    for number, title in zip(numbers, TITLES, strict=True):
        engine.submit(number, title=title, deputy=DEFAULT_DEPUTIES[0])
    return numbers


def _csv_rows(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))


@pytest.mark.parametrize("export", [export_ledger, export_public])
def test_a_formula_title_is_quoted_in_the_csv_export(engine: Engine, export: Export) -> None:
    """Each title that would start a formula is written behind a single quote; the others are as they were."""
    _submit(engine)
    engine.submit("0009", title="关于公交的建议", deputy=DEFAULT_DEPUTIES[0])
    exported = export(engine, "csv")
    assert isinstance(exported, str)
    header, *rows = _csv_rows(exported)
    titles = [row[header.index("标题")] for row in rows]
    assert titles == [*("'" + t for t in TITLES), "关于公交的建议"]


@pytest.mark.parametrize("export", [export_ledger, export_public])
def test_a_formula_title_is_quoted_text_in_the_xlsx_export(engine: Engine, export: Export) -> None:
    """In the workbook each such title is a string cell holding the quoted text, never a formula."""
    _submit(engine)
    exported = export(engine, "xlsx")
    assert isinstance(exported, bytes)
    sheet = load_workbook(io.BytesIO(exported)).worksheets[0]
    top = next(r for r in (1, 2) if "标题" in [c.value for c in sheet[r]])  # the 台账 has a title row above
    header = [c.value for c in sheet[top]]
    cells = [row[header.index("标题")] for row in sheet.iter_rows(min_row=top + 1)]
    assert [(c.value, c.data_type) for c in cells] == [("'" + t, "s") for t in TITLES]


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_formula_titles_survive_export_and_import_unchanged(
    engine: Engine, clock: FrozenClock, tmp_path: Path, fmt: str
) -> None:
    """export ledger → import into an empty database: the same titles, and the same file exported again."""
    numbers = _submit(engine)
    exported = export_ledger(engine, fmt)
    path = tmp_path / f"export.{fmt}"
    if isinstance(exported, str):
        path.write_text(exported, encoding="utf-8")
    else:
        path.write_bytes(exported)
    fresh = make_engine(clock=clock, units=(), deputies=())
    assert import_ledger(fresh, path).created == len(TITLES)
    assert [fresh.get(n).title for n in numbers] == list(TITLES)
    if fmt == "csv":
        assert export_ledger(fresh, fmt) == exported


def test_the_rejects_file_quotes_formula_cells_and_reads_back(engine: Engine, tmp_path: Path) -> None:
    """--skip-bad: a rejected row's formula cells are quoted, its row number is not, and they read back."""
    ledger = tmp_path / "ledger.csv"
    with ledger.open("w", encoding="utf-8-sig", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(["建议编号", "标题", "领衔代表", "领域"])
        writer.writerow(["0001", "+1", "-张三", "@交通"])
        writer.writerow(["0002", TITLES[0], "", "@交通"])
    report = import_ledger(engine, ledger, skip_bad=True)
    rejects = tmp_path / "rejects.csv"
    write_rejects(rejects, report.rejected)
    _, *rows = _csv_rows(rejects.read_text(encoding="utf-8-sig"))
    assert [row[:6] for row in rows] == [["3", "0002", "'" + TITLES[0], "", "", "'@交通"]]
    header, read = read_rows(rejects)
    assert [read[0][1][header.index(h)] for h in ("标题", "领域")] == [TITLES[0], "@交通"]
    assert (report.created, engine.get("0001").title) == (1, "+1")


def test_an_imported_formula_title_is_kept_as_text(engine: Engine, tmp_path: Path) -> None:
    """A ledger written by hand with a formula-like title imports it as text; exported, it is quoted."""
    ledger = tmp_path / "ledger.csv"
    ledger.write_text(f'建议编号,标题,领衔代表\n0001,"{TITLES[0].replace(chr(34), chr(34) * 2)}",张三\n')
    import_ledger(engine, ledger)
    assert engine.get("0001").title == TITLES[0]
    exported = export_ledger(engine, "csv")
    assert isinstance(exported, str)
    assert _csv_rows(exported)[1][1] == "'" + TITLES[0]


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_tabs_and_carriage_returns_are_quoted_by_the_table_writer(fmt: str) -> None:
    """A cell starting with a tab or a carriage return (OWASP's list) is quoted as well."""
    written = write_table(["标题", "领域"], [["\t=1+1", "\r=1+1"]], fmt, "台账")
    if isinstance(written, str):
        assert _csv_rows(written)[1] == ["'\t=1+1", "'\r=1+1"]
    else:
        cells = next(load_workbook(io.BytesIO(written)).worksheets[0].iter_rows(min_row=2))
        assert [(c.value, c.data_type) for c in cells] == [("'\t=1+1", "s"), ("'\n=1+1", "s")]


def _ledger_csv(text: str) -> str | bytes:
    return write_table(["标题"], [[text]], "csv", "台账")


def _report_csv(text: str) -> str | bytes:
    return render(Report("test", "", "", tables=[Table("表", ("标题",), ((text,),))]), "csv")


@pytest.mark.parametrize("write", [_ledger_csv, _report_csv])
def test_a_carriage_return_inside_a_csv_cell_is_quoted(write: Callable[[str], str | bytes]) -> None:
    """A CR inside a text cannot end the row and put the rest at the start of a cell: the cell is quoted."""
    written = write('关于\r=HYPERLINK("http://127.0.0.1/x")')
    assert isinstance(written, str)
    assert written.lstrip("\ufeff").split("\r\n") == [
        "标题",
        '"关于\r=HYPERLINK(""http://127.0.0.1/x"")"',
        "",
    ]


def _overdue(engine: Engine, clock: FrozenClock) -> Report:
    """A case titled with a formula, assigned 2026-03-02 and not answered by 2026-06-05."""
    engine.submit("0001", title=TITLES[0], deputy=DEFAULT_DEPUTIES[0])
    clock.advance(hours=1)
    engine.assign("0001", main="市交通运输局", co=())
    clock.set(beijing("2026-06-05", 10))
    return build(engine, "overdue", now=clock.now())


def test_a_formula_title_is_quoted_in_the_csv_report(engine: Engine, clock: FrozenClock) -> None:
    """report overdue --format csv: the title is quoted, the working days late are a bare number."""
    report = _overdue(engine, clock)
    rendered = render(report, "csv")
    assert isinstance(rendered, str)
    header, row = _csv_rows(rendered)
    assert row[header.index("标题")] == "'" + TITLES[0]
    late = report.tables[0].rows[0][header.index("逾期工作日")]
    assert isinstance(late, int)
    assert row[header.index("逾期工作日")] == str(late)


def test_a_formula_title_is_string_text_in_the_xlsx_report(engine: Engine, clock: FrozenClock) -> None:
    """report overdue --format xlsx: the title is a string cell with the quote; numbers stay numbers."""
    report = _overdue(engine, clock)
    rendered = render(report, "xlsx")
    assert isinstance(rendered, bytes)
    book = load_workbook(io.BytesIO(rendered))
    sheet = book.worksheets[1]
    header = [c.value for c in sheet[1]]
    row = next(sheet.iter_rows(min_row=2))
    title, late = row[header.index("标题")], row[header.index("逾期工作日")]
    assert (title.value, title.data_type) == ("'" + TITLES[0], "s")
    assert (late.value, late.data_type) == (report.tables[0].rows[0][header.index("逾期工作日")], "n")


_NUMBERS = Report(
    kind="test",
    title="=标题",
    scope="全部",
    paragraphs=["-说明"],
    tables=[
        Table(
            "表",
            ("名称", "差额", "比例", "说明"),
            (("+单位", -3, Decimal("-1.5"), None), ("#N/A", 0, None, "-")),
        )
    ],
)


def test_report_numbers_stay_numbers_and_text_is_quoted_in_csv() -> None:
    """Negative numbers the report computes are numbers; "-" (nothing) is left as it is; text is quoted."""
    rendered = render(_NUMBERS, "csv")
    assert rendered == "\ufeff名称,差额,比例,说明\r\n'+单位,-3,-1.5,-\r\n#N/A,0,-,-\r\n"


def test_report_numbers_stay_numbers_and_text_is_string_in_xlsx() -> None:
    """Negative numbers are number cells; text is string cells, "#N/A" too (openpyxl would make it an error)."""
    rendered = render(_NUMBERS, "xlsx")
    assert isinstance(rendered, bytes)
    book = load_workbook(io.BytesIO(rendered))
    notes = [(c.value, c.data_type) for row in book["说明"].iter_rows() for c in row]
    assert notes == [("'=标题", "s"), ("范围：全部", "s"), ("'-说明", "s")]
    cells = [[(c.value, c.data_type) for c in row] for row in book["表"].iter_rows(min_row=2)]
    assert cells == [
        [("'+单位", "s"), (-3, "n"), (-1.5, "n"), (None, "n")],
        [("#N/A", "s"), (0, "n"), (None, "n"), ("-", "s")],
    ]


@pytest.mark.parametrize(
    ("text", "written"),
    [
        ("=1+1", "'=1+1"),
        ("+86 138", "'+86 138"),
        ("-1", "'-1"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("＝1", "'＝1"),
        ("＋1", "'＋1"),
        ("－1", "'－1"),
        ("＠某人", "'＠某人"),
        ("'=1", "''=1"),
        ("'abc", "'abc"),
        ("-", "-"),
        ("", ""),
        ("1-2", "1-2"),
        ("关于=的建议", "关于=的建议"),
    ],
)
def test_what_is_quoted(text: str, written: str) -> None:
    """OWASP's formula starts, their full-width forms and a quote before one get a quote; reading drops it."""
    assert (neutralise(text), restore(written)) == (written, text)


_STARTS = "".join(sorted(FORMULA_STARTS)) + "'"
_TEXTS = st.builds(operator.add, st.text(_STARTS, max_size=3), st.text())


@given(_TEXTS)
def test_restore_undoes_neutralise(text: str) -> None:
    """Whatever the text, the quote added is the quote taken off."""
    assert restore(neutralise(text)) == text


@given(_TEXTS)
def test_a_neutralised_text_never_starts_a_formula(text: str) -> None:
    """The written text starts with no formula start (but for "-" alone, which is none)."""
    written = neutralise(text)
    assert written == "-" or written[:1] not in FORMULA_STARTS


# What a ledger cell may hold and read back exactly: the importer strips white space around a cell, except a
# tab or carriage return that starts a formula (the quote keeps it).
_CELLS = _TEXTS.map(str.rstrip).filter(lambda t: t == t.lstrip() or t[:1] in FORMULA_STARTS)


@given(_CELLS)
def test_a_csv_cell_reads_back_through_the_importer_as_written(
    tmp_path_factory: pytest.TempPathFactory, text: str
) -> None:
    """Written by the ledger's table writer as CSV, read by the importer's reader: the same text."""
    path = tmp_path_factory.mktemp("cells") / "ledger.csv"
    written = write_table(["建议编号", "标题"], [["0001", text]], "csv", "台账")
    assert isinstance(written, str)
    path.write_text(written, encoding="utf-8")
    _, rows = read_rows(path)
    assert rows == [(2, ["0001", text])]


# Excel cells hold no control characters but tab and line feed; a carriage return comes back as a line feed.
_XLSX_CELLS = _CELLS.filter(lambda t: not any(c < " " and c not in "\t\n" for c in t))


@given(_XLSX_CELLS)
def test_an_xlsx_cell_reads_back_through_the_importer_as_written(
    tmp_path_factory: pytest.TempPathFactory, text: str
) -> None:
    """Written by the ledger's table writer as a workbook, read by the importer's reader: the same text."""
    path = tmp_path_factory.mktemp("cells") / "ledger.xlsx"
    written = write_table(["建议编号", "标题"], [["0001", text]], "xlsx", "台账")
    assert isinstance(written, bytes)
    path.write_bytes(written)
    _, rows = read_rows(path)
    assert rows == [(2, ["0001", text])]
