"""What entering an action after the fact reads: a case's audit events and its deadlines' ladder positions."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from workflow.core.views import HistoryEntry
from workflow.store.sql import Raw, as_date, as_instant

__all__ = ["LadderDeadline", "case_events", "ladder_deadlines", "suppress_step_notices"]


@dataclass(frozen=True, slots=True)
class LadderDeadline:
    """A deadline with what the reminder ladder needs of it."""

    id: int
    kind: str
    round: int
    due: date
    due_at: datetime
    status: str


def case_events(raw: Raw, case_id: int) -> list[HistoryEntry]:
    """Every audit event of the case, in order."""
    found = []
    for seq, at, recorded_at, actor, action, source, target, round_, data in raw.all(
        "SELECT seq, at, recorded_at, actor, action, from_state, to_state, round, data FROM audit_events "
        "WHERE suggestion_id = :c ORDER BY seq",
        {"c": case_id},
    ):
        instant, recorded = as_instant(at), as_instant(recorded_at)
        assert instant is not None
        assert recorded is not None
        found.append(
            HistoryEntry(
                int(seq),
                instant,
                recorded,
                actor,
                action,
                source,
                target,
                int(round_),
                json.loads(data) if data else {},
            )
        )
    return found


def ladder_deadlines(raw: Raw, case_id: int) -> list[LadderDeadline]:
    """The case's deadlines (every status), in order."""
    found = []
    for row_id, kind, round_, due, due_at, status in raw.all(
        "SELECT id, kind, round, due, due_at, status FROM deadlines WHERE suggestion_id = :c ORDER BY id",
        {"c": case_id},
    ):
        instant = as_instant(due_at)
        assert instant is not None
        found.append(LadderDeadline(int(row_id), kind, int(round_), as_date(due), instant, status))
    return found


def suppress_step_notices(raw: Raw, case_id: int, since: datetime) -> tuple[str, dict[str, Any]]:
    """The statement (run at flush) that suppresses the case's reminder-step notices written since ``since``
    and not yet sent: their steps were superseded (``workflow.backfill``)."""
    sql = (
        "UPDATE outbox SET status = 'suppressed', reason = :why WHERE suggestion_id = :c "
        "AND status IN ('pending', 'failed') AND key LIKE 'step:%' AND created_at >= :since"
    )
    why = "superseded: an action entered later is dated before this step"
    return sql, {"why": why, "c": case_id, "since": raw.value(since)}
