"""The engine: every lifecycle action, each in one database transaction, and the queries.

Open it on a database (a SQLite path by default, or any SQLAlchemy URL), act, query, subscribe::

    engine = Engine.init("cases.db")           # create or upgrade the schema; Engine.open() for an existing one
    engine.add_session("十四届人大三次会议", current=True)
    engine.add_deputy("张三"); engine.add_unit("市交通运输局")
    engine.submit("0001", title="关于优化公交线路的建议", deputy="张三")
    engine.assign("0001", main="市交通运输局")

Every action takes ``actor`` (default: the office), ``at`` (when it happened, default now), ``session``
(default: the current session) and ``expected_version`` (optimistic locking for forms that were loaded
earlier). A refused action raises a :class:`~workflow.core.errors.WorkflowError` and changes nothing.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, bindparam, func, insert, select, update
from sqlalchemy import Engine as SAEngine
from sqlalchemy.exc import IntegrityError, OperationalError

from rules import DeadlineKind, Rating, RuleSet, YearSchedule, default_ruleset, ruleset_from_data
from workflow._tx import Tx, case_row, write_deferred
from workflow.core.audit import GENESIS, AuditProblem, canonical, chain_hash
from workflow.core.clock import Clock, SystemClock, ensure_utc
from workflow.core.errors import Conflict, NotFound, ValidationError, WorkflowError
from workflow.core.machine import CaseView, allowed_actions
from workflow.core.states import (
    FACE_TO_FACE,
    Action,
    ActorKind,
    ContactMethod,
    ContactStage,
    DeadlineStatus,
    ReturnStatus,
    Role,
    State,
)
from workflow.core.views import (
    WINDOW_KINDS,
    Actor,
    Case,
    CaseEvent,
    Change,
    ConversionInfo,
    DeadlineExplained,
    DeadlineInfo,
    DueItem,
    HistoryEntry,
)
from workflow.recompute import RecomputeReport, no_cycle_collection, recompute
from workflow.store import db as _db
from workflow.store.models import (
    Answer,
    Assignment,
    AuditEvent,
    Congress,
    CongressSession,
    Contact,
    Conversion,
    Deadline,
    Deputy,
    Feedback,
    Opinion,
    Promise,
    ReturnRequest,
    StoredRuleSet,
    Suggestion,
    SuggestionSigner,
    Unit,
    table,
)
from workflow.store.sql import Raw, as_date, as_instant

__all__ = ["DEFAULT_CONGRESS", "AssignOrder", "DeputyInfo", "Engine", "Promised", "SessionInfo", "UnitInfo"]

log = logging.getLogger("jianyi.workflow")

DEFAULT_CONGRESS = "default"
_FUTURE_SLACK = timedelta(minutes=5)
# states in which an answered case is followed up (conversion, progress on promises); a withdrawn case is not
_FOLLOWED_UP = frozenset({State.ANSWERED, State.REVISITED, State.RE_HANDLED, State.CLOSED})
_HANDLING_KINDS = (
    DeadlineKind.RETURN_WINDOW,
    DeadlineKind.CO_OPINION,
    DeadlineKind.ANSWER,
    DeadlineKind.RE_ANSWER,
)

SUGGESTIONS = table(Suggestion)
ASSIGNMENTS = table(Assignment)
DEADLINES = table(Deadline)
AUDIT = table(AuditEvent)
CONGRESSES = table(Congress)
SESSIONS = table(CongressSession)
DEPUTIES = table(Deputy)
UNITS = table(Unit)
RULESETS = table(StoredRuleSet)
SIGNERS = table(SuggestionSigner)
RETURNS = table(ReturnRequest)
OPINIONS = table(Opinion)
CONTACTS = table(Contact)
ANSWERS = table(Answer)
PROMISES = table(Promise)
CONVERSIONS = table(Conversion)
FEEDBACK = table(Feedback)


@dataclass(frozen=True, slots=True)
class Promised:
    """A promised item of a B answer: what, and by when."""

    text: str
    due: date


@dataclass(frozen=True, slots=True)
class AssignOrder:
    """One line of a batch assignment (交办会)."""

    number: str
    main: str | None = None
    co: Sequence[str] = ()
    split: Sequence[str] = ()
    key: bool = False
    complex: bool = False


@dataclass(frozen=True, slots=True)
class SessionInfo:
    """A session (届次/会次)."""

    name: str
    term: str | None
    year: int | None
    current: bool


@dataclass(frozen=True, slots=True)
class UnitInfo:
    """A handling unit."""

    name: str
    parent: str | None
    email: str | None
    phone: str | None
    webhook: str | None


@dataclass(frozen=True, slots=True)
class DeputyInfo:
    """A deputy."""

    name: str
    delegation: str | None
    email: str | None
    phone: str | None


@dataclass
class _Names:
    """Name ↔ id caches for units and deputies (rows are never deleted nor renamed)."""

    unit_ids: dict[str, int] = field(default_factory=dict)
    unit_names: dict[int, str] = field(default_factory=dict)
    deputy_ids: dict[str, int] = field(default_factory=dict)
    deputy_names: dict[int, str] = field(default_factory=dict)


def _lines(values: Iterable[str]) -> list[str]:
    return [v.strip() for v in values if v and v.strip()]


class Engine:
    """The suggestion workflow engine over one database and one congress."""

    def __init__(self, db: SAEngine, *, congress: str | None = None, clock: Clock | None = None) -> None:
        """Use :meth:`open` or :meth:`init`; this constructor expects a checked, migrated database."""
        self._db = db
        self.clock: Clock = clock or SystemClock()
        self._names = _Names()
        self._rulesets: dict[tuple[str, int], RuleSet] = {}
        self._subscribers: list[Callable[[CaseEvent], None]] = []
        self._postgres = db.dialect.name == "postgresql"
        self._local = threading.local()
        self._schedules: dict[int, YearSchedule] | None = None
        self._held: list[Connection] = []
        self._held_lock = threading.Lock()
        with db.connect() as conn:
            row = conn.execute(
                select(CONGRESSES.c.id, CONGRESSES.c.name).where(
                    CONGRESSES.c.name == (congress or DEFAULT_CONGRESS)
                )
                if congress or self._count_congresses(conn) != 1
                else select(CONGRESSES.c.id, CONGRESSES.c.name)
            ).first()
        if row is None:
            raise NotFound(
                kind="congress",
                name=congress or DEFAULT_CONGRESS,
                hint="create it with `jianyi init --congress NAME`",
            )
        self.congress_id: int = row.id
        self.congress: str = row.name

    @staticmethod
    def _count_congresses(conn: Connection) -> int:
        return int(conn.execute(select(func.count()).select_from(CONGRESSES)).scalar_one())

    # ---- opening ------------------------------------------------------------------------------
    @classmethod
    def open(
        cls, db: str | Path = "jianyi.db", *, congress: str | None = None, clock: Clock | None = None
    ) -> Engine:
        """Open an initialised database (raises :class:`~workflow.core.errors.NotInitialised` otherwise)."""
        sa_engine = _db.connect(db)
        _db.check_schema(sa_engine)
        return cls(sa_engine, congress=congress, clock=clock)

    @classmethod
    def init(
        cls,
        db: str | Path = "jianyi.db",
        *,
        congress: str | None = None,
        level: str = "province",
        ruleset: RuleSet | None = None,
        clock: Clock | None = None,
    ) -> Engine:
        """Create or upgrade the schema, make sure the congress exists, and open the engine."""
        sa_engine = _db.connect(db)
        _db.upgrade(sa_engine)
        now = (clock or SystemClock()).now()
        name = congress or DEFAULT_CONGRESS
        rs = ruleset or default_ruleset()
        with sa_engine.connect().execution_options(**{_db.WRITE: True}) as conn, conn.begin():
            _store_ruleset(conn, rs, now)
            exists = conn.execute(select(CONGRESSES.c.id).where(CONGRESSES.c.name == name)).first()
            if exists is None:
                if level not in ("national", "province", "city", "county", "township"):
                    msg = (
                        f"congress level {level!r} unknown: use national, province, city, county or township"
                    )
                    raise ValidationError(msg)
                conn.execute(
                    insert(CONGRESSES),
                    {
                        "name": name,
                        "level": level,
                        "ruleset_id": rs.id,
                        "ruleset_version": rs.version,
                        "created_at": now,
                    },
                )
        return cls(sa_engine, congress=name, clock=clock)

    def dispose(self) -> None:
        """Release the database connections."""
        with self._held_lock:
            for conn in self._held:
                if not conn.closed:
                    conn.close()
            self._held.clear()
        self._local = threading.local()
        self._db.dispose()

    def __enter__(self) -> Engine:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.dispose()

    @property
    def url(self) -> str:
        """The database URL, without password."""
        return self._db.url.render_as_string(hide_password=True)

    # ---- events -------------------------------------------------------------------------------
    def subscribe(self, callback: Callable[[CaseEvent], None]) -> Callable[[], None]:
        """Call ``callback`` with each committed event (after commit); returns an unsubscribe function."""
        self._subscribers.append(callback)

        def unsubscribe() -> None:
            if callback in self._subscribers:
                self._subscribers.remove(callback)

        return unsubscribe

    def _publish(self, events: Iterable[CaseEvent]) -> None:
        for event in events:
            for callback in list(self._subscribers):
                try:
                    callback(event)
                except Exception:
                    log.exception("subscriber %r failed on %s %s", callback, event.number, event.action)

    # ---- rule sets ----------------------------------------------------------------------------
    def ruleset(self, conn: Connection | None, rule_id: str, version: int) -> RuleSet:
        """A stored rule set version (cached)."""
        key = (rule_id, version)
        found = self._rulesets.get(key)
        if found is None:
            with self._reading(conn) as c:
                stored = Raw(c).column(
                    "SELECT data FROM rulesets WHERE rule_id = :id AND version = :v",
                    {"id": rule_id, "v": version},
                )
            data = stored[0] if stored else None
            if data is None:
                raise NotFound(kind="rule set", name=f"{rule_id}@{version}")
            found = ruleset_from_data(json.loads(data), f"stored rule set {rule_id}@{version}")
            found = found.with_schedules(self.calendar_years(conn))
            self._rulesets[key] = found
        return found

    def calendar_years(self, conn: Connection | None = None) -> dict[int, YearSchedule]:
        """The official schedules loaded into this database (`jianyi calendar load`), by year."""
        if self._schedules is None:
            with self._reading(conn) as c:
                rows = Raw(c).all("SELECT year, data FROM calendar_years ORDER BY year")
            self._schedules = {int(y): YearSchedule.model_validate(json.loads(d)) for y, d in rows}
        return self._schedules

    def load_calendar(
        self,
        schedule: YearSchedule,
        *,
        at: datetime | None = None,
        progress: Callable[[int], None] | None = None,
    ) -> RecomputeReport:
        """Load one year's official schedule and recompute every open deadline whose period touches that year.

        Each case whose deadlines move gets an audit event naming the old and new dates. Loading the same
        schedule again moves nothing.
        """
        at, now = self._when(at)
        data = canonical(schedule.model_dump(mode="json"))
        with self._action() as conn:
            raw = Raw(conn)
            raw.run("DELETE FROM calendar_years WHERE year = :y", {"y": schedule.year})
            raw.insert_many(
                "calendar_years",
                [{"year": schedule.year, "source": schedule.source, "data": data, "loaded_at": now}],
            )
        self._schedules = None
        self._rulesets.clear()
        zone = self.active_ruleset().zone
        first = datetime(schedule.year, 1, 1, tzinfo=zone).astimezone(UTC)
        last = date(schedule.year, 12, 31)
        return recompute(
            self,
            case_filter="s.ruleset_id IS NOT NULL",
            deadline_filter="d.due_at > :first AND d.start < :last",
            params={"first": first, "last": last},
            action="deadlines_recomputed",
            reason=f"{schedule.year} official schedule loaded: {schedule.source or 'no source given'}",
            at=at,
            now=now,
            progress=progress,
        )

    def apply_ruleset(
        self,
        rs: RuleSet,
        *,
        open_cases: bool = False,
        at: datetime | None = None,
        progress: Callable[[int], None] | None = None,
    ) -> RecomputeReport | None:
        """Make ``rs`` the congress's rule set for new assignments; with ``open_cases`` move open cases to it.

        A changed rule set needs a new version number. Moving open cases recomputes their open deadlines from
        their start dates, one audit event per case; without it nothing that is open moves.
        """
        at, now = self._when(at)
        with self._action() as conn:
            raw = Raw(conn)
            newest = raw.column("SELECT max(version) FROM rulesets WHERE rule_id = :id", {"id": rs.id})[0]
            stored = raw.column(
                "SELECT data FROM rulesets WHERE rule_id = :id AND version = :v",
                {"id": rs.id, "v": rs.version},
            )
            data = canonical(rs.model_dump(mode="json"))
            if stored and json.loads(stored[0]) != json.loads(data):
                msg = (
                    f"rule set {rs.id}@{rs.version} is stored with other content; give the changed rule set "
                    f"a new version (newest stored: {newest})"
                )
                raise ValidationError(msg)
            if not stored:
                if newest is not None and rs.version < int(newest):
                    msg = f"rule set {rs.id}@{rs.version} is older than the stored {rs.id}@{newest}"
                    raise ValidationError(msg)
                raw.insert_many(
                    "rulesets", [{"rule_id": rs.id, "version": rs.version, "data": data, "loaded_at": now}]
                )
            raw.run(
                "UPDATE congresses SET ruleset_id = :id, ruleset_version = :v WHERE id = :c",
                {"id": rs.id, "v": rs.version, "c": self.congress_id},
            )
        self._rulesets.clear()
        if not open_cases:
            return None
        return recompute(
            self,
            case_filter=(
                "s.ruleset_id IS NOT NULL AND NOT (s.ruleset_id = :id AND s.ruleset_version = :v) "
                "AND s.session_id IN (SELECT id FROM sessions WHERE congress_id = :c)"
            ),
            deadline_filter="1 = 1",
            params={"c": self.congress_id, "id": rs.id, "v": rs.version},
            action="ruleset_applied",
            reason=f"rule set {rs.id}@{rs.version} applied to open cases",
            at=at,
            now=now,
            repin=self.ruleset(None, rs.id, rs.version),
            progress=progress,
        )

    def active_ruleset(self, conn: Connection | None = None) -> RuleSet:
        """The rule set new assignments are pinned to."""
        with self._reading(conn) as c:
            row = Raw(c).one(
                "SELECT ruleset_id, ruleset_version FROM congresses WHERE id = :id", {"id": self.congress_id}
            )
            assert row is not None
            return self.ruleset(c, row["ruleset_id"], row["ruleset_version"])

    # ---- connections --------------------------------------------------------------------------
    @contextmanager
    def _reading(self, conn: Connection | None = None) -> Iterator[Connection]:
        if conn is not None:
            yield conn
            return
        with self._db.connect() as fresh:
            yield fresh

    def _writer(self) -> Connection:
        """This thread's held writing connection (a pool checkout per action costs more than its statements)."""
        conn: Connection | None = getattr(self._local, "writer", None)
        if conn is None or conn.closed or conn.invalidated:
            conn = self._db.connect().execution_options(**{_db.WRITE: True})
            self._local.writer = conn
            with self._held_lock:
                self._held.append(conn)
        return conn

    def _drop_writer(self) -> None:
        """Close this thread's held writing connection (after a driver error); the next action opens another."""
        conn: Connection | None = getattr(self._local, "writer", None)
        self._local.writer = None
        if conn is None:
            return
        with self._held_lock:
            if conn in self._held:
                self._held.remove(conn)
        conn.close()

    @contextmanager
    def _mapped_errors(self) -> Iterator[None]:
        """Driver errors as one-line workflow errors; the transaction has been rolled back."""
        dbapi = self._db.dialect.loaded_dbapi
        try:
            yield
        except (dbapi.IntegrityError, IntegrityError) as exc:
            msg = (
                f"the database refused the change, nothing was written: {_first_line(exc)}; reload and retry"
            )
            raise ValidationError(msg) from exc
        except (dbapi.OperationalError, OperationalError) as exc:
            self._drop_writer()
            msg = f"the database is busy or unavailable, nothing was written: {_first_line(exc)}; retry"
            raise WorkflowError(msg) from exc

    @contextmanager
    def _writing(self) -> Iterator[Connection]:
        """A writing transaction managed by SQLAlchemy (directory changes, set-up)."""
        with (
            self._mapped_errors(),
            self._db.connect().execution_options(**{_db.WRITE: True}) as conn,
            conn.begin(),
        ):
            yield conn

    @contextmanager
    def _action(self) -> Iterator[Connection]:
        """The writing transaction of one action, begun and ended on the driver connection.

        Every statement of an action goes through :class:`~workflow.store.sql.Raw`; SQLite takes the write lock at
        once (``BEGIN IMMEDIATE``), PostgreSQL begins implicitly and the case row is locked when it is read.
        """
        if getattr(self._local, "acting", False):  # an action started from inside another's transaction
            with self._writing() as conn:
                yield conn
            return
        conn = self._writer()
        driver: Any = conn.connection.driver_connection
        self._local.acting = True
        try:
            with self._mapped_errors():
                if not self._postgres:
                    driver.execute("BEGIN IMMEDIATE")
                try:
                    yield conn
                except BaseException:
                    driver.rollback()
                    raise
                driver.commit()
        finally:
            self._local.acting = False

    @contextmanager
    def quietly(self) -> Iterator[None]:
        """Within the block (in this thread), actions write no notices: for history entered after the fact,
        such as an imported ledger, whose steps happened on paper. The audit trail records them as ever, and
        the reminders of deadlines still open are sent as usual."""
        before = getattr(self._local, "quiet", False)
        self._local.quiet = True
        try:
            yield
        finally:
            self._local.quiet = before

    def _when(self, at: datetime | None) -> tuple[datetime, datetime]:
        now = ensure_utc(self.clock.now(), what="clock time")
        if at is None:
            return now, now
        try:
            at = ensure_utc(at, what="--at")
        except ValueError as exc:
            raise ValidationError(str(exc)) from None
        if at > now + _FUTURE_SLACK:
            msg = f"time {at.isoformat()} is in the future (now {now.isoformat()}); enter what has happened"
            raise ValidationError(msg)
        return at, now

    # ---- directory ----------------------------------------------------------------------------
    def add_session(
        self, name: str, *, term: str | None = None, year: int | None = None, current: bool = False
    ) -> SessionInfo:
        """Add a session; ``current`` makes it the one case numbers refer to by default."""
        name = name.strip()
        if not name:
            raise ValidationError("a session needs a name")
        with self._writing() as conn:
            if current:
                conn.execute(
                    update(SESSIONS)
                    .where(SESSIONS.c.congress_id == self.congress_id)
                    .values(is_current=False)
                )
            try:
                with conn.begin_nested():
                    conn.execute(
                        insert(SESSIONS),
                        {
                            "congress_id": self.congress_id,
                            "name": name,
                            "term": term,
                            "year": year,
                            "is_current": current,
                        },
                    )
            except IntegrityError:
                raise ValidationError(
                    f"session {name!r} already exists in congress {self.congress!r}"
                ) from None
        return SessionInfo(name, term, year, current)

    def set_current_session(self, name: str) -> None:
        """Make ``name`` the current session."""
        with self._writing() as conn:
            sid = self._session_id(conn, name)
            conn.execute(
                update(SESSIONS).where(SESSIONS.c.congress_id == self.congress_id).values(is_current=False)
            )
            conn.execute(update(SESSIONS).where(SESSIONS.c.id == sid).values(is_current=True))

    def sessions(self) -> list[SessionInfo]:
        """All sessions of the congress, oldest first."""
        with self._reading() as conn:
            rows = conn.execute(
                select(SESSIONS).where(SESSIONS.c.congress_id == self.congress_id).order_by(SESSIONS.c.id)
            )
            return [SessionInfo(r.name, r.term, r.year, bool(r.is_current)) for r in rows]

    def add_unit(
        self,
        name: str,
        *,
        parent: str | None = None,
        email: str | None = None,
        phone: str | None = None,
        webhook: str | None = None,
    ) -> UnitInfo:
        """Add a handling unit (承办单位)."""
        name = name.strip()
        if not name:
            raise ValidationError("a unit needs a name")
        with self._writing() as conn:
            parent_id = self._unit_id(conn, parent) if parent else None
            try:
                with conn.begin_nested():
                    conn.execute(
                        insert(UNITS),
                        {
                            "congress_id": self.congress_id,
                            "name": name,
                            "parent_id": parent_id,
                            "email": email,
                            "phone": phone,
                            "webhook": webhook,
                        },
                    )
            except IntegrityError:
                raise ValidationError(f"unit {name!r} already exists") from None
        return UnitInfo(name, parent, email, phone, webhook)

    def units(self) -> list[UnitInfo]:
        """All units of the congress, by name."""
        parent = UNITS.alias("parent")
        with self._reading() as conn:
            rows = conn.execute(
                select(UNITS, parent.c.name.label("parent_name"))
                .outerjoin(parent, parent.c.id == UNITS.c.parent_id)
                .where(UNITS.c.congress_id == self.congress_id)
                .order_by(UNITS.c.name)
            )
            return [UnitInfo(r.name, r.parent_name, r.email, r.phone, r.webhook) for r in rows]

    def add_deputy(
        self, name: str, *, delegation: str | None = None, email: str | None = None, phone: str | None = None
    ) -> DeputyInfo:
        """Add a deputy (代表)."""
        name = name.strip()
        if not name:
            raise ValidationError("a deputy needs a name")
        with self._writing() as conn:
            try:
                with conn.begin_nested():
                    conn.execute(
                        insert(DEPUTIES),
                        {
                            "congress_id": self.congress_id,
                            "name": name,
                            "delegation": delegation,
                            "email": email,
                            "phone": phone,
                        },
                    )
            except IntegrityError:
                raise ValidationError(f"deputy {name!r} already exists") from None
        return DeputyInfo(name, delegation, email, phone)

    def deputies(self) -> list[DeputyInfo]:
        """All deputies of the congress, by name."""
        with self._reading() as conn:
            rows = conn.execute(
                select(DEPUTIES).where(DEPUTIES.c.congress_id == self.congress_id).order_by(DEPUTIES.c.name)
            )
            return [DeputyInfo(r.name, r.delegation, r.email, r.phone) for r in rows]

    def _maps(self, kind: str) -> tuple[dict[str, int], dict[int, str], str]:
        if kind == "unit":
            return self._names.unit_ids, self._names.unit_names, "units"
        return self._names.deputy_ids, self._names.deputy_names, "deputies"

    def _id_of(self, conn: Connection, kind: str, name: str) -> int:
        """The id of the unit or deputy called ``name`` (cached: rows are never renamed nor deleted)."""
        ids, names, table = self._maps(kind)
        found = ids.get(name)
        if found is None:
            rows = Raw(conn).column(
                f"SELECT id FROM {table} WHERE congress_id = :c AND name = :n",
                {"c": self.congress_id, "n": name},
            )
            if not rows:
                raise NotFound(kind=kind, name=name, hint=f"add it with `jianyi {kind} add {name}`")
            found = int(rows[0])
            ids[name], names[found] = found, name
        return found

    def _name_of(self, conn: Connection, kind: str, row_id: int) -> str:
        """The name of the unit or deputy with id ``row_id`` (cached)."""
        ids, names, table = self._maps(kind)
        found = names.get(row_id)
        if found is None:
            found = str(Raw(conn).column(f"SELECT name FROM {table} WHERE id = :id", {"id": row_id})[0])
            ids[found], names[row_id] = row_id, found
        return found

    def _unit_id(self, conn: Connection, name: str) -> int:
        return self._id_of(conn, "unit", name)

    def _unit_name(self, conn: Connection, unit_id: int) -> str:
        return self._name_of(conn, "unit", unit_id)

    def _deputy_id(self, conn: Connection, name: str) -> int:
        return self._id_of(conn, "deputy", name)

    def _deputy_name(self, conn: Connection, deputy_id: int) -> str:
        return self._name_of(conn, "deputy", deputy_id)

    def _session_id(self, conn: Connection, name: str | None) -> int:
        raw = Raw(conn)
        base = "SELECT id FROM sessions WHERE congress_id = :c AND "
        if name is None:
            found = next(
                iter(raw.column(base + "is_current = :yes", {"c": self.congress_id, "yes": True})), None
            )
            if found is None:
                raise NotFound(
                    kind="current session",
                    name=self.congress,
                    hint="add one with `jianyi session add NAME --current` or name one with --session",
                )
            return int(found)
        found = next(iter(raw.column(base + "name = :name", {"c": self.congress_id, "name": name})), None)
        if found is None:
            raise NotFound(kind="session", name=name, hint="list them with `jianyi session list`")
        return int(found)

    def _session_ref(self, conn: Connection, name: str | None) -> tuple[int, str]:
        """The session's id and name (the current session when ``name`` is None)."""
        sid = self._session_id(conn, name)
        return sid, name or self._session_name(conn, sid)

    def _session_name(self, conn: Connection, session_id: int) -> str:
        return str(Raw(conn).column("SELECT name FROM sessions WHERE id = :id", {"id": session_id})[0])

    # ---- loading a case for writing -----------------------------------------------------------
    def _load(self, conn: Connection, number: str, session: str | None) -> tuple[dict[str, Any], str]:
        """The case row for writing (locked on PostgreSQL), and its session's name: one query."""
        which = "se.is_current = :yes" if session is None else "se.name = :session"
        sql = (
            "SELECT s.*, se.name AS session_name, c.ruleset_id AS active_ruleset_id, "
            "c.ruleset_version AS active_ruleset_version "
            "FROM suggestions s JOIN sessions se ON se.id = s.session_id JOIN congresses c ON c.id = se.congress_id "
            f"WHERE se.congress_id = :congress AND {which} AND s.number = :number"
        )
        raw = Raw(conn)
        if raw.postgres:
            sql += " FOR UPDATE OF s"
        row = raw.one(sql, {"congress": self.congress_id, "yes": True, "session": session, "number": number})
        if row is None:
            sid = self._session_id(conn, session)  # names a missing session precisely
            name = session or self._session_name(conn, sid)
            raise NotFound(kind="建议", name=f"{name}/{number}", hint="list cases with `jianyi list`")
        return case_row(row), str(row.pop("session_name"))

    def _act(
        self,
        number: str,
        *,
        actor: Actor | None,
        at: datetime | None,
        session: str | None,
        expected_version: int | None,
        body: Callable[[Tx], None],
    ) -> Change:
        who = actor or Actor.office()
        with self._action() as conn:
            row, session_name = self._load(conn, number, session)
            # "now" is read once the case is locked, so that writers queued behind each other stay in order
            explicit = at is not None
            at, now = self._when(at)
            if not explicit and at < row["last_event_at"]:  # another host's clock runs a little ahead
                at = row["last_event_at"]
            tx = Tx(self, conn, row, session_name=session_name, actor=who, at=at, now=now)
            if expected_version is not None and row["version"] != expected_version:
                raise Conflict(case=tx.label, expected=expected_version, found=row["version"])
            tx.require_after(row["last_event_at"])
            body(tx)
            version = tx.finish()
        self._publish(tx.events)
        return Change(row["number"], session_name, tx.state.value, version, tuple(tx.events))

    def _acting_unit(self, tx: Tx, action: Action, unit: str | None) -> int | None:
        """The unit an action is done by: the acting unit, or the one the office names."""
        if tx.actor.kind is ActorKind.UNIT:
            assert tx.actor.name is not None
            if unit is not None and unit != tx.actor.name:
                raise tx.deny(action, f"a unit acts only for itself, not for {unit!r}")
            return self._unit_id(tx.conn, tx.actor.name)
        if tx.actor.kind is ActorKind.DEPUTY:
            raise tx.deny(action, "deputies give feedback and may withdraw; units handle the case")
        return self._unit_id(tx.conn, unit) if unit is not None else None

    def _require_lead_deputy(self, tx: Tx, action: Action) -> None:
        if tx.actor.kind is ActorKind.UNIT:
            raise tx.deny(action, "only the deputy or the office may do this")
        if tx.actor.kind is ActorKind.DEPUTY:
            assert tx.actor.name is not None
            if self._deputy_id(tx.conn, tx.actor.name) != tx.row["lead_deputy_id"]:
                lead = self._deputy_name(tx.conn, tx.row["lead_deputy_id"])
                raise tx.deny(action, f"only the lead deputy ({lead}) acts on this suggestion")

    # ---- submit -------------------------------------------------------------------------------
    def submit(
        self,
        number: str,
        *,
        title: str,
        deputy: str,
        co_signers: Sequence[str] = (),
        content: str = "",
        field: str | None = None,
        between_sessions: bool = False,
        confidential: bool = False,
        actor: Actor | None = None,
        at: datetime | None = None,
        session: str | None = None,
    ) -> Change:
        """Register a suggestion (提出/受理) under its number in the session."""
        who = actor or Actor.office()
        number, title = number.strip(), title.strip()
        problems = [p for p, bad in (("a number", not number), ("a title", not title)) if bad]
        if problems:
            raise ValidationError(f"a suggestion needs {' and '.join(problems)}")
        if who.kind not in (ActorKind.OFFICE, ActorKind.SYSTEM):
            raise ValidationError(f"{who} may not register suggestions: the office (代表工作机构) does")
        at, now = self._when(at)
        with self._action() as conn:
            tx = self._new_case(
                conn,
                number,
                title=title,
                deputy=deputy,
                co_signers=co_signers,
                content=content,
                field=field,
                between_sessions=between_sessions,
                confidential=confidential,
                actor=who,
                at=at,
                now=now,
                session=session,
            )
            version = tx.finish()
        session_name = tx.session_name
        self._publish(tx.events)
        return Change(number, session_name, State.SUBMITTED.value, version, tuple(tx.events))

    def _new_case(
        self,
        conn: Connection,
        number: str,
        *,
        title: str,
        deputy: str,
        co_signers: Sequence[str],
        content: str,
        field: str | None,
        between_sessions: bool,
        confidential: bool,
        actor: Actor,
        at: datetime,
        now: datetime,
        session: str | None,
        session_ref: tuple[int, str] | None = None,
    ) -> Tx:
        """Insert the case row and its co-signers; the returned transaction holds the submit event.

        ``session_ref``: the session's id and name, when the caller (a batch) has looked them up already.
        """
        who = actor
        sid, session_name = session_ref or self._session_ref(conn, session)
        lead = self._deputy_id(conn, deputy)
        signers = [
            self._deputy_id(conn, name) for name in dict.fromkeys(_lines(co_signers)) if name != deputy
        ]
        row = {
            "session_id": sid,
            "number": number,
            "title": title,
            "content": content,
            "field": field,
            "lead_deputy_id": lead,
            "between_sessions": between_sessions,
            "confidential": confidential,
            "state": State.SUBMITTED.value,
            "round": 1,
            "version": 0,
            "submitted_at": at,
            "last_event_at": at,
            "audit_seq": 0,
            "audit_head": GENESIS,
        }
        raw = Raw(conn)
        row |= {
            "key": False,
            "complex": False,
            "extended": False,
            "escalation_level": 0,
            "contact_level": 0,
            "answer_met": 0,
        }
        # the whole row, so that further actions in the same transaction can read it (Tx.then)
        row |= dict.fromkeys(
            (
                "ruleset_id",
                "ruleset_version",
                "category",
                "current_category",
                "assigned_at",
                "answered_at",
                "closed_at",
                "first_answer_at",
                "rating",
            )
        )
        try:
            case_id = raw.insert("suggestions", row)
        except self._db.dialect.loaded_dbapi.IntegrityError:  # the unique (session, number) index
            raise ValidationError(
                f"建议 {session_name}/{number} already exists; numbers are unique within a session"
            ) from None
        raw.insert_many(
            "suggestion_signers",
            [{"suggestion_id": case_id, "deputy_id": d, "position": i} for i, d in enumerate(signers)],
        )
        row["id"] = case_id
        tx = Tx(self, conn, row, session_name=session_name, actor=who, at=at, now=now)
        tx.audit(
            Action.SUBMIT,
            None,
            State.SUBMITTED,
            {
                "title": title,
                "deputy": deputy,
                "co_signers": [self._deputy_name(conn, d) for d in signers],
            },
        )
        return tx

    # ---- assignment ---------------------------------------------------------------------------
    def _check_units(
        self, tx: Tx, main: str | None, co: Sequence[str], split: Sequence[str]
    ) -> list[tuple[int, Role, str]]:
        co, split = _lines(co), _lines(split)
        if (main is None) == (not split):
            raise tx.invalid("name one main unit (主办), or two or more split units (分办), not both")
        if split and co:
            raise tx.invalid(
                "split units (分办) each answer their own part: co-units go with a main unit only"
            )
        if split and len(split) < 2:
            raise tx.invalid(
                "split handling (分办) needs at least two units; with one, make it the main unit"
            )
        names: list[tuple[str, Role]] = [(main, Role.MAIN)] if main else []
        names += [(u, Role.CO) for u in co] + [(u, Role.SPLIT) for u in split]
        counts: dict[str, int] = {}
        for n, _ in names:
            counts[n] = counts.get(n, 0) + 1
        dupes = [n for n, c in counts.items() if c > 1]
        if dupes:
            raise tx.invalid(f"a unit may have one part only: {', '.join(dupes)} named twice")
        missing: list[str] = []
        result: list[tuple[int, Role, str]] = []
        for name, role in names:
            try:
                result.append((self._unit_id(tx.conn, name), role, name))
            except NotFound:
                missing.append(name)
        if missing:
            raise tx.invalid(f"unknown unit(s): {', '.join(missing)}; add them with `jianyi unit add NAME`")
        return result

    def _start_handling(self, tx: Tx, units: list[tuple[int, Role, str]], *, restart: bool) -> None:
        """Insert assignments and open their deadlines, from the action's time."""
        tx.add_all(
            "assignments",
            [
                {
                    "suggestion_id": tx.case_id,
                    "unit_id": uid,
                    "role": role.value,
                    "round": tx.round,
                    "since": tx.at,
                }
                for uid, role, _ in units
            ],
        )
        tx.set_assignments((uid, role) for uid, role, _ in units)
        answer_kind = DeadlineKind.RE_ANSWER if tx.round > 1 else DeadlineKind.ANSWER
        first_due: dict[str, Any] | None = None
        for uid, role, name in units:
            tx.open_deadline(DeadlineKind.RETURN_WINDOW, uid)
            if role is Role.CO:
                tx.open_deadline(DeadlineKind.CO_OPINION, uid)
            else:
                due = tx.open_deadline(answer_kind, uid)
                first_due = first_due or due
            tx.notify(
                "reassigned" if restart else "assigned",
                "unit",
                uid,
                {
                    "unit": name,
                    "role": role.value,
                    "answer_due": first_due["due"].isoformat() if first_due else None,
                },
            )

    def assign(
        self,
        number: str,
        *,
        main: str | None = None,
        co: Sequence[str] = (),
        split: Sequence[str] = (),
        key: bool = False,
        complex: bool = False,
        actor: Actor | None = None,
        at: datetime | None = None,
        session: str | None = None,
        expected_version: int | None = None,
    ) -> Change:
        """Assign (交办) to one main unit and any co-units, or to split units; starts the clocks.

        ``complex`` marks a complex suggestion (涉及面广、处理难度大) whose 6-month answer period the office
        approves at assignment; ``key`` marks it for key supervision (重点督办).
        """

        def body(tx: Tx) -> None:
            self._assign_in(tx, AssignOrder(number, main, tuple(co), tuple(split), key, complex))

        return self._act(
            number, actor=actor, at=at, session=session, expected_version=expected_version, body=body
        )

    def _assign_in(self, tx: Tx, order: AssignOrder, ruleset: RuleSet | None = None) -> None:
        tx.require_allowed(Action.ASSIGN)
        tx.require_office(Action.ASSIGN)
        units = self._check_units(tx, order.main, order.co, order.split)
        rs = ruleset or tx.active_ruleset()
        tx.changes |= {
            "ruleset_id": rs.id,
            "ruleset_version": rs.version,
            "key": order.key,
            "complex": order.complex,
            "extended": order.complex,
            "assigned_at": tx.at,
        }
        tx.step(
            Action.ASSIGN,
            data={
                "main": order.main,
                "co": list(order.co),
                "split": list(order.split),
                "key": order.key,
                "complex": order.complex,
                "ruleset": f"{rs.id}@{rs.version}",
            },
        )
        self._start_handling(tx, units, restart=False)

    def assign_many(
        self,
        orders: Sequence[AssignOrder],
        *,
        actor: Actor | None = None,
        at: datetime | None = None,
        session: str | None = None,
    ) -> list[Change]:
        """Assign many cases in one transaction (the yearly 交办会): all or nothing.

        Every order is checked; when any fails, nothing is written and the error lists every failure.
        """
        at, now = self._when(at)
        who = actor or Actor.office()
        numbers = [o.number for o in orders]
        if len(set(numbers)) != len(numbers):
            dupes = sorted({n for n in numbers if numbers.count(n) > 1})
            raise ValidationError("a batch names a case twice", problems=[f"{n}" for n in dupes])
        txs: list[Tx] = []
        problems: list[str] = []
        with no_cycle_collection(), self._action() as conn:
            sid, session_name = self._session_ref(conn, session)
            raw = Raw(conn)
            rows: dict[str, dict[str, Any]] = {}
            for chunk in range(0, len(numbers), 500):
                marks, params = Raw.in_list("n", numbers[chunk : chunk + 500])
                sql = f"SELECT * FROM suggestions WHERE session_id = :sid AND number IN {marks}"
                cursor_rows = raw.rows(sql + (" FOR UPDATE" if raw.postgres else ""), {**params, "sid": sid})
                rows.update({r["number"]: case_row(r) for r in cursor_rows})
            ruleset = self.active_ruleset(conn)
            for order in orders:
                row = rows.get(order.number)
                if row is None:
                    problems.append(f"建议 {session_name}/{order.number}: not found")
                    continue
                tx = Tx(self, conn, row, session_name=session_name, actor=who, at=at, now=now)
                tx.set_assignments(())
                try:
                    tx.require_after(row["last_event_at"])
                    self._assign_in(tx, order, ruleset)
                except WorkflowError as exc:
                    problems.append(str(exc))
                else:
                    txs.append(tx)
            if problems:
                raise ValidationError(
                    f"batch assignment refused: {len(problems)} of {len(orders)} order(s) failed, nothing assigned",
                    problems=problems,
                )
            # every case's rows in one statement per table, every compare-and-set in one batch
            changes = [
                Change(
                    tx.row["number"], session_name, tx.state.value, tx.finish(defer=True), tuple(tx.events)
                )
                for tx in txs
            ]
            write_deferred(raw, txs, what=f"batch assignment in {session_name}")
        for tx in txs:
            self._publish(tx.events)
        return changes

    def request_return(
        self,
        number: str,
        *,
        unit: str | None = None,
        reason: str,
        actor: Actor | None = None,
        at: datetime | None = None,
        session: str | None = None,
        expected_version: int | None = None,
    ) -> Change:
        """A unit asks to hand the case back (退办), with reasons; the state does not change."""

        def body(tx: Tx) -> None:
            tx.require_allowed(Action.RETURN)
            uid = self._acting_unit(tx, Action.RETURN, unit)
            if uid is None:
                raise tx.invalid("name the unit that asks to hand the case back (--unit)")
            if tx.role_of(uid) is None:
                raise tx.deny(
                    Action.RETURN, f"unit {self._unit_name(tx.conn, uid)!r} is not assigned to this case"
                )
            if not reason.strip():
                raise tx.invalid("a return request needs its reasons (--reason)")
            pending = tx.raw.one(
                "SELECT id FROM return_requests WHERE suggestion_id = :sid AND unit_id = :unit AND status = :st",
                {"sid": tx.case_id, "unit": uid, "st": ReturnStatus.PENDING.value},
            )
            if pending is not None:
                raise tx.invalid("this unit's return request is already waiting for the office's decision")
            window = tx.raw.one(
                "SELECT due_at, due FROM deadlines WHERE suggestion_id = :sid AND kind = :kind "
                "AND unit_id = :unit AND status = 'open'",
                {"sid": tx.case_id, "kind": DeadlineKind.RETURN_WINDOW.value, "unit": uid},
            )
            late = window is not None and tx.at >= (as_instant(window["due_at"]) or tx.at)
            if window is not None and late and tx.actor.kind is ActorKind.UNIT:
                raise tx.invalid(
                    f"the window to ask for a hand-back closed on {as_date(window['due']).isoformat()}; "
                    "keep handling the case, or ask the office to record a late request"
                )
            tx.raw.insert(
                "return_requests",
                {
                    "suggestion_id": tx.case_id,
                    "unit_id": uid,
                    "reason": reason.strip(),
                    "at": tx.at,
                    "status": ReturnStatus.PENDING.value,
                },
            )
            tx.settle_deadlines([DeadlineKind.RETURN_WINDOW], DeadlineStatus.MET, unit_id=uid, any_unit=False)
            name = self._unit_name(tx.conn, uid)
            tx.step(Action.RETURN, data={"unit": name, "reason": reason.strip(), "late": late})
            tx.notify("return_requested", "office", None, {"unit": name, "reason": reason.strip()})

        return self._act(
            number, actor=actor, at=at, session=session, expected_version=expected_version, body=body
        )

    def refuse_return(
        self,
        number: str,
        *,
        reason: str,
        unit: str | None = None,
        actor: Actor | None = None,
        at: datetime | None = None,
        session: str | None = None,
        expected_version: int | None = None,
    ) -> Change:
        """The office refuses pending return requests (of ``unit``, or all); the units keep handling."""

        def body(tx: Tx) -> None:
            tx.require_allowed(Action.REFUSE_RETURN)
            tx.require_office(Action.REFUSE_RETURN)
            sql = "SELECT id, unit_id FROM return_requests WHERE suggestion_id = :sid AND status = 'pending'"
            params: dict[str, Any] = {"sid": tx.case_id}
            if unit is not None:
                sql += " AND unit_id = :unit"
                params["unit"] = self._unit_id(tx.conn, unit)
            pending = tx.raw.all(sql, params)
            if not pending:
                raise tx.refuse(Action.REFUSE_RETURN, "no return request is waiting for a decision")
            if not reason.strip():
                raise tx.invalid("a refusal needs its reasons (--reason)")
            marks, ids = Raw.in_list("r", [request_id for request_id, _ in pending])
            tx.raw.run(
                f"UPDATE return_requests SET status = 'refused', decided_at = :at, decision_reason = :why "
                f"WHERE id IN {marks}",
                {**ids, "at": tx.at, "why": reason.strip()},
            )
            names = [self._unit_name(tx.conn, unit_id) for _, unit_id in pending]
            tx.step(Action.REFUSE_RETURN, data={"units": names, "reason": reason.strip()})
            for (_, unit_id), name in zip(pending, names, strict=True):
                tx.notify("return_refused", "unit", unit_id, {"unit": name, "reason": reason.strip()})

        return self._act(
            number, actor=actor, at=at, session=session, expected_version=expected_version, body=body
        )

    def reassign(
        self,
        number: str,
        *,
        main: str | None = None,
        co: Sequence[str] = (),
        split: Sequence[str] = (),
        reason: str = "",
        actor: Actor | None = None,
        at: datetime | None = None,
        session: str | None = None,
        expected_version: int | None = None,
    ) -> Change:
        """Assign the case again (二次交办) to new units; the clocks restart, the old assignment is kept."""

        def body(tx: Tx) -> None:
            tx.require_allowed(Action.REASSIGN)
            tx.require_office(Action.REASSIGN)
            units = self._check_units(tx, main, co, split)
            old = [(self._unit_name(tx.conn, a.unit_id), a.role.value) for a in tx.assignments()]
            tx.raw.run(
                "UPDATE assignments SET until = :at WHERE suggestion_id = :sid AND until IS NULL",
                {"at": tx.at, "sid": tx.case_id},
            )
            tx.raw.run(
                "UPDATE return_requests SET status = 'accepted', decided_at = :at, decision_reason = :why "
                "WHERE suggestion_id = :sid AND status = 'pending'",
                {"at": tx.at, "why": reason.strip() or None, "sid": tx.case_id},
            )
            tx.settle_deadlines(_HANDLING_KINDS, DeadlineStatus.CANCELLED)
            if tx.round == 1:
                tx.changes["assigned_at"] = tx.at
            tx.step(
                Action.REASSIGN,
                data={
                    "old": [{"unit": n, "role": r} for n, r in old],
                    "main": main,
                    "co": list(co),
                    "split": list(split),
                    "reason": reason.strip(),
                },
            )
            self._start_handling(tx, units, restart=True)

        return self._act(
            number, actor=actor, at=at, session=session, expected_version=expected_version, body=body
        )

    def extend(
        self,
        number: str,
        *,
        reason: str,
        actor: Actor | None = None,
        at: datetime | None = None,
        session: str | None = None,
        expected_version: int | None = None,
    ) -> Change:
        """Approve the 6-month answer period of a complex suggestion (measured from assignment)."""

        def body(tx: Tx) -> None:
            tx.require_allowed(Action.EXTEND)
            tx.require_office(Action.EXTEND)
            if tx.row["extended"]:
                raise tx.refuse(Action.EXTEND, "the answer period is already extended")
            if not reason.strip():
                raise tx.invalid("an extension needs its reasons (--reason)")
            if (
                tx.ruleset.rule(DeadlineKind.ANSWER) is None
                or not tx.ruleset.deadlines[DeadlineKind.ANSWER].complex_amount
            ):
                raise tx.refuse(Action.EXTEND, f"rule set {tx.ruleset.id} has no extended answer period")
            tx.changes |= {"complex": True, "extended": True}
            rows = tx.raw.all(
                "SELECT id, start FROM deadlines WHERE suggestion_id = :sid AND kind = 'answer' AND status = 'open'",
                {"sid": tx.case_id},
            )
            moved = []
            for deadline_id, start in rows:
                due = tx.ruleset.due(DeadlineKind.ANSWER, as_date(start), complex_case=True)
                assert due is not None
                tx.raw.run(
                    "UPDATE deadlines SET due = :due, raw_due = :raw, due_at = :due_at, roll_reason = :why, "
                    "provisional = :provisional, version = version + 1, escalation_step = 0, "
                    "next_step_at = :check WHERE id = :id",
                    {
                        "due": due.end,
                        "raw": due.raw_end,
                        "due_at": due.due_at,
                        "why": due.roll_reason,
                        "provisional": due.provisional,
                        # the ladder starts again from the new due date
                        "check": tx.ruleset.first_check_at(DeadlineKind.ANSWER, due.end, due.due_at),
                        "id": deadline_id,
                    },
                )
                moved.append(due.end.isoformat())
            tx.step(Action.EXTEND, data={"reason": reason.strip(), "answer_due": moved})
            tx.notify(
                "extended",
                "deputy",
                tx.row["lead_deputy_id"],
                {"answer_due": moved, "reason": reason.strip()},
            )

        return self._act(
            number, actor=actor, at=at, session=session, expected_version=expected_version, body=body
        )

    # ---- handling -----------------------------------------------------------------------------
    def _pending_opinions(self, tx: Tx) -> frozenset[int]:
        """Co-units whose opinion the current handling still waits for (none while re-handling)."""
        co = set(tx.units_in(Role.CO))
        if not co or tx.state is State.RE_HANDLED:
            return frozenset()
        return frozenset(co - {a.unit_id for a in tx.assignments() if a.opined})

    def _pending_answers(self, tx: Tx) -> frozenset[int]:
        owing = set(tx.units_in(Role.MAIN, Role.SPLIT))
        return frozenset(owing - {a.unit_id for a in tx.assignments() if a.answered})

    def opinion(
        self,
        number: str,
        *,
        text: str,
        unit: str | None = None,
        actor: Actor | None = None,
        at: datetime | None = None,
        session: str | None = None,
        expected_version: int | None = None,
    ) -> Change:
        """A co-unit sends its opinion (会办意见) to the main unit; the last one moves the case to co_handled."""

        def body(tx: Tx) -> None:
            tx.require_allowed(Action.OPINION)
            uid = self._acting_unit(tx, Action.OPINION, unit)
            if uid is None:
                raise tx.invalid("name the co-unit whose opinion this is (--unit)")
            name = self._unit_name(tx.conn, uid)
            if tx.role_of(uid) is not Role.CO:
                raise tx.deny(Action.OPINION, f"unit {name!r} is not a co-unit (会办单位) of this case")
            pending = self._pending_opinions(tx)
            if uid not in pending:
                raise tx.refuse(Action.OPINION, f"unit {name!r} has already sent its opinion")
            if not text.strip():
                raise tx.invalid("an opinion needs its text (--text)")
            tx.raw.insert(
                "opinions",
                {
                    "suggestion_id": tx.case_id,
                    "unit_id": uid,
                    "round": tx.round,
                    "text": text.strip(),
                    "at": tx.at,
                },
            )
            tx.mark(uid, opined=True)
            tx.settle_deadlines([DeadlineKind.CO_OPINION], DeadlineStatus.MET, unit_id=uid, any_unit=False)
            tx.settle_deadlines(
                [DeadlineKind.RETURN_WINDOW], DeadlineStatus.CANCELLED, unit_id=uid, any_unit=False
            )
            tx.step(
                Action.OPINION,
                view=CaseView(tx.state, pending_opinions=pending, unit_id=uid),
                data={"unit": name},
            )

        return self._act(
            number, actor=actor, at=at, session=session, expected_version=expected_version, body=body
        )

    def contact(
        self,
        number: str,
        *,
        method: ContactMethod | str,
        unit: str | None = None,
        note: str = "",
        stage: ContactStage | str | None = None,
        actor: Actor | None = None,
        at: datetime | None = None,
        session: str | None = None,
        expected_version: int | None = None,
    ) -> Change:
        """Record a contact between a unit and the deputy (联系沟通); the state does not change.

        ``stage`` defaults from the case: before the answer the first contact of the round is 办前 (before),
        later ones 办中 (during); after the answer, 办后 (after).
        """

        def body(tx: Tx) -> None:
            tx.require_allowed(Action.CONTACT)
            try:
                how = ContactMethod(method)
            except ValueError:
                raise tx.invalid(
                    f"contact method {method!r} unknown: use {', '.join(m.value for m in ContactMethod)}"
                ) from None
            uid = self._acting_unit(tx, Action.CONTACT, unit)
            if uid is None:
                raise tx.invalid("name the unit that contacted the deputy (--unit)")
            name = self._unit_name(tx.conn, uid)
            if tx.role_of(uid) is None:
                raise tx.deny(Action.CONTACT, f"unit {name!r} is not assigned to this case")
            when: ContactStage
            if stage is not None:
                try:
                    when = ContactStage(stage)
                except ValueError:
                    raise tx.invalid(
                        f"contact stage {stage!r} unknown: use before, during or after"
                    ) from None
            elif tx.state in (State.ANSWERED, State.REVISITED):
                when = ContactStage.AFTER
            else:
                earlier = tx.raw.one(
                    "SELECT id FROM contacts WHERE suggestion_id = :sid AND unit_id = :unit AND round = :round",
                    {"sid": tx.case_id, "unit": uid, "round": tx.round},
                )
                when = ContactStage.DURING if earlier else ContactStage.BEFORE
            tx.raw.insert(
                "contacts",
                {
                    "suggestion_id": tx.case_id,
                    "unit_id": uid,
                    "round": tx.round,
                    "method": how.value,
                    "stage": when.value,
                    "note": note.strip(),
                    "at": tx.at,
                },
            )
            tx.step(
                Action.CONTACT,
                data={
                    "unit": name,
                    "method": how.value,
                    "stage": when.value,
                    "face_to_face": how in FACE_TO_FACE,
                },
            )

        return self._act(
            number, actor=actor, at=at, session=session, expected_version=expected_version, body=body
        )

    def answer(
        self,
        number: str,
        *,
        category: str,
        text: str,
        unit: str | None = None,
        promises: Sequence[Promised] = (),
        without_opinion: Mapping[str, str] | None = None,
        actor: Actor | None = None,
        at: datetime | None = None,
        session: str | None = None,
        expected_version: int | None = None,
    ) -> Change:
        """The main unit (or a split unit) answers the deputy (答复) with a class (A/B/C/D by default).

        Before every co-unit's opinion is in, only the office may let the answer go without one:
        ``without_opinion`` maps each such co-unit to the reason (audited).
        """
        body = self._answer_body(category, text, unit, promises, without_opinion)
        return self._act(
            number, actor=actor, at=at, session=session, expected_version=expected_version, body=body
        )

    def _answer_body(
        self,
        category: str,
        text: str,
        unit: str | None,
        promises: Sequence[Promised],
        without_opinion: Mapping[str, str] | None,
    ) -> Callable[[Tx], None]:
        """What :meth:`answer` does to the case in ``tx`` (a batch import replays it too)."""
        overrides = {k.strip(): v.strip() for k, v in (without_opinion or {}).items()}

        def body(tx: Tx) -> None:
            tx.require_allowed(Action.ANSWER)
            rs = tx.ruleset
            code = category.strip().upper()
            if code not in rs.classes:
                raise tx.invalid(
                    f"answer class {category!r} unknown in rule set {rs.id}: use "
                    + ", ".join(f"{c} ({m})" for c, m in rs.classes.items())
                )
            if not text.strip():
                raise tx.invalid("an answer needs its text (--text)")
            if promises and code not in rs.lifecycle.promise_classes:
                raise tx.invalid(
                    f"promised items go with class {'/'.join(rs.lifecycle.promise_classes)} answers, not {code}"
                )
            bad = [p for p in promises if not p.text.strip()]
            if bad:
                raise tx.invalid("every promised item needs its text")
            answered_on = tx.local_date()
            early = [p.due.isoformat() for p in promises if p.due < answered_on]
            if early:
                raise tx.invalid(f"promised dates before the answer date {answered_on}: {', '.join(early)}")
            if overrides and tx.actor.kind is not ActorKind.OFFICE:
                raise tx.deny(
                    Action.ANSWER, "only the office may let an answer go without a co-unit's opinion"
                )
            uid = self._acting_unit(tx, Action.ANSWER, unit)
            if uid is None:
                mains = tx.units_in(Role.MAIN)
                if not mains:
                    raise tx.invalid("split units (分办) answer each for their part: name the unit (--unit)")
                uid = mains[0]
            name = self._unit_name(tx.conn, uid)
            if tx.role_of(uid) not in (Role.MAIN, Role.SPLIT):
                raise tx.deny(Action.ANSWER, f"unit {name!r} is not the main (主办) or a split (分办) unit")
            pending_answers = self._pending_answers(tx)
            if uid not in pending_answers:
                raise tx.refuse(Action.ANSWER, f"unit {name!r} has already answered in round {tx.round}")
            pending = self._pending_opinions(tx)
            override_ids: dict[int, str] = {}
            for unit_name, why in overrides.items():
                oid = self._unit_id(tx.conn, unit_name)
                if oid not in pending:
                    raise tx.invalid(
                        f"{unit_name!r} is not a co-unit whose opinion is missing; nothing to override"
                    )
                if not why:
                    raise tx.invalid(f"answering without {unit_name!r}'s opinion needs a reason")
                override_ids[oid] = why
            missing = pending - set(override_ids)
            if missing:
                names = ", ".join(self._unit_name(tx.conn, m) for m in sorted(missing))
                raise tx.refuse(
                    Action.ANSWER,
                    f"waiting for the opinion of {names}; the office may answer without it "
                    "(--without-opinion UNIT --reason R)",
                )
            answer = {
                "suggestion_id": tx.case_id,
                "unit_id": uid,
                "round": tx.round,
                "category": code,
                "text": text.strip(),
                "overrides": canonical(
                    [{"unit": self._unit_name(tx.conn, o), "reason": r} for o, r in override_ids.items()]
                ),
                "at": tx.at,
            }
            if promises:  # they refer to the answer row: insert it now for its id
                answer_id = tx.raw.insert("answers", answer)
            else:
                tx.add("answers", answer)
            tx.mark(uid, answered=True)
            kind = DeadlineKind.RE_ANSWER if tx.round > 1 else DeadlineKind.ANSWER
            tx.settle_deadlines([kind], DeadlineStatus.MET, unit_id=uid, any_unit=False)
            for oid in override_ids:
                tx.settle_deadlines(
                    [DeadlineKind.CO_OPINION], DeadlineStatus.CANCELLED, unit_id=oid, any_unit=False
                )
            for p in promises:
                pid = tx.raw.insert(
                    "promises",
                    {
                        "answer_id": answer_id,
                        "suggestion_id": tx.case_id,
                        "unit_id": uid,
                        "text": p.text.strip(),
                        "due": p.due,
                        "status": "open",
                    },
                )
                tx.open_deadline(DeadlineKind.PROMISE, uid, ref_id=pid, on=p.due)
            tx.changes |= {"category": code, "current_category": code, "answered_at": tx.at}
            after = tx.step(
                Action.ANSWER,
                view=CaseView(
                    tx.state,
                    pending_opinions=pending,
                    overridden=frozenset(override_ids),
                    pending_answers=pending_answers,
                    unit_id=uid,
                ),
                data={
                    "unit": name,
                    "category": code,
                    "promises": [{"text": p.text.strip(), "due": p.due.isoformat()} for p in promises],
                    "without_opinion": {self._unit_name(tx.conn, o): r for o, r in override_ids.items()},
                },
            )
            if after is State.ANSWERED:
                tx.settle_deadlines([DeadlineKind.RETURN_WINDOW], DeadlineStatus.CANCELLED)
                due = tx.open_deadline(DeadlineKind.FEEDBACK, None)
                tx.notify(
                    "feedback_request",
                    "deputy",
                    tx.row["lead_deputy_id"],
                    {"category": code, "feedback_due": due["due"].isoformat() if due else None},
                )

        return body

    def feedback(
        self,
        number: str,
        *,
        rating: Rating | str,
        comment: str = "",
        attitude: Rating | str | None = None,
        result: Rating | str | None = None,
        actor: Actor | None = None,
        at: datetime | None = None,
        session: str | None = None,
        expected_version: int | None = None,
    ) -> Change:
        """The (lead) deputy's feedback on the answer; by default satisfied/basic closes the case and
        unsatisfied sends it back for re-handling (both are rule-set settings)."""

        body = self._feedback_body(rating, comment, attitude, result)
        return self._act(
            number, actor=actor, at=at, session=session, expected_version=expected_version, body=body
        )

    def _feedback_body(
        self, rating: Rating | str, comment: str, attitude: Rating | str | None, result: Rating | str | None
    ) -> Callable[[Tx], None]:
        """What :meth:`feedback` does to the case in ``tx`` (a batch import replays it too)."""

        def parse(value: Rating | str | None, what: str, tx: Tx) -> Rating | None:
            if value is None:
                return None
            try:
                return Rating(value)
            except ValueError:
                raise tx.invalid(f"{what} {value!r} unknown: use satisfied, basic or unsatisfied") from None

        def body(tx: Tx) -> None:
            tx.require_allowed(Action.FEEDBACK)
            self._require_lead_deputy(tx, Action.FEEDBACK)
            rs = tx.ruleset
            given = parse(rating, "rating", tx)
            assert given is not None
            if given is Rating.UNSATISFIED and rs.lifecycle.unsatisfied_needs_comment and not comment.strip():
                raise tx.invalid("unsatisfied feedback must say what is wrong (--comment)")
            tx.add(
                "feedback",
                {
                    "suggestion_id": tx.case_id,
                    "deputy_id": tx.row["lead_deputy_id"],
                    "round": tx.round,
                    "rating": given.value,
                    "attitude": (a := parse(attitude, "attitude", tx)) and a.value,
                    "result": (r := parse(result, "result", tx)) and r.value,
                    "comment": comment.strip(),
                    "at": tx.at,
                },
            )
            tx.settle_deadlines([DeadlineKind.FEEDBACK], DeadlineStatus.MET)
            tx.step(Action.FEEDBACK, data={"rating": given.value, "comment": comment.strip()})
            if given in rs.lifecycle.auto_close_on:
                self._close_in(tx, "feedback: " + given.value, Actor.system())
            elif given in rs.lifecycle.auto_rehandle_on:
                self._rehandle_in(tx, "feedback: " + given.value, Actor.system())

        return body

    def _close_in(self, tx: Tx, reason: str, actor: Actor | None = None) -> None:
        tx.settle_deadlines((*_HANDLING_KINDS, DeadlineKind.FEEDBACK), DeadlineStatus.CANCELLED)
        tx.changes["closed_at"] = tx.at
        tx.step(Action.CLOSE, data={"reason": reason}, actor=actor)

    def _rehandle_in(self, tx: Tx, reason: str, actor: Actor | None = None) -> None:
        tx.settle_deadlines([DeadlineKind.FEEDBACK], DeadlineStatus.CANCELLED)
        tx.changes["round"] = tx.round + 1
        tx.step(Action.REHANDLE, data={"reason": reason, "round": tx.round}, actor=actor)
        for a in tx.assignments():
            if a.role in (Role.MAIN, Role.SPLIT):
                due = tx.open_deadline(DeadlineKind.RE_ANSWER, a.unit_id)
                tx.notify(
                    "rehandle",
                    "unit",
                    a.unit_id,
                    {
                        "unit": self._unit_name(tx.conn, a.unit_id),
                        "round": tx.round,
                        "reason": reason,
                        "answer_due": due["due"].isoformat() if due else None,
                    },
                )
        if tx.round >= 3:  # unsatisfied twice: the office escalates (专家评估, 会议研究, 专题询问)
            tx.notify("unsatisfied_again", "office", None, {"round": tx.round, "reason": reason})

    def rehandle(
        self,
        number: str,
        *,
        reason: str = "",
        actor: Actor | None = None,
        at: datetime | None = None,
        session: str | None = None,
        expected_version: int | None = None,
    ) -> Change:
        """The office sends the case back for re-handling (重新办理): round + 1, a new answer deadline."""

        def body(tx: Tx) -> None:
            tx.require_allowed(Action.REHANDLE)
            tx.require_office(Action.REHANDLE)
            self._rehandle_in(tx, reason.strip())

        return self._act(
            number, actor=actor, at=at, session=session, expected_version=expected_version, body=body
        )

    def close(
        self,
        number: str,
        *,
        reason: str = "",
        actor: Actor | None = None,
        at: datetime | None = None,
        session: str | None = None,
        expected_version: int | None = None,
    ) -> Change:
        """The office closes the case (办结) after the deputy's feedback."""

        body = self._office_close_body(reason)
        return self._act(
            number, actor=actor, at=at, session=session, expected_version=expected_version, body=body
        )

    def _office_close_body(self, reason: str) -> Callable[[Tx], None]:
        """What :meth:`close` does to the case in ``tx`` (a batch import replays it too)."""

        def body(tx: Tx) -> None:
            tx.require_allowed(Action.CLOSE)
            tx.require_office(Action.CLOSE)
            self._close_in(tx, reason.strip())

        return body

    def convert(
        self,
        number: str,
        *,
        to: str,
        evidence: str,
        actor: Actor | None = None,
        at: datetime | None = None,
        session: str | None = None,
        expected_version: int | None = None,
    ) -> Change:
        """Record a follow-up answer that changes a promise class (B) to another (B→A 转化, B→C).

        The class the case was answered with stays in ``category``; ``current_category`` takes the new class; the
        deputy is sent the follow-up. Open promises end done (to A) or cancelled (otherwise), and so do their
        deadlines. Works in any state after the answer, closed included (B cases are followed after closing).
        """

        body = self._convert_body(to, evidence)
        return self._act(
            number, actor=actor, at=at, session=session, expected_version=expected_version, body=body
        )

    def _convert_body(self, to: str, evidence: str) -> Callable[[Tx], None]:
        """What :meth:`convert` does to the case in ``tx`` (a batch import replays it too)."""

        def body(tx: Tx) -> None:
            rs = tx.ruleset
            code = to.strip().upper()
            current = tx.row["current_category"]
            if tx.state not in _FOLLOWED_UP or current is None:
                raise tx.refuse(Action.CONVERT, "only an answered case can be converted")
            if current not in rs.lifecycle.promise_classes:
                classes = "/".join(rs.lifecycle.promise_classes)
                raise tx.refuse(
                    Action.CONVERT, f"its class is {current}; only {classes} answers are converted"
                )
            if code not in rs.classes or code in rs.lifecycle.promise_classes:
                targets = [c for c in rs.classes if c not in rs.lifecycle.promise_classes]
                raise tx.invalid(f"convert --to {to!r}: use {' or '.join(targets)}")
            if not evidence.strip():
                raise tx.invalid("a conversion needs its evidence (--evidence): what was done, and when")
            self._require_office_or_main(tx, Action.CONVERT)
            tx.raw.insert(
                "conversions",
                {
                    "suggestion_id": tx.case_id,
                    "from_category": current,
                    "to_category": code,
                    "evidence": evidence.strip(),
                    "actor": str(tx.actor),
                    "at": tx.at,
                },
            )
            done = "done" if code == "A" else "cancelled"
            tx.raw.run(
                "UPDATE promises SET status = :status WHERE suggestion_id = :sid AND status = 'open'",
                {"status": done, "sid": tx.case_id},
            )
            tx.settle_deadlines(
                [DeadlineKind.PROMISE], DeadlineStatus.MET if code == "A" else DeadlineStatus.CANCELLED
            )
            tx.changes["current_category"] = code
            tx.audit(
                Action.CONVERT,
                tx.state,
                tx.state,
                {"from": current, "to": code, "evidence": evidence.strip()},
            )
            mains = tx.units_in(Role.MAIN, Role.SPLIT)
            tx.notify(
                "conversion",
                "deputy",
                tx.row["lead_deputy_id"],
                {
                    "from_category": current,
                    "to_category": code,
                    "evidence": evidence.strip(),
                    "unit": self._unit_name(tx.conn, mains[0]) if mains else None,
                },
            )

        return body

    def progress(
        self,
        number: str,
        *,
        note: str,
        actor: Actor | None = None,
        at: datetime | None = None,
        session: str | None = None,
        expected_version: int | None = None,
    ) -> Change:
        """Record progress on the promises of a B answer (承诺事项进展); the yearly letter to the deputy lists it."""

        def body(tx: Tx) -> None:
            rs = tx.ruleset
            current = tx.row["current_category"]
            if tx.state not in _FOLLOWED_UP:
                raise tx.refuse(Action.PROGRESS, "progress is recorded on answered cases")
            if current not in rs.lifecycle.promise_classes:
                raise tx.refuse(
                    Action.PROGRESS, f"its class is {current or 'not set'}; progress is recorded on B answers"
                )
            if not note.strip():
                raise tx.invalid("a progress note needs its text (--note)")
            self._require_office_or_main(tx, Action.PROGRESS)
            tx.audit(Action.PROGRESS, tx.state, tx.state, {"note": note.strip()})

        return self._act(
            number, actor=actor, at=at, session=session, expected_version=expected_version, body=body
        )

    def _require_office_or_main(self, tx: Tx, action: Action) -> None:
        if tx.actor.kind not in (ActorKind.OFFICE, ActorKind.SYSTEM, ActorKind.UNIT):
            raise tx.deny(action, "the office or the handling unit records this")
        mains = tx.units_in(Role.MAIN, Role.SPLIT)
        if tx.actor.kind is ActorKind.UNIT and self._unit_id(tx.conn, tx.actor.name or "") not in mains:
            raise tx.deny(action, "only the main (or a split) unit records this")

    def withdraw(
        self,
        number: str,
        *,
        reason: str,
        actor: Actor | None = None,
        at: datetime | None = None,
        session: str | None = None,
        expected_version: int | None = None,
    ) -> Change:
        """The deputy (or the office for them) withdraws the suggestion (撤回); handling stops."""

        def body(tx: Tx) -> None:
            tx.require_allowed(Action.WITHDRAW)
            self._require_lead_deputy(tx, Action.WITHDRAW)
            if not reason.strip():
                raise tx.invalid("a withdrawal needs its reason (--reason), as the deputy wrote it")
            units = tx.assignments()
            tx.settle_deadlines(list(DeadlineKind), DeadlineStatus.CANCELLED)
            tx.changes["closed_at"] = tx.at
            tx.step(Action.WITHDRAW, data={"reason": reason.strip()})
            for a in units:
                tx.notify(
                    "withdrawn",
                    "unit",
                    a.unit_id,
                    {"unit": self._unit_name(tx.conn, a.unit_id), "reason": reason.strip()},
                )

        return self._act(
            number, actor=actor, at=at, session=session, expected_version=expected_version, body=body
        )

    # ---- queries ------------------------------------------------------------------------------
    def get(self, number: str, *, session: str | None = None) -> Case:
        """One case with its units and deadlines."""
        with self._reading() as conn:
            sid = self._session_id(conn, session)
            row = (
                conn.execute(
                    select(SUGGESTIONS).where(SUGGESTIONS.c.session_id == sid, SUGGESTIONS.c.number == number)
                )
                .mappings()
                .first()
            )
            if row is None:
                name = session or self._session_name(conn, sid)
                raise NotFound(kind="建议", name=f"{name}/{number}", hint="list cases with `jianyi list`")
            return self._cases(conn, [dict(row)])[0]

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
        with self._reading() as conn:
            sid = self._session_id(conn, session)
            query = select(SUGGESTIONS).where(SUGGESTIONS.c.session_id == sid)
            if state is not None:
                try:
                    query = query.where(SUGGESTIONS.c.state == State(state).value)
                except ValueError:
                    msg = f"state {state!r} unknown: use {', '.join(s.value for s in State)}"
                    raise ValidationError(msg) from None
            if unit is not None:
                uid = self._unit_id(conn, unit)
                query = query.where(
                    SUGGESTIONS.c.id.in_(
                        select(ASSIGNMENTS.c.suggestion_id).where(
                            ASSIGNMENTS.c.unit_id == uid, ASSIGNMENTS.c.until.is_(None)
                        )
                    )
                )
            if overdue:
                moment = ensure_utc(now or self.clock.now())
                query = query.where(
                    SUGGESTIONS.c.id.in_(
                        select(DEADLINES.c.suggestion_id).where(
                            DEADLINES.c.status == DeadlineStatus.OPEN.value,
                            DEADLINES.c.kind.not_in(WINDOW_KINDS),
                            DEADLINES.c.due_at <= bindparam("moment", moment, type_=DEADLINES.c.due_at.type),
                        )
                    )
                )
            query = query.order_by(SUGGESTIONS.c.number)
            if limit is not None:
                query = query.limit(limit)
            rows = [dict(r) for r in conn.execute(query).mappings()]
            return self._cases(conn, rows)

    def _cases(self, conn: Connection, rows: list[dict[str, Any]]) -> list[Case]:
        if not rows:
            return []
        ids = [r["id"] for r in rows]
        sessions = {
            r.id: r.name
            for r in conn.execute(
                select(SESSIONS.c.id, SESSIONS.c.name).where(SESSIONS.c.congress_id == self.congress_id)
            )
        }
        units: dict[int, list[tuple[str, str]]] = {i: [] for i in ids}
        deadlines: dict[int, list[DeadlineInfo]] = {i: [] for i in ids}
        signers: dict[int, list[str]] = {i: [] for i in ids}
        conversions: dict[int, list[ConversionInfo]] = {i: [] for i in ids}
        for chunk in range(0, len(ids), 500):
            part = ids[chunk : chunk + 500]
            for a in conn.execute(
                select(ASSIGNMENTS.c.suggestion_id, ASSIGNMENTS.c.unit_id, ASSIGNMENTS.c.role)
                .where(ASSIGNMENTS.c.suggestion_id.in_(part), ASSIGNMENTS.c.until.is_(None))
                .order_by(ASSIGNMENTS.c.id)
            ):
                units[a.suggestion_id].append((self._unit_name(conn, a.unit_id), a.role))
            for d in conn.execute(
                select(DEADLINES).where(DEADLINES.c.suggestion_id.in_(part)).order_by(DEADLINES.c.id)
            ).mappings():
                deadlines[d["suggestion_id"]].append(
                    DeadlineInfo(
                        kind=d["kind"],
                        unit=self._unit_name(conn, d["unit_id"]) if d["unit_id"] is not None else None,
                        round=d["round"],
                        start=d["start"],
                        due=d["due"],
                        due_at=d["due_at"],
                        raw_due=d["raw_due"],
                        roll_reason=d["roll_reason"],
                        status=d["status"],
                        met_at=d["met_at"],
                        late=None if d["late"] is None else bool(d["late"]),
                        provisional=bool(d["provisional"]),
                        version=d["version"],
                    )
                )
            for s in conn.execute(
                select(SIGNERS.c.suggestion_id, SIGNERS.c.deputy_id)
                .where(SIGNERS.c.suggestion_id.in_(part))
                .order_by(SIGNERS.c.position)
            ):
                signers[s.suggestion_id].append(self._deputy_name(conn, s.deputy_id))
            for c in conn.execute(
                select(CONVERSIONS).where(CONVERSIONS.c.suggestion_id.in_(part)).order_by(CONVERSIONS.c.id)
            ).mappings():
                conversions[c["suggestion_id"]].append(
                    ConversionInfo(c["from_category"], c["to_category"], c["evidence"], c["actor"], c["at"])
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
                    deputy=self._deputy_name(conn, r["lead_deputy_id"]),
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
                    submitted_at=r["submitted_at"],
                    assigned_at=r["assigned_at"],
                    answered_at=r["answered_at"],
                    closed_at=r["closed_at"],
                    deadlines=tuple(deadlines[r["id"]]),
                    conversions=tuple(conversions[r["id"]]),
                    allowed=tuple(a.value for a in allowed_actions(State(r["state"]))),
                )
            )
        return cases

    def explain(self, number: str, *, session: str | None = None) -> list[DeadlineExplained]:
        """Each deadline of the case with its rule, legal basis, start, raw end, roll reason and due instant."""
        case = self.get(number, session=session)
        if not case.ruleset:
            return []
        rule_id, _, version = case.ruleset.partition("@")
        rs = self.ruleset(None, rule_id, int(version))
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
        moment = ensure_utc(now or self.clock.now())
        windows, kinds = Raw.in_list("w", sorted(WINDOW_KINDS))
        with self._reading() as conn:
            raw = Raw(conn)
            sql = (
                "SELECT s.number, se.name, s.title, d.kind, d.unit_id, d.due, d.due_at, d.provisional "
                "FROM deadlines d JOIN suggestions s ON s.id = d.suggestion_id "
                "JOIN sessions se ON se.id = s.session_id "
                f"WHERE d.status = 'open' AND d.due_at <= :until AND d.kind NOT IN {windows} "
                "AND se.congress_id = :c"
            )
            params: dict[str, Any] = {"until": moment + within, "c": self.congress_id, **kinds}
            if session is not None:
                params["sid"] = self._session_id(conn, session)
                sql += " AND s.session_id = :sid"
            if unit is not None:
                params["unit"] = self._unit_id(conn, unit)
                sql += " AND d.unit_id = :unit"
            rows = raw.all(sql + " ORDER BY d.due_at, s.number LIMIT :limit", {**params, "limit": limit})
            return [
                DueItem(
                    number=r[0],
                    session=r[1],
                    title=r[2],
                    kind=r[3],
                    unit=self._unit_name(conn, r[4]) if r[4] is not None else None,
                    due=as_date(r[5]),
                    due_at=as_instant(r[6]) or moment,
                    provisional=bool(r[7]),
                    overdue=(as_instant(r[6]) or moment) <= moment,
                )
                for r in rows
            ]

    def history(self, number: str, *, session: str | None = None) -> list[HistoryEntry]:
        """The case's audit events, in order."""
        with self._reading() as conn:
            sid = self._session_id(conn, session)
            case_id = conn.execute(
                select(SUGGESTIONS.c.id).where(
                    SUGGESTIONS.c.session_id == sid, SUGGESTIONS.c.number == number
                )
            ).scalar_one_or_none()
            if case_id is None:
                name = session or self._session_name(conn, sid)
                raise NotFound(kind="建议", name=f"{name}/{number}", hint="list cases with `jianyi list`")
            rows = conn.execute(select(AUDIT).where(AUDIT.c.suggestion_id == case_id).order_by(AUDIT.c.seq))
            return [
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

    def verify_audit(self) -> tuple[int, list[AuditProblem]]:
        """Check every case's audit chain; returns (cases checked, problems)."""
        problems: list[AuditProblem] = []
        checked = 0
        with self._reading() as conn:
            sessions = {r.id: r.name for r in conn.execute(select(SESSIONS.c.id, SESSIONS.c.name))}
            cases = conn.execute(
                select(
                    SUGGESTIONS.c.id,
                    SUGGESTIONS.c.session_id,
                    SUGGESTIONS.c.number,
                    SUGGESTIONS.c.audit_seq,
                    SUGGESTIONS.c.audit_head,
                    SUGGESTIONS.c.state,
                )
                .join(SESSIONS, SESSIONS.c.id == SUGGESTIONS.c.session_id)
                .where(SESSIONS.c.congress_id == self.congress_id)
                .order_by(SUGGESTIONS.c.id)
            ).all()
            by_case: dict[int, list[Any]] = {}
            for chunk in range(0, len(cases), 500):
                part = [c.id for c in cases[chunk : chunk + 500]]
                for ev in conn.execute(
                    select(AUDIT)
                    .where(AUDIT.c.suggestion_id.in_(part))
                    .order_by(AUDIT.c.suggestion_id, AUDIT.c.seq)
                ):
                    by_case.setdefault(ev.suggestion_id, []).append(ev)
            for c in cases:
                checked += 1
                problems.extend(_verify_chain(sessions.get(c.session_id, "?"), c, by_case.get(c.id, [])))
        return checked, problems


def _first_line(exc: BaseException) -> str:
    return str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]


