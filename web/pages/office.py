"""The office's pages (代表工作机构/联工委): the dashboard, the case list and case page with the office's forms,
and assigning many at once; the decisions queue (:mod:`web.pages.office_decisions`), reports
(:mod:`web.pages.office_reports`), users and the audit and outbox checks (:mod:`web.pages.office_admin`) have
modules of their own, on the helpers this one gives them (:func:`office_only`, :func:`form_text`).

Every page is the office's only: a unit or a deputy opening ``/office/…`` is answered 404, as for a page that
does not exist. The engine decides every action (the office's engine, ``Engine.acting``); a refusal is shown as
one line above the form, with what was typed kept. Figures come from the engine's queries and the reporting
package's measures; nothing here reads the database.
"""

from __future__ import annotations

import re
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Request, Response
from starlette.datastructures import FormData, UploadFile

from rules.errors import RuleError
from rules.i18n import _
from web.pages.base import Viewer, page, redirect, require
from web.pages.forms import FRESH, Shown, submit
from workflow import AssignOrder, Engine
from workflow.core.dossier import Dossier
from workflow.core.errors import NotFound, ValidationError, WorkflowError
from workflow.core.states import STATE_LABELS, ActorKind, State
from workflow.core.views import DueItem

__all__ = ["FORMS", "OfficeForm", "case_url", "form_text", "list_url", "office_only", "router", "split_units"]

router = APIRouter(prefix="/office", include_in_schema=False)

PAGE_SIZE = 50
WEEK = timedelta(days=7)
DUE_KINDS = {
    "co_opinion": "会办意见",
    "answer": "答复",
    "re_answer": "重新办理后答复",
    "promise": "承诺事项进展",
    "feedback": "代表反馈",
}


def office_only(request: Request) -> Viewer | Response:
    """The office's viewer, or the 404 a unit, a deputy or the public is answered with."""
    return require(request, ActorKind.OFFICE)


def form_text(form: FormData, name: str) -> str:
    """The form's field ``name`` stripped, or "" when it is missing or a file."""
    value = form.get(name)
    return value.strip() if isinstance(value, str) else ""


def split_units(text: str) -> list[str]:
    """Unit names separated by 、 , ， ; ； or line breaks (as the batch file's cells are)."""
    return [n.strip() for n in re.split(r"[、,，;；\n]", text) if n.strip()]


def _version(form: FormData) -> int | None:
    value = form_text(form, "expected_version")
    return int(value) if value.isdigit() else None


def case_url(session: str, number: str) -> str:
    """The office's page of a case."""
    return f"/office/cases/{quote(session, safe='')}/{quote(number, safe='')}"


def list_url(**filters: Any) -> str:
    """The case list filtered by ``filters`` (None or empty ones left out)."""
    kept = {k: v for k, v in filters.items() if v not in (None, "", False)}
    return "/office/cases" + (f"?{urlencode(kept)}" if kept else "")


# ---- the dashboard --------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class UnitRow:
    """One unit's line on the dashboard: cases it handles as main (or split) unit, answered, overdue now."""

    unit: str
    total: int
    answered: int
    overdue: int


def _current_session(engine: Engine) -> str | None:
    return next((s.name for s in engine.sessions() if s.current), None)


def _due_this_week(engine: Engine, session: str | None, *, unit: str | None = None) -> list[DueItem]:
    """The obligations due within :data:`WEEK` and not yet overdue: the rows of the list ``due=week`` and
    the dashboard's count of them, one for each obligation (a case may owe two)."""
    coming = engine.due(within=WEEK, unit=unit, session=session, limit=100_000)
    return [d for d in coming if not d.overdue]


