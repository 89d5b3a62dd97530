"""B follow-up (回头看): the yearly progress letter to each deputy whose B answers are still being worked on.

A letter lists the deputy's cases whose current class is a promise class (B), each with its promises (text,
promised date, status) and the latest progress note (``jianyi progress``). It is an outbox notice keyed by
deputy and year, so writing the letters twice in a year writes nothing the second time.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from workflow.core.unit_of_work import outbox_row
from workflow.store.sql import Raw, as_date, as_instant

if TYPE_CHECKING:
    from workflow.engine import Engine

__all__ = ["PromisedCase", "progress_letters", "promised_cases"]

_STATUS = {"open": "正在落实", "done": "已完成", "cancelled": "已取消"}


@dataclass(frozen=True, slots=True)
class PromisedCase:
    """A case answered with a promise class (B): its promises, latest progress note and last conversion."""

    id: int
    session: str
    number: str
    title: str
    deputy_id: int
    unit: str  # the main (or first split) unit, "" when none
    category: str
    current_category: str
    promises: tuple[dict[str, str], ...]  # text, due (ISO date), status (Chinese)
    note: str = ""
    note_on: str = ""
    converted_on: str = ""


def promised_cases(engine: Engine, where: str, params: dict[str, Any]) -> list[PromisedCase]:
    """The cases ``where`` selects (SQL on ``s`` suggestions and ``se`` sessions) that were answered with a
    promise class, with their promises, notes and conversions: four queries per 500 cases. The office's."""
    engine.require_office("letters")
    rs = engine.active_ruleset()
    promise = ", ".join(f"'{c}'" for c in rs.lifecycle.promise_classes) or "''"

    def day(value: Any) -> str:
        instant = as_instant(value)
        return instant.astimezone(rs.zone).date().isoformat() if instant else ""

    with engine.db.reading() as conn:
        raw = Raw(conn)
        cases = raw.all(
            "SELECT s.id, se.name, s.number, s.title, s.lead_deputy_id, "
            "(SELECT u.name FROM assignments a JOIN units u ON u.id = a.unit_id WHERE a.suggestion_id = s.id "
            "AND a.until IS NULL AND a.role IN ('main', 'split') ORDER BY a.id LIMIT 1), s.category, "
            "s.current_category FROM suggestions s JOIN sessions se ON se.id = s.session_id "
            f"WHERE {where} AND s.category IN ({promise}) ORDER BY se.name, s.number",
            params,
        )
        ids = [c[0] for c in cases]
        promises: dict[int, list[dict[str, str]]] = {}
        notes: dict[int, tuple[str, str]] = {}
        converted: dict[int, str] = {}
        for chunk in range(0, len(ids), 500):
            marks, ps = Raw.in_list("i", ids[chunk : chunk + 500])
            for sid, text, due, status in raw.all(
                f"SELECT suggestion_id, text, due, status FROM promises WHERE suggestion_id IN {marks} ORDER BY id",
                ps,
            ):
                promises.setdefault(sid, []).append(
                    {"text": text, "due": as_date(due).isoformat(), "status": _STATUS.get(status, status)}
                )
            for sid, data, at in raw.all(
                "SELECT suggestion_id, data, at FROM audit_events WHERE action = 'progress' "
                f"AND suggestion_id IN {marks} ORDER BY suggestion_id, seq",
                ps,
            ):
                notes[sid] = (json.loads(data)["note"], day(at))
            for sid, at in raw.all(
                f"SELECT suggestion_id, max(at) FROM conversions WHERE suggestion_id IN {marks} GROUP BY suggestion_id",
                ps,
            ):
                converted[sid] = day(at)
    return [
        PromisedCase(
            cid,
            session,
            number,
            title,
            deputy,
            unit or "",
            category,
            current,
            tuple(promises.get(cid, [])),
            *notes.get(cid, ("", "")),
            converted.get(cid, ""),
        )
        for cid, session, number, title, deputy, unit, category, current in cases
    ]


def progress_letters(engine: Engine, *, year: int, now: datetime | None = None) -> tuple[int, int]:
    """Write this year's progress letters; returns (letters written, deputies who had theirs already)."""
    engine.require_office("letters")
    moment = now or engine.clock.now()
    promise = ", ".join(f"'{c}'" for c in engine.active_ruleset().lifecycle.promise_classes) or "''"
    letters: dict[int, list[dict[str, Any]]] = {}
    for case in promised_cases(
        engine,
        f"se.congress_id = :c AND s.current_category IN ({promise}) AND s.state <> 'withdrawn'",
        {"c": engine.congress_id},
    ):
        letters.setdefault(case.deputy_id, []).append(
            {
                "number": case.number,
                "session": case.session,
                "title": case.title,
                "unit": case.unit,
                "promises": list(case.promises),
                "note": case.note,
                "note_on": case.note_on,
            }
        )
    keys = {deputy: f"progress-letter:{engine.congress_id}:{deputy}:{year}" for deputy in letters}
    with engine.db.transaction() as conn:
        raw = Raw(conn)
        sent: set[str] = set()
        wanted = list(keys.values())
        for chunk in range(0, len(wanted), 500):
            marks, params = Raw.in_list("k", wanted[chunk : chunk + 500])
            sent.update(raw.column(f"SELECT key FROM outbox WHERE key IN {marks}", params))
        raw.insert_many(
            "outbox",
            [
                outbox_row(
                    keys[deputy],
                    None,
                    "progress_letter",
                    "deputy",
                    deputy,
                    {"year": year, "items": items},
                    moment,
                )
                for deputy, items in letters.items()
                if keys[deputy] not in sent
            ],
        )
    had = len(sent)
    return len(letters) - had, had
