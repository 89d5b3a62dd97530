"""The deputy's pages (代表): 我的建议 with where each stands, the case page with the answers and their files,
the feedback form (满意 / 基本满意 / 不满意, on attitude and result too, and a comment) and the withdrawal (撤回);
提交建议 online (网上提交) and 我的网上建议 with where each submission stands, withdrawn while it waits.

Only the lead deputy gives feedback, once the answer is in and while the machine allows it, and only the lead
deputy withdraws a case; the engine holds the rules (不满意 needs the comment, where the rule set says so) and
its refusal is shown as one line above the form, with what was typed kept. A submission is its lead deputy's:
another deputy's is not found.
"""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import timedelta
from urllib.parse import quote

from fastapi import APIRouter, Request, Response

from web.pages.base import Viewer, attachments_of, page, redirect, require
from web.pages.forms import FRESH, Refused, Shown, submit
from workflow.core.dossier import Dossier
from workflow.core.errors import NotFound
from workflow.core.states import ActorKind
from workflow.core.submissions import SubmissionStatus, SubmissionView

__all__ = ["co_signers", "router"]

router = APIRouter(prefix="/deputy", include_in_schema=False)

HORIZON = timedelta(days=3660)


def case_url(session: str, number: str) -> str:
    """The deputy's page of a case."""
    return f"/deputy/cases/{quote(session, safe='')}/{quote(number, safe='')}"


def submission_url(submission_id: int) -> str:
    """The deputy's page of an online submission."""
    return f"/deputy/submissions/{submission_id}"


def co_signers(text: str) -> list[str]:
    """附议代表 as typed: names separated by 、 ， , ; ； or white space, each once, in the order typed."""
    return list(dict.fromkeys(n for n in re.split(r"[、，,;；\s]+", text) if n))


def _may_withdraw(viewer: Viewer, dossier: Dossier) -> bool:
    return "withdraw" in dossier.case.allowed and dossier.case.deputy == viewer.name


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
    submissions = sorted(engine.submissions(), key=lambda s: s.submitted_at, reverse=True)
    return page(
        request,
        "deputy/home.html",
        {
            "cases": cases,
            "owed": owed,
            "case_url": case_url,
            "submissions": submissions,
            "submission_url": submission_url,
        },
        viewer=viewer,
    )


def _case_page(request: Request, viewer: Viewer, dossier: Dossier, shown: Shown = FRESH) -> Response:
    return page(
        request,
        "deputy/case.html",
        {
            **shown.context(),
            "d": dossier,
            "case": dossier.case,
            "feedback_form": _may_give_feedback(viewer, dossier) or shown.failed == "feedback",
            "withdraw_form": _may_withdraw(viewer, dossier) or shown.failed == "withdraw",
            "case_path": case_url(dossier.case.session, dossier.case.number),
            "history": viewer.caller.engine.history(dossier.case.number, session=dossier.case.session),
        },
        status=shown.status,
        viewer=viewer,
    )


@router.get("/cases/{session}/{number}")
def case_page(request: Request, session: str, number: str, done: str = "") -> Response:
    """The suggestion as the deputy reads it, with the feedback form when it is owed."""
    viewer = require(request, ActorKind.DEPUTY)
    if isinstance(viewer, Response):
        return viewer
    dossier = viewer.caller.engine.dossier(number, session=session)
    return _case_page(request, viewer, dossier, Shown(done=done if done in {"feedback", "withdraw"} else ""))


def _version(typed: dict[str, str]) -> int | None:
    value = typed.get("expected_version", "")
    return int(value) if value.isdigit() else None


def _refused(request: Request, viewer: Viewer, session: str, number: str, action: str) -> Refused:
    """The case page again after ``action`` was refused, the refusal above its form."""

    def again(shown: Shown) -> Response:
        dossier = viewer.caller.engine.dossier(number, session=session)
        return _case_page(request, viewer, dossier, replace(shown, failed=action))

    return again


@router.post("/cases/{session}/{number}/feedback")
async def feedback(request: Request, session: str, number: str) -> Response:
    """Give feedback on the answer; back to the case page, with the refusal if any."""
    viewer = require(request, ActorKind.DEPUTY)
    if isinstance(viewer, Response):
        return viewer
    engine = viewer.caller.engine
    engine.dossier(number, session=session)  # out of scope: not found, before the body is read
    outcome = await submit(
        request,
        viewer,
        lambda _form, typed: engine.feedback(
            number,
            rating=typed.get("rating", ""),
            attitude=typed.get("attitude") or None,
            result=typed.get("result") or None,
            comment=typed.get("comment", ""),
            session=session,
            expected_version=_version(typed),
        ),
        _refused(request, viewer, session, number, "feedback"),
        strip=True,
        too_large=False,
    )
    if isinstance(outcome, Response):
        return outcome
    return redirect(f"{case_url(session, number)}?done=feedback")