@router.get("")
def dashboard(request: Request) -> Response:
    """Counts by state, overdue, due this week, per unit and per field; each links to the cases it counts."""
    viewer = office_only(request)
    if isinstance(viewer, Response):
        return viewer
    from workflow.reporting.measures import Scope, measure_units

    engine = viewer.caller.engine
    session = _current_session(engine)
    tally = engine.tally() if session else {}
    states: dict[str, int] = {}
    fields: dict[str, int] = {}
    for (state, field), count in tally.items():
        states[state] = states.get(state, 0) + count
        fields[field or ""] = fields.get(field or "", 0) + count
    order = [s.value for s in State]
    by_state = [(s, states[s]) for s in order if s in states]
    overdue = engine.search(overdue=True, limit=0).total if session else 0
    week = len(_due_this_week(engine, session)) if session else 0
    units = [
        UnitRow(
            u.unit,
            u.measures.total,
            u.measures.answered,
            engine.search(unit=u.unit, overdue=True, limit=0).total,
        )
        for u in (measure_units(engine, Scope(session=session)) if session else [])
        if u.measures.total
    ]
    pending = {
        "returns": len(engine.pending_returns()),
        "extensions": len(engine.pending_extensions()),
        "submissions": len(engine.submissions(status="pending")),
        "reviews": len(engine.pending_reviews()),
    }
    return page(
        request,
        "office/dashboard.html",
        {
            "session": session,
            "total": sum(states.values()),
            "by_state": by_state,
            "by_field": sorted(fields.items(), key=lambda kv: (-kv[1], kv[0])),
            "overdue": overdue,
            "week": week,
            "units": units,
            "pending": pending,
            "list_url": list_url,
        },
        viewer=viewer,
    )


