"""Rule sets: the shipped default, validation errors that list every problem."""

from __future__ import annotations

import json
import shutil
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner

from cli import EXIT_CODES, cli
from rules import (
    DeadlineKind,
    PeriodUnit,
    RuleError,
    RuleSetInvalid,
    default_ruleset,
    load_ruleset,
    load_schedule,
    parse_ruleset,
)


def test_the_national_default_carries_the_statutory_answer_period() -> None:
    """3 months, 6 when complex, from 代表法 第五十一条."""
    rs = default_ruleset()
    rule = rs.deadlines[DeadlineKind.ANSWER]
    assert (rs.id, rule.amount, rule.unit, rule.complex_amount) == ("national", 3, PeriodUnit.MONTHS, 6)
    assert "第五十一条" in rule.basis


def test_a_profile_extends_the_default_and_overrides_what_differs() -> None:
    """A regional file names only what differs."""
    rs = parse_ruleset(
        'id = "henan"\nextends = "national"\n[deadlines.feedback]\namount = 10\nunit = "working_days"\n'
    )
    assert (rs.deadlines[DeadlineKind.FEEDBACK].amount, rs.deadlines[DeadlineKind.ANSWER].amount) == (10, 3)


def test_every_problem_of_a_broken_file_is_listed_at_once() -> None:
    """Errors name the key path and the problem, all of them."""
    text = (
        'id = "Bad Id"\ntimezone = "Mars/Olympus"\nextends = "national"\n'
        '[deadlines.answer]\namount = 0\n[lifecycle]\nauto_close_on = ["happy"]\n'
    )
    with pytest.raises(RuleSetInvalid) as caught:
        parse_ruleset(text, "bad.toml")
    paths = sorted(p.path for p in caught.value.problems)
    assert paths == ["deadlines.answer.amount", "id", "lifecycle.auto_close_on.0", "timezone"]
    assert str(caught.value).startswith("rule set bad.toml: 4 problem(s): ")


def test_broken_toml_names_the_file_and_line(tmp_path: Path) -> None:
    """A syntax error is one problem naming the line, never a traceback."""
    path = tmp_path / "rules.toml"
    path.write_text('id = "x"\n[deadlines\n', encoding="utf-8")
    with pytest.raises(
        RuleSetInvalid, match=r"rules\.toml: 1 problem\(s\): \(top\): not valid TOML: .*line 2"
    ):
        load_ruleset(path)


def test_an_unknown_parent_profile_is_named() -> None:
    """extends must name a shipped profile."""
    with pytest.raises(RuleSetInvalid, match="unknown profile 'atlantis'"):
        parse_ruleset('id = "x"\nextends = "atlantis"\n')


# ---- the encodings offices' editors save ------------------------------------------------------------------
_HENAN = 'id = "henan"\nname = "河南省人大常委会办理规则"\nextends = "national"\n'
_SCHEDULE = 'year = 2027\nsource = "国务院办公厅通知"\nbreaks = [{ name = "春节", from = 2027-02-06, to = 2027-02-12 }]\n'


@pytest.mark.parametrize("encoding", ["gb18030", "gbk", "utf-16", "utf-8-sig", "utf-8"])
def test_a_rule_file_in_the_encodings_editors_save_loads(tmp_path: Path, encoding: str) -> None:
    """GB18030/GBK (Notepad's "ANSI" on Chinese Windows), UTF-16 with a BOM ("Unicode") and UTF-8 with or
    without a BOM read the same, Chinese intact."""
    path = tmp_path / "henan.toml"
    path.write_bytes(_HENAN.encode(encoding))
    assert load_ruleset(path).name == "河南省人大常委会办理规则"


def test_a_schedule_in_utf16_loads(tmp_path: Path) -> None:
    """calendar load's schedule file is read like a rule file: UTF-16 with a BOM keeps its holiday names."""
    path = tmp_path / "2027.toml"
    path.write_bytes(_SCHEDULE.encode("utf-16"))
    assert load_schedule(path).holidays[date(2027, 2, 6)] == "春节"


