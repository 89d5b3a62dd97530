"""What a clerk reads in the default language is Chinese: the engine's refusals, the import report, history,
rules show, the calendar and the outbox; no English word strays into the output of the usual commands."""

from __future__ import annotations

import json
import re
import unicodedata
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from cli import cli
from workflow import Engine
from workflow.testing import DEFAULT_SESSION

pytestmark = pytest.mark.usefixtures("chinese")

# ASCII words a Chinese output may hold: codes the offices type (A/B/C classes), units of size, the names of
# commands and options in hints, JSON, ISO dates and times, case numbers and paths
_ALLOWED = re.compile(
    r"`[^`]*`|--[a-z][a-z-]*|\b(?:jianyi|UTC|Asia/Shanghai|KiB|MiB|sha256|national|JSON|CSV|Excel|WPS|PDF)\b"
    r"|[\w./-]*\.(?:db|csv|xlsx|pdf|toml)\b|\b[A-D]类|\b[A-D]\b|\b(?:unit|deputy|office|system):"
    r"|（[a-z_]+）|\b[a-z_]+\.[a-z_.]+\b|^用法: .*$|用“[^”]*”"  # show's action codes, rule-set keys, click's usage line
)
_WORD = re.compile(r"\b[A-Za-z]{3,}\b")


def stray_english(text: str) -> list[str]:
    """The ASCII words of ``text`` that are neither codes, commands, options, paths nor JSON."""
    return sorted({w for line in text.splitlines() for w in _WORD.findall(_ALLOWED.sub(" ", line))})


def run(runner: CliRunner, db: Path, *args: str) -> Result:
    return runner.invoke(cli, ["--db", str(db), *args])


@pytest.fixture
def handled(runner: CliRunner, db_path: Path) -> Path:
    """0001 submitted, assigned to 市交通运输局 with 市财政局 as co-unit, the co-unit's opinion in."""
    steps = [
        ["submit", "0001", "--title", "关于优化公交线路的建议", "--deputy", "张三"],
        ["assign", "0001", "--main", "市交通运输局", "--co", "市财政局"],
        ["opinion", "0001", "--unit", "市财政局", "--text", "同意主办单位意见"],
    ]
    for args in steps:
        result = run(runner, db_path, *args)
        assert result.exit_code == 0, result.output
    return db_path


def test_an_engine_refusal_on_the_command_line_is_chinese(runner: CliRunner, handled: Path) -> None:
    """A B answer without promises: the engine's reason in Chinese, the case named, exit 3."""
    result = run(runner, handled, "answer", "0001", "--category", "B", "--text", "正在研究")
    assert result.exit_code != 0
    assert result.stderr.startswith(f"错误：建议 {DEFAULT_SESSION}/0001：B 类答复须写明办什么、何时办完")
    assert stray_english(result.stderr) == []


def test_a_permission_refusal_is_chinese(runner: CliRunner, handled: Path) -> None:
    """A co-unit answering: who may not do what, and why, in the offices' words."""
    result = run(runner, handled, "--as", "unit:市财政局", "answer", "0001", "--category", "A", "--text", "x")
    assert result.exit_code == 6
    assert "不是主办或分办单位" in result.stderr
    assert "不能“答复”" in result.stderr


def test_a_renamed_unit_is_named_in_chinese(runner: CliRunner, handled: Path) -> None:
    """Assigning to a unit's old name says what it was renamed to, in Chinese."""
    assert run(runner, handled, "unit", "edit", "市交通运输局", "--name", "市交通局").exit_code == 0
    run(runner, handled, "submit", "0002", "--title", "关于路灯的建议", "--deputy", "张三")
    result = run(runner, handled, "assign", "0002", "--main", "市交通运输局")
    assert "更名为 '市交通局'" in result.stderr
    assert "renamed" not in result.stderr


def test_history_names_actions_and_states_in_chinese(runner: CliRunner, handled: Path) -> None:
    """history: 提出 / 交办 / 会办意见 and 已提出 → 已交办 → 会办完毕."""
    out = run(runner, handled, "history", "0001").stdout
    lines = out.splitlines()
    assert lines[0].split()[-4:] == ["提出", "-", "→", "已提出"]
    assert lines[1].split()[-4:] == ["交办", "已提出", "→", "已交办"]
    assert lines[2].split()[-4:] == ["会办意见", "已交办", "→", "会办完毕"]
    assert stray_english(out) == []


