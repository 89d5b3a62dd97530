"""Documents in the form of 公文 (GB/T 9704): the reports, the 交办函, the 答复函 form, the 督办函, the 征询意见表
and the yearly progress letter, as HTML from Jinja2 templates and as PDF.

The templates ship in ``document_templates/``; a folder of overrides (``[documents] templates`` in the config, or
``--templates``) is searched first, file by file, so an office can change one document and keep the rest. They
render in a sandbox with every value escaped, and an undefined name is an error, not a blank.

PDF is written by WeasyPrint (the ``pdf`` extra): paged media without a browser, ``@page`` margin boxes for the
page numbers, fonts found through fontconfig and embedded as subsets. Before rendering, fontconfig is asked for a
Chinese font; without one every character would be a box, so the document is refused with the package to
install.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, tzinfo
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

from jinja2 import ChoiceLoader, FileSystemLoader, PackageLoader, StrictUndefined, TemplateError
from jinja2.sandbox import ImmutableSandboxedEnvironment

from rules import RATING_LABELS, Rating
from rules.i18n import _
from workflow.core.errors import ValidationError, WorkflowError
from workflow.reporting.letters import promised_cases
from workflow.reporting.tables import Report, fmt_percent

if TYPE_CHECKING:
    from workflow.core.views import Case
    from workflow.engine import Engine

__all__ = [
    "DOCUMENTS",
    "DocumentError",
    "DocumentSettings",
    "answer_form",
    "assignment_sheet",
    "chinese_date",
    "feedback_form",
    "progress_letter",
    "report_document",
    "supervision_letter",
    "to_pdf",
]

DOCUMENTS = ("assignment-sheet", "answer-form", "supervision-letter", "feedback-form", "progress-letter")
FONT_PACKAGE = "fonts-noto-cjk"
_ROLES = {"main": "主办", "co": "会办", "split": "分办"}
_OWED = {"answer": "答复", "re_answer": "重新答复", "co_opinion": "会办意见", "promise": "承诺事项"}


class DocumentError(WorkflowError):
    """A document cannot be made: no Chinese font, no PDF engine, a template that does not render."""


@dataclass(frozen=True, slots=True)
class DocumentSettings:
    """The ``[documents]`` table of the config: who issues (发文机关), the letterhead (版头, the issuer when
    empty), the office's contact line, and a folder of template overrides."""

    issuer: str = ""
    letterhead: str = ""
    contact: str = ""
    templates: Path | None = None

    @classmethod
    def from_mapping(cls, conf: dict[str, Any], *, base: Path | None = None) -> DocumentSettings:
        """From the ``[documents]`` table; a relative ``templates`` folder is taken from ``base``."""
        unknown = sorted(set(conf) - {"issuer", "letterhead", "contact", "templates"})
        if unknown:
            raise ValidationError(
                _("unknown key(s) in [documents]: {names}").format(names=", ".join(unknown))
            )
        folder = None
        if conf.get("templates"):
            folder = Path(str(conf["templates"])).expanduser()
            if base is not None and not folder.is_absolute():
                folder = base / folder
        return cls(
            str(conf.get("issuer", "")),
            str(conf.get("letterhead", "")),
            str(conf.get("contact", "")),
            folder,
        )

    def with_templates(self, folder: Path | None) -> DocumentSettings:
        """The same settings with another override folder (None keeps this one)."""
        if folder is None:
            return self
        return DocumentSettings(self.issuer, self.letterhead, self.contact, folder)


@dataclass
class _Context:
    """What every document template is given besides its own values."""

    settings: DocumentSettings
    congress: str
    day: date
    values: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        issuer = self.settings.issuer or _default_issuer(self.congress)
        return {
            "issuer": issuer,
            "letterhead": self.settings.letterhead,
            "contact": self.settings.contact,
            "date": chinese_date(self.day),
            **self.values,
        }


