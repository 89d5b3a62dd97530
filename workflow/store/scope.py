"""What each reader may see: the office every case, a unit the cases it is or was assigned to, a deputy the
suggestions they lead or co-signed, the public (公众) the published cases — not confidential, and answered
(:data:`~workflow.core.states.PUBLISHED_STATES`: the answer has reached the deputy; a withdrawn case never is).

A confidential case is seen by the office and by those involved in it — which, for a unit or a deputy, are the
same cases as above, so confidentiality needs no rule of its own here; the public file leaves them out. A case
out of scope is "not found", worded as for a number that does not exist, so that nothing tells it exists.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import ColumnElement, Connection, and_, exists, not_, or_, select, true

from workflow.core.states import PUBLISHED_STATES, ActorKind
from workflow.core.views import Actor
from workflow.store.directory import Directory
from workflow.store.models import Assignment, Suggestion, SuggestionSigner, table
from workflow.store.sql import Raw

__all__ = ["PUBLISHED", "Scope", "scope_of"]

PUBLISHED = tuple(sorted(state.value for state in PUBLISHED_STATES))

SUGGESTIONS = table(Suggestion)
ASSIGNMENTS = table(Assignment)
SIGNERS = table(SuggestionSigner)


@dataclass(frozen=True, slots=True)
class Scope:
    """The cases one reader may see (both ids None and not ``public``: every case)."""

    unit_id: int | None = None
    deputy_id: int | None = None
    public: bool = False  # the published cases alone

    @property
    def everything(self) -> bool:
        """Whether every case is in scope (the office, the system)."""
        return self.unit_id is None and self.deputy_id is None and not self.public

    def cases(self) -> ColumnElement[bool]:
        """A condition on ``suggestions`` that holds for the cases in scope."""
        if self.public:
            return and_(not_(SUGGESTIONS.c.confidential), SUGGESTIONS.c.state.in_(PUBLISHED))
        if self.unit_id is not None:
            return exists(
                select(ASSIGNMENTS.c.id).where(
                    ASSIGNMENTS.c.suggestion_id == SUGGESTIONS.c.id, ASSIGNMENTS.c.unit_id == self.unit_id
                )
            )
        if self.deputy_id is not None:
            return or_(
                SUGGESTIONS.c.lead_deputy_id == self.deputy_id,
                exists(
                    select(SIGNERS.c.deputy_id).where(
                        SIGNERS.c.suggestion_id == SUGGESTIONS.c.id, SIGNERS.c.deputy_id == self.deputy_id
                    )
                ),
            )
        return true()

    def sees(self, conn: Connection, case_id: int) -> bool:
        """Whether case ``case_id`` is in scope (driver-level SQL: it runs inside the write path's transaction too)."""
        if self.public:
            marks, states = Raw.in_list("p", PUBLISHED)
            sql = f"SELECT 1 FROM suggestions WHERE id = :c AND NOT confidential AND state IN {marks}"
            return bool(Raw(conn).column(sql, {"c": case_id, **states}))
        if self.unit_id is not None:
            sql = "SELECT 1 FROM assignments WHERE suggestion_id = :c AND unit_id = :u"
            return bool(Raw(conn).column(sql, {"c": case_id, "u": self.unit_id}))
        if self.deputy_id is not None:
            sql = (
                "SELECT 1 FROM suggestions WHERE id = :c AND lead_deputy_id = :d UNION ALL "
                "SELECT 1 FROM suggestion_signers WHERE suggestion_id = :c AND deputy_id = :d"
            )
            return bool(Raw(conn).column(sql, {"c": case_id, "d": self.deputy_id}))
        return True


def scope_of(conn: Connection, directory: Directory, actor: Actor) -> Scope:
    """The scope of ``actor``: a unit or deputy by name (one the congress lacks is "not found"); every case for
    the office and the system; the published ones for the public; none for a unit or deputy without a name."""
    if actor.is_office:
        return Scope()
    if actor.is_public:
        return Scope(public=True)
    if actor.kind is ActorKind.UNIT and actor.name:
        return Scope(unit_id=directory.unit_id(conn, actor.name))
    if actor.kind is ActorKind.DEPUTY and actor.name:
        return Scope(deputy_id=directory.deputy_id(conn, actor.name))
    return Scope(unit_id=0)  # no unit has id 0: nothing
