"""The tables of what a unit asks of the office or tells it about its part in a case: hand-back requests (退办),
receipts (签收), extension requests (申请延期) and answers held for review (答复审核). :mod:`workflow.store.models`
holds every other table and names these too.
"""

from datetime import datetime

from sqlalchemy import Index, Text
from sqlmodel import Field, SQLModel

from workflow.core.states import ExtensionStatus, ReturnStatus, ReviewStatus
from workflow.store.columns import audit_ref as _audit_ref
from workflow.store.columns import check_in as _check
from workflow.store.columns import foreign_key as _fk
from workflow.store.columns import instant as _instant

__all__ = ["AnswerReview", "ExtensionRequest", "Receipt", "ReturnRequest"]


class ReturnRequest(SQLModel, table=True):
    """A unit's request to hand a case back (退办) and the office's decision."""

    __tablename__ = "return_requests"
    __table_args__ = (_check("status", [s.value for s in ReturnStatus], "ck_return_status"),)

    id: int | None = Field(default=None, primary_key=True)
    suggestion_id: int = _fk("suggestions.id")
    unit_id: int = _fk("units.id", index=False)
    reason: str = Field(sa_type=Text)
    at: datetime = _instant()
    status: str = Field(default=ReturnStatus.PENDING.value, max_length=10)
    decided_at: datetime | None = _instant(nullable=True)
    decision_reason: str | None = Field(default=None, sa_type=Text)
    audit_ref: str | None = _audit_ref()


class Receipt(SQLModel, table=True):
    """A unit's receipt (签收) of its assignment: the assignment is the unit's row of the case since
    ``assigned_at``; a reassignment is a new one, to be signed for anew."""

    __tablename__ = "receipts"

    id: int | None = Field(default=None, primary_key=True)
    suggestion_id: int = _fk("suggestions.id")
    unit_id: int = _fk("units.id", index=False)
    round: int = 1
    assigned_at: datetime = _instant()
    at: datetime = _instant()
    audit_ref: str | None = _audit_ref()


class ExtensionRequest(SQLModel, table=True):
    """The main unit's request for the extended answer period (申请延期) and the office's decision."""

    __tablename__ = "extension_requests"
    __table_args__ = (
        _check("status", [s.value for s in ExtensionStatus], "ck_extension_status"),
        Index("ix_extension_requests_pending", "status", "unit_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    suggestion_id: int = _fk("suggestions.id")
    unit_id: int = _fk("units.id", index=False)
    reason: str = Field(sa_type=Text)
    at: datetime = _instant()
    status: str = Field(default=ExtensionStatus.PENDING.value, max_length=10)
    decided_at: datetime | None = _instant(nullable=True)
    decision_reason: str | None = Field(default=None, sa_type=Text)
    audit_ref: str | None = _audit_ref()


class AnswerReview(SQLModel, table=True):
    """A unit's answer held for the office's review (答复审核, rule set ``lifecycle.answer_review``): what the unit
    sent (``payload``: the answer's class, text, promises, overrides and files, as JSON) and the office's
    decision. Only an approved one becomes an ``answers`` row."""

    __tablename__ = "answer_reviews"
    __table_args__ = (
        _check("status", [s.value for s in ReviewStatus], "ck_review_status"),
        Index("ix_answer_reviews_pending", "status", "unit_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    suggestion_id: int = _fk("suggestions.id")
    unit_id: int = _fk("units.id", index=False)
    round: int = 1
    category: str = Field(max_length=8)
    payload: str = Field(sa_type=Text)
    at: datetime = _instant()
    status: str = Field(default=ReviewStatus.PENDING.value, max_length=10)
    decided_at: datetime | None = _instant(nullable=True)
    decision_reason: str | None = Field(default=None, sa_type=Text)
    audit_ref: str | None = _audit_ref()
