"""Per-case tallies on the case row, so that a year's summary is one pass over ``suggestions``.

The measures need, per case, facts that live in other tables: when the case was first answered, the rating
of its latest feedback, whether a unit contacted the deputy (face to face or otherwise) before that first
answer, and whether its first-round answer deadlines were met and if any of them late. Joining four tables
for a million cases takes seconds; so every action that writes a case refreshes these columns from the
tables, by the one ``SET`` list below (:func:`refresh_set`, carried by the compare-and-set of the case row),
in the action's own transaction. The tables stay the truth: the refresh derives, never counts on its own,
and ``jianyi`` upgrades recompute every case (migrations 0005 and 0006).

Columns (on ``suggestions``):

- ``first_answer_at``: the earliest answer of any round;
- ``rating``: the latest feedback's rating (by feedback id), or NULL;
- ``contact_level``: 0 no contact before the first answer, 1 a contact, 2 a face-to-face one (visit, meeting);
- ``answer_met``: 0 no first-round answer deadline met, 1 met and all on time, 2 one or more met late;
- ``main_unit_id``: the case's main unit (主办单位) as it stands, or NULL (not assigned yet, or split);
- ``answer_due_at``: when the earliest first-round answer deadline still open falls due, or NULL: the
  measures compare it with their "now" to count an answer open past its date as due and late, in the same
  pass. Whatever moves an open answer deadline (an extension, a recomputation) refreshes it.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache

from workflow.core.states import FACE_TO_FACE
from workflow.store.sql import Raw

__all__ = ["TALLIES", "derived_sql", "refresh", "refresh_set", "refresh_sql"]

CHUNK = 500  # case ids per statement


_FACE = ", ".join(f"'{m.value}'" for m in sorted(FACE_TO_FACE))
_FIRST = "(SELECT min(x.at) FROM answers x WHERE x.suggestion_id = suggestions.id)"

# each tally and the expression that derives it from the tables (in a statement on ``suggestions``: the
# subqueries read the tables by ``suggestions.id``)
TALLIES: dict[str, str] = {
    "first_answer_at": _FIRST,
    "rating": "(SELECT f.rating FROM feedback f WHERE f.suggestion_id = suggestions.id ORDER BY f.id DESC LIMIT 1)",
    "contact_level": "COALESCE((SELECT max(CASE WHEN c.method IN "
    f"({_FACE}) THEN 2 ELSE 1 END) FROM contacts c WHERE c.suggestion_id = suggestions.id "
    f"AND c.at <= {_FIRST}), 0)",
    "answer_met": "COALESCE((SELECT max(CASE WHEN d.late THEN 2 ELSE 1 END) FROM deadlines d "
    "WHERE d.suggestion_id = suggestions.id AND d.kind = 'answer' AND d.round = 1 AND d.status = 'met'), 0)",
    "main_unit_id": "(SELECT min(a.unit_id) FROM assignments a WHERE a.suggestion_id = suggestions.id "
    "AND a.until IS NULL AND a.role = 'main')",
    # status inside the aggregate: as a condition, SQLite would walk the (status, due_at) index for the minimum
    "answer_due_at": "(SELECT min(CASE WHEN d.status = 'open' THEN d.due_at END) FROM deadlines d "
    "WHERE d.suggestion_id = suggestions.id AND d.kind = 'answer' AND d.round = 1)",
}


@cache
def refresh_set() -> str:
    """The ``SET`` list that recomputes a case's tallies (in an ``UPDATE suggestions``: the subqueries read the
    tables by ``suggestions.id``; the compare-and-set of a flushed case carries it, so that an action writes its
    case row once)."""
    return ", ".join(f"{column} = {expression}" for column, expression in TALLIES.items())


@cache
def derived_sql(where: str) -> str:
    """Each case's id, its tallies as stored and as the tables give them now (``derived_`` + the column), for
    the cases ``where`` selects (the audit check compares them)."""
    stored = ", ".join(TALLIES)
    derived = ", ".join(f"{expression} AS derived_{column}" for column, expression in TALLIES.items())
    return f"SELECT id, {stored}, {derived} FROM suggestions WHERE {where}"


@cache
def refresh_sql(where: str) -> str:
    """The refresh statement for the cases ``where`` selects (a condition on ``suggestions``)."""
    return f"UPDATE suggestions SET {refresh_set()} WHERE {where}"


def refresh(raw: Raw, ids: Iterable[int]) -> None:
    """Recompute the tallies of the cases ``ids`` from the tables."""
    pending = sorted(set(ids))
    for start in range(0, len(pending), CHUNK):
        marks, params = Raw.in_list("t", pending[start : start + CHUNK])
        raw.run(refresh_sql(f"id IN {marks}"), params)
