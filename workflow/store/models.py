"""The database tables (SQLModel). Created and upgraded by the alembic migrations in ``workflow/migrations``.
The tables of accounts, web sessions and online submissions are in :mod:`workflow.store.portal_models`, those of
a unit's requests to the office and its receipts in :mod:`workflow.store.request_models`; both are named here too.

States and other closed sets are plain strings with CHECK constraints (never native enum types), so a new
value is a migration of one constraint. Every instant is a :class:`~workflow.store.columns.UTCInstant`.
"""

from collections.abc import Mapping
from datetime import date, datetime
from functools import cache
from typing import Any, cast

from sqlalchemy import (
    Column,
    Index,
    LargeBinary,
    Table,
    Text,
    UniqueConstraint,
    text,
)
from sqlmodel import Field, SQLModel

from workflow.core.states import (
    ContactMethod,
    ContactStage,
    DeadlineStatus,
    Role,
    State,
)
from workflow.store.columns import audit_ref as _audit_ref
from workflow.store.columns import check_in as _check
from workflow.store.columns import foreign_key as _fk
from workflow.store.columns import instant as _instant
from workflow.store.portal_models import (
    ACCOUNT_KINDS,
    Account,
    AccountEvent,
    LoginFailure,
    Submission,
    SubmissionEventRow,
    WebSession,
)
from workflow.store.request_models import AnswerReview, ExtensionRequest, Receipt, ReturnRequest

__all__ = [
    "ACCOUNT_KINDS",
    "MEASURES_GROUPS",
    "MEASURES_READ",
    "Account",
    "AccountEvent",
    "Answer",
    "AnswerReview",
    "Assignment",
    "Attachment",
    "AttachmentBlob",
    "AuditEvent",
    "CalendarYear",
    "Congress",
    "CongressSession",
    "Contact",
    "Conversion",
    "Deadline",
    "Deputy",
    "DirectoryChange",
    "ExtensionRequest",
    "Feedback",
    "LoginFailure",
    "Opinion",
    "Outbox",
    "Promise",
    "PublishedCount",
    "Receipt",
    "ReturnRequest",
    "StoredRuleSet",
    "Submission",
    "SubmissionEventRow",
    "Suggestion",
    "SuggestionSigner",
    "Unit",
    "UnitCase",
    "WebSession",
    "column_length",
    "table",
    "too_long",
]

LEVELS = ("national", "province", "city", "county", "township")
DEADLINE_KINDS = ("return_window", "co_opinion", "answer", "feedback", "re_answer", "promise")
OUTBOX_STATUSES = ("pending", "sending", "sent", "failed", "dead", "suppressed", "digested")
RATINGS = ("satisfied", "basic", "unsatisfied")
DIRECTORY_KINDS = ("unit", "deputy")


class Congress(SQLModel, table=True):
    """A people's congress (人大); one database may serve several."""

    __tablename__ = "congresses"
    __table_args__ = (_check("level", LEVELS, "ck_congress_level"),)

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=100, unique=True)
    level: str = Field(max_length=10)
    ruleset_id: str = Field(max_length=40)
    ruleset_version: int
    created_at: datetime = _instant()
    last_swept_at: datetime | None = _instant(nullable=True)  # the last reminder sweep (`jianyi status`)


class CongressSession(SQLModel, table=True):
    """A session (届次/会次) whose suggestions are numbered together."""

    __tablename__ = "sessions"
    __table_args__ = (UniqueConstraint("congress_id", "name", name="uq_session_name"),)

    id: int | None = Field(default=None, primary_key=True)
    congress_id: int = _fk("congresses.id")
    name: str = Field(max_length=100)
    term: str | None = Field(default=None, max_length=50)
    year: int | None = None
    is_current: bool = False


class Deputy(SQLModel, table=True):
    """A deputy (代表)."""

    __tablename__ = "deputies"
    __table_args__ = (UniqueConstraint("congress_id", "name", name="uq_deputy_name"),)

    id: int | None = Field(default=None, primary_key=True)
    congress_id: int = _fk("congresses.id")
    name: str = Field(max_length=100)
    delegation: str | None = Field(default=None, max_length=100)
    email: str | None = Field(default=None, max_length=200)
    phone: str | None = Field(default=None, max_length=50)


