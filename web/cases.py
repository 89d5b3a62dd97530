"""Reading cases: a page of the reader's cases, one case's dossier, one attachment's bytes; what waits for the
office's decision (``/api/pending/…``).

Every read goes through the engine acting for the signed-in account, so a case out of its scope is not found
(404), in the same words as a number that does not exist.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Response

from web.auth import Signed
from web.responses import SafeJSONResponse, download

__all__ = ["pending", "router"]

router = APIRouter(prefix="/api/cases", tags=["cases"])
pending = APIRouter(prefix="/api/pending", tags=["cases"])


@router.get("", summary="Find cases")
def list_cases(
    caller: Signed,
    state: str | None = None,
    unit: str | None = None,
    deputy: str | None = None,
    delegation: str | None = None,
    field: str | None = None,
    key: bool | None = None,
    between_sessions: bool | None = None,
    confidential: bool | None = None,
    text: str | None = None,
    overdue: bool = False,
    session: str | None = None,
    offset: Annotated[int, Query(ge=0)] = 0,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> SafeJSONResponse:
    """One page of the cases the signed-in account may see, by number, with how many match (every filter given
    must hold; ``text`` is any substring of the title or content)."""
    page = caller.engine.search(
        state=state,
        unit=unit,
        deputy=deputy,
        delegation=delegation,
        field=field,
        key=key,
        between_sessions=between_sessions,
        confidential=confidential,
        text=text,
        overdue=overdue,
        session=session,
        offset=offset,
        limit=limit,
    )
    # the engine's JSON as it is: no response model to validate it against and re-encode it, value by value
    return SafeJSONResponse(page.to_json())


@router.get("/{session}/{number}", summary="One case's dossier")
def dossier(caller: Signed, session: str, number: str) -> SafeJSONResponse:
    """Everything the case holds (the dossier, 案卷)."""
    return SafeJSONResponse(caller.engine.dossier(number, session=session).to_json())


@router.get(
    "/{session}/{number}/attachments/{name}",
    summary="One attachment's bytes",
    response_class=Response,
    responses={200: {"content": {"application/octet-stream": {}}}},
)
def attachment(caller: Signed, session: str, number: str, name: str) -> Response:
    """The file as it was attached, with its recorded media type, to be saved rather than shown."""
    info, data = caller.engine.attachment(number, name, session=session)
    return download(info.name, info.media_type, data)


@pending.get("/reviews", summary="Answers waiting for the office's review")
def pending_reviews(
    caller: Signed,
    unit: str | None = None,
    session: str | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 1000,
) -> list[dict[str, Any]]:
    """The answers held for the office's review (答复审核, rule set ``lifecycle.answer_review``), oldest first;
    the office's queue (403 for anyone else). Each: ``number``, ``session``, ``title``, ``unit``, ``category``,
    ``at`` (when the unit sent it) and ``answer_due``. Decide with ``approve_answer`` or ``return_answer``."""
    caller.engine.require_office("pending reviews")
    return [i.to_json() for i in caller.engine.pending_reviews(unit=unit, session=session, limit=limit)]


@pending.get("/extensions", summary="Extension requests waiting for a decision")
def pending_extensions(
    caller: Signed,
    unit: str | None = None,
    session: str | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 1000,
) -> list[dict[str, Any]]:
    """The extension requests (申请延期) waiting for the office's decision, oldest first; a unit sees its own.
    Each: ``number``, ``session``, ``title``, ``unit``, ``reason``, ``at`` and ``answer_due`` (the answer's last
    day as it stands)."""
    return [i.to_json() for i in caller.engine.pending_extensions(unit=unit, session=session, limit=limit)]
