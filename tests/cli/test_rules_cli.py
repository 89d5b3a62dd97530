"""The rules, calendar, deadlines and due commands."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner, Result

from cli import cli


def run(runner: CliRunner, db: Path, *args: str) -> Result:
    return runner.invoke(cli, ["--db", str(db), *args])


def _assigned(runner: CliRunner, db: Path, on: str = "2026-07-01") -> None:
    assert (
        run(runner, db, "submit", "0001", "--title", "甲", "--deputy", "张三", "--at", "2026-06-01").exit_code
        == 0
    )
    assert run(runner, db, "assign", "0001", "--main", "市交通运输局", "--at", on).exit_code == 0


def test_deadlines_explain_shows_rule_basis_and_roll(runner: CliRunner, db_path: Path) -> None:
    """--explain names the rule, the statute, the raw end and the holiday it rolled over."""
    _assigned(runner, db_path)
    out = run(runner, db_path, "deadlines", "0001", "--explain").stdout
    assert "    rule: 3 months from assigned (national@1)\n" in out
    assert "    basis: 代表法 第五十一条" in out
    assert (
        "    start: 2026-07-01 (not counted)   raw end: 2026-10-01   due: 2026-10-08 24:00 Asia/Shanghai"
        in out
    )
    assert "    rolled: 2026-10-01 国庆节 → 2026-10-08\n" in out


def test_deadlines_json_carries_the_explanation(runner: CliRunner, db_path: Path) -> None:
    """JSON has kind, unit, due, status, provisional and the rule's basis."""
    _assigned(runner, db_path, "2026-11-20")
    rows = json.loads(run(runner, db_path, "deadlines", "0001", "--json").stdout)
    answer = next(r for r in rows if r["kind"] == "answer")
    assert (answer["due"], answer["provisional"], answer["provisional_years"]) == ("2027-02-22", True, [2027])


def test_due_lists_what_comes_due(runner: CliRunner, db_path: Path) -> None:
    """due --within --now lists open obligations with the owing unit."""
    _assigned(runner, db_path)
    out = run(runner, db_path, "due", "--within", "2w", "--now", "2026-10-01").stdout
    assert out == (
        "到期日      期限   事项  承办          建议           标题\n"
        "2026-10-08  剩7天  答复  市交通运输局  测试会议/0001  甲\n"
        "共 1 项，其中逾期 0 项\n"
    )
    overdue = run(runner, db_path, "due", "--now", "2026-10-09", "--json").stdout
    assert [(d["kind"], d["overdue"]) for d in json.loads(overdue)] == [("answer", True)]
    bad = run(runner, db_path, "due", "--within", "soon")
    assert (bad.exit_code, "'soon': use days (7d or 7) or weeks (2w)" in bad.stderr) == (2, True)


def test_rules_check_lists_every_problem(runner: CliRunner, tmp_path: Path) -> None:
    """A broken rule file: exit 3 and every problem with its key path, no traceback."""
    bad = tmp_path / "bad.toml"
    bad.write_text(
        'id = "x"\nextends = "national"\ntimezone = "Nowhere"\n[deadlines.feedback]\nunit = "weeks"\n',
        encoding="utf-8",
    )
    result = runner.invoke(cli, ["rules", "check", str(bad)])
    assert result.exit_code == 3
    assert "2 problem(s)" in result.stderr
    assert "timezone: unknown time zone 'Nowhere'" in result.stderr
    assert "deadlines.feedback.unit: Input should be 'months', 'days' or 'working_days'" in result.stderr
    good = runner.invoke(cli, ["rules", "check", "national"])
    assert good.stdout == "national: valid rule set national@1\n"


def test_rules_show_prints_deadlines_with_basis(runner: CliRunner, db_path: Path) -> None:
    """show: each deadline, its start, who owes it, and the legal basis."""
    out = run(runner, db_path, "rules", "show").stdout
    assert "  answer        3 months (6 when complex) from assigned; met by answer" in out
    assert "  ladder answer: -10 到期前提醒, -3 到期前提醒, +1 催办, +5 督办函, +20 通报, +30 约谈" in out
    unknown = run(runner, db_path, "rules", "show", "--profile", "atlantis")
    assert unknown.exit_code == 2


def test_rules_apply_moves_open_cases_only_when_asked(
    runner: CliRunner, db_path: Path, tmp_path: Path
) -> None:
    """apply FILE sets new assignments' rule set; --open-cases moves open deadlines too."""
    _assigned(runner, db_path)
    newer = tmp_path / "v2.toml"
    newer.write_text(
        'id = "national"\nversion = 2\nextends = "national"\n[deadlines.answer]\namount = 2\n',
        encoding="utf-8",
    )
    plain = run(runner, db_path, "rules", "apply", str(newer))
    assert plain.stdout == "rule set national@2 applied to new assignments; open cases keep their rule set\n"
    moved = run(runner, db_path, "rules", "apply", str(newer), "--open-cases", "--json")
    assert json.loads(moved.stdout)["open_cases"]["moves"][0] == {
        "number": "0001",
        "kind": "answer",
        "from": "2026-10-08",
        "to": "2026-09-01",
        "provisional": False,
    }


