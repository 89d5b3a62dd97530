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

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING, Any

from rules import RuleSet
from rules.i18n import _
from workflow.core.errors import PermissionDenied, ValidationError
from workflow.core.states import ActorKind
from workflow.store.models import MEASURES_GROUPS, RATINGS
from workflow.store.sql import Raw

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
    sessions, cases, params = _scope_parts(engine, scope)
    return f"{sessions} AND {cases}", params


def _scope_parts(engine: Engine, scope: Scope) -> tuple[str, str, dict[str, Any]]:
    """The scope's conditions on ``se`` (sessions) and on ``s`` (suggestions) apart, with their parameters; a
    unit's engine reports on itself alone, a deputy's on nothing (:func:`for_viewer`)."""
    scope = for_viewer(engine, scope, "report")
    on_sessions = ["se.congress_id = :congress"]
    where = ["s.assigned_at IS NOT NULL"]
    params: dict[str, Any] = {"congress": engine.congress_id}
    with engine.db.reading() as conn:
        raw = Raw(conn)
        if scope.session is not None:
            params["session_id"] = engine.directory.session_id(conn, scope.session)
            where.append("s.session_id = :session_id")
        if scope.term is not None:
            found = raw.column(
                "SELECT count(*) FROM sessions WHERE congress_id = :c AND term = :t",
                {"c": engine.congress_id, "t": scope.term},
            )
            if not found[0]:
                raise ValidationError(
                    _("no session of term {term!r}: give the term as `session add --term` has it").format(
                        term=scope.term
                    )
                )
            params["term"] = scope.term
            on_sessions.append("se.term = :term")
        if scope.unit is not None:
            params["unit_id"] = engine.directory.unit_id(conn, scope.unit)
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
    return " AND ".join(on_sessions), " AND ".join(where), params


def for_viewer(engine: Engine, scope: Scope, what: str) -> Scope:
    """``scope`` as the engine's viewer may have it: the office any; a unit its own unit's (another unit's is
    refused); the public the summary of the whole congress or a session (the figures the office publishes); a
    deputy none (reports are the office's and the units')."""
    viewer = engine.viewer
    if viewer.is_office:
        return scope
    if viewer.is_public and what in ("summary", "report") and scope.unit is None:
        return scope
    if viewer.kind is ActorKind.UNIT and viewer.name and scope.unit in (None, viewer.name):
        return replace(scope, unit=viewer.name)
    reason = (
        _("a unit reports on itself alone")
        if viewer.kind is ActorKind.UNIT
        else _("reports are the office's")
    )
    raise PermissionDenied(case=None, actor=str(viewer), action=f"report {what}", reason=reason)


_SCOPE = "SELECT s.id FROM suggestions s JOIN sessions se ON se.id = s.session_id WHERE {where}"


def measure(
    engine: Engine, scope: Scope | None = None, *, now: datetime | None = None, plain: bool = False
) -> Measures:
    """The measures of the cases in ``scope`` (default: every assigned case of the congress) at ``now``.

    ``plain`` counts them by one condition per measure over every case instead of by groups of alike cases
    (the same figures, more slowly: the definition the grouped pass is checked against)."""
    parts = _scope_parts(engine, scope or Scope())
    found = _measure(engine, parts, now or engine.clock.now(), group=None, plain=plain)
    return found.get(None, Measures())


def measure_units(
    engine: Engine, scope: Scope | None = None, *, now: datetime | None = None, plain: bool = False
) -> list[UnitMeasures]:
    """Each unit's measures as main or split unit (cases in ``scope``), with its co-opinion timeliness
    (``plain``: as :func:`measure`)."""
    scope = scope or Scope()
    parts = _scope_parts(engine, scope)
    where, params = f"{parts[0]} AND {parts[1]}", parts[2]
    moment = now or engine.clock.now()
    by_unit = _measure(engine, parts, moment, group="unit", plain=plain)
    with engine.db.reading() as conn:
        raw = Raw(conn)
        names = dict(raw.all("SELECT id, name FROM units WHERE congress_id = :c", {"c": engine.congress_id}))
        co = raw.all(
            f"WITH scope AS ({_SCOPE.format(where=where)}) "
            # grouped by "unit_id + 0", not by the column: SQLite would otherwise walk every deadline along the
            # index of a unit's open deadlines (migration 0020) to spare the sort, a table look-up a row (about
            # three times the CPU at 1,000,000 cases)
            "SELECT d.unit_id + 0, count(*), sum(CASE WHEN d.status = 'met' AND NOT d.late THEN 1 ELSE 0 END) "
            "FROM deadlines d JOIN scope s ON s.id = d.suggestion_id WHERE d.kind = 'co_opinion' "
            "AND (d.status IN ('met', 'missed') OR (d.status = 'open' AND d.due_at <= :now)) "
            "GROUP BY d.unit_id + 0",
            {**params, "now": moment},
        )
    result = {
        uid: UnitMeasures(names.get(uid, f"#{uid}"), m) for uid, m in by_unit.items() if uid is not None
    }
    for uid, due, on_time in co:
        entry = result.setdefault(uid, UnitMeasures(names.get(uid, f"#{uid}"), Measures()))
        entry.co_due, entry.co_on_time = int(due), int(on_time or 0)
    rows = sorted(result.values(), key=lambda u: u.unit)
    if not engine.viewer.is_office:  # a unit's report holds its own row, not those of its co-units
        rows = [u for u in rows if u.unit == engine.viewer.name]
    return rows


