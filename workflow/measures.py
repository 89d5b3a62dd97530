"""Measures of handling (办理统计): counted by SQL aggregates, never by loading cases into Python.

Definitions (the README and ``jianyi report --help`` say the same):

- **total** (接办): assigned cases in scope, withdrawn ones excepted (they are counted apart).
- **answered** (已答复) and **answer rate** (答复率): cases with an answer ÷ total.
- **on-time rate** (按时办结率): cases whose first-round answer deadlines were all met by their due date (an
  approved extension moves the date) ÷ cases whose answer was due or given; an open case past its date
  counts as late.
- **contact rate** (联系沟通率) and **face-to-face rate** (面商率): answered cases with a recorded contact (a visit
  or meeting) before their first answer ÷ answered.
- **classes** (办理类别): answered cases by the class they were answered with; **resolution rate** (问题解决率):
  A ÷ answered, or (A+B) ÷ answered (rule set ``measures.resolution``).
- **satisfaction** (满意度): each case's latest feedback by rating ÷ feedback received; **satisfaction rate**
  (代表满意率): satisfied, plus basic when the rule set counts it, ÷ feedback received. Cases closed without
  feedback are not in the denominator.
- **conversion** (转化): cases answered with a promise class (B) whose current class is A (or C) ÷ those cases.
- **re-handling rate** (重新办理率): answered cases handled again ÷ answered.
- **average days to answer** (平均答复天数): from assignment to the first answer, in days.

Percentages are exact decimals rounded half-up (四舍五入) per item to the number of decimals asked for.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING, Any

from rules import RuleSet
from workflow._sql import Raw
from workflow.errors import ValidationError
from workflow.states import FACE_TO_FACE

if TYPE_CHECKING:
    from workflow.engine import Engine

__all__ = ["Measures", "Scope", "UnitMeasures", "measure", "measure_units", "percent", "scope_filter"]


def percent(part: int, whole: int, decimals: int = 2) -> Decimal | None:
    """``part ÷ whole`` as a percentage rounded half-up to ``decimals`` places (None when ``whole`` is 0).

    >>> percent(1, 16, 1)
    Decimal('6.3')
    """
    if whole == 0:
        return None
    exact = Decimal(part) * 100 / Decimal(whole)
    return exact.quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)


@dataclass(frozen=True, slots=True)
class Scope:
    """Which cases a measure covers: a session, a term, a unit (as main or split unit), an assignment period."""

    session: str | None = None
    term: str | None = None
    unit: str | None = None
    start: date | None = None  # assigned on or after
    end: date | None = None  # assigned on or before

    def describe(self) -> str:
        """A short Chinese description, e.g. 「市十七届人大六次会议」."""
        parts = [p for p in (self.term, self.session, self.unit) if p]
        if self.start or self.end:
            parts.append(f"{self.start or '…'}至{self.end or '…'}交办")
        return "，".join(parts) or "全部"


@dataclass
class Measures:
    """The counts of one scope; rates are derived (see :meth:`rates`)."""

    total: int = 0
    withdrawn: int = 0
    answered: int = 0
    closed: int = 0
    due: int = 0  # answer due or given
    on_time: int = 0
    contacted: int = 0
    face_to_face: int = 0
    rehandled: int = 0
    categories: dict[str, int] = field(default_factory=dict)
    ratings: dict[str, int] = field(default_factory=dict)  # latest feedback per case
    promised: int = 0  # answered with a promise class (B)
    converted: dict[str, int] = field(default_factory=dict)  # current class of those, when it changed
    days_to_answer: Decimal | None = None  # average

    @property
    def feedback(self) -> int:
        """Cases with feedback."""
        return sum(self.ratings.values())

    def satisfied(self, rs: RuleSet) -> int:
        """Satisfied cases, basic ones included when the rule set counts them."""
        basic = self.ratings.get("basic", 0) if rs.lifecycle.basic_counts_as_satisfied else 0
        return self.ratings.get("satisfied", 0) + basic

    def resolved(self, rs: RuleSet) -> int:
        """A cases, or A and B cases (rule set ``measures.resolution``)."""
        codes = ("A", "B") if rs.measures.resolution == "A+B" else ("A",)
        return sum(self.categories.get(c, 0) for c in codes)

    def rates(self, rs: RuleSet, decimals: int = 2) -> dict[str, Decimal | None]:
        """Every rate, in percent, rounded half-up."""
        return {
            "answer_rate": percent(self.answered, self.total, decimals),
            "on_time_rate": percent(self.on_time, self.due, decimals),
            "contact_rate": percent(self.contacted, self.answered, decimals),
            "face_to_face_rate": percent(self.face_to_face, self.answered, decimals),
            "resolution_rate": percent(self.resolved(rs), self.answered, decimals),
            "satisfaction_rate": percent(self.satisfied(rs), self.feedback, decimals),
            "conversion_rate": percent(self.converted.get("A", 0), self.promised, decimals),
            "rehandling_rate": percent(self.rehandled, self.answered, decimals),
        }


@dataclass
class UnitMeasures:
    """One unit's measures as main (or split) unit, and its co-unit opinions' timeliness."""

    unit: str
    measures: Measures
    co_due: int = 0
    co_on_time: int = 0


def scope_filter(engine: Engine, scope: Scope) -> tuple[str, dict[str, Any]]:
    """SQL conditions on ``s`` (suggestions) and ``se`` (sessions) for the scope, with parameters; unknown
    sessions, terms and units are named."""
    where = ["se.congress_id = :congress", "s.assigned_at IS NOT NULL"]
    params: dict[str, Any] = {"congress": engine.congress_id}
    with engine._reading() as conn:
        raw = Raw(conn)
        if scope.session is not None:
            params["session_id"] = engine._session_id(conn, scope.session)
            where.append("s.session_id = :session_id")
        if scope.term is not None:
            found = raw.column(
                "SELECT count(*) FROM sessions WHERE congress_id = :c AND term = :t",
                {"c": engine.congress_id, "t": scope.term},
            )
            if not found[0]:
                raise ValidationError(
                    f"no session of term {scope.term!r}: give the term as `session add --term` has it"
                )
            params["term"] = scope.term
            where.append("se.term = :term")
        if scope.unit is not None:
            params["unit_id"] = engine._unit_id(conn, scope.unit)
            where.append(
                "EXISTS (SELECT 1 FROM assignments a WHERE a.suggestion_id = s.id AND a.unit_id = :unit_id "
                "AND a.until IS NULL AND a.role IN ('main', 'split'))"
            )
    zone = engine.active_ruleset().zone
    if scope.start is not None:
        params["start"] = datetime.combine(scope.start, time(0), tzinfo=zone).astimezone(UTC)
        where.append("s.assigned_at >= :start")
    if scope.end is not None:
        params["end"] = datetime.combine(scope.end + timedelta(days=1), time(0), tzinfo=zone).astimezone(UTC)
        where.append("s.assigned_at < :end")
    return " AND ".join(where), params


_CASE_COLUMNS = "s.id, s.state, s.answered_at, s.round, s.category, s.current_category, s.assigned_at"
_SCOPE = "SELECT s.id FROM suggestions s JOIN sessions se ON se.id = s.session_id WHERE {where}"


def measure(engine: Engine, scope: Scope | None = None, *, now: datetime | None = None) -> Measures:
    """The measures of the cases in ``scope`` (default: every assigned case of the congress) at ``now``."""
    where, params = scope_filter(engine, scope or Scope())
    found = _measure(engine, where, params, now or engine.clock.now(), group=None)
    return found.get(None, Measures())


def measure_units(
    engine: Engine, scope: Scope | None = None, *, now: datetime | None = None
) -> list[UnitMeasures]:
    """Each unit's measures as main or split unit (cases in ``scope``), with its co-opinion timeliness."""
    scope = scope or Scope()
    where, params = scope_filter(engine, scope)
    moment = now or engine.clock.now()
    by_unit = _measure(engine, where, params, moment, group="unit")
    with engine._reading() as conn:
        raw = Raw(conn)
        names = dict(raw.all("SELECT id, name FROM units WHERE congress_id = :c", {"c": engine.congress_id}))
        co = raw.all(
            f"WITH scope AS ({_SCOPE.format(where=where)}) "
            "SELECT d.unit_id, count(*), sum(CASE WHEN d.status = 'met' AND NOT d.late THEN 1 ELSE 0 END) "
            "FROM deadlines d JOIN scope s ON s.id = d.suggestion_id WHERE d.kind = 'co_opinion' "
            "AND (d.status = 'met' OR (d.status = 'open' AND d.due_at <= :now)) GROUP BY d.unit_id",
            {**params, "now": moment},
        )
    result = {
        uid: UnitMeasures(names.get(uid, f"#{uid}"), m) for uid, m in by_unit.items() if uid is not None
    }
    for uid, due, on_time in co:
        entry = result.setdefault(uid, UnitMeasures(names.get(uid, f"#{uid}"), Measures()))
        entry.co_due, entry.co_on_time = int(due), int(on_time or 0)
    return sorted(result.values(), key=lambda u: u.unit)


