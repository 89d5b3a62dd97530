"""The ASGI app of the web portal and API: :func:`create_app` for a database, :func:`from_env` for uvicorn's
workers (``uvicorn --factory web.app:from_env``, as ``jianyi serve`` starts it).

One engine per process, opened at startup and disposed at shutdown; each request acts through
``engine.acting(actor)`` for its signed-in account. Workers keep no state of their own: sessions and failed
sign-ins are in the database. Every response carries the security headers of :data:`SECURITY_HEADERS`.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from rules.i18n import _
from web import actions, auth, cases, errors, pages, public, submissions
from web.responses import SafeJSONResponse
from workflow.core.attachments import DEFAULT_MAX_SIZE, AttachmentSettings, parse_size
from workflow.core.public import Disclosure
from workflow.engine import Engine
from workflow.store.sessions import WebSessions

__all__ = ["ENV", "SECURITY_HEADERS", "WebSettings", "create_app", "from_env"]

WebSettings = auth.WebSettings
log = logging.getLogger("jianyi.web")

SECURITY_HEADERS: tuple[tuple[bytes, bytes], ...] = (
    (b"content-security-policy", b"default-src 'self'; frame-ancestors 'none'"),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),
    (b"x-frame-options", b"DENY"),
)

# the environment variables :func:`from_env` reads (``jianyi serve`` sets them for its workers)
ENV = {
    "db": "JIANYI_DB",
    "congress": "JIANYI_CONGRESS",
    "attachments_dir": "JIANYI_ATTACHMENTS_DIR",
    "attachments_in_database": "JIANYI_ATTACHMENTS_IN_DATABASE",
    "attachments_max_size": "JIANYI_ATTACHMENTS_MAX_SIZE",
    "idle_minutes": "JIANYI_WEB_IDLE_MINUTES",
    "secure_cookies": "JIANYI_WEB_SECURE_COOKIES",
    "public_comments": "JIANYI_PUBLIC_COMMENTS",
    "public_letters": "JIANYI_PUBLIC_LETTERS",
}

_PAGE_500 = (
    '<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><title>出错了</title>'
    '<link rel="stylesheet" href="/static/portal.css"></head><body><main class="page">'
    "<h1>出错了</h1><p>服务器未能完成这次请求（详情已记入服务器日志），请稍后再试。</p>"
    '<p><a href="/">返回首页</a></p></main></body></html>'
).encode()


class _Guard:
    """Adds the security headers to every response, and answers an error no handler took with a plain 500,
    JSON under ``/api`` and a page elsewhere (the traceback goes to the log, never to the client)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def send_guarded(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                names = {k.lower() for k, _value in message.get("headers", [])}
                extra = [(k, v) for k, v in SECURITY_HEADERS if k not in names]
                message = {**message, "headers": [*message.get("headers", []), *extra]}
            await send(message)

        try:
            await self.app(scope, receive, send_guarded)
        except Exception:
            log.exception("unexpected error on %s %s", scope.get("method"), scope.get("path"))
            if started:
                raise
            if str(scope.get("path", "")).startswith("/api"):
                body = json.dumps(
                    errors.error_body(_("internal server error (see the server's log)"), "InternalError")
                ).encode("utf-8")
                kind = b"application/json"
            else:
                body, kind = _PAGE_500, b"text/html; charset=utf-8"
            headers = [(b"content-type", kind), (b"content-length", str(len(body)).encode())]
            await send_guarded({"type": "http.response.start", "status": 500, "headers": headers})
            await send({"type": "http.response.body", "body": body})


class _SharedReads:
    """The reads of one request share one database connection (:meth:`Database.shared_reads
    <workflow.store.database.Database.shared_reads>`): on PostgreSQL a request paid a pool checkout and a liveness
    check for each of its reads (the session's, the rule set's, the page's)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        held: auth.Portal | None = getattr(scope["app"].state, "portal", None) if "app" in scope else None
        if scope["type"] != "http" or held is None:
            await self.app(scope, receive, send)
            return
        with held.engine.db.shared_reads():
            await self.app(scope, receive, send)


def create_app(
    db_url: str | Path,
    *,
    congress: str | None = None,
    attachments: AttachmentSettings | None = None,
    settings: WebSettings | None = None,
    disclosure: Disclosure | None = None,
) -> FastAPI:
    """The app over the (initialised) database ``db_url`` and ``congress``: the engine opens at startup and is
    disposed at shutdown. ``disclosure`` says what the public site adds to a published case (default: neither
    the deputies' comments nor the answer letters)."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        engine = Engine.open(db_url, congress=congress, attachments=attachments)
        app.state.portal = auth.Portal(
            engine, WebSessions(engine.db, engine.directory), settings or WebSettings()
        )
        try:
            yield
        finally:
            engine.dispose()

    app = FastAPI(
        title="jianyi: 建议办理平台",
        summary="Handling deputies' suggestions (代表建议办理): the HTTP JSON API",
        lifespan=lifespan,
        openapi_url="/api/openapi.json",
        docs_url=None,  # the interactive pages load scripts from a CDN, which the Content-Security-Policy refuses
        redoc_url=None,
        default_response_class=SafeJSONResponse,
    )
    app.state.disclosure = disclosure or Disclosure()
    errors.install(app)
    app.include_router(auth.router)
    app.include_router(cases.router)
    app.include_router(cases.pending)
    app.include_router(actions.router)
    app.include_router(submissions.router)
    app.include_router(public.router)

    pages.install(app)
    app.add_middleware(_SharedReads)
    app.add_middleware(_Guard)
    return app


def _flag(value: str | None) -> bool:
    return (value or "").strip().lower() in {"1", "true", "yes", "on"}


def from_env() -> FastAPI:
    """:func:`create_app` with what the environment says (:data:`ENV`): the database (``JIANYI_DB``, default
    ``jianyi.db``), the congress, the attachments' folder, in-database flag and size limit, the idle minutes
    of a session, whether cookies are always Secure, and whether the public site shows the deputies' comments
    and the answer letters."""
    env: dict[str, Any] = {key: os.environ.get(name) for key, name in ENV.items()}
    folder = env["attachments_dir"]
    files = AttachmentSettings(
        Path(folder) if folder else None,
        _flag(env["attachments_in_database"]),
        parse_size(env["attachments_max_size"] or DEFAULT_MAX_SIZE),
    )
    settings = WebSettings(
        idle=timedelta(minutes=float(env["idle_minutes"] or 480)),
        secure_cookies=_flag(env["secure_cookies"]),
    )
    shown = Disclosure(comments=_flag(env["public_comments"]), letters=_flag(env["public_letters"]))
    return create_app(
        env["db"] or "jianyi.db",
        congress=env["congress"] or None,
        attachments=files,
        settings=settings,
        disclosure=shown,
    )