def test_history_names_a_unit_by_its_name(runner: CliRunner, handled: Path) -> None:
    """A unit acting for itself reads as the unit's name, not as ``unit:NAME``."""
    signed = run(runner, handled, "--as", "unit:市交通运输局", "receive", "0001")
    assert signed.exit_code == 0, signed.output
    last = run(runner, handled, "history", "0001").stdout.splitlines()[-1]
    assert last.split()[3:5] == ["市交通运输局", "签收"]
    assert "unit:" not in last


def test_rules_show_is_chinese(runner: CliRunner, db_path: Path) -> None:
    """rules show: kinds, lengths, starts, who owes each deadline, in the offices' words."""
    out = run(runner, db_path, "rules", "show").stdout
    assert "  答复          自交办起 3 个月（复杂件 6）；以答复为满足；由主办单位，或每个分办单位负责" in out
    assert "（时区 Asia/Shanghai" in out
    assert stray_english(out.split("\n", 1)[1].replace("national default", "")) == []


def test_the_calendar_grid_is_chinese(runner: CliRunner, db_path: Path) -> None:
    """calendar: the weekdays as 一 … 日, in columns the days line up under, and the legend."""
    out = run(runner, db_path, "calendar", "2026-02").stdout
    lines = out.splitlines()
    assert lines[1] == " 一  二  三  四  五  六  日"
    assert "  - 休息日   * 调休上班日" in lines
    assert stray_english(out) == []


def test_the_import_report_is_chinese(runner: CliRunner, db_path: Path, tmp_path: Path) -> None:
    """import: the bad rows named in Chinese, nothing imported; with --skip-bad the counts and defaults."""
    ledger = tmp_path / "台账.csv"
    ledger.write_text(
        "建议编号,标题,领衔代表,交办日期,主办单位\n"
        "0901,关于公交的建议,张三,2026-13-01,市交通运输局\n"
        "0902,关于路灯的建议,张三,2026-01-04,市交通运输局\n",
        encoding="utf-8",
    )
    refused = run(runner, db_path, "import", str(ledger))
    assert refused.stderr.startswith("错误：台账.csv：2 行中有 1 行有误，未导入任何内容")
    assert "第 2 行：交办日期 (assigned_at)：'2026-13-01' 不是日期" in refused.stderr
    done = run(runner, db_path, "import", str(ledger), "--skip-bad", str(tmp_path / "退回.csv"))
    assert done.exit_code == 0, done.output
    assert done.stdout.startswith("2 行：新建 1 件，推进 0 件，未变 0 件，退回 1 行")
    assert "免除会办意见（台账中没有会办意见）" in done.stdout
    assert stray_english(done.stdout) == []


def test_outbox_list_and_show_name_statuses_and_topics_in_chinese(runner: CliRunner, handled: Path) -> None:
    """outbox list / show: 待发送 and 交办通知, never the codes; --json keeps the codes."""
    listed = run(runner, handled, "outbox", "list").stdout
    assert listed.split()[1:3] == ["待发送", "交办通知"]
    assert "pending" not in listed
    assert "assigned" not in listed
    notice = json.loads(run(runner, handled, "outbox", "list", "--json").stdout)[-1]
    assert notice["status"] == "pending"
    shown = run(runner, handled, "outbox", "show", str(notice["id"])).stdout
    assert shown.splitlines()[1].split() == ["状态", "待发送"]
    assert "类型      交办通知" in shown


def test_audit_verify_counts_in_chinese(runner: CliRunner, handled: Path) -> None:
    """audit verify: what it checked, in Chinese."""
    out = run(runner, handled, "audit", "verify").stdout
    assert out.startswith("已检查 建议 1 件、办理 3 次")


