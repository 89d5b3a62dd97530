"""The public view of a case (公开): what the public site shows of a published suggestion, and nothing more.

A case is published when it is not confidential and its answer has reached the deputy
(:data:`~workflow.core.states.PUBLISHED_STATES`); :mod:`workflow.store.scope` keeps every other case out. Of a
published case the public sees its number, title, content, field, deputies (lead and co-signers), units, each
answer (unit, class, text, date) and the deputies' ratings. It never sees contact records, notes, who entered
what, deadlines, hand-back requests or conversions' evidence; feedback comments and the answers' attached
letters (答复函) only when :class:`Disclosure` says so (default: neither).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, tzinfo
from typing import Any

from workflow.core.dossier import Dossier
from workflow.core.views import Case, CasePage

__all__ = ["Disclosure", "PublicAnswer", "PublicCase", "PublicFeedback", "PublicItem", "PublicPage"]


@dataclass(frozen=True, slots=True)
class Disclosure:
    """What the public view adds beyond the default: the deputies' feedback comments (default: the rating
    alone) and the files attached to the answers, the answer letters (default: none)."""

    comments: bool = False
    letters: bool = False


@dataclass(frozen=True, slots=True)
class PublicItem:
    """A published case as a listing shows it."""

    session: str
    number: str
    title: str
    field: str | None
    deputy: str
    co_signers: tuple[str, ...]
    main_unit: str | None
    co_units: tuple[str, ...]
    split_units: tuple[str, ...]
    category: str | None  # the class of the (last) answer: A, B, C, D
    answered: date | None  # the day of the (last) answer, in the rule set's zone

    @classmethod
    def of(cls, case: Case, zone: tzinfo) -> PublicItem:
        """The public part of ``case`` (a published one: the caller's scope saw to it)."""
        return cls(
            session=case.session,
            number=case.number,
            title=case.title,
            field=case.field,
            deputy=case.deputy,
            co_signers=case.co_signers,
            main_unit=case.main_unit,
            co_units=case.co_units,
            split_units=case.split_units,
            category=case.category,
            answered=_day(case.answered_at, zone),
        )

    def to_json(self) -> dict[str, Any]:
        """JSON-ready, English keys."""
        return {
            "session": self.session,
            "number": self.number,
            "title": self.title,
            "field": self.field,
            "deputy": self.deputy,
            "co_signers": list(self.co_signers),
            "main_unit": self.main_unit,
            "co_units": list(self.co_units),
            "split_units": list(self.split_units),
            "category": self.category,
            "answered": self.answered.isoformat() if self.answered else None,
        }


@dataclass(frozen=True, slots=True)
class PublicPage:
    """One page of the published cases a search selects, and how many it selects in all."""

    total: int
    offset: int
    limit: int | None
    items: tuple[PublicItem, ...]

    @classmethod
    def of(cls, page: CasePage, zone: tzinfo) -> PublicPage:
        """The public part of ``page`` (of published cases)."""
        return cls(page.total, page.offset, page.limit, tuple(PublicItem.of(c, zone) for c in page.cases))


@dataclass(frozen=True, slots=True)
class PublicAnswer:
    """One answer as the deputy received it: unit, round, class, text, day, and the attached letters' names
    when disclosed."""

    unit: str
    round: int
    category: str
    text: str
    day: date
    letters: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class PublicFeedback:
    """A deputy's feedback on one round: the rating (and the attitude and result ratings when given); the
    comment only when disclosed (else empty)."""

    round: int
    rating: str
    attitude: str | None
    result: str | None
    comment: str
    day: date


@dataclass(frozen=True, slots=True)
class PublicCase:
    """A published case as its public page shows it."""

    item: PublicItem
    content: str
    answers: tuple[PublicAnswer, ...]
    feedback: tuple[PublicFeedback, ...]

    @classmethod
    def of(cls, dossier: Dossier, zone: tzinfo, disclosure: Disclosure | None = None) -> PublicCase:
        """The public part of ``dossier`` (a published case), with what ``disclosure`` adds."""
        shown = disclosure or Disclosure()
        day = _day  # local days: the public reads dates, not instants
        return cls(
            item=PublicItem.of(dossier.case, zone),
            content=dossier.case.content,
            answers=tuple(
                PublicAnswer(
                    unit=a.unit,
                    round=a.round,
                    category=a.category,
                    text=a.text,
                    day=day(a.at, zone) or a.at.date(),
                    letters=tuple(f.name for f in a.attachments) if shown.letters else (),
                )
                for a in dossier.answers
            ),
            feedback=tuple(
                PublicFeedback(
                    round=f.round,
                    rating=f.rating,
                    attitude=f.attitude,
                    result=f.result,
                    comment=f.comment if shown.comments else "",
                    day=day(f.at, zone) or f.at.date(),
                )
                for f in dossier.feedback
            ),
        )

    def letter(self, name: str) -> bool:
        """Whether ``name`` is a disclosed answer letter of this case."""
        return any(name in a.letters for a in self.answers)

    def to_json(self) -> dict[str, Any]:
        """JSON-ready, English keys."""
        return {
            **self.item.to_json(),
            "content": self.content,
            "answers": [
                {
                    "unit": a.unit,
                    "round": a.round,
                    "category": a.category,
                    "text": a.text,
                    "day": a.day.isoformat(),
                    "letters": list(a.letters),
                }
                for a in self.answers
            ],
            "feedback": [
                {
                    "round": f.round,
                    "rating": f.rating,
                    "attitude": f.attitude,
                    "result": f.result,
                    "comment": f.comment,
                    "day": f.day.isoformat(),
                }
                for f in self.feedback
            ],
        }


def _day(at: datetime | None, zone: tzinfo) -> date | None:
    return None if at is None else at.astimezone(zone).date()
