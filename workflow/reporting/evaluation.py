"""Evaluation of the handling units (评议): deputies' on-site scores plus quantified satisfaction, weighted.

Each unit's on-site score is the mean of the scores deputies gave it (a .xlsx or .csv file with the columns
单位/unit and 评分/score, optionally 代表/deputy). Its quantified satisfaction is the mean of the points its
cases' latest feedback earns (rule set ``measures.points``: 满意 100, 基本满意 80, 不满意 0 by default). The weighted
score is ``w_site × on-site + w_satisfaction × satisfaction`` (``measures.weights``, 80 % / 20 % after Hunan 2021),
every step an exact decimal, the result rounded half-up to two places, so each number can be checked by hand.
A unit without scores or without feedback, or with fewer feedback than the rule set's ``measures.min_cases``,
is listed but not ranked, with the reason.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from pathlib import Path
from typing import TYPE_CHECKING

from rules import Rating
from rules.i18n import _
from workflow.core.errors import ValidationError
from workflow.ledger.reading import read_rows
from workflow.reporting.measures import Scope, for_viewer, measure_units
from workflow.reporting.tables import Report, Table

if TYPE_CHECKING:
    from workflow.engine import Engine

__all__ = ["UnitScore", "evaluate", "read_scores"]

_UNIT = ("单位", "unit", "承办单位")
_SCORE = ("评分", "score", "分数")
_TWO = Decimal("0.01")


@dataclass(frozen=True, slots=True)
class UnitScore:
    """One unit's evaluation and its parts."""

    unit: str
    scores: int  # how many on-site scores
    on_site: Decimal | None
    ratings: dict[str, int]
    satisfaction: Decimal | None
    weighted: Decimal | None
    note: str = ""


def read_scores(path: Path) -> dict[str, list[Decimal]]:
    """The on-site scores per unit; every bad row is named and nothing is used when one is bad."""
    header, rows = read_rows(path)
    names = [h.strip().lower() for h in header]
    unit_col = next((names.index(h) for h in _UNIT if h in names), None)
    score_col = next((names.index(h) for h in _SCORE if h in names), None)
    if unit_col is None or score_col is None:
        raise ValidationError(
            _("{name}: the scores need the columns 单位 (unit) and 评分 (score)").format(name=path.name)
        )
    scores: dict[str, list[Decimal]] = {}
    problems = []
    for line, row in rows:
        unit = row[unit_col].strip() if unit_col < len(row) else ""
        text = row[score_col].strip() if score_col < len(row) else ""
        try:
            value = Decimal(text)
        except InvalidOperation:
            problems.append(
                _("row {line}: 评分 (score) {text!r} is not a number").format(line=line, text=text)
            )
            continue
        if not unit:
            problems.append(_("row {line}: 单位 (unit) is empty").format(line=line))
        elif not 0 <= value <= 100:
            problems.append(
                _("row {line}: 评分 (score) {value} is outside 0–100").format(line=line, value=value)
            )
        else:
            scores.setdefault(unit, []).append(value)
    if problems:
        raise ValidationError(
            _("{name}: {count} bad score row(s), nothing evaluated").format(
                name=path.name, count=len(problems)
            ),
            problems=problems,
        )
    return scores