def _measure(
    engine: Engine, where: str, params: dict[str, Any], now: datetime, *, group: str | None
) -> dict[int | None, Measures]:
    """The measures per group (None: the whole scope; "unit": per main/split unit)."""
    rs = engine.active_ruleset()
    promise = ", ".join(f"'{c}'" for c in rs.lifecycle.promise_classes) or "''"
    if group == "unit":
        scope = (
            f"WITH scope AS (SELECT a.unit_id AS g, {_CASE_COLUMNS} FROM suggestions s "
            "JOIN sessions se ON se.id = s.session_id "
            f"JOIN assignments a ON a.suggestion_id = s.id AND a.until IS NULL AND a.role IN ('main', 'split') "
            f"WHERE {where}) "
        )
    else:
        scope = (
            f"WITH scope AS (SELECT NULL AS g, {_CASE_COLUMNS} FROM suggestions s "
            f"JOIN sessions se ON se.id = s.session_id WHERE {where}) "
        )
    out: dict[int | None, Measures] = {}

    def get(key: Any) -> Measures:
        return out.setdefault(key, Measures())

    with engine._reading() as conn:
        raw = Raw(conn)
        days = (
            "avg(extract(epoch FROM (f.first_at - s.assigned_at)) / 86400.0)"
            if raw.postgres
            else "avg(julianday(f.first_at) - julianday(s.assigned_at))"
        )
        p = {**params, "now": now}
        # one pass over the cases: the counts, each class, and each class a promise class was converted to
        codes = list(rs.classes)
        per_class = "".join(
            f", sum(CASE WHEN category = '{c}' THEN 1 ELSE 0 END), "
            f"sum(CASE WHEN category IN ({promise}) AND current_category = '{c}' AND current_category <> category "
            "THEN 1 ELSE 0 END)"
            for c in codes
        )
        for g, total, withdrawn, answered, closed, rehandled, promised, *classes in raw.all(
            scope + "SELECT g, sum(CASE WHEN state <> 'withdrawn' THEN 1 ELSE 0 END), "
            "sum(CASE WHEN state = 'withdrawn' THEN 1 ELSE 0 END), "
            "sum(CASE WHEN answered_at IS NOT NULL THEN 1 ELSE 0 END), "
            "sum(CASE WHEN state = 'closed' THEN 1 ELSE 0 END), "
            "sum(CASE WHEN answered_at IS NOT NULL AND round > 1 THEN 1 ELSE 0 END), "
            f"sum(CASE WHEN category IN ({promise}) THEN 1 ELSE 0 END){per_class} FROM scope GROUP BY g",
            p,
        ):
            m = get(g)
            m.total, m.withdrawn, m.answered, m.closed = (
                int(total),
                int(withdrawn),
                int(answered),
                int(closed),
            )
            m.rehandled, m.promised = int(rehandled), int(promised)
            for code, count, converted in zip(codes, classes[0::2], classes[1::2], strict=True):
                if count:
                    m.categories[code] = int(count)
                if converted:
                    m.converted[code] = int(converted)
        for g, rating, count in raw.all(
            scope + "SELECT s.g, f.rating, count(*) FROM scope s "
            "JOIN (SELECT suggestion_id, max(id) AS last FROM feedback GROUP BY suggestion_id) l ON l.suggestion_id = s.id "
            "JOIN feedback f ON f.id = l.last GROUP BY s.g, f.rating",
            p,
        ):
            get(g).ratings[rating] = int(count)
        late = "(d.status = 'met' AND d.late) OR (d.status = 'open' AND d.due_at <= :now)"
        unit_match = " AND d.unit_id = s.g" if group == "unit" else ""
        for g, due, on_time in raw.all(
            scope + "SELECT g, count(*), sum(1 - late) FROM (SELECT s.g, s.id, "
            f"max(CASE WHEN {late} THEN 1 ELSE 0 END) AS late FROM scope s JOIN deadlines d "
            "ON d.suggestion_id = s.id WHERE d.kind = 'answer' AND d.round = 1 "
            f"AND (d.status = 'met' OR (d.status = 'open' AND d.due_at <= :now)){unit_match} "
            "GROUP BY s.g, s.id) t GROUP BY g",
            p,
        ):
            m = get(g)
            m.due, m.on_time = int(due), int(on_time or 0)
        first = "(SELECT suggestion_id, min(at) AS first_at FROM answers GROUP BY suggestion_id)"
        methods = ", ".join(f"'{m.value}'" for m in sorted(FACE_TO_FACE))
        for g, contacted, face, avg_days in raw.all(
            scope + "SELECT s.g, "
            "sum(CASE WHEN EXISTS (SELECT 1 FROM contacts c WHERE c.suggestion_id = s.id AND c.at <= f.first_at) "
            "THEN 1 ELSE 0 END), "
            "sum(CASE WHEN EXISTS (SELECT 1 FROM contacts c WHERE c.suggestion_id = s.id AND c.at <= f.first_at "
            f"AND c.method IN ({methods})) THEN 1 ELSE 0 END), "
            f"{days} FROM scope s JOIN {first} f ON f.suggestion_id = s.id GROUP BY s.g",
            p,
        ):
            m = get(g)
            m.contacted, m.face_to_face = int(contacted), int(face)
            m.days_to_answer = None if avg_days is None else Decimal(str(avg_days)).quantize(Decimal("0.1"))
    return out