class Unit(SQLModel, table=True):
    """A handling unit (承办单位)."""

    __tablename__ = "units"
    __table_args__ = (UniqueConstraint("congress_id", "name", name="uq_unit_name"),)

    id: int | None = Field(default=None, primary_key=True)
    congress_id: int = _fk("congresses.id")
    name: str = Field(max_length=200)
    parent_id: int | None = _fk("units.id", nullable=True, index=False)
    email: str | None = Field(default=None, max_length=200)
    phone: str | None = Field(default=None, max_length=50)
    webhook: str | None = Field(default=None, max_length=500)


class StoredRuleSet(SQLModel, table=True):
    """A rule set version as it was loaded; cases stay pinned to the version they were assigned under."""

    __tablename__ = "rulesets"
    __table_args__ = (UniqueConstraint("rule_id", "version", name="uq_ruleset_version"),)

    id: int | None = Field(default=None, primary_key=True)
    rule_id: str = Field(max_length=40)
    version: int
    data: str = Field(sa_type=Text)  # the resolved rule set, canonical JSON
    loaded_at: datetime = _instant()


class CalendarYear(SQLModel, table=True):
    """One year's official holiday schedule as loaded (`jianyi calendar load`); wins over the library's."""

    __tablename__ = "calendar_years"

    year: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    source: str = Field(default="", sa_type=Text)
    data: str = Field(sa_type=Text)  # the schedule, canonical JSON
    loaded_at: datetime = _instant()


# the index the measures read (workflow.reporting.measures): the case columns they group by, then the ones they
# only read, so that the cases' groups come off the index in order, without a sort or a visit to the case rows
MEASURES_GROUPS = (
    "main_unit_id",
    "state",
    "round",
    "category",
    "current_category",
    "rating",
    "contact_level",
    "answer_met",
)
MEASURES_READ = ("session_id", "assigned_at", "answered_at", "first_answer_at", "answer_due_at")


class Suggestion(SQLModel, table=True):
    """A deputy's suggestion (建议) and where it stands."""

    __tablename__ = "suggestions"
    __table_args__ = (
        UniqueConstraint("session_id", "number", name="uq_suggestion_number"),
        _check("state", [s.value for s in State], "ck_suggestion_state"),
        Index("ix_suggestions_session_state", "session_id", "state"),
        Index("ix_suggestions_measures", *MEASURES_GROUPS, *MEASURES_READ),
    )

    id: int | None = Field(default=None, primary_key=True)
    session_id: int = _fk("sessions.id", index=False)
    number: str = Field(max_length=40)
    title: str = Field(max_length=500)
    content: str = Field(default="", sa_type=Text)
    field: str | None = Field(default=None, max_length=100)
    lead_deputy_id: int = _fk("deputies.id")
    between_sessions: bool = False
    confidential: bool = False
    key: bool = False
    complex: bool = False
    extended: bool = False
    state: str = Field(max_length=20)
    round: int = 1
    version: int = 1
    ruleset_id: str | None = Field(default=None, max_length=40)
    ruleset_version: int | None = None
    escalation_level: int = 0
    category: str | None = Field(default=None, max_length=1)
    current_category: str | None = Field(default=None, max_length=1)
    submitted_at: datetime = _instant()
    assigned_at: datetime | None = _instant(nullable=True)
    answered_at: datetime | None = _instant(nullable=True)
    closed_at: datetime | None = _instant(nullable=True)
    # tallies the measures read, derived from the tables by every action (workflow.store.tally); added by a plain
    # ALTER TABLE (no CHECK: on SQLite that would rebuild the table every other table refers to)
    first_answer_at: datetime | None = _instant(nullable=True)
    rating: str | None = Field(default=None, max_length=12)
    contact_level: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    answer_met: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    main_unit_id: int | None = None
    answer_due_at: datetime | None = _instant(nullable=True)
    last_event_at: datetime = _instant()
    audit_seq: int = 0
    audit_head: str = Field(default="", max_length=64)


class PublishedCount(SQLModel, table=True):
    """How many cases of a session are published (the public list's total), kept exact by triggers on
    ``suggestions`` (migration 0018): no code writes it."""

    __tablename__ = "published_counts"

    session_id: int = Field(foreign_key="sessions.id", primary_key=True)
    cases: int


class SuggestionSigner(SQLModel, table=True):
    """A co-signing deputy (附议/联名代表) of a suggestion."""

    __tablename__ = "suggestion_signers"

    suggestion_id: int = Field(foreign_key="suggestions.id", primary_key=True)
    deputy_id: int = Field(foreign_key="deputies.id", primary_key=True, index=True)
    position: int = 0
    audit_ref: str | None = _audit_ref()


