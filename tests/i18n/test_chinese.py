"""The command line speaks Chinese by default (JIANYI_LANG unset) and English with JIANYI_LANG=en."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from cli import cli
from workflow.core.errors import NotFound, TransitionNotAllowed

pytestmark = pytest.mark.usefixtures("chinese")


def run(runner: CliRunner, db: Path, *args: str) -> Result:
    return runner.invoke(cli, ["--db", str(db), *args])


@pytest.fixture
def submitted(runner: CliRunner, db_path: Path) -> Path:
    """A database with suggestion 0001 submitted."""
    result = run(runner, db_path, "submit", "0001", "--title", "关于公交的建议", "--deputy", "张三")
    assert result.exit_code == 0, result.output
    return db_path


def test_the_group_help_is_chinese(runner: CliRunner) -> None:
    """`jianyi --help`: click's headings, the group's text and its options' help."""
    result = runner.invoke(cli, ["--help"])
    assert result.exit_code == 0
    assert result.stdout.startswith("用法: cli [OPTIONS] COMMAND [ARGS]...\n")
    assert "jianyi（建议）：代表建议从提出到办结的办理。" in result.stdout
    assert "选项:" in result.stdout
    assert "命令:" in result.stdout
    assert "显示本帮助并退出。" in result.stdout
    assert "出错时显示完整的回溯" in result.stdout


def test_english_help_with_jianyi_lang_en(runner: CliRunner, monkeypatch: pytest.MonkeyPatch) -> None:
    """JIANYI_LANG=en: the English source texts, click's own included."""
    monkeypatch.setenv("JIANYI_LANG", "en")
    result = runner.invoke(cli, ["--help"])
    assert result.stdout.startswith("Usage: cli [OPTIONS] COMMAND [ARGS]...\n")
    assert "Show this message and exit." in result.stdout


def test_an_unknown_option_is_refused_in_chinese(runner: CliRunner) -> None:
    """click's usage error, with its hint, is Chinese; it exits 2."""
    result = runner.invoke(cli, ["--nope"])
    assert result.exit_code == 2
    assert result.stderr.endswith("错误：没有选项 '--nope'。\n")
    assert "用“cli --help”查看帮助。" in result.stderr


def test_a_missing_argument_is_refused_in_chinese(runner: CliRunner, db_path: Path) -> None:
    """A missing argument: click's message in Chinese, exit 2."""
    result = run(runner, db_path, "show")
    assert result.exit_code == 2
    assert "错误：缺少参数 'NUMBER'" in result.stderr


def test_a_wrong_transition_names_the_states_and_actions_in_the_offices_words(
    runner: CliRunner, submitted: Path
) -> None:
    """答复 on a case 已提出: the state and the actions in Chinese, exit 5."""
    result = run(runner, submitted, "answer", "0001", "--category", "A", "--text", "已解决")
    assert result.exit_code == 5
    assert result.stderr == "错误：建议 测试会议/0001：处于“已提出”时不能“答复”（可以：交办、撤回）\n"


def test_a_case_not_found_is_said_in_chinese(runner: CliRunner, db_path: Path) -> None:
    """An unknown number: 找不到, with the hint, exit 4."""
    result = run(runner, db_path, "show", "0404")
    assert result.exit_code == 4
    assert result.stderr == "错误：找不到建议“测试会议/0404”（用 `jianyi list` 列出建议）\n"


def test_an_unknown_session_is_said_in_chinese(runner: CliRunner, db_path: Path) -> None:
    """An unknown session: 找不到会次, exit 4."""
    result = run(runner, db_path, "list", "--session", "无此会次")
    assert result.exit_code == 4
    assert result.stderr == "错误：找不到会次“无此会次”（用 `jianyi session list` 列出）\n"


def test_a_bad_date_is_refused_in_chinese(runner: CliRunner, db_path: Path) -> None:
    """A date that is not one: click's "Invalid value" in Chinese, exit 2."""
    result = run(
        runner, db_path, "submit", "0002", "--title", "标题", "--deputy", "张三", "--at", "2026-13-01"
    )
    assert result.exit_code == 2
    assert "错误：无效的值：" in result.stderr