def test_a_rule_file_in_no_known_encoding_is_one_problem(tmp_path: Path) -> None:
    """UTF-16 without its BOM (or any file that is not text) is one problem naming the file, never a
    UnicodeDecodeError."""
    path = tmp_path / "henan.toml"
    path.write_bytes(_HENAN.encode("utf-16-le"))
    with pytest.raises(RuleSetInvalid) as caught:
        load_ruleset(path)
    assert str(caught.value) == (
        f"rule set {path}: 1 problem(s): (top): not text in UTF-8, UTF-16 with a BOM, GB18030/GBK: save it as UTF-8"
    )


def test_rules_check_reads_a_gb18030_file(runner: CliRunner, tmp_path: Path) -> None:
    """`jianyi rules check` on a GB18030 file: valid; on a file that is not text: one line, exit 3."""
    path = tmp_path / "henan.toml"
    path.write_bytes(_HENAN.encode("gb18030"))
    result = runner.invoke(cli, ["rules", "check", str(path)])
    assert (result.exit_code, result.stdout) == (0, f"{path}: valid rule set henan@1\n")
    path.write_bytes(b"\x80\x81\xff" + _HENAN.encode("utf-8"))
    broken = runner.invoke(cli, ["rules", "check", str(path)])
    assert (broken.exit_code, broken.stderr) == (
        EXIT_CODES[RuleError],
        f"Error: rule set {path}: 1 problem(s): (top): not text in UTF-8, UTF-16 with a BOM, GB18030/GBK: "
        "save it as UTF-8\n",
    )


@pytest.mark.parametrize("encoding", ["gb18030", "utf-16"])
def test_a_config_file_in_gb18030_or_utf16_is_read(
    runner: CliRunner, db_path: Path, tmp_path: Path, encoding: str
) -> None:
    """--config in GB18030 or UTF-16 names a database under a Chinese folder name, and it is found."""
    folder = tmp_path / "人大办公室"
    folder.mkdir()
    shutil.copy(db_path, folder / "建议.db")
    conf = tmp_path / "jianyi.toml"
    conf.write_bytes(f'[jianyi]\ndb = "{folder / "建议.db"}"\nactor = "office"\n'.encode(encoding))
    result = runner.invoke(cli, ["--config", str(conf), "list", "--json"])
    assert result.exit_code == 0
    assert json.loads(result.stdout) == {"total": 0, "offset": 0, "limit": 100, "cases": []}


def test_a_config_file_in_no_known_encoding_is_one_line(runner: CliRunner, tmp_path: Path) -> None:
    """A --config file that is not text is a usage error in one line naming it."""
    conf = tmp_path / "jianyi.toml"
    conf.write_bytes('[jianyi]\nactor = "unit:市财政局"\n'.encode("utf-16-le"))
    result = runner.invoke(cli, ["--config", str(conf), "list"])
    assert (result.exit_code, result.stderr) == (
        2,
        f"Error: Invalid value for --config: {conf}: not text in UTF-8, UTF-16 with a BOM, GB18030/GBK: "
        "save it as UTF-8\n",
    )


def test_official_years_add_to_the_parents_and_need_their_notice() -> None:
    """A profile's official years add to those it extends (2001–2026 stay official); a year named without its
    notice (放假调休安排) in the library or the rule set is refused, since its deadlines would silently stop
    being provisional; with its days given, it is official."""
    from datetime import date

    from rules import RuleSetInvalid, parse_ruleset

    base = 'id = "county"\nversion = 1\nextends = "national"\n[calendar]\n'
    with pytest.raises(RuleSetInvalid, match=r"calendar.official_years: names 2027, whose notice"):
        parse_ruleset(base + "official_years = [2027]\n")
    rs = parse_ruleset(
        base
        + 'official_years = [2027]\nextra_holidays = { 2027-02-08 = "春节" }\nextra_workdays = [2027-02-06]\n'
    )
    assert rs.calendar.official_years == list(range(2001, 2028))
    assert rs.work_calendar.is_official(2026)
    assert rs.work_calendar.is_official(2027)
    assert not rs.work_calendar.is_working_day(date(2027, 2, 8))
