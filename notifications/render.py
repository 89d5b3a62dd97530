"""Rendering notices from Jinja2 templates in a sandbox.

Templates are plain text (``NAME.txt.j2``) with an optional printable HTML twin (``NAME.html.j2``, e.g. the
督办函). A template names its subject with ``{% set subject = … %}``. Undefined variables are errors, not blanks
(StrictUndefined), templates cannot reach Python internals (ImmutableSandboxedEnvironment), HTML is escaped in
the HTML environment only, and a render is bounded while it runs: in time (:data:`MAX_SECONDS`, a trace
function that follows a template's own code line by line, about 0.08 ms a notice), in output
(:data:`MAX_OUTPUT`, stopped as it grows) and in what a repetition or a power may build (a filter's own C code,
``center(10**9)``, is not bounded). An override directory, when given, wins over the shipped templates file
by file.
"""

from __future__ import annotations

import re
import sys
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from types import FrameType
from typing import Any

from jinja2 import (
    ChoiceLoader,
    FileSystemLoader,
    PackageLoader,
    StrictUndefined,
    TemplateError,
    TemplateNotFound,
)
from jinja2.environment import Template, TemplateModule
from jinja2.exceptions import SecurityError
from jinja2.sandbox import ImmutableSandboxedEnvironment

from notifications.errors import TemplateProblem
from rules import KINDS
from rules.i18n import _

__all__ = [
    "MAX_OUTPUT",
    "SAMPLE",
    "SAMPLE_RECIPIENTS",
    "Rendered",
    "Renderer",
    "greeting_problem",
    "sample_contexts",
]

MAX_OUTPUT = (
    200_000  # characters a notice may have: the sandbox bounds what a template may reach, this how much
)
MAX_SECONDS = 2.0  # how long one notice may take to render (an override's nested loops would run for hours)

KIND_LABELS = {
    kind.value: info.label for kind, info in KINDS.items()
}  # the rule set's names of deadline kinds

DEFAULTS: dict[str, Any] = {  # what the dispatcher adds to a payload, for a context that lacks it
    "recipient_kind": "unit",
    "copy_for": None,
    "office": "代表工作机构",
    "portal_url": None,
    "category_label": "",
    "answer_unit": "",
    "answer_summary": "",
}

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
    "category_label": "所提问题正在解决或者列入规划逐步解决",
    "answer_unit": "市交通运输局",
    "answer_summary": "已将线路优化列入2026年公交线网调整计划，预计9月底前完成。",
    "portal_url": None,
    "recipient_kind": "unit",
    "copy_for": None,
    "year": 2026,
    "from_category": "B",
    "to_category": "A",
    "evidence": "线路调整已于2026年9月完成",
    "reason": "示例理由",
    "deputy": "张三",
    "submission": 7,
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


class _Runaway(Exception):
    """A template ran past :data:`MAX_SECONDS`."""


class _Sandbox(ImmutableSandboxedEnvironment):
    """The sandbox, refusing to build a text or list longer than a notice may be (``"x" * 100000000`` would take
    hundreds of megabytes before any output is measured) or a number with thousands of digits."""

    intercepted_binops = frozenset({"*", "**"})

    def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
        if operator == "*":
            for seq, times in ((left, right), (right, left)):
                if (
                    isinstance(seq, str | list | tuple)
                    and isinstance(times, int)
                    and len(seq) * times > MAX_OUTPUT
                ):
                    raise SecurityError(
                        _("a repetition longer than {limit:,} items").format(limit=MAX_OUTPUT)
                    )
        if operator == "**" and isinstance(right, int) and abs(right) > 1000:
            raise SecurityError(_("a power above 1000"))
        return super().call_binop(context, operator, left, right)