@router.post("/cases/{session}/{number}/withdraw")
async def withdraw(request: Request, session: str, number: str) -> Response:
    """Withdraw the suggestion (撤回) with the reason as the deputy writes it; the engine decides who may."""
    viewer = require(request, ActorKind.DEPUTY)
    if isinstance(viewer, Response):
        return viewer
    engine = viewer.caller.engine
    engine.dossier(number, session=session)  # out of scope: not found, before the body is read
    outcome = await submit(
        request,
        viewer,
        lambda _form, typed: engine.withdraw(
            number, reason=typed.get("reason", ""), session=session, expected_version=_version(typed)
        ),
        _refused(request, viewer, session, number, "withdraw"),
        strip=True,
        too_large=False,
    )
    if isinstance(outcome, Response):
        return outcome
    return redirect(f"{case_url(session, number)}?done=withdraw")


# ---- online submissions (网上提交) ------------------------------------------------------------------


def _new_page(request: Request, viewer: Viewer, shown: Shown = FRESH) -> Response:
    return page(request, "deputy/propose.html", shown.context(), status=shown.status, viewer=viewer)


@router.get("/submissions/new")
def new_submission(request: Request) -> Response:
    """提交建议: the form."""
    viewer = require(request, ActorKind.DEPUTY)
    if isinstance(viewer, Response):
        return viewer
    return _new_page(request, viewer)


@router.post("/submissions")
async def propose(request: Request) -> Response:
    """Submit a suggestion online as its lead deputy; to its page, or back to the form with the refusal."""
    viewer = require(request, ActorKind.DEPUTY)
    if isinstance(viewer, Response):
        return viewer
    outcome = await submit(
        request,
        viewer,
        lambda form, typed: viewer.caller.engine.propose(
            typed.get("title", ""),
            content=typed.get("content", ""),
            co_signers=co_signers(typed.get("co_signers", "")),
            field=typed.get("field") or None,
            between_sessions=typed.get("between_sessions") == "1",
            confidential=typed.get("confidential") == "1",
            attachments=attachments_of(form),
        ),
        lambda shown: _new_page(request, viewer, shown),
        strip=True,
    )
    if isinstance(outcome, Response):
        return outcome
    return redirect(f"{submission_url(outcome.result.id)}?done=propose")


def _submission(viewer: Viewer, submission_id: str) -> SubmissionView:
    if not submission_id.isdigit():
        raise NotFound(kind="page", name=submission_id)
    return viewer.caller.engine.submission(int(submission_id))


def _submission_page(
    request: Request, viewer: Viewer, found: SubmissionView, shown: Shown = FRESH
) -> Response:
    pending = found.status is SubmissionStatus.PENDING
    return page(
        request,
        "deputy/submission.html",
        {
            **shown.context(),
            "s": found,
            "pending": pending,
            "withdraw_form": pending or bool(shown.error),
            "done": {"propose": "已提交，等待代表工作机构受理。", "withdraw": "已撤回。"}.get(shown.done, ""),
            "case_url": case_url,
        },
        status=shown.status,
        viewer=viewer,
    )


@router.get("/submissions/{submission_id}")
def submission_page(request: Request, submission_id: str, done: str = "") -> Response:
    """One online submission: where it stands, what was submitted, what happened; withdrawn while pending."""
    viewer = require(request, ActorKind.DEPUTY)
    if isinstance(viewer, Response):
        return viewer
    return _submission_page(request, viewer, _submission(viewer, submission_id), Shown(done=done))


@router.post("/submissions/{submission_id}/withdraw")
async def withdraw_submission(request: Request, submission_id: str) -> Response:
    """Withdraw a pending submission (撤回); back to its page, with the refusal if any."""
    viewer = require(request, ActorKind.DEPUTY)
    if isinstance(viewer, Response):
        return viewer
    found = _submission(viewer, submission_id)  # another's: not found, before the body is read
    outcome = await submit(
        request,
        viewer,
        lambda _form, typed: viewer.caller.engine.withdraw_submission(
            found.id, reason=typed.get("reason", "")
        ),
        lambda shown: _submission_page(request, viewer, _submission(viewer, submission_id), shown),
        strip=True,
        too_large=False,
    )
    if isinstance(outcome, Response):
        return outcome
    return redirect(f"{submission_url(found.id)}?done=withdraw")
