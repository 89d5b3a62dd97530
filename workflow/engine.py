"""The engine: a facade over the pipeline, the directory, the rule sets and the queries of one congress.

Open it on a database (a SQLite path by default, or any SQLAlchemy URL), act, query, subscribe::

    engine = Engine.init("cases.db")           # create or upgrade the schema; Engine.open() for an existing one
    engine.add_session("十四届人大三次会议", current=True)
    engine.add_deputy("张三"); engine.add_unit("市交通运输局")
    engine.submit("0001", title="关于优化公交线路的建议", deputy="张三")
    engine.assign("0001", main="市交通运输局")

Every action takes ``actor`` (default: the office), ``at`` (when it happened, default now), ``session``
(default: the current session) and ``expected_version`` (optimistic locking for forms that were loaded
earlier). A refused action raises a :class:`~workflow.core.errors.WorkflowError` and changes nothing. Each
action method is ``self.run(number, Command(...), ...)``: the command and its handler live in
:mod:`workflow.actions`, the one write path in :mod:`workflow.pipeline`.
"""

from __future__ import annotations

import copy
import dataclasses
import logging
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from pathlib import Path

from rules import RuleSet, YearSchedule, default_ruleset
from rules.i18n import _
from workflow import recompute as _recompute
from workflow.actions import (
    Promised,
)
from workflow.core.anchor import Anchor, AnchorCheck
from workflow.core.attachments import AttachmentSettings
from workflow.core.audit import AuditProblem
from workflow.core.clock import FUTURE_SLACK, Clock, SystemClock, ensure_utc
from workflow.core.errors import NotFound, NotInitialised, PermissionDenied, ValidationError
from workflow.core.text import checked_name
from workflow.core.views import (
    Actor,
    AuditReport,
    CaseEvent,
)
from workflow.lifecycle import AssignOrder
from workflow.pipeline import Pipeline
from workflow.reads import Reads
from workflow.recompute import RecomputeReport
from workflow.store import attachments as _attachments
from workflow.store import audits
from workflow.store import db as _db
from workflow.store.accounts import Accounts, UserInfo
from workflow.store.congresses import DEFAULT_CONGRESS, ensure_congress, find_congress
from workflow.store.database import Database
from workflow.store.directory import DeputyInfo, Directory, DirectoryEdit, SessionInfo, UnitInfo
from workflow.store.queries import Queries
from workflow.store.rulesets import RuleSets, store
from workflow.store.selections import Selection

__all__ = [
    "DEFAULT_CONGRESS",
    "AssignOrder",
    "DeputyInfo",
    "DirectoryEdit",
    "Engine",
    "Promised",
    "SessionInfo",
    "UnitInfo",
]

log = logging.getLogger("jianyi.workflow")