def test_an_action_says_what_changed_in_chinese(runner: CliRunner, submitted: Path) -> None:
    """The line after an action: the action and the states in the offices' words."""
    result = run(runner, submitted, "withdraw", "0001", "--reason", "代表书面要求撤回")
    assert result.exit_code == 0, result.output
    assert result.stdout == "建议 测试会议/0001：撤回：已提出 → 已撤回（现为“已撤回”，第 2 版）\n"


def test_show_and_list_are_chinese(runner: CliRunner, submitted: Path) -> None:
    """The dossier and the listing speak the offices' words."""
    shown = run(runner, submitted, "show", "0001")
    assert "状态：已提出" in shown.stdout
    assert "可办理：交办（assign）、撤回（withdraw）" in shown.stdout
    listed = run(runner, submitted, "list")
    assert "已提出" in listed.stdout
    assert "共 1 件" in listed.stdout


def test_json_stays_english(runner: CliRunner, submitted: Path) -> None:
    """--json keeps its keys and values as they are, whatever the language."""
    data = json.loads(run(runner, submitted, "show", "0001", "--json").stdout)
    assert data["state"] == "submitted"


@pytest.mark.parametrize(
    "args",
    [
        ["--nope"],
        ["show"],
        ["show", "0404"],
        ["answer", "0001", "--category", "A", "--text", "x"],
        ["assign", "0001", "--main", "无此单位"],
        ["list", "--session", "无此会次"],
        ["list"],
        ["--help"],
    ],
)
def test_english_and_chinese_exit_alike(
    runner: CliRunner, submitted: Path, monkeypatch: pytest.MonkeyPatch, args: list[str]
) -> None:
    """The language changes the words, never the exit code."""
    chinese = run(runner, submitted, *args)
    monkeypatch.setenv("JIANYI_LANG", "en")
    english = run(runner, submitted, *args)
    assert chinese.exit_code == english.exit_code
    assert (chinese.output == english.output) == (args == ["list"])  # the listing is Chinese in both


def test_an_unknown_language_is_chinese(monkeypatch: pytest.MonkeyPatch) -> None:
    """JIANYI_LANG with a value jianyi does not know speaks Chinese; en_US.UTF-8 is English."""
    monkeypatch.setenv("JIANYI_LANG", "fr")
    assert str(NotFound(kind="unit", name="x")) == "找不到承办单位“x”"
    monkeypatch.setenv("JIANYI_LANG", "en_US.UTF-8")
    assert str(NotFound(kind="unit", name="x")) == "unit 'x' not found"


def test_errors_switch_language_at_each_raise(monkeypatch: pytest.MonkeyPatch) -> None:
    """The language is read when the message is built, not when the module was imported."""
    error = {"case": "2026-0042", "state": "submitted", "action": "answer", "allowed": ["assign", "withdraw"]}
    assert (
        str(TransitionNotAllowed(**error)) == "建议 2026-0042：处于“已提出”时不能“答复”（可以：交办、撤回）"
    )
    monkeypatch.setenv("JIANYI_LANG", "en")
    assert str(TransitionNotAllowed(**error)) == (
        "建议 2026-0042: cannot 'answer' while 'submitted' (allowed: assign, withdraw)"
    )


@pytest.mark.parametrize(
    ("command", "expected"),
    [
        (["answer"], "就建议 NUMBER 答复代表，并给出办理类别。"),
        (["list"], "按编号分页列出本会次的建议"),
        (["calendar", "load"], "# 调休上班"),
        (["report"], "百分比按项四舍五入到 --decimals 位。"),
    ],
)
def test_a_command_help_is_chinese(runner: CliRunner, command: list[str], expected: str) -> None:
    """A command's --help: its text, its options' help and click's headings."""
    result = runner.invoke(cli, [*command, "--help"])
    assert result.exit_code == 0
    assert expected in result.stdout
    assert "选项:" in result.stdout
    assert "显示本帮助并退出。" in result.stdout


def test_every_action_has_the_offices_word() -> None:
    """An error or a history line names each action in Chinese, never its code."""
    from workflow.core.states import ACTION_LABELS, Action

    assert sorted(a.value for a in Action if a.value not in ACTION_LABELS) == []
