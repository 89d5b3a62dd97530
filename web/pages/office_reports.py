"""The office's reports page: one report in the page, and the downloads of every report (html and pdf as the A4
document, the others as ``jianyi report --format``) and of the session's 台账.

The office's only, as every ``/office/…`` page (:func:`web.pages.office.office_only`).
"""

from __future__ import annotations

from urllib.parse import quote

from fastapi import APIRouter, Request, Response

from web.pages.base import page
from web.pages.office import office_only
from workflow.core.errors import NotFound

__all__ = ["FORMATS", "LEDGER_FORMATS", "REPORTS", "router"]

router = APIRouter(prefix="/office", include_in_schema=False)


# the reports shown in the page and offered for download, and their formats (as `jianyi report --format`)
REPORTS = {
    "summary": "办理情况汇总",
    "units": "承办单位办理情况",
    "conversion": "B类转化",
    "overdue": "逾期事项",
}
FORMATS = ("html", "pdf", "xlsx", "csv", "md", "json")
LEDGER_FORMATS = ("xlsx", "csv")
MEDIA = {
    "html": "text/html; charset=utf-8",
    "pdf": "application/pdf",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "csv": "text/csv; charset=utf-8",
    "md": "text/markdown; charset=utf-8",
    "json": "application/json",
}


@router.get("/reports")
def reports(request: Request, kind: str = "summary") -> Response:
    """One report in the page (summary by default) and the downloads of every report and the ledger."""
    viewer = office_only(request)
    if isinstance(viewer, Response):
        return viewer
    if kind not in REPORTS:
        raise NotFound(kind="report", name=kind)
    from workflow.reporting.measures import Scope
    from workflow.reporting.reports import build

    engine = viewer.caller.engine
    built = build(engine, kind, Scope(), now=viewer.now)
    return page(
        request,
        "office/reports.html",
        {
            "report": built,
            "kind": kind,
            "reports": REPORTS,
            "formats": FORMATS,
            "ledger_formats": LEDGER_FORMATS,
        },
        viewer=viewer,
    )


def _attachment(body: str | bytes, filename: str, fmt: str) -> Response:
    data = body.encode("utf-8") if isinstance(body, str) else body
    return Response(
        data,
        media_type=MEDIA[fmt],
        headers={"Content-Disposition": f"attachment; filename*=UTF-8''{quote(filename)}"},
    )


@router.get("/reports/{kind}.{fmt}")
def report_download(request: Request, kind: str, fmt: str) -> Response:
    """A report in ``fmt``: html and pdf as the A4 document, the others as ``jianyi report --format``."""
    viewer = office_only(request)
    if isinstance(viewer, Response):
        return viewer
    if kind not in REPORTS or fmt not in FORMATS:
        raise NotFound(kind="report", name=f"{kind}.{fmt}")
    from workflow.reporting.documents import DocumentSettings, report_document, to_pdf
    from workflow.reporting.formats import render
    from workflow.reporting.measures import Scope
    from workflow.reporting.reports import build

    engine = viewer.caller.engine
    built = build(engine, kind, Scope(), now=viewer.now)
    if fmt in ("html", "pdf"):
        document = report_document(engine, built, DocumentSettings(), now=viewer.now)
        body: str | bytes = to_pdf(document) if fmt == "pdf" else document
    else:
        body = render(built, fmt)
    return _attachment(body, f"{REPORTS[kind]}.{fmt}", fmt)


@router.get("/ledger.{fmt}")
def ledger_download(request: Request, fmt: str) -> Response:
    """The session's 台账 (``jianyi export ledger``): xlsx with 办理过程, or CSV."""
    viewer = office_only(request)
    if isinstance(viewer, Response):
        return viewer
    if fmt not in LEDGER_FORMATS:
        raise NotFound(kind="ledger", name=fmt)
    from workflow.ledger import export_ledger

    return _attachment(export_ledger(viewer.caller.engine, fmt), f"台账.{fmt}", fmt)
