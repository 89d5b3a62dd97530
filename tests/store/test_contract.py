"""The store's contract: what its callers rely on, the same on a SQLite file, SQLite in memory and PostgreSQL."""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlmodel import SQLModel

from workflow.actions import Contact, Submit
from workflow.core.errors import (
    BatchConflict,
    Conflict,
    NotFound,
    NotInitialised,
    ValidationError,
    WorkflowError,
)
from workflow.core.unit_of_work import outbox_row
from workflow.core.views import Actor
from workflow.engine import AssignOrder, Engine
from workflow.store import db, outbox, tally
from workflow.store.congresses import ensure_congress, find_congress
from workflow.store.directory import Directory, SessionInfo, UnitInfo
from workflow.store.ledger import CaseFacts, case_facts
from workflow.store.search import is_search_object
from workflow.store.selections import Selection, id_range, read_range
from workflow.store.sql import Raw
from workflow.store.steps import due_cases, upcoming_steps
from workflow.sweep import sweep
from workflow.testing import (
    DEFAULT_DEPUTIES,
    DEFAULT_SESSION,
    DEFAULT_UNITS,
    FrozenClock,
    beijing,
    make_case,
    notices,
    row_count,
    table_rows,
    unit_ids,
)

pytestmark = pytest.mark.parametrize(
    "backend",
    ["sqlite-file", "sqlite-memory", pytest.param("postgresql", marks=pytest.mark.postgres)],
    indirect=True,
)

MAIN, CO, FOURTH = DEFAULT_UNITS[0], DEFAULT_UNITS[1], DEFAULT_UNITS[3]
WRITTEN = ("audit_events", "contacts", "deadlines", "outbox", "suggestions")


def _picture(engine: Engine) -> tuple[object, ...]:
    """Every case as read back, and how many rows each table an action writes holds."""
    return tuple(engine.list_cases()), tuple(row_count(engine, t) for t in WRITTEN)


def _stale_contacts(engine: Engine, stale: set[str], numbers: list[str]) -> None:
    """Record a phone contact on each of ``numbers`` in one batch, the cases in ``stale`` as read one version
    ago (as when another writer changed them between the read and the write)."""
    now = engine.clock.now()
    with engine.pipeline.batch(what="contacts") as batch:
        sid = engine.directory.session_id(batch.store.conn, None)
        rows = batch.store.load_numbers(sid, numbers)
        for number in numbers:
            row = rows[number]
            if number in stale:
                row["version"] -= 1
            work = batch.open(row, str(row.pop("session_name")))
            batch.apply(work, Contact("phone", unit=MAIN), actor=Actor.office(), at=now, now=now)


def _add_deputies(engine: Engine, *names: str, then_fail: bool = False) -> None:
    """Insert deputies by the write path's SQL in one transaction (then fail, if asked)."""
    with engine.db.transaction() as conn:
        for name in names:
            Raw(conn).insert("deputies", {"congress_id": engine.congress_id, "name": name})
        if then_fail:
            raise RuntimeError("stop")


def _several_cases(engine: Engine, clock: FrozenClock) -> None:
    """0001–0003 assigned at one instant (main and co-unit), 0004 answered, 0005 closed, 0006 submitted,
    0007 withdrawn."""
    for number in ("0001", "0002", "0003"):
        engine.submit(number, title=number, deputy="张三")
    engine.assign_many([AssignOrder(n, main=MAIN, co=(CO,)) for n in ("0001", "0002", "0003")])
    clock.advance(days=3)
    make_case(engine, "0004", state="answered", clock=clock, main=FOURTH, co=())
    make_case(engine, "0005", state="closed", clock=clock)
    make_case(engine, "0006", state="submitted", clock=clock)
    make_case(engine, "0007", state="withdrawn", clock=clock)


# ---- cases --------------------------------------------------------------------------------------------


def test_a_case_reads_back_as_it_was_written(engine: Engine) -> None:
    """Text, flags, co-signers and the instant (to the microsecond, any zone) come back exactly."""
    at = datetime(2026, 3, 1, 17, 30, 15, 123456, tzinfo=timezone(timedelta(hours=8)))
    title = "关于「公交」线路的建议：100% :name 'a' \"b\" 😀"
    content = "第一行\n第二行\t制表 %(x)s ?"
    command = Submit(
        title, "张三", ("李四", "王五"), content, "交通", between_sessions=True, confidential=True
    )
    change = engine.run("0001", command, at=at)
    case = engine.get("0001")
    assert (change.state, change.version) == ("submitted", 1)
    written = {
        "number": "0001",
        "session": DEFAULT_SESSION,
        "title": title,
        "content": content,
        "field": "交通",
        "deputy": "张三",
        "co_signers": ("李四", "王五"),
        "confidential": True,
        "between_sessions": True,
        "key": False,
        "extended": False,
        "state": "submitted",
        "round": 1,
        "version": 1,
        "ruleset": None,
    }
    assert {name: getattr(case, name) for name in written} == written
    assert (case.submitted_at, case.submitted_at.utcoffset()) == (at, timedelta(0))
    assert engine.list_cases() == [case]


