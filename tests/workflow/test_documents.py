"""Documents in 公文 form: every kind renders as an A4 PDF with its Chinese fonts embedded and its text
readable; values are escaped; an override folder wins; a missing font or a bad request is one line."""

from __future__ import annotations

import shutil
import subprocess
from decimal import Decimal
from pathlib import Path

import pytest
from click.testing import CliRunner
from pypdf import PdfReader

from cli import cli
from workflow.engine import Engine
from workflow.reporting.reports import build
from workflow.testing import FrozenClock, beijing, make_case

NOW = "2026-07-15T09:00"
ISSUER = "测试市人民代表大会常务委员会代表工作委员会"
CONFIG = f'[documents]\nissuer = "{ISSUER}"\nletterhead = "测试市人大常委会代表工作委员会"\ncontact = "张明　0731-85309270"\n'


def _poppler(tool: str) -> str:
    found = shutil.which(tool)
    if found is None:
        pytest.skip(f"{tool} is missing (Debian: apt-get install poppler-utils); .ci/run installs it")
    return found


def _text(pdf: Path) -> str:
    """The PDF's text as pdftotext reads it, spaces and line ends removed (CJK lines break anywhere)."""
    out = subprocess.run([_poppler("pdftotext"), str(pdf), "-"], capture_output=True, text=True, check=True)
    return "".join(out.stdout.split())


def _fonts(pdf: Path) -> list[tuple[str, str]]:
    """(font name, embedded yes/no) of every font pdffonts lists."""
    out = subprocess.run([_poppler("pdffonts"), str(pdf)], capture_output=True, text=True, check=True)
    rows = out.stdout.splitlines()[2:]
    return [(row.split()[0], row.split()[-5]) for row in rows if row.strip()]


@pytest.fixture
def cases(engine: Engine, clock: FrozenClock, db_path: Path, tmp_path: Path) -> Path:
    """0001 answered B by 市交通运输局 with 市财政局 as co-unit (a promise, a year on); 0002 assigned to
    市交通运输局 and never answered (late by July); the config file with the [documents] table."""
    make_case(engine, "0001", state="answered", clock=clock, category="B", deputy="张三")
    make_case(engine, "0002", state="assigned", clock=clock, co=())
    engine.dispose()
    config = tmp_path / "jianyi.toml"
    config.write_text(f'db = "{db_path}"\n{CONFIG}', encoding="utf-8")
    return config


DOCUMENTS = {
    "assignment-sheet": (
        ["--unit", "市交通运输局"],
        ["关于交办测试会议代表建议的函", "市交通运输局：", "测试建议0001", "主办"],
    ),
    "answer-form": (
        ["0001"],
        ["对第0001号代表建议的答复", "A类", "B类", "C类", "联系电话", "市交通运输局（盖章）"],
    ),
    "supervision-letter": (["--unit", "市交通运输局"], ["关于督促办理代表建议的函", "测试建议0002", "答复"]),
    "feedback-form": (
        ["0001"],
        ["代表建议办理情况征询意见表", "满意", "基本满意", "不满意", "背靠背", "代表签名"],
    ),
    "progress-letter": (["--deputy", "张三"], ["张三代表：", "测试建议0001", "承诺事项"]),
}


@pytest.mark.parametrize("kind", list(DOCUMENTS))
def test_each_document_is_an_a4_pdf_with_its_fonts_embedded(
    kind: str, cases: Path, runner: CliRunner, tmp_path: Path
) -> None:
    """A4 pages, every font embedded, the document's Chinese words in its text, the issuer and the page number."""
    args, words = DOCUMENTS[kind]
    out = tmp_path / f"{kind}.pdf"
    result = runner.invoke(
        cli, ["--config", str(cases), "document", kind, *args, "-o", str(out), "--now", NOW]
    )
    assert result.exit_code == 0, result.output
    pages = PdfReader(out).pages
    assert [(round(float(p.mediabox.width)), round(float(p.mediabox.height))) for p in pages] == [
        (595, 842)
    ] * len(pages)
    fonts = _fonts(out)
    assert fonts
    assert all(embedded == "yes" for _, embedded in fonts), fonts
    assert any("CJK" in name for name, _ in fonts)
    text = _text(out)
    for word in [*words, "—1—"]:
        assert word in text, word
    if kind != "answer-form":  # the unit signs its answer; the office signs the rest
        assert ISSUER in text


