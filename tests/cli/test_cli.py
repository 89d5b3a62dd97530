"""The command line through click's runner: every command, and its error paths."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from cli import cli


def run(runner: CliRunner, db: Path, *args: str) -> Result:
    return runner.invoke(cli, ["--db", str(db), *args])


@pytest.fixture
def case(runner: CliRunner, db_path: Path) -> Path:
    """A database with suggestion 0001 assigned to a main and a co-unit on 2026-07-01."""
    assert (
        run(
            runner,
            db_path,
            "submit",
            "0001",
            "--title",
            "关于公交的建议",
            "--deputy",
            "张三",
            "--co-signer",
            "李四",
            "--at",
            "2026-06-20",
        ).exit_code
        == 0
    )
    assert (
        run(
            runner,
            db_path,
            "assign",
            "0001",
            "--main",
            "市交通运输局",
            "--co",
            "市财政局",
            "--at",
            "2026-07-01T10:00",
        ).exit_code
        == 0
    )
    return db_path


def test_init_creates_a_database_and_congress(runner: CliRunner, tmp_path: Path) -> None:
    """init then session/unit/deputy add make a usable database."""
    db = tmp_path / "new.db"
    result = run(runner, db, "--congress", "县人大", "init", "--level", "county", "--json")
    assert (result.exit_code, json.loads(result.stdout)["congress"]) == (0, "县人大")
    assert run(runner, db, "--congress", "县人大", "session", "add", "2026年会议", "--current").exit_code == 0
    assert (
        run(runner, db, "--congress", "县人大", "unit", "add", "县教育局", "--email", "a@b.cn").exit_code == 0
    )
    assert run(runner, db, "--congress", "县人大", "deputy", "add", "赵六").exit_code == 0
    listed = run(runner, db, "--congress", "县人大", "unit", "list", "--json")
    assert json.loads(listed.stdout) == [
        {"name": "县教育局", "parent": None, "email": "a@b.cn", "phone": None, "webhook": None}
    ]
    assert run(runner, db, "--congress", "县人大", "session", "list").stdout == "* 2026年会议\n"


def test_a_command_on_a_missing_database_says_to_init(runner: CliRunner, tmp_path: Path) -> None:
    """One line, exit 8, no traceback."""
    result = run(runner, tmp_path / "none.db", "list")
    assert result.exit_code == 8
    assert result.stderr.startswith("Error: database sqlite:///")
    assert result.stderr.rstrip().endswith("no such file; run `jianyi init` to create or upgrade it")
    assert not (tmp_path / "none.db").exists()  # the attempt leaves no empty file behind
    assert "Traceback" not in result.output


def test_show_json_has_the_documented_fields(runner: CliRunner, case: Path) -> None:
    """show --json gives number, state, units, deadlines with local due dates."""
    data = json.loads(run(runner, case, "show", "0001", "--json").stdout)
    assert {
        k: data[k]
        for k in (
            "number",
            "session",
            "state",
            "round",
            "category",
            "main_unit",
            "co_units",
            "escalation_level",
            "version",
        )
    } == {
        "number": "0001",
        "session": "测试会议",
        "state": "assigned",
        "round": 1,
        "category": None,
        "main_unit": "市交通运输局",
        "co_units": ["市财政局"],
        "escalation_level": 0,
        "version": 2,
    }
    answer = next(d for d in data["deadlines"] if d["kind"] == "answer")
    assert {k: answer[k] for k in ("kind", "unit", "due", "status", "provisional")} == {
        "kind": "answer",
        "unit": "市交通运输局",
        "due": "2026-10-08",
        "status": "open",
        "provisional": False,
    }


def test_show_text_marks_overdue_deadlines(runner: CliRunner, case: Path) -> None:
    """Human output names the state, units and which deadline is overdue."""
    out = run(runner, case, "show", "0001").stdout
    assert "  状态：已交办（第 1 轮办理）" in out
    assert "    主办  市交通运输局  第 1 轮" in out
    assert "    会办  市财政局  第 1 轮" in out
    assert "    答复      市交通运输局  2026-10-08  已逾期" in out
    assert "    退办期    市交通运输局  2026-07-15  期满" in out


def test_a_wrong_transition_exits_5_with_one_line(runner: CliRunner, case: Path) -> None:
    """The refusal names case, state and what to do."""
    result = run(runner, case, "answer", "0001", "--category", "A", "--text", "x")
    assert result.exit_code == 5
    assert result.stderr == (
        "Error: 建议 测试会议/0001: cannot 'answer' while 'assigned' (waiting for the opinion of 市财政局; "
        "the office may answer without it, with its reason) (--without-opinion UNIT --reason R)\n"
    )


def test_units_act_through_as(runner: CliRunner, case: Path) -> None:
    """--as unit:NAME acts for that unit; a unit may not act for another."""
    ok = run(runner, case, "--as", "unit:市财政局", "opinion", "0001", "--text", "同意", "--json")
    assert json.loads(ok.stdout)["state"] == "co_handled"
    denied = run(runner, case, "--as", "unit:市财政局", "answer", "0001", "--category", "A", "--text", "x")
    assert denied.exit_code == 6
    assert "is not the main (主办) or a split (分办) unit" in denied.stderr


def test_a_bad_actor_is_a_usage_error(runner: CliRunner, case: Path) -> None:
    """--as must be office, unit:NAME or deputy:NAME."""
    result = run(runner, case, "--as", "mayor", "show", "0001")
    assert result.exit_code == 2  # reads keep to what --as may see, so it must be understood
    result = run(runner, case, "--as", "mayor", "close", "0001")
    assert result.exit_code == 2
    assert "actor 'mayor' not understood: use office, office:NAME, unit:NAME or deputy:NAME" in result.stderr


def test_the_whole_lifecycle_through_the_cli(runner: CliRunner, case: Path) -> None:
    """Opinion, contact, B answer with a promise, unsatisfied, re-answer, satisfied: closed in round 2."""
    steps = [
        ("--as", "unit:市财政局", "opinion", "0001", "--text", "同意", "--at", "2026-07-10"),
        ("contact", "0001", "--unit", "市交通运输局", "--method", "visit", "--at", "2026-07-12"),
        (
            "answer",
            "0001",
            "--category",
            "B",
            "--text",
            "列入计划",
            "--promise",
            "完成改造",
            "--due",
            "2026-12-31",
            "--at",
            "2026-08-01",
        ),
        (
            "--as",
            "deputy:张三",
            "feedback",
            "0001",
            "--rating",
            "unsatisfied",
            "--comment",
            "太慢",
            "--at",
            "2026-08-05",
        ),
        ("answer", "0001", "--category", "A", "--text", "已解决", "--at", "2026-08-20"),
        ("feedback", "0001", "--rating", "satisfied", "--at", "2026-08-25"),
    ]
    for args in steps:
        result = run(runner, case, *args)
        assert result.exit_code == 0, result.stderr
    data = json.loads(run(runner, case, "show", "0001", "--json").stdout)
    assert (data["state"], data["round"], data["category"]) == ("closed", 2, "A")
    history = json.loads(run(runner, case, "history", "0001", "--json").stdout)
    assert [h["action"] for h in history][-3:] == ["answer", "feedback", "close"]
    assert history[-1]["from"] == "revisited"


def test_promise_and_due_must_pair(runner: CliRunner, case: Path) -> None:
    """Each --promise needs its --due; bad dates are usage errors."""
    result = run(runner, case, "answer", "0001", "--category", "B", "--text", "x", "--promise", "a")
    assert (result.exit_code, "1 --promise but 0 --due" in result.stderr) == (2, True)
    result = run(
        runner, case, "answer", "0001", "--category", "B", "--text", "x", "--promise", "a", "--due", "明年"
    )
    assert (result.exit_code, "'明年' is not an ISO date" in result.stderr) == (2, True)


def test_return_reassign_and_refuse(runner: CliRunner, case: Path) -> None:
    """A unit asks to hand back, the office refuses, asks again, the office reassigns."""
    assert (
        run(
            runner,
            case,
            "--as",
            "unit:市交通运输局",
            "return",
            "0001",
            "--reason",
            "非职责",
            "--at",
            "2026-07-03",
        ).exit_code
        == 0
    )
    assert (
        run(runner, case, "refuse-return", "0001", "--reason", "属职责", "--at", "2026-07-04").exit_code == 0
    )
    again = run(runner, case, "refuse-return", "0001", "--reason", "x", "--at", "2026-07-05")
    assert (again.exit_code, "no return request is waiting" in again.stderr) == (5, True)
    result = run(
        runner,
        case,
        "reassign",
        "0001",
        "--main",
        "市教育局",
        "--reason",
        "改派",
        "--at",
        "2026-07-06",
        "--json",
    )
    assert json.loads(result.stdout)["events"][0]["action"] == "reassign"
    assert json.loads(run(runner, case, "show", "0001", "--json").stdout)["main_unit"] == "市教育局"


def test_withdraw_extend_rehandle_close(runner: CliRunner, case: Path) -> None:
    """The office's simple actions take --reason; withdraw requires it."""
    missing = run(runner, case, "withdraw", "0001")
    assert (missing.exit_code, "Missing option '--reason'" in missing.stderr) == (2, True)
    assert run(runner, case, "extend", "0001", "--reason", "复杂", "--at", "2026-07-02").exit_code == 0
    assert run(runner, case, "withdraw", "0001", "--reason", "撤回", "--at", "2026-07-03").exit_code == 0
    closed = run(runner, case, "close", "0001")
    assert (closed.exit_code, "cannot 'close' while 'withdrawn'" in closed.stderr) == (5, True)
    rehandle = run(runner, case, "rehandle", "0001")
    assert rehandle.exit_code == 5