def test_history_reads_back_each_event_in_order(engine: Engine, clock: FrozenClock) -> None:
    """Each action's audit event comes back with its time, actor, states and round."""
    make_case(engine, "0001", state="answered", clock=clock, co=())
    assert [
        (h.seq, h.at, h.actor, h.action, h.from_state, h.to_state, h.round) for h in engine.history("0001")
    ] == [
        (1, beijing("2026-03-02"), "office", "submit", None, "submitted", 1),
        (2, beijing("2026-03-03"), "office", "assign", "submitted", "assigned", 1),
        (3, beijing("2026-03-04"), f"unit:{MAIN}", "answer", "assigned", "answered", 1),
    ]


# ---- compare-and-set ----------------------------------------------------------------------------------


def test_a_stale_case_write_is_refused_and_nothing_of_it_remains(engine: Engine, clock: FrozenClock) -> None:
    """A missed compare-and-set is a conflict, and what the action wrote before it is gone."""
    make_case(engine, "0001", state="assigned", clock=clock, co=())
    clock.advance(days=1)
    before = _picture(engine)
    with pytest.raises(Conflict) as caught:
        _stale_contacts(engine, {"0001"}, ["0001"])
    assert str(caught.value) == (
        "建议 测试会议/0001: changed by someone else (expected version 1); reload the case and retry"
    )
    assert _picture(engine) == before
    _stale_contacts(engine, set(), ["0001"])  # as read now, the same write goes through
    assert (engine.get("0001").version, row_count(engine, "contacts")) == (3, 1)


def test_a_batch_with_one_stale_case_writes_none_of_its_cases(engine: Engine, clock: FrozenClock) -> None:
    """One case of three changed since it was read: the batch is refused whole."""
    for number in ("0001", "0002", "0003"):
        make_case(engine, number, state="assigned", clock=clock, co=())
    before = _picture(engine)
    with pytest.raises(BatchConflict) as caught:
        _stale_contacts(engine, {"0002"}, ["0001", "0002", "0003"])
    assert str(caught.value) == (
        "contacts: 3 case(s) were to change but only 2 were still as read; nothing of the batch was written; "
        "run it again"
    )
    assert _picture(engine) == before


def test_a_transaction_that_fails_leaves_nothing(engine: Engine) -> None:
    """An exception or a refused statement rolls back the whole transaction; the next one goes through."""
    with pytest.raises(RuntimeError, match="stop"):
        _add_deputies(engine, "赵六", then_fail=True)
    with pytest.raises(
        ValidationError, match=r"^the database refused the change, nothing was written: .+; reload and retry$"
    ):
        _add_deputies(engine, "赵六", "张三")  # 张三 is taken
    assert [d.name for d in engine.deputies()] == sorted(DEFAULT_DEPUTIES)
    _add_deputies(engine, "赵六")
    assert [d.name for d in engine.deputies()] == sorted([*DEFAULT_DEPUTIES, "赵六"])


def test_a_second_writer_waits_for_the_first_and_loses_nothing(engine: Engine) -> None:
    """While one thread's transaction is open, another thread's transaction waits its turn (an in-memory
    database, one shared connection, included): both commit whole."""
    inside = threading.Event()
    errors: list[BaseException] = []

    def first() -> None:
        try:
            with engine.db.transaction() as conn:
                Raw(conn).insert("deputies", {"congress_id": engine.congress_id, "name": "甲一"})
                inside.set()
                time.sleep(0.3)  # the second thread asks for its transaction meanwhile
                Raw(conn).insert("deputies", {"congress_id": engine.congress_id, "name": "甲二"})
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)
            inside.set()

    def second() -> None:
        inside.wait()
        try:
            _add_deputies(engine, "乙一")
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert [d.name for d in engine.deputies()] == sorted([*DEFAULT_DEPUTIES, "甲一", "甲二", "乙一"])


