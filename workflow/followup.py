"""B follow-up (回头看): the yearly progress letter to each deputy whose B answers are still being worked on.

A letter lists the deputy's cases whose current class is a promise class (B), each with its promises (text,
promised date, status) and the latest progress note (``jianyi progress``). It is an outbox notice keyed by
deputy and year, so writing the letters twice in a year writes nothing the second time.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import TYPE_CHECKING, Any

from workflow._sql import Raw, as_date, as_instant
from workflow.audit import canonical

if TYPE_CHECKING:
    from workflow.engine import Engine

__all__ = ["progress_letters"]

_STATUS = {"open": "正在落实", "done": "已完成", "cancelled": "已取消"}


def progress_letters(engine: Engine, *, year: int, now: datetime | None = None) -> tuple[int, int]:
    """Write this year's progress letters; returns (letters written, deputies who had theirs already)."""
    moment = now or engine.clock.now()
    rs = engine.active_ruleset()
    promise = ", ".join(f"'{c}'" for c in rs.lifecycle.promise_classes) or "''"
    with engine._reading() as conn:
        raw = Raw(conn)
        cases = raw.all(
            "SELECT s.id, s.number, se.name, s.title, s.lead_deputy_id, "
            "(SELECT u.name FROM assignments a JOIN units u ON u.id = a.unit_id WHERE a.suggestion_id = s.id "
            "AND a.until IS NULL AND a.role IN ('main', 'split') ORDER BY a.id LIMIT 1) "
            "FROM suggestions s JOIN sessions se ON se.id = s.session_id "
            f"WHERE se.congress_id = :c AND s.current_category IN ({promise}) AND s.state <> 'withdrawn' "
            "ORDER BY se.name, s.number",
            {"c": engine.congress_id},
        )
        ids = [c[0] for c in cases]
        promises: dict[int, list[dict[str, str]]] = {}
        notes: dict[int, tuple[str, str]] = {}
        for chunk in range(0, len(ids), 500):
            marks, params = Raw.in_list("i", ids[chunk : chunk + 500])
            for sid, text, due, status in raw.all(
                f"SELECT suggestion_id, text, due, status FROM promises WHERE suggestion_id IN {marks} ORDER BY id",
                params,
            ):
                promises.setdefault(sid, []).append(
                    {"text": text, "due": as_date(due).isoformat(), "status": _STATUS.get(status, status)}
                )
            for sid, data, at in raw.all(
                f"SELECT suggestion_id, data, at FROM audit_events WHERE action = 'progress' AND suggestion_id IN {marks} "
                "ORDER BY suggestion_id, seq",
                params,
            ):
                instant = as_instant(at)
                day = instant.astimezone(rs.zone).date().isoformat() if instant else ""
                notes[sid] = (json.loads(data)["note"], day)
    letters: dict[int, list[dict[str, Any]]] = {}
    for cid, number, session, title, deputy, unit in cases:
        note, note_on = notes.get(cid, ("", ""))
        letters.setdefault(deputy, []).append(
            {
                "number": number,
                "session": session,
                "title": title,
                "unit": unit or "",
                "promises": promises.get(cid, []),
                "note": note,
                "note_on": note_on,
            }
        )
    written = had = 0
    with engine._action() as conn:
        raw = Raw(conn)
        for deputy, items in letters.items():
            key = f"progress-letter:{engine.congress_id}:{deputy}:{year}"
            if raw.column("SELECT id FROM outbox WHERE key = :key", {"key": key}):
                had += 1
                continue
            raw.insert(
                "outbox",
                {
                    "key": key,
                    "suggestion_id": None,
                    "topic": "progress_letter",
                    "recipient_kind": "deputy",
                    "recipient_id": deputy,
                    "payload": canonical({"year": year, "items": items}),
                    "status": "pending",
                    "attempts": 0,
                    "created_at": moment,
                    "available_at": moment,
                },
            )
            written += 1
    return written, had