def test_list_filters_and_overdue(runner: CliRunner, case: Path) -> None:
    """list --overdue --now judges at the given time."""
    none = json.loads(run(runner, case, "list", "--overdue", "--now", "2026-08-01", "--json").stdout)
    assert none == {"total": 0, "offset": 0, "limit": 100, "cases": []}
    listed = json.loads(run(runner, case, "list", "--overdue", "--now", "2026-08-04", "--json").stdout)
    assert (listed["total"], [c["number"] for c in listed["cases"]]) == (1, ["0001"])
    assert run(runner, case, "list", "--state", "closed").stdout == "没有符合条件的建议\n"
    bad = run(runner, case, "list", "--state", "done")
    assert bad.exit_code == 2


def test_at_in_the_wrong_order_is_refused(runner: CliRunner, case: Path) -> None:
    """A time before the last event: exit 3, nothing written."""
    result = run(
        runner, case, "contact", "0001", "--unit", "市交通运输局", "--method", "phone", "--at", "2026-06-30"
    )
    assert result.exit_code == 3
    assert "enter events in the order they happened" in result.stderr
    assert json.loads(run(runner, case, "show", "0001", "--json").stdout)["version"] == 2


def test_unparseable_time_is_a_usage_error(runner: CliRunner, case: Path) -> None:
    """--at takes ISO dates."""
    result = run(runner, case, "close", "0001", "--at", "yesterday")
    assert result.exit_code == 2
    assert "time 'yesterday' not understood" in result.stderr


