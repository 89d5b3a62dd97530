"""What every page shares: the templates, who is signed in, the forms' CSRF check, reading a form with a size
limit, and the error page.

Pages are signed in by the session cookie only. Every form carries the session's CSRF token in the hidden
field ``csrf_token`` (the same HMAC the API's ``X-CSRF-Token`` carries); a form without it is refused with 403
before anything is read from it but the token. A page for another role, or a case out of the reader's scope, is
not found (404), in the same words as a case that does not exist.
"""

from __future__ import annotations

import hmac
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, tzinfo
from pathlib import Path
from typing import Any

from fastapi import Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.templating import Jinja2Templates
from jinja2 import Environment, FileSystemLoader, StrictUndefined
from starlette.datastructures import FormData, UploadFile

from rules import RATING_LABELS
from rules.i18n import _
from web.auth import Caller, csrf_token, find_session, portal
from web.errors import CsrfRefused
from workflow.core.attachments import Attachment
from workflow.core.errors import NotFound, ValidationError
from workflow.core.states import STATE_LABELS, ActorKind, actor_label
from workflow.reporting.dossier import (
    ACTION_LABELS,
    KIND_LABELS,
    METHOD_LABELS,
    PROMISE_LABELS,
    RETURN_LABELS,
    REVIEW_LABELS,
    ROLE_LABELS,
    STAGE_LABELS,
)

__all__ = [
    "FORM_OVERHEAD",
    "HOMES",
    "Viewer",
    "attachments_of",
    "check_csrf",
    "error_page",
    "page",
    "read_form",
    "redirect",
    "require",
    "templates",
]

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
# what a form may hold beyond its files' size limit (its text fields and the multipart framing)
FORM_OVERHEAD = 1 << 20
# each role's home page
HOMES = {ActorKind.OFFICE: "/office", ActorKind.UNIT: "/unit", ActorKind.DEPUTY: "/deputy"}

_ENV = Environment(
    loader=FileSystemLoader(TEMPLATES), autoescape=True, undefined=StrictUndefined, auto_reload=False
)
_ENV.globals.update(
    STATE_LABELS=STATE_LABELS,
    RATING_LABELS=RATING_LABELS,
    ACTION_LABELS=ACTION_LABELS,
    KIND_LABELS=KIND_LABELS,
    METHOD_LABELS=METHOD_LABELS,
    PROMISE_LABELS=PROMISE_LABELS,
    RETURN_LABELS=RETURN_LABELS,
    REVIEW_LABELS=REVIEW_LABELS,
    ROLE_LABELS=ROLE_LABELS,
    STAGE_LABELS=STAGE_LABELS,
)
templates = Jinja2Templates(env=_ENV)


_ENV.filters["who"] = actor_label


@dataclass(frozen=True, slots=True)
class Viewer:
    """The signed-in reader of a page: the caller, the time zone dates are shown in and now."""

    caller: Caller
    zone: tzinfo
    now: datetime

    @property
    def name(self) -> str:
        """The party's name (the unit, the deputy)."""
        return self.caller.session.actor.name or "代表工作机构"

    @property
    def today(self) -> date:
        """Today in the rule set's zone."""
        return self.now.astimezone(self.zone).date()

    def local(self, instant: datetime | None) -> str:
        """An instant as the reader's clock shows it (minutes), or ``-``."""
        return "-" if instant is None else instant.astimezone(self.zone).strftime("%Y-%m-%d %H:%M")


def require(request: Request, kind: ActorKind) -> Viewer | Response:
    """The signed-in viewer when the account is of ``kind``; the sign-in page when nobody is signed in; a page
    of another role is not found."""
    caller = find_session(request)
    if caller is None:
        return redirect("/login")
    if caller.session.actor.kind is not kind:
        raise NotFound(kind="page", name=request.url.path)
    engine = caller.engine
    return Viewer(caller, engine.active_ruleset().zone, engine.clock.now())


def redirect(url: str) -> RedirectResponse:
    """See the page at ``url`` (303: the browser follows with GET)."""
    return RedirectResponse(url, status_code=303)


def page(
    request: Request,
    name: str,
    context: Mapping[str, Any],
    *,
    status: int = 200,
    viewer: Viewer | None = None,
) -> HTMLResponse:
    """The template ``name`` filled with ``context``, the viewer (or None) and its CSRF token."""
    ctx = dict(context)
    ctx.setdefault("viewer", viewer)
    ctx.setdefault("csrf", csrf_token(viewer.caller.token) if viewer else "")
    return templates.TemplateResponse(request, name, ctx, status_code=status)


def check_csrf(form: FormData, caller: Caller) -> None:
    """Refuse (403) a form without the session's CSRF token."""
    sent = form.get("csrf_token")
    expected = csrf_token(caller.token)
    if not isinstance(sent, str) or not hmac.compare_digest(sent.encode(), expected.encode()):
        raise CsrfRefused


class TooLarge(ValidationError):
    """A form larger than the portal accepts, refused before its body is read."""


async def read_form(request: Request, caller: Caller) -> FormData:
    """The posted form, its CSRF token checked. A body longer than the attachments' size limit (plus what the
    text fields may take) is refused by its declared length before any of it is read; uploaded files are held
    by Starlette in spooled temporary files, never whole in memory while they arrive."""
    limit = portal(request).engine.attachment_settings.max_size + FORM_OVERHEAD
    declared = request.headers.get("content-length")
    if declared is None or not declared.isdigit():
        raise TooLarge(
            _(
                "the form did not declare its length (Content-Length) and was not taken: send it again from the browser"
            )
        )
    if int(declared) > limit:
        raise TooLarge(
            _(
                "the upload is {size:.1f} MiB, over the limit of {limit:.0f} MiB: compress it or send it in parts"
            ).format(size=int(declared) / (1 << 20), limit=limit / (1 << 20))
        )
    form = await request.form(max_files=10, max_fields=100)
    check_csrf(form, caller)
    return form


def attachments_of(form: FormData, field: str = "files") -> list[Attachment]:
    """The files chosen in ``field`` (an empty file input sends none)."""
    files: list[Attachment] = []
    for item in form.getlist(field):
        if isinstance(item, UploadFile) and item.filename:
            files.append(Attachment(item.filename, item.file.read()))
    return files


def error_page(request: Request, status: int, message: str) -> Response:
    """The portal's page for an error: one line, never a traceback; nobody signed in → the sign-in page."""
    if status == 401:
        return redirect("/login")
    caller = find_session(request)
    headline = {403: "无权操作", 404: "未找到", 409: "状态已变化", 413: "内容过大", 429: "尝试过多"}.get(
        status, "出错了" if status >= 500 else "未能办理"
    )
    if status == 404:
        message = "没有这个页面，或这件建议不在您的查看范围内。"
    elif status >= 500:
        message = "服务器未能完成这次请求（详情已记入服务器日志），请稍后再试。"
    elif status == 403 and "CSRF" in message:
        message = "表单已过期或不是从本站提交的，未受理：请回到页面重新提交。"
    home = HOMES.get(caller.session.actor.kind, "/") if caller else "/login"
    return templates.TemplateResponse(
        request,
        "error.html",
        {"viewer": None, "csrf": "", "headline": headline, "message": message, "home": home},
        status_code=status,
    )
