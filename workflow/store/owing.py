"""The read side's obligations: what is due and owed (a unit's inbox), the tally, what waits for the office's
decision (hand-backs, extensions, answers held for review) and the cases a unit has not signed for; and what
every read starts from (the congress's tables, the clock, the reader whose scope each read keeps to).

:class:`~workflow.store.queries.Queries` reads cases on top of it.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import Connection

from rules.i18n import _
from workflow.core.clock import Clock, ensure_utc
from workflow.core.errors import PermissionDenied
from workflow.core.machine import allowed_actions
from workflow.core.states import Action, State
from workflow.core.views import (
    WINDOW_KINDS,
    Actor,
    DueItem,
    ExtensionRequestInfo,
    OwedItem,
    OwedPage,
    PendingReturn,
    ReviewInfo,
)
from workflow.store.database import Database
from workflow.store.directory import Directory
from workflow.store.rulesets import RuleSets
from workflow.store.scope import Scope, scope_of
from workflow.store.sql import Raw, as_date, as_instant

__all__ = ["Owing"]


class Owing:
    """What one reader may read of what is owed in one congress (:class:`~workflow.store.queries.Queries` is the
    whole read side)."""

    def __init__(
        self, db: Database, directory: Directory, rules: RuleSets, clock: Clock, viewer: Actor | None = None
    ) -> None:
        self.db = db
        self.directory = directory
        self.rules = rules
        self.clock = clock
        self.viewer = viewer or Actor.office()  # whose scope every read keeps to (workflow.store.scope)

    def scope(self, conn: Connection) -> Scope:
        """The cases :attr:`viewer` may see."""
        return scope_of(conn, self.directory, self.viewer)

    def _not_public(self, what: str) -> None:
        """Refuse ``what`` to the public, who read the public view alone (:meth:`published`)."""
        if self.viewer.is_public:
            raise PermissionDenied(
                case=None,
                actor=str(self.viewer),
                action=what,
                reason=_("the public reads the published view alone"),
            )

    def due(
        self,
        *,
        within: timedelta = timedelta(days=7),
        unit: str | None = None,
        now: datetime | None = None,
        session: str | None = None,
        limit: int = 1000,
    ) -> list[DueItem]:
        """Open obligations due before ``now + within`` (overdue ones first), from the deadline index."""
        self._not_public("due")
        moment = ensure_utc(now or self.clock.now())
        windows, kinds = Raw.in_list("w", sorted(WINDOW_KINDS))
        with self.db.reading() as conn:
            raw = Raw(conn)
            sql = (
                "SELECT s.number, se.name, s.title, d.kind, d.unit_id, d.due, d.due_at, d.provisional "
                "FROM deadlines d JOIN suggestions s ON s.id = d.suggestion_id "
                "JOIN sessions se ON se.id = s.session_id "
                f"WHERE d.status = 'open' AND d.due_at <= :until AND d.kind NOT IN {windows} "
                "AND se.congress_id = :c"
            )
            params: dict[str, Any] = {"until": moment + within, "c": self.directory.congress_id, **kinds}
            if session is not None:
                params["sid"] = self.directory.session_id(conn, session)
                sql += " AND s.session_id = :sid"
            sql += self._owing(conn, unit, params)
            rows = raw.all(sql + " ORDER BY d.due_at, s.number LIMIT :limit", {**params, "limit": limit})
            return [
                DueItem(
                    number=r[0],
                    session=r[1],
                    title=r[2],
                    kind=r[3],
                    unit=self.directory.unit_name(conn, r[4]) if r[4] is not None else None,
                    due=as_date(r[5]),
                    due_at=as_instant(r[6]) or moment,
                    provisional=bool(r[7]),
                    overdue=(as_instant(r[6]) or moment) <= moment,
                )
                for r in rows
            ]

    def _owing(self, conn: Connection, unit: str | None, params: dict[str, Any]) -> str:
        """The conditions on the deadline ``d`` of the case ``s``: owed by ``unit`` (None: anyone), within the
        reader's scope — a unit sees what it owes; a deputy the feedback owed on what they lead."""
        sql = ""
        if unit is not None:
            params["unit"] = self.directory.unit_id(conn, unit)
            sql += " AND d.unit_id = :unit"
        scope = self.scope(conn)
        if scope.unit_id is not None:
            params["scope_unit"] = scope.unit_id
            sql += " AND d.unit_id = :scope_unit"
        if scope.deputy_id is not None:
            params["scope_deputy"] = scope.deputy_id
            sql += " AND d.unit_id IS NULL AND s.lead_deputy_id = :scope_deputy"
        return sql

    def owed(
        self,
        kinds: Collection[str],
        *,
        soon: date,
        unit: str | None = None,
        now: datetime | None = None,
        offset: int = 0,
        limit: int = 200,
    ) -> OwedPage:
        """One page of the open deadlines of ``kinds`` (of every session of the congress, however far off), the
        most urgent first: by last day, 重点督办 first on the same day, then session, number and kind; with
        counts of them all (overdue at ``now``; not overdue and due by the day ``soon``; on key cases)."""
        self._not_public("owed")
        moment = ensure_utc(now or self.clock.now())
        listed, names = Raw.in_list("k", sorted(kinds))
        if not names:
            return OwedPage(0, 0, 0, 0, offset, limit, ())
        with self.db.reading() as conn:
            raw = Raw(conn)
            params: dict[str, Any] = {"c": self.directory.congress_id, "now": moment, "soon": soon, **names}
            source = (
                "FROM deadlines d JOIN suggestions s ON s.id = d.suggestion_id "
                "JOIN sessions se ON se.id = s.session_id "
                f"WHERE d.status = 'open' AND d.kind IN {listed} AND se.congress_id = :c"
            ) + self._owing(conn, unit, params)
            counts = raw.all(
                "SELECT count(*), "
                "coalesce(sum(CASE WHEN d.due_at <= :now THEN 1 ELSE 0 END), 0), "
                "coalesce(sum(CASE WHEN d.due_at > :now AND d.due <= :soon THEN 1 ELSE 0 END), 0), "
                f"coalesce(sum(CASE WHEN s.key THEN 1 ELSE 0 END), 0) {source}",
                params,
            )[0]
            text = ' COLLATE "C"' if raw.postgres else ""  # by code point, on either database
            rows = raw.all(
                "SELECT s.number, se.name, s.title, d.kind, d.due, d.due_at, d.provisional, s.key "
                f"{source} ORDER BY d.due, CASE WHEN s.key THEN 0 ELSE 1 END, se.name{text}, s.number{text}, "
                f"d.kind{text}, d.id LIMIT :limit OFFSET :offset",
                {**params, "limit": limit, "offset": offset},
            )
        items = []
        for r in rows:
            due_at = as_instant(r[5]) or moment
            items.append(
                OwedItem(
                    number=r[0],
                    session=r[1],
                    title=r[2],
                    kind=r[3],
                    due=as_date(r[4]),
                    due_at=due_at,
                    provisional=bool(r[6]),
                    overdue=due_at <= moment,
                    key=bool(r[7]),
                )
            )
        total, overdue, soon_count, key = (int(v) for v in counts)
        return OwedPage(total, overdue, soon_count, key, offset, limit, tuple(items))

    def tally(self, *, session: str | None = None) -> dict[tuple[str, str | None], int]:
        """How many cases of the session are in each (state, field)."""
        with self.db.reading() as conn:
            sid = self.directory.session_id(conn, session)
            rows = Raw(conn).all(
                "SELECT state, field, count(*) FROM suggestions WHERE session_id = :sid GROUP BY state, field",
                {"sid": sid},
            )
            return {(str(r[0]), r[1]): int(r[2]) for r in rows}

    def pending_returns(self, *, session: str | None = None, limit: int = 1000) -> list[PendingReturn]:
        """Hand-back requests waiting for a decision, oldest first (of every session, or of ``session``)."""
        with self.db.reading() as conn:
            sql = (
                "SELECT s.number, se.name, s.title, r.unit_id, r.reason, r.at "
                "FROM return_requests r JOIN suggestions s ON s.id = r.suggestion_id "
                "JOIN sessions se ON se.id = s.session_id "
                "WHERE r.status = 'pending' AND se.congress_id = :c"
            )
            params: dict[str, Any] = {"c": self.directory.congress_id, "limit": limit}
            if session is not None:
                params["sid"] = self.directory.session_id(conn, session)
                sql += " AND s.session_id = :sid"
            rows = Raw(conn).all(sql + " ORDER BY r.at, r.id LIMIT :limit", params)
            return [
                PendingReturn(
                    number=r[0],
                    session=r[1],
                    title=r[2],
                    unit=self.directory.unit_name(conn, r[3]),
                    reason=r[4],
                    at=as_instant(r[5]) or self.clock.now(),
                )
                for r in rows
            ]

    def _pending(
        self,
        conn: Connection,
        select: str,
        table: str,
        *,
        unit: str | None,
        session: str | None,
        deputies: bool,
        limit: int,
    ) -> list[Any]:
        """The pending rows of a request table (``r``) with their case (``s``) and session (``se``), oldest first:
        of ``session``, of ``unit``, and within the reader's scope (a unit its own; a deputy those on the cases
        they lead when ``deputies``, else none)."""
        scope = self.scope(conn)
        if scope.deputy_id is not None and not deputies:
            return []
        sql = (
            f"SELECT {select} FROM {table} r JOIN suggestions s ON s.id = r.suggestion_id "
            "JOIN sessions se ON se.id = s.session_id WHERE r.status = 'pending' AND se.congress_id = :c"
        )
        params: dict[str, Any] = {"c": self.directory.congress_id, "limit": limit}
        if session is not None:
            params["sid"] = self.directory.session_id(conn, session)
            sql += " AND s.session_id = :sid"
        if unit is not None:
            params["unit"] = self.directory.unit_id(conn, unit)
            sql += " AND r.unit_id = :unit"
        if scope.unit_id is not None:
            params["scope_unit"] = scope.unit_id
            sql += " AND r.unit_id = :scope_unit"
        if scope.deputy_id is not None:
            params["scope_deputy"] = scope.deputy_id
            sql += " AND s.lead_deputy_id = :scope_deputy"
        return Raw(conn).all(sql + " ORDER BY r.at, s.number LIMIT :limit", params)

    @staticmethod
    def _answer_due(kinds: str) -> str:
        """The column: the unit's earliest open deadline of ``kinds`` on the case (the answer it owes)."""
        return (
            "(SELECT min(d.due) FROM deadlines d WHERE d.suggestion_id = s.id AND d.unit_id = r.unit_id "
            f"AND d.kind IN ({kinds}) AND d.status = 'open')"
        )

    def pending_extensions(
        self, *, unit: str | None = None, session: str | None = None, limit: int = 1000
    ) -> list[ExtensionRequestInfo]:
        """The extension requests waiting for the office's decision, oldest first (of ``unit``, of ``session``;
        a unit sees its own, a deputy those on the suggestions they lead)."""
        found = self._queue("extension_requests", "reason", "'answer'", True, unit, session, limit)
        return [ExtensionRequestInfo(**item) for item in found]

    def pending_reviews(
        self, *, unit: str | None = None, session: str | None = None, limit: int = 1000
    ) -> list[ReviewInfo]:
        """The answers waiting for the office's review (答复审核), oldest first (of ``unit``, of ``session``); a
        unit sees its own, a deputy none."""
        found = self._queue(
            "answer_reviews", "category", "'answer', 're_answer'", False, unit, session, limit
        )
        return [ReviewInfo(**item) for item in found]

    def _queue(
        self,
        table: str,
        column: str,
        kinds: str,
        deputies: bool,
        unit: str | None,
        session: str | None,
        limit: int,
    ) -> list[dict[str, Any]]:
        """The pending requests of ``table`` as the fields of their views: the case, the unit, ``column`` of the
        request, when it was made, and the answer's due date (of the deadline ``kinds``)."""
        with self.db.reading() as conn:
            select = f"s.number, se.name, s.title, r.unit_id, r.{column}, r.at, " + self._answer_due(kinds)
            rows = self._pending(
                conn, select, table, unit=unit, session=session, deputies=deputies, limit=limit
            )
            return [
                {
                    "number": r[0],
                    "session": r[1],
                    "title": r[2],
                    "unit": self.directory.unit_name(conn, r[3]),
                    column: r[4],
                    "at": as_instant(r[5]) or self.clock.now(),
                    "answer_due": as_date(r[6]) if r[6] is not None else None,
                }
                for r in rows
            ]

    def unreceived(self) -> set[tuple[str, str]]:
        """(session, number) of the cases the viewer's unit holds a part of and has not signed for (签收) while
        the case may still be signed for; empty for anyone but a unit."""
        with self.db.reading() as conn:
            scope = self.scope(conn)
            if scope.unit_id is None:
                return set()
            # the states the machine lets a unit sign in (constants of the table, not input)
            states = ", ".join(f"'{st.value}'" for st in State if Action.RECEIVE in allowed_actions(st))
            # the unit's cases in those states from the index of unit_cases (migration 0020) alone, then their
            # open assignments of the unit and receipts
            rows = Raw(conn).all(
                "SELECT se.name, u.number FROM unit_cases u JOIN sessions se ON se.id = u.session_id "
                "JOIN assignments a ON a.unit_id = u.unit_id AND a.suggestion_id = u.suggestion_id "
                "LEFT JOIN receipts r ON r.suggestion_id = a.suggestion_id AND r.unit_id = a.unit_id "
                "AND r.assigned_at = a.since "
                "WHERE u.unit_id = :unit AND a.until IS NULL AND r.id IS NULL AND se.congress_id = :c "
                f"AND u.state IN ({states})",
                {"unit": scope.unit_id, "c": self.directory.congress_id},
            )
            return {(str(r[0]), str(r[1])) for r in rows}