def test_expect_version_conflicts(runner: CliRunner, case: Path) -> None:
    """--expect-version guards against acting on a stale view: exit 7."""
    result = run(runner, case, "extend", "0001", "--reason", "x", "--expect-version", "1")
    assert result.exit_code == 7
    assert "reload the case and retry" in result.stderr


def test_assign_batch_from_csv(runner: CliRunner, db_path: Path, tmp_path: Path) -> None:
    """A CSV with Chinese headers assigns every row in one transaction."""
    for n in ("0001", "0002"):
        run(runner, db_path, "submit", n, "--title", n, "--deputy", "张三", "--at", "2026-02-01")
    sheet = tmp_path / "jiaoban.csv"
    sheet.write_text(
        "建议编号,主办单位,会办单位,重点\n0001,市交通运输局,市财政局、市教育局,是\n0002,市教育局,,\n",
        encoding="utf-8",
    )
    result = run(runner, db_path, "assign-batch", str(sheet), "--at", "2026-02-10")
    assert (result.exit_code, result.stdout) == (0, "assigned 2 suggestion(s) in one transaction\n")
    data = json.loads(run(runner, db_path, "show", "0001", "--json").stdout)
    assert (data["co_units"], data["key"]) == (["市财政局", "市教育局"], True)


def test_assign_batch_refuses_all_when_one_row_is_bad(
    runner: CliRunner, db_path: Path, tmp_path: Path
) -> None:
    """Every failure is listed; nothing is assigned."""
    run(runner, db_path, "submit", "0001", "--title", "x", "--deputy", "张三", "--at", "2026-02-01")
    sheet = tmp_path / "bad.csv"
    sheet.write_text("number,main\n0001,市交通运输局\n0404,市教育局\n", encoding="utf-8")
    result = run(runner, db_path, "assign-batch", str(sheet))
    assert result.exit_code == 3
    assert "1 of 2 order(s) failed, nothing assigned" in result.stderr
    assert "建议 测试会议/0404: not found" in result.stderr


