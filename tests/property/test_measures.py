"""The measures counted by groups of alike cases agree with the plain count, one condition per measure."""

from __future__ import annotations

from datetime import timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from workflow.core.states import State
from workflow.core.views import Actor
from workflow.engine import Engine, Promised
from workflow.reporting.measures import Scope, measure, measure_units
from workflow.testing import DEFAULT_SESSION, DEFAULT_UNITS, FrozenClock, make_case, make_engine

STATES = st.sampled_from(
    [State.ASSIGNED, State.CO_HANDLED, State.ANSWERED, State.CLOSED, State.RE_HANDLED, State.WITHDRAWN]
)
CASES = st.lists(
    st.tuples(
        STATES,
        st.sampled_from("ABC"),
        st.sampled_from(DEFAULT_UNITS[:3]),
        st.sampled_from([None, "visit", "phone"]),  # a contact before the answer
        st.sampled_from([1, 9, 40]),  # days between the case's actions: some answers come late
        st.booleans(),  # split between two units instead of a main unit
    ),
    min_size=1,
    max_size=8,
)


def _answer(engine: Engine, number: str, category: str, unit: str) -> None:
    promises = []
    if category in engine.active_ruleset().lifecycle.promise_classes:  # a promise class says what, by when
        promises.append(Promised("列入计划组织实施", engine.clock.now().date() + timedelta(days=365)))
    engine.answer(number, category=category, text="答复", actor=Actor.unit(unit), promises=promises)


def _build(
    engine: Engine, clock: FrozenClock, cases: list[tuple[State, str, str, str | None, int, bool]]
) -> None:
    for i, (state, category, main, contact, days, split) in enumerate(cases):
        number = f"{i + 1:04d}"
        step = timedelta(days=days)
        if split:  # split units answer their own parts, each with its own class
            engine.submit(number, title=f"测试建议 {number}", deputy="张三")
            clock.advance(days=days)
            engine.assign(number, split=[main, DEFAULT_UNITS[3]])
            if state not in (State.ASSIGNED, State.WITHDRAWN):
                clock.advance(days=days)
                _answer(engine, number, category, main)
            continue
        co = () if state is State.ASSIGNED else (DEFAULT_UNITS[3],)
        if contact is not None and state not in (State.ASSIGNED, State.CO_HANDLED, State.WITHDRAWN):
            make_case(engine, number, state=State.CO_HANDLED, clock=clock, main=main, co=co, step=step)
            engine.contact(number, method=contact, actor=Actor.unit(main))
            clock.advance(days=days)
            _answer(engine, number, category, main)
            if state in (State.CLOSED, State.RE_HANDLED):
                rating, comment = (
                    ("satisfied", "") if state is State.CLOSED else ("unsatisfied", "问题未解决")
                )
                engine.feedback(number, rating=rating, comment=comment, actor=Actor.deputy("张三"))
            continue
        make_case(engine, number, state=state, clock=clock, main=main, co=co, category=category, step=step)


def _same(engine: Engine, scope: Scope, later: int) -> None:
    now = engine.clock.now() + timedelta(days=later)
    # the reprs: the same counts, and the classes and ratings listed in the same order
    grouped, plain = measure(engine, scope, now=now), measure(engine, scope, now=now, plain=True)
    assert repr(grouped) == repr(plain)
    units = measure_units(engine, scope, now=now)
    assert repr(units) == repr(measure_units(engine, scope, now=now, plain=True))


@settings(max_examples=20, deadline=None)
@given(cases=CASES, later=st.sampled_from([0, 100, 400]))
def test_grouped_measures_agree_with_the_plain_count(
    cases: list[tuple[State, str, str, str | None, int, bool]], later: int
) -> None:
    """Whatever the cases, the grouped pass gives every figure the per-condition count gives, in any scope."""
    clock = FrozenClock("2026-03-02T09:00:00+08:00")
    with make_engine(clock=clock) as engine:
        engine.add_session("另一次会议")  # so that a session's scope names its session
        _build(engine, clock, cases)
        for scope in (Scope(), Scope(session=DEFAULT_SESSION), Scope(unit=DEFAULT_UNITS[0])):
            _same(engine, scope, later)
