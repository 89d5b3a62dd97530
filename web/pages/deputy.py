"""The deputy's pages (代表): 我的建议 with where each stands, the case page with the answers and their files,
and the feedback form (满意 / 基本满意 / 不满意, on attitude and result too, and a comment).

Only the lead deputy gives feedback, once the answer is in and while the machine allows it; the engine holds the
rules (不满意 needs the comment, where the rule set says so) and its refusal is shown as one line above the
form, with what was typed kept.
"""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import quote

from fastapi import APIRouter, Request, Response

from rules.errors import RuleError
from web.errors import status_of
from web.pages.base import Viewer, page, read_form, redirect, require
from workflow.core.dossier import Dossier
from workflow.core.errors import WorkflowError
from workflow.core.states import ActorKind

__all__ = ["router"]

router = APIRouter(prefix="/deputy", include_in_schema=False)

HORIZON = timedelta(days=3660)


def case_url(session: str, number: str) -> str:
    """The deputy's page of a case."""
    return f"/deputy/cases/{quote(session, safe='')}/{quote(number, safe='')}"


def _may_give_feedback(viewer: Viewer, dossier: Dossier) -> bool:
    case = dossier.case
    return (
        "feedback" in case.allowed
        and case.deputy == viewer.name
        and not any(f.round == case.round for f in dossier.feedback)
    )


@router.get("")
def home(request: Request) -> Response:
    """我的建议: the deputy's suggestions of the current session, and the feedback they owe."""
    viewer = require(request, ActorKind.DEPUTY)
    if isinstance(viewer, Response):
        return viewer
    engine = viewer.caller.engine
    cases = engine.search(limit=None).cases
    owed = {
        (d.session, d.number): d for d in engine.due(within=HORIZON, now=viewer.now) if d.kind == "feedback"
    }
    return page(
        request,
        "deputy/home.html",
        {"cases": cases, "owed": owed, "case_url": case_url},
        viewer=viewer,
    )


def _case_page(
    request: Request,
    viewer: Viewer,
    dossier: Dossier,
    *,
    error: str = "",
    typed: dict[str, str] | None = None,
    done: bool = False,
    status: int = 200,
) -> Response:
    return page(
        request,
        "deputy/case.html",
        {
            "d": dossier,
            "case": dossier.case,
            "feedback_form": _may_give_feedback(viewer, dossier) or bool(error),
            "error": error,
            "typed": typed or {},
            "done": done,
            "case_path": case_url(dossier.case.session, dossier.case.number),
            "history": viewer.caller.engine.history(dossier.case.number, session=dossier.case.session),
        },
        status=status,
        viewer=viewer,
    )


@router.get("/cases/{session}/{number}")
def case_page(request: Request, session: str, number: str, done: str = "") -> Response:
    """The suggestion as the deputy reads it, with the feedback form when it is owed."""
    viewer = require(request, ActorKind.DEPUTY)
    if isinstance(viewer, Response):
        return viewer
    dossier = viewer.caller.engine.dossier(number, session=session)
    return _case_page(request, viewer, dossier, done=done == "feedback")


@router.post("/cases/{session}/{number}/feedback")
async def feedback(request: Request, session: str, number: str) -> Response:
    """Give feedback on the answer; back to the case page, with the refusal if any."""
    viewer = require(request, ActorKind.DEPUTY)
    if isinstance(viewer, Response):
        return viewer
    engine = viewer.caller.engine
    engine.dossier(number, session=session)  # out of scope: not found, before the body is read
    form = await read_form(request, viewer.caller)
    typed = {k: v.strip() for k, v in form.items() if isinstance(v, str) and k != "csrf_token"}
    try:
        engine.feedback(
            number,
            rating=typed.get("rating", ""),
            attitude=typed.get("attitude") or None,
            result=typed.get("result") or None,
            comment=typed.get("comment", ""),
            session=session,
            expected_version=int(typed["expected_version"])
            if typed.get("expected_version", "").isdigit()
            else None,
        )
    except (WorkflowError, RuleError) as exc:
        dossier = engine.dossier(number, session=session)
        return _case_page(request, viewer, dossier, error=str(exc), typed=typed, status=status_of(exc))
    finally:
        await form.close()
    return redirect(f"{case_url(session, number)}?done=feedback")
