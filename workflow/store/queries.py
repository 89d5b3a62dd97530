"""The read side: cases with their units and deadlines, listings, what is due, histories, audit checks.

SQLAlchemy Core over the tables; names come from the directory's caches.
"""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import datetime, tzinfo
from typing import Any

from sqlalchemy import Connection, select

from rules import DeadlineKind
from rules.i18n import _
from workflow.core.audit import superseded
from workflow.core.clock import ensure_utc
from workflow.core.dossier import Dossier
from workflow.core.errors import NotFound, ValidationError
from workflow.core.machine import next_actions
from workflow.core.public import Disclosure, PublicCase, PublicPage
from workflow.core.states import Action, ActorKind, Role, State
from workflow.core.views import (
    Actor,
    Case,
    CasePage,
    ConversionInfo,
    DeadlineExplained,
    DeadlineInfo,
    HistoryEntry,
)
from workflow.store.dossier import read_dossier
from workflow.store.models import (
    Assignment,
    AuditEvent,
    Suggestion,
    table,
)
from workflow.store.owing import Owing
from workflow.store.search import CaseFilter, find
from workflow.store.sql import Raw, as_date, as_instant

__all__ = ["MAX_TEXT", "Queries"]

# the steps of an answer's review (答复审核), which the deputy's history leaves out
_REVIEW_STEPS = frozenset(
    {Action.SUBMIT_ANSWER.value, Action.APPROVE_ANSWER.value, Action.RETURN_ANSWER.value}
)

MAX_TEXT = 200  # the longest text a search looks for

SUGGESTIONS = table(Suggestion)
ASSIGNMENTS = table(Assignment)
AUDIT = table(AuditEvent)


# each state's next steps as the case's JSON lists them (built once: an enum's value is a property, and a page of
# 50 cases read it 700 times)
_ALLOWED = {state.value: tuple(a.value for a in next_actions(state)) for state in State}


def _state(state: State | str) -> str:
    try:
        return State(state).value
    except ValueError:
        msg = f"state {state!r} unknown: use {', '.join(s.value for s in State)}"
        raise ValidationError(msg) from None


def _never(row: object) -> datetime:
    """A NOT NULL instant read as NULL: the database does not hold what the schema says."""
    msg = f"an instant the schema requires is missing: {row!r}"
    raise ValueError(msg)