def _default_issuer(congress: str) -> str:
    """Who signs when ``[documents] issuer`` is not set: the congress's 代表工作机构 (a congress created without
    a name has none to give)."""
    from workflow.store.congresses import DEFAULT_CONGRESS

    return "人大常委会代表工作机构" if congress == DEFAULT_CONGRESS else f"{congress}代表工作机构"


def chinese_date(day: date) -> str:
    """``2026年7月15日``: the 成文日期 as GB/T 9704 writes it (Arabic numerals, no leading zeros)."""
    return f"{day.year}年{day.month}月{day.day}日"


# ---- rendering ------------------------------------------------------------------------------------
def _environment(settings: DocumentSettings) -> ImmutableSandboxedEnvironment:
    loaders: list[Any] = [PackageLoader("workflow.reporting", "document_templates")]
    if settings.templates is not None:
        if not settings.templates.is_dir():
            raise ValidationError(
                _("the document templates folder {templates} does not exist").format(
                    templates=settings.templates
                )
            )
        loaders.insert(0, FileSystemLoader(str(settings.templates)))
    return ImmutableSandboxedEnvironment(
        loader=ChoiceLoader(loaders), undefined=StrictUndefined, autoescape=True, trim_blocks=True
    )


def _render(name: str, context: _Context) -> str:
    env = _environment(context.settings)
    try:
        return env.get_template(f"{name}.html.j2").render(context.as_dict())
    except TemplateError as exc:
        line = getattr(exc, "lineno", None)
        where = f" (line {line})" if line else ""
        raise DocumentError(
            _("document template {name}.html.j2 does not render{where}: {exc}").format(
                name=name, where=where, exc=exc
            )
        ) from None


def _today(engine: Engine, now: datetime | None) -> date:
    return (now or engine.clock.now()).astimezone(engine.active_ruleset().zone).date()


# ---- reports --------------------------------------------------------------------------------------
def _scope_name(engine: Engine, report: Report) -> str:
    """The scope in words, led by the sessions it covers when it names neither a session nor a term."""
    from workflow.store.sql import Raw

    scope = str(report.data.get("scope", report.scope))
    with engine.db.reading() as conn:
        sessions = Raw(conn).all(
            "SELECT name, term FROM sessions WHERE congress_id = :c ORDER BY id", {"c": engine.congress_id}
        )
    named = {str(n) for n, _ in sessions} | {str(t) for _, t in sessions if t}
    if any(n in scope.split("，") for n in named):
        return scope
    names = [str(n) for n, _ in sessions]
    if not names:
        lead = engine.congress
    elif len(names) <= 3:
        lead = "、".join(names)
    else:
        lead = f"{names[0]}至{names[-1]}共{len(names)}次会议"
    return lead if scope == "全部" else f"{lead}，{scope}"


def _chart(chart: dict[str, Any]) -> dict[str, Any]:
    """A bar chart for the template: widths in percent of the track, value texts, the marked labels."""
    bars = []
    for label, value in chart["bars"]:
        share = float(value) if value is not None else 0.0
        bars.append(
            {"label": str(label), "width": f"{max(0.0, min(share, 100.0)):.1f}", "text": fmt_percent(value)}
        )
    return {"title": chart["title"], "bars": bars, "note": chart.get("note", "")}


def report_document(
    engine: Engine, report: Report, settings: DocumentSettings, *, now: datetime | None = None
) -> str:
    """``report`` as an HTML document: the title, the 截至 date and the scope, the prose, the charts and the
    tables, then the issuing body and the date."""
    day = _today(engine, now)
    tables = [
        {
            "title": t.title,
            "headers": list(t.headers),
            "rows": [[_shown(v, t.headers[i], row[0]) for i, v in enumerate(row)] for row in t.rows],
            "numeric": [_is_numeric(t.rows, i) for i in range(len(t.headers))],
            "wide": len(t.headers) > 6,
            # a short first column (unit names) is kept on one line; a long one (session/number) wraps
            "keep_first": all(len(str(r[0])) <= 12 for r in t.rows),
        }
        for t in report.tables
    ]
    values = {
        "title": report.title,
        "as_of": chinese_date(day),
        "scope": _scope_name(engine, report),
        "paragraphs": report.paragraphs,
        "charts": [_chart(c) for c in report.charts if c["bars"]],
        "tables": tables,
    }
    return _render("report", _Context(settings, engine.congress, day, values))


