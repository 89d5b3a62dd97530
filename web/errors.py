"""The one map from error to HTTP status, and the errors only the web raises.

Every error of the API answers as JSON ``{"error": message, "kind": class name}``; outside ``/api`` the portal's
error page (``app.state.error_page``, set by :mod:`web.pages`) answers it as HTML with the same status. The status is that of the nearest class
of the error's MRO listed in :data:`HTTP_STATUS` (the web's counterpart of the command line's exit codes);
anything unlisted is a 500 whose body says only that the server failed (the traceback goes to the log).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from typing import Any

from fastapi import FastAPI, Request, Response
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException

from notifications.errors import NotificationError
from rules.errors import RuleError
from rules.i18n import _
from web.responses import SafeJSONResponse as JSONResponse
from workflow.core.attachments import AttachmentDamaged
from workflow.core.errors import (
    Conflict,
    NotAuthenticated,
    NotFound,
    NotInitialised,
    PermissionDenied,
    TransitionNotAllowed,
    ValidationError,
    WorkflowError,
    nearest,
)

__all__ = [
    "HTTP_STATUS",
    "CsrfRefused",
    "NotSignedIn",
    "PageRenderer",
    "TooManyAttempts",
    "WebError",
    "error_body",
    "install",
    "status_of",
]

log = logging.getLogger("jianyi.web")


class WebError(Exception):
    """The root of the errors only the web raises."""


class NotSignedIn(WebError):
    """No session, or one that expired or was ended."""

    def __init__(self) -> None:
        super().__init__(_("not signed in, or the session has ended: sign in with POST /api/session"))


class CsrfRefused(WebError):
    """A write authenticated by the session cookie without the session's CSRF token."""

    def __init__(self) -> None:
        super().__init__(
            _(
                "the X-CSRF-Token header is missing or not this session's: send the csrf_token the sign-in returned"
            )
        )


class TooManyAttempts(WebError):
    """Too many failed sign-ins under one name within the window; the password is not checked."""

    def __init__(self, *, name: str, count: int, retry_at: datetime, retry_after: int) -> None:
        self.retry_after = retry_after
        super().__init__(
            _("{count} failed sign-ins for {name!r}: try again after {at} (in {seconds} s)").format(
                count=count, name=name, at=retry_at.isoformat(timespec="seconds"), seconds=retry_after
            )
        )


# The one map from error to status: an error answers with the status of the nearest class of its MRO listed here.
HTTP_STATUS: Mapping[type[Exception], int] = {
    WorkflowError: 400,
    ValidationError: 422,
    RuleError: 422,
    NotFound: 404,
    NotAuthenticated: 401,
    NotSignedIn: 401,
    PermissionDenied: 403,
    CsrfRefused: 403,
    TransitionNotAllowed: 409,
    Conflict: 409,
    TooManyAttempts: 429,
    NotInitialised: 503,
    NotificationError: 500,
    AttachmentDamaged: 500,
}


def status_of(exc: BaseException) -> int:
    """The status :data:`HTTP_STATUS` gives ``exc`` (500 when no class of its MRO is listed)."""
    return nearest(HTTP_STATUS, exc, 500)


def error_body(message: str, kind: str, fields: Iterable[str] = ()) -> dict[str, Any]:
    """The JSON every error answers with; ``fields``, when the refusal names the inputs it asks for or finds
    wrong (the request's field names: ``reason``, ``attachments.0.content_base64``)."""
    named = list(dict.fromkeys(fields))
    return {"error": message, "kind": kind, "fields": named} if named else {"error": message, "kind": kind}


# renders an error as the portal's HTML page: (request, status, message) → response; set by web.pages
PageRenderer = Callable[[Request, int, str], Response]


def _page(request: Request, status: int, message: str) -> Response | None:
    """The portal's error page for a request outside the API, when the app has pages."""
    if request.url.path.startswith("/api"):
        return None
    render: PageRenderer | None = getattr(request.app.state, "error_page", None)
    return render(request, status, message) if render is not None else None


def _known(request: Request, exc: Exception) -> Response:
    status = status_of(exc)
    page = _page(request, status, str(exc))
    if page is not None:
        if status >= 500:
            log.error("%s: %s", type(exc).__name__, exc, exc_info=exc)
        return page
    headers = {}
    if status == 401:
        headers["WWW-Authenticate"] = "Bearer"
    if isinstance(exc, TooManyAttempts):
        headers["Retry-After"] = str(exc.retry_after)
    if status >= 500:
        log.error("%s: %s", type(exc).__name__, exc, exc_info=exc)
    body = error_body(str(exc), type(exc).__name__, getattr(exc, "fields", ()))
    return JSONResponse(body, status_code=status, headers=headers)


# pydantic's errors for an instant (an aware datetime): missing its offset, or not a date and time at all
_INSTANT_KINDS = frozenset(
    {
        "timezone_aware",
        "datetime_parsing",
        "datetime_type",
        "datetime_from_date_parsing",
        "datetime_object_invalid",
    }
)

