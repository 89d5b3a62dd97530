"""Random valid and invalid actions by random actors: the engine's invariants hold after every step."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager, ExitStack
from datetime import date
from typing import Any

import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule, run_state_machine_as_test
from sqlalchemy import func, select

from workflow.core.errors import NotFound, WorkflowError
from workflow.core.views import Actor
from workflow.engine import Engine, Promised
from workflow.store.models import (
    Answer,
    Assignment,
    AuditEvent,
    Contact,
    Deadline,
    Deputy,
    Feedback,
    Outbox,
    Suggestion,
    SuggestionSigner,
    Unit,
    UnitCase,
    table,
)
from workflow.store.scope import PUBLISHED
from workflow.testing import DEFAULT_DEPUTIES, DEFAULT_UNITS, FrozenClock

NUMBERS = ("0001", "0002")
ACTORS = st.one_of(  # the office most often, so that cases get far along their lifecycle
    st.just(Actor.office()),
    st.just(Actor.office()),
    st.just(Actor.office()),
    st.sampled_from(DEFAULT_UNITS).map(Actor.unit),
    st.sampled_from(DEFAULT_DEPUTIES).map(Actor.deputy),
)
UNITS = st.sampled_from(DEFAULT_UNITS)
# runs of up to 40 steps; fewer on PostgreSQL, where each run's database is created and dropped on the server
EXAMPLES = {"sqlite-file": 50, "postgresql": 15}


class EngineMachine(RuleBasedStateMachine):
    """Drives one engine, on a fresh database of its own, with arbitrary actions."""

    def __init__(self, fresh_engine: Callable[[FrozenClock], AbstractContextManager[Engine]]) -> None:
        super().__init__()
        self.fresh_engine = fresh_engine
        self.resources = ExitStack()

    @initialize()
    def open_engine(self) -> None:
        self.clock = FrozenClock("2026-03-02T09:00:00+08:00")
        self.engine = self.resources.enter_context(self.fresh_engine(self.clock))
        self.versions: dict[str, int] = {}
        self.refused = 0

    def teardown(self) -> None:
        self.resources.close()

    def _snapshot(self) -> tuple[Any, ...]:
        cases = tuple(self.engine.list_cases())
        with self.engine.db.engine.connect() as conn:
            counts = tuple(
                conn.execute(select(func.count()).select_from(table(m))).scalar_one()
                for m in (AuditEvent, Deadline, Outbox)
            )
        return cases, counts

    def _do(self, number: str, call: Any) -> None:
        self.clock.advance(hours=7)
        before = self._snapshot()
        try:
            call()
        except WorkflowError:
            self.refused += 1
            assert self._snapshot() == before, "a refused action changed the database"
            return
        version = self.engine.get(number).version
        assert version > self.versions.get(number, 0), "version did not increase"
        self.versions[number] = version

    @rule(number=st.sampled_from(NUMBERS), deputy=st.sampled_from(DEFAULT_DEPUTIES), actor=ACTORS)
    def submit(self, number: str, deputy: str, actor: Actor) -> None:
        self._do(
            number, lambda: self.engine.submit(number, title="建议" + number, deputy=deputy, actor=actor)
        )

    @rule(number=st.sampled_from(NUMBERS), confidential=st.booleans())
    def amend_confidential(self, number: str, confidential: bool) -> None:
        self._do(number, lambda: self.engine.amend(number, reason="更正", confidential=confidential))

    @rule(number=st.sampled_from(NUMBERS), main=UNITS, co=st.lists(UNITS, max_size=1), actor=ACTORS)
    def assign(self, number: str, main: str, co: list[str], actor: Actor) -> None:
        self._do(number, lambda: self.engine.assign(number, main=main, co=co, actor=actor))

    @rule(number=st.sampled_from(NUMBERS), split=st.lists(UNITS, min_size=2, max_size=2, unique=True))
    def assign_split(self, number: str, split: list[str]) -> None:
        self._do(number, lambda: self.engine.assign(number, split=split))

    @rule(number=st.sampled_from(NUMBERS), unit=UNITS, actor=ACTORS)
    def opinion(self, number: str, unit: str, actor: Actor) -> None:
        self._do(number, lambda: self.engine.opinion(number, unit=unit, text="意见", actor=actor))

    @rule(
        number=st.sampled_from(NUMBERS),
        unit=st.none() | UNITS,
        category=st.sampled_from("ABCDE"),
        promise=st.booleans(),
        actor=ACTORS,
    )
    def answer(self, number: str, unit: str | None, category: str, promise: bool, actor: Actor) -> None:
        promises = [Promised("承诺", date(2027, 6, 30))] if promise else []
        self._do(
            number,
            lambda: self.engine.answer(
                number, unit=unit, category=category, text="答复", promises=promises, actor=actor
            ),
        )

    @rule(number=st.sampled_from(NUMBERS), unit=UNITS)
    def answer_without_opinion(self, number: str, unit: str) -> None:
        self._do(
            number,
            lambda: self.engine.answer(number, category="A", text="答复", without_opinion={unit: "逾期"}),
        )

    @rule(
        number=st.sampled_from(NUMBERS),
        rating=st.sampled_from(["satisfied", "basic", "unsatisfied"]),
        comment=st.sampled_from(["", "不满意的理由"]),
        actor=ACTORS,
    )
    def feedback(self, number: str, rating: str, comment: str, actor: Actor) -> None:
        self._do(number, lambda: self.engine.feedback(number, rating=rating, comment=comment, actor=actor))

    @rule(number=st.sampled_from(NUMBERS), unit=st.none() | UNITS, actor=ACTORS)
    def receive(self, number: str, unit: str | None, actor: Actor) -> None:
        self._do(number, lambda: self.engine.receive(number, unit=unit, actor=actor))

    @rule(number=st.sampled_from(NUMBERS), unit=UNITS, actor=ACTORS)
    def request_return(self, number: str, unit: str, actor: Actor) -> None:
        self._do(
            number, lambda: self.engine.request_return(number, unit=unit, reason="非本单位职责", actor=actor)
        )

    @rule(number=st.sampled_from(NUMBERS), main=UNITS, actor=ACTORS)
    def reassign(self, number: str, main: str, actor: Actor) -> None:
        self._do(number, lambda: self.engine.reassign(number, main=main, actor=actor))

    @rule(number=st.sampled_from(NUMBERS), actor=ACTORS)
    def refuse_return(self, number: str, actor: Actor) -> None:
        self._do(number, lambda: self.engine.refuse_return(number, reason="继续办理", actor=actor))

    @rule(number=st.sampled_from(NUMBERS), unit=st.one_of(st.none(), UNITS), actor=ACTORS)
    def request_extension(self, number: str, unit: str | None, actor: Actor) -> None:
        self._do(
            number, lambda: self.engine.request_extension(number, unit=unit, reason="情况复杂", actor=actor)
        )

    @rule(number=st.sampled_from(NUMBERS), approve=st.booleans(), actor=ACTORS)
    def decide_extension(self, number: str, approve: bool, actor: Actor) -> None:
        if approve:
            self._do(number, lambda: self.engine.approve_extension(number, actor=actor))
        else:
            self._do(number, lambda: self.engine.refuse_extension(number, reason="可按期办结", actor=actor))

    @rule(
        number=st.sampled_from(NUMBERS),
        unit=UNITS,
        method=st.sampled_from(["visit", "phone", "fax"]),
        actor=ACTORS,
    )
    def contact(self, number: str, unit: str, method: str, actor: Actor) -> None:
        self._do(number, lambda: self.engine.contact(number, unit=unit, method=method, actor=actor))

    @rule(
        number=st.sampled_from(NUMBERS),
        action=st.sampled_from(["rehandle", "close", "withdraw", "extend"]),
        actor=ACTORS,
    )
    def office_action(self, number: str, action: str, actor: Actor) -> None:
        self._do(number, lambda: getattr(self.engine, action)(number, reason="理由", actor=actor))

    @rule(number=st.sampled_from(NUMBERS), rating=st.sampled_from(["satisfied", "basic", "unsatisfied"]))
    def advance(self, number: str, rating: str) -> None:
        """The office takes the case one step further along its usual path (reaching deep states often)."""
        try:
            case = self.engine.get(number)
        except WorkflowError:
            self._do(
                number, lambda: self.engine.submit(number, title="建议" + number, deputy=DEFAULT_DEPUTIES[0])
            )
            return
        steps = {
            "submitted": lambda: self.engine.assign(number, main=DEFAULT_UNITS[0], co=[DEFAULT_UNITS[1]]),
            "assigned": lambda: self.engine.opinion(
                number, unit=(case.co_units or DEFAULT_UNITS[1:2])[0], text="意见"
            ),
            "co_handled": lambda: self.engine.answer(
                number, category="B", text="答复", promises=[Promised("承诺", date(2027, 6, 30))]
            ),
            "re_handled": lambda: self.engine.answer(number, category="A", text="再次答复"),
            "answered": lambda: self.engine.feedback(number, rating=rating, comment="意见"),
        }
        step = steps.get(case.state)
        if step is not None:
            self._do(number, step)

    @rule(number=st.sampled_from(NUMBERS), rating=st.sampled_from(["unsatisfied", "basic"]))
    def advance_more(self, number: str, rating: str) -> None:
        """The same, weighted towards re-handling, so that second rounds are common too."""
        self.advance(number, rating)

    @invariant()
    def state_is_the_replay_of_the_audit_trail(self) -> None:
        if not hasattr(self, "engine"):
            return
        for case in self.engine.list_cases():
            events = self.engine.history(case.number)
            replay = None
            for event in events:
                assert event.from_state == replay, f"{case.number}: event #{event.seq} does not follow"
                replay = event.to_state
            assert replay == case.state
            assert [e.seq for e in events] == list(range(1, len(events) + 1))
            assert sum(1 for d in case.deadlines if d.status == "open" and d.kind == "answer") <= (
                1 if case.main_unit else 2
            )

    @invariant()
    def an_extension_request_waits_only_on_a_case_in_handling(self) -> None:
        """At most one request waits per case, only while the case is handled and not yet extended, and only
        from a unit that is its main unit now."""
        if not hasattr(self, "engine"):
            return
        waiting = self.engine.pending_extensions()
        assert len({p.number for p in waiting}) == len(waiting)
        for p in waiting:
            case = self.engine.get(p.number)
            assert (case.state in ("assigned", "co_handled"), case.extended, case.main_unit) == (
                True,
                False,
                p.unit,
            )

    @invariant()
    def tallies_follow_the_tables(self) -> None:
        """Each case's tallies (first answer, latest rating, contact level, first-round timeliness, main unit,
        earliest open first-round answer) are what its answers, feedback, contacts, deadlines and assignments
        say, whichever action came last."""
        if not hasattr(self, "engine"):
            return
        with self.engine.db.engine.connect() as conn:
            for case in conn.execute(select(table(Suggestion))).mappings():
                sid = case["id"]
                answers = [
                    r.at
                    for r in conn.execute(select(table(Answer)).where(table(Answer).c.suggestion_id == sid))
                ]
                first = min(answers, default=None)
                feedback = list(
                    conn.execute(
                        select(table(Feedback))
                        .where(table(Feedback).c.suggestion_id == sid)
                        .order_by(table(Feedback).c.id)
                    )
                )
                contacts = [
                    2 if c.method in ("visit", "meeting") else 1
                    for c in conn.execute(select(table(Contact)).where(table(Contact).c.suggestion_id == sid))
                    if first is not None and c.at <= first
                ]
                met = [
                    2 if d.late else 1
                    for d in conn.execute(
                        select(table(Deadline)).where(table(Deadline).c.suggestion_id == sid)
                    )
                    if d.kind == "answer" and d.round == 1 and d.status == "met"
                ]
                assignments = conn.execute(
                    select(table(Assignment)).where(table(Assignment).c.suggestion_id == sid)
                ).all()
                mains = [a.unit_id for a in assignments if a.until is None and a.role == "main"]
                open_answers = [
                    d.due_at
                    for d in conn.execute(
                        select(table(Deadline)).where(table(Deadline).c.suggestion_id == sid)
                    )
                    if d.kind == "answer" and d.round == 1 and d.status == "open"
                ]
                expected = (
                    first,
                    feedback[-1].rating if feedback else None,
                    max(contacts, default=0),
                    max(met, default=0),
                    min(mains, default=None),
                    min(open_answers, default=None),
                )
                found = (
                    case["first_answer_at"],
                    case["rating"],
                    case["contact_level"],
                    case["answer_met"],
                    case["main_unit_id"],
                    case["answer_due_at"],
                )
                assert found == expected, f"{case['number']}: tallies {found}, tables say {expected}"

    @invariant()
    def each_reader_sees_what_it_is_involved_in(self) -> None:
        """A unit lists exactly the cases it is or was assigned to, a deputy those they lead or co-signed;
        any other case is not found to them, in the words a missing number gets."""
        if not hasattr(self, "engine"):
            return
        with self.engine.db.engine.connect() as conn:
            numbers = dict(conn.execute(select(table(Suggestion).c.id, table(Suggestion).c.number)).all())
            units = dict(conn.execute(select(table(Unit).c.name, table(Unit).c.id)).all())
            deputies = dict(conn.execute(select(table(Deputy).c.name, table(Deputy).c.id)).all())
            assigned = conn.execute(
                select(table(Assignment).c.unit_id, table(Assignment).c.suggestion_id)
            ).all()
            leads = conn.execute(select(table(Suggestion).c.lead_deputy_id, table(Suggestion).c.id)).all()
            signed = conn.execute(
                select(table(SuggestionSigner).c.deputy_id, table(SuggestionSigner).c.suggestion_id)
            ).all()
        readers = [(Actor.unit(n), {numbers[c] for u, c in assigned if u == units[n]}) for n in DEFAULT_UNITS]
        readers += [
            (Actor.deputy(n), {numbers[c] for d, c in [*leads, *signed] if d == deputies[n]})
            for n in DEFAULT_DEPUTIES
        ]
        for reader, expected in readers:
            engine = self.engine.acting(reader)
            assert {c.number for c in engine.list_cases()} == expected, reader
            for number in set(numbers.values()) - expected:
                with pytest.raises(NotFound, match=f"/{number}' not found"):
                    engine.dossier(number)

    @invariant()
    def the_public_total_is_a_plain_count(self) -> None:
        """The public list's total (kept by the database's triggers) is the number of published cases counted
        over the table, whatever action came last."""
        if not hasattr(self, "engine"):
            return
        cases = table(Suggestion)
        with self.engine.db.engine.connect() as conn:
            counted = conn.execute(
                select(func.count())
                .select_from(cases)
                .where(~cases.c.confidential, cases.c.state.in_(PUBLISHED))
            ).scalar_one()
        page = self.engine.acting(Actor.public()).published_page(limit=20)
        assert page.total == counted
        assert len(page.items) == min(counted, 20)

    @invariant()
    def each_units_cases_are_its_assignments_with_the_cases_state(self) -> None:
        """``unit_cases`` (kept by the database's triggers) is each (unit, case) of the assignments once, with the
        case's session, state and number as they are now, whatever action came last; a unit's inbox read from it
        is the plain filter over the cases."""
        if not hasattr(self, "engine"):
            return
        cases, parts, kept = table(Suggestion), table(Assignment), table(UnitCase)
        with self.engine.db.engine.connect() as conn:
            expected = set(
                conn.execute(
                    select(parts.c.unit_id, cases.c.id, cases.c.session_id, cases.c.state, cases.c.number)
                    .select_from(parts.join(cases, cases.c.id == parts.c.suggestion_id))
                    .distinct()
                ).all()
            )
            rows = conn.execute(
                select(kept.c.unit_id, kept.c.suggestion_id, kept.c.session_id, kept.c.state, kept.c.number)
            ).all()
            units = dict(conn.execute(select(table(Unit).c.name, table(Unit).c.id)).all())
        assert len(rows) == len(set(rows))
        assert set(rows) == expected
        for name in DEFAULT_UNITS:
            unit = self.engine.acting(Actor.unit(name))
            mine = sorted(
                (number, case, state) for u, case, _s, state, number in expected if u == units[name]
            )
            assert [c.number for c in unit.list_cases()] == [number for number, _c, _s in mine]
            for state in {state for _n, _c, state in mine}:
                every = [number for number, _c, s in mine if s == state]
                page = unit.search(state=state, limit=2)
                assert (page.total, [c.number for c in page.cases]) == (len(every), every[:2])

    @invariant()
    def audit_chain_verifies(self) -> None:
        if hasattr(self, "engine"):
            assert self.engine.verify_audit()[1] == []


@pytest.mark.parametrize(
    "backend", ["sqlite-file", pytest.param("postgresql", marks=pytest.mark.postgres)], indirect=True
)
def test_arbitrary_actions_keep_the_invariants(
    backend: str, fresh_engine: Callable[[FrozenClock], AbstractContextManager[Engine]]
) -> None:
    """Whatever actions come, in any order: refusals change nothing and the invariants hold after each step."""
    run_state_machine_as_test(
        lambda: EngineMachine(fresh_engine),
        settings=settings(max_examples=EXAMPLES[backend], stateful_step_count=40, deadline=None),
    )
