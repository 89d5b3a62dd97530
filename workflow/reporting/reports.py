"""Reports for the standing committee: Chinese prose in the form of the offices' own reports, then tables.

A :class:`Report` is data (paragraphs, tables, and the numbers as JSON-ready data); :mod:`workflow.reporting.formats`
writes it as text, Markdown, HTML, JSON, CSV or an Excel workbook. The numbers come from
:mod:`workflow.reporting.measures` (SQL aggregates) and from indexed queries; no report loads every case.
"""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from rules import KINDS as KINDS_INFO
from rules import RATING_LABELS, DeadlineKind, Rating, RuleSet
from workflow.reporting.evaluation import evaluate
from workflow.reporting.letters import promised_cases
from workflow.reporting.measures import (
    Measures,
    Scope,
    UnitMeasures,
    for_viewer,
    measure,
    measure_units,
    percent,
    scope_filter,
)
from workflow.reporting.tables import Report, Table, fmt_percent
from workflow.store.sql import Raw, as_date

if TYPE_CHECKING:
    from workflow.engine import Engine

__all__ = ["KINDS", "build"]

KINDS = ("summary", "units", "conversion", "overdue", "evaluation", "lookback")


def build(
    engine: Engine,
    kind: str,
    scope: Scope | None = None,
    *,
    decimals: int = 2,
    now: datetime | None = None,
) -> Report:
    """The report of ``kind`` (one of :data:`KINDS`) for ``scope`` at ``now``; a unit's engine
    (``Engine.acting``) reports on that unit alone, a deputy's is refused."""
    scope = for_viewer(engine, scope or Scope(), kind)
    moment = now or engine.clock.now()
    rs = engine.active_ruleset()
    if kind == "summary":
        return _summary(rs, scope, measure(engine, scope, now=moment), decimals)
    if kind == "units":
        return _units(rs, scope, measure_units(engine, scope, now=moment), decimals)
    if kind == "conversion":
        return _conversion(
            rs, scope, measure(engine, scope, now=moment), measure_units(engine, scope, now=moment), decimals
        )
    if kind == "overdue":
        return _overdue(engine, rs, scope, moment)
    if kind == "evaluation":
        return evaluate(engine, scope, None)
    if kind == "lookback":
        return _lookback(engine, rs, scope, decimals)
    msg = f"report {kind!r} unknown: use {', '.join(KINDS)}"
    raise ValueError(msg)


