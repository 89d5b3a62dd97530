"""Reading real ledgers: the encodings Chinese Excel saves, a title row above the header, columns jianyi does not
know, and workbooks whose sheet XML misleads (a stale dimension, merged header cells, formulas never
computed)."""

from __future__ import annotations

import csv
import io
import re
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from hypothesis import given
from hypothesis import strategies as st
from openpyxl import Workbook

from cli import EXIT_CODES, cli
from workflow.core.errors import ValidationError
from workflow.engine import Engine
from workflow.ledger import COLUMNS, read_rows
from workflow.testing import row_count, table_rows

HEADER = [zh for zh, _ in COLUMNS]
# number, title, deputy, co-signers, field, main unit, co-units, assigned, answered, class, opinion, feedback
ROWS = [
    [
        "0001",
        "关于公交的建议",
        "张三",
        "李四",
        "交通",
        "市交通运输局",
        "市财政局",
        "2026-02-10",
        "2026-04-20",
        "A",
    ],
    ["0002", "关于学校的建议", "李四", "", "教育", "市教育局", "", "2026-02-10"],
    ["0003", "关于医院的建议", "王五", "", "", "市卫生健康委员会", "", "2026-02-10"],
    ["0004", "关于菜场的建议", "张三", "", "", "市住房和城乡建设局", "市财政局", "2026-02-10"],
    ["0005", "关于公园的建议", "王五"],
]
TITLES = [(row[0], row[1]) for row in ROWS]
INVALID = EXIT_CODES[ValidationError]


def _full(row: list[str]) -> list[str]:
    return row + [""] * (len(HEADER) - len(row))


def _csv_text(rows: list[list[str]], delimiter: str = ",") -> str:
    out = io.StringIO()
    csv.writer(out, delimiter=delimiter).writerows(rows)
    return out.getvalue()


def _import(runner: CliRunner, db: Path, path: Path, *args: str) -> Result:
    return runner.invoke(cli, ["--db", str(db), "import", str(path), *args])


def _titles(engine: Engine) -> list[tuple[str, str]]:
    return [(number, title) for number, title in table_rows(engine, "suggestions", "number", "title")]


def _refused(result: Result, message: str, engine: Engine) -> None:
    """One line on stderr, the exit code of invalid input, nothing written."""
    assert result.exit_code == INVALID, result.output
    assert result.stderr == f"Error: {message}\n"
    assert row_count(engine, "suggestions") == 0


def _workbook(path: Path, rows: list[list[str]]) -> Workbook:
    book = Workbook()
    for row in rows:
        book.active.append(row)
    book.save(path)
    return book


# ---- encodings ------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("encoding", "delimiter"),
    [("gb18030", ","), ("gbk", ","), ("utf-16", ","), ("utf-16", "\t"), ("utf-8", ",")],
    ids=["gb18030", "gbk", "utf-16", "utf-16-tabs", "utf-8-no-bom"],
)
def test_a_ledger_in_the_encodings_excel_saves_imports(
    runner: CliRunner, db_path: Path, engine: Engine, tmp_path: Path, encoding: str, delimiter: str
) -> None:
    """GB18030/GBK (Excel's "CSV"), UTF-16 with a BOM (Excel's "Unicode text", tab-separated) and UTF-8 without a
    BOM import with their Chinese titles intact."""
    path = tmp_path / "台账.csv"
    path.write_bytes(_csv_text([HEADER, *map(_full, ROWS)], delimiter).encode(encoding))
    result = _import(runner, db_path, path)
    assert result.exit_code == 0, result.output
    assert _titles(engine) == TITLES


def test_a_file_in_no_encoding_jianyi_reads_is_refused_in_one_line(
    runner: CliRunner, db_path: Path, engine: Engine, tmp_path: Path
) -> None:
    """Bytes that are neither UTF-8, UTF-16 nor GB18030 (here UTF-16 without its BOM) are named, with what to do."""
    path = tmp_path / "ledger.csv"
    path.write_bytes(_csv_text([HEADER, *map(_full, ROWS)]).encode("utf-16-le"))
    _refused(
        _import(runner, db_path, path),
        "ledger.csv: not text in UTF-8, UTF-16 with a BOM, GB18030/GBK: save it as CSV UTF-8 "
        "(or as an Excel workbook)",
        engine,
    )


