"""The office's decisions queue (待办决定): hand-back requests (退办), extension requests (申请延期), answers
waiting for review (答复审核) and online submissions to accept (受理) or decline (不予受理).

The office's only, as every ``/office/…`` page (:func:`web.pages.office.office_only`).
"""

from __future__ import annotations

from dataclasses import replace

from fastapi import APIRouter, Request, Response
from starlette.datastructures import FormData

from web.pages.base import Viewer, page, redirect
from web.pages.forms import FRESH, Shown, submit
from web.pages.office import case_url, form_text, office_only
from workflow.core.errors import NotFound

__all__ = ["router"]

router = APIRouter(prefix="/office", include_in_schema=False)


def _decisions_page(request: Request, viewer: Viewer, shown: Shown = FRESH) -> Response:
    engine = viewer.caller.engine
    return page(
        request,
        "office/decisions.html",
        {
            **shown.context(),
            "returns": engine.pending_returns(),
            "submissions": engine.submissions(status="pending"),
            "extensions": engine.pending_extensions(),
            "reviews": engine.pending_reviews(),
            "case_url": case_url,
        },
        status=shown.status,
        viewer=viewer,
    )


@router.get("/decisions")
def decisions(request: Request, done: str = "") -> Response:
    """What waits for the office: hand-back requests (退办), extension requests (申请延期) and online submissions
    (受理/不予受理)."""
    viewer = office_only(request)
    if isinstance(viewer, Response):
        return viewer
    words = {
        "accept": "已受理。",
        "decline": "已不予受理。",
        "approve_answer": "答复已审核通过，已送达代表。",
    }
    words["return_answer"] = "答复已退回承办单位。"
    return _decisions_page(request, viewer, Shown(done=words.get(done, "")))


@router.post("/submissions/{submission_id}/{decision}")
async def decide_submission(request: Request, submission_id: int, decision: str) -> Response:
    """受理 (with a number, or the session's next) or 不予受理 (with the reason) an online submission."""
    viewer = office_only(request)
    if isinstance(viewer, Response):
        return viewer
    if decision not in ("accept", "decline"):
        raise NotFound(kind="page", name=request.url.path)
    engine = viewer.caller.engine
    engine.submission(submission_id)  # a submission that does not exist: not found, before the body is read

    def decide(form: FormData, _typed: dict[str, str]) -> object:
        if decision == "accept":
            return engine.accept_submission(submission_id, number=form_text(form, "number") or None)
        return engine.decline_submission(submission_id, reason=form_text(form, "reason"))

    outcome = await submit(
        request,
        viewer,
        decide,
        lambda shown: _decisions_page(request, viewer, replace(shown, failed=f"{decision}-{submission_id}")),
        too_large=False,
    )
    if isinstance(outcome, Response):
        return outcome
    return redirect(f"/office/decisions?done={decision}")