def test_a_naive_instant_is_refused_on_every_database(engine: Engine) -> None:
    """An instant without a time zone is refused by the write path's SQL (PostgreSQL would read it in the
    server's zone), and by the sweep and the dispatcher's claim, whose "now" it would be."""
    naive = datetime(2026, 3, 1, 12)
    with (
        pytest.raises(ValueError, match="naive datetime 2026-03-01T12:00:00 refused"),
        engine.db.transaction() as conn,
    ):
        Raw(conn).run("UPDATE suggestions SET closed_at = :at", {"at": naive})
    with pytest.raises(ValueError, match=r"^now 2026-03-01T12:00:00 has no time zone"):
        sweep(engine, now=naive)
    with pytest.raises(ValueError, match=r"^now 2026-03-01T12:00:00 has no time zone"):
        outbox.claim(engine, owner="a", now=naive)


def test_a_refusal_the_database_raises_itself_is_one_line(engine: Engine, backend: str) -> None:
    """A trigger's own exception (not a constraint) rolls the transaction back and reads as one line."""
    if backend == "postgresql":
        statements = [
            "CREATE FUNCTION no_deputy() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
            "RAISE EXCEPTION 'deputies are closed'; END $$",
            "CREATE TRIGGER no_deputy BEFORE INSERT ON deputies FOR EACH ROW EXECUTE FUNCTION no_deputy()",
        ]
    else:
        statements = [
            "CREATE TRIGGER no_deputy BEFORE INSERT ON deputies BEGIN SELECT RAISE(FAIL, 'deputies are closed'); END"
        ]
    with engine.db.transaction() as conn:
        for sql in statements:
            Raw(conn).run(sql)
    with pytest.raises(
        WorkflowError, match=r"^the database refused the change, nothing was written: .*deputies are closed"
    ):
        _add_deputies(engine, "赵六")
    assert [d.name for d in engine.deputies()] == sorted(DEFAULT_DEPUTIES)


# ---- the outbox ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("count", [1, 3, 200, 201, 457])
def test_rows_inserted_many_at_a_time_go_in_once_each_in_order(engine: Engine, count: int) -> None:
    """A batch's rows go in many to a statement: every row once, with its values, ids in the order given (the
    rows after a full statement's worth too)."""
    names = [f"代表{i:04d}" for i in range(count)]
    with engine.db.transaction() as conn:
        Raw(conn).insert_many("deputies", [{"congress_id": engine.congress_id, "name": n} for n in names])
    added = [name for _id, name in sorted(table_rows(engine, "deputies", "id", "name")) if name in names]
    assert added == names


def test_a_wide_batch_stays_within_the_oldest_sqlite_parameter_limit(engine: Engine, backend: str) -> None:
    """SQLite before 3.32 binds at most 999 parameters a statement: a batch of wide rows (eight columns, more
    than 999 values in all) is split so that each statement stays within it, on a connection held to 999."""
    if backend == "postgresql":
        pytest.skip("SQLite's parameter limit: PostgreSQL sends one statement a row")
    at = datetime(2026, 3, 1, 1, 0, tzinfo=UTC)
    rows = [
        {
            "key": f"wide-{i:04d}",
            "topic": "assigned",
            "recipient_kind": "unit",
            "payload": "{}",
            "status": "pending",
            "attempts": 0,
            "created_at": at,
            "available_at": at,
        }
        for i in range(300)
    ]
    with engine.db.transaction() as conn:
        driver = conn.connection.driver_connection
        assert isinstance(driver, sqlite3.Connection)
        before = driver.setlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER, 999)
        try:
            Raw(conn).insert_many("outbox", rows)
        finally:
            driver.setlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER, before)
    keys = sorted(k for (k,) in table_rows(engine, "outbox", "key") if k.startswith("wide-"))
    assert keys == [r["key"] for r in rows]


def test_each_notice_is_written_once_for_its_event(engine: Engine, clock: FrozenClock) -> None:
    """Assignment tells each unit, the answer asks the deputy: one row each, keyed by case and version."""
    make_case(engine, "0001", state="closed", clock=clock)
    units = unit_ids(engine)
    assert [(n.key, n.topic, n.recipient_kind, n.recipient_id, n.status) for n in notices(engine)] == [
        (f"case:1:assigned:unit:{units[MAIN]}:v2", "assigned", "unit", units[MAIN], "pending"),
        (f"case:1:assigned:unit:{units[CO]}:v2", "assigned", "unit", units[CO], "pending"),
        ("case:1:feedback_request:deputy:1:v4", "feedback_request", "deputy", 1, "pending"),
    ]


