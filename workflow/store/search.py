"""Finding cases: filters, a substring search over title and content, a count and one page of case ids.

Chinese is written without spaces, so the text search matches substrings, not words. On SQLite an FTS5 table
with the trigram tokenizer (``suggestions_fts``, kept in step with ``suggestions`` by triggers) answers a text
of three characters or more; a shorter one (公交, 教育: two-character words are common) cannot be split into
trigrams and is matched by ``LIKE`` over the rows the other filters leave. On PostgreSQL ``pg_trgm`` GIN
indexes on title and content serve ``LIKE`` (``ILIKE`` for a text with Latin letters). Both match Latin letters
whatever their case.

Every condition is one more conjunct on ``s`` (the case), so a scope (the units a case is or was assigned to,
or a deputy who leads or co-signs it) is a filter like the others: see :class:`CaseFilter`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from workflow.core.states import DeadlineStatus
from workflow.core.views import WINDOW_KINDS
from workflow.store.database import POSTGRES, Dialect
from workflow.store.scope import PUBLISHED
from workflow.store.sql import Raw

__all__ = ["FTS_TABLE", "TRIGRAM_INDEXES", "CaseFilter", "find", "is_search_object"]

FTS_TABLE = "suggestions_fts"  # SQLite: the FTS5 trigram index over suggestions(title, content)
TRIGRAM_INDEXES = ("ix_suggestions_title_trgm", "ix_suggestions_content_trgm")  # PostgreSQL: pg_trgm GIN
TRIGRAM = 3  # the shortest text the trigram index answers


def is_search_object(name: str | None, kind: str, *_: Any) -> bool:
    """Whether a schema object belongs to the text search, which the models do not declare (an alembic
    ``include_name`` hook says False for them so that comparing the schema with the models skips them)."""
    if name is None:
        return True
    if kind == "table":
        return not name.startswith(FTS_TABLE)
    return name not in TRIGRAM_INDEXES


@dataclass(frozen=True, slots=True)
class CaseFilter:
    """Which cases of a session to find; None (or False for ``overdue_at``) leaves a condition out.

    ``scope_unit_ids`` and ``scope_deputy_id`` restrict the result to what one party may see: the cases any of
    those units is or was assigned to, or those the deputy leads or co-signs (when both are given, either
    suffices). Such a party is involved in every case it sees, confidential ones included.
    """

    session_id: int
    state: str | None = None
    unit_id: int | None = None  # a unit handling the case now
    overdue_at: datetime | None = None  # an open obligation due at or before this instant
    deputy_id: int | None = None  # the lead deputy or a co-signer
    delegation: str | None = None  # the lead deputy's delegation (代表团)
    field: str | None = None
    key: bool | None = None
    between_sessions: bool | None = None
    confidential: bool | None = None
    text: str | None = None  # a substring of the title or the content
    scope_unit_ids: frozenset[int] | None = None
    scope_deputy_id: int | None = None
    # the published cases alone (workflow.store.scope): neither confidential nor unanswered nor withdrawn
    public: bool = False


def _like(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _text(dialect: Dialect, text: str, params: dict[str, Any]) -> str:
    if dialect is POSTGRES:
        params["pattern"] = _like(text)
        # ILIKE folds case on every row (2.5x LIKE's time on a scan); a text without letters that have a case
        # (Chinese) matches the same rows by LIKE
        op = "LIKE" if text.lower() == text.upper() else "ILIKE"
        return f"(s.title {op} :pattern ESCAPE '\\' OR s.content {op} :pattern ESCAPE '\\')"
    if len(text) >= TRIGRAM:
        params["phrase"] = '"' + text.replace('"', '""') + '"'
        return f"s.id IN (SELECT rowid FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH :phrase)"
    params["pattern"] = _like(text)
    return "(s.title LIKE :pattern ESCAPE '\\' OR s.content LIKE :pattern ESCAPE '\\')"


def _deputy(param: str) -> str:
    return (
        f"(s.lead_deputy_id = :{param} OR s.id IN "
        f"(SELECT g.suggestion_id FROM suggestion_signers g WHERE g.deputy_id = :{param}))"
    )


def _scope(f: CaseFilter, params: dict[str, Any]) -> str | None:
    either = []
    if f.scope_unit_ids is not None:
        marks, ids = Raw.in_list("scope_unit", sorted(f.scope_unit_ids) or [-1])
        params.update(ids)
        either.append(f"s.id IN (SELECT a.suggestion_id FROM assignments a WHERE a.unit_id IN {marks})")
    if f.scope_deputy_id is not None:
        params["scope_deputy"] = f.scope_deputy_id
        either.append(_deputy("scope_deputy"))
    return "(" + " OR ".join(either) + ")" if either else None


def where(f: CaseFilter, dialect: Dialect) -> tuple[str, dict[str, Any]]:
    """The WHERE clause on ``suggestions s`` that selects the cases ``f`` names, and its parameters."""
    params: dict[str, Any] = {"sid": f.session_id}
    parts = ["s.session_id = :sid"]
    if f.state is not None:
        params["state"] = f.state
        parts.append("s.state = :state")
    if f.unit_id is not None:
        params["unit"] = f.unit_id
        parts.append(
            "s.id IN (SELECT a.suggestion_id FROM assignments a WHERE a.unit_id = :unit AND a.until IS NULL)"
        )
    if f.overdue_at is not None:
        marks, kinds = Raw.in_list("window", sorted(WINDOW_KINDS))
        params.update(kinds, moment=f.overdue_at, open=DeadlineStatus.OPEN.value)
        parts.append(
            "s.id IN (SELECT d.suggestion_id FROM deadlines d WHERE d.status = :open "
            f"AND d.kind NOT IN {marks} AND d.due_at <= :moment)"
        )
    if f.deputy_id is not None:
        params["deputy"] = f.deputy_id
        parts.append(_deputy("deputy"))
    if f.delegation is not None:
        params["delegation"] = f.delegation
        parts.append("s.lead_deputy_id IN (SELECT p.id FROM deputies p WHERE p.delegation = :delegation)")
    if f.field is not None:
        params["field"] = f.field
        parts.append("s.field = :field")
    for flag in ("key", "between_sessions", "confidential"):
        value = getattr(f, flag)
        if value is not None:
            params[flag] = value
            parts.append(f"s.{flag} = :{flag}")
    if f.text:
        parts.append(_text(dialect, f.text, params))
    if (scope := _scope(f, params)) is not None:
        parts.append(scope)
    if f.public:
        marks, states = Raw.in_list("published", PUBLISHED)
        params.update(states)
        parts.append(f"NOT s.confidential AND s.state IN {marks}")
    return " AND ".join(parts), params


def _limits(dialect: Dialect, params: dict[str, Any], offset: int, limit: int | None) -> str:
    # no limit is LIMIT NULL on PostgreSQL and LIMIT -1 on SQLite (which takes no OFFSET without LIMIT)
    params.update(limit=limit if limit is not None else (None if dialect is POSTGRES else -1), offset=offset)
    return " LIMIT :limit OFFSET :offset"


def find(
    raw: Raw, dialect: Dialect, f: CaseFilter, *, offset: int, limit: int | None
) -> tuple[int, list[int]]:
    """How many cases ``f`` selects, and the ids of those from ``offset`` (at most ``limit``), by number."""
    if f.scope_unit_ids is not None and len(f.scope_unit_ids) == 1 and f.scope_deputy_id is None:
        (unit,) = f.scope_unit_ids
        if f == CaseFilter(session_id=f.session_id, state=f.state, scope_unit_ids=f.scope_unit_ids):
            return _unit_cases(raw, dialect, f.session_id, unit, f.state, offset=offset, limit=limit)
    clause, params = where(f, dialect)
    if f.scope_unit_ids is not None or f.scope_deputy_id is not None:
        # a party's cases (thousands at most): found once, from its assignments or its deputies, then counted and
        # sorted (walking the session's cases by number and testing each for the scope, as a planner may choose
        # for a page, reads the whole session)
        page = "SELECT id, number FROM m ORDER BY number, id" + _limits(dialect, params, offset, limit)
        rows = raw.all(
            f"WITH m AS MATERIALIZED (SELECT s.id, s.number FROM suggestions s WHERE {clause}) "
            f"SELECT c.n, p.id FROM (SELECT count(*) AS n FROM m) c LEFT JOIN ({page}) p ON 1 = 1 "
            "ORDER BY p.number, p.id",
            params,
        )
        total = int(rows[0][0])
        return total, [] if limit == 0 else [int(r[1]) for r in rows if r[1] is not None]
    if f == CaseFilter(session_id=f.session_id, public=True):
        # the whole public list: the count the triggers of migration 0018 keep, one row (counting scans every
        # published case of the session)
        kept = raw.column("SELECT cases FROM published_counts WHERE session_id = :sid", {"sid": f.session_id})
        total = int(kept[0]) if kept else 0
    else:
        total = int(raw.all(f"SELECT count(*) FROM suggestions s WHERE {clause}", params)[0][0])
    if total <= offset or limit == 0:
        return total, []
    sql = f"SELECT s.id FROM suggestions s WHERE {clause} ORDER BY s.number, s.id"
    if limit is not None or offset:
        sql += _limits(dialect, params, offset, limit)
    return total, [int(i) for i in raw.column(sql, params)]


def _unit_cases(
    raw: Raw,
    dialect: Dialect,
    session_id: int,
    unit_id: int,
    state: str | None,
    *,
    offset: int,
    limit: int | None,
) -> tuple[int, list[int]]:
    """One unit's cases of a session (in ``state``), from ``unit_cases`` (migration 0020) alone: with a state, the
    count and the page are one range of its index each, already by number; without, the unit's few thousand
    entries of the index, sorted."""
    params: dict[str, Any] = {"unit": unit_id, "sid": session_id}
    clause = "u.unit_id = :unit AND u.session_id = :sid"
    if state is not None:
        params["state"] = state
        clause += " AND u.state = :state"
    if limit == 0:
        return int(raw.all(f"SELECT count(*) FROM unit_cases u WHERE {clause}", params)[0][0]), []
    # the count and the page in one statement (one round trip fewer on every inbox)
    page = f"SELECT u.suggestion_id, u.number FROM unit_cases u WHERE {clause}"
    if limit is not None or offset:
        page += " ORDER BY u.number, u.suggestion_id" + _limits(dialect, params, offset, limit)
    rows = raw.all(
        f"SELECT c.n, p.suggestion_id FROM (SELECT count(*) AS n FROM unit_cases u WHERE {clause}) c "
        f"LEFT JOIN ({page}) p ON 1 = 1 ORDER BY p.number, p.suggestion_id",
        params,
    )
    return int(rows[0][0]), [int(r[1]) for r in rows if r[1] is not None]