def evaluate(
    engine: Engine,
    scope: Scope,
    scores: dict[str, list[Decimal]] | None,
    *,
    weights: tuple[Decimal, Decimal] | None = None,
) -> Report:
    """The evaluation report: each unit's parts, weighted score and rank (``scores`` None: satisfaction only); a
    unit's engine evaluates that unit alone, a deputy's is refused."""
    scope = for_viewer(engine, scope, "evaluation")
    rs = engine.active_ruleset()
    site_w, sat_w = weights or rs.measures.weights
    if site_w < 0 or sat_w < 0 or site_w + sat_w != 1:
        raise ValidationError(
            _("--weights must be two non-negative shares adding up to 1, got {site_w},{sat_w}").format(
                site_w=site_w, sat_w=sat_w
            )
        )
    units = {u.unit: u for u in measure_units(engine, scope)}
    unknown = sorted(set(scores or {}) - set(units))
    known_names = {u.name for u in engine.units()}
    missing = [u for u in unknown if u not in known_names]
    if missing:
        raise ValidationError(
            _("the scores name units jianyi does not know"),
            problems=[_("unknown unit {u!r}").format(u=u) for u in missing],
        )
    points = rs.measures.points
    results = []
    for name in sorted(set(units) | set(scores or {})):
        ratings = units[name].measures.ratings if name in units else {}
        count = sum(ratings.values())
        given = (scores or {}).get(name, [])
        if count == 0 and not given:  # neither feedback nor scores: nothing to evaluate
            continue
        satisfaction = (
            (sum((points[Rating(r)] * n for r, n in ratings.items()), Decimal(0)) / count).quantize(
                _TWO, ROUND_HALF_UP
            )
            if count
            else None
        )
        on_site = (sum(given, Decimal(0)) / len(given)).quantize(_TWO, ROUND_HALF_UP) if given else None
        note = ""
        if scores is None:  # feedback only (count > 0 here)
            weighted = satisfaction
        elif on_site is None or satisfaction is None:
            weighted = None
            note = "无现场评分" if on_site is None else "无代表反馈"
        else:
            weighted = (site_w * on_site + sat_w * satisfaction).quantize(_TWO, ROUND_HALF_UP)
        if count and count < rs.measures.min_cases and not note:  # too few to rank (measures.min_cases)
            note = f"反馈少于{rs.measures.min_cases}件，不参加排名"
        results.append(UnitScore(name, len(given), on_site, dict(ratings), satisfaction, weighted, note))
    ranked = sorted(
        (r for r in results if r.weighted is not None and not r.note),
        key=lambda r: (-r.weighted, r.unit),  # type: ignore[operator]
    )
    rank = {r.unit: i + 1 for i, r in enumerate(ranked)}
    rows = tuple(
        (
            rank.get(r.unit, "-"),
            r.unit,
            r.scores,
            r.on_site if r.on_site is not None else "-",
            r.ratings.get("satisfied", 0),
            r.ratings.get("basic", 0),
            r.ratings.get("unsatisfied", 0),
            r.satisfaction if r.satisfaction is not None else "-",
            r.weighted if r.weighted is not None else "-",
            r.note,
        )
        for r in sorted(results, key=lambda r: (rank.get(r.unit, 10**6), r.unit))
    )
    formula = (
        f"综合得分 = 现场评分平均分 × {site_w} + 满意度量化分 × {sat_w}；满意度量化分 = "
        f"（满意件数 × {points[Rating.SATISFIED]} + 基本满意件数 × {points[Rating.BASIC]} + "
        f"不满意件数 × {points[Rating.UNSATISFIED]}）÷ 反馈件数。各项四舍五入保留两位小数。"
    )
    if scores is None:
        formula = "未提供现场评分，按满意度量化分排列。" + formula.split("；", 1)[1]
    return Report(
        kind="evaluation",
        title="承办单位评议结果",
        scope=scope.describe(),
        paragraphs=[formula],
        tables=[
            Table(
                "评议结果",
                (
                    "名次",
                    "单位",
                    "评分人数",
                    "现场评分",
                    "满意",
                    "基本满意",
                    "不满意",
                    "满意度量化分",
                    "综合得分",
                    "说明",
                ),
                rows,
                "评议结果",
            )
        ],
        data={
            "scope": scope.describe(),
            "weights": [str(site_w), str(sat_w)],
            "points": {r.value: str(points[r]) for r in Rating},
            "units": [
                {
                    "rank": rank.get(r.unit),
                    "unit": r.unit,
                    "scores": r.scores,
                    "on_site": None if r.on_site is None else str(r.on_site),
                    "ratings": r.ratings,
                    "satisfaction": None if r.satisfaction is None else str(r.satisfaction),
                    "weighted": None if r.weighted is None else str(r.weighted),
                    "note": r.note,
                }
                for r in sorted(results, key=lambda r: (rank.get(r.unit, 10**6), r.unit))
            ],
        },
        charts=[{"title": "综合得分", "bars": [(r.unit, r.weighted) for r in ranked], "suffix": "分"}],
    )
