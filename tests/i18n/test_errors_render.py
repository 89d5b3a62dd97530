"""Every error class builds its message in both languages from any context, without raising."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from hypothesis import given
from hypothesis import strategies as st

from commands.app import AuditBroken, SweepStale, TemplatesBroken
from notifications.errors import DeliveryError, TemplateProblem
from rules.errors import Problem, RuleSetInvalid
from workflow.core.errors import (
    BatchConflict,
    Conflict,
    NotAuthenticated,
    NotFound,
    NotInitialised,
    NumberTaken,
    PermissionDenied,
    TransitionNotAllowed,
    ValidationError,
)
from workflow.core.states import Action, State

text = st.text(max_size=30)
words = st.one_of(text, st.sampled_from([*State, *Action]).map(str))
number = st.integers(min_value=0, max_value=10**9)

BUILDERS: dict[str, st.SearchStrategy[Callable[[], Exception]]] = {
    "NotFound": st.builds(
        lambda kind, name, hint: lambda: NotFound(kind=kind, name=name, hint=hint),
        st.one_of(text, st.sampled_from(["unit", "deputy", "session", "建议"])),
        text,
        text,
    ),
    "TransitionNotAllowed": st.builds(
        lambda case, state, action, allowed, reason: (
            lambda: TransitionNotAllowed(
                case=case, state=state, action=action, allowed=allowed, reason=reason
            )
        ),
        text,
        words,
        words,
        st.lists(words, max_size=4),
        text,
    ),
    "PermissionDenied": st.builds(
        lambda case, actor, action, reason: (
            lambda: PermissionDenied(case=case, actor=actor, action=action, reason=reason)
        ),
        st.none() | text,
        text,
        words,
        text,
    ),
    "Conflict": st.builds(
        lambda case, expected, found: lambda: Conflict(case=case, expected=expected, found=found),
        text,
        number,
        st.none() | number,
    ),
    "BatchConflict": st.builds(
        lambda what, expected, found: lambda: BatchConflict(what=what, expected=expected, found=found),
        text,
        number,
        number,
    ),
    "ValidationError": st.builds(
        lambda message, case, problems, more: (
            lambda: ValidationError(message, case=case, problems=problems, more=more)
        ),
        text,
        st.none() | text,
        st.lists(text, max_size=120),
        number,
    ),
    "NumberTaken": st.builds(lambda message: lambda: NumberTaken(message), text),
    "NotInitialised": st.builds(
        lambda url, detail: lambda: NotInitialised(url=url, detail=detail), text, text
    ),
    "NotAuthenticated": st.just(NotAuthenticated),
    "RuleSetInvalid": st.builds(
        lambda source, problems: (
            lambda: RuleSetInvalid(source=source, problems=[Problem(p, m) for p, m in problems])
        ),
        text,
        st.lists(st.tuples(text, text), max_size=5),
    ),
    "TemplateProblem": st.builds(
        lambda template, detail: lambda: TemplateProblem(template=template, detail=detail), text, text
    ),
    "DeliveryError": st.builds(
        lambda message, retryable: lambda: DeliveryError(message, retryable=retryable), text, st.booleans()
    ),
    "AuditBroken": st.builds(
        lambda cases, anchor, directory: lambda: AuditBroken(cases=cases, anchor=anchor, directory=directory),
        number,
        st.booleans(),
        number,
    ),
    "SweepStale": st.builds(
        lambda minutes, age: lambda: SweepStale(minutes=minutes, age=age),
        st.floats(min_value=1, max_value=1e6),
        st.none() | text,
    ),
    "TemplatesBroken": st.builds(lambda templates: lambda: TemplatesBroken(templates=templates), number),
}


@pytest.mark.parametrize("name", sorted(BUILDERS))
def test_each_error_renders_in_both_languages(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Chinese and English messages are built from random context values, never raising."""

    @given(BUILDERS[name])
    def check(build: Callable[[], Exception]) -> None:
        for lang in ("zh", "en"):
            monkeypatch.setenv("JIANYI_LANG", lang)
            assert isinstance(str(build()), str)

    check()
