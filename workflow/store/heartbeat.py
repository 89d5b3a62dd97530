"""The reminder daemon's pulse: when a congress's sweep last ran, and how its outbox stands (``jianyi status``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from workflow.core.clock import ensure_utc
from workflow.store.outbox import _OF_CONGRESS, HasDatabase
from workflow.store.sql import Raw, as_instant

__all__ = ["OutboxHealth", "health", "mark_swept"]


@dataclass(frozen=True, slots=True)
class OutboxHealth:
    """The last sweep and the outbox's counts for one congress."""

    last_sweep: datetime | None
    backlog: int  # pending, failed (to retry) or being sent
    due: int  # of the backlog, due now (not held for working hours or a retry)
    oldest_due: datetime | None  # when the oldest of those became due
    dead: int
    suppressed: int

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return {
            "last_sweep": self.last_sweep.isoformat() if self.last_sweep else None,
            "backlog": self.backlog,
            "due": self.due,
            "oldest_due": self.oldest_due.isoformat() if self.oldest_due else None,
            "dead": self.dead,
            "suppressed": self.suppressed,
        }


def mark_swept(engine: HasDatabase, at: datetime) -> None:
    """Record that the congress's sweep ran at ``at`` (the clock's time, never a --now in the past)."""
    with engine.db.transaction() as conn:
        Raw(conn).run(
            "UPDATE congresses SET last_swept_at = :at WHERE id = :congress",
            {"at": ensure_utc(at, what="sweep time"), "congress": engine.congress_id},
        )


def health(engine: HasDatabase, now: datetime) -> OutboxHealth:
    """The last sweep and the outbox's backlog, dead and suppressed notices at ``now``."""
    engine.require_office("status")
    params = {"congress": engine.congress_id, "now": ensure_utc(now, what="now")}
    with engine.db.reading() as conn:
        raw = Raw(conn)
        swept = raw.all("SELECT last_swept_at FROM congresses WHERE id = :congress", params)
        [(backlog, due, oldest, dead, suppressed)] = raw.all(
            "SELECT "
            "COALESCE(SUM(CASE WHEN o.status IN ('pending', 'failed', 'sending') THEN 1 ELSE 0 END), 0), "
            "COALESCE(SUM(CASE WHEN o.status IN ('pending', 'failed') AND o.available_at <= :now "
            "THEN 1 ELSE 0 END), 0), "
            "MIN(CASE WHEN o.status IN ('pending', 'failed') AND o.available_at <= :now "
            "THEN o.available_at END), "
            "COALESCE(SUM(CASE WHEN o.status = 'dead' THEN 1 ELSE 0 END), 0), "
            "COALESCE(SUM(CASE WHEN o.status = 'suppressed' THEN 1 ELSE 0 END), 0) "
            f"{_OF_CONGRESS}",
            params,
        )
    return OutboxHealth(
        last_sweep=as_instant(swept[0][0]) if swept else None,
        backlog=int(backlog),
        due=int(due),
        oldest_due=as_instant(oldest),
        dead=int(dead),
        suppressed=int(suppressed),
    )