def _measure(
    engine: Engine, parts: tuple[str, str, dict[str, Any]], now: datetime, *, group: str | None, plain: bool
) -> dict[int | None, Measures]:
    """The measures per group (None: the whole scope; "unit": per main/split unit).

    One pass over the cases reads their own columns and their tallies (:mod:`workflow.store.tally`), an answer
    open past its date included (``answer_due_at``): grouped by main unit and the columns the measures test
    (:func:`_grouped`), or, ``plain``, one count per condition. Per unit, a main unit's timeliness is its
    case's; split units, which are few, are found through the assignments, and each one's timeliness is read
    from its own first-round answer deadlines.
    """
    on_sessions, on_cases, params = parts
    where = f"{on_sessions} AND {on_cases}"
    rs = engine.active_ruleset()
    codes = list(rs.classes)
    out: dict[int | None, Measures] = {}
    days: dict[
        int | None, tuple[float, int]
    ] = {}  # per group: the sum of days to the first answer, and of cases
    p = {**params, "now": now}
    with engine.db.reading() as conn:
        raw = Raw(conn)
        cases = "FROM suggestions s JOIN sessions se ON se.id = s.session_id "
        # SQLite would walk the assignments' (unit, until) index and fetch every row for its role; a plain scan
        # of the assignments (split ones are few), in order, is several times faster
        unindexed, link = ("", "JOIN") if raw.postgres else (" NOT INDEXED", "CROSS JOIN")
        split_units = (
            f"FROM assignments a{unindexed} {link} suggestions s ON s.id = a.suggestion_id "
            "JOIN sessions se ON se.id = s.session_id "
        )
        split_where = f"WHERE {where} AND a.role = 'split' AND a.until IS NULL "
        queries = []
        if not plain:
            # the sessions in scope are few: named by id, or not at all when every one is, each case is checked
            # without a lookup of its session (a third of the pass, on SQLite)
            ids = raw.column(f"SELECT se.id FROM sessions se WHERE {on_sessions} ORDER BY se.id", p)
            if len(ids) == raw.column("SELECT count(*) FROM sessions")[0]:
                in_sessions = "1 = 1"
            elif ids:
                marks, named = Raw.in_list("session_", ids)
                in_sessions, p = f"s.session_id IN {marks}", {**p, **named}
            else:
                in_sessions = "1 = 0"
            grouped = _grouped_sql(raw.postgres, f"{in_sessions} AND {on_cases}")
            sums = _grouped(rs, raw.all(grouped, p), out, by_unit=group == "unit")
            for g, (total, answered) in sums.items():
                days[g] = (total, answered)
        elif group == "unit":
            queries.append(
                f"SELECT s.main_unit_id AS g, {_columns(rs, raw.postgres, timely=True)} {cases}"
                f"WHERE {where} AND s.main_unit_id IS NOT NULL GROUP BY s.main_unit_id"
            )
        else:
            queries.append(
                f"SELECT NULL AS g, {_columns(rs, raw.postgres, timely=True)} {cases}WHERE {where}"
            )
        # the passes over the split units read every assignment, and most congresses split few cases or none:
        # when no case has a split unit now, they would count nothing
        splits = group == "unit" and bool(
            raw.all(
                f"SELECT 1 FROM assignments a{unindexed} WHERE a.role = 'split' AND a.until IS NULL LIMIT 1"
            )
        )
        if splits:
            # a split unit answers its own part with its own class: its latest answer's, not the case's
            queries.append(
                f"SELECT a.unit_id AS g, {_columns(rs, raw.postgres, timely=False, category='x.category')} "
                f"{split_units}LEFT JOIN answers x ON x.id = (SELECT max(y.id) FROM answers y "
                f"WHERE y.suggestion_id = s.id AND y.unit_id = a.unit_id) {split_where}GROUP BY a.unit_id"
            )
        for sql in queries:
            for g, count, days_sum, answered, *counts in raw.all(sql, p):
                if not count:  # no case in scope
                    continue
                _add(out.setdefault(g, Measures()), int(count), counts, codes)
                before = days.get(g, (0.0, 0))
                days[g] = (before[0] + float(days_sum or 0), before[1] + int(answered))
        for g, (total, answered) in days.items():
            if answered:
                out[g].days_to_answer = Decimal(str(total / answered)).quantize(Decimal("0.1"))
        if splits:
            late = "(d.status = 'met' AND d.late) OR (d.status = 'open' AND d.due_at <= :now)"
            for g, due, on_time in raw.all(
                "SELECT g, count(*), sum(1 - late) FROM (SELECT a.unit_id AS g, s.id, "
                f"max(CASE WHEN {late} THEN 1 ELSE 0 END) AS late FROM assignments a{unindexed} "
                f"{link} suggestions s ON s.id = a.suggestion_id JOIN sessions se ON se.id = s.session_id "
                f"{link} deadlines d ON d.suggestion_id = s.id AND d.unit_id = a.unit_id "
                f"WHERE {where} AND a.role = 'split' AND a.until IS NULL AND d.kind = 'answer' AND d.round = 1 "
                "AND (d.status = 'met' OR (d.status = 'open' AND d.due_at <= :now)) "
                "GROUP BY a.unit_id, s.id) t GROUP BY g",
                p,
            ):
                m = out.setdefault(g, Measures())
                m.due, m.on_time = m.due + int(due), m.on_time + int(on_time or 0)
    return out