def test_the_reports_as_documents_name_their_date_scope_and_issuer(
    cases: Path, runner: CliRunner, tmp_path: Path
) -> None:
    """The summary as PDF: the 截至 date, the scope named (not 全部), the issuer and the date signed."""
    out = tmp_path / "summary.pdf"
    result = runner.invoke(
        cli,
        ["--config", str(cases), "report", "summary", "--format", "pdf", "--output", str(out), "--now", NOW],
    )
    assert result.exit_code == 0, result.output
    text = _text(out)
    assert "代表建议办理情况报告（截至2026年7月15日）" in text
    assert "统计范围：测试会议。" in text
    assert "全部" not in text
    assert f"{ISSUER}2026年7月15日" in text
    assert PdfReader(out).pages[0].mediabox.width == pytest.approx(595.28, abs=0.1)


def test_the_units_chart_is_sorted_leaves_out_empty_units_and_marks_small_ones(
    engine: Engine, clock: FrozenClock
) -> None:
    """Highest rate first; a unit without a case is not drawn; one below measures.min_cases (3) is marked."""
    for number in ("0001", "0002", "0003"):
        make_case(engine, number, state="answered", clock=clock, co=())
    make_case(engine, "0004", state="assigned", clock=clock, co=(), main="市教育局")
    chart = build(engine, "units", now=beijing("2026-07-15"))
    on_time = chart.charts[0]
    assert on_time["bars"] == [("市交通运输局", Decimal("100.00")), ("市教育局＊", Decimal("0.00"))]
    assert on_time["note"] == "＊主办件数少于3件，不参加排名。"


def test_a_title_is_escaped(engine: Engine, clock: FrozenClock, db_path: Path, runner: CliRunner) -> None:
    """A <script> in a title is shown as text, never markup."""
    engine.submit("0009", title="<script>alert(1)</script>关于公交的建议", deputy="张三")
    engine.assign("0009", main="市交通运输局")
    engine.dispose()
    result = runner.invoke(cli, ["--db", str(db_path), "document", "answer-form", "0009", "--format", "html"])
    assert result.exit_code == 0, result.output
    assert "&lt;script&gt;alert(1)&lt;/script&gt;关于公交的建议" in result.stdout
    assert "<script>" not in result.stdout


def test_a_template_in_the_override_folder_comes_first(
    cases: Path, runner: CliRunner, tmp_path: Path
) -> None:
    """The folder's feedback form replaces the shipped one, extending the shipped page; the others stay."""
    folder = tmp_path / "templates"
    folder.mkdir()
    (folder / "feedback_form.html.j2").write_text(
        '{% extends "_base.html.j2" %}{% block body %}<h1>浏阳市代表建议测评表</h1>{{ case.title }}{% endblock %}',
        encoding="utf-8",
    )
    base = ["--config", str(cases), "document"]
    mine = runner.invoke(
        cli, [*base, "feedback-form", "0001", "--format", "html", "--templates", str(folder)]
    )
    shipped = runner.invoke(
        cli, [*base, "answer-form", "0001", "--format", "html", "--templates", str(folder)]
    )
    assert "<h1>浏阳市代表建议测评表</h1>测试建议 0001" in mine.stdout
    assert "size: A4" in mine.stdout
    assert "对第0001号代表建议的答复" in shipped.stdout
    configured = cases.read_text(encoding="utf-8").replace(
        "[documents]\n", f'[documents]\ntemplates = "{folder.name}"\n'
    )
    cases.write_text(configured, encoding="utf-8")
    from_config = runner.invoke(cli, [*base, "feedback-form", "0001", "--format", "html"])
    assert "浏阳市代表建议测评表" in from_config.stdout


