"""The shipped regional profiles: each loads, cites its basis, and yields hand-computed 2026 deadlines."""

from __future__ import annotations

import tomllib
from datetime import date
from importlib import resources
from typing import Any

import pytest

from rules import DeadlineKind, PeriodUnit, load_ruleset, profile_ids

REGIONS = ["beijing", "shandong", "qingdao", "henan", "zhejiang", "chongqing", "shanghai"]

MAR_2 = date(2026, 3, 2)  # a Monday
SEP_15 = date(2026, 9, 15)  # a Tuesday; working-day periods cross 中秋 (09-25..27) and 国庆 (10-01..07)

RA = DeadlineKind.RETURN_WINDOW
CO = DeadlineKind.CO_OPINION
AN = DeadlineKind.ANSWER
FB = DeadlineKind.FEEDBACK
RE = DeadlineKind.RE_ANSWER

# Computed by hand on the 2026 schedule (国务院办公厅 2025-11-04): days off 01-01..03, 02-15..23, 04-04..06,
# 05-01..05, 06-19..21, 09-25..27, 10-01..07; make-up working days 01-04, 02-14, 02-28, 05-09, 09-20, 10-10.
#   from 03-02: 1 month 04-02 (Thu); 2 months 05-02 is 劳动节 → 05-06 (Wed); 3 months 06-02 (Tue);
#               6 months 09-02 (Wed); 5 days 03-07 (Sat) → 03-09 (Mon); 10 days 03-12 (Thu);
#               working days 5 → 03-09, 7 → 03-11, 10 → 03-16, 15 → 03-23, 20 → 03-30,
#               30 → 04-14 (04-06 清明 not counted).
#   from 09-15: working days 5 → 09-21 (09-20 Sun counts), 7 → 09-23, 10 → 09-29, 15 → 10-12 (10-10 Sat counts),
#               20 → 10-19, 30 → 11-02.
# Rows: (profile, kind, start, complex_case, expected last day).
TABLE: list[tuple[str, DeadlineKind, date, bool, date]] = [
    # 北京 第二十一条 3/6 months; 第二十三条 15 working days; 第二十七条 2 months
    ("beijing", AN, MAR_2, False, date(2026, 6, 2)),
    ("beijing", AN, MAR_2, True, date(2026, 9, 2)),
    ("beijing", FB, MAR_2, False, date(2026, 3, 23)),
    ("beijing", FB, SEP_15, False, date(2026, 10, 12)),
    ("beijing", RE, MAR_2, False, date(2026, 5, 6)),
    # 山东 第十二条 5 days; 第二十一条 1 month; 第十九条 3/6 months; 第二十四条 1 month
    ("shandong", RA, MAR_2, False, date(2026, 3, 9)),
    ("shandong", CO, MAR_2, False, date(2026, 4, 2)),
    ("shandong", AN, MAR_2, False, date(2026, 6, 2)),
    ("shandong", AN, MAR_2, True, date(2026, 9, 2)),
    ("shandong", RE, MAR_2, False, date(2026, 4, 2)),
    # 青岛 第十九条 5 working days; 第二十四条 1 month; 第二十五条 3/6 months
    ("qingdao", RA, MAR_2, False, date(2026, 3, 9)),
    ("qingdao", RA, SEP_15, False, date(2026, 9, 21)),
    ("qingdao", CO, MAR_2, False, date(2026, 4, 2)),
    ("qingdao", AN, MAR_2, False, date(2026, 6, 2)),
    ("qingdao", AN, MAR_2, True, date(2026, 9, 2)),
    # 河南 第十四条 10 working days; 第十八条 2 months; 第二十条 3/6 months; 第二十二条 10 working days, 1 month
    ("henan", RA, MAR_2, False, date(2026, 3, 16)),
    ("henan", RA, SEP_15, False, date(2026, 9, 29)),
    ("henan", CO, MAR_2, False, date(2026, 5, 6)),
    ("henan", AN, MAR_2, False, date(2026, 6, 2)),
    ("henan", AN, MAR_2, True, date(2026, 9, 2)),
    ("henan", FB, MAR_2, False, date(2026, 3, 16)),
    ("henan", FB, SEP_15, False, date(2026, 9, 29)),
    ("henan", RE, MAR_2, False, date(2026, 4, 2)),
    # 浙江 第十四条 10 days; 第十八条 2 months; 第二十一条 3/6 months; 第二十四条 1 month
    ("zhejiang", RA, MAR_2, False, date(2026, 3, 12)),
    ("zhejiang", CO, MAR_2, False, date(2026, 5, 6)),
    ("zhejiang", AN, MAR_2, False, date(2026, 6, 2)),
    ("zhejiang", AN, MAR_2, True, date(2026, 9, 2)),
    ("zhejiang", RE, MAR_2, False, date(2026, 4, 2)),
    # 重庆 第十六条 10 working days; 第二十条 30 working days; 第二十一条 3/6 months; 第二十七条 20 working days, 2 months
    ("chongqing", RA, MAR_2, False, date(2026, 3, 16)),
    ("chongqing", RA, SEP_15, False, date(2026, 9, 29)),
    ("chongqing", CO, MAR_2, False, date(2026, 4, 14)),
    ("chongqing", CO, SEP_15, False, date(2026, 11, 2)),
    ("chongqing", AN, MAR_2, False, date(2026, 6, 2)),
    ("chongqing", AN, MAR_2, True, date(2026, 9, 2)),
    ("chongqing", FB, MAR_2, False, date(2026, 3, 30)),
    ("chongqing", FB, SEP_15, False, date(2026, 10, 19)),
    ("chongqing", RE, MAR_2, False, date(2026, 5, 6)),
    # 上海 第十四条 7 working days; 第十七条 1 month; 第十九条 3 months + at most 3; 第二十一条 1 month
    ("shanghai", RA, MAR_2, False, date(2026, 3, 11)),
    ("shanghai", RA, SEP_15, False, date(2026, 9, 23)),
    ("shanghai", CO, MAR_2, False, date(2026, 4, 2)),
    ("shanghai", AN, MAR_2, False, date(2026, 6, 2)),
    ("shanghai", AN, MAR_2, True, date(2026, 9, 2)),
    ("shanghai", RE, MAR_2, False, date(2026, 4, 2)),
]


