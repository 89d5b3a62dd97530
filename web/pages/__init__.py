"""The portal's server-rendered pages, in Chinese: 登录/退出 (:mod:`web.pages.login`), the unit's inbox and
case page (:mod:`web.pages.unit`), the deputy's suggestions, case page and feedback (:mod:`web.pages.deputy`), the office's dashboard, case
list and pages (:mod:`web.pages.office`), decisions (:mod:`web.pages.office_decisions`), reports
(:mod:`web.pages.office_reports`), users and checks (:mod:`web.pages.office_admin`).

Templates are under ``web/templates/`` (autoescaped), the one stylesheet under ``web/static/``; pages work without
JavaScript and load nothing from elsewhere (the Content-Security-Policy is ``default-src 'self'``).
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from web.pages import deputy, login, office, office_admin, office_decisions, office_reports, unit
from web.pages.base import error_page

__all__ = ["install"]

STATIC = Path(__file__).resolve().parent.parent / "static"


def install(app: FastAPI) -> None:
    """Serve the pages, the stylesheet under ``/static`` and errors outside ``/api`` as the error page."""
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    app.include_router(login.router)
    app.include_router(unit.router)
    app.include_router(deputy.router)
    app.include_router(office.router)
    app.include_router(office_decisions.router)
    app.include_router(office_reports.router)
    app.include_router(office_admin.router)
    app.state.error_page = error_page
