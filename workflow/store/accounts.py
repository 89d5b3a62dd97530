"""Accounts: who signs in and as whom (office staff, a unit's handler, a deputy), their Argon2id hashes, and an
append-only record of what happened to each account (created, password, disabled, enabled, login,
login_failed).

Kept apart from the cases: an account names the directory's unit or deputy it acts for, and
:meth:`Accounts.authenticate` gives the :class:`~workflow.core.views.Actor` the engine scopes reads to.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import cache

from sqlalchemy import Connection, insert, select, update

from rules.i18n import _
from workflow.core import passwords
from workflow.core.errors import NotAuthenticated, NotFound, ValidationError
from workflow.core.states import ActorKind
from workflow.core.text import checked_name
from workflow.core.views import Actor
from workflow.store.database import Database
from workflow.store.directory import Directory
from workflow.store.models import Account, AccountEvent, table, too_long

__all__ = ["Accounts", "UserInfo"]

ACCOUNTS = table(Account)
EVENTS = table(AccountEvent)


@dataclass(frozen=True, slots=True)
class UserInfo:
    """An account as the office lists it (never its hash)."""

    name: str
    kind: str  # office | unit | deputy
    unit: str | None
    deputy: str | None
    supervisor: bool
    disabled: bool
    created_at: datetime

    @property
    def actor(self) -> Actor:
        """Whom the account acts as."""
        if self.kind == "unit" and self.unit:
            return Actor.unit(self.unit)
        if self.kind == "deputy" and self.deputy:
            return Actor.deputy(self.deputy)
        return Actor(ActorKind.OFFICE, self.name)

    def to_json(self) -> dict[str, object]:
        """A JSON-ready dict."""
        return {
            "name": self.name,
            "kind": self.kind,
            "unit": self.unit,
            "deputy": self.deputy,
            "supervisor": self.supervisor,
            "disabled": self.disabled,
            "created_at": self.created_at.isoformat(),
        }


class Accounts:
    """The accounts of one congress."""

    def __init__(self, db: Database, directory: Directory) -> None:
        self.db = db
        self.directory = directory

    def _row(self, conn: Connection, name: str) -> dict[str, object]:
        row = (
            conn.execute(
                select(ACCOUNTS).where(
                    ACCOUNTS.c.congress_id == self.directory.congress_id, ACCOUNTS.c.name == name
                )
            )
            .mappings()
            .first()
        )
        if row is None:
            raise NotFound(kind="user", name=name, hint=_("list them with `jianyi user list`"))
        return dict(row)

    def _info(self, conn: Connection, row: dict[str, object]) -> UserInfo:
        unit_id, deputy_id = row["unit_id"], row["deputy_id"]
        return UserInfo(
            name=str(row["name"]),
            kind=str(row["kind"]),
            unit=self.directory.unit_name(conn, int(str(unit_id))) if unit_id is not None else None,
            deputy=self.directory.deputy_name(conn, int(str(deputy_id))) if deputy_id is not None else None,
            supervisor=bool(row["supervisor"]),
            disabled=bool(row["disabled"]),
            created_at=row["created_at"],  # type: ignore[arg-type]
        )

    @staticmethod
    def _event(
        conn: Connection, account_id: int, at: datetime, actor: str, action: str, detail: str = ""
    ) -> None:
        conn.execute(
            insert(EVENTS).values(account_id=account_id, at=at, actor=actor, action=action, detail=detail)
        )

    def add(
        self,
        name: str,
        password: str,
        *,
        at: datetime,
        by: str,
        unit: str | None = None,
        deputy: str | None = None,
        supervisor: bool = False,
    ) -> UserInfo:
        """Add an account: office staff (neither ``unit`` nor ``deputy``), a unit's or a deputy's."""
        name = checked_name(name, "user")
        if unit is not None and deputy is not None:
            raise ValidationError(
                _("an account is the office's, a unit's or a deputy's: give a unit or a deputy, not both"),
                fields=("unit", "deputy"),
            )
        if supervisor and (unit is not None or deputy is not None):
            raise ValidationError(_("only office staff can be supervisors"))
        problem = too_long("accounts", {"name": name})
        if problem:
            raise ValidationError(_("user {name!r}: {problem}").format(name=name, problem=problem))
        digest = passwords.hash_password(password)
        kind = "unit" if unit is not None else "deputy" if deputy is not None else "office"
        with self.db.managed() as conn:
            unit_id = self.directory.unit_id(conn, unit) if unit is not None else None
            deputy_id = self.directory.deputy_id(conn, deputy) if deputy is not None else None
            taken = conn.execute(
                select(ACCOUNTS.c.id).where(
                    ACCOUNTS.c.congress_id == self.directory.congress_id, ACCOUNTS.c.name == name
                )
            ).first()
            if taken is not None:
                raise ValidationError(
                    _("user {name!r} already exists (change it with `jianyi user password`)").format(
                        name=name
                    )
                )
            result = conn.execute(
                insert(ACCOUNTS).values(
                    congress_id=self.directory.congress_id,
                    name=name,
                    kind=kind,
                    unit_id=unit_id,
                    deputy_id=deputy_id,
                    supervisor=supervisor,
                    password_hash=digest,
                    disabled=False,
                    created_at=at,
                    updated_at=at,
                )
            )
            account_id = int(result.inserted_primary_key[0])  # type: ignore[index]
            self._event(conn, account_id, at, by, "created", kind)
            return self._info(conn, self._row(conn, name))

    def users(self) -> list[UserInfo]:
        """Every account, by name."""
        with self.db.reading() as conn:
            rows = conn.execute(
                select(ACCOUNTS)
                .where(ACCOUNTS.c.congress_id == self.directory.congress_id)
                .order_by(ACCOUNTS.c.name)
            ).mappings()
            return [self._info(conn, dict(r)) for r in rows]

    def set_password(self, name: str, password: str, *, at: datetime, by: str) -> None:
        """Give ``name`` a new password."""
        digest = passwords.hash_password(password)
        with self.db.managed() as conn:
            row = self._row(conn, name)
            conn.execute(
                update(ACCOUNTS).where(ACCOUNTS.c.id == row["id"]).values(password_hash=digest, updated_at=at)
            )
            self._event(conn, int(str(row["id"])), at, by, "password")

    def set_disabled(self, name: str, disabled: bool, *, at: datetime, by: str) -> UserInfo:
        """Disable (nobody signs in as it; its history stays) or enable ``name``."""
        with self.db.managed() as conn:
            row = self._row(conn, name)
            conn.execute(
                update(ACCOUNTS).where(ACCOUNTS.c.id == row["id"]).values(disabled=disabled, updated_at=at)
            )
            self._event(conn, int(str(row["id"])), at, by, "disabled" if disabled else "enabled")
            return self._info(conn, self._row(conn, name))

    def authenticate(self, name: str, password: str, *, at: datetime) -> UserInfo:
        """The account ``name`` signs in as, when ``password`` is its own and it is enabled; every attempt on a
        known account is recorded (login, login_failed). A refusal says the same whatever the reason."""
        with self.db.managed() as conn:
            try:
                row = self._row(conn, name)
            except NotFound:
                passwords.verify(_dummy(), password)  # as long as a real check: timing tells nothing
                raise NotAuthenticated from None
            ok = passwords.verify(str(row["password_hash"]), password) and not row["disabled"]
            self._event(conn, int(str(row["id"])), at, f"user:{name}", "login" if ok else "login_failed")
            if not ok:
                failed = NotAuthenticated()
            else:
                if passwords.needs_rehash(str(row["password_hash"])):
                    conn.execute(
                        update(ACCOUNTS)
                        .where(ACCOUNTS.c.id == row["id"])
                        .values(password_hash=passwords.remake(password))
                    )
                return self._info(conn, row)
        raise failed  # after the transaction: the failed attempt stays recorded

    def events(self, name: str) -> list[tuple[datetime, str, str, str]]:
        """What happened to account ``name``: (at, actor, action, detail), oldest first."""
        with self.db.reading() as conn:
            row = self._row(conn, name)
            return [
                (r.at, r.actor, r.action, r.detail)
                for r in conn.execute(
                    select(EVENTS).where(EVENTS.c.account_id == row["id"]).order_by(EVENTS.c.id)
                )
            ]


@cache
def _dummy() -> str:
    """A hash no password matches, checked against for an unknown name."""
    return passwords.remake("not the password of anyone")