def _row_id(row: tuple[str, DeadlineKind, date, bool, date]) -> str:
    profile, kind, start, complex_case, _ = row
    return f"{profile}-{kind.value}{'-complex' if complex_case else ''}-{start.isoformat()}"


def _raw(profile: str) -> dict[str, Any]:
    text = (resources.files("rules") / "profiles" / f"{profile}.toml").read_text(encoding="utf-8")
    return tomllib.loads(text)


def _overrides(profile: str) -> dict[str, dict[str, Any]]:
    deadlines: dict[str, dict[str, Any]] = _raw(profile).get("deadlines", {})
    return deadlines


def test_every_regional_profile_is_shipped() -> None:
    """profile_ids() lists national and the seven regional profiles."""
    assert set(profile_ids()) >= {"national", *REGIONS}


@pytest.mark.parametrize("profile", profile_ids())
def test_a_shipped_profile_loads_and_cites_a_basis_for_every_deadline_it_sets(profile: str) -> None:
    """The profile loads by id and every deadline table it writes carries a non-empty basis."""
    rs = load_ruleset(profile)
    assert rs.id == profile
    overrides = _overrides(profile)
    assert overrides, f"{profile} sets no deadline"
    for kind, table in overrides.items():
        assert table.get("basis", "").strip(), f"{profile}: deadlines.{kind} has no basis"
        assert rs.deadlines[DeadlineKind(kind)].basis == table["basis"]


@pytest.mark.parametrize("profile", REGIONS)
def test_a_regional_profile_extends_national_and_cites_its_own_regulation(profile: str) -> None:
    """A regional profile extends national, states its effective date, and cites articles (第…条)."""
    raw = _raw(profile)
    assert (raw["extends"], type(raw["effective"])) == ("national", date)
    for kind, table in _overrides(profile).items():
        assert "第" in table["basis"], f"{profile}: deadlines.{kind} basis names no article"
        assert "条：" in table["basis"], f"{profile}: deadlines.{kind} basis quotes no text"


def test_the_table_covers_every_override() -> None:
    """Each overridden deadline has a row; complex answers and working-day rules have their extra rows."""
    wanted: set[tuple[str, DeadlineKind, date, bool]] = set()
    for profile in REGIONS:
        rs = load_ruleset(profile)
        for name, table in _overrides(profile).items():
            kind = DeadlineKind(name)
            wanted.add((profile, kind, MAR_2, False))
            if "complex_amount" in table:
                wanted.add((profile, kind, MAR_2, True))
            if rs.deadlines[kind].unit is PeriodUnit.WORKING_DAYS:
                wanted.add((profile, kind, SEP_15, False))
    assert {row[:4] for row in TABLE} == wanted


@pytest.mark.parametrize(
    ("profile", "kind", "start", "complex_case", "expected"), TABLE, ids=[_row_id(row) for row in TABLE]
)
def test_a_regional_deadline_ends_on_the_hand_computed_day(
    profile: str, kind: DeadlineKind, start: date, complex_case: bool, expected: date
) -> None:
    """The profile's deadline from a 2026 start ends on the day computed by hand."""
    due = load_ruleset(profile).due(kind, start, complex_case=complex_case)
    assert due is not None
    assert due.end == expected
    assert not due.provisional