def _num(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


def _summary(rs: RuleSet, scope: Scope, m: Measures, decimals: int) -> Report:
    rates = m.rates(rs, decimals)
    where = "" if scope.describe() == "全部" else scope.describe()
    done = "均已办结" if m.total and m.closed == m.total else f"已办结{m.closed}件"
    first = f"{where}共接办代表建议{m.total}件，{done}，答复率达{fmt_percent(rates['answer_rate'])}。"
    parts = []
    for code, label in rs.classes.items():
        count = m.categories.get(code, 0)
        if count:
            parts.append(
                f"{label}的（{code}类）{count}件，占{fmt_percent(percent(count, m.answered, decimals))}"
            )
    classes = ("其中，" + "；".join(parts) + "。") if parts else ""
    ratings = [
        f"表示{RATING_LABELS[r.value]}的{m.ratings.get(r.value, 0)}件，"
        f"占{fmt_percent(percent(m.ratings.get(r.value, 0), m.feedback, decimals))}"
        for r in Rating
        if m.ratings.get(r.value)
    ]
    feedback = ("代表" + "；".join(ratings) + "。") if ratings else "尚未收到代表反馈意见。"
    timing = (
        f"按时办结率{fmt_percent(rates['on_time_rate'])}，办理前联系沟通率{fmt_percent(rates['contact_rate'])}"
        f"（面商率{fmt_percent(rates['face_to_face_rate'])}），问题解决率{fmt_percent(rates['resolution_rate'])}"
        f"，代表满意率{fmt_percent(rates['satisfaction_rate'])}。"
    )
    paragraphs = [first + classes + feedback, timing]
    if m.promised:
        paragraphs.append(_conversion_sentence(rs, m, "", decimals))
    category_rows = tuple(
        (
            f"{code}类",
            label,
            m.categories.get(code, 0),
            percent(m.categories.get(code, 0), m.answered, decimals),
        )
        for code, label in rs.classes.items()
    )
    rating_rows = tuple(
        (
            RATING_LABELS[r.value],
            m.ratings.get(r.value, 0),
            percent(m.ratings.get(r.value, 0), m.feedback, decimals),
        )
        for r in Rating
    )
    names = {
        "answer_rate": "答复率",
        "on_time_rate": "按时办结率",
        "contact_rate": "联系沟通率",
        "face_to_face_rate": "面商率",
        "resolution_rate": "问题解决率",
        "satisfaction_rate": "代表满意率",
        "conversion_rate": "B类转化A类率",
        "rehandling_rate": "重新办理率",
    }
    measure_rows = (
        ("接办件数", m.total),
        ("已答复", m.answered),
        ("已办结", m.closed),
        ("撤回", m.withdrawn),
        *((names[k], v) for k, v in rates.items()),
        ("平均答复天数", m.days_to_answer if m.days_to_answer is not None else "-"),
    )
    data = {
        "scope": scope.describe(),
        "total": m.total,
        "answered": m.answered,
        "closed": m.closed,
        "withdrawn": m.withdrawn,
        "categories": {
            code: {
                "count": m.categories.get(code, 0),
                "percent": _num(percent(m.categories.get(code, 0), m.answered, decimals)),
            }
            for code in rs.classes
        },
        "satisfaction": {
            r.value: {
                "count": m.ratings.get(r.value, 0),
                "percent": _num(percent(m.ratings.get(r.value, 0), m.feedback, decimals)),
            }
            for r in Rating
        },
        "feedback": m.feedback,
        **{k: _num(v) for k, v in rates.items()},
        "due": m.due,
        "on_time": m.on_time,
        "contacted": m.contacted,
        "face_to_face": m.face_to_face,
        "rehandled": m.rehandled,
        "promised": m.promised,
        "converted": dict(m.converted),
        "average_days_to_answer": _num(m.days_to_answer),
        "resolution": rs.measures.resolution,
        "basic_counts_as_satisfied": rs.lifecycle.basic_counts_as_satisfied,
        "decimals": decimals,
    }
    return Report(
        kind="summary",
        title="代表建议办理情况报告",
        scope=scope.describe(),
        paragraphs=paragraphs,
        tables=[
            Table("办理类别", ("类别", "说明", "件数", "占比%"), category_rows, "办理类别"),
            Table("代表意见", ("意见", "件数", "占比%"), rating_rows, "代表意见"),
            Table("主要指标", ("指标", "数值"), measure_rows, "主要指标"),
        ],
        data=data,
        charts=[
            {"title": "办理类别占比", "bars": [(f"{r[0]}", r[3]) for r in category_rows]},
            {"title": "代表意见占比", "bars": [(r[0], r[2]) for r in rating_rows]},
        ],
    )


def _conversion_sentence(rs: RuleSet, m: Measures, lead: str, decimals: int) -> str:
    promise = "、".join(rs.lifecycle.promise_classes)
    moved = "、".join(f"{code}类{count}件" for code, count in sorted(m.converted.items()) if count)
    rate = fmt_percent(percent(m.converted.get("A", 0), m.promised, decimals))
    if not moved:
        return f"{lead}{promise}类建议{m.promised}件，尚无转化。"
    return f"{lead}{promise}类建议{m.promised}件，转化{moved}，转化A类率{rate}。"


def _rank(
    rs: RuleSet, units: list[UnitMeasures], rates: dict[str, dict[str, Decimal | None]]
) -> list[UnitMeasures]:
    """Units with at least ``measures.min_cases`` cases, by satisfaction rate, then on-time rate."""

    def key(u: UnitMeasures) -> tuple[Decimal, Decimal, str]:
        r = rates[u.unit]
        return (-(r["satisfaction_rate"] or Decimal(-1)), -(r["on_time_rate"] or Decimal(-1)), u.unit)

    return sorted((u for u in units if u.measures.total >= rs.measures.min_cases), key=key)


def _units(rs: RuleSet, scope: Scope, units: list[UnitMeasures], decimals: int) -> Report:
    rows = []
    co_only = []  # units with no case as main unit: their co-opinions only
    data = []
    rates = {u.unit: u.measures.rates(rs, decimals) for u in units}
    for u in units:
        m, r = u.measures, rates[u.unit]
        co = percent(u.co_on_time, u.co_due, decimals)
        if not m.total:  # no case as main unit: left out of the table (as of the charts)
            if u.co_due:
                co_only.append((u.unit, u.co_due, co))
        else:
            rows.append(
                (
                    u.unit,
                    m.total,
                    m.answered,
                    r["on_time_rate"],
                    *(m.categories.get(code, 0) for code in rs.classes),
                    r["satisfaction_rate"],
                    r["contact_rate"],
                    co,
                    m.days_to_answer if m.days_to_answer is not None else "-",
                )
            )
        data.append(
            {
                "unit": u.unit,
                "total": m.total,
                "answered": m.answered,
                "categories": dict(m.categories),
                "ratings": dict(m.ratings),
                **{k: _num(v) for k, v in r.items()},
                "co_opinions_due": u.co_due,
                "co_opinions_on_time": u.co_on_time,
                "co_opinion_on_time_rate": _num(co),
                "average_days_to_answer": _num(m.days_to_answer),
            }
        )
    ranked = _rank(rs, units, rates)
    ranking = tuple(
        (
            i + 1,
            u.unit,
            u.measures.total,
            rates[u.unit]["satisfaction_rate"],
            rates[u.unit]["on_time_rate"],
        )
        for i, u in enumerate(ranked)
    )
    left_out = len([u for u in units if u.measures.total < rs.measures.min_cases])
    paragraphs = [
        f"{'' if scope.describe() == '全部' else scope.describe()}共{len(units)}个承办单位。排名按代表满意率、按时办结率排列，"
        f"主办件数少于{rs.measures.min_cases}件的{left_out}个单位不参加排名。"
    ]
    return Report(
        kind="units",
        title="承办单位办理情况",
        scope=scope.describe(),
        paragraphs=paragraphs,
        tables=[
            Table(
                "承办单位",
                (
                    "单位",
                    "主办件数",
                    "已答复",
                    "按时办结率%",
                    *(f"{code}类" for code in rs.classes),
                    "满意率%",
                    "联系沟通率%",
                    "会办意见按时率%",
                    "平均答复天数",
                ),
                tuple(rows),
                "承办单位",
            ),
            *(
                [
                    Table(
                        "只承担会办的单位",
                        ("单位", "应交会办意见", "会办意见按时率%"),
                        tuple(co_only),
                        "会办单位",
                    )
                ]
                if co_only
                else []
            ),
            Table("排名", ("名次", "单位", "主办件数", "满意率%", "按时办结率%"), ranking, "排名"),
        ],
        data={
            "scope": scope.describe(),
            "units": data,
            "ranking": [r[1] for r in ranking],
            "min_cases": rs.measures.min_cases,
        },
        charts=[
            _unit_chart(rs, "各单位按时办结率", units, rates, "on_time_rate"),
            _unit_chart(rs, "各单位代表满意率", units, rates, "satisfaction_rate"),
        ],
    )


def _unit_chart(
    rs: RuleSet,
    title: str,
    units: list[UnitMeasures],
    rates: dict[str, dict[str, Decimal | None]],
    rate: str,
) -> dict[str, Any]:
    """A chart of one rate per unit, highest first: units without a case are left out, and units with fewer
    than ``measures.min_cases`` cases are marked ＊ (a rate over one or two cases says little)."""
    least = rs.measures.min_cases
    shown = sorted(
        (u for u in units if u.measures.total),
        key=lambda u: (-(rates[u.unit][rate] or Decimal(-1)), u.unit),
    )
    small = any(u.measures.total < least for u in shown)
    return {
        "title": title,
        "bars": [(u.unit + ("＊" if u.measures.total < least else ""), rates[u.unit][rate]) for u in shown],
        "note": f"＊主办件数少于{least}件，不参加排名。" if small else "",
    }


def _conversion(rs: RuleSet, scope: Scope, m: Measures, units: list[UnitMeasures], decimals: int) -> Report:
    lead = "本届以来" if scope.term else ""
    targets = [c for c in rs.classes if c not in rs.lifecycle.promise_classes]
    followed = [u for u in units if u.measures.promised]
    unit_rates = [percent(u.measures.converted.get("A", 0), u.measures.promised, decimals) for u in followed]
    rows = tuple(
        (u.unit, u.measures.promised, *(u.measures.converted.get(c, 0) for c in targets), rate)
        for u, rate in zip(followed, unit_rates, strict=True)
    )
    return Report(
        kind="conversion",
        title="B类建议转化情况（回头看）",
        scope=scope.describe(),
        paragraphs=[_conversion_sentence(rs, m, lead, decimals)],
        tables=[
            Table(
                "各单位转化情况",
                ("单位", "B类件数", *(f"转化{c}类" for c in targets), "转化A类率%"),
                rows,
                "转化情况",
            )
        ],
        data={
            "scope": scope.describe(),
            "promised": m.promised,
            "converted": dict(m.converted),
            "conversion_rate": _num(percent(m.converted.get("A", 0), m.promised, decimals)),
            "units": [
                {
                    "unit": u.unit,
                    "promised": u.measures.promised,
                    "converted": {c: n for c in targets if (n := u.measures.converted.get(c, 0))},
                    "rate": _num(rate),
                }
                for u, rate in zip(followed, unit_rates, strict=True)
            ],
        },
        charts=[
            {
                "title": "各单位转化A类率",
                "bars": [(u.unit, rate) for u, rate in zip(followed, unit_rates, strict=True)],
            }
        ],
    )


def _overdue(engine: Engine, rs: RuleSet, scope: Scope, now: datetime) -> Report:
    where, params = scope_filter(engine, scope)
    with engine.db.reading() as conn:
        rows = Raw(conn).all(
            "SELECT se.name, s.number, s.title, u.name, d.kind, d.due, s.escalation_level "
            "FROM deadlines d JOIN suggestions s ON s.id = d.suggestion_id JOIN sessions se ON se.id = s.session_id "
            "LEFT JOIN units u ON u.id = d.unit_id "
            f"WHERE d.status = 'open' AND d.due_at <= :now AND d.kind NOT IN ('feedback', 'return_window') AND {where} "
            "ORDER BY d.due_at, s.number",
            {**params, "now": now},
        )
    today = now.astimezone(rs.zone).date()
    table = []
    late: dict[date, int] = {}  # working days late, per due date
    for session, number, title, unit, kind, due, level in rows:
        day = as_date(due)
        if day not in late:
            late[day] = rs.work_calendar.working_days_between(day, today)
        table.append(
            (
                f"{session}/{number}",
                title,
                unit or "-",
                KINDS_INFO[DeadlineKind(kind)].label,
                day.isoformat(),
                late[day],
                level,
            )
        )
    units = sorted({r[2] for r in table})
    return Report(
        kind="overdue",
        title="逾期未办结代表建议",
        scope=scope.describe(),
        paragraphs=[f"截至{today.isoformat()}，逾期未办结事项{len(table)}项，涉及承办单位{len(units)}个。"],
        tables=[
            Table(
                "逾期事项",
                ("建议", "标题", "承办单位", "事项", "到期日", "逾期工作日", "督办级别"),
                tuple(table),
                "逾期事项",
            )
        ],
        data={
            "as_of": today.isoformat(),
            "items": [
                {
                    "case": r[0],
                    "title": r[1],
                    "unit": r[2],
                    "kind": r[3],
                    "due": r[4],
                    "working_days_late": r[5],
                    "escalation_level": r[6],
                }
                for r in table
            ],
        },
    )


def _lookback(engine: Engine, rs: RuleSet, scope: Scope, decimals: int) -> Report:
    """Every case answered with a promise class (B) in scope, with its promises and what became of it."""
    where, params = scope_filter(engine, scope)
    cases = promised_cases(engine, where, params)
    m = Measures(
        promised=len(cases),
        converted=dict(Counter(c.current_category for c in cases if c.current_category != c.category)),
    )
    rows = tuple(
        (
            f"{c.session}/{c.number}",
            c.title,
            c.unit or "-",
            c.category,
            c.current_category,
            "；".join(f"{p['text']}（{p['due']}，{p['status']}）" for p in c.promises) or "-",
            c.converted_on or "-",
        )
        for c in cases
    )
    lead = "本届以来" if scope.term else ""
    return Report(
        kind="lookback",
        title="B类建议“回头看”",
        scope=scope.describe(),
        paragraphs=[_conversion_sentence(rs, m, lead, decimals)],
        tables=[
            Table(
                "B类建议",
                ("建议", "标题", "承办单位", "答复类别", "当前类别", "承诺事项", "转化日期"),
                rows,
                "B类建议",
            )
        ],
        data={
            "scope": scope.describe(),
            "promised": m.promised,
            "converted": dict(m.converted),
            "cases": [
                {
                    "case": r[0],
                    "title": r[1],
                    "unit": r[2],
                    "category": r[3],
                    "current_category": r[4],
                    "promises": r[5],
                    "converted_on": r[6],
                }
                for r in rows
            ],
        },
    )
