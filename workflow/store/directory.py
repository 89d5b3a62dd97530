"""The congress's directory: sessions, units and deputies, and the name ↔ id look-ups every action makes.

Units and deputies are never deleted, so their ids and names are cached; a rename (:meth:`Directory.edit`) empties
the caches, and each transaction checks once whether another engine (in this process or another) edited one
since: the number of the congress's last edit in :mod:`~workflow.store.directory_changes` (its generation, one
index probe) moved. The case's load and the session's look-up read that number in the same statement
(:meth:`Directory.seen`), so an action spends no statement on it; a transaction that makes neither reads it
alone before its first look-up. An old name is not looked up as the new one: the error says what it was renamed
to, and when.

The caches hold committed rows only. A transaction that adds units or deputies (:meth:`Directory.add_missing`:
a batch of a ledger import) keeps what its look-ups find in caches of its own, which end with it: a rolled-back
row's id, which the database may give to the next row inserted (SQLite does), is never remembered for its name.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, Table, insert, select, update
from sqlalchemy.exc import IntegrityError

from rules.i18n import _
from workflow.core.errors import NotFound, ValidationError, kind_word
from workflow.core.text import checked_name, control_character
from workflow.store import directory_changes as changes
from workflow.store.database import TX_MARK, Database
from workflow.store.directory_changes import DirectoryEdit
from workflow.store.models import CongressSession, Deputy, Unit, table, too_long
from workflow.store.sql import Raw

__all__ = ["EDITABLE", "DeputyInfo", "Directory", "DirectoryEdit", "SessionInfo", "UnitInfo"]

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


_TABLES = changes.TABLES
_EDIT_HINT = " (change it with `jianyi {kind} edit {name} --email …`)"
# what an edit may change, by kind (besides the name); "" clears a value
EDITABLE: Mapping[str, tuple[str, ...]] = {
    "unit": ("parent", "email", "phone", "webhook"),
    "deputy": ("delegation", "email", "phone"),
}


class Directory:
    """Sessions, units and deputies of one congress."""

    def __init__(self, db: Database, congress_id: int, congress: str) -> None:
        self.db = db
        self.congress_id = congress_id
        self.congress = congress
        self._ids: dict[str, dict[str, int]] = {"unit": {}, "deputy": {}}
        self._names: dict[str, dict[int, str]] = {"unit": {}, "deputy": {}}
        self._generation = -1  # the directory generation the caches were filled at (-1: not checked yet)
        self._checked = ("jianyi.directory", id(self))  # conn.info key: the transaction last checked in
        # conn.info key: the transaction that added units or deputies, and the caches of its own (:meth:`_cache`)
        self._adding = ("jianyi.directory.adding", id(self))

    def _fresh(self, conn: Connection) -> None:
        """Once a transaction: empty the name caches when a unit or deputy was edited since they were filled (the
        generation is read here unless a query of this transaction has read it already: :meth:`seen`)."""
        token = conn.info.get(TX_MARK)
        if token is not None and conn.info.get(self._checked) == token:
            return
        self.seen(conn, changes.name_generation(conn, self.congress_id))

    def seen(self, conn: Connection, generation: int) -> None:
        """``conn``'s transaction read the directory generation ``generation`` (:data:`~workflow.store.
        directory_changes.GENERATION`, as a column of a query it made anyway): the caches are checked against it,
        and the transaction's look-ups need not read it again."""
        if generation != self._generation:
            self._forget()
            self._generation = generation
        token = conn.info.get(TX_MARK)
        if token is not None:
            conn.info[self._checked] = token

    def _forget(self) -> None:
        for ids in self._ids.values():
            ids.clear()
        for names in self._names.values():
            names.clear()

    def _cache(self, conn: Connection, kind: str) -> tuple[dict[str, int], dict[int, str]]:
        """Where ``conn``'s transaction keeps the names and ids it looks up: the shared caches, or, once it has
        added units or deputies (:meth:`add_missing`), caches of its own, since a row it finds may be one it added
        and may yet be rolled back. What the shared caches hold is committed, and is read in either case."""
        own = conn.info.get(self._adding)
        if own is not None and own[0] == conn.info.get(TX_MARK):
            return own[1][kind], own[2][kind]
        return self._ids[kind], self._names[kind]

    def _adds(self, conn: Connection) -> None:
        """``conn``'s transaction adds units or deputies: its look-ups keep what they find to themselves."""
        token = conn.info.get(TX_MARK)
        own = conn.info.get(self._adding)
        if own is None or own[0] != token:
            conn.info[self._adding] = (token, {"unit": {}, "deputy": {}}, {"unit": {}, "deputy": {}})

    # ---- look-ups inside a transaction ---------------------------------------------------------
    def id_of(self, conn: Connection, kind: str, name: str) -> int:
        """The id of the unit or deputy called ``name``; :class:`NotFound` names how to add it, or what an old
        name was renamed to."""
        self._fresh(conn)
        found = self._ids[kind].get(name)
        if found is not None:
            return found
        ids, names = self._cache(conn, kind)
        found = ids.get(name)
        if found is None:
            rows = Raw(conn).column(
                f"SELECT id FROM {_TABLES[kind]} WHERE congress_id = :c AND name = :n",
                {"c": self.congress_id, "n": name},
            )
            if not rows:
                now = changes.renamed(conn, self.congress_id, kind, name)
                if now is not None:
                    when = now.at.date().isoformat()
                    raise NotFound(
                        kind=kind,
                        name=name,
                        hint=_("renamed to {name!r} on {when} (UTC)").format(name=now.name, when=when),
                        renamed=True,
                    )
                shown = name if name.isprintable() else repr(name)
                raise NotFound(
                    kind=kind,
                    name=name,
                    hint=_("add it with `jianyi {kind} add {name}`").format(kind=kind, name=shown),
                )
            found = int(rows[0])
            ids[name], names[found] = found, name
        return found

    def name_of(self, conn: Connection, kind: str, row_id: int) -> str:
        """The name of the unit or deputy with id ``row_id``."""
        self._fresh(conn)
        found = self._names[kind].get(row_id)
        if found is not None:
            return found
        ids, names = self._cache(conn, kind)
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
        base = f"SELECT id, name, {changes.GENERATION} FROM sessions WHERE congress_id = :c AND "
        if name is None:
            found = raw.all(base + "is_current = :yes", {"c": self.congress_id, "yes": True})
            if not found:
                raise NotFound(
                    kind="current session",
                    name=self.congress,
                    hint=_("add one with `jianyi session add NAME --current` or name one with --session"),
                )
        else:
            found = raw.all(base + "name = :name", {"c": self.congress_id, "name": name})
            if not found:
                raise NotFound(kind="session", name=name, hint=_("list them with `jianyi session list`"))
        self.seen(conn, int(found[0][2]))
        return int(found[0][0]), str(found[0][1])

    def case_not_found(self, conn: Connection, number: str, session: str | None) -> NotFound:
        """The error for a case number the session does not hold (a missing session is named first)."""
        _sid, name = self.session_ref(conn, session)
        return NotFound(kind="建议", name=f"{name}/{number}", hint=_("list cases with `jianyi list`"))

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
            self._insert(
                conn, UNITS, row, f"unit {name!r} already exists{_EDIT_HINT.format(kind='unit', name=name)}"
            )
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
                conn,
                DEPUTIES,
                row | {"email": email, "phone": phone},
                f"deputy {name!r} already exists{_EDIT_HINT.format(kind='deputy', name=name)}",
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
            if into:
                self._adds(conn)
            # on the driver, as every statement of a write transaction (:meth:`Database.transaction`)
            Raw(conn).insert_many(target.name, [{"congress_id": self.congress_id, "name": n} for n in into])
        return added

    def edit(
        self, kind: str, name: str, values: Mapping[str, str | None], *, actor: str, at: datetime
    ) -> tuple[int, list[tuple[str, str | None, str | None]]]:
        """Change the unit or deputy ``name``: ``values`` maps ``name`` (a rename) and the fields of
        :data:`EDITABLE` to their new value (None: unchanged; "": cleared). Each change is appended to the
        history; returns the id and the changes (field, old, new). Refused, with nothing written, when a value is
        not valid, the new name is taken, or nothing would change."""
        fields = ("name", *EDITABLE[kind])
        unknown = sorted(set(values) - set(fields))
        if unknown:
            msg = f"{kind} {name!r}: {', '.join(unknown)} cannot be edited (editable: {', '.join(fields)})"
            raise ValidationError(msg)
        given: dict[str, str | None] = {f: v.strip() for f, v in values.items() if v is not None}
        if "name" in given:
            given["name"] = checked_name(str(given["name"]), kind)
        contacts = {f: v for f, v in given.items() if f not in ("name", "parent")}
        _check_contacts(name, **contacts)
        _fits(_TABLES[kind], given, kind)
        with self.db.managed() as conn:
            raw = Raw(conn)
            # the congress's row, locked: two edits cannot take the same number in the history
            raw.all(
                f"SELECT id FROM congresses WHERE id = :c{self.db.dialect.lock()}", {"c": self.congress_id}
            )
            entity = self.id_of(conn, kind, name)
            columns = ", ".join(f if f != "parent" else "parent_id" for f in fields)
            current = dict(
                zip(
                    fields,
                    raw.all(f"SELECT {columns} FROM {_TABLES[kind]} WHERE id = :id", {"id": entity})[0],
                    strict=True,
                )
            )
            if "parent" in current:
                pid = current["parent"]
                current["parent"] = None if pid is None else self.name_of(conn, "unit", int(pid))
            found = [
                (f, current[f], given[f] or None)
                for f in fields
                if f in given and (given[f] or None) != current[f]
            ]
            if not found:
                shown = ", ".join(f"{f}={v!r}" for f, v in given.items()) or "no value"
                raise ValidationError(
                    _("{kind} {name!r}: nothing to change ({shown} as it is)").format(
                        kind=kind_word(kind), name=name, shown=shown
                    )
                )
            update_values: dict[str, object] = {}
            for f, _old, new in found:
                if f == "name":
                    self._free(conn, kind, str(new), entity)
                    update_values["name"] = new
                elif f == "parent":
                    update_values["parent_id"] = (
                        None if new is None else self._parent(conn, entity, name, new)
                    )
                else:
                    update_values[f] = new
            target = UNITS if kind == "unit" else DEPUTIES
            conn.execute(update(target).where(target.c.id == entity).values(**update_values))
            changes.append(conn, self.congress_id, kind, entity, found, actor=actor, at=at)
            if "name" in update_values:
                self._forget()
                self._generation = -1
        return entity, found

    def _free(self, conn: Connection, kind: str, new: str, entity: int) -> None:
        """Refuse a new name another unit (or deputy) bears."""
        taken = Raw(conn).column(
            f"SELECT id FROM {_TABLES[kind]} WHERE congress_id = :c AND name = :n AND id <> :id",
            {"c": self.congress_id, "n": new, "id": entity},
        )
        if taken:
            raise ValidationError(
                _("{kind} {new!r} already exists: choose another name").format(kind=kind_word(kind), new=new)
            )

    def _parent(self, conn: Connection, unit: int, name: str, parent: str) -> int:
        """The id of unit ``parent``, refused when it is the unit itself or one of its own subordinates."""
        pid = self.id_of(conn, "unit", parent)
        up: int | None = pid
        while up is not None:
            if up == unit:
                raise ValidationError(
                    _("unit {name!r} cannot be placed under {parent!r}: that is itself or below it").format(
                        name=name, parent=parent
                    )
                )
            rows = Raw(conn).column("SELECT parent_id FROM units WHERE id = :id", {"id": up})
            up = None if not rows or rows[0] is None else int(rows[0])
        return pid

    def info(self, kind: str, entity: int) -> UnitInfo | DeputyInfo:
        """The unit or deputy with id ``entity`` as it stands."""
        with self.db.reading() as conn:
            if kind == "deputy":
                d = conn.execute(select(DEPUTIES).where(DEPUTIES.c.id == entity)).one()
                return DeputyInfo(d.name, d.delegation, d.email, d.phone)
            u = conn.execute(select(UNITS).where(UNITS.c.id == entity)).one()
            parent = None if u.parent_id is None else self.name_of(conn, "unit", u.parent_id)
            return UnitInfo(u.name, parent, u.email, u.phone, u.webhook)

    def edits(self, kind: str, name: str) -> list[DirectoryEdit]:
        """Every change of the unit or deputy called ``name`` now, or once (a renamed one's old name), oldest
        first."""
        with self.db.reading() as conn:
            try:
                entity = self.id_of(conn, kind, name)
            except NotFound:
                now = changes.renamed(conn, self.congress_id, kind, name)
                if now is None:
                    raise
                entity = now.entity_id
            return changes.edits(conn, self.congress_id, kind, entity)

    def verify(self) -> tuple[int, list[str]]:
        """The history of edits checked (:func:`workflow.store.directory_changes.verify`)."""
        with self.db.reading() as conn:
            return changes.verify(conn, self.congress_id)

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