def test_audit_verify_reports_and_fails_on_tampering(runner: CliRunner, case: Path) -> None:
    """A clean trail exits 0; a tampered one names the case and exits 9."""
    assert (
        run(runner, case, "audit", "verify").stdout
        == "1 case(s), 2 event(s) and 8 row(s) checked, 0 problem(s)\n"
    )
    import sqlite3

    with sqlite3.connect(case) as conn:
        conn.execute("UPDATE audit_events SET actor = 'unit:x' WHERE seq = 2")
    result = run(runner, case, "audit", "verify")
    assert result.exit_code == 9
    assert "建议 测试会议/0001: event #2: altered" in result.stdout


def test_a_check_that_finds_problems_fails_in_one_line_even_with_debug(runner: CliRunner, case: Path) -> None:
    """A broken audit trail is a finding, not a fault: --debug still prints one line and exits 9."""
    import sqlite3

    with sqlite3.connect(case) as conn:
        conn.execute("UPDATE audit_events SET actor = 'unit:x' WHERE seq = 2")
    result = runner.invoke(cli, ["--db", str(case), "--debug", "audit", "verify"])
    assert (result.exit_code, result.stderr) == (9, "Error: audit trail broken in 1 case(s)\n")


def test_diagram_prints_mermaid_and_markdown(runner: CliRunner) -> None:
    """The diagram is generated from the table."""
    from workflow.core.machine import markdown_table, mermaid

    assert runner.invoke(cli, ["diagram"]).stdout == mermaid()
    assert runner.invoke(cli, ["diagram", "--format", "markdown"]).stdout == markdown_table()


def test_debug_shows_the_traceback(runner: CliRunner, tmp_path: Path) -> None:
    """--debug lets the exception through for developers."""
    result = runner.invoke(cli, ["--db", str(tmp_path / "x.db"), "--debug", "list"])
    assert type(result.exception).__name__ == "NotInitialised"


def test_config_file_supplies_defaults(runner: CliRunner, case: Path, tmp_path: Path) -> None:
    """--config gives db and actor; unknown keys are refused."""
    conf = tmp_path / "jianyi.toml"
    conf.write_text(f'[jianyi]\ndb = "{case}"\nactor = "unit:市财政局"\n', encoding="utf-8")
    result = runner.invoke(cli, ["--config", str(conf), "opinion", "0001", "--text", "同意", "--json"])
    assert json.loads(result.stdout)["events"][0]["actor"] == "unit:市财政局"
    conf.write_text('[jianyi]\ndatabase = "x"\n', encoding="utf-8")
    bad = runner.invoke(cli, ["--config", str(conf), "list"])
    assert (bad.exit_code, "unknown key(s)" in bad.stderr) == (2, True)


def test_env_var_names_the_database(runner: CliRunner, case: Path) -> None:
    """$JIANYI_DB is the default database."""
    result = runner.invoke(cli, ["show", "0001", "--json"], env={"JIANYI_DB": str(case)})
    assert json.loads(result.stdout)["number"] == "0001"


