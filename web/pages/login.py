"""登录 and 退出, and ``/``, which sends a signed-in account to its role's home page and anybody else to 登录.

The sign-in form is protected from cross-site posting by a double-submit token: a random value in a short-lived
HttpOnly cookie and in the form's hidden field, which must agree. Signing in starts a new session (the one the
browser held ends: session rotation) through the same :func:`web.auth.sign_in` as ``POST /api/session``, so
the same failures count towards the same limit; a wrong password, an unknown name and a disabled account are
refused in the same words.
"""

from __future__ import annotations

import hmac
import secrets

from fastapi import APIRouter, Request, Response

from web.auth import COOKIE, find_session, portal, set_session_cookie, sign_in
from web.errors import TooManyAttempts
from web.pages.base import HOMES, check_csrf, page, redirect
from workflow.core.errors import NotAuthenticated

__all__ = ["LOGIN_COOKIE", "router"]

LOGIN_COOKIE = "jianyi_login"
REFUSED = "用户名或密码不正确，或账号已停用。"

router = APIRouter(include_in_schema=False)


def _login_page(request: Request, *, name: str = "", error: str = "", status: int = 200) -> Response:
    token = secrets.token_urlsafe(24)
    response = page(
        request, "login.html", {"name": name, "error": error, "login_token": token}, status=status
    )
    response.set_cookie(
        LOGIN_COOKIE,
        token,
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https" or portal(request).settings.secure_cookies,
        path="/login",
        max_age=3600,
    )
    return response


@router.get("/")
def home(request: Request) -> Response:
    """A signed-in account's home page; the sign-in page for anybody else."""
    caller = find_session(request)
    if caller is None:
        return redirect("/login")
    return redirect(HOMES.get(caller.session.actor.kind, "/login"))


@router.get("/login")
def login_form(request: Request) -> Response:
    """The sign-in form."""
    return _login_page(request)


@router.post("/login")
async def login(request: Request) -> Response:
    """Sign in with the form's name and password; on success, the role's home page."""
    form = await request.form(max_files=0, max_fields=10)
    name = str(form.get("name") or "").strip()
    password = str(form.get("password") or "")
    sent = str(form.get("login_token") or "")
    held = request.cookies.get(LOGIN_COOKIE, "")
    if not sent or not held or not hmac.compare_digest(sent.encode(), held.encode()):
        return _login_page(request, name=name, error="登录表单已过期，请重新输入后登录。", status=403)
    if not name or not password:
        return _login_page(request, name=name, error="请输入用户名和密码。", status=422)
    try:
        started = sign_in(portal(request), name, password, replacing=request.cookies.get(COOKIE))
    except NotAuthenticated:
        return _login_page(request, name=name, error=REFUSED, status=401)
    except TooManyAttempts as exc:
        minutes = max(1, -(-exc.retry_after // 60))
        response = _login_page(
            request,
            name=name,
            error=f"该账号登录失败次数过多，请 {minutes} 分钟后再试。",
            status=429,
        )
        response.headers["Retry-After"] = str(exc.retry_after)
        return response
    response = redirect(HOMES.get(started.actor.kind, "/"))
    set_session_cookie(response, request, started.token)
    response.delete_cookie(LOGIN_COOKIE, path="/login")
    return response


@router.post("/logout")
async def logout(request: Request) -> Response:
    """End the session (the form carries its CSRF token) and show the sign-in page."""
    caller = find_session(request)
    if caller is not None:
        form = await request.form(max_files=0, max_fields=10)
        check_csrf(form, caller)
        portal(request).sessions.end(caller.token)
    response = redirect("/login")
    response.delete_cookie(COOKIE, path="/")
    return response
