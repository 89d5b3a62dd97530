"""Rendering notices from Jinja2 templates in a sandbox.

Templates are plain text (``NAME.txt.j2``) with an optional printable HTML twin (``NAME.html.j2``, e.g. the
督办函). A template names its subject with ``{% set subject = … %}``. Undefined variables are errors, not blanks
(StrictUndefined), templates cannot reach Python internals (ImmutableSandboxedEnvironment), HTML is escaped in
the HTML environment only, and output is capped in size. An override directory, when given, wins over the
shipped templates file by file.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from jinja2 import (
    ChoiceLoader,
    FileSystemLoader,
    PackageLoader,
    StrictUndefined,
    TemplateError,
    TemplateNotFound,
)
from jinja2.sandbox import ImmutableSandboxedEnvironment

from notifications.errors import TemplateProblem
from rules import KINDS

__all__ = ["MAX_OUTPUT", "SAMPLE", "Rendered", "Renderer"]

MAX_OUTPUT = 200_000  # characters: the sandbox bounds what a template may reach, not how much it may write

KIND_LABELS = {
    kind.value: info.label for kind, info in KINDS.items()
}  # the rule set's names of deadline kinds

SAMPLE: dict[str, Any] = {
    "number": "0001",
    "session": "市十七届人大六次会议",
    "title": "关于优化公交线路的建议",
    "unit": "市交通运输局",
    "recipient": "市交通运输局",
    "role": "main",
    "answer_due": "2026-05-11",
    "feedback_due": "2026-04-28",
    "category": "B",
    "year": 2026,
    "from_category": "B",
    "to_category": "A",
    "evidence": "线路调整已于2026年9月完成",
    "reason": "示例理由",
    "round": 2,
    "due": "2026-05-11",
    "kind": "answer",
    "kind_label": "答复",
    "working_days_left": 3,
    "working_days_late": 5,
    "office": "市人大常委会代表工作委员会",
    "today": "2026-05-18",
    "items": [
        {
            "session": "市十七届人大六次会议",
            "number": "0001",
            "title": "关于优化公交线路的建议",
            "kind_label": "答复",
            "due": "2026-05-11",
            "overdue": True,
            "unit": "市交通运输局",
            "promises": [{"text": "完成线路调整", "due": "2026-12-31", "status": "正在落实"}],
            "note": "已完成线路论证",
            "note_on": "2026-10-15",
        },
    ],
}


@dataclass(frozen=True, slots=True)
class Rendered:
    """A rendered notice."""

    template: str
    subject: str
    text: str
    html: str | None = None


class Renderer:
    """Renders the shipped templates, or those of an override directory."""

    def __init__(self, override_dir: str | Path | None = None) -> None:
        loaders: list[Any] = [PackageLoader("notifications", "templates")]
        if override_dir is not None:
            loaders.insert(0, FileSystemLoader(str(override_dir)))
        loader = ChoiceLoader(loaders)
        self._text = ImmutableSandboxedEnvironment(
            loader=loader, undefined=StrictUndefined, autoescape=False, keep_trailing_newline=False
        )
        self._html = ImmutableSandboxedEnvironment(loader=loader, undefined=StrictUndefined, autoescape=True)

    def names(self) -> list[str]:
        """The notice templates available (shared partials, named ``_…``, aside)."""
        found = {n.split(".", 1)[0] for n in self._text.list_templates(extensions=["j2"])}
        return sorted(n for n in found if not n.startswith("_"))

    def render(self, name: str, context: dict[str, Any]) -> Rendered:
        """Render ``name`` with ``context`` (a plain dict); raises :class:`TemplateProblem` on any error."""
        values = {
            "kind_label": KIND_LABELS.get(str(context.get("kind")), ""),
            "today": date.today().isoformat(),
            **context,
        }
        try:
            template = self._text.get_template(f"{name}.txt.j2")
            module = template.make_module(values)
            text = str(module).strip() + "\n"
            subject = str(getattr(module, "subject", "")).strip()
            try:  # an HTML part is optional
                html: str | None = self._html.get_template(f"{name}.html.j2").render(values)
            except TemplateNotFound as missing:
                if missing.name != f"{name}.html.j2":  # a partial it includes is missing: a real problem
                    raise
                html = None
        except TemplateError as exc:
            raise TemplateProblem(template=name, detail=f"{type(exc).__name__}: {exc}") from None
        except RecursionError:
            detail = "nested too deeply (does it include or extend itself?)"
            raise TemplateProblem(template=name, detail=detail) from None
        if not subject:
            raise TemplateProblem(template=name, detail='no subject: add {% set subject = "…" %}')
        if len(text) > MAX_OUTPUT or (html is not None and len(html) > MAX_OUTPUT):
            raise TemplateProblem(template=name, detail=f"output longer than {MAX_OUTPUT:,} characters")
        return Rendered(name, subject, text, html)

    def check(self, names: list[str] | None = None) -> list[TemplateProblem]:
        """Render every template (or ``names``) with sample data; the problems found."""
        problems = []
        for name in names or self.names():
            try:
                self.render(name, SAMPLE)
            except TemplateProblem as exc:
                problems.append(exc)
        return problems