def test_without_a_chinese_font_a_pdf_is_refused_in_one_line(
    cases: Path, runner: CliRunner, tmp_path: Path
) -> None:
    """fontconfig finds no Chinese font: one line naming the package, exit 1, no file written."""
    _poppler("pdftotext")  # the machine has fontconfig's tools when it has poppler's
    if shutil.which("fc-list") is None:
        pytest.skip("fc-list is missing (Debian: apt-get install fontconfig)")
    empty = tmp_path / "fonts.conf"
    empty.write_text(
        '<?xml version="1.0"?><fontconfig><dir>/nonexistent</dir></fontconfig>', encoding="utf-8"
    )
    out = tmp_path / "form.pdf"
    result = runner.invoke(
        cli,
        ["--config", str(cases), "document", "feedback-form", "0001", "-o", str(out)],
        env={"FONTCONFIG_FILE": str(empty)},
    )
    assert result.exit_code == 1
    assert result.output.startswith("Error: no Chinese font installed")
    assert "apt-get install fonts-noto-cjk" in result.output
    assert len(result.output.strip().splitlines()) == 1
    assert "Traceback" not in result.output
    assert not out.exists()


def test_a_pdf_needs_an_output_file(cases: Path, runner: CliRunner) -> None:
    """PDF is not written to a terminal: a usage error before any work."""
    result = runner.invoke(cli, ["--config", str(cases), "document", "answer-form", "0001"])
    assert result.exit_code == 2
    assert "a PDF needs --output FILE.pdf (or --format html)" in result.output


def test_nothing_overdue_means_no_supervision_letter(cases: Path, runner: CliRunner, tmp_path: Path) -> None:
    """A unit that is not late gets no 督办函: one line, exit 3, no file."""
    out = tmp_path / "letter.pdf"
    result = runner.invoke(
        cli,
        [
            "--config",
            str(cases),
            "document",
            "supervision-letter",
            "--unit",
            "市财政局",
            "-o",
            str(out),
            "--now",
            NOW,
        ],
    )
    assert result.exit_code == 3
    assert result.output == "Error: nothing is overdue for 市财政局 on 2026-07-15: no 督办函 to write\n"
    assert not out.exists()


def test_an_unknown_documents_setting_is_named(cases: Path, runner: CliRunner) -> None:
    """A misspelt key of [documents] is refused, named."""
    cases.write_text(cases.read_text(encoding="utf-8") + 'isuer = "x"\n', encoding="utf-8")
    result = runner.invoke(
        cli, ["--config", str(cases), "document", "answer-form", "0001", "--format", "html"]
    )
    assert result.exit_code == 3
    assert result.output == "Error: unknown key(s) in [documents]: isuer\n"


def test_a_report_limited_to_a_unit_names_the_sessions_too(cases: Path, runner: CliRunner) -> None:
    """--unit alone: the scope reads 测试会议，市交通运输局, not the unit by itself."""
    result = runner.invoke(
        cli,
        [
            "--config",
            str(cases),
            "report",
            "units",
            "--unit",
            "市交通运输局",
            "--format",
            "html",
            "--now",
            NOW,
        ],
    )
    assert result.exit_code == 0, result.output
    assert '<p class="body">统计范围：测试会议，市交通运输局。</p>' in result.stdout


def test_a_unit_may_not_write_a_supervision_letter(cases: Path, runner: CliRunner) -> None:
    """The 督办函 is the office's: a unit's reader is refused (exit 6), whatever it names."""
    result = runner.invoke(
        cli,
        [
            "--config", str(cases), "--as", "unit:市财政局", "document", "supervision-letter",
            "--unit", "市交通运输局", "--format", "html", "--now", NOW,
        ],
    )  # fmt: skip
    assert result.exit_code == 6
    assert "Traceback" not in result.output
