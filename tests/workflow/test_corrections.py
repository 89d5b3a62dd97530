"""Corrections: units and deputies edited with their history, and a case's own data amended by the office."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import text

from workflow.core.errors import NotFound, PermissionDenied, ValidationError
from workflow.core.text import one_line
from workflow.core.views import Actor
from workflow.engine import DeputyInfo, Engine, UnitInfo
from workflow.testing import FrozenClock, beijing, make_case, row_count, table_rows

pytestmark = pytest.mark.parametrize(
    "backend", ["sqlite-file", pytest.param("postgresql", marks=pytest.mark.postgres)], indirect=True
)

MAIN, CO, OTHER = "市交通运输局", "市财政局", "市住房和城乡建设局"


def _edits(engine: Engine, kind: str, name: str) -> list[tuple[str, str | None, str | None]]:
    rows = engine.unit_history(name) if kind == "unit" else engine.deputy_history(name)
    return [(r.field, r.old, r.new) for r in rows]


def _tamper(engine: Engine, sql: str) -> None:
    with engine.db.engine.begin() as conn:
        conn.execute(text(sql))


def _directory_problems(engine: Engine) -> list[str]:
    return [str(p) for p in engine.check_audit().problems if p.table == "directory_changes"]


# ---- units and deputies ---------------------------------------------------------------------------
def test_each_unit_field_is_edited_and_recorded(engine: Engine) -> None:
    """Superior unit, e-mail, phone and webhook change; the history holds each old and new value."""
    engine.add_unit("公交处", email="old@example.cn")
    info = engine.edit_unit(
        "公交处", parent=MAIN, email="new@example.cn", phone="12345", webhook="https://example.cn/h"
    )
    assert info == UnitInfo("公交处", MAIN, "new@example.cn", "12345", "https://example.cn/h")
    assert next(u for u in engine.units() if u.name == "公交处") == info
    assert _edits(engine, "unit", "公交处") == [
        ("parent", None, MAIN),
        ("email", "old@example.cn", "new@example.cn"),
        ("phone", None, "12345"),
        ("webhook", None, "https://example.cn/h"),
    ]


def test_each_deputy_field_is_edited_and_recorded(engine: Engine) -> None:
    """Delegation, e-mail and phone change; the history holds each old and new value, by whom and when."""
    info = engine.edit_deputy(
        "张三", delegation="第一代表团", email="zs@example.cn", phone="139", at=beijing("2026-03-03", 10)
    )
    assert info == DeputyInfo("张三", "第一代表团", "zs@example.cn", "139")
    rows = engine.deputy_history("张三")
    assert [(r.field, r.old, r.new, r.actor, r.at) for r in rows] == [
        ("delegation", None, "第一代表团", "office", beijing("2026-03-03", 10)),
        ("email", None, "zs@example.cn", "office", beijing("2026-03-03", 10)),
        ("phone", None, "139", "office", beijing("2026-03-03", 10)),
    ]


def test_a_wrong_email_is_fixed_where_adding_again_says_it_exists(engine: Engine) -> None:
    """Adding the unit again with the right address is refused (pointing at edit); edit fixes it."""
    engine.add_unit("公交处", email="wrong@example.cn")
    with pytest.raises(
        ValidationError, match=r"^unit '公交处' already exists \(change it with `jianyi unit edit"
    ):
        engine.add_unit("公交处", email="right@example.cn")
    engine.edit_unit("公交处", email="right@example.cn")
    assert next(u.email for u in engine.units() if u.name == "公交处") == "right@example.cn"


def test_an_empty_value_clears_an_optional_field(engine: Engine) -> None:
    """ "" clears a contact (recorded as old → none); None leaves it as it is."""
    engine.add_unit("公交处", parent=MAIN, email="a@example.cn", phone="1")
    info = engine.edit_unit("公交处", email="", parent="")
    assert info == UnitInfo("公交处", None, None, "1", None)
    assert _edits(engine, "unit", "公交处") == [("parent", MAIN, None), ("email", "a@example.cn", None)]


def test_a_rename_keeps_the_history_and_cases_show_the_new_name(engine: Engine) -> None:
    """The case shows the new name; the history is found by either name; the old name says what it became."""
    make_case(engine, "0001", state="assigned")
    assert engine.get("0001").main_unit == MAIN  # the name caches are warm
    engine.edit_unit(MAIN, new_name="市交通局", at=beijing("2026-03-02", 10))
    assert engine.get("0001").main_unit == "市交通局"
    assert _edits(engine, "unit", MAIN) == _edits(engine, "unit", "市交通局") == [("name", MAIN, "市交通局")]
    with pytest.raises(
        NotFound, match=rf"^unit '{MAIN}' not found \(renamed to '市交通局' on 2026-03-02 \(UTC\)\)$"
    ):
        engine.edit_unit(MAIN, email="x@example.cn")
    engine.submit("0002", title="乙", deputy="张三")
    with pytest.raises(
        ValidationError, match=rf"unknown unit\(s\): {MAIN} \(renamed to '市交通局' on 2026-03-02"
    ):
        engine.assign("0002", main=MAIN)
    assert engine.assign("0002", main="市交通局").state == "assigned"


def test_an_old_name_may_be_taken_by_a_new_unit(engine: Engine) -> None:
    """Once renamed, the old name is free: a new unit bearing it is found by it, the renamed one by its own."""
    engine.edit_unit(MAIN, new_name="市交通局")
    engine.add_unit(MAIN, email="new@example.cn")
    engine.submit("0001", title="甲", deputy="张三")
    engine.assign("0001", main=MAIN)
    assert engine.get("0001").main_unit == MAIN
    assert _edits(engine, "unit", "市交通局") == [("name", MAIN, "市交通局")]
    assert _edits(engine, "unit", MAIN) == []


def test_a_rename_is_seen_by_another_engine_on_the_same_database(engine: Engine) -> None:
    """Another engine's warm name caches are rechecked in its next transaction."""
    make_case(engine, "0001", state="assigned")
    with Engine.open(engine.url, clock=engine.clock) as other:
        assert other.get("0001").main_unit == MAIN
        engine.edit_unit(MAIN, new_name="市交通局")
        engine.edit_deputy("张三", new_name="张叁")
        case = other.get("0001")
        assert (case.main_unit, case.deputy) == ("市交通局", "张叁")
        other.submit("0002", title="乙", deputy="张叁")
        with pytest.raises(ValidationError, match="renamed to '市交通局'"):
            other.assign("0002", main=MAIN)
        assert other.assign("0002", main="市交通局").state == "assigned"