def test_audit_verify_names_a_tampered_event_in_chinese(runner: CliRunner, handled: Path) -> None:
    """An edited event and a state changed behind the engine's back, named in the offices' words."""
    with Engine.open(handled) as engine, engine.db.engine.begin() as conn:
        conn.exec_driver_sql("UPDATE audit_events SET data = '{}' WHERE seq = 2")
        conn.exec_driver_sql("UPDATE suggestions SET state = 'closed'")
    result = run(runner, handled, "audit", "verify")
    problems = (result.stdout + result.stderr).splitlines()
    assert f"建议 {DEFAULT_SESSION}/0001: 第 2 个事件: 已被改动（哈希值与内容不符）" in problems
    assert any("建议处于“已办结”，但其最后一个事件通向" in line for line in problems)
    words = set(stray_english("\n".join(problems)))  # a table's and a column's own names stay as they are
    assert words <= {"suggestions", "state", "closed", "co_handled"}, words
    assert any(line.startswith(f"建议 {DEFAULT_SESSION}/0001: suggestions 表第 1 行") for line in problems)


@pytest.mark.parametrize(
    "args",
    [
        ["list"],
        ["show", "0001"],
        ["history", "0001"],
        ["deadlines", "0001", "--explain"],
        ["due"],
        ["outbox", "list"],
        ["status"],
        ["calendar", "2026-05"],
        ["audit", "verify"],
        ["report", "summary"],
        ["answer", "0001", "--category", "Z", "--text", "x"],
        ["feedback", "0001", "--rating", "satisfied"],
        ["assign", "0001", "--main", "无此单位"],
        ["unit", "edit", "市交通运输局", "--name", "市财政局"],
        ["withdraw", "0001"],
    ],
)
def test_the_usual_commands_print_no_stray_english(runner: CliRunner, handled: Path, args: list[str]) -> None:
    """The text the clerk reads (stdout and the error line) holds no English word beyond codes and commands."""
    result = run(runner, handled, *args)
    assert stray_english(result.stdout + result.stderr) == []


def test_a_refusal_is_chinese_and_names_its_inputs_each_face_its_own_way(
    runner: CliRunner, handled: Path
) -> None:
    """The engine's refusal in Chinese names the inputs it asks for as fields, no option in its words (a page
    shows it as it is); the command line adds its options, in Chinese, at the end of the line."""
    from workflow import ValidationError

    with Engine.open(handled) as engine, pytest.raises(ValidationError) as refused:
        engine.answer("0001", category="B", text="正在研究")
    assert str(refused.value).startswith(f"建议 {DEFAULT_SESSION}/0001：B 类答复须写明办什么、何时办完：")
    assert "--" not in str(refused.value)
    assert refused.value.fields == ("promises",)
    result = run(runner, handled, "answer", "0001", "--category", "B", "--text", "正在研究")
    assert result.stderr.startswith(f"错误：建议 {DEFAULT_SESSION}/0001：B 类答复须写明办什么、何时办完：")
    assert result.stderr.endswith("（--promise 内容 --due 日期）\n")


def _columns(line: str) -> int:
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in line)


@pytest.mark.parametrize("command", [[], ["answer"], ["assign"], ["daemon"], ["list"]])
def test_chinese_help_fits_the_terminal_and_breaks_between_characters(
    runner: CliRunner, command: list[str]
) -> None:
    """--help at 80 columns: no line wider (a CJK character takes two), none ending in an opening bracket
    or starting with a comma or a full stop."""
    out = runner.invoke(cli, [*command, "--help"], terminal_width=80).stdout
    lines = [
        line for line in out.splitlines() if not line.lstrip().startswith(("#", "jianyi ", "year ", "["))
    ]
    long = [line for line in lines if _columns(line) > 80]
    assert [line for line in long if not line.lstrip().startswith("--")] == []  # an option's name is not cut
    assert [line for line in lines if line.endswith(("（", "“"))] == []
    assert [line for line in lines if line.lstrip().startswith(("，", "。", "、", "；", "）"))] == []


def test_a_broken_notice_template_is_named_in_chinese(
    runner: CliRunner, handled: Path, tmp_path: Path
) -> None:
    """templates check: a template without a subject and one that loops too far, in the offices' words."""
    (tmp_path / "assigned.txt.j2").write_text("{{ recipient }}：\n\n请办理。", encoding="utf-8")
    (tmp_path / "withdrawn.txt.j2").write_text(
        '{% set subject = "撤回" %}{{ recipient }}：{{ "很长" * 10000000 }}', encoding="utf-8"
    )
    result = run(runner, handled, "templates", "check", "--dir", str(tmp_path))
    assert result.exit_code == 3
    assert '没有标题：请加上 {% set subject = "…" %}' in result.stdout
    assert "重复超过" in result.stdout
