"""Searching cases: Chinese substrings of any length in title and content, each filter, counts and pages."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from workflow.core.errors import NotFound, ValidationError
from workflow.engine import Engine
from workflow.testing import unit_ids

pytestmark = pytest.mark.parametrize(
    "backend",
    ["sqlite-file", "sqlite-memory", pytest.param("postgresql", marks=pytest.mark.postgres)],
    indirect=True,
)

# number: (title, content, field, lead deputy, co-signers, between sessions, confidential)
CORPUS = {
    "0001": (
        "关于优化公交线路的建议",
        "建议增加夜班公交，方便市民出行",
        "交通",
        "张三",
        ("李四",),
        False,
        False,
    ),
    "0002": ("关于加强中小学课后服务的建议", "课后服务应覆盖所有小学", "教育", "李四", (), True, False),
    "0003": ("关于老旧小区加装电梯的建议", "加装电梯的补贴资金应及时拨付", "城建", "赵六", (), False, True),
    "0004": (
        "关于规范共享单车停放的建议",
        "地铁站口和公交站台周边乱停放",
        "交通",
        "钱七",
        ("张三",),
        False,
        False,
    ),
    "0005": ("Bus lanes on Main Street", "more buses, fewer cars", None, "王五", (), False, False),
}


@pytest.fixture
def cases(engine: Engine) -> Engine:
    """The engine holding CORPUS; 0001 assigned as a key case to the transport bureau, 0002 to education."""
    engine.add_deputy("赵六", delegation="东城代表团")
    engine.add_deputy("钱七", delegation="西城代表团")
    for number, (title, content, field, deputy, co, between, confidential) in CORPUS.items():
        engine.submit(
            number,
            title=title,
            content=content,
            field=field,
            deputy=deputy,
            co_signers=co,
            between_sessions=between,
            confidential=confidential,
        )
    engine.assign("0001", main="市交通运输局", key=True)
    engine.assign("0002", main="市教育局")
    return engine


def numbers(engine: Engine, **filters: object) -> list[str]:
    """The numbers of every case the search selects, checking that the count agrees."""
    page = engine.search(limit=None, **filters)  # type: ignore[arg-type]
    assert page.total == len(page.cases)
    return [c.number for c in page.cases]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("公交", ["0001", "0004"], id="2-title-and-content"),
        pytest.param("电梯", ["0003"], id="2-title"),
        pytest.param("公交线", ["0001"], id="3-title"),
        pytest.param("夜班公交", ["0001"], id="4-content-only"),
        pytest.param("共享单车", ["0004"], id="4-title-only"),
        pytest.param("补贴资金应及时拨付", ["0003"], id="9-content-only"),
        pytest.param("关于", ["0001", "0002", "0003", "0004"], id="2-common"),
        pytest.param("的建议", ["0001", "0002", "0003", "0004"], id="3-common"),
        pytest.param("梯", ["0003"], id="1"),
        pytest.param("医院", [], id="2-none"),
        pytest.param("地下铁路", [], id="4-none"),
        pytest.param("公交线路的建议，方便", [], id="across-title-and-content"),
    ],
)
def test_a_chinese_substring_of_any_length_is_found_in_title_or_content(
    cases: Engine, text: str, expected: list[str]
) -> None:
    """Chinese has no spaces: any substring of the title or the content finds the case, two characters too."""
    assert numbers(cases, text=text) == expected


@pytest.mark.parametrize("text", ["bu", "BUS", "Lanes", "FEWER CARS"])
def test_latin_letters_match_whatever_their_case(cases: Engine, text: str) -> None:
    """Short or long, a Latin text matches regardless of upper and lower case."""
    assert numbers(cases, text=text) == ["0005"]


@pytest.mark.parametrize("text", ["%", "_", "公交%", "\\", '"公交"', "公交' OR 1=1 --"])
def test_wildcards_and_quotes_in_the_text_are_plain_characters(cases: Engine, text: str) -> None:
    """%, _, quotes and backslashes are looked for as they are, never as patterns or syntax."""
    assert numbers(cases, text=text) == []


def test_a_blank_text_selects_every_case(cases: Engine) -> None:
    """An empty or blank text is no filter; the text's outer spaces are not looked for."""
    assert numbers(cases, text="  ") == list(CORPUS)
    assert numbers(cases, text=" 公交 ") == ["0001", "0004"]


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        pytest.param({"deputy": "张三"}, ["0001", "0004"], id="deputy-lead-or-co-signer"),
        pytest.param({"deputy": "李四"}, ["0001", "0002"], id="deputy-co-signer-or-lead"),
        pytest.param({"delegation": "东城代表团"}, ["0003"], id="delegation"),
        pytest.param({"delegation": "南城代表团"}, [], id="delegation-none"),
        pytest.param({"field": "交通"}, ["0001", "0004"], id="field"),
        pytest.param({"key": True}, ["0001"], id="key"),
        pytest.param({"key": False}, ["0002", "0003", "0004", "0005"], id="not-key"),
        pytest.param({"between_sessions": True}, ["0002"], id="between-sessions"),
        pytest.param({"between_sessions": False}, ["0001", "0003", "0004", "0005"], id="during-session"),
        pytest.param({"confidential": True}, ["0003"], id="confidential"),
        pytest.param({"confidential": False}, ["0001", "0002", "0004", "0005"], id="not-confidential"),
        pytest.param({"state": "assigned"}, ["0001", "0002"], id="state"),
        pytest.param({"unit": "市教育局"}, ["0002"], id="unit"),
    ],
)
def test_each_filter_selects_its_cases(
    cases: Engine, filters: dict[str, object], expected: list[str]
) -> None:
    """Each filter alone selects exactly the cases it names."""
    assert numbers(cases, **filters) == expected