def test_demo_builds_a_session_with_every_path(runner: CliRunner, tmp_path: Path) -> None:
    """150 suggestions, 30 units, each final and open state; running it again replaces it."""
    path = tmp_path / "demo.db"
    result = runner.invoke(cli, ["demo", "--db", str(path), "--json"])
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert (data["cases"], data["units"]) == (150, 30)
    assert set(data["states"]) >= {
        "submitted",
        "assigned",
        "co_handled",
        "answered",
        "re_handled",
        "closed",
        "withdrawn",
    }
    again = runner.invoke(cli, ["demo", "--db", str(path), "--json"])
    assert again.exit_code == 0
    verify = runner.invoke(cli, ["--db", str(path), "--congress", data["congress"], "audit", "verify"])
    assert verify.stdout.startswith("150 case(s), ")
    assert verify.stdout.endswith(" row(s) checked, 0 problem(s)\n")


def test_demo_never_overwrites_another_database(runner: CliRunner, case: Path) -> None:
    """A real database at the demo path is left alone."""
    result = runner.invoke(cli, ["demo", "--db", str(case)])
    assert result.exit_code == 3
    assert "is not a jianyi demo database" in result.stderr


def test_help_does_not_import_the_database_stack() -> None:
    """jianyi --help stays fast: neither sqlalchemy nor sqlmodel is imported."""
    code = "import sys, cli\ncli.main(['--help'])"
    probe = f"import runpy,sys\ntry:\n    exec({code!r})\nexcept SystemExit:\n    pass\nprint(sorted(m for m in sys.modules if m.split('.')[0] in ('sqlalchemy','sqlmodel','holidays','pydantic')))"
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout
    assert out.strip().splitlines()[-1] == "[]"


# ---- an assignment names its units, each option once ----------------------------------------------
def _written(runner: CliRunner, db: Path, number: str) -> tuple[str, str]:
    """What the database holds of case ``number``: its view and its history, as JSON."""
    return (
        run(runner, db, "show", number, "--json").stdout,
        run(runner, db, "history", number, "--json").stdout,
    )


def test_assign_to_an_empty_main_unit_exits_3_in_one_line(runner: CliRunner, case: Path) -> None:
    """`assign --main ""` is invalid input: one line naming case, state and what to do; nothing written."""
    assert run(runner, case, "submit", "0002", "--title", "乙", "--deputy", "张三").exit_code == 0
    before = _written(runner, case, "0002")
    result = run(runner, case, "assign", "0002", "--main", "")
    assert (result.exit_code, result.stdout) == (3, "")
    assert result.stderr == (
        "Error: 建议 测试会议/0002: cannot 'assign' while 'submitted': the main unit (主办) is empty; "
        "name the unit that answers the deputy (--main UNIT)\n"
    )
    assert _written(runner, case, "0002") == before
    assert json.loads(before[0])["state"] == "submitted"


def test_reassign_to_an_empty_main_unit_exits_3_and_keeps_the_deadlines(
    runner: CliRunner, case: Path
) -> None:
    """`reassign --main ""` cancels nothing: the case keeps its units, deadlines and its place overdue."""
    before = _written(runner, case, "0001")
    result = run(runner, case, "reassign", "0001", "--main", "", "--reason", "改派")
    assert (result.exit_code, result.stdout) == (3, "")
    assert result.stderr == (
        "Error: 建议 测试会议/0001: cannot 'reassign' while 'assigned': the main unit (主办) is empty; "
        "name the unit that answers the deputy (--main UNIT)\n"
    )
    assert _written(runner, case, "0001") == before
    overdue = run(runner, case, "list", "--overdue", "--now", "2026-10-09", "--json").stdout
    assert [c["number"] for c in json.loads(overdue)["cases"]] == ["0001"]