def test_an_old_name_given_to_a_new_unit_by_another_engine_is_seen_by_the_next_action(engine: Engine) -> None:
    """Warm caches of the old name follow another engine's rename and new unit in the next write, loaded or new."""
    make_case(engine, "0001", state="submitted")
    make_case(engine, "0002", state="assigned")
    assert engine.get("0002").main_unit == MAIN  # the name caches are warm
    with Engine.open(engine.url, clock=engine.clock) as other:
        other.edit_unit(MAIN, new_name="市交通局")
        other.add_unit(MAIN, email="new@example.cn")
        other.edit_deputy("张三", new_name="张叁")
        other.add_deputy("张三")
    engine.assign("0001", main=MAIN)
    assert (engine.get("0001").main_unit, engine.get("0002").main_unit) == (MAIN, "市交通局")
    engine.submit("0003", title="丙", deputy="张三")
    assert (engine.get("0003").deputy, engine.get("0002").deputy) == ("张三", "张叁")


def test_a_rename_to_a_taken_name_is_refused_and_nothing_is_written(engine: Engine) -> None:
    """One clear line; the unit, its other edits and the history stay as they were."""
    before = (engine.units(), row_count(engine, "directory_changes"))
    with pytest.raises(ValidationError, match=rf"^unit '{CO}' already exists: choose another name$"):
        engine.edit_unit(MAIN, new_name=CO, email="x@example.cn")
    with pytest.raises(ValidationError, match=r"^deputy '李四' already exists: choose another name$"):
        engine.edit_deputy("张三", new_name="李四")
    assert (engine.units(), row_count(engine, "directory_changes")) == before


