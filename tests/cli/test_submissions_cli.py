"""Online submissions at the command line: ``submission propose|list|show|accept|decline|withdraw``."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner, Result

from cli import cli
from workflow.engine import Engine
from workflow.testing import row_count, sample_file


def run(runner: CliRunner, db: Path, *args: str) -> Result:
    return runner.invoke(cli, ["--db", str(db), *args])


def _propose(runner: CliRunner, db: Path, deputy: str = "张三", *extra: str) -> int:
    got = run(
        runner, db, "--as", f"deputy:{deputy}", "submission", "propose", "--title", "关于优化公交线路的建议",
        "--content", "建议增开夜班公交。", "--json", *extra,
    )  # fmt: skip
    assert got.exit_code == 0, got.output
    return int(json.loads(got.output)["id"])


def test_a_deputy_proposes_and_the_office_accepts(runner: CliRunner, db_path: Path) -> None:
    """The deputy's proposal is pending; accept registers it under the next number and says so."""
    sid = _propose(runner, db_path, "张三", "--co-signer", "李四")
    listed = run(runner, db_path, "--as", "deputy:张三", "submission", "list")
    assert listed.exit_code == 0, listed.output
    assert f"#{sid}" in listed.output
    assert "待受理" in listed.output
    got = run(runner, db_path, "submission", "accept", str(sid))
    assert got.exit_code == 0, got.output
    assert got.output.startswith(f"网上建议 #{sid} 已受理：建议 测试会议/0001: submit: ")
    shown = run(runner, db_path, "--as", "deputy:张三", "submission", "show", str(sid))
    assert "状态：已受理（测试会议第0001号）" in shown.output
    assert "联名代表：李四" in shown.output


def test_accept_with_a_number_the_office_gives(runner: CliRunner, db_path: Path) -> None:
    """--number is used as given; --json prints the change."""
    sid = _propose(runner, db_path)
    got = run(runner, db_path, "submission", "accept", str(sid), "--number", "0042", "--json")
    assert got.exit_code == 0, got.output
    assert json.loads(got.output)["number"] == "0042"


def test_decline_needs_a_reason_and_shows_it(runner: CliRunner, db_path: Path) -> None:
    """--reason is required; the status carries it."""
    sid = _propose(runner, db_path)
    missing = run(runner, db_path, "submission", "decline", str(sid))
    assert missing.exit_code == 2
    got = run(runner, db_path, "submission", "decline", str(sid), "--reason", "转为来信处理")
    assert (got.exit_code, got.output) == (0, f"网上建议 #{sid}: 不予受理（转为来信处理）\n")


def test_withdrawn_then_accept_is_one_clear_line(runner: CliRunner, db_path: Path) -> None:
    """Accepting a withdrawn submission exits 5 with one line naming it and its status, no traceback."""
    sid = _propose(runner, db_path)
    assert run(runner, db_path, "--as", "deputy:张三", "submission", "withdraw", str(sid)).exit_code == 0
    got = run(runner, db_path, "submission", "accept", str(sid))
    assert got.exit_code == 5
    assert got.output == (
        f"Error: 网上建议 #{sid}: cannot 'accept' while withdrawn (已撤回); "
        "only a pending (待受理) submission is accepted, declined or withdrawn\n"
    )
    assert row_count(Engine.open(db_path), "suggestions") == 0


def test_another_deputy_and_a_unit_do_not_see_it(runner: CliRunner, db_path: Path) -> None:
    """Another deputy: not found (exit 4); a unit: not found to show, refused to list (exit 6)."""
    sid = _propose(runner, db_path)
    other = run(runner, db_path, "--as", "deputy:李四", "submission", "show", str(sid))
    assert (other.exit_code, other.output) == (
        4,
        f"Error: 网上建议 '#{sid}' not found (list them with `jianyi submission list`)\n",
    )
    assert (
        run(runner, db_path, "--as", "deputy:李四", "submission", "list").output == "no online submissions\n"
    )
    unit = run(runner, db_path, "--as", "unit:市交通运输局", "submission", "show", str(sid))
    assert unit.exit_code == 4
    listing = run(runner, db_path, "--as", "unit:市交通运输局", "submission", "list")
    assert listing.exit_code == 6


def test_propose_with_a_file(runner: CliRunner, db_path: Path, tmp_path: Path) -> None:
    """--attach stores the file with the proposal; it is the case's attachment once accepted."""
    path = tmp_path / "原文.pdf"
    path.write_bytes(sample_file("pdf", "建议原文"))
    sid = _propose(runner, db_path, "张三", "--attach", str(path))
    assert run(runner, db_path, "submission", "accept", str(sid)).exit_code == 0
    listed = run(runner, db_path, "attachment", "list", "0001")
    assert "原文.pdf" in listed.output


def test_the_office_proposes_for_a_deputy(runner: CliRunner, db_path: Path) -> None:
    """Without --as, --deputy names whom the office keys it in for; without it, one line says so."""
    got = run(runner, db_path, "submission", "propose", "--title", "纸质建议")
    assert (got.exit_code, got.output) == (
        3,
        "Error: the office proposes for a deputy: name the lead deputy (--deputy)\n",
    )
    ok = run(runner, db_path, "submission", "propose", "--title", "纸质建议", "--deputy", "王五", "--json")
    assert json.loads(ok.output)["deputy"] == "王五"


def test_show_names_the_online_origin(runner: CliRunner, db_path: Path) -> None:
    """`jianyi show` of an accepted case says it came online, from which submission, by whom and when."""
    sid = _propose(runner, db_path, "张三", "--at", "2026-03-01T10:30")
    assert run(runner, db_path, "submission", "accept", str(sid)).exit_code == 0
    shown = run(runner, db_path, "show", "0001")
    assert f"  来源：网上提交（网上建议 #{sid}，张三（录入 office） 2026-03-01 10:30 提交）\n" in shown.output