# ---- the case list --------------------------------------------------------------------------------------
@router.get("/cases")
def cases(
    request: Request,
    q: str = "",
    state: str = "",
    unit: str = "",
    field: str = "",
    overdue: str = "",
    key: str = "",
    due: str = "",
    page_no: int = 1,
) -> Response:
    """The session's cases, searchable (title and content) and filtered, 50 a page; ``due=week``: the
    obligations due within 7 days instead."""
    viewer = office_only(request)
    if isinstance(viewer, Response):
        return viewer
    engine = viewer.caller.engine
    filters = {
        "q": q,
        "state": state,
        "unit": unit,
        "field": field,
        "overdue": overdue,
        "key": key,
        "due": due,
    }
    error = ""
    found = None
    due_rows: list[Any] = []
    page_no = max(1, page_no)
    try:
        if due == "week":
            due_rows = _due_this_week(engine, _current_session(engine), unit=unit or None)
        else:
            found = engine.search(
                text=q or None,
                state=state or None,
                unit=unit or None,
                field=field or None,
                overdue=bool(overdue),
                key=True if key else None,
                offset=(page_no - 1) * PAGE_SIZE,
                limit=PAGE_SIZE,
            )
    except (WorkflowError, RuleError) as exc:
        error = str(exc)
    rows = list(found.cases) if found else []
    total = found.total if found else 0
    pages = max(1, -(-total // PAGE_SIZE))
    return page(
        request,
        "office/cases.html",
        {
            "f": filters,
            "rows": rows,
            "total": total,
            "page_no": page_no,
            "pages": pages,
            "due_rows": due_rows,
            "error": error,
            "states": [(s.value, STATE_LABELS.get(s.value, s.value)) for s in State],
            "units": [u.name for u in engine.units()],
            "kinds": DUE_KINDS,
            "case_url": case_url,
            "page_url": lambda n: list_url(**filters, page_no=n),
        },
        status=422 if error else 200,
        viewer=viewer,
    )


# ---- the case page and its forms -----------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class OfficeForm:
    """An action the office takes from a case page: its name in the URL, its heading, its template, when it is
    offered, and how the form's fields run it."""

    action: str
    label: str
    template: str
    offered: Callable[[Dossier], bool]
    run: Callable[[Engine, Dossier, FormData], object]


def _assign(engine: Engine, d: Dossier, form: FormData) -> object:
    return engine.assign(
        d.case.number,
        main=form_text(form, "main") or None,
        co=split_units(form_text(form, "co")),
        split=split_units(form_text(form, "split")),
        key=bool(form.get("key")),
        complex=bool(form.get("complex")),
        session=d.case.session,
        expected_version=_version(form),
    )


def _reassign(engine: Engine, d: Dossier, form: FormData) -> object:
    return engine.reassign(
        d.case.number,
        main=form_text(form, "main") or None,
        co=split_units(form_text(form, "co")),
        split=split_units(form_text(form, "split")),
        reason=form_text(form, "reason"),
        session=d.case.session,
        expected_version=_version(form),
    )


def _refuse_return(engine: Engine, d: Dossier, form: FormData) -> object:
    return engine.refuse_return(
        d.case.number,
        reason=form_text(form, "reason"),
        unit=form_text(form, "unit") or None,
        session=d.case.session,
        expected_version=_version(form),
    )


def _approve_extension(engine: Engine, d: Dossier, form: FormData) -> object:
    return engine.approve_extension(
        d.case.number,
        reason=form_text(form, "reason"),
        session=d.case.session,
        expected_version=_version(form),
    )


def _refuse_extension(engine: Engine, d: Dossier, form: FormData) -> object:
    return engine.refuse_extension(
        d.case.number,
        reason=form_text(form, "reason"),
        session=d.case.session,
        expected_version=_version(form),
    )


def _approve_answer(engine: Engine, d: Dossier, form: FormData) -> object:
    return engine.approve_answer(
        d.case.number,
        unit=form_text(form, "unit") or None,
        note=form_text(form, "note"),
        session=d.case.session,
        expected_version=_version(form),
    )


def _return_answer(engine: Engine, d: Dossier, form: FormData) -> object:
    return engine.return_answer(
        d.case.number,
        unit=form_text(form, "unit") or None,
        reason=form_text(form, "reason"),
        session=d.case.session,
        expected_version=_version(form),
    )


def _review_waiting(d: Dossier) -> bool:
    return any(r.status == "pending" for r in d.reviews)


def _extension_asked(d: Dossier) -> bool:
    return any(r.status == "pending" for r in d.extension_requests)


def _pending(d: Dossier) -> bool:
    return any(r.status == "pending" for r in d.returns)


# the forms of the office's case page, in the order they are shown
FORMS: tuple[OfficeForm, ...] = (
    OfficeForm("assign", "交办", "office/forms/assign.html", lambda d: "assign" in d.case.allowed, _assign),
    OfficeForm(
        "reassign",
        "同意退办并重新交办",
        "office/forms/reassign.html",
        lambda d: "reassign" in d.case.allowed and _pending(d),
        _reassign,
    ),
    OfficeForm(
        "refuse_return",
        "不同意退办",
        "office/forms/refuse_return.html",
        lambda d: "refuse_return" in d.case.allowed and _pending(d),
        _refuse_return,
    ),
    OfficeForm(
        "approve_extension",
        "同意延期",
        "office/forms/approve_extension.html",
        lambda d: "extend" in d.case.allowed and _extension_asked(d),
        _approve_extension,
    ),
    OfficeForm(
        "refuse_extension",
        "不同意延期",
        "office/forms/refuse_extension.html",
        lambda d: "refuse_extension" in d.case.allowed and _extension_asked(d),
        _refuse_extension,
    ),
    OfficeForm(
        "approve_answer",
        "审核通过",
        "office/forms/approve_answer.html",
        lambda d: "approve_answer" in d.case.allowed and _review_waiting(d),
        _approve_answer,
    ),
    OfficeForm(
        "return_answer",
        "审核退回",
        "office/forms/return_answer.html",
        lambda d: "return_answer" in d.case.allowed and _review_waiting(d),
        _return_answer,
    ),
    OfficeForm(
        "reassign_any",
        "重新交办",
        "office/forms/reassign.html",
        lambda d: "reassign" in d.case.allowed and not _pending(d),
        _reassign,
    ),
)
_BY_ACTION = {f.action: f for f in FORMS}
DONE = {f.action: f"已{f.label}。" for f in FORMS}


def _case_page(request: Request, viewer: Viewer, dossier: Dossier, shown: Shown = FRESH) -> Response:
    offered = [f for f in FORMS if f.offered(dossier)]
    if shown.failed and shown.failed not in {f.action for f in offered}:
        offered.append(_BY_ACTION[shown.failed])
    case = dossier.case
    engine = viewer.caller.engine
    return page(
        request,
        "office/case.html",
        {
            **shown.context(),
            "d": dossier,
            "case": case,
            "forms": offered,
            "done": DONE.get(shown.done, ""),
            "pending": [r for r in dossier.returns if r.status == "pending"],
            "asked": [r for r in dossier.extension_requests if r.status == "pending"],
            "held": [r for r in dossier.reviews if r.status == "pending"],
            "units": [u.name for u in engine.units()],
            "case_path": case_url(case.session, case.number),
            "history": engine.history(case.number, session=case.session),
        },
        status=shown.status,
        viewer=viewer,
    )


@router.get("/cases/{session}/{number}")
def case_page(request: Request, session: str, number: str, done: str = "") -> Response:
    """The dossier and the office's forms allowed now."""
    viewer = office_only(request)
    if isinstance(viewer, Response):
        return viewer
    dossier = viewer.caller.engine.dossier(number, session=session)
    return _case_page(request, viewer, dossier, Shown(done=done))


@router.post("/cases/{session}/{number}/{action}")
async def act(request: Request, session: str, number: str, action: str) -> Response:
    """Run one of :data:`FORMS`; back to the case page, with the refusal if any."""
    viewer = office_only(request)
    if isinstance(viewer, Response):
        return viewer
    chosen = _BY_ACTION.get(action)
    if chosen is None:
        raise NotFound(kind="page", name=request.url.path)
    engine = viewer.caller.engine
    dossier = engine.dossier(number, session=session)

    def again(shown: Shown) -> Response:
        return _case_page(
            request, viewer, engine.dossier(number, session=session), replace(shown, failed=action)
        )

    outcome = await submit(request, viewer, lambda form, _typed: chosen.run(engine, dossier, form), again)
    if isinstance(outcome, Response):
        return outcome
    form = outcome.form
    if form_text(form, "back") == "decisions":  # decided from the decisions queue: back to it
        return redirect(f"/office/decisions?done={action}")
    return redirect(f"{case_url(session, number)}?done={action}")


# ---- assigning many ------------------------------------------------------------------------------------
def parse_orders(text: str) -> list[AssignOrder]:
    """交办 lines, one case a line: ``编号 主办单位 [会办单位、会办单位]`` (spaces or tabs between)."""
    orders = []
    for n, line in enumerate((ln.strip() for ln in text.splitlines()), start=1):
        if not line:
            continue
        parts = line.split()
        if len(parts) < 2:
            raise ValidationError(
                _("line {n} “{line}”: write “number main-unit co-units (optional)” a line").format(
                    n=n, line=line
                )
            )
        orders.append(AssignOrder(parts[0], main=parts[1], co=tuple(split_units(" ".join(parts[2:])))))
    if not orders:
        raise ValidationError(
            _(
                "no suggestions to assign: write “number main-unit co-units (optional)” a line, or upload the sheet"
            )
        )
    return orders


def _orders_of_file(upload: UploadFile) -> tuple[list[AssignOrder], tuple[str, ...]]:
    from workflow.ledger import read_orders

    suffix = Path(upload.filename or "").suffix.lower()
    if suffix not in (".csv", ".xlsx"):
        raise ValidationError(
            _("the assignment sheet “{filename}” is not a CSV or Excel (.xlsx) file").format(
                filename=upload.filename
            )
        )
    with tempfile.TemporaryDirectory(prefix="jianyi-assign-") as folder:
        path = Path(folder) / f"orders{suffix}"
        path.write_bytes(upload.file.read())
        sheet = read_orders(path)
    return list(sheet.orders), tuple(sheet.ignored)


def _assign_page(request: Request, viewer: Viewer, shown: Shown = FRESH) -> Response:
    context = shown.context() | {"typed": shown.typed.get("orders", "").strip()}  # the orders as typed
    return page(request, "office/assign.html", context, status=shown.status, viewer=viewer)


@router.get("/assign")
def assign_form(request: Request, done: str = "") -> Response:
    """Assign many (交办会): numbers with their units typed in, or the batch file uploaded."""
    viewer = office_only(request)
    if isinstance(viewer, Response):
        return viewer
    return _assign_page(request, viewer, Shown(done=f"已交办 {done} 件建议。" if done.isdigit() else ""))


@router.post("/assign")
async def assign_many(request: Request) -> Response:
    """All or nothing: any order refused, nothing assigned, every refusal named."""
    viewer = office_only(request)
    if isinstance(viewer, Response):
        return viewer

    def orders(form: FormData) -> list[AssignOrder]:
        upload = form.get("file")
        if isinstance(upload, UploadFile) and upload.filename:
            return _orders_of_file(upload)[0]
        return parse_orders(form_text(form, "orders"))

    outcome = await submit(
        request,
        viewer,
        lambda form, _typed: viewer.caller.engine.assign_many(orders(form)),
        lambda shown: _assign_page(request, viewer, shown),
    )
    if isinstance(outcome, Response):
        return outcome
    return redirect(f"/office/assign?done={len(outcome.result)}")