def test_an_edit_that_changes_nothing_is_refused(engine: Engine) -> None:
    """No value, or only the values it holds already: refused, nothing recorded."""
    engine.edit_unit(MAIN, email="a@example.cn")
    with pytest.raises(ValidationError, match=rf"^unit '{MAIN}': nothing to change \(no value as it is\)$"):
        engine.edit_unit(MAIN)
    with pytest.raises(ValidationError, match=rf"^unit '{MAIN}': nothing to change \(email='a@example.cn'"):
        engine.edit_unit(MAIN, email="a@example.cn")
    assert row_count(engine, "directory_changes") == 1


def test_bad_values_are_refused_with_nothing_written(engine: Engine) -> None:
    """A control character, a value too long, a unit under itself: refused, nothing recorded."""
    with pytest.raises(ValidationError, match="holds a control character"):
        engine.edit_unit(MAIN, email="a@example.cn\r\nBcc: x")
    with pytest.raises(ValidationError, match="email is 201 characters long; at most 200 fit"):
        engine.edit_deputy("张三", email="a" * 201)
    engine.add_unit("公交处", parent=MAIN)
    with pytest.raises(ValidationError, match="cannot be placed under '公交处': that is itself or below it"):
        engine.edit_unit(MAIN, parent="公交处")
    assert row_count(engine, "directory_changes") == 0


def test_tampering_with_the_directory_history_fails_the_audit(engine: Engine) -> None:
    """An altered change, a deleted last change, a value changed behind the history's back: each named."""
    engine.edit_unit(MAIN, email="a@example.cn")
    engine.edit_unit(MAIN, new_name="市交通局", email="b@example.cn")
    assert _directory_problems(engine) == []
    assert engine.check_audit().directory_changes == 3
    _tamper(engine, "UPDATE directory_changes SET new = 'evil@example.cn' WHERE seq = 1")
    assert _directory_problems(engine) == [
        "directory change #1 (unit 1, email): altered (its hash does not match its content)"
    ]
    _tamper(engine, "UPDATE directory_changes SET new = 'a@example.cn' WHERE seq = 1")
    _tamper(engine, "DELETE FROM directory_changes WHERE seq = 3")
    assert _directory_problems(engine) == [
        "directory change #1: unit 1's email is 'b@example.cn', but its last recorded change made it 'a@example.cn'"
    ]


def test_a_value_changed_outside_the_history_fails_the_audit(engine: Engine) -> None:
    """An edited unit whose row is then changed by hand differs from its last recorded change."""
    engine.edit_unit(MAIN, email="a@example.cn")
    _tamper(engine, "UPDATE units SET email = 'evil@example.cn' WHERE id = 1")
    assert _directory_problems(engine) == [
        "directory change #1: unit 1's email is 'evil@example.cn', but its last recorded change made it 'a@example.cn'"
    ]


# ---- amend ----------------------------------------------------------------------------------------
def test_amend_changes_what_get_returns_and_is_in_the_history(engine: Engine, clock: FrozenClock) -> None:
    """Title, content, field and flags change, the state and version move as any step; the event holds old → new."""
    engine.submit("0001", title="关于公交的建意", deputy="张三", content="正文", field="交通")
    make_case(engine, "0002", state="assigned")
    clock.advance(hours=1)
    change = engine.amend(
        "0001",
        title="关于公交的建议",
        content="更正后的正文",
        field="",
        confidential=True,
        between_sessions=True,
        key=True,
        reason="录入错误",
    )
    assert (change.state, change.version) == ("submitted", 2)
    case = engine.get("0001")
    assert (case.title, case.content, case.field, case.confidential, case.between_sessions, case.key) == (
        "关于公交的建议",
        "更正后的正文",
        None,
        True,
        True,
        True,
    )
    last = engine.history("0001")[-1]
    assert (last.action, last.from_state, last.to_state) == ("amend", "submitted", "submitted")
    assert last.data == {
        "changed": {
            "between_sessions": {"from": False, "to": True},
            "confidential": {"from": False, "to": True},
            "content": {"from": "正文", "to": "更正后的正文"},
            "field": {"from": "交通", "to": None},
            "key": {"from": False, "to": True},
            "title": {"from": "关于公交的建意", "to": "关于公交的建议"},
        },
        "reason": "录入错误",
    }
    assert engine.check_audit().problems == ()


