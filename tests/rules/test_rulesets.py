"""Rule sets: the shipped default, validation errors that list every problem."""

from __future__ import annotations

from pathlib import Path

import pytest

from rules import DeadlineKind, PeriodUnit, RuleSetInvalid, default_ruleset, load_ruleset, parse_ruleset


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
