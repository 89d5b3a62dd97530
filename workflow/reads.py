"""The engine's read side: the rule sets in force, cases, searches, due lists, the dashboard's counts, the
queues waiting for the office, histories, the public view (公开) and attachments.

:class:`~workflow.engine.Engine` takes these from :class:`Reads`; each reads through :attr:`queries` (which keeps
to what the engine's viewer may see) or the stored rule sets, and writes nothing.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import date, datetime, timedelta

from rules import RuleSet, YearSchedule
from workflow.core.attachments import AttachmentInfo
from workflow.core.dossier import Dossier
from workflow.core.errors import NotFound
from workflow.core.public import Disclosure, PublicCase, PublicPage
from workflow.core.states import State
from workflow.core.views import (
    Case,
    CasePage,
    DeadlineExplained,
    DueItem,
    ExtensionRequestInfo,
    HistoryEntry,
    OwedPage,
    PendingReturn,
    ReviewInfo,
)
from workflow.online import Online
from workflow.store import attachments as _attachments
from workflow.store.rulesets import RuleSets

__all__ = ["Reads"]


class Reads(Online):
    """What the engine reads, beside the online submissions and the actions on cases it inherits."""

    rules: RuleSets

    # ---- rule sets and calendars -------------------------------------------------------------
    def ruleset(self, rule_id: str, version: int) -> RuleSet:
        """A stored rule set version."""
        return self.rules.get(None, rule_id, version)

    def active_ruleset(self) -> RuleSet:
        """The rule set new assignments are pinned to."""
        return self.rules.active()

    def calendar_years(self) -> dict[int, YearSchedule]:
        """The official schedules loaded into this database (`jianyi calendar load`), by year."""
        return self.rules.calendar_years()

    # ---- queries ------------------------------------------------------------------------------
    def get(self, number: str, *, session: str | None = None) -> Case:
        """One case with its units and deadlines."""
        return self.queries.get(number, session=session)

    def dossier(self, number: str, *, session: str | None = None) -> Dossier:
        """The whole case (案卷): submission, assignments, hand-back requests, opinions, contacts, answers with
        their promises, feedback per round, extensions, re-handlings, progress, conversions, withdrawal."""
        return self.queries.dossier(number, session=session)

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
        return self.queries.list_cases(
            state=state, unit=unit, overdue=overdue, now=now, session=session, limit=limit
        )

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
        limit: int | None = 100,
    ) -> CasePage:
        """One page of a session's cases, by number, with how many match in all. Every filter given must hold:
        ``state``; ``unit`` handling it now; an obligation ``overdue`` at ``now``; ``deputy`` leading or
        co-signing it; the lead deputy's ``delegation``; ``field``; the ``key``, ``between_sessions`` and
        ``confidential`` marks; ``text`` found in the title or the content (any substring, 公交 as well as
        关于优化公交线路). ``limit`` None: every case from ``offset`` on."""
        return self.queries.search(
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
        )

    def explain(self, number: str, *, session: str | None = None) -> list[DeadlineExplained]:
        """Each deadline of the case with its rule, legal basis, start, raw end, roll reason and due instant."""
        return self.queries.explain(number, session=session)

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
        return self.queries.due(within=within, unit=unit, now=now, session=session, limit=limit)

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
        """One page of the open obligations of ``kinds`` (every one, however far off), the most urgent first — by
        last day, 重点督办 first on the same day, then session, number and kind — with counts of them all:
        overdue at ``now``, not overdue and due by the day ``soon``, on key cases. A unit sees what it owes (the
        unit's 待办); ``unit`` narrows the office's view to one unit."""
        return self.queries.owed(kinds, soon=soon, unit=unit, now=now, offset=offset, limit=limit)

    def tally(self, *, session: str | None = None) -> dict[tuple[str, str | None], int]:
        """How many cases of the session (the current one) are in each (state, field) — the dashboard's counts
        by state and by field (领域; None: not given). Office-only."""
        self.require_office("tally")
        return self.queries.tally(session=session)

    def pending_returns(self, *, session: str | None = None, limit: int = 1000) -> list[PendingReturn]:
        """Hand-back requests (退办) waiting for the office's decision, oldest first: approve one by
        :meth:`reassign`, refuse it by :meth:`refuse_return`. Office-only."""
        self.require_office("pending returns")
        return self.queries.pending_returns(session=session, limit=limit)

    def pending_extensions(
        self, *, unit: str | None = None, session: str | None = None, limit: int = 1000
    ) -> list[ExtensionRequestInfo]:
        """The extension requests (申请延期) waiting for the office's decision, oldest first; a unit sees its own."""
        return self.queries.pending_extensions(unit=unit, session=session, limit=limit)

    def pending_reviews(
        self, *, unit: str | None = None, session: str | None = None, limit: int = 1000
    ) -> list[ReviewInfo]:
        """The answers waiting for the office's review (答复审核, rule set ``lifecycle.answer_review``), oldest
        first: approve one by :meth:`approve_answer`, return it by :meth:`return_answer`. A unit sees its own, a
        deputy none."""
        return self.queries.pending_reviews(unit=unit, session=session, limit=limit)

    def unreceived(self) -> set[tuple[str, str]]:
        """(session, number) of the cases the acting unit holds a part of and has not signed for (签收) yet, while
        they may be signed for (the unit's inbox offers 签收 on them); empty for anyone but a unit."""
        return self.queries.unreceived()

    def history(self, number: str, *, session: str | None = None) -> list[HistoryEntry]:
        """The case's audit events, in order."""
        return self.queries.history(number, session=session)

    # ---- the public view (公开) ------------------------------------------------------------------
    def published_page(
        self,
        *,
        text: str | None = None,
        field: str | None = None,
        session: str | None = None,
        offset: int = 0,
        limit: int | None = 20,
    ) -> PublicPage:
        """One page of a session's published cases (not confidential, the answer delivered: see
        :mod:`workflow.core.public`), by number, with how many match; ``text`` any substring of the title or the
        content. Whoever reads, only published cases and only their public part."""
        zone = self.active_ruleset().zone
        return self.queries.published_page(
            zone=zone, text=text, field=field, session=session, offset=offset, limit=limit
        )

    def published(
        self, number: str, *, session: str | None = None, disclosure: Disclosure | None = None
    ) -> PublicCase:
        """The public view of a published case; any other is "not found", as a number that does not exist."""
        return self.queries.published(
            number, zone=self.active_ruleset().zone, session=session, disclosure=disclosure
        )

    def published_letter(
        self, number: str, name: str, *, session: str | None = None, disclosure: Disclosure | None = None
    ) -> tuple[AttachmentInfo, bytes]:
        """A file attached to an answer of a published case, when ``disclosure`` discloses the answer letters;
        anything else is "not found"."""
        case = self.published(number, session=session, disclosure=disclosure)
        if not case.letter(name):
            raise NotFound(kind="答复函", name=f"{case.item.session}/{number}/{name}")
        return _attachments.read_attachment(self.db, self.directory, self.blobs, number, name, session)

    # ---- attachments ----------------------------------------------------------------------------
    def attachments(self, number: str, *, session: str | None = None) -> list[AttachmentInfo]:
        """The files the case's answers, opinions and conversions came with, in the order they came (a case out
        of the reader's scope is not found)."""
        self.queries.visible(number, session=session)
        return _attachments.list_attachments(self.db, self.directory, number, session)[1]

    def attachment(
        self, number: str, name: str, *, session: str | None = None
    ) -> tuple[AttachmentInfo, bytes]:
        """One attachment of the case by name, with its bytes (checked against the digest recorded: bytes
        changed or gone raise :class:`~workflow.store.attachments.AttachmentDamaged`); a case out of the reader's
        scope is not found."""
        self.queries.visible(number, session=session)
        return _attachments.read_attachment(self.db, self.directory, self.blobs, number, name, session)