def _shown(value: Any, header: str, label: Any) -> Any:
    """A cell as the document shows it: a rate with its % sign (a percent column, or a row naming a rate)."""
    if value is None:
        return "-"
    if isinstance(value, Decimal) and (header.endswith("%") or str(label).endswith("率")):
        return fmt_percent(value)
    return value


def _is_numeric(rows: Iterable[tuple[Any, ...]], i: int) -> bool:
    return all(isinstance(r[i], int | Decimal) or r[i] in (None, "-") for r in rows)


# ---- cases ----------------------------------------------------------------------------------------
def _case(engine: Engine, number: str, session: str | None) -> Case:
    return engine.get(number, session=session)


def _due(case: Case, kind: str, unit: str | None) -> str:
    """The last day of the case's latest ``kind`` deadline owed by ``unit``, as a Chinese date; "" when none."""
    found = [d for d in case.deadlines if d.kind == kind and (unit is None or d.unit == unit)]
    return chinese_date(found[-1].due) if found else ""


def _role(case: Case, unit: str) -> str:
    if case.main_unit == unit:
        return "main"
    return "split" if unit in case.split_units else "co"


def assignment_sheet(
    engine: Engine,
    settings: DocumentSettings,
    *,
    unit: str,
    session: str | None = None,
    numbers: Iterable[str] = (),
    now: datetime | None = None,
) -> str:
    """The 交办函 to ``unit``: the cases it handles now (or those of ``numbers``), each with its number, title,
    role (主办/会办/分办) and the last day of what it owes."""
    wanted = list(numbers)
    cases = (
        [_case(engine, n, session) for n in wanted]
        if wanted
        else [engine.get(c.number, session=c.session) for c in engine.list_cases(unit=unit, session=session)]
    )
    rows = []
    for case in cases:
        if unit not in (case.main_unit, *case.co_units, *case.split_units):
            raise ValidationError(
                _("建议 {session}/{number} is not assigned to {unit}").format(
                    session=case.session, number=case.number, unit=unit
                )
            )
        if case.state == "withdrawn":
            continue
        role = _role(case, unit)
        kind = "co_opinion" if role == "co" else "answer"
        rows.append(
            {
                "number": case.number,
                "title": case.title,
                "deputy": case.deputy,
                "role": _ROLES[role],
                "key": case.key,
                "others": "、".join(
                    u for u in (case.main_unit, *case.co_units, *case.split_units) if u and u != unit
                ),
                "due": _due(case, kind, unit) or _due(case, kind, None),
            }
        )
    if not rows:
        raise ValidationError(_("{unit} has no case to assign in this session").format(unit=unit))
    values = {
        "unit": unit,
        "session": cases[0].session,
        "cases": rows,
        "main": sum(1 for r in rows if r["role"] != "会办"),
        "co": sum(1 for r in rows if r["role"] == "会办"),
    }
    return _render("assignment_sheet", _Context(settings, engine.congress, _today(engine, now), values))


def answer_form(
    engine: Engine,
    settings: DocumentSettings,
    *,
    number: str,
    session: str | None = None,
    now: datetime | None = None,
) -> str:
    """The 答复函 form the main unit fills: the case's data printed, the class boxes (the rule set's classes),
    lines for the answer, the promises, the contact person and telephone, and the signature and seal area."""
    case = _case(engine, number, session)
    if case.main_unit is None and not case.split_units:
        raise ValidationError(
            _("建议 {session}/{number} is not assigned yet: it has no unit to answer").format(
                session=case.session, number=case.number
            )
        )
    rs = engine.active_ruleset()
    values = {
        "case": _case_values(case, rs.zone),
        "unit": case.main_unit or "、".join(case.split_units),
        "classes": [{"code": c, "label": label} for c, label in rs.classes.items()],
        "promise_classes": "、".join(rs.lifecycle.promise_classes),
        "due": _due(case, "re_answer", None) or _due(case, "answer", None),
    }
    return _render("answer_form", _Context(settings, engine.congress, _today(engine, now), values))