def _days(postgres: bool) -> str:
    """The sum of the days from assignment to the first answer (cases not answered add nothing, and are not
    read: on SQLite, parsing the two instants is about a third of the grouped pass)."""
    answered = "FILTER (WHERE s.first_answer_at IS NOT NULL)"
    if postgres:
        return f"sum(extract(epoch FROM (s.first_answer_at - s.assigned_at)) / 86400.0) {answered}"
    return f"sum(julianday(s.first_answer_at) - julianday(s.assigned_at)) {answered}"


def _grouped_sql(postgres: bool, where: str) -> str:
    """The cases ``where`` selects (conditions on ``s`` alone) grouped by main unit and the columns the measures
    test, each group with its count, how many were answered and first answered, how many have an answer open
    past its date, and the sum of their days to the first answer. The keys are the leading columns of the
    index ``ix_suggestions_measures``, in its order: SQLite reads the groups off that covering index, without a
    sort or a visit to the case rows."""
    keys = ", ".join(f"s.{column}" for column in MEASURES_GROUPS)
    return (
        f"SELECT {keys}, count(*), count(s.answered_at), count(s.first_answer_at), "
        f"count(*) FILTER (WHERE s.answer_due_at <= :now), {_days(postgres)} "
        f"FROM suggestions s WHERE {where} GROUP BY {keys}"
    )


def _grouped(
    rs: RuleSet, rows: Iterable[Sequence[Any]], out: dict[int | None, Measures], *, by_unit: bool
) -> dict[int | None, tuple[float, int]]:
    """Add the groups of :func:`_grouped_sql` to ``out`` (per main unit, or all under None), each condition of
    :func:`_columns` decided once per group; return per key the sum of days to the first answer and how many
    cases were first answered."""
    codes, promise = set(rs.classes), set(rs.lifecycle.promise_classes)
    days: dict[int | None, list[Any]] = {}
    firsts: dict[int | None, int] = {}
    for unit, state, round_, category, current, rating, contact, met, *counts, days_sum in rows:
        if by_unit and unit is None:
            continue
        key = unit if by_unit else None
        m = out.setdefault(key, Measures())
        count, answered, first, overdue = map(int, counts)
        if state == "withdrawn":
            m.withdrawn += count
        else:
            m.total += count
        m.closed += count if state == "closed" else 0
        m.answered += answered
        m.rehandled += answered if round_ > 1 else 0
        m.promised += count if category in promise else 0
        m.contacted += first if contact >= 1 else 0
        m.face_to_face += first if contact == 2 else 0
        # due: a first-round answer deadline met, or one open past its date; on time: all met in time, none open late
        m.due += count if met > 0 else overdue
        m.on_time += count - overdue if met == 1 else 0
        if rating in RATINGS:
            m.ratings[rating] = m.ratings.get(rating, 0) + count
        if category in codes:
            m.categories[category] = m.categories.get(category, 0) + count
            if category in promise and current in codes and current != category:
                m.converted[current] = m.converted.get(current, 0) + count
        if days_sum is not None:
            days.setdefault(key, []).append(days_sum)
        firsts[key] = firsts.get(key, 0) + first
    for m in out.values():  # in the order the per-condition pass gives them
        m.ratings = {r: m.ratings[r] for r in RATINGS if r in m.ratings}
        m.categories = {c: m.categories[c] for c in rs.classes if c in m.categories}
        m.converted = {c: m.converted[c] for c in rs.classes if c in m.converted}
    return {key: (_total(days.get(key, [])), n) for key, n in firsts.items()}


