"""The office's administration pages: the accounts (add one, disable or enable it, give it a new password), and
the audit trail and outbox checks.

The office's only, as every ``/office/…`` page (:func:`web.pages.office.office_only`).
"""

from __future__ import annotations

from dataclasses import replace

from fastapi import APIRouter, Request, Response
from starlette.datastructures import FormData

from rules.i18n import _
from web.pages.base import Viewer, page, redirect
from web.pages.forms import FRESH, Shown, submit
from web.pages.office import form_text, office_only
from workflow.core.errors import NotFound, ValidationError
from workflow.reporting.text import NOTICE_STATUS, NOTICE_TOPICS

__all__ = ["ROLES", "router"]

router = APIRouter(prefix="/office", include_in_schema=False)


ROLES = {"office": "代表工作机构", "unit": "承办单位", "deputy": "代表"}


# ---- users ---------------------------------------------------------------------------------------------
def _users_page(request: Request, viewer: Viewer, shown: Shown = FRESH) -> Response:
    engine = viewer.caller.engine
    return page(
        request,
        "office/users.html",
        {
            **shown.context(),
            "users": engine.users(),
            "units": [u.name for u in engine.units()],
            "deputies": [d.name for d in engine.deputies()],
            "roles": ROLES,
            "me": viewer.caller.session.name,
        },
        status=shown.status,
        viewer=viewer,
    )


@router.get("/users")
def users(request: Request, done: str = "") -> Response:
    """Every account, with the forms to add one, disable or enable it and give it a new password."""
    viewer = office_only(request)
    if isinstance(viewer, Response):
        return viewer
    words = {
        "add": "已添加账号。",
        "disable": "已停用账号。",
        "enable": "已启用账号。",
        "password": "已重设密码。",
    }
    return _users_page(request, viewer, Shown(done=words.get(done, "")))


@router.post("/users")
async def add_user(request: Request) -> Response:
    """Add an account: office staff, a unit's or a deputy's."""
    viewer = office_only(request)
    if isinstance(viewer, Response):
        return viewer

    def add(form: FormData, _typed: dict[str, str]) -> object:
        role = form_text(form, "role")
        if role not in ROLES:
            raise ValidationError(_("choose the account's role: the office, a unit or a deputy"))
        return viewer.caller.engine.add_user(
            form_text(form, "name"),
            str(form.get("password") or ""),
            unit=(form_text(form, "unit") or None) if role == "unit" else None,
            deputy=(form_text(form, "deputy") or None) if role == "deputy" else None,
        )

    def again(shown: Shown) -> Response:
        kept = {k: v for k, v in shown.typed.items() if k != "password"}  # a password is never shown again
        return _users_page(request, viewer, replace(shown, failed="add", typed=kept))

    outcome = await submit(request, viewer, add, again, too_large=False)
    if isinstance(outcome, Response):
        return outcome
    return redirect("/office/users?done=add")


@router.post("/users/{name}/{change}")
async def change_user(request: Request, name: str, change: str) -> Response:
    """Disable, enable, or give a new password to account ``name``."""
    viewer = office_only(request)
    if isinstance(viewer, Response):
        return viewer
    if change not in ("disable", "enable", "password"):
        raise NotFound(kind="page", name=request.url.path)
    engine = viewer.caller.engine

    def apply(form: FormData, _typed: dict[str, str]) -> None:
        if change == "password":
            engine.set_password(name, str(form.get("password") or ""))
        elif change == "disable" and name == viewer.caller.session.name:
            raise ValidationError(
                _(
                    "the account “{name}” is the one signed in and cannot be disabled: disable it from another office account"
                ).format(name=name)
            )
        else:
            engine.disable_user(name, disabled=change == "disable")

    outcome = await submit(
        request,
        viewer,
        apply,
        lambda shown: _users_page(request, viewer, replace(shown, failed=f"{change}-{name}", typed={})),
        too_large=False,
    )
    if isinstance(outcome, Response):
        return outcome
    return redirect(f"/office/users?done={change}")


# ---- audit and outbox ----------------------------------------------------------------------------------
@router.get("/system")
def system(request: Request, status: str = "") -> Response:
    """The audit trail checked now (``jianyi audit verify``), and the outbox: its backlog, dead notices, and
    the latest notices (of one status)."""
    viewer = office_only(request)
    if isinstance(viewer, Response):
        return viewer
    from workflow.store import heartbeat, outbox

    engine = viewer.caller.engine
    cases, problems = engine.verify_audit()
    health = heartbeat.health(engine, viewer.now)
    if status and status not in outbox.STATUSES:
        raise NotFound(kind="outbox status", name=status)
    notices = outbox.listing(engine, status=status or None, limit=100)
    return page(
        request,
        "office/system.html",
        {
            "cases": cases,
            "problems": problems,
            "health": health,
            "notices": notices,
            "status": status,
            "statuses": outbox.STATUSES,
            "status_words": NOTICE_STATUS,
            "topics": NOTICE_TOPICS,
        },
        viewer=viewer,
    )