class Engine(Reads):
    """The suggestion workflow engine over one database and one congress.

    Its parts are public for host applications and the packages built on it: :attr:`db` (connections and
    transactions), :attr:`directory` (sessions, units, deputies), :attr:`rules` (stored rule sets and
    calendars), :attr:`pipeline` (the write path) and :attr:`queries` (the read side). Its read methods are
    :class:`~workflow.reads.Reads`', its online submissions :class:`~workflow.online.Online`'s and its actions on
    cases :class:`~workflow.lifecycle.Lifecycle`'s; opening, events, rule sets, the directory, accounts and the
    audit trail are here.
    """

    def __init__(
        self,
        db: Database,
        *,
        congress: str | None = None,
        clock: Clock | None = None,
        attachments: AttachmentSettings | None = None,
    ) -> None:
        """Use :meth:`open` or :meth:`init`; this constructor expects a checked, migrated database."""
        self.db = db
        self.attachment_settings = attachments or AttachmentSettings()
        self.blobs = _attachments.blobs_for(db, db.engine.url.render_as_string(), self.attachment_settings)
        self.clock: Clock = clock or SystemClock()
        self._subscribers: list[Callable[[CaseEvent], None]] = []
        with db.reading() as conn:
            row = find_congress(conn, congress)
        if row is None:
            raise NotFound(
                kind="congress",
                name=congress or DEFAULT_CONGRESS,
                hint=_("create it with `jianyi --congress NAME init`"),
            )
        self.congress_id, self.congress = row
        self.directory = Directory(db, self.congress_id, self.congress)
        self.rules = RuleSets(db, self.congress_id)
        self.pipeline = Pipeline(db, self.directory, self.rules, self.clock, self._publish)
        self.queries = Queries(db, self.directory, self.rules, self.clock)
        self.accounts = Accounts(db, self.directory)
        self.viewer = Actor.office()  # who this engine acts and reads for (:meth:`acting`)

    def acting(self, actor: Actor) -> Engine:
        """This engine for ``actor``: every read keeps to what ``actor`` may see (a unit the cases it is or was
        assigned to, a deputy the suggestions they lead or co-signed, the public (``Actor.public()``) the
        published cases in their public view alone; out of scope is "not found"), actions default to ``actor``
        and may not be taken as another party (the public takes none), and administration needs the office.

        The engine returned shares the database, caches and subscribers; host applications take it per request,
        for the account :meth:`authenticate` returned. Only the office's engine may hand out another's: a unit's
        or a deputy's engine cannot widen itself."""
        if not self.viewer.is_office and not (
            actor.same(self.viewer) and actor.entered_by == self.viewer.entered_by
        ):
            raise PermissionDenied(
                case=None,
                actor=str(self.viewer),
                action="acting",
                reason=_("it cannot act as {actor}").format(actor=actor),
            )
        if not actor.is_office and not actor.is_public and not actor.name:
            raise ValidationError(
                _("a {value} acts by its name: Actor.{value}(NAME)").format(value=actor.kind.value)
            )
        other = copy.copy(self)
        other.viewer = actor
        other.queries = Queries(self.db, self.directory, self.rules, self.clock, actor)
        return other

    # ---- opening ------------------------------------------------------------------------------
    @classmethod
    def open(
        cls,
        db: str | Path = "jianyi.db",
        *,
        congress: str | None = None,
        clock: Clock | None = None,
        attachments: AttachmentSettings | None = None,
    ) -> Engine:
        """Open an initialised database (raises :class:`~workflow.core.errors.NotInitialised` otherwise; a
        SQLite file that does not exist is not created). ``attachments``: where attachments' bytes are kept
        and how large one may be (default: beside a SQLite file, else in the database; 20 MiB)."""
        path = _db.sqlite_file(db)
        if path is not None and not path.exists():
            raise NotInitialised(url=_db.normalise_url(db), detail=_("no such file"))
        database = Database.connect(db)
        _db.check_schema(database.engine)
        return cls(database, congress=congress, clock=clock, attachments=attachments)

    @classmethod
    def init(
        cls,
        db: str | Path = "jianyi.db",
        *,
        congress: str | None = None,
        level: str = "province",
        ruleset: RuleSet | None = None,
        clock: Clock | None = None,
        attachments: AttachmentSettings | None = None,
    ) -> Engine:
        """Create or upgrade the schema, make sure the congress exists, and open the engine."""
        name = DEFAULT_CONGRESS if congress is None else checked_name(congress, "congress")
        database = Database.connect(db)
        _db.upgrade(database.engine)
        now = (clock or SystemClock()).now()
        rs = ruleset or default_ruleset()
        with database.managed() as conn:
            store(conn, rs, now)
            ensure_congress(conn, name, level, rs, now)
        return cls(database, congress=name, clock=clock, attachments=attachments)

    def dispose(self) -> None:
        """Release the database connections."""
        self.db.dispose()

    def __enter__(self) -> Engine:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.dispose()

    @property
    def url(self) -> str:
        """The database URL, without password."""
        return self.db.url

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

    @contextmanager
    def quietly(self) -> Iterator[None]:
        """Within the block (in this thread), actions write no notices: for history entered after the fact,
        such as an imported ledger, whose steps happened on paper. The audit trail records them as ever, and
        the reminders of deadlines still open are sent as usual."""
        with self.pipeline.quietly():
            yield

    # ---- rule sets (the stored ones and the calendars are read in :class:`~workflow.reads.Reads`) --------
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
        self.require_office("calendar load")
        at, now = self.pipeline.when(at)
        with self.db.transaction() as conn:
            self.rules.store_calendar(conn, schedule, now)
        zone = self.active_ruleset().zone
        first = datetime(schedule.year, 1, 1, tzinfo=zone).astimezone(UTC)
        return _recompute.recompute(
            self.pipeline,
            Selection.touching(first, date(schedule.year, 12, 31)),
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
        self.require_office("rules apply")
        at, now = self.pipeline.when(at)
        with self.db.transaction() as conn:
            self.rules.make_active(conn, rs, now)
        if not open_cases:
            return None
        return _recompute.recompute(
            self.pipeline,
            Selection.not_on(rs.id, rs.version, self.congress_id),
            action="ruleset_applied",
            reason=f"rule set {rs.id}@{rs.version} applied to open cases",
            at=at,
            now=now,
            repin=self.ruleset(rs.id, rs.version),
            progress=progress,
        )

    # ---- directory ----------------------------------------------------------------------------
    def add_session(
        self, name: str, *, term: str | None = None, year: int | None = None, current: bool = False
    ) -> SessionInfo:
        """Add a session; ``current`` makes it the one case numbers refer to by default."""
        self.require_office("session add")
        return self.directory.add_session(name, term=term, year=year, current=current)

    def set_current_session(self, name: str) -> None:
        """Make ``name`` the current session."""
        self.require_office("session current")
        self.directory.set_current_session(name)

    def sessions(self) -> list[SessionInfo]:
        """All sessions of the congress, oldest first."""
        return self.directory.sessions()

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
        self.require_office("unit add")
        return self.directory.add_unit(name, parent=parent, email=email, phone=phone, webhook=webhook)

    def units(self) -> list[UnitInfo]:
        """All units of the congress, by name (their contacts shown to the office alone)."""
        units = self.directory.units()
        if self.viewer.is_office:
            return units
        return [dataclasses.replace(u, email=None, phone=None, webhook=None) for u in units]

    def add_deputy(
        self, name: str, *, delegation: str | None = None, email: str | None = None, phone: str | None = None
    ) -> DeputyInfo:
        """Add a deputy (代表)."""
        self.require_office("deputy add")
        return self.directory.add_deputy(name, delegation=delegation, email=email, phone=phone)

    def deputies(self) -> list[DeputyInfo]:
        """All deputies of the congress, by name (their contacts shown to the office alone)."""
        deputies = self.directory.deputies()
        if self.viewer.is_office:
            return deputies
        return [dataclasses.replace(d, email=None, phone=None) for d in deputies]

    # ---- accounts -----------------------------------------------------------------------------
    def add_user(
        self,
        name: str,
        password: str,
        *,
        unit: str | None = None,
        deputy: str | None = None,
        supervisor: bool = False,
    ) -> UserInfo:
        """Add an account (office staff unless ``unit`` or ``deputy`` names whom it acts for); its password is
        kept as an Argon2id hash. Office-only."""
        self.require_office("user add")
        return self.accounts.add(
            name,
            password,
            at=self.clock.now(),
            by=str(self.viewer),
            unit=unit,
            deputy=deputy,
            supervisor=supervisor,
        )

    def users(self) -> list[UserInfo]:
        """Every account, by name. Office-only."""
        self.require_office("user list")
        return self.accounts.users()

    def set_password(self, name: str, password: str) -> None:
        """Give account ``name`` a new password. Office-only."""
        self.require_office("user password")
        self.accounts.set_password(name, password, at=self.clock.now(), by=str(self.viewer))

    def disable_user(self, name: str, *, disabled: bool = True) -> UserInfo:
        """Disable account ``name`` (nobody signs in as it; its history stays), or enable it again. Office-only."""
        self.require_office("user disable" if disabled else "user enable")
        return self.accounts.set_disabled(name, disabled, at=self.clock.now(), by=str(self.viewer))

    def authenticate(self, name: str, password: str) -> Actor:
        """Whom account ``name`` acts as, when ``password`` is its own and it is enabled (else
        :class:`~workflow.core.errors.NotAuthenticated`, worded alike for every reason); the attempt is recorded.
        Take ``engine.acting(actor)`` for what that person may see and do."""
        return self.accounts.authenticate(name, password, at=self.clock.now()).actor

    def edit_unit(
        self,
        name: str,
        *,
        new_name: str | None = None,
        parent: str | None = None,
        email: str | None = None,
        phone: str | None = None,
        webhook: str | None = None,
        actor: Actor | None = None,
        at: datetime | None = None,
    ) -> UnitInfo:
        """Correct unit ``name``: rename it, place it under another superior unit, change its contacts. None leaves
        a value as it is, "" clears it. Each change goes into the unit's history (:meth:`unit_history`), the old
        name included; a name another unit bears, or an edit that changes nothing, is refused."""
        self.require_office("unit edit")
        values = {"name": new_name, "parent": parent, "email": email, "phone": phone, "webhook": webhook}
        entity, _ = self.directory.edit(
            "unit", name, values, actor=str(actor or self.viewer), at=at or self.clock.now()
        )
        info = self.directory.info("unit", entity)
        assert isinstance(info, UnitInfo)
        return info

    def edit_deputy(
        self,
        name: str,
        *,
        new_name: str | None = None,
        delegation: str | None = None,
        email: str | None = None,
        phone: str | None = None,
        actor: Actor | None = None,
        at: datetime | None = None,
    ) -> DeputyInfo:
        """Correct deputy ``name`` as :meth:`edit_unit` corrects a unit (name, delegation, contacts)."""
        self.require_office("deputy edit")
        values = {"name": new_name, "delegation": delegation, "email": email, "phone": phone}
        entity, _ = self.directory.edit(
            "deputy", name, values, actor=str(actor or self.viewer), at=at or self.clock.now()
        )
        info = self.directory.info("deputy", entity)
        assert isinstance(info, DeputyInfo)
        return info

    def unit_history(self, name: str) -> list[DirectoryEdit]:
        """Every edit of unit ``name`` (its name now, or one it bore before a rename), oldest first."""
        self.require_office("unit history")
        return self.directory.edits("unit", name)

    def deputy_history(self, name: str) -> list[DirectoryEdit]:
        """Every edit of deputy ``name`` (its name now, or one it bore before a rename), oldest first."""
        self.require_office("deputy history")
        return self.directory.edits("deputy", name)

    # ---- the audit trail ------------------------------------------------------------------------
    def check_audit(self, *, anchor: Anchor | None = None, key: bytes | None = None) -> AuditReport:
        """Check every case's hash chain, its rows against what its events recorded, its tallies against
        its rows and its attachments' bytes against their digests; with ``anchor`` (and the ``key`` it was made
        with), also what was deleted, rebuilt or forged since it was taken (:mod:`workflow.core.anchor`)."""
        self.require_office("audit verify")
        check = None
        if anchor is not None:
            if key is None:
                raise ValidationError(_("checking against an anchor needs the key it was made with"))
            check = AnchorCheck(anchor, key, FUTURE_SLACK)
            if check.authentic and anchor.congress != self.congress:
                msg = f"the anchor holds the cases of congress {anchor.congress!r}, not of {self.congress!r}"
                raise ValidationError(msg)
        return audits.check(self.db, self.congress_id, anchor=check, blobs=self.blobs)

    def verify_audit(
        self, *, anchor: Anchor | None = None, key: bytes | None = None
    ) -> tuple[int, list[AuditProblem]]:
        """:meth:`check_audit`, as (cases checked, problems)."""
        report = self.check_audit(anchor=anchor, key=key)
        return report.cases, list(report.problems)

    def audit_anchor(self, key: bytes, *, now: datetime | None = None) -> Anchor:
        """Every case's chain head now, under a Merkle root and an HMAC with ``key`` (at least 16 bytes): keep
        it outside the database, and check against it with :meth:`check_audit`."""
        self.require_office("audit anchor")
        at = ensure_utc(now or self.clock.now(), what="now")
        return Anchor.make(
            congress=self.congress,
            database=self.url,
            at=at,
            zone=self.active_ruleset().zone,
            cases=audits.heads(self.db, self.congress_id),
            key=key,
        )