@contextmanager
def _time_limit(seconds: float) -> Iterator[None]:
    """Within the block (in this thread), Python code that runs past ``seconds`` raises :class:`_Runaway`; a
    template's loops are Python code, so a runaway one stops where it is."""
    deadline = time.monotonic() + seconds
    previous = sys.gettrace()

    def lines(frame: FrameType, event: str, arg: Any) -> Any:
        if time.monotonic() > deadline:
            raise _Runaway
        return lines

    def calls(frame: FrameType, event: str, arg: Any) -> Any:
        if time.monotonic() > deadline:
            raise _Runaway
        # only a template's own code is followed line by line (its loops); the rest is checked at each call
        return lines if frame.f_code.co_filename.endswith((".j2", "<template>")) else None

    sys.settrace(calls)
    try:
        yield
    finally:
        sys.settrace(previous)


def _bounded(pieces: Iterable[str], name: str) -> list[str]:
    """The rendered pieces, stopped as soon as they pass :data:`MAX_OUTPUT` characters."""
    kept, size = [], 0
    for piece in pieces:
        size += len(piece)
        if size > MAX_OUTPUT:
            raise TemplateProblem(
                template=name, detail=_("output longer than {limit:,} characters").format(limit=MAX_OUTPUT)
            )
        kept.append(piece)
    return kept


class Renderer:
    """Renders the shipped templates, or those of an override directory."""

    def __init__(self, override_dir: str | Path | None = None) -> None:
        loaders: list[Any] = [PackageLoader("notifications", "templates")]
        if override_dir is not None:
            loaders.insert(0, FileSystemLoader(str(override_dir)))
        loader = ChoiceLoader(loaders)
        self._text = _Sandbox(
            loader=loader, undefined=StrictUndefined, autoescape=False, keep_trailing_newline=False
        )
        self._html = _Sandbox(loader=loader, undefined=StrictUndefined, autoescape=True)

    def names(self) -> list[str]:
        """The notice templates available (shared partials, named ``_…``, aside)."""
        found = {n.split(".", 1)[0] for n in self._text.list_templates(extensions=["j2"])}
        return sorted(n for n in found if not n.startswith("_"))

    def render(self, name: str, context: dict[str, Any]) -> Rendered:
        """Render ``name`` with ``context`` (a plain dict); raises :class:`TemplateProblem` on any error."""
        values = {
            "kind_label": KIND_LABELS.get(str(context.get("kind")), ""),
            "today": date.today().isoformat(),
            **DEFAULTS,
            **context,
        }
        try:
            with _time_limit(MAX_SECONDS):
                template = self._text.get_template(f"{name}.txt.j2")
                module = self._module(template, values, name)
                text = str(module).strip() + "\n"
                subject = str(getattr(module, "subject", "")).strip()
                try:  # an HTML part is optional
                    page = self._html.get_template(f"{name}.html.j2")
                except TemplateNotFound as missing:
                    if missing.name != f"{name}.html.j2":  # a partial it includes is missing: a real problem
                        raise
                    html: str | None = None
                else:
                    html = str(self._module(page, values, name))
        except TemplateError as exc:
            raise TemplateProblem(template=name, detail=f"{type(exc).__name__}: {exc}") from None
        except RecursionError:
            detail = _("nested too deeply (does it include or extend itself?)")
            raise TemplateProblem(template=name, detail=detail) from None
        except _Runaway:
            detail = _("took longer than {limit:g} s to render (a loop too long?)").format(limit=MAX_SECONDS)
            raise TemplateProblem(template=name, detail=detail) from None
        except (
            ArithmeticError,
            LookupError,
            TypeError,
            ValueError,
            MemoryError,
        ) as exc:  # {{ 1 / 0 }} and kin
            raise TemplateProblem(template=name, detail=f"{type(exc).__name__}: {exc}") from None
        if not subject:
            raise TemplateProblem(
                template=name, detail=_("no subject: add {example}").format(example='{% set subject = "…" %}')
            )
        return Rendered(name, subject, text, html)

    @staticmethod
    def _module(template: Template, values: dict[str, Any], name: str) -> TemplateModule:
        """``template`` rendered as a module (its output and its ``subject``), its output bounded as it grows."""
        context = template.new_context(values)
        return TemplateModule(template, context, _bounded(template.root_render_func(context), name))

    def check(self, names: list[str] | None = None) -> list[TemplateProblem]:
        """Render every template (or ``names``) with sample data, for each kind of recipient it may go to (the
        office, a main unit, a co-unit, a main unit about its late co-unit, a deputy); the problems found: a
        render that fails (once per template), or a greeting that shows an address or an id instead of a name."""
        problems = []
        for name in names or self.names():
            for kind, values in sample_contexts(name):
                try:
                    rendered = self.render(name, values)
                except TemplateProblem as exc:
                    problems.append(exc)
                    break
                wrong = greeting_problem(rendered.text, values)
                if wrong:
                    problems.append(TemplateProblem(template=name, detail=f"for {kind}: {wrong}"))
        return problems