def test_a_notice_key_is_written_once(engine: Engine, clock: FrozenClock) -> None:
    """A second row under a taken key is refused by the database; a digest under it is not written."""
    make_case(engine, "0001", state="assigned", clock=clock, co=())
    (first,) = notices(engine)
    again = outbox_row(first.key, first.case_id, "assigned", "unit", first.recipient_id, {}, clock.now())
    with (
        pytest.raises(ValidationError, match="the database refused the change"),
        engine.db.transaction() as conn,
    ):
        Raw(conn).insert("outbox", again)
    (claimed,) = outbox.claim(engine, owner="a", now=clock.now())
    assert outbox.fold(engine, [claimed], owner="a", key=first.key, payload={}, now=clock.now()) is None
    assert [(n.key, n.status) for n in notices(engine)] == [(first.key, "sending")]


def test_a_claimed_notice_is_not_claimed_again_while_its_lease_runs(
    engine: Engine, clock: FrozenClock
) -> None:
    """Nobody else claims a notice until its lease ends; the late owner's settlement then changes nothing."""
    make_case(engine, "0001", state="closed", clock=clock)
    now = clock.now()
    first = outbox.claim(engine, owner="a", now=now)
    assert [(n.id, n.status, n.attempts) for n in first] == [
        (1, "sending", 1),
        (2, "sending", 1),
        (3, "sending", 1),
    ]
    assert outbox.claim(engine, owner="b", now=now + timedelta(minutes=4)) == []
    later = now + timedelta(minutes=6)
    taken = outbox.claim(engine, owner="b", now=later)
    assert [(n.id, n.attempts) for n in taken] == [(1, 2), (2, 2), (3, 2)]
    assert outbox.settle(engine, first[0], owner="a", status="sent", now=later) is False
    assert [outbox.settle(engine, n, owner="b", status="sent", now=later) for n in taken] == [True] * 3
    assert [(n.status, n.sent_at) for n in notices(engine)] == [("sent", later)] * 3
    assert outbox.claim(engine, owner="c", now=later + timedelta(days=30)) == []