def _case_values(case: Case, zone: tzinfo) -> dict[str, Any]:
    return {
        "session": case.session,
        "number": case.number,
        "title": case.title,
        "deputy": case.deputy,
        "co_signers": "、".join(case.co_signers),
        "main_unit": case.main_unit or "",
        "co_units": "、".join(case.co_units),
        "split_units": "、".join(case.split_units),
        "category": case.category or "",
        "answered": chinese_date(case.answered_at.astimezone(zone).date()) if case.answered_at else "",
    }


def feedback_form(
    engine: Engine,
    settings: DocumentSettings,
    *,
    number: str,
    session: str | None = None,
    now: datetime | None = None,
) -> str:
    """The 征询意见表 the office sends the lead deputy for a "背靠背" evaluation: the case and its answer printed,
    boxes for 满意/基本满意/不满意 on the attitude and on the result, the contacts the deputy had, a space for
    specific opinions, the signature and the date to return it by."""
    case = _case(engine, number, session)
    if case.answered_at is None:
        raise ValidationError(
            _("建议 {session}/{number} has no answer yet: there is nothing to evaluate").format(
                session=case.session, number=case.number
            )
        )
    rs = engine.active_ruleset()
    values = {
        "case": _case_values(case, rs.zone),
        "class_label": rs.classes.get(case.category or "", ""),
        "ratings": [RATING_LABELS[r.value] for r in Rating],
        "due": _due(case, "feedback", None),
    }
    return _render("feedback_form", _Context(settings, engine.congress, _today(engine, now), values))


def supervision_letter(
    engine: Engine,
    settings: DocumentSettings,
    *,
    unit: str | None = None,
    number: str | None = None,
    session: str | None = None,
    now: datetime | None = None,
) -> str:
    """The 督办函 to each unit late with what it owes (one letter a unit, each on its own pages): of ``unit``
    across its cases, or of the units late on case ``number``. Refused when nothing is overdue."""
    from workflow.store.sql import Raw, as_date

    engine.require_office("supervision letter")
    moment = now or engine.clock.now()
    rs = engine.active_ruleset()
    today = moment.astimezone(rs.zone).date()
    where = [
        "d.status = 'open'",
        "d.due_at <= :now",
        "d.kind IN ('answer', 're_answer', 'co_opinion', 'promise')",
    ]
    params: dict[str, Any] = {"now": moment, "c": engine.congress_id}
    with engine.db.reading() as conn:
        if number is not None:
            params["sid"] = engine.get(number, session=session).id
            where.append("s.id = :sid")
        if unit is not None:
            params["u"] = engine.directory.unit_id(conn, unit)
            where.append("d.unit_id = :u")
        if number is None and session is not None:
            params["se"] = engine.directory.session_id(conn, session)
            where.append("s.session_id = :se")
        rows = Raw(conn).all(
            "SELECT u.name, se.name, s.number, s.title, d.kind, d.due FROM deadlines d "
            "JOIN suggestions s ON s.id = d.suggestion_id JOIN sessions se ON se.id = s.session_id "
            "JOIN units u ON u.id = d.unit_id "
            f"WHERE se.congress_id = :c AND {' AND '.join(where)} ORDER BY u.name, se.name, s.number, d.due_at",
            params,
        )
    if not rows:
        whom = unit or (f"建议 {number}" if number else "any unit")
        raise ValidationError(
            _("nothing is overdue for {whom} on {today}: no 督办函 to write").format(
                whom=whom, today=today.isoformat()
            )
        )
    letters: dict[str, list[dict[str, Any]]] = {}
    for name, session_name, case_number, title, kind, due in rows:
        day = as_date(due)
        letters.setdefault(name, []).append(
            {
                "session": session_name,
                "number": case_number,
                "title": title,
                "owed": _OWED[kind],
                "co": kind == "co_opinion",
                "due": chinese_date(day),
                "late": rs.work_calendar.working_days_between(day, today),
            }
        )
    values = {
        "letters": [
            {"unit": name, "items": items, "co_only": all(i["co"] for i in items)}
            for name, items in letters.items()
        ],
        "as_of": chinese_date(today),
    }
    return _render("supervision_letter", _Context(settings, engine.congress, today, values))