@pytest.mark.parametrize(
    ("args", "option"),
    [
        pytest.param(["assign", "0002", "--main", "市交通运输局", "--main", "市教育局"], "--main", id="main"),
        pytest.param(
            ["assign", "0002", "--main=市交通运输局", "--at", "2026-07-01", "--at", "2026-07-02"],
            "--at",
            id="at",
        ),
        pytest.param(["withdraw", "0002", "--reason", "甲", "--reason", "乙"], "--reason", id="reason"),
        pytest.param(
            ["submit", "0003", "--title", "甲", "--title", "乙", "--deputy", "张三"], "--title", id="title"
        ),
    ],
)
def test_a_repeated_single_value_option_is_a_usage_error(
    runner: CliRunner, case: Path, args: list[str], option: str
) -> None:
    """Click would keep the last value: a repeat exits 2 naming the option, and nothing is written."""
    assert run(runner, case, "submit", "0002", "--title", "乙", "--deputy", "张三").exit_code == 0
    before = _written(runner, case, "0002")
    result = run(runner, case, *args)
    errors = [line for line in result.stderr.splitlines() if line.startswith("Error")]
    assert (result.exit_code, result.stdout, errors) == (
        2,
        "",
        [f"Error: Option '{option}' takes one value but was given 2 times; give it once"],
    )
    assert "Traceback" not in result.output
    assert _written(runner, case, "0002") == before
    assert run(runner, case, "show", "0003").exit_code == 4


def test_repeatable_options_and_flags_may_repeat(runner: CliRunner, case: Path) -> None:
    """--co and --split repeat by design, and a repeated flag drops nothing: both are accepted."""
    assert run(runner, case, "submit", "0002", "--title", "乙", "--deputy", "张三").exit_code == 0
    args = [
        "assign",
        "0002",
        "--main",
        "市教育局",
        "--co",
        "市财政局",
        "--co",
        "市交通运输局",
        "--key",
        "--key",
    ]
    assert run(runner, case, *args).exit_code == 0
    data = json.loads(run(runner, case, "show", "0002", "--json").stdout)
    assert (data["main_unit"], data["co_units"], data["key"]) == (
        "市教育局",
        ["市财政局", "市交通运输局"],
        True,
    )


def test_help_wins_over_a_repeated_option(runner: CliRunner, case: Path) -> None:
    """--help shows the help even when an option is repeated, as it does with any other option."""
    result = run(runner, case, "assign", "0001", "--main", "甲", "--main", "乙", "--help")
    assert (result.exit_code, result.stdout.splitlines()[0]) == (0, "Usage: cli assign [OPTIONS] NUMBER")


def test_assign_batch_refuses_an_order_with_no_unit_or_two_main_units(
    runner: CliRunner, db_path: Path, tmp_path: Path
) -> None:
    """An order naming no unit is refused by its case, two units in the main cell by its row: nothing assigned."""
    for n in ("0001", "0002"):
        run(runner, db_path, "submit", n, "--title", n, "--deputy", "张三", "--at", "2026-02-01")
    before = [_written(runner, db_path, n) for n in ("0001", "0002")]
    empty = tmp_path / "empty.csv"
    empty.write_text("建议编号,主办单位,会办单位\n0001,市交通运输局,\n0002, ,市财政局\n", encoding="utf-8")
    result = run(runner, db_path, "assign-batch", str(empty))
    assert (result.exit_code, result.stderr) == (
        3,
        "Error: batch assignment refused: 1 of 2 order(s) failed, nothing assigned\n"
        "  - 建议 测试会议/0002: cannot 'assign' while 'submitted': "
        "no unit answers it: name one main unit (主办) or two or more split units (分办)\n",
    )
    two = tmp_path / "two.csv"
    two.write_text("建议编号,主办单位\n0001,市交通运输局、市教育局\n", encoding="utf-8")
    result = run(runner, db_path, "assign-batch", str(two))
    assert (result.exit_code, result.stderr) == (
        3,
        "Error: two.csv: 1 of 1 row(s) are bad, nothing assigned\n"
        "  - row 2: 主办单位 (main): '市交通运输局、市教育局' names 2 units; a suggestion has one main unit "
        "(put the others in 会办单位 or 分办单位)\n",
    )
    assert [_written(runner, db_path, n) for n in ("0001", "0002")] == before


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["submit", "0002", "--title", "甲", "--deputy", "张三", "--at", "0001-01-01"],
            "time 0001-01-01 is out of range",
        ),
        (
            ["submit", "0002", "--title", "甲", "--deputy", "张三", "--at", "9999-12-31T23:59-01:00"],
            "is out of range",
        ),
        (["list", "--now", "0001-01-01"], "is out of range: jianyi records days from 1900 to 2999"),
        (["due", "--within", "999999999d"], "look at most 3660 days (ten years) ahead"),
        (["calendar", "0000-01"], "0000-01: jianyi records days from 1900 to 2999"),
        (["report", "summary", "--from", "0001-01-01"], "date 0001-01-01 is out of range"),
        (
            [
                "answer",
                "0001",
                "--category",
                "B",
                "--text",
                "列入计划",
                "--promise",
                "建设",
                "--due",
                "9999-12-31",
            ],
            "promise date 9999-12-31 is out of range",
        ),
    ],
    ids=[
        "at-year-1",
        "at-year-9999",
        "now-year-1",
        "within-huge",
        "calendar-year-0",
        "from-year-1",
        "promise-9999",
    ],
)
def test_a_time_out_of_range_is_a_usage_error_in_one_line(
    runner: CliRunner, case: Path, args: list[str], message: str
) -> None:
    """Times, dates and spans beyond what jianyi records are named (exit 2), never an overflow traceback, and
    nothing is written."""
    before = _written(runner, case, "0001")
    result = run(runner, case, *args)
    assert (result.exit_code, result.stdout) == (2, "")
    [error] = [line for line in result.stderr.splitlines() if line.startswith("Error:")]
    assert message in error
    assert "Traceback" not in result.output
    assert _written(runner, case, "0001") == before