def test_a_gbk_assignment_sheet_is_read(
    runner: CliRunner, db_path: Path, engine: Engine, tmp_path: Path
) -> None:
    """assign-batch reads a GBK sheet, its 序号 and 备注 columns ignored and named."""
    for number, title in TITLES[:2]:
        engine.submit(number, title=title, deputy="张三")
    path = tmp_path / "交办.csv"
    rows = [
        ["序号", "建议编号", "主办单位", "会办单位", "备注"],
        ["1", "0001", "市交通运输局", "市财政局", "重点督办"],
    ]
    rows.append(["2", "0002", "市教育局", "", ""])
    path.write_bytes(_csv_text(rows).encode("gbk"))
    result = runner.invoke(cli, ["--db", str(db_path), "assign-batch", str(path)])
    assert result.exit_code == 0, result.output
    assert result.stdout == "assigned 2 suggestion(s) in one transaction; ignored columns: 序号, 备注\n"
    assert (engine.get("0001").main_unit, engine.get("0001").co_units) == ("市交通运输局", ("市财政局",))


def test_assign_batch_takes_the_header_row_given(
    runner: CliRunner, db_path: Path, engine: Engine, tmp_path: Path
) -> None:
    """--header-row 2 reads the header there; a title row above it is not an order."""
    engine.submit("0001", title="关于公交的建议", deputy="张三")
    path = tmp_path / "orders.csv"
    path.write_text("第一批交办清单\n建议编号,主办单位\n0001,市交通运输局\n", encoding="utf-8")
    result = runner.invoke(
        cli, ["--db", str(db_path), "assign-batch", str(path), "--header-row", "2", "--json"]
    )
    assert result.exit_code == 0, result.output
    assert engine.get("0001").main_unit == "市交通运输局"


# ---- the header -------------------------------------------------------------------------------------------
def _titled(tmp_path: Path) -> Path:
    """A ledger with a title row, a blank row, then the header with 序号 in front and 备注 at the end."""
    path = tmp_path / "ledger.csv"
    rows = [["2026年代表建议台账"], [], ["序号", *HEADER, "备注"]]
    rows += [[str(i), *_full(row), "备注内容"] for i, row in enumerate(ROWS, start=1)]
    path.write_text(_csv_text(rows), encoding="utf-8-sig")
    return path


def test_a_title_row_and_unknown_columns_are_passed_over_and_named(
    runner: CliRunner, db_path: Path, engine: Engine, tmp_path: Path
) -> None:
    """The header is found on row 3; 序号 (a column the 台账 workbook writes) is passed over silently; 备注 is
    ignored and named."""
    result = _import(runner, db_path, _titled(tmp_path), "--json")
    assert result.exit_code == 0, result.output
    assert '"header_row": 3' in result.stdout
    assert '"ignored_columns": [\n    "备注"\n  ]' in result.stdout
    assert _titles(engine) == TITLES


def test_the_report_names_the_header_row_and_the_ignored_columns(
    runner: CliRunner, db_path: Path, tmp_path: Path
) -> None:
    """The text report ends with where the header was and what was not imported."""
    result = _import(runner, db_path, _titled(tmp_path))
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[0].endswith("; header on row 3; ignored columns: 备注")


def test_a_header_row_given_is_the_header(
    runner: CliRunner, db_path: Path, engine: Engine, tmp_path: Path
) -> None:
    """--header-row 1 on a titled ledger reads the title as the header: the required columns are missing."""
    result = _import(runner, db_path, _titled(tmp_path), "--header-row", "1")
    assert result.exit_code == INVALID
    assert result.stderr.startswith("Error: ledger.csv (header on row 1): the header does not fit")
    assert "missing column 建议编号 (number)" in result.stderr
    assert row_count(engine, "suggestions") == 0


def test_a_header_row_past_the_end_is_refused(
    runner: CliRunner, db_path: Path, engine: Engine, tmp_path: Path
) -> None:
    """--header-row beyond the last row names the rows there are."""
    _refused(
        _import(runner, db_path, _titled(tmp_path), "--header-row", "9"),
        "ledger.csv: no row 9 to be the header (the sheet has 8 row(s))",
        engine,
    )


def test_rows_are_numbered_as_in_the_file_below_a_title(engine: Engine, tmp_path: Path) -> None:
    """Data rows keep their row numbers in the file, so errors point at the row the office sees."""
    path = tmp_path / "ledger.csv"
    path.write_text(_csv_text([["台账"], HEADER, _full(ROWS[0]), ["", "无编号", "张三"]]), encoding="utf-8")
    header, rows = read_rows(path, COLUMNS)
    assert (header, [line for line, _ in rows]) == (HEADER, [3, 4])


def test_a_column_without_a_header_that_holds_data_is_named(
    runner: CliRunner, db_path: Path, tmp_path: Path
) -> None:
    """A column with cells but no header is not dropped silently: it is named by its letter."""
    path = tmp_path / "ledger.csv"
    path.write_text(_csv_text([[*HEADER[:3], ""], [*ROWS[4], "市财政局"]]), encoding="utf-8")
    result = _import(runner, db_path, path)
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[0].endswith("; ignored columns: D (no header)")