def test_two_dispatchers_claiming_at_once_never_share_a_notice(engine: Engine, clock: FrozenClock) -> None:
    """Two threads claim two rows at a time until nothing is left: each row is claimed by exactly one (an
    in-memory database, one shared connection, takes them in turn)."""
    for number in ("0001", "0002", "0003", "0004", "0005", "0006"):
        make_case(engine, number, state="assigned")
    start = threading.Barrier(2)
    claimed: dict[str, list[int]] = {}
    errors: list[BaseException] = []

    def dispatch(owner: str) -> None:
        mine: list[int] = []
        start.wait()
        try:
            for _ in range(12):  # six claims empty the outbox; more would mean rows came back
                found = outbox.claim(engine, owner=owner, now=clock.now(), limit=2)
                if not found:
                    break
                mine.extend(n.id for n in found)
        except BaseException as exc:  # reported below, with what each thread claimed
            errors.append(exc)
        claimed[owner] = mine

    threads = [threading.Thread(target=dispatch, args=(owner,)) for owner in ("a", "b")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert sorted(claimed["a"] + claimed["b"]) == list(range(1, 13))
    assert {n.status for n in notices(engine)} == {"sending"}


# ---- due steps ----------------------------------------------------------------------------------------


def test_due_steps_are_what_is_due_oldest_first(engine: Engine, clock: FrozenClock) -> None:
    """Open deadlines whose next look is at or before now, by that instant then id, up to the limit."""
    _several_cases(engine, clock)
    numbers = dict(table_rows(engine, "suggestions", "id", "number"))
    co = unit_ids(engine)[CO]
    ties = beijing("2026-03-26")  # the co-opinion reminders of the three cases assigned together

    def due(now: datetime, limit: int = 100) -> list[tuple[str, str, int | None]]:
        with engine.pipeline.batch(what="due steps") as batch:
            steps, cases = due_cases(batch.store, engine.congress_id, now, limit)
        assert sorted(cases) == sorted({row[1] for row in steps})
        assert {(c["number"], c["session_name"]) for c in cases.values()} == {
            (numbers[row[1]], DEFAULT_SESSION) for row in steps
        }
        return [(numbers[row[1]], row[2], row[3]) for row in steps]

    assert due(ties) == [
        ("0004", "feedback", None),
        ("0001", "co_opinion", co),
        ("0002", "co_opinion", co),
        ("0003", "co_opinion", co),
    ]
    assert due(ties - timedelta(microseconds=1)) == [("0004", "feedback", None)]
    assert due(ties, limit=2) == [("0004", "feedback", None), ("0001", "co_opinion", co)]
    assert due(beijing("2026-03-19")) == []


def test_upcoming_steps_are_those_a_unit_owes_in_order(engine: Engine, clock: FrozenClock) -> None:
    """The forecast reads what comes due by the horizon, of one unit if asked, in order."""
    _several_cases(engine, clock)
    units = unit_ids(engine)
    with engine.db.reading() as conn:
        everyone = upcoming_steps(conn, engine.congress_id, beijing("2026-05-31"), None)
        co_unit = upcoming_steps(conn, engine.congress_id, beijing("2026-05-31"), units[CO])
    assert [(r[11], r[2]) for r in everyone.rows] == [
        ("0004", "feedback"),
        ("0001", "co_opinion"),
        ("0002", "co_opinion"),
        ("0003", "co_opinion"),
        ("0001", "answer"),
        ("0002", "answer"),
        ("0003", "answer"),
    ]
    assert [(r[11], r[2]) for r in co_unit.rows] == [
        ("0001", "co_opinion"),
        ("0002", "co_opinion"),
        ("0003", "co_opinion"),
    ]
    assert sorted(co_unit.mains.values()) == [[units[MAIN]]] * 3
    assert co_unit.names.name(units[CO]) == CO


# ---- selections ---------------------------------------------------------------------------------------


def _selected_by_ranges(engine: Engine, selection: Selection, width: int) -> list[tuple[str, list[str]]]:
    """Each selected case (number, kinds of its selected deadlines), read ``width`` ids at a time."""
    numbers = dict(table_rows(engine, "suggestions", "id", "number"))
    with engine.db.reading() as conn:
        bounds = id_range(conn, selection)
    assert bounds is not None
    found: list[tuple[str, list[str]]] = []
    for lo in range(bounds[0], bounds[1] + 1, width):
        with engine.pipeline.batch(what="selection") as batch:
            part = read_range(batch.store, selection, lo, lo + width - 1)
        ids = [c.id for c in part]
        assert ids == sorted(set(ids)), f"ids {lo}–{lo + width - 1}: {ids} are not each once, in order"
        assert all(lo <= i < lo + width for i in ids), f"ids {lo}–{lo + width - 1}: {ids} go out of the range"
        found.extend((numbers[c.id], [d.kind for d in c.deadlines]) for c in part)
    return found


def test_id_ranges_cover_every_selected_case_exactly_once(engine: Engine, clock: FrozenClock) -> None:
    """Range by range, each open assigned case with a selected deadline comes once, in id order."""
    _several_cases(engine, clock)
    selection = Selection.touching(beijing("2026-04-01"), date(2026, 12, 31))
    expected = [(n, ["answer", "co_opinion"]) for n in ("0001", "0002", "0003")]
    for width in (1, 2, 3, 1000):
        assert _selected_by_ranges(engine, selection, width) == expected


def test_a_repinning_selection_takes_every_open_assigned_case(engine: Engine, clock: FrozenClock) -> None:
    """Moving to another rule set selects every open assigned case once, with its open deadlines."""
    _several_cases(engine, clock)
    expected = [
        (n, ["return_window", "answer", "return_window", "co_opinion"]) for n in ("0001", "0002", "0003")
    ]
    selection = Selection.not_on("其他规则", 1, engine.congress_id)
    for width in (1, 3):
        assert _selected_by_ranges(engine, selection, width) == [*expected, ("0004", ["feedback"])]
    rs = engine.active_ruleset()
    with engine.db.reading() as conn:
        assert id_range(conn, Selection.not_on(rs.id, rs.version, engine.congress_id)) is None


# ---- the directory and the congresses -----------------------------------------------------------------


def test_units_and_deputies_are_found_by_name_and_by_id(engine: Engine) -> None:
    """Names and ids translate both ways from the tables; an unknown name says how to add it."""
    directory = Directory(engine.db, engine.congress_id, engine.congress)
    with engine.db.reading() as conn:
        units = {name: directory.unit_id(conn, name) for name in DEFAULT_UNITS}
        deputies = {name: directory.deputy_id(conn, name) for name in DEFAULT_DEPUTIES}
        fresh = Directory(engine.db, engine.congress_id, engine.congress)
        assert {fresh.unit_name(conn, i): i for i in units.values()} == units
        assert {fresh.deputy_name(conn, i): i for i in deputies.values()} == deputies
        with pytest.raises(
            NotFound, match=r"^unit '无此单位' not found \(add it with `jianyi unit add 无此单位`\)$"
        ):
            directory.unit_id(conn, "无此单位")
    assert (len(set(units.values())), len(set(deputies.values()))) == (4, 3)
    assert units == unit_ids(engine)


@pytest.mark.parametrize(
    ("add", "message"),
    [
        (
            lambda e: e.add_unit("坏\x1b[2J单位"),
            r"^unit name '坏\\x1b\[2J单位' holds a control character \(U\+001B\)",
        ),
        (
            lambda e: e.add_unit("市\n水利局"),
            r"^unit name '市\\n水利局' holds a control character \(U\+000A\)",
        ),
        (
            lambda e: e.add_deputy("张\u200b三"),
            r"^deputy name '张\\u200b三' holds a control character \(U\+200B\)",
        ),
        (lambda e: e.add_session("第二次\r会议"), r"^session name '第二次\\r会议' holds a control character"),
        (
            lambda e: e.add_unit("市水利局", email="a@b.org\r\nBcc: x@y.org"),
            r"^市水利局: --email .+ \(U\+000D\)",
        ),
        (lambda e: e.add_unit("  "), r"^a unit needs a name$"),
    ],
    ids=["escape", "line-break", "zero-width", "carriage-return", "header-injection", "blank"],
)
def test_a_name_with_a_control_character_is_refused_and_nothing_added(
    engine: Engine, add: Callable[[Engine], object], message: str
) -> None:
    """A name or contact that would break a list, a mail header or a terminal is refused, the character
    named (escaped in the message itself), and nothing is added."""
    before = (row_count(engine, "units"), row_count(engine, "deputies"), row_count(engine, "sessions"))
    with pytest.raises(ValidationError, match=message):
        add(engine)
    assert (
        row_count(engine, "units"),
        row_count(engine, "deputies"),
        row_count(engine, "sessions"),
    ) == before


def test_a_unit_name_is_taken_once_and_listed_with_its_parent(engine: Engine) -> None:
    """A second unit of the same name is refused and changes nothing; units list by name with their parent."""
    engine.add_unit(
        "公交处", parent=MAIN, email="gj@example.cn", phone="12345", webhook="https://example.cn/h"
    )
    with pytest.raises(
        ValidationError,
        match=r"^unit '市财政局' already exists \(change it with `jianyi unit edit 市财政局 --email …`\)$",
    ):
        engine.add_unit("市财政局", email="other@example.cn")
    assert engine.units() == [
        UnitInfo("公交处", MAIN, "gj@example.cn", "12345", "https://example.cn/h"),
        *(UnitInfo(name, None, None, None, None) for name in sorted(DEFAULT_UNITS)),
    ]


def test_one_session_is_current(engine: Engine) -> None:
    """Adding a current session, or naming one current, leaves exactly one current; case look-ups follow."""
    engine.add_session("第二次会议", term="十四届", year=2027, current=True)
    assert engine.sessions() == [
        SessionInfo(DEFAULT_SESSION, None, None, False),
        SessionInfo("第二次会议", "十四届", 2027, True),
    ]
    with pytest.raises(ValidationError, match="session '第二次会议' already exists in congress 'default'"):
        engine.add_session("第二次会议")
    engine.set_current_session(DEFAULT_SESSION)
    assert [s.current for s in engine.sessions()] == [True, False]
    with engine.db.reading() as conn:
        assert engine.directory.session_ref(conn, None) == (1, DEFAULT_SESSION)


def test_congresses_are_found_alone_or_by_name(engine: Engine) -> None:
    """The only congress is found without a name; with several, the default one; each keeps its own units."""
    rs = engine.active_ruleset()
    with engine.db.reading() as conn:
        assert find_congress(conn, None) == (engine.congress_id, "default")
    with engine.db.managed() as conn:
        ensure_congress(conn, "某市人大", "city", rs, engine.clock.now())
        ensure_congress(conn, "某市人大", "county", rs, engine.clock.now())  # exists: unchanged
        with pytest.raises(
            ValidationError,
            match=r"^congress level 'state' unknown: use national, province, city, county or township$",
        ):
            ensure_congress(conn, "另一人大", "state", rs, engine.clock.now())
    with engine.db.reading() as conn:
        other = find_congress(conn, "某市人大")
        assert (find_congress(conn, None), find_congress(conn, "无此人大")) == (
            (engine.congress_id, "default"),
            None,
        )
    assert other is not None
    assert table_rows(engine, "congresses", "name", "level") == [
        ("default", "province"),
        ("某市人大", "city"),
    ]
    city = Engine(engine.db, congress="某市人大", clock=engine.clock)
    assert city.units() == []
    city.add_unit(MAIN)  # the same name in another congress
    assert [u.name for u in city.units()] == [MAIN]
    assert len(engine.units()) == 4


# ---- tallies, the audit trail, the ledger -------------------------------------------------------------


def test_tallies_are_what_the_tables_say(engine: Engine, clock: FrozenClock) -> None:
    """Each case's tallies are what its answers, feedback, contacts and deadlines say, and are rebuilt so."""
    make_case(engine, "0001", state="closed", clock=clock, co=())  # answered on 03-04, satisfied
    make_case(engine, "0002", state="assigned", clock=clock, co=())  # assigned on 03-06
    engine.contact("0002", method="visit", unit=MAIN)
    clock.set(beijing("2026-06-10"))  # past the answer's due date
    engine.answer("0002", category="A", text="x")
    make_case(engine, "0003", state="assigned", clock=clock, co=())  # assigned on 06-11
    engine.contact("0003", method="phone", unit=MAIN)
    clock.advance(days=1)
    engine.answer("0003", category="C", text="x")
    engine.feedback("0003", rating="unsatisfied", comment="未解决")
    engine.answer("0003", category="A", text="y")
    engine.feedback("0003", rating="basic")
    make_case(engine, "0004", state="submitted", clock=clock)
    make_case(engine, "0005", state="assigned", clock=clock, co=(), main="市财政局")
    open_answer = next(d.due_at for d in engine.get("0005").deadlines if d.kind == "answer")
    main, finance = unit_ids(engine)[MAIN], unit_ids(engine)["市财政局"]
    expected = [
        ("0001", beijing("2026-03-04"), "satisfied", 0, 1, main, None),
        ("0002", beijing("2026-06-10"), None, 2, 2, main, None),
        ("0003", beijing("2026-06-12"), "basic", 1, 1, main, None),
        ("0004", None, None, 0, 0, None, None),
        ("0005", None, None, 0, 0, finance, open_answer),
    ]
    columns = (
        "number", "first_answer_at", "rating", "contact_level", "answer_met", "main_unit_id", "answer_due_at"
    )  # fmt: skip
    assert table_rows(engine, "suggestions", *columns) == expected
    with engine.db.transaction() as conn:
        Raw(conn).run(
            "UPDATE suggestions SET first_answer_at = NULL, rating = NULL, contact_level = 0, answer_met = 0, "
            "main_unit_id = NULL, answer_due_at = NULL"
        )
    assert {r[1:] for r in table_rows(engine, "suggestions", *columns)} == {(None, None, 0, 0, None, None)}
    with engine.db.transaction() as conn:
        tally.refresh(Raw(conn), [1, 2, 3, 4, 5])
    assert table_rows(engine, "suggestions", *columns) == expected


def test_the_audit_chain_verifies_after_writes_and_names_an_altered_event(
    engine: Engine, clock: FrozenClock
) -> None:
    """Every chain verifies as stored (instants to the microsecond); an edited event is named."""
    engine.submit("0001", title="甲", deputy="张三", at=clock.now() - timedelta(microseconds=987654))
    make_case(engine, "0002", state="closed", clock=clock)
    make_case(engine, "0003", state="re_handled", clock=clock)
    assert engine.verify_audit() == (3, [])
    with engine.db.transaction() as conn:
        Raw(conn).run(
            "UPDATE audit_events SET data = :data WHERE suggestion_id = 2 AND seq = 3", {"data": "{}"}
        )
    checked, problems = engine.verify_audit()
    assert (checked, [str(p) for p in problems]) == (
        3,
        ["建议 测试会议/0002: event #3: altered (its hash does not match its content)"],
    )


def test_case_facts_say_what_a_ledger_import_needs(engine: Engine, clock: FrozenClock) -> None:
    """State, answered, converted, feedback, title and lead deputy of the numbers the session holds; others
    are absent."""
    make_case(engine, "0001", state="closed", clock=clock, category="B")
    engine.convert("0001", to="A", evidence="已解决")
    make_case(engine, "0002", state="answered", clock=clock)
    make_case(engine, "0003", state="submitted", clock=clock)
    with engine.db.reading() as conn:
        facts = case_facts(conn, engine.directory.session_id(conn, None), ["0001", "0002", "0003", "9999"])
    assert facts == {
        "0001": CaseFacts(
            "closed", True, converted=True, feedback=True, title="测试建议 0001", deputy="张三"
        ),
        "0002": CaseFacts(
            "answered", True, converted=False, feedback=False, title="测试建议 0002", deputy="张三"
        ),
        "0003": CaseFacts(
            "submitted", False, converted=False, feedback=False, title="测试建议 0003", deputy="张三"
        ),
    }


# ---- the schema ---------------------------------------------------------------------------------------


def test_migrations_bring_an_empty_database_to_the_current_schema(empty_database: str | Path) -> None:
    """An empty database is refused until upgraded; then it has the models' schema; again, nothing changes."""
    engine = db.connect(empty_database)
    try:
        assert db.current_revision(engine) is None
        with pytest.raises(NotInitialised, match="no jianyi schema"):
            db.check_schema(engine)
        db.upgrade(engine)
        db.upgrade(engine)
        assert db.current_revision(engine) == db.HEAD_REVISION
        db.check_schema(engine)
        with engine.connect() as conn:
            context = MigrationContext.configure(
                conn, opts={"compare_type": True, "include_name": is_search_object}
            )
            assert compare_metadata(context, SQLModel.metadata) == []
    finally:
        engine.dispose()


def test_an_instant_written_by_sql_reads_back_through_the_models(engine: Engine) -> None:
    """The write path's SQL stores an instant of any zone as the models read it: the same instant, in UTC."""
    at = datetime(2026, 3, 1, 23, 59, 59, 999999, tzinfo=timezone(timedelta(hours=-5)))
    engine.submit("0001", title="甲", deputy="张三", at=beijing("2026-03-01"))
    with engine.db.transaction() as conn:
        Raw(conn).run("UPDATE suggestions SET closed_at = :at WHERE number = '0001'", {"at": at})
    assert table_rows(engine, "suggestions", "closed_at") == [(at.astimezone(UTC),)]


@pytest.mark.parametrize(
    ("add", "message"),
    [
        (lambda e: e.add_unit("局" * 201), r"^unit name is 201 characters long; at most 200 fit$"),
        (lambda e: e.add_deputy("张" * 101), r"^deputy name is 101 characters long; at most 100 fit$"),
        (
            lambda e: e.add_unit("市水利局", phone="1" * 51),
            r"^unit phone is 51 characters long; at most 50 fit$",
        ),
        (lambda e: e.add_session("会" * 101), r"^session name is 101 characters long; at most 100 fit$"),
        (
            lambda e: e.submit("1" * 41, title="标题", deputy="张三"),
            r"^建议 1{40}: number is 41 characters long; at most 40 fit$",
        ),
        (
            lambda e: e.submit("0009", title="题" * 501, deputy="张三"),
            r"^建议 0009: title is 501 characters long; at most 500 fit$",
        ),
    ],
    ids=["unit", "deputy", "phone", "session", "number", "title"],
)
def test_a_value_longer_than_its_column_is_refused_alike_on_every_database(
    engine: Engine, add: Callable[[Engine], object], message: str
) -> None:
    """SQLite would store an over-long name and PostgreSQL refuse it: both refuse it first, the same way."""
    before = [row_count(engine, t) for t in ("units", "deputies", "sessions", "suggestions")]
    with pytest.raises(ValidationError, match=message):
        add(engine)
    assert [row_count(engine, t) for t in ("units", "deputies", "sessions", "suggestions")] == before


def _insert_case_then_refuse(engine: Engine, row: dict[str, object]) -> None:
    """Insert ``row`` as a new case and raise LookupError with what the store answered (as the caller refuses a
    taken number, which ends the transaction)."""
    with engine.pipeline.batch(what="cases") as batch:
        raise LookupError(batch.store.insert_case(row))


def test_a_case_number_taken_is_told_apart_from_any_other_refusal_of_the_row(engine: Engine) -> None:
    """A new case whose number is taken in its session comes back as None (the caller names the taken
    number); a row the database refuses for another reason (here a state left empty) is raised, never taken
    for a taken number."""
    make_case(engine, "A-1")
    with engine.db.reading() as conn:
        row = Raw(conn).rows("SELECT * FROM suggestions")[0]
    del row["id"]
    with pytest.raises(LookupError) as answer:
        _insert_case_then_refuse(engine, dict(row))
    assert answer.value.args == (None,)
    with pytest.raises(Exception, match=r"(?i)null"):
        _insert_case_then_refuse(engine, dict(row, number="A-2", state=None))
    assert row_count(engine, "suggestions") == 1