# where pydantic says a value came from: the first item of an error's "loc", left out of the field's name
_SOURCES = frozenset({"body", "query", "path", "header", "cookie"})


def _path(loc: object) -> str:
    """The name of the field a validation error is about (``limit``, ``reply.text``); empty: the whole body."""
    parts = [str(p) for p in loc] if isinstance(loc, (tuple, list)) else []
    if parts and parts[0] in _SOURCES:
        parts = parts[1:]
    return ".".join(parts)


def _field(loc: object) -> str:
    """The field a validation error is about, as its line names it (the whole body in words)."""
    return _path(loc) or _("the request body")


def _problem(problem: Mapping[str, object]) -> str:
    """One of pydantic's validation errors in the portal's words: the field and what it must be."""
    field = _field(problem.get("loc", ()))
    ctx = problem.get("ctx")
    limits: Mapping[str, object] = ctx if isinstance(ctx, Mapping) else {}
    kind = str(problem.get("type", ""))
    if kind == "missing":
        return _("{field}: required").format(field=field)
    if kind in ("int_parsing", "int_type", "int_from_float"):
        return _("{field}: must be a whole number").format(field=field)
    if kind in ("float_parsing", "float_type"):
        return _("{field}: must be a number").format(field=field)
    if kind in ("bool_parsing", "bool_type"):
        return _("{field}: must be true or false").format(field=field)
    if kind in ("greater_than_equal", "greater_than", "less_than_equal", "less_than"):
        bound = {"greater_than_equal": "ge", "greater_than": "gt", "less_than_equal": "le", "less_than": "lt"}
        words = {
            "ge": _("{field}: must be at least {limit}"),
            "gt": _("{field}: must be more than {limit}"),
            "le": _("{field}: must be at most {limit}"),
            "lt": _("{field}: must be less than {limit}"),
        }
        key = bound[kind]
        return words[key].format(field=field, limit=limits.get(key, "?"))
    if kind == "string_too_short":
        return _("{field}: at least {count} character(s)").format(field=field, count=limits.get("min_length"))
    if kind == "string_too_long":
        return _("{field}: at most {count} character(s)").format(field=field, count=limits.get("max_length"))
    if kind in ("string_type", "string_unicode"):
        return _("{field}: must be text").format(field=field)
    if kind in ("enum", "literal_error"):
        return _("{field}: must be one of {choices}").format(field=field, choices=limits.get("expected", "?"))
    if kind in ("date_parsing", "date_from_datetime_parsing", "date_from_datetime_inexact", "date_type"):
        return _("{field}: must be a date (YYYY-MM-DD)").format(field=field)
    if kind in _INSTANT_KINDS:
        return _(
            "{field}: must be a date and time with its offset from UTC, e.g. 2026-03-01T09:00:00+08:00"
        ).format(field=field)
    if kind == "value_error" and limits.get("error"):  # a validator's own words (already in the catalog)
        return _("{field}: {problem}").format(field=field, problem=limits["error"])
    if kind == "list_type":
        return _("{field}: must be a list").format(field=field)
    if kind == "extra_forbidden":
        return _("{field}: not a field this request takes").format(field=field)
    if kind in ("json_invalid", "json_type"):
        return _("the request body is not valid JSON")
    if kind in ("model_attributes_type", "dict_type", "model_type"):
        return _("{field}: must be a JSON object").format(field=field)
    return _("{field}: not a valid value").format(field=field)


def _invalid(request: Request, exc: Exception) -> Response:
    """FastAPI's request validation (422) in the portal's words, one line naming each field, instead of
    pydantic's English."""
    assert isinstance(exc, RequestValidationError)
    problems = exc.errors()
    message = _("; ").join(_problem(p) for p in problems) or _("invalid request")
    fields = [f for p in problems if (f := _path(p.get("loc", ())))]
    return _page(request, 422, message) or JSONResponse(
        error_body(message, "ValidationError", fields), status_code=422
    )


def _http(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    kinds = {404: "NotFound", 405: "MethodNotAllowed"}
    words = {404: _("no such endpoint"), 405: _("method not allowed")}
    message = words.get(exc.status_code, str(exc.detail))
    page = _page(request, exc.status_code, message)
    if page is not None:
        return page
    return JSONResponse(
        error_body(message, kinds.get(exc.status_code, "HTTPError")),
        status_code=exc.status_code,
        headers=exc.headers,
    )


def install(app: FastAPI) -> None:
    """Answer the errors of ``app`` as JSON with their status (anything else: :mod:`web.app`'s middleware)."""
    app.add_exception_handler(RequestValidationError, _invalid)
    app.add_exception_handler(HTTPException, _http)
    for kind in (WorkflowError, WebError, RuleError, NotificationError):
        app.add_exception_handler(kind, _known)