# ---- workbooks ----------------------------------------------------------------------------------------
def test_a_stale_dimension_loses_no_row(
    runner: CliRunner, db_path: Path, engine: Engine, tmp_path: Path
) -> None:
    """A sheet whose <dimension> claims A1:E2 (what some generators write) still imports all 5 rows."""
    path = tmp_path / "ledger.xlsx"
    _workbook(path, [HEADER, *ROWS])
    with zipfile.ZipFile(path) as source:
        parts = {name: source.read(name) for name in source.namelist()}
    sheet = parts["xl/worksheets/sheet1.xml"].decode()
    parts["xl/worksheets/sheet1.xml"] = re.sub(
        r'<dimension ref="[^"]*"', '<dimension ref="A1:E2"', sheet
    ).encode()
    assert b'<dimension ref="A1:E2"' in parts["xl/worksheets/sheet1.xml"]
    with zipfile.ZipFile(path, "w") as target:
        for name, data in parts.items():
            target.writestr(name, data)
    result = _import(runner, db_path, path)
    assert result.exit_code == 0, result.output
    assert _titles(engine) == TITLES


def test_a_merged_title_above_the_header_is_read(
    runner: CliRunner, db_path: Path, engine: Engine, tmp_path: Path
) -> None:
    """A title merged across the columns above the header is passed over like any title row."""
    path = tmp_path / "ledger.xlsx"
    book = _workbook(path, [["2026年代表建议台账"], HEADER, *ROWS])
    book.active.merge_cells("A1:O1")
    book.save(path)
    result = _import(runner, db_path, path, "--json")
    assert result.exit_code == 0, result.output
    assert '"header_row": 2' in result.stdout
    assert _titles(engine) == TITLES


def test_a_header_cell_merged_over_two_columns_is_refused(
    runner: CliRunner, db_path: Path, engine: Engine, tmp_path: Path
) -> None:
    """主办单位 merged over the 会办单位 column would drop that column: the file is refused, naming the cells."""
    path = tmp_path / "ledger.xlsx"
    book = _workbook(path, [HEADER, *ROWS])
    book.active.merge_cells("F1:G1")
    book.save(path)
    _refused(
        _import(runner, db_path, path),
        "ledger.xlsx: merged cells F1:G1 in the header or the rows: a sheet has one header row naming every "
        "column and a cell per row and column; unmerge them (取消合并单元格) and fill each cell",
        engine,
    )


def test_a_two_row_header_under_a_merged_cell_is_refused(
    runner: CliRunner, db_path: Path, engine: Engine, tmp_path: Path
) -> None:
    """承办单位 over 主办单位|会办单位 in two header rows: refused, the merged cells named (five, then a count)."""
    path = tmp_path / "ledger.xlsx"
    top = [*HEADER[:5], "承办单位", "", *HEADER[7:]]
    below = ["", "", "", "", "", "主办单位", "会办单位"]
    book = _workbook(path, [top, below, *ROWS])
    for column in "ABCDE":
        book.active.merge_cells(f"{column}1:{column}2")
    book.active.merge_cells("F1:G1")
    book.save(path)
    _refused(
        _import(runner, db_path, path),
        "ledger.xlsx: merged cells A1:A2, B1:B2, C1:C2, D1:D2, E1:E2 and 1 more in the header or the rows: a "
        "sheet has one header row naming every column and a cell per row and column; unmerge them (取消合并单元格) "
        "and fill each cell",
        engine,
    )


def test_a_formula_never_computed_is_refused_naming_the_cell(
    runner: CliRunner, db_path: Path, engine: Engine, tmp_path: Path
) -> None:
    """A formula saved without its value (openpyxl, and other programs that do not compute) is not read as
    empty: the file is refused, naming the cell, nothing written."""
    path = tmp_path / "ledger.xlsx"
    book = _workbook(path, [HEADER, *ROWS])
    book.active["B2"] = "=1+1"
    book.save(path)
    _refused(
        _import(runner, db_path, path),
        "ledger.xlsx: B2 holds a formula whose value was never computed: open and save the file in Excel/WPS, "
        "or paste values",
        engine,
    )


def test_formulas_never_computed_in_columns_not_read_are_ignored(engine: Engine, tmp_path: Path) -> None:
    """A 序号 column of formulas (=ROW()-1) is not imported, so it need not be computed."""
    path = tmp_path / "ledger.xlsx"
    book = _workbook(path, [["序号", *HEADER[:3]], *(["=ROW()-1", *row[:3]] for row in ROWS)])
    book.save(path)
    _, rows = read_rows(path, COLUMNS)
    assert [row[1:] for _, row in rows] == [row[:3] for row in ROWS]


