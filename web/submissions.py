"""Online submissions (网上提交) over HTTP: a deputy proposes and withdraws, the office lists, accepts (受理) and
declines (不予受理).

- ``POST /api/submissions`` — propose (a deputy as themself; the office names ``deputy``): 201 and the submission
- ``GET /api/submissions?status=pending`` — ``{"submissions": [...]}``: a deputy's own, all for the office, 403
  for a unit
- ``GET /api/submissions/{id}`` — one submission with its events (out of scope: 404)
- ``GET /api/submissions/{id}/attachments/{name}`` — one file's bytes
- ``POST /api/submissions/{id}/accept`` — ``{"number"?, "session"?, "at"?}``: ``{"submission", "change"}``
- ``POST /api/submissions/{id}/decline`` — ``{"reason", "at"?}``: the submission
- ``POST /api/submissions/{id}/withdraw`` — ``{"reason"?, "at"?}``: the submission

Each runs as the signed-in account through the engine acting for it, with the same sign-in and CSRF rules as
every other write.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Response
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from web.actions import File
from web.auth import Signed
from web.responses import download
from workflow.core.submissions import SubmissionStatus

__all__ = ["router"]

router = APIRouter(prefix="/api/submissions", tags=["submissions"])


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")

    at: AwareDatetime | None = Field(
        default=None, description="when it happened (ISO 8601 with offset); default now"
    )


class Proposal(_Body):
    """A suggestion submitted online."""

    title: str
    content: str = ""
    co_signers: list[str] = Field(default=[], description="co-signing deputies (联名/附议)")
    field: str | None = None
    between_sessions: bool = False
    confidential: bool = False
    attachments: list[File] = []
    deputy: str | None = Field(
        default=None, description="the lead deputy: the office's account names whom it proposes for"
    )


class Acceptance(_Body):
    """受理: the case number (default: the session's next) and session (default: the current one)."""

    number: str | None = None
    session: str | None = None


class Declining(_Body):
    """不予受理, with the reason the deputy reads (e.g. 转为来信处理)."""

    reason: str


class Withdrawal(_Body):
    """撤回 while pending."""

    reason: str = ""


@router.post("", status_code=201, summary="Submit a suggestion online")
def propose(caller: Signed, body: Proposal) -> dict[str, Any]:
    """Propose a suggestion as its lead deputy; it waits for the office (待受理)."""
    return caller.engine.propose(
        body.title,
        content=body.content,
        co_signers=body.co_signers,
        field=body.field,
        between_sessions=body.between_sessions,
        confidential=body.confidential,
        attachments=[f.attachment() for f in body.attachments],
        deputy=body.deputy,
        at=body.at,
    ).to_json()


@router.get("", summary="List online submissions")
def list_submissions(
    caller: Signed,
    status: SubmissionStatus | None = None,
    limit: Annotated[int | None, Query(ge=1, le=10_000)] = None,
) -> dict[str, Any]:
    """The signed-in deputy's submissions, or every one for the office, oldest first (``status``: only those)."""
    found = caller.engine.submissions(status=status, limit=limit)
    return {"submissions": [s.to_json() for s in found]}


@router.get("/{submission_id}", summary="One online submission")
def show(caller: Signed, submission_id: int) -> dict[str, Any]:
    """The submission with its status and events."""
    return caller.engine.submission(submission_id).to_json()


@router.get(
    "/{submission_id}/attachments/{name}",
    summary="One file of an online submission",
    response_class=Response,
    responses={200: {"content": {"application/octet-stream": {}}}},
)
def attachment(caller: Signed, submission_id: int, name: str) -> Response:
    """The file as it was proposed, with its media type, to be saved rather than shown."""
    info, data = caller.engine.submission_attachment(submission_id, name)
    return download(info.name, info.media_type, data)


@router.post("/{submission_id}/accept", summary="Accept (受理)")
def accept(caller: Signed, submission_id: int, body: Acceptance) -> dict[str, Any]:
    """Register the submission as a case (office only); the deputy is told the number."""
    change = caller.engine.accept_submission(
        submission_id, number=body.number, session=body.session, at=body.at
    )
    return {"submission": caller.engine.submission(submission_id).to_json(), "change": change.to_json()}


@router.post("/{submission_id}/decline", summary="Decline (不予受理)")
def decline(caller: Signed, submission_id: int, body: Declining) -> dict[str, Any]:
    """Decline the submission with its reason (office only); the deputy is told."""
    return caller.engine.decline_submission(submission_id, reason=body.reason, at=body.at).to_json()


@router.post("/{submission_id}/withdraw", summary="Withdraw (撤回)")
def withdraw(caller: Signed, submission_id: int, body: Withdrawal) -> dict[str, Any]:
    """Withdraw a pending submission (its deputy, or the office)."""
    return caller.engine.withdraw_submission(submission_id, reason=body.reason, at=body.at).to_json()
