"""The one path a posted form takes on the portal's pages.

Read the form (its CSRF token checked, its size by the declared length), run the engine's action with it, and
on a refusal (:class:`~workflow.core.errors.WorkflowError` or :class:`~rules.errors.RuleError`) answer with the
page again, the refusal's one line above the form and what was typed kept, under the refusal's status. On
success the caller redirects with its flash (``?done=…``); the form is closed either way.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from fastapi import Request, Response
from starlette.datastructures import FormData

from rules.errors import RuleError
from web.errors import status_of
from web.pages.base import TooLarge, Viewer, read_form
from workflow.core.errors import WorkflowError

__all__ = ["FRESH", "Refused", "Shown", "Submitted", "submit"]

T = TypeVar("T")


@dataclass(frozen=True)
class Shown:
    """What a page shows of the form posted last: the flash of one that went through (``done``, as the redirect
    carried it), or the refusal's line (``error``) above the form that failed (``failed``: which one, where a page
    has several) with what was typed in it kept, under the refusal's HTTP status."""

    done: str = ""
    error: str = ""
    failed: str = ""
    typed: Mapping[str, str] = field(default_factory=dict)
    status: int = 200

    def context(self) -> dict[str, object]:
        """The template's ``done``, ``error``, ``failed`` and ``typed``."""
        return {"done": self.done, "error": self.error, "failed": self.failed, "typed": dict(self.typed)}


FRESH = Shown()  # a page as first opened: no form posted

# the page again after a refusal, showing it
Refused = Callable[[Shown], Response]


@dataclass(frozen=True)
class Submitted(Generic[T]):
    """A form the engine accepted: what its action returned, and the form (closed; its text fields read)."""

    result: T
    form: FormData


async def submit(
    request: Request,
    viewer: Viewer,
    run: Callable[[FormData, dict[str, str]], T],
    refused: Refused,
    *,
    strip: bool = False,
    too_large: bool = True,
) -> Submitted[T] | Response:
    """Run ``run`` with the posted form and its text fields (without the CSRF token; ``strip``: trimmed).

    A refusal answers with ``refused`` given the refusal's line; a form over the size limit
    answers with ``refused`` (status 413, nothing typed kept) when ``too_large``, else with the error page."""
    try:
        form = await read_form(request, viewer.caller)
    except TooLarge as exc:
        if not too_large:
            raise
        return refused(Shown(error=str(exc), status=413))
    typed = {
        k: v.strip() if strip else v for k, v in form.items() if isinstance(v, str) and k != "csrf_token"
    }
    try:
        result = run(form, typed)
    except (WorkflowError, RuleError) as exc:
        return refused(Shown(error=str(exc), typed=typed, status=status_of(exc)))
    finally:
        await form.close()
    return Submitted(result, form)