def test_filters_combine_as_and(cases: Engine) -> None:
    """Every filter given must hold: field, text, deputy and the key mark together."""
    assert numbers(cases, field="交通", text="公交") == ["0001", "0004"]
    assert numbers(cases, field="交通", text="公交", deputy="张三", key=False) == ["0004"]
    assert numbers(cases, field="交通", text="公交站台", state="assigned") == []
    assert numbers(cases, unit="市交通运输局", text="夜班", key=True, confidential=False) == ["0001"]


def test_an_unknown_deputy_is_named(cases: Engine) -> None:
    """A deputy nobody added is an error that says how to add one, not an empty list."""
    with pytest.raises(NotFound, match="deputy '孙八' not found"):
        cases.search(deputy="孙八")


def test_pages_split_the_cases_by_number(cases: Engine) -> None:
    """Each page holds its slice by number and the count of all; past the end a page is empty."""
    pages = [cases.search(limit=2, offset=offset) for offset in (0, 2, 4, 6)]
    assert [[c.number for c in p.cases] for p in pages] == [["0001", "0002"], ["0003", "0004"], ["0005"], []]
    assert [(p.total, p.offset, p.limit, p.first, p.last) for p in pages] == [
        (5, 0, 2, 1, 2),
        (5, 2, 2, 3, 4),
        (5, 4, 2, 5, 5),
        (5, 6, 2, 0, 0),
    ]
    assert cases.search(text="公交", limit=1, offset=1).to_json()["cases"][0]["number"] == "0004"


@given(limit=st.integers(1, 7), text=st.sampled_from(["", "公交", "的建议", "关于", "建议", "s"]))
def test_pages_are_disjoint_and_cover_every_match(cases: Engine, limit: int, text: str) -> None:
    """Walking the pages of any search: the same total on each, no case twice, every match once, in order."""
    every = numbers(cases, text=text)
    seen: list[str] = []
    offset = 0
    while True:
        page = cases.search(text=text, limit=limit, offset=offset)
        assert page.total == len(every)
        if not page.cases:
            break
        assert len(page.cases) <= limit
        seen += [c.number for c in page.cases]
        offset += limit
    assert seen == every


@pytest.mark.parametrize(("offset", "limit"), [(-1, 10), (0, -1)])
def test_a_negative_offset_or_limit_is_refused(cases: Engine, offset: int, limit: int) -> None:
    """Negative paging is an error that names both values."""
    with pytest.raises(ValidationError, match=f"offset {offset} and limit {limit}: neither may be negative"):
        cases.search(offset=offset, limit=limit)


def test_list_cases_keeps_its_shape(cases: Engine) -> None:
    """list_cases still returns every matching case as a list, limited when asked."""
    assert [c.number for c in cases.list_cases(state="submitted")] == ["0003", "0004", "0005"]
    assert [c.number for c in cases.list_cases(limit=2)] == ["0001", "0002"]


def test_the_index_follows_new_and_changed_cases(cases: Engine) -> None:
    """A case submitted after others is found at once; a title changed in the table is found by its new text
    and no longer by its old one (the index is kept in step by the database itself)."""
    cases.submit("0006", title="关于建设口袋公园的建议", content="利用边角地", deputy="王五")
    assert numbers(cases, text="口袋公园") == ["0006"]
    assert numbers(cases, text="边角") == ["0006"]
    with cases.db.engine.begin() as conn:
        conn.exec_driver_sql(
            "UPDATE suggestions SET title = '关于增设社区食堂的建议', content = '' WHERE number = '0006'"
        )
    assert numbers(cases, text="口袋公园") == []
    assert numbers(cases, text="利用边角地") == []
    assert numbers(cases, text="社区食堂") == ["0006"]


def test_a_scope_restricts_to_the_cases_a_party_is_involved_in(cases: Engine) -> None:
    """The store's scope: the cases a unit is or was assigned, or a deputy leads or co-signs, confidential
    ones included for those involved."""
    units = unit_ids(cases)
    cases.reassign("0002", main="市财政局", reason="职责调整")
    with cases.db.engine.connect() as conn:
        zhao = cases.directory.deputy_id(conn, "赵六")
    search = cases.queries.search
    assert [c.number for c in search(scope_unit_ids=frozenset({units["市教育局"]})).cases] == ["0002"]
    assert [c.number for c in search(scope_unit_ids=frozenset()).cases] == []
    assert [c.number for c in search(scope_deputy_id=zhao).cases] == ["0003"]
    both = search(scope_unit_ids=frozenset({units["市交通运输局"]}), scope_deputy_id=zhao, text="的建议")
    assert (both.total, [c.number for c in both.cases]) == (2, ["0001", "0003"])