def test_only_the_office_registers_a_suggestion(runner: CliRunner, db_path: Path) -> None:
    """A deputy or a unit submitting is a permission matter (exit 6), not invalid input; nothing is written."""
    for actor in ("deputy:张三", "unit:市交通运输局"):
        result = runner.invoke(
            cli, ["--db", str(db_path), "--as", actor, "submit", "0009", "--title", "甲", "--deputy", "张三"]
        )
        assert result.exit_code == 6, result.output
        assert "may not 'submit': the office (代表工作机构) registers suggestions" in result.stderr
    assert run(runner, db_path, "show", "0009").exit_code == 4


def test_an_extension_request_is_asked_listed_and_refused_at_the_command_line(
    runner: CliRunner, case: Path
) -> None:
    """request-extension, extensions (the office's list, in Chinese), refuse-extension; then nothing waits."""
    asked = run(
        runner, case, "--as", "unit:市交通运输局", "request-extension", "0001", "--reason", "涉及多部门",
        "--at", "2026-07-03",
    )  # fmt: skip
    assert asked.exit_code == 0, asked.output
    again = run(
        runner, case, "--as", "unit:市交通运输局", "request-extension", "0001", "--reason", "再次",
        "--at", "2026-07-04",
    )  # fmt: skip
    assert (again.exit_code, again.stderr.count("\n")) == (3, 1)
    assert "an extension request is already waiting for the office's decision" in again.stderr
    listed = run(runner, case, "extensions")
    assert listed.exit_code == 0
    assert listed.output.splitlines()[0].split() == [
        "申请时间",
        "申请单位",
        "答复期限",
        "期限",
        "建议",
        "理由",
    ]
    assert "市交通运输局  2026-10-08" in listed.output  # 10-01 falls in the National Day holiday
    assert listed.output.rstrip().endswith("共 1 件待审批")
    refused = run(runner, case, "refuse-extension", "0001", "--reason", "可按期办结", "--at", "2026-07-05")
    assert refused.exit_code == 0, refused.output
    assert run(runner, case, "extensions").output.strip() == "没有待审批的延期申请"
    shown = run(runner, case, "show", "0001").output
    assert "  延期申请：" in shown
    assert "市交通运输局  未同意，2026-07-05 00:00 决定" in shown


