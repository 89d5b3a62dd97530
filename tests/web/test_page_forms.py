"""What the pages make of what was typed and of what the engine says, without a server: the promised items of a B
answer and the co-signing deputies of a proposal."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from web.pages.deputy import co_signers
from web.pages.unit import parse_promises as promises
from workflow.core.errors import ValidationError
from workflow.engine import Promised

items = st.lists(
    st.tuples(
        st.dates(min_value=date(2000, 1, 1), max_value=date(2099, 12, 31)),
        st.text(st.characters(categories=["Lo", "Ll", "Nd"]), min_size=1, max_size=20),
    ),
    max_size=5,
)


@given(items)
def test_each_line_of_date_and_text_is_one_promise_in_order(typed: list[tuple[date, str]]) -> None:
    """``YYYY-MM-DD 事项`` lines, blank lines between them ignored, give the promises in the order typed."""
    text = "\n\n".join(f"{day.isoformat()} {what}" for day, what in typed)
    assert promises(text) == [Promised(what, day) for day, what in typed]


@pytest.mark.usefixtures("chinese")  # the line as the offices read it
@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "2027-06-30 完成\n年底 增开",
            "承诺事项第 2 行“年底 增开”看不懂：每行写“日期 事项”，如“2026-12-31 完成线路调整”",
        ),
        (
            "2027-02-30 完成",
            "承诺事项第 1 行“2027-02-30 完成”看不懂：每行写“日期 事项”，如“2026-12-31 完成线路调整”",
        ),
        ("2027-06-30", "承诺事项第 1 行只有日期：请写明承诺做什么"),
    ],
)
def test_a_line_that_is_not_a_date_and_a_text_is_named(text: str, message: str) -> None:
    """The line is named by its number and its words, with how to write it."""
    with pytest.raises(ValidationError) as refused:
        promises(text)
    assert str(refused.value) == message


def test_co_signers_are_split_on_the_usual_separators_each_once() -> None:
    """、，, ; and spaces all separate names; a name typed twice counts once, in the order typed."""
    assert co_signers(" 李四、王五，赵六, 李四；钱七  孙八 ") == ["李四", "王五", "赵六", "钱七", "孙八"]
    assert co_signers("  ") == []
