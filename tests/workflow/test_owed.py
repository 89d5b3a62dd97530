"""What a unit owes, a page at a time (``Reads.owed``, the unit's 待办): the open deadlines of the kinds asked
for, by last day with 重点督办 first on the same day, then session, number and kind; counts of them all; paged;
and within the reader's scope. The expectations are built from each case's own deadlines (``Engine.get``)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from workflow.core.errors import PermissionDenied
from workflow.core.views import Actor, OwedItem, OwedPage
from workflow.engine import Engine
from workflow.testing import DEFAULT_SESSION

pytestmark = pytest.mark.parametrize(
    "backend",
    ["sqlite-file", "sqlite-memory", pytest.param("postgresql", marks=pytest.mark.postgres)],
    indirect=True,
)

MAIN, CO = "市交通运输局", "市财政局"
OTHER = "第二次会议"  # sorts after 测试会议 by code point
KINDS = ("answer", "co_opinion", "re_answer", "promise")
# (session, number, days ago it was assigned, key, co-unit)
CASES = [
    (DEFAULT_SESSION, "0001", 0, False, CO),
    (DEFAULT_SESSION, "0002", 200, True, None),
    (DEFAULT_SESSION, "0003", 200, False, None),
    (DEFAULT_SESSION, "0004", 85, False, None),
    (DEFAULT_SESSION, "0005", 0, True, None),
    (OTHER, "0001", 0, False, None),
    (OTHER, "0006", 200, False, CO),
]
Row = tuple[str, str, str, date, bool, bool]  # session, number, kind, due, key, overdue


@pytest.fixture
def owing(engine: Engine) -> Engine:
    engine.add_session(OTHER)
    now = engine.clock.now()
    for session, number, ago, key, co in CASES:
        at = now - timedelta(days=ago)
        engine.submit(number, title=f"建议{number}", deputy="张三", at=at, session=session)
        engine.assign(number, main=MAIN, co=(co,) if co else (), key=key, at=at, session=session)
    return engine


def expected(engine: Engine, unit: str) -> list[Row]:
    """The unit's open deadlines of KINDS from each case's deadlines, sorted as the inbox orders them."""
    now = engine.clock.now()
    rows: list[Row] = []
    for session, number, *_rest in CASES:
        case = engine.get(number, session=session)
        rows.extend(
            (session, number, d.kind, d.due, case.key, d.due_at <= now)
            for d in case.deadlines
            if d.status == "open" and d.kind in KINDS and d.unit == unit
        )
    return sorted(rows, key=lambda r: (r[3], not r[4], r[0], r[1], r[2]))


def listed(page: OwedPage) -> list[Row]:
    return [(i.session, i.number, i.kind, i.due, i.key, i.overdue) for i in page.items]


def test_a_unit_reads_what_it_owes_most_urgent_first_with_counts(owing: Engine) -> None:
    today = owing.clock.now().astimezone(owing.active_ruleset().zone).date()
    soon = today + timedelta(days=7)
    rows = expected(owing, MAIN)
    page = owing.acting(Actor.unit(MAIN)).owed(KINDS, soon=soon, limit=100)
    assert listed(page) == rows
    assert page.total == len(rows) == 7
    assert page.overdue == sum(r[5] for r in rows) == 3  # 0002, 0003 and 0006's answers
    assert page.soon == sum(not r[5] and r[3] <= soon for r in rows) == 1  # 0004's answer, due within 7 days
    assert page.key == sum(r[4] for r in rows) == 2
    order = [(r[0], r[1]) for r in rows]
    assert order.index((DEFAULT_SESSION, "0002")) < order.index(
        (DEFAULT_SESSION, "0003")
    )  # key first, same day
    same_day = [
        n for n in order if n in {(DEFAULT_SESSION, "0001"), (DEFAULT_SESSION, "0005"), (OTHER, "0001")}
    ]
    assert same_day == [(DEFAULT_SESSION, "0005"), (DEFAULT_SESSION, "0001"), (OTHER, "0001")]
    item = page.items[0]
    assert isinstance(item, OwedItem)
    assert item.title == f"建议{item.number}"


def test_the_pages_cover_every_obligation_once_and_count_them_all(owing: Engine) -> None:
    unit = owing.acting(Actor.unit(MAIN))
    soon = owing.clock.now().date() + timedelta(days=7)
    pages = [unit.owed(KINDS, soon=soon, offset=offset, limit=3) for offset in (0, 3, 6, 9)]
    assert [len(p.items) for p in pages] == [3, 3, 1, 0]
    assert [row for p in pages for row in listed(p)] == expected(owing, MAIN)
    assert {(p.total, p.overdue, p.key) for p in pages} == {(7, 3, 2)}


def test_each_reader_sees_what_its_scope_allows(owing: Engine) -> None:
    soon = owing.clock.now().date() + timedelta(days=7)
    co = owing.acting(Actor.unit(CO)).owed(KINDS, soon=soon)
    assert listed(co) == expected(owing, CO)
    assert {(i.number, i.kind) for i in co.items} == {("0001", "co_opinion"), ("0006", "co_opinion")}
    office = owing.owed(KINDS, soon=soon, limit=100)
    assert office.total == 7 + 2
    assert listed(owing.owed(KINDS, soon=soon, unit=MAIN, limit=100)) == expected(owing, MAIN)
    assert owing.acting(Actor.unit("市教育局")).owed(KINDS, soon=soon).total == 0
    assert owing.acting(Actor.unit(MAIN)).owed(["co_opinion"], soon=soon).total == 0
    assert (
        owing.acting(Actor.deputy("张三")).owed(KINDS, soon=soon).total == 0
    )  # a deputy owes feedback alone
    with pytest.raises(PermissionDenied):
        owing.acting(Actor.public()).owed(KINDS, soon=soon)