class Assignment(SQLModel, table=True):
    """A unit's part in a case; ``until`` is set when a reassignment ends it."""

    __tablename__ = "assignments"
    __table_args__ = (
        _check("role", [r.value for r in Role], "ck_assignment_role"),
        Index("ix_assignments_unit_open", "unit_id", "until"),
        Index("ix_assignments_unit_case", "unit_id", "suggestion_id"),  # a unit's scope from the index alone
        # a unit's open assignments with when each began, from the index alone (migration 0022)
        Index(
            "ix_assignments_unit_open_cases",
            "unit_id",
            "suggestion_id",
            "since",
            sqlite_where=text("until IS NULL"),
            postgresql_where=text("until IS NULL"),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    suggestion_id: int = _fk("suggestions.id")
    unit_id: int = _fk("units.id", index=False)
    role: str = Field(max_length=10)
    round: int = 1
    since: datetime = _instant()
    until: datetime | None = _instant(nullable=True)
    audit_ref: str | None = _audit_ref()


class UnitCase(SQLModel, table=True):
    """A case a unit is or was assigned to (its scope), once, with the case's session, state and number copied:
    a unit's cases in a state, by number, are one range of ``ix_unit_cases_inbox``. Kept exact by triggers on
    ``assignments`` and ``suggestions`` (migration 0020): no code writes it."""

    __tablename__ = "unit_cases"
    __table_args__ = (
        Index("ix_unit_cases_inbox", "unit_id", "session_id", "state", "number", "suggestion_id"),
    )

    suggestion_id: int = Field(foreign_key="suggestions.id", primary_key=True)
    unit_id: int = Field(foreign_key="units.id", primary_key=True)
    session_id: int
    state: str = Field(max_length=20)
    number: str = Field(max_length=40)


class Opinion(SQLModel, table=True):
    """A co-unit's opinion to the main unit (会办意见)."""

    __tablename__ = "opinions"

    id: int | None = Field(default=None, primary_key=True)
    suggestion_id: int = _fk("suggestions.id")
    unit_id: int = _fk("units.id", index=False)
    round: int = 1
    text: str = Field(sa_type=Text)
    at: datetime = _instant()
    audit_ref: str | None = _audit_ref()


class Contact(SQLModel, table=True):
    """A recorded contact between a unit and the deputy (联系沟通)."""

    __tablename__ = "contacts"
    __table_args__ = (
        _check("method", [m.value for m in ContactMethod], "ck_contact_method"),
        _check("stage", [s.value for s in ContactStage], "ck_contact_stage"),
    )

    id: int | None = Field(default=None, primary_key=True)
    suggestion_id: int = _fk("suggestions.id")
    unit_id: int = _fk("units.id", index=False)
    round: int = 1
    method: str = Field(max_length=10)
    stage: str = Field(max_length=10)
    note: str = Field(default="", sa_type=Text)
    at: datetime = _instant()
    audit_ref: str | None = _audit_ref()


class Answer(SQLModel, table=True):
    """A unit's answer (答复) to the deputy, with its class."""

    __tablename__ = "answers"

    id: int | None = Field(default=None, primary_key=True)
    suggestion_id: int = _fk("suggestions.id")
    unit_id: int = _fk("units.id", index=False)
    round: int = 1
    category: str = Field(max_length=1)
    text: str = Field(sa_type=Text)
    overrides: str = Field(default="[]", sa_type=Text)  # JSON: co-units answered without, with reasons
    at: datetime = _instant()
    audit_ref: str | None = _audit_ref()


class Promise(SQLModel, table=True):
    """A promised item of a B answer (承诺事项), followed up until done."""

    __tablename__ = "promises"

    id: int | None = Field(default=None, primary_key=True)
    answer_id: int = _fk("answers.id", index=False)
    suggestion_id: int = _fk("suggestions.id")
    unit_id: int = _fk("units.id", index=False)
    text: str = Field(sa_type=Text)
    due: date
    status: str = Field(default="open", max_length=10)
    audit_ref: str | None = _audit_ref()


class Conversion(SQLModel, table=True):
    """A follow-up answer that changes a promise class (B) to another (B→A 转化, B→C); the answered class stays."""

    __tablename__ = "conversions"

    id: int | None = Field(default=None, primary_key=True)
    suggestion_id: int = _fk("suggestions.id")
    from_category: str = Field(max_length=1)
    to_category: str = Field(max_length=1)
    evidence: str = Field(sa_type=Text)
    actor: str = Field(max_length=220)
    at: datetime = _instant(index=True)
    audit_ref: str | None = _audit_ref()


class Feedback(SQLModel, table=True):
    """The deputy's feedback on an answer (代表意见)."""

    __tablename__ = "feedback"
    __table_args__ = (
        _check("rating", RATINGS, "ck_feedback_rating"),
        _check("coalesce(attitude, 'basic')", RATINGS, "ck_feedback_attitude"),
        _check("coalesce(result, 'basic')", RATINGS, "ck_feedback_result"),
    )

    id: int | None = Field(default=None, primary_key=True)
    suggestion_id: int = _fk("suggestions.id")
    deputy_id: int | None = _fk("deputies.id", nullable=True, index=False)
    round: int = 1
    rating: str = Field(max_length=12)
    attitude: str | None = Field(default=None, max_length=12)
    result: str | None = Field(default=None, max_length=12)
    comment: str = Field(default="", sa_type=Text)
    at: datetime = _instant()
    audit_ref: str | None = _audit_ref()


class Deadline(SQLModel, table=True):
    """One deadline a case owes; the reminder sweep reads these rows by ``(status, due_at)``."""

    __tablename__ = "deadlines"
    __table_args__ = (
        _check("kind", DEADLINE_KINDS, "ck_deadline_kind"),
        _check("status", [s.value for s in DeadlineStatus], "ck_deadline_status"),
        Index("ix_deadlines_status_due", "status", "due_at"),
        Index("ix_deadlines_unit_open", "unit_id", "status", "due_at"),  # what one unit owes, by when
        Index("ix_deadlines_next_step", "next_step_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    suggestion_id: int = _fk("suggestions.id")
    kind: str = Field(max_length=20)
    unit_id: int | None = _fk("units.id", nullable=True, index=False)
    round: int = 1
    ref_id: int | None = None  # the promise a `promise` deadline follows
    start: date  # the start event's local date (not counted)
    due: date  # the last day, local
    due_at: datetime = _instant()  # 24:00 local of `due`, in UTC
    raw_due: date  # the last day before rolling to a working day
    roll_reason: str | None = Field(default=None, max_length=200)
    status: str = Field(default=DeadlineStatus.OPEN.value, max_length=10)
    met_at: datetime | None = _instant(nullable=True)
    late: bool | None = None  # set when met: met after due_at
    provisional: bool = False
    version: int = 1  # bumped whenever `due_at` is recomputed
    escalation_step: int = 0  # ladder steps taken (the next step's index)
    # when the reminder sweep must look at this deadline next (a ladder step or the window's end may be due
    # then; never later than that); NULL once the deadline is settled or nothing is left to do
    next_step_at: datetime | None = _instant(nullable=True)
    audit_ref: str | None = _audit_ref()


class Outbox(SQLModel, table=True):
    """A notice to deliver, written in the transaction that caused it; delivered after commit."""

    __tablename__ = "outbox"
    __table_args__ = (
        _check("status", OUTBOX_STATUSES, "ck_outbox_status"),
        Index("ix_outbox_status_available", "status", "available_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(max_length=200, unique=True)  # idempotency key
    suggestion_id: int | None = _fk("suggestions.id", nullable=True, index=False)
    topic: str = Field(max_length=40)
    recipient_kind: str = Field(max_length=10)
    recipient_id: int | None = None
    channel: str | None = Field(default=None, max_length=20)
    payload: str = Field(default="{}", sa_type=Text)  # JSON
    status: str = Field(default="pending", max_length=10)
    reason: str | None = Field(default=None, sa_type=Text)
    attempts: int = 0
    created_at: datetime = _instant()
    available_at: datetime = _instant()
    sent_at: datetime | None = _instant(nullable=True)
    lease_owner: str | None = Field(default=None, max_length=100)
    lease_until: datetime | None = _instant(nullable=True)


class AuditEvent(SQLModel, table=True):
    """An append-only, hash-chained record of one thing that happened to a case."""

    __tablename__ = "audit_events"
    __table_args__ = (UniqueConstraint("suggestion_id", "seq", name="uq_audit_seq"),)

    id: int | None = Field(default=None, primary_key=True)
    suggestion_id: int = _fk("suggestions.id", index=False)
    seq: int
    at: datetime = _instant()  # when it happened (may be entered after the fact)
    recorded_at: datetime = _instant()  # when it was written
    actor: str = Field(max_length=220)
    action: str = Field(max_length=30)
    from_state: str | None = Field(default=None, max_length=20)
    to_state: str = Field(max_length=20)
    round: int = 1
    data: str = Field(default="{}", sa_type=Text)  # canonical JSON
    # the record of the rows the event's step wrote (workflow.core.records), on its first event ("" on the others);
    # NULL on events written before records existed
    written: str | None = Field(default=None, sa_type=Text)
    prev_hash: str = Field(max_length=64)
    hash: str = Field(max_length=64)


class Attachment(SQLModel, table=True):
    """A file that came with an action (答复函, 会办意见, a conversion's evidence): its name, media type (by
    content), size and SHA-256, by which its bytes are kept (:class:`AttachmentBlob`, or a file named by it)."""

    __tablename__ = "attachments"
    __table_args__ = (UniqueConstraint("suggestion_id", "name", name="uq_attachment_name"),)

    id: int | None = Field(default=None, primary_key=True)
    suggestion_id: int = _fk("suggestions.id")
    seq: int  # the audit event of the action it came with
    action: str = Field(max_length=30)
    round: int = 1
    unit_id: int | None = _fk("units.id", nullable=True, index=False)
    name: str = Field(max_length=200)
    media_type: str = Field(max_length=100)
    size: int
    sha256: str = Field(max_length=64, index=True)
    actor: str = Field(max_length=220)
    at: datetime = _instant()
    audit_ref: str | None = _audit_ref()


class AttachmentBlob(SQLModel, table=True):
    """The bytes of attachments kept in the database, by their SHA-256 (each content once)."""

    __tablename__ = "attachment_blobs"

    sha256: str = Field(max_length=64, primary_key=True)
    size: int
    data: bytes = Field(sa_column=Column(LargeBinary, nullable=False))


class DirectoryChange(SQLModel, table=True):
    """One edited field of a unit or deputy (a rename included): append-only, hash-chained per congress
    (:mod:`workflow.store.directory_changes`)."""

    __tablename__ = "directory_changes"
    __table_args__ = (
        UniqueConstraint("congress_id", "seq", name="uq_directory_change_seq"),
        _check("kind", DIRECTORY_KINDS, "ck_directory_change_kind"),
        Index("ix_directory_changes_lookup", "congress_id", "kind", "field", "old"),
        Index("ix_directory_changes_entity", "kind", "entity_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    congress_id: int = _fk("congresses.id", index=False)
    seq: int  # in the congress's chain, from 1
    kind: str = Field(max_length=10)  # unit or deputy
    entity_id: int  # the unit's or deputy's id
    field: str = Field(max_length=20)  # name, email, phone, webhook, parent, delegation
    old: str | None = Field(default=None, max_length=500)
    new: str | None = Field(default=None, max_length=500)
    actor: str = Field(max_length=220)
    at: datetime = _instant()
    prev_hash: str = Field(max_length=64)
    hash: str = Field(max_length=64)


def table(model: type[SQLModel]) -> Table:
    """The Core ``Table`` behind a table model."""
    return cast(Table, model.__table__)  # type: ignore[attr-defined]


def tables() -> dict[str, Table]:
    """Every table of the schema, by name."""
    return dict(SQLModel.metadata.tables)


@cache
def _limits(table: str) -> dict[str, int]:
    """The bounded text columns of ``table`` and how many characters each holds (read once)."""
    found = {}
    for column in SQLModel.metadata.tables[table].c:
        length = getattr(column.type, "length", None)
        if isinstance(length, int):
            found[column.name] = length
    return found


def column_length(table: str, column: str) -> int:
    """How many characters a bounded text ``column`` of ``table`` holds."""
    length = _limits(table).get(column)
    if length is None:
        msg = f"{table}.{column} is not a bounded text column"
        raise TypeError(msg)
    return length


def too_long(table: str, values: Mapping[str, Any]) -> str | None:
    """What in ``values`` is longer than its column of ``table`` allows, said for a person (None: all fits).
    Checked before writing, so that SQLite (which would store it) and PostgreSQL (which would refuse it)
    answer alike."""
    limits = _limits(table)
    get = values.get
    if not any(isinstance(v := get(name), str) and len(v) > limit for name, limit in limits.items()):
        return None  # the common case: a look at the bounded columns alone
    for name, value in values.items():
        limit = limits.get(name)
        if limit is not None and isinstance(value, str) and len(value) > limit:
            return f"{name} is {len(value):,} characters long; at most {limit} fit"
    return None
