"""Stored rule sets and official calendars: every version a case was ever pinned to, read once and cached."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from sqlalchemy import Connection

from rules import RuleError, RuleSet, YearSchedule, ruleset_from_data
from workflow.core.audit import canonical
from workflow.core.errors import NotFound, ValidationError
from workflow.store.database import Database
from workflow.store.sql import Raw

__all__ = ["RuleSets"]


class RuleSets:
    """The rule sets and calendar years of one database, cached (stored versions never change)."""

    def __init__(self, db: Database, congress_id: int) -> None:
        self.db = db
        self.congress_id = congress_id
        self._cache: dict[tuple[str, int], RuleSet] = {}
        self._schedules: dict[int, YearSchedule] | None = None

    def get(self, conn: Connection | None, rule_id: str, version: int) -> RuleSet:
        """A stored rule set version, with the loaded official schedules."""
        key = (rule_id, version)
        found = self._cache.get(key)
        if found is None:
            with self.db.reading(conn) as c:
                stored = Raw(c).column(
                    "SELECT data FROM rulesets WHERE rule_id = :id AND version = :v",
                    {"id": rule_id, "v": version},
                )
            if not stored:
                raise NotFound(kind="rule set", name=f"{rule_id}@{version}")
            found = ruleset_from_data(json.loads(stored[0]), f"stored rule set {rule_id}@{version}")
            found = found.with_schedules(self.calendar_years(conn))
            self._cache[key] = found
        return found

    def active(self, conn: Connection | None = None) -> RuleSet:
        """The rule set new assignments are pinned to."""
        with self.db.reading(conn) as c:
            row = Raw(c).one(
                "SELECT ruleset_id, ruleset_version FROM congresses WHERE id = :id", {"id": self.congress_id}
            )
            assert row is not None
            return self.get(c, row["ruleset_id"], row["ruleset_version"])

    def calendar_years(self, conn: Connection | None = None) -> dict[int, YearSchedule]:
        """The official schedules loaded into this database, by year."""
        if self._schedules is None:
            with self.db.reading(conn) as c:
                rows = Raw(c).all("SELECT year, data FROM calendar_years ORDER BY year")
            self._schedules = {int(y): YearSchedule.model_validate(json.loads(d)) for y, d in rows}
        return self._schedules

    def forget(self) -> None:
        """Drop the caches (after a calendar or rule set was loaded)."""
        self._cache.clear()
        self._schedules = None

    def store_calendar(self, conn: Connection, schedule: YearSchedule, now: datetime) -> None:
        """Store (or replace) one year's official schedule."""
        raw = Raw(conn)
        raw.run("DELETE FROM calendar_years WHERE year = :y", {"y": schedule.year})
        data = canonical(schedule.model_dump(mode="json"))
        raw.insert_many(
            "calendar_years",
            [{"year": schedule.year, "source": schedule.source, "data": data, "loaded_at": now}],
        )
        self.forget()

    def make_active(self, conn: Connection, rs: RuleSet, now: datetime) -> None:
        """Store ``rs`` (a new version, or the same content again) and pin the congress to it."""
        store(conn, rs, now, newer_only=True)
        Raw(conn).run(
            "UPDATE congresses SET ruleset_id = :id, ruleset_version = :v WHERE id = :c",
            {"id": rs.id, "v": rs.version, "c": self.congress_id},
        )
        self._cache.clear()


def _as_read(stored: str, rs: RuleSet) -> Any:
    """A stored rule set as the engine reads it (a setting added since it was stored takes its default, as
    on every read), in the form it is stored in; the raw JSON when this version cannot read it."""
    try:
        return ruleset_from_data(json.loads(stored), f"stored rule set {rs.id}@{rs.version}").model_dump(
            mode="json"
        )
    except RuleError:
        return json.loads(stored)


def store(conn: Connection, rs: RuleSet, now: datetime, *, newer_only: bool = False) -> None:
    """Store rule set ``rs``; the same id and version with other content is refused, and with ``newer_only``
    so is a version older than the newest stored."""
    raw = Raw(conn)
    data = canonical(rs.model_dump(mode="json"))
    stored = raw.column(
        "SELECT data FROM rulesets WHERE rule_id = :id AND version = :v", {"id": rs.id, "v": rs.version}
    )
    newest = raw.column("SELECT max(version) FROM rulesets WHERE rule_id = :id", {"id": rs.id})[0]
    if stored and _as_read(stored[0], rs) != json.loads(data):
        msg = (
            f"rule set {rs.id}@{rs.version} is stored with other content; give the changed rule set "
            f"a new version (newest stored: {newest})"
        )
        raise ValidationError(msg)
    if stored:
        return
    if newer_only and newest is not None and rs.version < int(newest):
        msg = f"rule set {rs.id}@{rs.version} is older than the stored {rs.id}@{newest}"
        raise ValidationError(msg)
    raw.insert_many("rulesets", [{"rule_id": rs.id, "version": rs.version, "data": data, "loaded_at": now}])