def _verify_chain(session: str, case: Any, events: list[Any]) -> list[AuditProblem]:
    found: list[AuditProblem] = []
    prev = GENESIS
    expected_seq = 1
    for ev in events:
        if ev.seq != expected_seq:
            missing = f"#{expected_seq}" if ev.seq == expected_seq + 1 else f"#{expected_seq}–#{ev.seq - 1}"
            found.append(
                AuditProblem(
                    session, case.number, expected_seq, f"missing ({missing} absent before #{ev.seq})"
                )
            )
        if ev.prev_hash != prev:
            found.append(AuditProblem(session, case.number, ev.seq, "does not link to the event before it"))
        digest = chain_hash(
            prev=ev.prev_hash,
            case_id=case.id,
            seq=ev.seq,
            at=ev.at,
            recorded_at=ev.recorded_at,
            actor=ev.actor,
            action=ev.action,
            from_state=ev.from_state,
            to_state=ev.to_state,
            round_=ev.round,
            data=ev.data,
        )
        if digest != ev.hash:
            found.append(
                AuditProblem(session, case.number, ev.seq, "altered (its hash does not match its content)")
            )
        prev = ev.hash
        expected_seq = ev.seq + 1
    if case.audit_seq != expected_seq - 1:
        found.append(
            AuditProblem(
                session,
                case.number,
                expected_seq,
                f"missing: the case records {case.audit_seq} event(s), {expected_seq - 1} found",
            )
        )
    elif case.audit_head != prev:
        found.append(
            AuditProblem(session, case.number, None, "the last event does not match the case's head hash")
        )
    if events and events[-1].to_state != case.state:
        found.append(
            AuditProblem(
                session,
                case.number,
                events[-1].seq,
                f"the case is '{case.state}' but its last event leads to '{events[-1].to_state}'",
            )
        )
    return found


def _store_ruleset(conn: Connection, rs: RuleSet, now: datetime) -> None:
    exists = conn.execute(
        select(RULESETS.c.data).where(RULESETS.c.rule_id == rs.id, RULESETS.c.version == rs.version)
    ).scalar_one_or_none()
    data = canonical(rs.model_dump(mode="json"))
    if exists is None:
        conn.execute(
            insert(RULESETS), {"rule_id": rs.id, "version": rs.version, "data": data, "loaded_at": now}
        )
    elif json.loads(exists) != json.loads(data):
        msg = (
            f"rule set {rs.id}@{rs.version} is stored with other content; "
            "give a changed rule set a new version number"
        )
        raise ValidationError(msg)
