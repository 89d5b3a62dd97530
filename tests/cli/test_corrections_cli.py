"""Corrections at the command line: unit and deputy edit and history, amend, and what audit verify says."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from click.testing import CliRunner, Result

from cli import cli


def run(runner: CliRunner, db: Path, *args: str) -> Result:
    return runner.invoke(cli, ["--db", str(db), *args])


def test_unit_edit_fixes_an_email_and_history_shows_it(runner: CliRunner, db_path: Path) -> None:
    """add again says it exists and how to change it; edit does; history lists old → new."""
    assert run(runner, db_path, "unit", "add", "公交处", "--email", "wrong@example.cn").exit_code == 0
    again = run(runner, db_path, "unit", "add", "公交处", "--email", "right@example.cn")
    assert again.exit_code == 3
    assert again.stderr == (
        "Error: unit '公交处' already exists (change it with `jianyi unit edit 公交处 --email …`)\n"
    )
    edited = run(runner, db_path, "unit", "edit", "公交处", "--email", "right@example.cn", "--phone", "12345")
    assert edited.exit_code == 0, edited.output
    assert edited.stdout == "unit '公交处' edited: email → 'right@example.cn', phone → '12345'\n"
    shown = run(runner, db_path, "unit", "history", "公交处", "--json")
    assert [(r["field"], r["old"], r["new"]) for r in json.loads(shown.stdout)] == [
        ("email", "wrong@example.cn", "right@example.cn"),
        ("phone", None, "12345"),
    ]
    lines = run(runner, db_path, "unit", "history", "公交处").stdout.splitlines()
    assert lines[0].endswith("email      'wrong@example.cn' → 'right@example.cn'")
    assert lines[1].endswith("phone      - → '12345'")


def test_a_rename_is_listed_under_the_old_name_and_refuses_a_taken_one(
    runner: CliRunner, db_path: Path
) -> None:
    """unit history OLD shows the rename; a rename to a taken name is one line, exit 3, nothing written."""
    assert run(runner, db_path, "unit", "edit", "市交通运输局", "--name", "市交通局").exit_code == 0
    history = run(runner, db_path, "unit", "history", "市交通运输局")
    assert history.stdout.rstrip().endswith("name       '市交通运输局' → '市交通局'")
    taken = run(runner, db_path, "unit", "edit", "市交通局", "--name", "市财政局")
    assert (taken.exit_code, taken.stderr) == (
        3,
        "Error: unit '市财政局' already exists: choose another name\n",
    )
    old = run(runner, db_path, "unit", "edit", "市交通运输局", "--email", "a@example.cn")
    assert old.exit_code == 4
    assert old.stderr.startswith("Error: unit '市交通运输局' not found (renamed to '市交通局' on ")
    assert "Traceback" not in old.output
    assert len(run(runner, db_path, "unit", "history", "市交通局", "--json").stdout.split('"seq"')) == 2


def test_deputy_edit_clears_a_field_with_an_empty_value(runner: CliRunner, db_path: Path) -> None:
    """--email "" clears it; edit with nothing to change is refused."""
    assert run(runner, db_path, "deputy", "edit", "张三", "--email", "zs@example.cn").exit_code == 0
    cleared = run(runner, db_path, "deputy", "edit", "张三", "--email", "")
    assert cleared.stdout == "deputy '张三' edited: email (cleared)\n"
    nothing = run(runner, db_path, "deputy", "edit", "张三")
    assert (nothing.exit_code, nothing.stderr) == (
        3,
        "Error: deputy '张三': nothing to change (no value as it is)\n",
    )
    rows = json.loads(run(runner, db_path, "deputy", "history", "张三", "--json").stdout)
    assert [(r["old"], r["new"]) for r in rows] == [(None, "zs@example.cn"), ("zs@example.cn", None)]


def test_amend_then_history_shows_old_and_new(runner: CliRunner, db_path: Path) -> None:
    """amend changes show --json and history prints each change and the reason; a unit is denied."""
    assert (
        run(runner, db_path, "submit", "0001", "--title", "关于公交的建意", "--deputy", "张三").exit_code == 0
    )
    amended = run(
        runner, db_path, "amend", "0001", "--title", "关于公交的建议", "--confidential", "--reason", "笔误"
    )
    assert amended.exit_code == 0, amended.output
    case = json.loads(run(runner, db_path, "show", "0001", "--json").stdout)
    assert (case["title"], case["confidential"]) == ("关于公交的建议", True)
    lines = run(runner, db_path, "history", "0001").stdout.splitlines()
    assert [line.strip() for line in lines[2:]] == [
        "confidential: no → yes",
        "title: '关于公交的建意' → '关于公交的建议'",
        "reason: 笔误",
    ]
    assert run(runner, db_path, "assign", "0001", "--main", "市财政局").exit_code == 0
    denied = run(runner, db_path, "--as", "unit:市财政局", "amend", "0001", "--title", "x", "--reason", "y")
    assert denied.exit_code == 6
    assert denied.stderr == (
        "Error: 建议 测试会议/0001: unit:市财政局 may not 'amend': only the office (代表工作机构) may do this\n"
    )
    same = run(runner, db_path, "amend", "0001", "--confidential", "--reason", "y")
    assert same.exit_code == 3
    assert "nothing to amend: confidential already as given" in same.stderr


def test_audit_verify_fails_on_a_tampered_directory_history(runner: CliRunner, db_path: Path) -> None:
    """An altered change is named and the exit code is 9."""
    assert run(runner, db_path, "unit", "edit", "市财政局", "--email", "a@example.cn").exit_code == 0
    ok = run(runner, db_path, "audit", "verify")
    assert (ok.exit_code, ok.stdout) == (
        0,
        "0 case(s), 0 event(s) and 0 row(s), 1 directory change(s) checked, 0 problem(s)\n",
    )
    con = sqlite3.connect(db_path)
    con.execute("UPDATE directory_changes SET old = 'x@example.cn'")
    con.commit()
    con.close()
    broken = run(runner, db_path, "audit", "verify")
    assert broken.exit_code == 9
    assert (
        "directory change #1 (unit 2, email): altered (its hash does not match its content)" in broken.output
    )
    assert broken.stderr.endswith("Error: the history of units and deputies has 1 problem(s)\n")