def test_a_computed_formula_is_read_as_its_value(tmp_path: Path) -> None:
    """A formula saved with its value (what Excel and WPS write) reads as that value, an empty text too."""
    path = tmp_path / "ledger.xlsx"
    book = _workbook(path, [HEADER[:3], ROWS[0][:3]])
    book.active["B2"] = '=CONCAT("关于","公交")'
    book.active["C2"] = '=IF(1,"","")'
    book.save(path)
    with zipfile.ZipFile(path) as source:
        parts = {name: source.read(name) for name in source.namelist()}
    sheet = parts["xl/worksheets/sheet1.xml"].decode()
    sheet = sheet.replace(
        '<c r="B2"><f>CONCAT("关于","公交")</f><v /></c>',
        '<c r="B2" t="str"><f>CONCAT("关于","公交")</f><v>关于公交</v></c>',
    )
    sheet = sheet.replace(
        '<c r="C2"><f>IF(1,"","")</f><v /></c>', '<c r="C2" t="str"><f>IF(1,"","")</f><v></v></c>'
    )
    parts["xl/worksheets/sheet1.xml"] = sheet.encode()
    with zipfile.ZipFile(path, "w") as target:
        for name, data in parts.items():
            target.writestr(name, data)
    assert read_rows(path) == (HEADER[:3], [(2, ["0001", "关于公交", ""])])


def test_a_file_that_is_not_a_workbook_is_refused_in_one_line(
    runner: CliRunner, db_path: Path, engine: Engine, tmp_path: Path
) -> None:
    """A .xlsx that is not a zip (a CSV renamed, a damaged download) is named, not a traceback."""
    path = tmp_path / "ledger.xlsx"
    path.write_text(_csv_text([HEADER, *map(_full, ROWS)]), encoding="utf-8")
    _refused(
        _import(runner, db_path, path),
        "ledger.xlsx: not an Excel workbook (.xlsx) jianyi can read; save it again from Excel/WPS",
        engine,
    )


# ---- a property -------------------------------------------------------------------------------------------
_CHINESE = st.text(
    st.characters(min_codepoint=0x4E00, max_codepoint=0x9FFF) | st.sampled_from("，、；：“”（）《》 ,;\"\n'"),
    max_size=12,
)
_TABLES = st.integers(1, 4).flatmap(
    lambda width: st.lists(st.lists(_CHINESE, min_size=width, max_size=width), min_size=1, max_size=5)
)
_ENCODINGS = ("utf-8", "utf-8-sig", "utf-16", "gb18030")


@given(table=_TABLES, encoding=st.sampled_from(_ENCODINGS))
def test_any_chinese_table_reads_back_in_every_encoding(
    tmp_path_factory: pytest.TempPathFactory, table: list[list[str]], encoding: str
) -> None:
    """A table of Chinese text written as CSV in UTF-8, UTF-8 with a BOM, UTF-16 or GB18030 reads back the same
    rows (cells as the reader keeps them: stripped of surrounding white space)."""
    path = tmp_path_factory.mktemp("encodings") / "table.csv"
    header = [f"列{i}" for i in range(len(table[0]))]
    path.write_bytes(_csv_text([header, *table]).encode(encoding))
    expected = [(line, [cell.strip() for cell in row]) for line, row in enumerate(table, start=2)]
    assert read_rows(path) == (header, [(line, row) for line, row in expected if any(row)])


@pytest.mark.parametrize("encoding", ["gb18030", "utf-8", "utf-16"])
def test_a_big_file_is_read_in_its_encoding_whatever_its_first_megabyte_says(
    tmp_path: Path, encoding: str
) -> None:
    """A CSV file is read a line at a time, its encoding found by streaming its bytes: a GB18030 file whose
    first megabyte is plain ASCII is still read as GB18030, and a UTF-8 character cut by a megabyte's end is
    still UTF-8."""
    filler = [[f"{i:06d}", "x" * 40] for i in range(30_000)]  # ~1.4 MB of ASCII before the Chinese
    rows = [*filler, ["999999", "关于公交的建议"]]
    path = tmp_path / "big.csv"
    path.write_bytes(_csv_text([["编号", "标题"], *rows]).encode(encoding))
    header, read = read_rows(path)
    assert header == ["编号", "标题"]
    assert read[-1] == (len(rows) + 1, ["999999", "关于公交的建议"])
    assert len(read) == len(rows)


def test_a_utf8_character_across_a_megabyte_boundary_is_utf8(tmp_path: Path) -> None:
    path = tmp_path / "cut.csv"
    data = "编号,标题\r\n".encode()
    line = b"1," + b"x" * 1000 + b"\r\n"
    lines = ((1 << 20) - len(data)) // len(line)
    data += line * lines
    last = b"2," + b"y" * ((1 << 20) - 1 - len(data) - 2)
    data += last + "关\r\n".encode()  # 关's three bytes start a byte before the first megabyte ends
    path.write_bytes(data)
    header, rows = read_rows(path)
    assert header == ["编号", "标题"]
    assert rows[-1] == (lines + 2, ["2", "y" * (len(last) - 2) + "关"])