def _total(sums: list[Any]) -> float:
    """The sum of per-group sums: exact for PostgreSQL's decimals, correctly rounded for SQLite's floats."""
    if sums and all(isinstance(v, Decimal) for v in sums):
        return float(sum(sums, Decimal(0)))
    return math.fsum(float(v) for v in sums)


def _columns(rs: RuleSet, postgres: bool, *, timely: bool, category: str = "s.category") -> str:
    """The select list of one pass: the cases, the sum of days to their first answer and how many were
    answered, then one count per condition (in the order :func:`_add` reads them). Without ``timely`` the
    first-round timeliness counts are 0 (a split unit's come from its own deadlines); ``category`` is the
    class a row counts with (a split unit's own answer's, ``x.category``)."""
    promise = ", ".join(f"'{c}'" for c in rs.lifecycle.promise_classes) or "''"
    answered = "s.first_answer_at IS NOT NULL"
    days = _days(postgres)
    # a case's first-round timeliness is its main unit's: a reassignment cancels the old unit's deadline before
    # any answer, and co-units owe opinions, not answers. An answer still open past its date makes it due and late.
    conditions = [
        "s.state = 'withdrawn'",
        "s.answered_at IS NOT NULL",
        "s.state = 'closed'",
        "s.answered_at IS NOT NULL AND s.round > 1",
        f"{category} IN ({promise})",
        f"{answered} AND s.contact_level >= 1",
        f"{answered} AND s.contact_level = 2",
        "s.answer_met > 0 OR s.answer_due_at <= :now" if timely else "1 = 0",
        "s.answer_met = 1 AND (s.answer_due_at IS NULL OR s.answer_due_at > :now)" if timely else "1 = 0",
    ]
    conditions += [f"s.rating = '{r}'" for r in RATINGS]
    for c in rs.classes:
        conditions.append(f"{category} = '{c}'")
        conditions.append(
            f"{category} IN ({promise}) AND s.current_category = '{c}' AND s.current_category <> {category}"
        )
    # count(*) FILTER is about twice as fast as sum(CASE …) on SQLite, and both databases have it
    counts = (f"count(*) FILTER (WHERE {c})" for c in conditions)
    return ", ".join(["count(*)", days, f"count(*) FILTER (WHERE {answered})", *counts])


def _add(m: Measures, count: int, counts: list[Any], codes: list[str]) -> None:
    """Add one pass's counts (after :func:`_columns`' first three) to ``m``."""
    withdrawn, answered, closed, rehandled, promised, contacted, face, due, on_time = map(int, counts[:9])
    m.total, m.withdrawn = m.total + count - withdrawn, m.withdrawn + withdrawn
    m.answered, m.closed = m.answered + answered, m.closed + closed
    m.rehandled, m.promised = m.rehandled + rehandled, m.promised + promised
    m.contacted, m.face_to_face = m.contacted + contacted, m.face_to_face + face
    m.due, m.on_time = m.due + due, m.on_time + on_time
    for rating, n in zip(RATINGS, counts[9 : 9 + len(RATINGS)], strict=True):
        if n:
            m.ratings[rating] = m.ratings.get(rating, 0) + int(n)
    classes = counts[9 + len(RATINGS) :]
    for code, n, converted in zip(codes, classes[0::2], classes[1::2], strict=True):
        if n:
            m.categories[code] = m.categories.get(code, 0) + int(n)
        if converted:
            m.converted[code] = m.converted.get(code, 0) + int(converted)
