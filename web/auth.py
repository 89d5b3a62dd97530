"""Signing in and out, and who a request comes from.

``POST /api/session`` checks a name and password with :meth:`Engine.authenticate
<workflow.engine.Engine.authenticate>` and starts a session: a new random token each time (the session the
client held before ends), kept in the database only as its SHA-256, sent back as an HttpOnly, SameSite=Lax
cookie and in the body as a bearer ``token`` for host applications. After too many failed sign-ins under one
name within the window, the password is not checked and the answer is 429 with when to retry.

A request is signed in by ``Authorization: Bearer TOKEN`` or by the cookie. A write (POST, PUT, PATCH, DELETE)
signed in by the cookie must carry ``X-CSRF-Token``, the session's CSRF token (an HMAC of its token, so it needs
no storage); a bearer token, which a browser never adds by itself, needs none.
"""

from __future__ import annotations

import hashlib
import hmac
import math
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, Response
from pydantic import BaseModel, Field

from web.errors import CsrfRefused, NotSignedIn, TooManyAttempts
from workflow.core.errors import NotAuthenticated
from workflow.core.views import Actor
from workflow.engine import Engine
from workflow.store.sessions import SignedIn, WebSessions

__all__ = [
    "COOKIE",
    "Caller",
    "Portal",
    "Started",
    "WebSettings",
    "csrf_token",
    "find_session",
    "portal",
    "router",
    "set_session_cookie",
    "sign_in",
    "signed_in",
]

COOKIE = "jianyi_session"
WRITES = frozenset({"POST", "PUT", "PATCH", "DELETE"})


@dataclass(frozen=True, slots=True)
class WebSettings:
    """How sessions behave: ``idle`` (a session unused this long ends), ``secure_cookies`` (mark the cookie
    Secure even when the request came over plain HTTP, as behind a TLS proxy), and the sign-in limit: at most
    ``max_failures`` failed sign-ins under one name within ``failure_window``."""

    idle: timedelta = timedelta(hours=8)
    secure_cookies: bool = False
    max_failures: int = 5
    failure_window: timedelta = timedelta(minutes=15)


@dataclass(slots=True)
class Portal:
    """What the app holds for its lifetime: the one engine of the process, the session store, the settings."""

    engine: Engine
    sessions: WebSessions
    settings: WebSettings = field(default_factory=WebSettings)


@dataclass(frozen=True, slots=True)
class Caller:
    """The signed-in account of a request and the engine acting for it (its reads and actions in its scope)."""

    session: SignedIn
    token: str
    by_cookie: bool
    engine: Engine


def csrf_token(token: str) -> str:
    """The CSRF token of the session of ``token``."""
    return hmac.new(token.encode("utf-8"), b"jianyi csrf", hashlib.sha256).hexdigest()


def portal(request: Request) -> Portal:
    """The app's :class:`Portal`."""
    found: Portal = request.app.state.portal
    return found


def _token(request: Request) -> tuple[str | None, bool]:
    scheme, _, value = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip(), False
    return request.cookies.get(COOKIE), True


def find_session(request: Request) -> Caller | None:
    """The live session of the request's cookie, or None (pages redirect to the sign-in page instead)."""
    held = portal(request)
    token = request.cookies.get(COOKIE)
    if not token:
        return None
    found = held.sessions.find(token, at=held.engine.clock.now(), idle=held.settings.idle)
    if found is None:
        return None
    return Caller(found, token, True, held.engine.acting(found.actor))


def signed_in(request: Request) -> Caller:
    """The request's signed-in account (401 without a live session; 403 for a cookie write without the CSRF
    token)."""
    held = portal(request)
    token, by_cookie = _token(request)
    if not token:
        raise NotSignedIn
    found = held.sessions.find(token, at=held.engine.clock.now(), idle=held.settings.idle)
    if found is None:
        raise NotSignedIn
    if by_cookie and request.method in WRITES:
        sent = request.headers.get("x-csrf-token", "").encode("utf-8")
        if not hmac.compare_digest(sent, csrf_token(token).encode("utf-8")):
            raise CsrfRefused
    return Caller(found, token, by_cookie, held.engine.acting(found.actor))


Signed = Annotated[Caller, Depends(signed_in)]


class Credentials(BaseModel):
    """A sign-in: the account's name and password."""

    name: str = Field(min_length=1, max_length=100)
    password: str = Field(min_length=1, max_length=1024)


router = APIRouter(prefix="/api/session", tags=["session"])


def _refuse_if_limited(held: Portal, name: str) -> None:
    settings = held.settings
    now = held.engine.clock.now()
    failed = held.sessions.failures(name, since=now - settings.failure_window)
    if len(failed) < settings.max_failures:
        return
    retry_at = failed[len(failed) - settings.max_failures] + settings.failure_window
    wait = max(1, math.ceil((retry_at - now).total_seconds()))
    raise TooManyAttempts(name=name, count=len(failed), retry_at=retry_at, retry_after=wait)


@dataclass(frozen=True, slots=True)
class Started:
    """A session just started: the account's actor, its token and when it expires if unused."""

    actor: Actor
    token: str
    expires_at: datetime


def sign_in(held: Portal, name: str, password: str, *, replacing: str | None) -> Started:
    """Check ``name`` and ``password`` and start a new session, ending the one of the token ``replacing``
    (session rotation): :class:`TooManyAttempts` after too many failures within the window (the password
    then unchecked), :class:`NotAuthenticated` in the same words whatever was wrong (each failure counted)."""
    _refuse_if_limited(held, name)
    try:
        actor = held.engine.authenticate(name, password)
    except NotAuthenticated:
        held.sessions.record_failure(name, at=held.engine.clock.now(), window=held.settings.failure_window)
        raise
    token = secrets.token_urlsafe(32)
    expires = held.sessions.start(
        name, token, at=held.engine.clock.now(), idle=held.settings.idle, replacing=replacing
    )
    return Started(actor, token, expires)


def set_session_cookie(response: Response, request: Request, token: str) -> None:
    """Send the session cookie: HttpOnly, SameSite=Lax, Secure over HTTPS (or when the settings say so)."""
    response.set_cookie(
        COOKIE,
        token,
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https" or portal(request).settings.secure_cookies,
        path="/",
    )


@router.post("", summary="Sign in")
def login(body: Credentials, request: Request, response: Response) -> dict[str, Any]:
    """Check the name and password and start a new session: sets the session cookie and returns the actor,
    the bearer ``token``, the ``csrf_token`` cookie writes must send, and when the session expires if unused."""
    started = sign_in(portal(request), body.name, body.password, replacing=request.cookies.get(COOKIE))
    set_session_cookie(response, request, started.token)
    return {
        "name": body.name,
        "actor": str(started.actor),
        "token": started.token,
        "csrf_token": csrf_token(started.token),
        "expires_at": started.expires_at.isoformat(),
    }


@router.get("", summary="Who is signed in")
def whoami(caller: Signed) -> dict[str, Any]:
    """The signed-in account: its name, actor, CSRF token and when the session expires if unused."""
    return {
        "name": caller.session.name,
        "actor": str(caller.session.actor),
        "csrf_token": csrf_token(caller.token),
        "expires_at": caller.session.expires_at.isoformat(),
    }


@router.delete("", status_code=204, summary="Sign out")
def logout(caller: Signed, request: Request) -> Response:
    """End the session: its token no longer signs anyone in."""
    portal(request).sessions.end(caller.token)
    response = Response(status_code=204)
    response.delete_cookie(COOKIE, path="/")
    return response