class Queries(Owing):
    """What can be read of the cases of one congress."""

    def public(self) -> Queries:
        """These queries as the public reads them (:mod:`workflow.store.scope`: the published cases alone)."""
        return Queries(self.db, self.directory, self.rules, self.clock, Actor.public())

    def get(self, number: str, *, session: str | None = None) -> Case:
        """One case with its units and deadlines."""
        self._not_public("get")
        with self.db.reading() as conn:
            return self._one(conn, number, session)

    def dossier(self, number: str, *, session: str | None = None) -> Dossier:
        """The case and everything it holds (:mod:`workflow.core.dossier`), read in one transaction."""
        self._not_public("dossier")
        with self.db.reading() as conn:
            return read_dossier(conn, self.directory, self._one(conn, number, session), self.viewer)

    def published(
        self, number: str, *, zone: tzinfo, session: str | None = None, disclosure: Disclosure | None = None
    ) -> PublicCase:
        """The public view of a published case (:mod:`workflow.core.public`), whoever reads; any other case is
        "not found", as a number that does not exist."""
        mine = self if self.viewer.is_public else self.public()
        with mine.db.reading() as conn:
            found = read_dossier(conn, mine.directory, mine._one(conn, number, session), mine.viewer)
        return PublicCase.of(found, zone, disclosure)

    def published_page(
        self,
        *,
        zone: tzinfo,
        text: str | None = None,
        field: str | None = None,
        session: str | None = None,
        offset: int = 0,
        limit: int | None = 20,
    ) -> PublicPage:
        """One page of the published cases of a session, by number, whoever reads: ``text`` in the title or the
        content, ``field``."""
        mine = self if self.viewer.is_public else self.public()
        page = mine._search(text=text, field=field, session=session, offset=offset, limit=limit)
        return PublicPage.of(page, zone)

    def visible(self, number: str, *, session: str | None = None) -> None:
        """Refuse, as "not found", a case that does not exist or that :attr:`viewer` may not see (the public reads
        the published view alone: :meth:`published`)."""
        self._not_public("read")
        with self.db.reading() as conn:
            self._visible(conn, number, session)

    def _visible(self, conn: Connection, number: str, session: str | None) -> int:
        """The id of case ``number``, when it exists and :attr:`viewer` may see it (else "not found")."""
        sid = self.directory.session_id(conn, session)
        case_id = conn.execute(
            select(SUGGESTIONS.c.id).where(SUGGESTIONS.c.session_id == sid, SUGGESTIONS.c.number == number)
        ).scalar_one_or_none()
        if case_id is None or not self.scope(conn).sees(conn, case_id):
            name = session or self.directory.session_name(conn, sid)
            raise NotFound(kind="建议", name=f"{name}/{number}", hint=_("list cases with `jianyi list`"))
        return int(case_id)

    def _one(self, conn: Connection, number: str, session: str | None) -> Case:
        sid, name = self.directory.session_ref(conn, session)
        # the reader's scope is a condition of the same query: a case out of scope is not found, as one that
        # does not exist
        row = (
            conn.execute(
                select(SUGGESTIONS).where(
                    SUGGESTIONS.c.session_id == sid, SUGGESTIONS.c.number == number, self.scope(conn).cases()
                )
            )
            .mappings()
            .first()
        )
        if row is None:
            raise NotFound(kind="建议", name=f"{name}/{number}", hint=_("list cases with `jianyi list`"))
        return self._cases(conn, [dict(row)], {sid: name})[0]

    def list_cases(
        self,
        *,
        state: State | str | None = None,
        unit: str | None = None,
        overdue: bool = False,
        now: datetime | None = None,
        session: str | None = None,
        limit: int | None = None,
    ) -> list[Case]:
        """Cases of a session, by number; filter by state, by (active) unit, or to those overdue at ``now``."""
        page = self.search(state=state, unit=unit, overdue=overdue, now=now, session=session, limit=limit)
        return list(page.cases)

    def search(
        self,
        *,
        state: State | str | None = None,
        unit: str | None = None,
        overdue: bool = False,
        now: datetime | None = None,
        deputy: str | None = None,
        delegation: str | None = None,
        field: str | None = None,
        key: bool | None = None,
        between_sessions: bool | None = None,
        confidential: bool | None = None,
        text: str | None = None,
        session: str | None = None,
        offset: int = 0,
        limit: int | None = None,
        scope_unit_ids: frozenset[int] | None = None,
        scope_deputy_id: int | None = None,
    ) -> CasePage:
        """One page of the cases of a session that pass every filter given, by number, and how many pass."""
        self._not_public("search")
        return self._search(
            state=state,
            unit=unit,
            overdue=overdue,
            now=now,
            deputy=deputy,
            delegation=delegation,
            field=field,
            key=key,
            between_sessions=between_sessions,
            confidential=confidential,
            text=text,
            session=session,
            offset=offset,
            limit=limit,
            scope_unit_ids=scope_unit_ids,
            scope_deputy_id=scope_deputy_id,
        )

    def _search(
        self,
        *,
        state: State | str | None = None,
        unit: str | None = None,
        overdue: bool = False,
        now: datetime | None = None,
        deputy: str | None = None,
        delegation: str | None = None,
        field: str | None = None,
        key: bool | None = None,
        between_sessions: bool | None = None,
        confidential: bool | None = None,
        text: str | None = None,
        session: str | None = None,
        offset: int = 0,
        limit: int | None = None,
        scope_unit_ids: frozenset[int] | None = None,
        scope_deputy_id: int | None = None,
    ) -> CasePage:
        if offset < 0 or (limit is not None and limit < 0):
            msg = f"offset {offset} and limit {limit}: neither may be negative"
            raise ValidationError(msg)
        if text is not None and len(text) > MAX_TEXT:
            msg = f"search text of {len(text)} characters: search at most {MAX_TEXT}"
            raise ValidationError(msg)
        with self.db.reading() as conn:
            # the session first: its query reads the directory's generation, which the scope's look-up of the
            # reader's unit or deputy then needs not read again
            sid, name = self.directory.session_ref(conn, session)
            seen = self.scope(conn)
            filters = CaseFilter(
                session_id=sid,
                state=None if state is None else _state(state),
                unit_id=None if unit is None else self.directory.unit_id(conn, unit),
                overdue_at=ensure_utc(now or self.clock.now()) if overdue else None,
                deputy_id=None if deputy is None else self.directory.deputy_id(conn, deputy),
                delegation=delegation,
                field=field,
                key=key,
                between_sessions=between_sessions,
                confidential=confidential,
                text=(text or "").strip() or None,
                # the reader's own scope (workflow.store.scope) narrows what the caller asked
                scope_unit_ids=frozenset({seen.unit_id}) if seen.unit_id is not None else scope_unit_ids,
                scope_deputy_id=seen.deputy_id if seen.deputy_id is not None else scope_deputy_id,
                public=seen.public,
            )
            total, ids = find(Raw(conn), self.db.dialect, filters, offset=offset, limit=limit)
            rows: dict[int, dict[str, Any]] = {}
            raw = Raw(conn)
            for chunk in range(0, len(ids), 500):
                marks, part = Raw.in_list("c", ids[chunk : chunk + 500])
                for r in raw.rows(f"SELECT * FROM suggestions WHERE id IN {marks}", part):
                    rows[r["id"]] = r
            cases = self._cases(conn, [rows[i] for i in ids], {sid: name})
        return CasePage(total=total, offset=offset, limit=limit, cases=tuple(cases))

    def _cases(self, conn: Connection, rows: list[dict[str, Any]], sessions: dict[int, str]) -> list[Case]:
        """The cases of ``rows`` (of ``suggestions``) with their units, deadlines, co-signers and conversions;
        ``sessions`` names the sessions they belong to."""
        if not rows:
            return []
        ids = [r["id"] for r in rows]
        # each unit's and deputy's name looked up once a page (a look-up checks the directory's caches first)
        unit_names: dict[int, str] = {}
        deputy_names: dict[int, str] = {}

        def unit(uid: int) -> str:
            found = unit_names.get(uid)
            if found is None:
                found = unit_names[uid] = self.directory.unit_name(conn, uid)
            return found

        def deputy(did: int) -> str:
            found = deputy_names.get(did)
            if found is None:
                found = deputy_names[did] = self.directory.deputy_name(conn, did)
            return found

        units: dict[int, list[tuple[str, str]]] = {i: [] for i in ids}
        deadlines: dict[int, list[DeadlineInfo]] = {i: [] for i in ids}
        signers: dict[int, list[str]] = {i: [] for i in ids}
        conversions: dict[int, list[ConversionInfo]] = {i: [] for i in ids}
        raw = Raw(conn)  # driver-level SQL: a page of cases runs these four for every page
        for chunk in range(0, len(ids), 500):
            marks, part = Raw.in_list("c", ids[chunk : chunk + 500])
            for sid, uid, role in raw.all(
                f"SELECT suggestion_id, unit_id, role FROM assignments WHERE suggestion_id IN {marks} "
                "AND until IS NULL ORDER BY id",
                part,
            ):
                units[sid].append((unit(uid), role))
            for d in raw.rows(
                "SELECT suggestion_id, kind, unit_id, round, start, due, due_at, raw_due, roll_reason, status, "
                f"met_at, late, provisional, version FROM deadlines WHERE suggestion_id IN {marks} ORDER BY id",
                part,
            ):
                deadlines[d["suggestion_id"]].append(
                    DeadlineInfo(
                        kind=d["kind"],
                        unit=unit(d["unit_id"]) if d["unit_id"] is not None else None,
                        round=d["round"],
                        start=as_date(d["start"]),
                        due=as_date(d["due"]),
                        due_at=as_instant(d["due_at"]) or _never(d),
                        raw_due=as_date(d["raw_due"]),
                        roll_reason=d["roll_reason"],
                        status=d["status"],
                        met_at=as_instant(d["met_at"]),
                        late=None if d["late"] is None else bool(d["late"]),
                        provisional=bool(d["provisional"]),
                        version=d["version"],
                    )
                )
            for sid, did in raw.all(
                f"SELECT suggestion_id, deputy_id FROM suggestion_signers WHERE suggestion_id IN {marks} "
                "ORDER BY position",
                part,
            ):
                signers[sid].append(deputy(did))
            for sid, before, after, evidence, actor, at in raw.all(
                "SELECT suggestion_id, from_category, to_category, evidence, actor, at FROM conversions "
                f"WHERE suggestion_id IN {marks} ORDER BY id",
                part,
            ):
                conversions[sid].append(
                    ConversionInfo(before, after, evidence, actor, as_instant(at) or _never(at))
                )
        cases = []
        for r in rows:
            roles = units[r["id"]]
            cases.append(
                Case(
                    id=r["id"],
                    number=r["number"],
                    session=sessions.get(r["session_id"], "?"),
                    title=r["title"],
                    content=r["content"],
                    field=r["field"],
                    deputy=deputy(r["lead_deputy_id"]),
                    co_signers=tuple(signers[r["id"]]),
                    state=r["state"],
                    round=r["round"],
                    category=r["category"],
                    current_category=r["current_category"],
                    main_unit=next((n for n, role in roles if role == Role.MAIN), None),
                    co_units=tuple(n for n, role in roles if role == Role.CO),
                    split_units=tuple(n for n, role in roles if role == Role.SPLIT),
                    key=bool(r["key"]),
                    complex=bool(r["complex"]),
                    extended=bool(r["extended"]),
                    confidential=bool(r["confidential"]),
                    between_sessions=bool(r["between_sessions"]),
                    escalation_level=r["escalation_level"],
                    version=r["version"],
                    ruleset=f"{r['ruleset_id']}@{r['ruleset_version']}" if r["ruleset_id"] else None,
                    submitted_at=as_instant(r["submitted_at"]) or _never(r),
                    assigned_at=as_instant(r["assigned_at"]),
                    answered_at=as_instant(r["answered_at"]),
                    closed_at=as_instant(r["closed_at"]),
                    deadlines=tuple(deadlines[r["id"]]),
                    conversions=tuple(conversions[r["id"]]),
                    allowed=_ALLOWED[r["state"]],
                )
            )
        return cases

    def explain(self, number: str, *, session: str | None = None) -> list[DeadlineExplained]:
        """Each deadline of the case with its rule, legal basis, start, raw end, roll reason and due instant."""
        self._not_public("explain")
        case = self.get(number, session=session)
        if not case.ruleset:
            return []
        rule_id, _, version = case.ruleset.partition("@")
        rs = self.rules.get(None, rule_id, int(version))
        out = []
        for d in case.deadlines:
            kind = DeadlineKind(d.kind)
            rule = rs.deadlines.get(kind)
            if kind is DeadlineKind.PROMISE:
                text = "the promised date (承诺时限)"
            elif rule is None:
                text = "no rule in this rule set"
            else:
                amount = (
                    rule.complex_amount
                    if (kind is DeadlineKind.ANSWER and case.extended and rule.complex_amount)
                    else rule.amount
                )
                text = f"{amount} {rule.unit.value.replace('_', ' ')} from {rs.start_event(kind)}"
                if kind is DeadlineKind.ANSWER and case.extended:
                    text += " (extended: complex, 涉及面广、处理难度大)"
            years = sorted(
                {y for y in range(d.start.year, d.due.year + 1) if not rs.work_calendar.is_official(y)}
            )
            out.append(
                DeadlineExplained(
                    deadline=d,
                    rule=text,
                    basis=rule.basis if rule else "",
                    ruleset=case.ruleset,
                    start_event=rs.start_event(kind),
                    due_local=f"{d.due.isoformat()} 24:00 {rs.timezone}",
                    provisional_years=tuple(years) if d.provisional else (),
                )
            )
        return out

    def history(self, number: str, *, session: str | None = None) -> list[HistoryEntry]:
        """The case's audit events, in order."""
        self._not_public("history")
        with self.db.reading() as conn:
            case_id = self._visible(conn, number, session)
            rows = conn.execute(select(AUDIT).where(AUDIT.c.suggestion_id == case_id).order_by(AUDIT.c.seq))
            entries = [
                HistoryEntry(
                    r.seq,
                    r.at,
                    r.recorded_at,
                    r.actor,
                    r.action,
                    r.from_state,
                    r.to_state,
                    r.round,
                    json.loads(r.data),
                )
                for r in rows
            ]
        if (
            self.viewer.kind is ActorKind.DEPUTY
        ):  # an answer held for the office's review is not the deputy's yet
            entries = [e for e in entries if e.action not in _REVIEW_STEPS]
        by = superseded((e.seq, e.data) for e in entries)
        return [replace(e, superseded_by=by[e.seq]) if e.seq in by else e for e in entries]
