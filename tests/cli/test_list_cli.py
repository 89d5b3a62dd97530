"""`jianyi list`: filters, a text search, the count and the page shown, the JSON page."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from cli import cli


def run(runner: CliRunner, db: Path, *args: str) -> Result:
    return runner.invoke(cli, ["--db", str(db), *args])


@pytest.fixture
def listed(runner: CliRunner, db_path: Path) -> Path:
    """A database with three suggestions: 0001 on buses (交通, key), 0002 on schools between sessions,
    0003 on lifts (confidential, co-signed by 张三)."""
    submissions = [
        ["0001", "--title", "关于优化公交线路的建议", "--deputy", "张三", "--field", "交通"],
        [
            "0002",
            "--title",
            "关于课后服务的建议",
            "--deputy",
            "李四",
            "--field",
            "教育",
            "--between-sessions",
        ],
        [
            "0003",
            "--title",
            "关于加装电梯的建议",
            "--deputy",
            "王五",
            "--co-signer",
            "张三",
            "--confidential",
        ],
    ]
    for args in submissions:
        assert run(runner, db_path, "submit", *args, "--content", "正文").exit_code == 0
    assert run(runner, db_path, "assign", "0001", "--main", "市交通运输局", "--key").exit_code == 0
    return db_path


def test_list_shows_the_count_and_the_cases_shown(runner: CliRunner, listed: Path) -> None:
    """The text output ends with how many match and which of them the page shows."""
    result = run(runner, listed, "list", "--limit", "2", "--offset", "1")
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["编号", "状态", "轮次", "类别", "主办单位", "期限", "标题"]
    assert [line.split()[0] for line in lines[1:-1]] == ["0002", "0003"]
    assert lines[-1] == "共 3 件，显示 2–3"
    beyond = run(runner, listed, "list", "--offset", "5")
    assert beyond.stdout == "共 3 件，--offset 5 之后没有了\n"


def test_list_json_is_a_page(runner: CliRunner, listed: Path) -> None:
    """--json prints {total, offset, limit, cases}."""
    page = json.loads(run(runner, listed, "list", "--json", "--limit", "1").stdout)
    assert (page["total"], page["offset"], page["limit"]) == (3, 0, 1)
    assert [c["number"] for c in page["cases"]] == ["0001"]


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        pytest.param(["--text", "公交"], ["0001"], id="text-2"),
        pytest.param(["--text", "课后服务"], ["0002"], id="text-4"),
        pytest.param(["--text", "建议"], ["0001", "0002", "0003"], id="text-common"),
        pytest.param(["--deputy", "张三"], ["0001", "0003"], id="deputy"),
        pytest.param(["--field", "教育"], ["0002"], id="field"),
        pytest.param(["--key"], ["0001"], id="key"),
        pytest.param(["--no-key"], ["0002", "0003"], id="no-key"),
        pytest.param(["--between-sessions"], ["0002"], id="between-sessions"),
        pytest.param(["--during-session"], ["0001", "0003"], id="during-session"),
        pytest.param(["--confidential"], ["0003"], id="confidential"),
        pytest.param(["--not-confidential"], ["0001", "0002"], id="not-confidential"),
        pytest.param(["--deputy", "张三", "--no-key", "--text", "电梯"], ["0003"], id="combined"),
    ],
)
def test_list_filters(runner: CliRunner, listed: Path, args: list[str], expected: list[str]) -> None:
    """Each option selects its cases; together they must all hold."""
    page = json.loads(run(runner, listed, "list", "--json", *args).stdout)
    assert ([c["number"] for c in page["cases"]], page["total"]) == (expected, len(expected))


def test_list_delegation_is_the_lead_deputys(runner: CliRunner, listed: Path) -> None:
    """--delegation selects the cases whose lead deputy belongs to it."""
    assert run(runner, listed, "deputy", "add", "赵六", "--delegation", "东城代表团").exit_code == 0
    assert (
        run(runner, listed, "submit", "0004", "--title", "关于社区食堂的建议", "--deputy", "赵六").exit_code
        == 0
    )
    result = run(runner, listed, "list", "--delegation", "东城代表团")
    assert result.stdout.splitlines()[-1] == "共 1 件，显示 1–1"
    assert result.stdout.splitlines()[1].startswith("0004 ")


def test_list_refuses_a_limit_below_one(runner: CliRunner, listed: Path) -> None:
    """--limit 0 is a usage error (exit 2)."""
    assert run(runner, listed, "list", "--limit", "0").exit_code == 2
