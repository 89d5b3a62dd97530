"""The handling unit's pages (承办单位): the 待办 inbox and the case page with the forms the unit may use now.

The inbox lists what the unit owes — a co-unit's opinion, the answer, the re-answer after 重新办理, each
promised item of a B answer — from the engine's open deadlines, most urgent first, with days left or overdue and
the 重点督办 flag. The case page shows the dossier and, below it, a form for each action :data:`FORMS` offers
now: the machine must allow the action in the case's state (``Case.allowed``) and the unit must hold the part
that acts (a co-unit sends an opinion, the main or a split unit answers). The engine still decides: a refusal
is shown as one line above the form, with what was typed kept.

The main unit asks for the extended answer period (申请延期) while the period is not extended and no request of
its own waits; the case page shows each request with where it stands (待审批, 已同意, 未同意 with the office's
reason). The inbox lists the obligations most urgent first, :data:`INBOX_LIMIT` a page, with counts of them all.

The unit signs for a case (签收) from the case page or from the inbox row of a case it has not signed for yet,
where the machine allows it. Under a rule set with 答复审核 (``lifecycle.answer_review``) an answer waits for the
office's review: the case page says 答复待审核, or 答复已退回 with the office's reason and the answer form again.

To add an action: a :class:`UnitForm` in :data:`FORMS` and its template under ``templates/unit/forms/``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date, timedelta
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Query, Request, Response
from starlette.datastructures import FormData

from rules import RuleSet
from rules.i18n import _
from web.pages.base import Viewer, attachments_of, page, redirect, require
from web.pages.forms import FRESH, Shown, submit
from workflow.core.dossier import Dossier
from workflow.core.errors import NotFound, ValidationError
from workflow.core.states import ActorKind
from workflow.core.views import Change, OwedPage
from workflow.engine import Engine, Promised

__all__ = [
    "EXTENSION_LABELS",
    "FORMS",
    "INBOX_LIMIT",
    "Inbox",
    "Owed",
    "UnitForm",
    "inbox",
    "parse_promises",
    "router",
]

router = APIRouter(prefix="/unit", include_in_schema=False)

# the deadlines a unit owes, as the inbox names them
OWED_KINDS = {
    "co_opinion": "会办意见",
    "answer": "答复",
    "re_answer": "重新办理后答复",
    "promise": "承诺事项进展",
}
INBOX_LIMIT = 200  # the inbox lists this many a page, the most urgent first; the counts cover them all
# where an extension request (申请延期) stands, in the offices' words
EXTENSION_LABELS = {"pending": "待审批", "approved": "已同意", "refused": "未同意", "lapsed": "已失效"}


@dataclass(frozen=True, slots=True)
class Owed:
    """One thing the unit owes on a case: what, by when, and how urgent."""

    number: str
    session: str
    title: str
    kind: str
    due: date
    days_left: int  # negative: overdue by that many days
    overdue: bool
    key: bool
    provisional: bool


SOON = 7  # the inbox counts what falls due within this many days (not overdue)


@dataclass(frozen=True, slots=True)
class Inbox:
    """One page of the inbox: its rows, the most urgent first, and the counts of all the unit owes (all,
    overdue, due within :data:`SOON` days, on 重点督办 cases); ``page_no`` of ``pages``."""

    rows: list[Owed]
    counts: dict[str, int]
    page_no: int
    pages: int


def inbox(viewer: Viewer, page_no: int = 1) -> Inbox:
    """What the viewer's unit owes, the most urgent first: by due date, 重点督办 first on the same day, then
    session, number and kind; the page ``page_no`` of :data:`INBOX_LIMIT` rows (past the last: the last). The
    engine orders, pages and counts them (:meth:`~workflow.reads.Reads.owed`): only the page's rows are read."""
    engine = viewer.caller.engine
    today = viewer.today
    soon = today + timedelta(days=SOON)

    def read(number: int) -> OwedPage:
        offset = (number - 1) * INBOX_LIMIT
        return engine.owed(OWED_KINDS, soon=soon, now=viewer.now, offset=offset, limit=INBOX_LIMIT)

    page_no = max(1, page_no)
    found = read(page_no)
    pages = max(1, -(-found.total // INBOX_LIMIT))
    if page_no > pages:
        page_no = pages
        found = read(page_no)
    rows = [
        Owed(
            number=d.number,
            session=d.session,
            title=d.title,
            kind=d.kind,
            due=d.due,
            days_left=(d.due - today).days if not d.overdue else -max(1, (today - d.due).days),
            overdue=d.overdue,
            key=d.key,
            provisional=d.provisional,
        )
        for d in found.items
    ]
    counts = {"all": found.total, "overdue": found.overdue, "week": found.soon, "key": found.key}
    return Inbox(rows, counts, page_no, pages)


def _ruleset(engine: Engine, dossier: Dossier) -> RuleSet:
    pinned = dossier.case.ruleset
    if pinned and "@" in pinned:
        rule_id, _sep, version = pinned.rpartition("@")
        return engine.ruleset(rule_id, int(version))
    return engine.active_ruleset()


@dataclass(frozen=True, slots=True)
class Context:
    """What decides whether a form is offered: the dossier, the unit, its current parts, the rule set."""

    dossier: Dossier
    unit: str
    roles: frozenset[str]
    ruleset: RuleSet
    viewer: Viewer

    @property
    def allowed(self) -> tuple[str, ...]:
        return self.dossier.case.allowed

    def received(self) -> bool:
        """The unit has signed for its current part (签收)."""
        return all(
            a.received_at is not None
            for a in self.dossier.assignments
            if a.unit == self.unit and a.until is None
        )

    def review_waiting(self) -> bool:
        """The unit's answer waits for the office's review (答复审核)."""
        return any(r.unit == self.unit and r.status == "pending" for r in self.dossier.reviews)

    def answered_this_round(self) -> bool:
        case = self.dossier.case
        return any(a.unit == self.unit and a.round == case.round for a in self.dossier.answers)

    def promised(self) -> bool:
        """The case's class now is a promise class (B) and this unit answered it."""
        case = self.dossier.case
        return case.current_category in self.ruleset.lifecycle.promise_classes and any(
            a.unit == self.unit for a in self.dossier.answers
        )


@dataclass(frozen=True, slots=True)
class UnitForm:
    """An action the unit takes from its case page: its name in the URL, its heading, its template, when it
    is offered, and how the form's fields run it."""

    action: str
    label: str
    template: str
    offered: Callable[[Context], bool]
    run: Callable[[Engine, Context, FormData], Change]


def _text(form: FormData, name: str) -> str:
    value = form.get(name)
    return value.strip() if isinstance(value, str) else ""


def _version(form: FormData) -> int | None:
    value = _text(form, "expected_version")
    return int(value) if value.isdigit() else None


def _common(ctx: Context, form: FormData) -> dict[str, Any]:
    return {"session": ctx.dossier.case.session, "expected_version": _version(form)}


def parse_promises(text: str) -> list[Promised]:
    """承诺事项, one a line: ``YYYY-MM-DD 事项``."""
    items = []
    for n, line in enumerate((ln.strip() for ln in text.splitlines()), start=1):
        if not line:
            continue
        day, _sep, what = line.partition(" ")
        try:
            due = date.fromisoformat(day.strip())
        except ValueError:
            raise ValidationError(
                _(
                    "promised item line {n} “{line}” cannot be read: write “date item” a line, "
                    "e.g. “2026-12-31 完成线路调整”"
                ).format(n=n, line=line)
            ) from None
        if not what.strip():
            raise ValidationError(
                _("promised item line {n} has only a date: write what is promised").format(n=n)
            )
        items.append(Promised(what.strip(), due))
    return items


def _opinion(engine: Engine, ctx: Context, form: FormData) -> Change:
    return engine.opinion(
        ctx.dossier.case.number,
        text=_text(form, "text"),
        attachments=attachments_of(form),
        **_common(ctx, form),
    )


def _contact(engine: Engine, ctx: Context, form: FormData) -> Change:
    return engine.contact(
        ctx.dossier.case.number,
        method=_text(form, "method"),
        note=_text(form, "note"),
        stage=_text(form, "stage") or None,
        **_common(ctx, form),
    )


def _answer(engine: Engine, ctx: Context, form: FormData) -> Change:
    return engine.answer(
        ctx.dossier.case.number,
        category=_text(form, "category"),
        text=_text(form, "text"),
        promises=parse_promises(_text(form, "promises")),
        attachments=attachments_of(form),
        **_common(ctx, form),
    )


def _receive(engine: Engine, ctx: Context, form: FormData) -> Change:
    return engine.receive(ctx.dossier.case.number, **_common(ctx, form))


def _request_return(engine: Engine, ctx: Context, form: FormData) -> Change:
    return engine.request_return(ctx.dossier.case.number, reason=_text(form, "reason"), **_common(ctx, form))


def _progress(engine: Engine, ctx: Context, form: FormData) -> Change:
    return engine.progress(ctx.dossier.case.number, note=_text(form, "note"), **_common(ctx, form))


def _convert(engine: Engine, ctx: Context, form: FormData) -> Change:
    return engine.convert(
        ctx.dossier.case.number,
        to=_text(form, "to"),
        evidence=_text(form, "evidence"),
        attachments=attachments_of(form),
        **_common(ctx, form),
    )


def _request_extension(engine: Engine, ctx: Context, form: FormData) -> Change:
    return engine.request_extension(
        ctx.dossier.case.number, reason=_text(form, "reason"), unit=ctx.unit, **_common(ctx, form)
    )


def _may_request_extension(ctx: Context) -> bool:
    """The main unit, the period not extended yet and no request waiting (the engine judges the dates)."""
    return (
        "request_extension" in ctx.allowed
        and "main" in ctx.roles
        and not ctx.dossier.case.extended
        and not any(e.status == "pending" for e in ctx.dossier.extension_requests)
    )


def _return_window_open(ctx: Context) -> bool:
    return any(
        d.kind == "return_window" and d.unit == ctx.unit and d.status == "open" and ctx.viewer.now < d.due_at
        for d in ctx.dossier.case.deadlines
    ) and not any(r.unit == ctx.unit and r.status == "pending" for r in ctx.dossier.returns)


HANDLERS = frozenset({"main", "split"})

# the forms of the unit's case page, in the order they are shown
FORMS: tuple[UnitForm, ...] = (
    UnitForm(
        "receive",
        "签收",
        "unit/forms/receive.html",
        lambda c: "receive" in c.allowed and bool(c.roles) and not c.received(),
        _receive,
    ),
    UnitForm(
        "opinion",
        "发送会办意见",
        "unit/forms/opinion.html",
        lambda c: (
            "opinion" in c.allowed
            and "co" in c.roles
            and not any(o.unit == c.unit and o.round == c.dossier.case.round for o in c.dossier.opinions)
        ),
        _opinion,
    ),
    UnitForm(
        "answer",
        "答复代表",
        "unit/forms/answer.html",
        lambda c: (
            "answer" in c.allowed
            and bool(c.roles & HANDLERS)
            and not c.answered_this_round()
            and not c.review_waiting()
        ),
        _answer,
    ),
    UnitForm(
        "contact",
        "记录联系沟通",
        "unit/forms/contact.html",
        lambda c: "contact" in c.allowed and bool(c.roles),
        _contact,
    ),
    UnitForm(
        "progress",
        "报告承诺事项进展",
        "unit/forms/progress.html",
        lambda c: "progress" in c.allowed and c.promised(),
        _progress,
    ),
    UnitForm(
        "convert",
        "记录类别转化",
        "unit/forms/convert.html",
        lambda c: "convert" in c.allowed and c.promised(),
        _convert,
    ),
    UnitForm(
        "request_return",
        "申请退办",
        "unit/forms/request_return.html",
        lambda c: "return" in c.allowed and bool(c.roles) and _return_window_open(c),
        _request_return,
    ),
    UnitForm(
        "request_extension",
        "申请延期",
        "unit/forms/request_extension.html",
        _may_request_extension,
        _request_extension,
    ),
)
_BY_ACTION = {f.action: f for f in FORMS}


def _context(viewer: Viewer, number: str, session: str) -> Context:
    engine = viewer.caller.engine
    dossier = engine.dossier(number, session=session)
    roles = frozenset(a.role for a in dossier.assignments if a.unit == viewer.name and a.until is None)
    return Context(dossier, viewer.name, roles, _ruleset(engine, dossier), viewer)


def case_url(session: str, number: str) -> str:
    """The unit's page of a case."""
    return f"/unit/cases/{quote(session, safe='')}/{quote(number, safe='')}"


def _case_page(request: Request, viewer: Viewer, ctx: Context, shown: Shown = FRESH) -> Response:
    offered = [f for f in FORMS if f.offered(ctx)]
    if shown.failed and shown.failed not in {f.action for f in offered}:
        offered.append(_BY_ACTION[shown.failed])  # the form that failed stays, with the refusal above it
    return page(
        request,
        "unit/case.html",
        {
            **shown.context(),
            "d": ctx.dossier,
            "case": ctx.dossier.case,
            "forms": offered,
            "done": ACTION_DONE.get(shown.done, ""),
            "classes": ctx.ruleset.classes,
            "promise_classes": ctx.ruleset.lifecycle.promise_classes,
            "conversion_classes": ctx.ruleset.lifecycle.conversion_classes,
            "roles": sorted(ctx.roles),
            "extension_labels": EXTENSION_LABELS,
            "review": _review_state(ctx),
            "case_path": case_url(ctx.dossier.case.session, ctx.dossier.case.number),
            "history": viewer.caller.engine.history(
                ctx.dossier.case.number, session=ctx.dossier.case.session
            ),
        },
        status=shown.status,
        viewer=viewer,
    )


def _review_state(ctx: Context) -> Any:
    """The unit's latest answer held for review in this round, when it waits or was returned (None else)."""
    mine = [r for r in ctx.dossier.reviews if r.unit == ctx.unit and r.round == ctx.dossier.case.round]
    return mine[-1] if mine and mine[-1].status in ("pending", "returned") else None


ACTION_DONE = {f.action: f"已{f.label}。" for f in FORMS} | {
    "submit_answer": "答复已提交，待代表工作机构审核。"
}


@router.get("")
def inbox_page(request: Request, done: str = "", page_no: int = Query(1, alias="page")) -> Response:
    """待办: what the unit owes, most urgent first, :data:`INBOX_LIMIT` a page (``?page=N``; past the last:
    the last), with counts of all of it."""
    viewer = require(request, ActorKind.UNIT)
    if isinstance(viewer, Response):
        return viewer
    shown = inbox(viewer, page_no)
    return page(
        request,
        "unit/inbox.html",
        {
            "unreceived": viewer.caller.engine.unreceived(),
            "waiting": {(r.session, r.number) for r in viewer.caller.engine.pending_reviews()},
            "done": ACTION_DONE.get(done, ""),
            "rows": shown.rows,
            "counts": shown.counts,
            "limit": INBOX_LIMIT,
            "page_no": shown.page_no,
            "pages": shown.pages,
            "kinds": OWED_KINDS,
            "case_url": case_url,
        },
        viewer=viewer,
    )


@router.get("/cases/{session}/{number}")
def case_page(request: Request, session: str, number: str, done: str = "") -> Response:
    """The case's dossier and the forms the unit may use now."""
    viewer = require(request, ActorKind.UNIT)
    if isinstance(viewer, Response):
        return viewer
    return _case_page(request, viewer, _context(viewer, number, session), Shown(done=done))


@router.post("/cases/{session}/{number}/{action}")
async def act(request: Request, session: str, number: str, action: str) -> Response:
    """Run one of :data:`FORMS` with the form's fields; back to the case page, with the refusal if any."""
    viewer = require(request, ActorKind.UNIT)
    if isinstance(viewer, Response):
        return viewer
    chosen = _BY_ACTION.get(action)
    if chosen is None:
        raise NotFound(kind="page", name=request.url.path)
    ctx = _context(viewer, number, session)  # out of scope: not found, before the body is read

    def again(shown: Shown) -> Response:
        return _case_page(request, viewer, _context(viewer, number, session), replace(shown, failed=action))

    outcome = await submit(
        request, viewer, lambda form, _typed: chosen.run(viewer.caller.engine, ctx, form), again
    )
    if isinstance(outcome, Response):
        return outcome
    change, form = outcome.result, outcome.form
    done = change.events[0].action if change.events and change.events[0].action == "submit_answer" else action
    if _text(form, "back") == "inbox":  # 签收 from the inbox row: back to the inbox
        return redirect(f"/unit?done={done}")
    return redirect(f"{case_url(session, number)}?done={done}")