def test_amend_changes_only_what_differs(engine: Engine) -> None:
    """A value given as it is stays out of the event."""
    engine.submit("0001", title="甲", deputy="张三", field="交通")
    engine.amend("0001", title="甲", field="教育", reason="领域归错")
    assert engine.history("0001")[-1].data["changed"] == {"field": {"from": "交通", "to": "教育"}}


@pytest.mark.parametrize("state", ["assigned", "answered", "closed", "withdrawn"])
def test_amend_works_in_any_state_and_keeps_it(engine: Engine, state: str) -> None:
    """Even a closed or withdrawn case is corrected; its state does not move."""
    make_case(engine, "0001", state=state)
    assert engine.amend("0001", title="更正标题", reason="笔误").state == state
    assert engine.get("0001").title == "更正标题"


def test_amend_is_refused_for_units_and_deputies(engine: Engine) -> None:
    """Only the office amends; a unit and the case's own deputy are denied, nothing written."""
    make_case(engine, "0001", state="assigned")
    for actor in (Actor.unit(MAIN), Actor.deputy("张三")):
        with pytest.raises(PermissionDenied, match="may not 'amend': only the office"):
            engine.amend("0001", title="x", reason="y", actor=actor)
    assert engine.get("0001").title == "测试建议 0001"
    assert engine.get("0001").version == 2


def test_amend_without_a_change_or_a_reason_is_refused(engine: Engine) -> None:
    """Nothing to change, a blank reason, a blank title: each one line, nothing written."""
    engine.submit("0001", title="甲", deputy="张三")
    with pytest.raises(
        ValidationError, match=r"^建议 测试会议/0001: nothing to amend: title already as given"
    ):
        engine.amend("0001", title="甲", reason="x")
    with pytest.raises(ValidationError, match="nothing to amend: nothing already as given"):
        engine.amend("0001", reason="x")
    with pytest.raises(ValidationError, match="an amendment needs its reason"):
        engine.amend("0001", title="乙", reason="  ")
    with pytest.raises(ValidationError, match="cannot be blank"):
        engine.amend("0001", title=" ", reason="x")
    assert (engine.get("0001").version, len(engine.history("0001"))) == (1, 1)


_numbers = itertools.count(1)


_TEXT = st.text(st.characters(categories=("L", "N", "P", "Zs"), include_characters="\n"), max_size=80)


@settings(max_examples=15)
@given(title=_TEXT, content=_TEXT)
def test_amended_values_are_what_get_returns(engine: Engine, title: str, content: str) -> None:
    """Any title and content of letters, digits, punctuation, spaces and line breaks: get returns them (the title
    on one line); a blank title, or values as they are, are refused."""
    number = f"H{next(_numbers):04d}"
    engine.submit(number, title="原标题", deputy="张三", content="原正文")
    wanted = one_line(title)
    if not wanted or (wanted == "原标题" and content == "原正文"):
        with pytest.raises(ValidationError):
            engine.amend(number, title=title, content=content, reason="更正")
        return
    engine.amend(number, title=title, content=content, reason="更正")
    case = engine.get(number)
    assert (case.title, case.content) == (wanted, content)


def test_the_directory_history_and_amendments_are_kept_apart_per_table(engine: Engine) -> None:
    """An amendment writes no directory change, an edit no audit event."""
    engine.submit("0001", title="甲", deputy="张三")
    engine.amend("0001", title="乙", reason="x")
    engine.edit_unit(MAIN, phone="1")
    assert table_rows(engine, "directory_changes", "field") == [("phone",)]
    assert [h.action for h in engine.history("0001")] == ["submit", "amend"]