# who may receive each shipped notice (a ladder step's template, or an unknown one, may go to anyone)
_UNIT_ONLY = frozenset(
    {
        "assigned",
        "reassigned",
        "rehandle",
        "return_refused",
        "withdrawn",
        "daily_digest",
        "extension_approved",
        "extension_refused",
        "answer_returned",
    }
)
_OFFICE_ONLY = frozenset(
    {
        "return_requested",
        "unsatisfied_again",
        "public_notice",
        "talk_flag",
        "extension_requested",
        "answer_submitted",
    }
)
_DEPUTY_ONLY = frozenset(
    {
        "extended",
        "feedback_request",
        "conversion",
        "progress_letter",
        "submission_accepted",
        "submission_declined",
    }
)

SAMPLE_RECIPIENTS: dict[str, dict[str, Any]] = {
    "the office": {
        "recipient": "市人大常委会代表工作委员会",
        "recipient_kind": "office",
        "copy_for": "市交通运输局",
    },
    "a main unit": {"recipient": "市交通运输局", "recipient_kind": "unit", "role": "main"},
    "a co-unit": {
        "recipient": "市财政局",
        "recipient_kind": "unit",
        "role": "co",
        "unit": "市财政局",
        "kind": "co_opinion",
        "kind_label": "会办意见",
    },
    "a main unit about its late co-unit": {
        "recipient": "市交通运输局",
        "recipient_kind": "unit",
        "role": "main",
        "unit": "市财政局",
        "kind": "co_opinion",
        "kind_label": "会办意见",
        "copy_for": "市财政局",
    },
    "a deputy": {"recipient": "张三", "recipient_kind": "deputy"},
}


def sample_contexts(name: str) -> list[tuple[str, dict[str, Any]]]:
    """The sample contexts ``name`` is checked with: one per kind of recipient it may go to."""
    if name in _UNIT_ONLY:
        kinds = ["a main unit", "a co-unit"] if name in ("assigned", "reassigned") else ["a main unit"]
    elif name in _OFFICE_ONLY:
        kinds = ["the office"]
    elif name in _DEPUTY_ONLY:
        kinds = ["a deputy"]
    else:
        kinds = list(SAMPLE_RECIPIENTS)
    return [(kind, {**SAMPLE, **SAMPLE_RECIPIENTS[kind]}) for kind in kinds]


_ADDRESS = re.compile(r"@|://|\b(?:unit|deputy|office)\s*:\s*\d*|\bid\b|\d{5,}", re.IGNORECASE)


def greeting_problem(text: str, values: dict[str, Any]) -> str | None:
    """What is wrong with a notice's greeting (the first of its first three lines that ends with a colon, after a
    title such as 督办函): an address, a URL or an id where a name belongs, or a greeting that does not name its
    recipient; None when it reads right."""
    lines = [line.strip() for line in text.splitlines() if line.strip()][:3]
    first = next((line for line in lines if line.endswith(("：", ":")) and len(line) <= 60), None)
    if first is None:
        return None  # no greeting (a 通报 opens with its title and goes on)
    if _ADDRESS.search(first):
        return f"the greeting {first!r} shows an address or an id, not a name"
    name = str(values.get("recipient") or "")
    if values.get("recipient_kind") != "office" and name and name not in first:
        return f"the greeting {first!r} does not name the recipient ({name})"
    return None