def test_a_unit_signs_for_its_assignment_at_the_command_line(runner: CliRunner, case: Path) -> None:
    """receive as the unit; a second receipt is one line (exit 3); show reads 已签收 / 未签收."""
    signed = run(runner, case, "--as", "unit:市交通运输局", "receive", "0001", "--at", "2026-07-02T09:30")
    assert signed.exit_code == 0, signed.output
    again = run(runner, case, "--as", "unit:市交通运输局", "receive", "0001", "--at", "2026-07-03")
    assert (again.exit_code, again.stderr.count("\n")) == (3, 1)
    assert "市交通运输局 signed for this case on 2026-07-02 09:30 already; nothing to do" in again.stderr
    unnamed = run(runner, case, "receive", "0001")
    assert unnamed.exit_code == 3
    assert "name the unit that signs for the case (--unit)" in unnamed.stderr
    shown = run(runner, case, "show", "0001").output
    assert "市交通运输局  第 1 轮  2026-07-01 10:00 起  已签收 2026-07-02 09:30" in shown
    assert "市财政局  第 1 轮  2026-07-01 10:00 起  未签收" in shown
    data = json.loads(run(runner, case, "show", "0001", "--json").output)
    assert [a["received_at"] for a in data["assignments"]] == ["2026-07-02T01:30:00+00:00", None]


def test_an_answer_is_held_listed_returned_and_approved_at_the_command_line(
    runner: CliRunner, db_path: Path, tmp_path: Path
) -> None:
    """With lifecycle.answer_review: answer holds it, `review list` lists it, a second answer is one line (exit 3),
    `review return` needs --reason, a unit may not approve (exit 6), `review approve` answers the case."""
    rules = tmp_path / "review.toml"
    rules.write_text(
        'id = "national"\nversion = 2\nextends = "national"\n[lifecycle]\nanswer_review = true\n',
        encoding="utf-8",
    )
    assert run(runner, db_path, "rules", "apply", str(rules), "--at", "2026-06-01").exit_code == 0
    assert (
        run(
            runner, db_path, "submit", "0001", "--title", "修路", "--deputy", "张三", "--at", "2026-06-20"
        ).exit_code
        == 0
    )
    assert (
        run(runner, db_path, "assign", "0001", "--main", "市交通运输局", "--at", "2026-07-01").exit_code == 0
    )
    unit = ("--as", "unit:市交通运输局")
    held = run(
        runner, db_path, *unit, "answer", "0001", "--category", "A", "--text", "已解决", "--at", "2026-07-10"
    )
    assert held.exit_code == 0, held.output
    listed = run(runner, db_path, "review", "list")
    assert listed.output.splitlines()[0].split() == [
        "提交时间",
        "答复单位",
        "类别",
        "答复期限",
        "期限",
        "建议",
        "标题",
    ]
    assert listed.output.rstrip().endswith("共 1 件待审核")
    assert [r["number"] for r in json.loads(run(runner, db_path, "review", "list", "--json").output)] == [
        "0001"
    ]
    again = run(
        runner, db_path, *unit, "answer", "0001", "--category", "A", "--text", "再答", "--at", "2026-07-11"
    )
    assert (again.exit_code, again.stderr.count("\n")) == (3, 1)
    assert "case 0001 (assigned): 市交通运输局's answer is waiting for the office's review" in again.stderr
    assert run(runner, db_path, *unit, "review", "approve", "0001").exit_code == 6
    assert run(runner, db_path, "review", "return", "0001").exit_code == 2  # --reason is required
    returned = run(
        runner, db_path, "review", "return", "0001", "--reason", "请写明措施", "--at", "2026-07-12"
    )
    assert returned.exit_code == 0, returned.output
    nothing = run(runner, db_path, "review", "approve", "0001", "--at", "2026-07-13")
    assert (nothing.exit_code, nothing.stderr.count("\n")) == (5, 1)  # refused: nothing to decide
    assert "no answer is waiting for the office's review" in nothing.stderr
    run(runner, db_path, *unit, "answer", "0001", "--category", "A", "--text", "已完成", "--at", "2026-07-14")
    approved = run(runner, db_path, "review", "approve", "0001", "--at", "2026-07-15", "--json")
    assert approved.exit_code == 0, approved.output
    assert json.loads(approved.output)["state"] == "answered"
    shown = run(runner, db_path, "show", "0001").output
    assert "  答复审核：" in shown
    assert "退回理由：请写明措施" in shown
    assert run(runner, db_path, "review", "list").output.strip() == "没有待审核的答复"
