"""The tables of the people who sign in and of what deputies submit online: accounts and their events, web
sessions, failed sign-ins (:mod:`workflow.store.accounts`, :mod:`workflow.store.sessions`), online submissions
and their events (:mod:`workflow.store.submissions`). :mod:`workflow.store.models` holds every other table and
names these too.
"""

from datetime import datetime

from sqlalchemy import Index, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from workflow.store.columns import check_in as _check
from workflow.store.columns import foreign_key as _fk
from workflow.store.columns import instant as _instant

__all__ = [
    "ACCOUNT_KINDS",
    "SUBMISSION_STATUSES",
    "Account",
    "AccountEvent",
    "LoginFailure",
    "Submission",
    "SubmissionEventRow",
    "WebSession",
]

SUBMISSION_STATUSES = ("pending", "accepted", "declined", "withdrawn")


ACCOUNT_KINDS = ("office", "unit", "deputy")


class Account(SQLModel, table=True):
    """A person who signs in: office staff (a supervisor may manage accounts), a unit's handler or a deputy."""

    __tablename__ = "accounts"
    __table_args__ = (
        UniqueConstraint("congress_id", "name", name="uq_account_name"),
        _check("kind", ACCOUNT_KINDS, "ck_account_kind"),
    )

    id: int | None = Field(default=None, primary_key=True)
    congress_id: int = _fk("congresses.id", index=False)
    name: str = Field(max_length=100)
    kind: str = Field(max_length=10)
    unit_id: int | None = _fk("units.id", nullable=True, index=False)
    deputy_id: int | None = _fk("deputies.id", nullable=True, index=False)
    supervisor: bool = False
    password_hash: str = Field(max_length=200)  # Argon2id, with its parameters and salt
    disabled: bool = False
    created_at: datetime = _instant()
    updated_at: datetime = _instant()


class AccountEvent(SQLModel, table=True):
    """What happened to an account: created, password set, disabled, enabled, signed in, a failed sign-in."""

    __tablename__ = "account_events"

    id: int | None = Field(default=None, primary_key=True)
    account_id: int = _fk("accounts.id")
    at: datetime = _instant()
    actor: str = Field(max_length=220)
    action: str = Field(max_length=20)
    detail: str = Field(default="", sa_type=Text)


class WebSession(SQLModel, table=True):
    """A signed-in web session: the SHA-256 of its token; ends idle past ``expires_at`` or at logout."""

    __tablename__ = "web_sessions"

    id: int | None = Field(default=None, primary_key=True)
    token_hash: str = Field(max_length=64, unique=True)
    account_id: int = _fk("accounts.id")
    created_at: datetime = _instant()
    last_seen_at: datetime = _instant()
    expires_at: datetime = _instant(index=True)


class LoginFailure(SQLModel, table=True):
    """A failed sign-in under a name no account bears (accounts' are in ``account_events``)."""

    __tablename__ = "web_login_failures"
    __table_args__ = (Index("ix_web_login_failures_name_at", "congress_id", "name", "at"),)

    id: int | None = Field(default=None, primary_key=True)
    congress_id: int = _fk("congresses.id", index=False)
    name: str = Field(max_length=100)
    at: datetime = _instant()


class Submission(SQLModel, table=True):
    """A suggestion a deputy submitted online (网上提交), waiting for the office to accept it (受理) as a case or
    to decline it (不予受理), or withdrawn by the deputy while it waited (:mod:`workflow.core.submissions`)."""

    __tablename__ = "submissions"
    __table_args__ = (
        _check("status", SUBMISSION_STATUSES, "ck_submission_status"),
        Index("ix_submissions_congress_status", "congress_id", "status", "id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    congress_id: int = _fk("congresses.id", index=False)
    deputy_id: int = _fk("deputies.id")  # the lead deputy (领衔代表)
    co_signers: str = Field(default="[]", sa_type=Text)  # JSON: the co-signing deputies' ids, in order
    title: str = Field(max_length=500)
    content: str = Field(default="", sa_type=Text)
    field: str | None = Field(default=None, max_length=100)
    between_sessions: bool = False
    confidential: bool = False
    attachments: str = Field(default="[]", sa_type=Text)  # JSON: name, media type, size, SHA-256 of each file
    status: str = Field(default="pending", max_length=10)
    submitted_at: datetime = _instant()
    decided_at: datetime | None = _instant(nullable=True)
    reason: str | None = Field(default=None, sa_type=Text)  # declined or withdrawn: why
    suggestion_id: int | None = _fk("suggestions.id", nullable=True, index=False)  # accepted: the case


class SubmissionEventRow(SQLModel, table=True):
    """What happened to an online submission (proposed, accepted, declined, withdrawn): who, when, with what."""

    __tablename__ = "submission_events"

    id: int | None = Field(default=None, primary_key=True)
    submission_id: int = _fk("submissions.id")
    at: datetime = _instant()
    actor: str = Field(max_length=220)
    action: str = Field(max_length=20)
    data: str = Field(default="{}", sa_type=Text)  # JSON
