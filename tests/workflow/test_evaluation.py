"""Evaluation (评议): each unit's weighted score, explainable from its parts."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest
from click.testing import CliRunner

from cli import cli
from workflow.core.errors import ValidationError
from workflow.core.views import Actor
from workflow.engine import Engine
from workflow.reporting.evaluation import evaluate, read_scores
from workflow.reporting.measures import Scope
from workflow.testing import FrozenClock, make_case


def _rated(engine: Engine, clock: FrozenClock, number: str, main: str, rating: str) -> None:
    make_case(engine, number, state="answered", clock=clock, co=(), main=main)
    comment = "未解决" if rating == "unsatisfied" else ""
    engine.feedback(number, rating=rating, comment=comment, actor=Actor.deputy("张三"))


def _scores(tmp_path: Path, rows: list[tuple[str, str]]) -> Path:
    path = tmp_path / "scores.csv"
    path.write_text("单位,代表,评分\n" + "".join(f"{u},某代表,{s}\n" for u, s in rows), encoding="utf-8")
    return path


@pytest.fixture
def rated(engine: Engine, clock: FrozenClock) -> Engine:
    """市交通运输局: satisfied, satisfied, basic; 市财政局: basic, unsatisfied."""
    for number, main, rating in [
        ("0001", "市交通运输局", "satisfied"),
        ("0002", "市交通运输局", "satisfied"),
        ("0003", "市交通运输局", "basic"),
        ("0004", "市财政局", "basic"),
        ("0005", "市财政局", "unsatisfied"),
    ]:
        _rated(engine, clock, number, main, rating)
    return engine


def test_the_weighted_score_is_eighty_percent_on_site_and_twenty_satisfaction(
    rated: Engine, tmp_path: Path
) -> None:
    """90.17 × 0.8 + 93.33 × 0.2 = 90.80; (80 + 0) / 2 = 40 → 85 × 0.8 + 40 × 0.2 = 76, shown but not ranked:
    two feedback are fewer than the rule set's measures.min_cases (3)."""
    scores = read_scores(
        _scores(
            tmp_path,
            [("市交通运输局", "90"), ("市交通运输局", "92.5"), ("市交通运输局", "88"), ("市财政局", "85")],
        )
    )
    report = evaluate(rated, Scope(), scores)
    units = [
        (u["rank"], u["unit"], u["on_site"], u["satisfaction"], u["weighted"]) for u in report.data["units"]
    ]
    assert units == [
        (1, "市交通运输局", "90.17", "93.33", "90.80"),
        (None, "市财政局", "85.00", "40.00", "76.00"),
    ]
    assert [u["note"] for u in report.data["units"]] == ["", "反馈少于3件，不参加排名"]


def test_weights_can_be_given(rated: Engine, tmp_path: Path) -> None:
    """--weights 0.5,0.5 halves the parts."""
    scores = read_scores(_scores(tmp_path, [("市财政局", "85")]))
    report = evaluate(
        rated,
        Scope(),
        scores,
        weights=(Decimal("0.5"), Decimal("0.5")),
    )
    [fin] = [u for u in report.data["units"] if u["unit"] == "市财政局"]
    assert fin["weighted"] == "62.50"


def test_a_unit_without_scores_is_listed_not_ranked(rated: Engine, tmp_path: Path) -> None:
    """No on-site score: no weighted score, and the reason."""
    report = evaluate(rated, Scope(), read_scores(_scores(tmp_path, [("市财政局", "85")])))
    [transport] = [u for u in report.data["units"] if u["unit"] == "市交通运输局"]
    assert (transport["rank"], transport["weighted"], transport["note"]) == (None, None, "无现场评分")


def test_bad_score_rows_are_named(tmp_path: Path) -> None:
    """A score that is no number, or outside 0–100, stops the evaluation."""
    with pytest.raises(ValidationError) as caught:
        read_scores(_scores(tmp_path, [("市财政局", "八十"), ("市财政局", "120")]))
    assert list(caught.value.problems) == [
        "row 2: 评分 (score) '八十' is not a number",
        "row 3: 评分 (score) 120 is outside 0–100",
    ]


def test_an_unknown_unit_in_the_scores_is_refused(rated: Engine, tmp_path: Path) -> None:
    """A misspelt unit is named rather than silently scored alone."""
    with pytest.raises(ValidationError) as caught:
        evaluate(rated, Scope(), read_scores(_scores(tmp_path, [("市交通局", "90")])))
    assert list(caught.value.problems) == ["unknown unit '市交通局'"]


def test_evaluate_command(runner: CliRunner, rated: Engine, db_path: Path, tmp_path: Path) -> None:
    """`jianyi evaluate --scores FILE --weights 0.8,0.2 --format json`."""
    rated.dispose()
    path = _scores(tmp_path, [("市交通运输局", "90"), ("市财政局", "85")])
    result = runner.invoke(
        cli,
        ["--db", str(db_path), "evaluate", "--scores", str(path), "--weights", "0.8,0.2", "--format", "json"],
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert [u["weighted"] for u in data["units"]] == ["90.67", "76.00"]
    bad = runner.invoke(
        cli, ["--db", str(db_path), "evaluate", "--scores", str(path), "--weights", "0.9,0.2"]
    )
    assert bad.exit_code == 3
    assert "--weights must be two non-negative shares adding up to 1" in bad.output
