"""The congress's directory: sessions, units and deputies, and the name ↔ id look-ups every action makes.

Units and deputies are never renamed nor deleted, so their ids and names are cached for the life of the
engine; a miss reads the table once.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import Connection, Table, insert, select, update
from sqlalchemy.exc import IntegrityError

from workflow.core.errors import NotFound, ValidationError
from workflow.core.text import checked_name, control_character
from workflow.store.database import Database
from workflow.store.models import CongressSession, Deputy, Unit, table, too_long
from workflow.store.sql import Raw

__all__ = ["DeputyInfo", "Directory", "SessionInfo", "UnitInfo"]

SESSIONS = table(CongressSession)
UNITS = table(Unit)
DEPUTIES = table(Deputy)


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


_TABLES = {"unit": "units", "deputy": "deputies"}


class Directory:
    """Sessions, units and deputies of one congress."""

    def __init__(self, db: Database, congress_id: int, congress: str) -> None:
        self.db = db
        self.congress_id = congress_id
        self.congress = congress
        self._ids: dict[str, dict[str, int]] = {"unit": {}, "deputy": {}}
        self._names: dict[str, dict[int, str]] = {"unit": {}, "deputy": {}}

    # ---- look-ups inside a transaction ---------------------------------------------------------
    def id_of(self, conn: Connection, kind: str, name: str) -> int:
        """The id of the unit or deputy called ``name``; :class:`NotFound` names how to add it."""
        ids, names = self._ids[kind], self._names[kind]
        found = ids.get(name)
        if found is None:
            rows = Raw(conn).column(
                f"SELECT id FROM {_TABLES[kind]} WHERE congress_id = :c AND name = :n",
                {"c": self.congress_id, "n": name},
            )
            if not rows:
                shown = name if name.isprintable() else repr(name)
                raise NotFound(kind=kind, name=name, hint=f"add it with `jianyi {kind} add {shown}`")
            found = int(rows[0])
            ids[name], names[found] = found, name
        return found

    def name_of(self, conn: Connection, kind: str, row_id: int) -> str:
        """The name of the unit or deputy with id ``row_id``."""
        ids, names = self._ids[kind], self._names[kind]
        found = names.get(row_id)
        if found is None:
            found = str(
                Raw(conn).column(f"SELECT name FROM {_TABLES[kind]} WHERE id = :id", {"id": row_id})[0]
            )
            ids[found], names[row_id] = row_id, found
        return found

    def unit_id(self, conn: Connection, name: str) -> int:
        """The id of unit ``name``."""
        return self.id_of(conn, "unit", name)

    def unit_name(self, conn: Connection, unit_id: int) -> str:
        """The name of unit ``unit_id``."""
        return self.name_of(conn, "unit", unit_id)

    def deputy_id(self, conn: Connection, name: str) -> int:
        """The id of deputy ``name``."""
        return self.id_of(conn, "deputy", name)

    def deputy_name(self, conn: Connection, deputy_id: int) -> str:
        """The name of deputy ``deputy_id``."""
        return self.name_of(conn, "deputy", deputy_id)

    def session_id(self, conn: Connection, name: str | None) -> int:
        """The id of session ``name`` (the current session when None)."""
        return self.session_ref(conn, name)[0]

    def session_name(self, conn: Connection, session_id: int) -> str:
        """The name of session ``session_id``."""
        return str(Raw(conn).column("SELECT name FROM sessions WHERE id = :id", {"id": session_id})[0])

    def session_ref(self, conn: Connection, name: str | None) -> tuple[int, str]:
        """The session's id and name (the current session when ``name`` is None), in one query."""
        raw = Raw(conn)
        base = "SELECT id, name FROM sessions WHERE congress_id = :c AND "
        if name is None:
            found = raw.all(base + "is_current = :yes", {"c": self.congress_id, "yes": True})
            if not found:
                raise NotFound(
                    kind="current session",
                    name=self.congress,
                    hint="add one with `jianyi session add NAME --current` or name one with --session",
                )
        else:
            found = raw.all(base + "name = :name", {"c": self.congress_id, "name": name})
            if not found:
                raise NotFound(kind="session", name=name, hint="list them with `jianyi session list`")
        return int(found[0][0]), str(found[0][1])

    def case_not_found(self, conn: Connection, number: str, session: str | None) -> NotFound:
        """The error for a case number the session does not hold (a missing session is named first)."""
        _, name = self.session_ref(conn, session)
        return NotFound(kind="建议", name=f"{name}/{number}", hint="list cases with `jianyi list`")

    # ---- changes -------------------------------------------------------------------------------
    def add_session(
        self, name: str, *, term: str | None = None, year: int | None = None, current: bool = False
    ) -> SessionInfo:
        """Add a session; ``current`` makes it the one case numbers refer to by default."""
        name = checked_name(name, "session")
        term = None if term is None else checked_name(term, "term")
        _fits("sessions", {"name": name, "term": term}, "session")
        with self.db.managed() as conn:
            if current:
                conn.execute(
                    update(SESSIONS)
                    .where(SESSIONS.c.congress_id == self.congress_id)
                    .values(is_current=False)
                )
            row = {"congress_id": self.congress_id, "name": name, "term": term, "year": year}
            self._insert(
                conn,
                SESSIONS,
                row | {"is_current": current},
                f"session {name!r} already exists in congress {self.congress!r}",
            )
        return SessionInfo(name, term, year, current)

    def set_current_session(self, name: str) -> None:
        """Make ``name`` the current session."""
        with self.db.managed() as conn:
            sid = self.session_id(conn, name)
            conn.execute(
                update(SESSIONS).where(SESSIONS.c.congress_id == self.congress_id).values(is_current=False)
            )
            conn.execute(update(SESSIONS).where(SESSIONS.c.id == sid).values(is_current=True))

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
        name = checked_name(name, "unit")
        _check_contacts(name, email=email, phone=phone, webhook=webhook)
        _fits("units", {"name": name, "email": email, "phone": phone, "webhook": webhook}, "unit")
        with self.db.managed() as conn:
            parent_id = self.unit_id(conn, parent) if parent else None
            row = {"congress_id": self.congress_id, "name": name, "parent_id": parent_id}
            row |= {"email": email, "phone": phone, "webhook": webhook}
            self._insert(conn, UNITS, row, f"unit {name!r} already exists")
        return UnitInfo(name, parent, email, phone, webhook)

    def add_deputy(
        self, name: str, *, delegation: str | None = None, email: str | None = None, phone: str | None = None
    ) -> DeputyInfo:
        """Add a deputy (代表)."""
        name = checked_name(name, "deputy")
        _check_contacts(name, email=email, phone=phone, delegation=delegation)
        _fits("deputies", {"name": name, "delegation": delegation, "email": email, "phone": phone}, "deputy")
        with self.db.managed() as conn:
            row = {"congress_id": self.congress_id, "name": name, "delegation": delegation}
            self._insert(
                conn, DEPUTIES, row | {"email": email, "phone": phone}, f"deputy {name!r} already exists"
            )
        return DeputyInfo(name, delegation, email, phone)

    def add_missing(
        self, conn: Connection, units: Iterable[str], deputies: Iterable[str]
    ) -> tuple[list[str], list[str]]:
        """Add, in ``conn``'s transaction, the units and deputies among these the congress lacks (names checked as
        :meth:`add_unit` checks them); returns the names added, in order. A transaction that is rolled back
        takes them with it: an import adds the names a batch of rows needs with the batch."""
        added: tuple[list[str], list[str]] = ([], [])
        for target, kind, names, into in (
            (UNITS, "unit", units, added[0]),
            (DEPUTIES, "deputy", deputies, added[1]),
        ):
            wanted = list(dict.fromkeys(checked_name(n, kind) for n in names))
            if not wanted:
                continue
            marks, params = Raw.in_list("n", wanted)
            have = {
                name
                for (name,) in Raw(conn).all(
                    f"SELECT name FROM {target.name} WHERE congress_id = :c AND name IN {marks}",
                    {**params, "c": self.congress_id},
                )
            }
            for name in wanted:
                if name not in have:
                    _fits(target.name, {"name": name}, kind)
                    into.append(name)
            # on the driver, as every statement of a write transaction (:meth:`Database.transaction`)
            Raw(conn).insert_many(target.name, [{"congress_id": self.congress_id, "name": n} for n in into])
        return added

    @staticmethod
    def _insert(conn: Connection, target: Table, row: dict[str, object], duplicate: str) -> None:
        try:
            with conn.begin_nested():
                conn.execute(insert(target), row)
        except IntegrityError:
            raise ValidationError(duplicate) from None

    # ---- listings ------------------------------------------------------------------------------
    def sessions(self) -> list[SessionInfo]:
        """All sessions of the congress, oldest first."""
        with self.db.reading() as conn:
            rows = conn.execute(
                select(SESSIONS).where(SESSIONS.c.congress_id == self.congress_id).order_by(SESSIONS.c.id)
            )
            return [SessionInfo(r.name, r.term, r.year, bool(r.is_current)) for r in rows]

    def units(self) -> list[UnitInfo]:
        """All units of the congress, by name."""
        parent = UNITS.alias("parent")
        with self.db.reading() as conn:
            rows = conn.execute(
                select(UNITS, parent.c.name.label("parent_name"))
                .outerjoin(parent, parent.c.id == UNITS.c.parent_id)
                .where(UNITS.c.congress_id == self.congress_id)
                .order_by(UNITS.c.name)
            )
            return [UnitInfo(r.name, r.parent_name, r.email, r.phone, r.webhook) for r in rows]

    def deputies(self) -> list[DeputyInfo]:
        """All deputies of the congress, by name."""
        with self.db.reading() as conn:
            rows = conn.execute(
                select(DEPUTIES).where(DEPUTIES.c.congress_id == self.congress_id).order_by(DEPUTIES.c.name)
            )
            return [DeputyInfo(r.name, r.delegation, r.email, r.phone) for r in rows]


def _check_contacts(name: str, **values: str | None) -> None:
    """Contacts go into mail headers and requests: a control character in one is refused, named."""
    for field, value in values.items():
        bad = None if value is None else control_character(value)
        if bad is not None:
            msg = f"{name}: --{field} {value!r} holds a control character ({bad}): type it on one line"
            raise ValidationError(msg)


def _fits(table: str, values: dict[str, str | None], what: str) -> None:
    """Refuse a value longer than its column holds, on every database alike (``what``: "unit", …)."""
    problem = too_long(table, values)
    if problem is not None:
        raise ValidationError(f"{what} {problem}")