def test_calendar_month_marks_holidays_and_makeup_days(runner: CliRunner, db_path: Path) -> None:
    """The month grid marks rest days (-) and make-up working days (*)."""
    out = run(runner, db_path, "calendar", "2026-10").stdout.splitlines()
    assert out[:4] == [
        "2026-10",
        "Mon Tue Wed Thu Fri Sat Sun",
        "             1-  2-  3-  4-",
        " 5-  6-  7-  8   9  10* 11-",
    ]
    assert "  2026-10-01 国庆节" in out


def test_calendar_load_recomputes_and_reports(runner: CliRunner, db_path: Path, tmp_path: Path) -> None:
    """Loading a year moves the provisional deadlines that fall in it."""
    _assigned(runner, db_path, "2026-11-20")  # answer: 2027-02-20 (Sat) rolls to 02-22, provisional
    sheet = tmp_path / "2027.toml"
    sheet.write_text(
        'year = 2027\nsource = "测试"\nworkdays = [2027-02-20]\n'
        'breaks = [{ name = "测试假日", from = 2027-03-01, to = 2027-03-02 }]\n',
        encoding="utf-8",
    )
    result = run(runner, db_path, "calendar", "load", str(sheet))
    assert result.exit_code == 0, result.stderr
    assert "1 changed, 1 deadline(s) moved" in result.stdout
    assert "0001 answer: 2027-02-22 → 2027-02-20" in result.stdout
    data = json.loads(run(runner, db_path, "deadlines", "0001", "--json").stdout)
    assert next(d for d in data if d["kind"] == "answer")["provisional"] is False


def test_calendar_load_refuses_a_broken_file(runner: CliRunner, db_path: Path, tmp_path: Path) -> None:
    """Every problem is named; nothing is loaded."""
    sheet = tmp_path / "bad.toml"
    sheet.write_text("year = 2027\nworkdays = [2027-03-03, 2026-12-31]\n", encoding="utf-8")
    result = run(runner, db_path, "calendar", "load", str(sheet))
    assert result.exit_code == 3
    assert "dates outside 2027: 2026-12-31" in result.stderr


LADDER = (
    'id = "national"\nversion = 2\nextends = "national"\n[[ladders.answer.steps]]\noffset = -5\n'
    'action = "reminder"\nrecipients = ["main_unit"]\ntemplate = "{template}"\n'
)


def test_a_ladder_naming_a_missing_template_is_refused(
    runner: CliRunner, db_path: Path, tmp_path: Path
) -> None:
    """A ladder step whose template exists neither among the shipped ones nor in the configured override folder
    would make every notice of that step dead: `rules check` and `rules apply` refuse it (exit 3); with the
    template in the override folder it is valid."""
    rule = tmp_path / "rule.toml"
    rule.write_text(LADDER.format(template="county_reminder"), encoding="utf-8")
    for command in (["rules", "check", str(rule)], ["rules", "apply", str(rule)]):
        result = run(runner, db_path, *command)
        assert (result.exit_code, result.stderr) == (
            3,
            f"Error: rule set {rule}: 1 problem(s): ladders.answer.steps[0].template: no template "
            "'county_reminder' (jianyi templates check lists them)\n",
        )
    assert json.loads(run(runner, db_path, "rules", "show", "--json").stdout)["version"] == 1
    (tmp_path / "tpl").mkdir()
    (tmp_path / "tpl" / "county_reminder.txt.j2").write_text(
        '{% set subject = "提醒" %}请按时答复。', encoding="utf-8"
    )
    conf = tmp_path / "jianyi.toml"
    conf.write_text('[notifications]\ntemplates = "tpl"\n', encoding="utf-8")
    result = runner.invoke(cli, ["--db", str(db_path), "--config", str(conf), "rules", "check", str(rule)])
    assert (result.exit_code, result.stdout) == (0, f"{rule}: valid rule set national@2\n")


def test_every_shipped_profile_passes_rules_check(runner: CliRunner, db_path: Path) -> None:
    """The shipped profiles name only shipped templates."""
    for profile in sorted((Path(__file__).parents[2] / "rules" / "profiles").glob("*.toml")):
        result = run(runner, db_path, "rules", "check", str(profile))
        assert result.exit_code == 0, result.output
