"""Signed-in sessions of the web portal and API, and the failed sign-ins that slow down guessing.

A session is a row naming the account it signed in; only the SHA-256 of its token is kept, so a copy of the
database signs nobody in. It ends when it has been idle past its expiry, when its account is disabled, or at
logout (the row is deleted). Failed sign-ins are counted per name across every worker: those of an account
from ``account_events`` (:mod:`workflow.store.accounts` records them), those under a name no account bears
from ``web_login_failures``.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, delete, func, insert, select, update

from workflow.core.states import ActorKind
from workflow.core.views import Actor
from workflow.store.database import Database
from workflow.store.directory import Directory
from workflow.store.models import Account, AccountEvent, LoginFailure, WebSession, table
from workflow.store.sql import Raw, as_instant

__all__ = ["SignedIn", "WebSessions", "token_hash"]

SESSIONS = table(WebSession)
ACCOUNTS = table(Account)
EVENTS = table(AccountEvent)
FAILURES = table(LoginFailure)
TOUCH_EVERY = timedelta(
    minutes=1
)  # a session's idle expiry moves at most once a minute (one write, not one a request)


_FIND = (
    "SELECT s.expires_at, s.last_seen_at, a.name, a.disabled, a.kind, a.unit_id, a.deputy_id, "
    "u.name AS unit_name, d.name AS deputy_name FROM web_sessions s JOIN accounts a ON a.id = s.account_id "
    "LEFT JOIN units u ON u.id = a.unit_id LEFT JOIN deputies d ON d.id = a.deputy_id WHERE s.token_hash = :h"
)


def _actor_of(row: dict[str, Any]) -> Actor:
    """Whom a session's account acts as, from :data:`_FIND`'s row: its unit or deputy, else the office under the
    account's name."""
    if row["kind"] == "unit" and row["unit_id"] is not None:
        return Actor.unit(str(row["unit_name"]))
    if row["kind"] == "deputy" and row["deputy_id"] is not None:
        return Actor.deputy(str(row["deputy_name"]))
    return Actor(ActorKind.OFFICE, str(row["name"]))


def token_hash(token: str) -> str:
    """The SHA-256 (hex) under which a session's token is kept."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


@dataclass(frozen=True, slots=True)
class SignedIn:
    """A live session: the account's name, whom it acts as, and when it ends unless used again."""

    name: str
    actor: Actor
    expires_at: datetime


class WebSessions:
    """The sessions and failed sign-ins of one congress's accounts."""

    def __init__(self, db: Database, directory: Directory) -> None:
        self.db = db
        self.directory = directory

    def _account(self, conn: Connection, name: str) -> dict[str, object] | None:
        row = (
            conn.execute(
                select(ACCOUNTS).where(
                    ACCOUNTS.c.congress_id == self.directory.congress_id, ACCOUNTS.c.name == name
                )
            )
            .mappings()
            .first()
        )
        return None if row is None else dict(row)

    def start(
        self, name: str, token: str, *, at: datetime, idle: timedelta, replacing: str | None = None
    ) -> datetime:
        """A new session for account ``name`` (just authenticated) under ``token``; the session of ``replacing``
        (the token the client held before) ends, and so does every expired one. Returns when it expires."""
        expires = at + idle
        with self.db.managed() as conn:
            account = self._account(conn, name)
            if account is None:  # pragma: no cover - authenticated a moment ago
                raise LookupError(name)
            conn.execute(delete(SESSIONS).where(SESSIONS.c.expires_at <= at))
            if replacing:
                conn.execute(delete(SESSIONS).where(SESSIONS.c.token_hash == token_hash(replacing)))
            conn.execute(
                insert(SESSIONS).values(
                    token_hash=token_hash(token),
                    account_id=account["id"],
                    created_at=at,
                    last_seen_at=at,
                    expires_at=expires,
                )
            )
        return expires

    def find(self, token: str, *, at: datetime, idle: timedelta) -> SignedIn | None:
        """The live session of ``token`` (its idle expiry moved on), or None: unknown, expired, or its account
        disabled since (such a session is deleted)."""
        digest = token_hash(token)
        with self.db.reading() as conn:
            # the session, its account and the account's unit or deputy by name, in one statement on the driver (it
            # runs before every signed-in request)
            row = Raw(conn).one(_FIND, {"h": digest})
        if row is None:
            return None
        actor = _actor_of(row)
        expires = as_instant(row["expires_at"]) or at
        if row["disabled"] or expires <= at:
            self.end(token)
            return None
        if at - (as_instant(row["last_seen_at"]) or at) >= TOUCH_EVERY:
            expires = at + idle
            with self.db.managed() as conn:
                conn.execute(
                    update(SESSIONS)
                    .where(SESSIONS.c.token_hash == digest)
                    .values(last_seen_at=at, expires_at=expires)
                )
        return SignedIn(str(row["name"]), actor, expires)

    def end(self, token: str) -> bool:
        """End the session of ``token`` (logout); whether there was one."""
        with self.db.managed() as conn:
            result = conn.execute(delete(SESSIONS).where(SESSIONS.c.token_hash == token_hash(token)))
            return bool(result.rowcount)

    def failures(self, name: str, *, since: datetime) -> list[datetime]:
        """When sign-ins under ``name`` failed since ``since`` (and since the account's last successful one),
        oldest first."""
        with self.db.reading() as conn:
            account = self._account(conn, name)
            if account is None:
                query = select(FAILURES.c.at).where(
                    FAILURES.c.congress_id == self.directory.congress_id,
                    FAILURES.c.name == name,
                    FAILURES.c.at > since,
                )
                return sorted(conn.execute(query).scalars())
            last_login = conn.execute(
                select(func.max(EVENTS.c.at)).where(
                    EVENTS.c.account_id == account["id"], EVENTS.c.action == "login"
                )
            ).scalar()
            start = since if last_login is None or last_login < since else last_login
            query = select(EVENTS.c.at).where(
                EVENTS.c.account_id == account["id"],
                EVENTS.c.action == "login_failed",
                EVENTS.c.at > start,
            )
            return sorted(conn.execute(query).scalars())

    def record_failure(self, name: str, *, at: datetime, window: timedelta) -> None:
        """Count a failed sign-in under ``name`` when no account bears it (an account's failures are in its
        events already); failures older than ``window`` are pruned."""
        with self.db.managed() as conn:
            conn.execute(delete(FAILURES).where(FAILURES.c.at <= at - window))
            if self._account(conn, name) is None:
                conn.execute(
                    insert(FAILURES).values(congress_id=self.directory.congress_id, name=name, at=at)
                )
