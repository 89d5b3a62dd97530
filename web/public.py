"""The public site (公开), at ``/public``, without signing in: the published suggestions, searchable and paged, a
page for each with its answers and the deputies' ratings, and the congress's summary figures.

Every read goes through the engine acting for the public (``Actor.public()``), which keeps to the published
cases — not confidential, the answer delivered to the deputy (:mod:`workflow.core.public`) — and hands out only
their public view, so a page cannot show what the engine did not give it: no contact data, no contact records,
no one who entered anything. Any other case is "not found" (404), as a number that does not exist. The deputies'
feedback comments and the answer letters (答复函) are shown only when :class:`~workflow.core.public.Disclosure`
says so (``JIANYI_PUBLIC_COMMENTS``, ``JIANYI_PUBLIC_LETTERS``; default: neither).

The pages are Chinese HTML rendered on the server by Jinja2 (autoescape on), with one stylesheet of their own
(``/public/static/public.css``): no script, no inline style, nothing from another site, as the
``default-src 'self'`` Content-Security-Policy asks.
"""

from __future__ import annotations

import math
from functools import cache
from importlib import resources
from typing import Annotated, Any
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from rules import RATING_LABELS
from web.auth import portal
from workflow.core.errors import NotFound, ValidationError
from workflow.core.public import Disclosure
from workflow.core.views import Actor
from workflow.engine import Engine
from workflow.reporting.reports import build

__all__ = ["PAGE_SIZE", "router"]

PAGE_SIZE = 20  # published cases a listing page holds
MAX_PAGE = 100_000  # the last page number asked for that is read (beyond it: "no such page")

router = APIRouter(prefix="/public", include_in_schema=False)


@cache
def _templates() -> Environment:
    # the site's own templates, shipped with the package (no one edits them at run time, so no sandbox: it
    # made a page several times slower to render); every value is escaped
    folder = resources.files("web") / "templates" / "public"
    env = Environment(
        loader=FileSystemLoader(str(folder)),
        autoescape=select_autoescape(default=True, default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.globals["ratings"] = RATING_LABELS
    env.filters["path"] = lambda text: quote(str(text), safe="")
    return env


def _page(name: str, status: int = 200, **context: Any) -> HTMLResponse:
    return HTMLResponse(_templates().get_template(name).render(**context), status_code=status)


def _engine(request: Request) -> Engine:
    return portal(request).engine.acting(Actor.public())


def _disclosure(request: Request) -> Disclosure:
    shown: Disclosure = getattr(request.app.state, "disclosure", Disclosure())
    return shown


def _refused(message: str, status: int) -> HTMLResponse:
    title = "未找到" if status == 404 else "请求有误"
    return _page("error.html", status, title=title, message=message)


@router.get("", response_class=HTMLResponse)
def listing(
    request: Request,
    q: Annotated[str, Query(max_length=1000)] = "",
    page: Annotated[str, Query(max_length=20)] = "1",
    session: Annotated[str | None, Query(max_length=200)] = None,
) -> HTMLResponse:
    """The published suggestions of a session (default: the current one), 20 a page, by number; ``q`` finds
    those whose title or content holds it."""
    number = int(page) if page.strip().isdigit() else 0
    if not 1 <= number <= MAX_PAGE:
        return _refused(f"页码“{page}”有误：请给出 1 至 {MAX_PAGE} 之间的整数。", 400)
    engine = _engine(request)
    text = q.strip() or None
    try:
        found = engine.published_page(
            text=text, session=session or None, offset=(number - 1) * PAGE_SIZE, limit=PAGE_SIZE
        )
    except ValidationError as exc:
        return _refused(f"检索条件有误：{exc}", 400)
    except NotFound:
        return _refused(f"没有会议“{session}”。", 404)
    pages = max(1, math.ceil(found.total / PAGE_SIZE))

    def link(to: int) -> str:
        query = {k: v for k, v in (("q", q.strip()), ("session", session or "")) if v}
        return "/public?" + urlencode({**query, "page": to})

    return _page(
        "list.html",
        title="代表建议办理公开",
        found=found,
        q=q.strip(),
        page=number,
        pages=pages,
        previous=link(number - 1) if number > 1 else None,
        following=link(number + 1) if number < pages else None,
        classes=engine.active_ruleset().classes,
    )


@router.get("/report", response_class=HTMLResponse)
def report(request: Request) -> HTMLResponse:
    """The summary figures of the congress (the office's 办理情况 report: answer, resolution and satisfaction
    rates), computed now."""
    summary = build(_engine(request), "summary")
    return _page("report.html", title=summary.title, report=summary)


@router.get("/static/public.css")
def stylesheet() -> Response:
    """The site's one stylesheet."""
    css = (resources.files("web") / "static" / "public.css").read_bytes()
    return Response(css, media_type="text/css", headers={"Cache-Control": "public, max-age=3600"})


@router.get("/{session}/{number}", response_class=HTMLResponse)
def case(request: Request, session: str, number: str) -> HTMLResponse:
    """One published suggestion: its deputies, units and content, each answer and the deputies' ratings."""
    engine = _engine(request)
    try:
        shown = engine.published(number, session=session, disclosure=_disclosure(request))
    except NotFound:
        return _refused(f"没有公开的建议“{session} 第{number}号”。", 404)
    return _page("case.html", title=shown.item.title, case=shown, classes=engine.active_ruleset().classes)


@router.get("/{session}/{number}/letters/{name}")
def letter(request: Request, session: str, number: str, name: str) -> Response:
    """An answer letter of a published suggestion, when the site discloses them (else 404)."""
    try:
        info, data = _engine(request).published_letter(
            number, name, session=session, disclosure=_disclosure(request)
        )
    except NotFound:
        return _refused(f"没有公开的答复函“{name}”。", 404)
    fallback = "".join(c if (c.isascii() and c.isalnum()) or c in "._-" else "_" for c in info.name)
    disposition = f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(info.name, safe='')}"
    return Response(content=data, media_type=info.media_type, headers={"Content-Disposition": disposition})