def progress_letter(
    engine: Engine,
    settings: DocumentSettings,
    *,
    deputy: str,
    year: int,
    now: datetime | None = None,
) -> str:
    """The yearly letter to ``deputy`` on the promises of their B answers: each case with the unit, its
    promised items (text, date, how far) and the latest progress the unit reported."""
    rs = engine.active_ruleset()
    promise = ", ".join(f"'{c}'" for c in rs.lifecycle.promise_classes) or "''"
    with engine.db.reading() as conn:
        deputy_id = engine.directory.deputy_id(conn, deputy)
    cases = promised_cases(
        engine,
        f"se.congress_id = :c AND s.lead_deputy_id = :d AND s.current_category IN ({promise}) "
        "AND s.state <> 'withdrawn'",
        {"c": engine.congress_id, "d": deputy_id},
    )
    if not cases:
        raise ValidationError(
            _("{deputy} has no {names} answer being worked on").format(
                deputy=deputy, names="/".join(rs.lifecycle.promise_classes)
            )
        )
    values = {
        "deputy": deputy,
        "year": year,
        "class_label": "、".join(f"{c}类（{rs.classes.get(c, '')}）" for c in rs.lifecycle.promise_classes),
        "cases": [
            {
                "session": c.session,
                "number": c.number,
                "title": c.title,
                "unit": c.unit,
                "promises": [
                    {
                        "text": p["text"],
                        "due": chinese_date(date.fromisoformat(p["due"])),
                        "status": p["status"],
                    }
                    for p in c.promises
                ],
                "note": c.note,
                "note_on": chinese_date(date.fromisoformat(c.note_on)) if c.note_on else "",
            }
            for c in cases
        ],
    }
    return _render("progress_letter", _Context(settings, engine.congress, _today(engine, now), values))


# ---- PDF ------------------------------------------------------------------------------------------
def chinese_fonts() -> list[str]:
    """The families fontconfig offers for Chinese (``fc-list :lang=zh family``); empty without fontconfig."""
    found = shutil.which("fc-list")
    if found is None:
        return []
    listed = subprocess.run(  # noqa: S603 (a fixed command, no shell, no user input)
        [found, ":lang=zh", "family"], capture_output=True, text=True, timeout=60, check=False
    )
    return sorted({line.split(",")[0].strip() for line in listed.stdout.splitlines() if line.strip()})


def to_pdf(html: str) -> bytes:
    """The HTML document as an A4 PDF with its fonts embedded; refused, with what to install, when WeasyPrint
    or a Chinese font is missing."""
    if not chinese_fonts():
        raise DocumentError(
            _(
                "no Chinese font installed: every character would print as a box; install one, e.g. `apt-get install {FONT_PACKAGE}` (Debian/Ubuntu), then try again"
            ).format(FONT_PACKAGE=FONT_PACKAGE)
        )
    try:
        from weasyprint import HTML
    except (ImportError, OSError) as exc:  # OSError: the package is there, pango is not
        raise DocumentError(
            _(
                "PDF needs WeasyPrint and pango: `pip install 'jianyi[pdf]'` and `apt-get install libpango-1.0-0 libpangoft2-1.0-0` ({name__}: {exc})"
            ).format(name__=exc.__class__.__name__, exc=exc)
        ) from None
    pdf = HTML(string=html).write_pdf()
    assert isinstance(pdf, bytes)
    return pdf
