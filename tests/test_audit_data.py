"""The audit covers the data, and can be anchored: rows changed, deleted or forged behind the engine's back are
named (case, table, row, event) by `audit verify` and by the engine, on SQLite and PostgreSQL; a deleted, forged
or rebuilt chain is caught against an anchor."""

from __future__ import annotations

import contextlib
import hashlib
import json
from collections.abc import Sequence
from datetime import date, datetime, timedelta
from importlib import resources
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from alembic.config import Config
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import select, text
from sqlmodel import SQLModel

from cli import cli
from rules import parse_ruleset
from workflow.core.anchor import Anchor, AnchoredCase, merkle_root
from workflow.core.audit import AuditProblem, chain_hash
from workflow.core.errors import WorkflowError
from workflow.core.records import COVERED, EXCLUDED, ROW_TABLES
from workflow.core.views import Actor
from workflow.engine import Engine, Promised
from workflow.store import db as wdb
from workflow.store.models import AuditEvent, table
from workflow.store.sql import Raw
from workflow.sweep import sweep
from workflow.testing import DEFAULT_UNITS, FrozenClock, make_case, make_engine

BACKENDS = pytest.mark.parametrize(
    "backend", ["sqlite-file", pytest.param("postgresql", marks=pytest.mark.postgres)], indirect=True
)
KEY = "办公室的审计密钥-0123456789abcdef"
MAIN, CO, OTHER = DEFAULT_UNITS[0], DEFAULT_UNITS[1], DEFAULT_UNITS[3]
AUDIT = table(AuditEvent)


# ---- helpers --------------------------------------------------------------------------------------------
def _sql(engine: Engine, statement: str, **params: Any) -> None:
    """Run ``statement`` on the database's driver, as someone with write access to it would (``:name``
    parameters; instants and dates given as Python values are stored as the engine stores them)."""
    with engine.db.transaction() as conn:
        Raw(conn).run(statement, params)


def _one(engine: Engine, statement: str, **params: Any) -> Any:
    with engine.db.engine.connect() as conn:
        return conn.execute(text(statement), params).scalar_one()


def _case_id(engine: Engine, number: str) -> int:
    return int(_one(engine, "SELECT id FROM suggestions WHERE number = :n", n=number))


def _verify(
    engine: Engine, runner: CliRunner, *, anchor: Path | None = None, key: str = KEY
) -> list[AuditProblem]:
    """The problems the engine finds, checked to be the lines `jianyi audit verify` prints before its summary,
    with exit code 9 when there are any (0 otherwise)."""
    parsed = None if anchor is None else Anchor.parse(anchor.read_text(encoding="utf-8"), source=str(anchor))
    problems = engine.verify_audit(anchor=parsed, key=None if anchor is None else key.encode())[1]
    args = ["--db", engine.url, "audit", "verify"] + ([] if anchor is None else ["--anchor", str(anchor)])
    result = CliRunner().invoke(cli, args, env={"JIANYI_AUDIT_KEY": key})
    assert result.stdout.splitlines()[:-1] == [str(p) for p in problems]
    assert result.exit_code == (9 if problems else 0), result.stderr
    return problems


def _lines(problems: Sequence[AuditProblem]) -> list[str]:
    return [str(p) for p in problems]


def _anchor(engine: Engine, clock: FrozenClock, folder: Path) -> Path:
    """An anchor of the database now (the engine's API), written to a file."""
    path = folder / "anchor.json"
    path.write_text(engine.audit_anchor(KEY.encode(), now=clock.now()).text(), encoding="utf-8")
    return path


def _b_case(engine: Engine, clock: FrozenClock, number: str = "0001", *, state: str = "closed") -> None:
    make_case(engine, number, state=state, clock=clock, category="B", co=())


# ---- what is covered ------------------------------------------------------------------------------------
def test_every_column_of_the_case_tables_is_covered_or_excluded_with_a_reason() -> None:
    """A new column cannot go unchecked unnoticed: each is in a record or named as left out, and why."""
    for name, columns in COVERED.items():
        model = set(SQLModel.metadata.tables[name].columns.keys())
        assert set(columns) | set(EXCLUDED[name]) == model, name
        assert not set(columns) & set(EXCLUDED[name])
    assert all("audit_ref" in SQLModel.metadata.tables[t].columns for t in ROW_TABLES)


@BACKENDS
def test_an_untouched_database_verifies_with_every_row_covered(
    engine: Engine, clock: FrozenClock, runner: CliRunner
) -> None:
    """Every action's rows verify; the summary says what was compared and that nothing predates the records."""
    _b_case(engine, clock, "0001")
    engine.convert("0001", to="A", evidence="线路已调整")
    make_case(engine, "0002", state="re_handled", clock=clock)
    make_case(engine, "0003", state="withdrawn", clock=clock)
    engine.submit("0004", title="乙", deputy="张三", co_signers=("李四", "王五"))
    report = engine.check_audit()
    assert (report.cases, report.problems, report.uncovered_events, report.uncovered_rows) == (4, (), 0, 0)
    result = runner.invoke(cli, ["--db", engine.url, "audit", "verify"])
    assert result.exit_code == 0
    assert (
        result.stdout
        == f"4 case(s), {report.events} event(s) and {report.rows} row(s) checked, 0 problem(s)\n"
    )


# ---- rows changed, deleted or forged --------------------------------------------------------------------
@BACKENDS
def test_an_answer_class_changed_from_b_to_a_is_named(
    engine: Engine, clock: FrozenClock, runner: CliRunner
) -> None:
    """answers.category B→A: the answer row and the event that wrote it."""
    _b_case(engine, clock)
    answer = _one(engine, "SELECT id FROM answers")
    _sql(engine, "UPDATE answers SET category = 'A' WHERE id = :id", id=answer)
    problems = _verify(engine, runner)
    assert _lines(problems) == [
        f"建议 测试会议/0001: answers row {answer}, event #3: category is 'A' but the event wrote 'B'"
    ]
    assert (problems[0].table, problems[0].row, problems[0].seq) == ("answers", str(answer), 3)


@BACKENDS
def test_a_case_class_changed_from_b_to_a_is_named(
    engine: Engine, clock: FrozenClock, runner: CliRunner
) -> None:
    """suggestions.category and current_category B→A: the case row, each column with its event."""
    _b_case(engine, clock)
    case = _case_id(engine, "0001")
    _sql(engine, "UPDATE suggestions SET category = 'A', current_category = 'A' WHERE id = :id", id=case)
    assert _lines(_verify(engine, runner)) == [
        f"建议 测试会议/0001: suggestions row {case}, event #3: category is 'A' but the event wrote 'B'",
        f"建议 测试会议/0001: suggestions row {case}, event #3: current_category is 'A' but the event wrote 'B'",
    ]


@BACKENDS
def test_a_feedback_rating_changed_is_named(engine: Engine, clock: FrozenClock, runner: CliRunner) -> None:
    """feedback.rating unsatisfied→satisfied: the feedback row; the case's rating tally no longer agrees."""
    make_case(engine, "0001", state="re_handled", clock=clock, co=())
    feedback, case = _one(engine, "SELECT id FROM feedback"), _case_id(engine, "0001")
    _sql(engine, "UPDATE feedback SET rating = 'satisfied' WHERE id = :id", id=feedback)
    assert _lines(_verify(engine, runner)) == [
        f"建议 测试会议/0001: feedback row {feedback}, event #4: rating is 'satisfied' but the event wrote "
        "'unsatisfied'",
        f"建议 测试会议/0001: suggestions row {case}, event #5: rating is 'unsatisfied' but the case's rows give "
        "'satisfied' (a tally the reports read)",
    ]


@BACKENDS
def test_a_deadline_marked_met_is_named(engine: Engine, clock: FrozenClock, runner: CliRunner) -> None:
    """An open answer deadline marked met on time: each column, with the event that opened the deadline."""
    make_case(engine, "0001", state="assigned", clock=clock, co=())
    deadline = _one(engine, "SELECT id FROM deadlines WHERE kind = 'answer'")
    _sql(
        engine,
        "UPDATE deadlines SET status = 'met', met_at = due_at, late = :no, next_step_at = NULL WHERE id = :id",
        id=deadline,
        no=False,
    )
    case = _case_id(engine, "0001")
    due_at = "2026-06-03T16:00:00.000000+00:00"  # the last day, 24:00 Beijing time
    assert _lines(_verify(engine, runner)) == [
        f"建议 测试会议/0001: deadlines row {deadline}, event #2: status is 'met' but the event wrote 'open'",
        f"建议 测试会议/0001: deadlines row {deadline}, event #2: met_at is '{due_at}' but the event wrote NULL",
        f"建议 测试会议/0001: deadlines row {deadline}, event #2: late is false but the event wrote NULL",
        f"建议 测试会议/0001: suggestions row {case}, event #2: answer_met is 0 but the case's rows give 1 (a tally "
        "the reports read)",
        f"建议 测试会议/0001: suggestions row {case}, event #2: answer_due_at is '{due_at}' but the case's rows "
        "give NULL (a tally the reports read)",
    ]


@BACKENDS
def test_a_main_unit_swapped_is_named(engine: Engine, clock: FrozenClock, runner: CliRunner) -> None:
    """The main unit's assignment given to another unit, its tally with it: the assignment row is named."""
    make_case(engine, "0001", state="assigned", clock=clock, co=())
    other = _one(engine, "SELECT id FROM units WHERE name = :n", n=OTHER)
    main = _one(engine, "SELECT id FROM units WHERE name = :n", n=MAIN)
    row = _one(engine, "SELECT id FROM assignments WHERE role = 'main'")
    _sql(engine, "UPDATE assignments SET unit_id = :u WHERE id = :id", u=other, id=row)
    _sql(engine, "UPDATE suggestions SET main_unit_id = :u", u=other)
    assert _lines(_verify(engine, runner)) == [
        f"建议 测试会议/0001: assignments row {row}, event #2: unit_id is {other} but the event wrote {main}"
    ]


@BACKENDS
def test_a_main_unit_swapped_in_the_case_row_alone_is_named(
    engine: Engine, clock: FrozenClock, runner: CliRunner
) -> None:
    """The case's main-unit tally (what the reports group by) changed alone: the case row is named."""
    make_case(engine, "0001", state="answered", clock=clock, co=())
    other = _one(engine, "SELECT id FROM units WHERE name = :n", n=OTHER)
    main = _one(engine, "SELECT id FROM units WHERE name = :n", n=MAIN)
    case = _case_id(engine, "0001")
    _sql(engine, "UPDATE suggestions SET main_unit_id = :u", u=other)
    assert _lines(_verify(engine, runner)) == [
        f"建议 测试会议/0001: suggestions row {case}, event #3: main_unit_id is {other} but the case's rows give "
        f"{main} (a tally the reports read)"
    ]


@BACKENDS
def test_a_lead_deputy_swapped_is_named(engine: Engine, clock: FrozenClock, runner: CliRunner) -> None:
    """suggestions.lead_deputy_id changed: the case row and the submit event."""
    make_case(engine, "0001", state="answered", clock=clock, co=())
    case = _case_id(engine, "0001")
    before = _one(engine, "SELECT lead_deputy_id FROM suggestions")
    other = _one(engine, "SELECT id FROM deputies WHERE name = '李四'")
    _sql(engine, "UPDATE suggestions SET lead_deputy_id = :d", d=other)
    problems = _verify(engine, runner)
    assert _lines(problems) == [
        f"建议 测试会议/0001: suggestions row {case}, event #1: lead_deputy_id is {other} but the event wrote "
        f"{before}"
    ]
    assert (problems[0].table, problems[0].row, problems[0].seq) == ("suggestions", str(case), 1)


@BACKENDS
def test_a_deleted_row_is_named(engine: Engine, clock: FrozenClock, runner: CliRunner) -> None:
    """A contact deleted: named by the audit_ref its event gave it, with that event."""
    make_case(engine, "0001", state="assigned", clock=clock, co=())
    engine.contact("0001", method="visit", unit=MAIN)
    _sql(engine, "DELETE FROM contacts")
    problems = _verify(engine, runner)
    assert _lines(problems) == [
        "建议 测试会议/0001: contacts row 3.1, event #3: missing: the event wrote this row (audit_ref 3.1), no "
        "row holds it now"
    ]
    assert (problems[0].table, problems[0].row, problems[0].seq) == ("contacts", "3.1", 3)


@BACKENDS
def test_a_forged_row_is_named(engine: Engine, clock: FrozenClock, runner: CliRunner) -> None:
    """A contact inserted by SQL, without an audit_ref or with one copied from a real row: both are forged."""
    make_case(engine, "0001", state="assigned", clock=clock, co=())
    engine.contact("0001", method="phone", unit=MAIN)
    for ref in (None, "3.1"):
        _sql(
            engine,
            "INSERT INTO contacts (suggestion_id, unit_id, round, method, stage, note, at, audit_ref) "
            "SELECT suggestion_id, unit_id, round, 'visit', stage, note, at, :ref FROM contacts WHERE id = 1",
            ref=ref,
        )
    assert _lines(_verify(engine, runner)) == [
        "建议 测试会议/0001: contacts row 2: no event wrote it (it has no audit_ref): forged",
        "建议 测试会议/0001: contacts row 3, event #3: no event wrote it (another row has the same audit_ref): "
        "forged, or its audit_ref was altered",
    ]


def test_a_moved_deadline_put_back_is_named_with_the_recomputation(
    engine: Engine, clock: FrozenClock, runner: CliRunner
) -> None:
    """A deadline a new rule set moved, set back by SQL: the recomputation's event is named."""
    make_case(engine, "0001", state="answered", clock=clock, co=())
    faster = parse_ruleset(
        'id = "national"\nversion = 2\nextends = "national"\n[deadlines.feedback]\namount = 5\n'
    )
    engine.apply_ruleset(faster, open_cases=True)
    deadline = _one(engine, "SELECT id FROM deadlines WHERE kind = 'feedback'")
    assert _verify(engine, runner) == []
    _sql(engine, "UPDATE deadlines SET due = '2026-03-26' WHERE id = :id", id=deadline)
    assert _lines(_verify(engine, runner)) == [
        f"建议 测试会议/0001: deadlines row {deadline}, event #4: due is '2026-03-26' but the event wrote "
        "'2026-03-11'"
    ]


def test_what_the_sweep_wrote_is_covered(engine: Engine, clock: FrozenClock, runner: CliRunner) -> None:
    """A feedback window closed by the sweep (lapse): the deadline it missed, put back to open, is named."""
    make_case(engine, "0001", state="answered", clock=clock, co=())
    clock.advance(days=40)
    report = sweep(engine, now=clock.now())
    assert report.lapsed == 1
    assert _verify(engine, runner) == []
    deadline = _one(engine, "SELECT id FROM deadlines WHERE kind = 'feedback'")
    _sql(engine, "UPDATE deadlines SET status = 'open' WHERE id = :id", id=deadline)
    lines = _lines(_verify(engine, runner))
    assert f"建议 测试会议/0001: deadlines row {deadline}, event #" in lines[0]
    assert lines[0].endswith(": status is 'open' but the event wrote 'missed'")


# ---- existing databases -------------------------------------------------------------------------------
def _as_before_records(engine: Engine) -> None:
    """Make the database what jianyi wrote before row records: no record on any event (each hashed as it was
    then) and no audit_ref on any row."""
    for number in ("0001", "0002"):
        _rechain(engine, number, lambda ev: {"written": None})
    for name in ROW_TABLES:
        _sql(engine, f"UPDATE {name} SET audit_ref = NULL")


def test_events_from_before_the_records_still_verify_and_are_counted(
    db_path: Path, clock: FrozenClock, runner: CliRunner
) -> None:
    """A database upgraded from 0006: its events carry no record and verify on their hashes alone, computed as
    they always were (counted in the summary); the actions after the upgrade are covered, on old cases too."""
    with Engine.open(db_path, clock=clock) as engine:
        make_case(engine, "0001", state="assigned", clock=clock, co=())
        make_case(engine, "0002", state="closed", clock=clock, co=())
        _as_before_records(engine)
        with engine.db.engine.connect() as conn:
            ev = conn.execute(select(AUDIT).where(AUDIT.c.seq == 1)).first()
        assert ev is not None
        parts = [ev.prev_hash, str(ev.suggestion_id), "1", ev.at.isoformat(timespec="microseconds")]
        parts += [
            ev.recorded_at.isoformat(timespec="microseconds"),
            ev.actor,
            ev.action,
            "",
            ev.to_state,
            "1",
        ]
        assert (
            ev.hash == hashlib.sha256("\x1f".join([*parts, ev.data]).encode()).hexdigest()
        )  # 0006's formula
    config = Config()
    config.set_main_option("script_location", str(resources.files("workflow.store") / "migrations"))
    db = wdb.connect(db_path)
    with db.begin() as conn:
        config.attributes["connection"] = conn
        command.downgrade(config, "0006")
    db.dispose()
    with Engine.init(db_path, clock=clock) as engine:
        report = engine.check_audit()
        assert (report.problems, report.uncovered_events, report.uncovered_rows) == ((), 7, 9)
        clock.advance(days=1)
        engine.answer(  # settles an old deadline
            "0001",
            category="B",
            text="列入计划",
            actor=Actor.unit(MAIN),
            promises=[Promised("修路", date(2026, 12, 31))],
        )
        again = engine.check_audit()
        assert (again.problems, again.uncovered_events) == ((), 7)
        result = runner.invoke(cli, ["--db", str(db_path), "audit", "verify"])
        assert result.stdout == (
            f"2 case(s), 8 event(s) and {again.rows} row(s) (7 event(s) and 9 row(s) from before row records, "
            "chain only) checked, 0 problem(s)\n"
        )
        _sql(engine, "UPDATE answers SET category = 'A' WHERE suggestion_id = 1")
        assert _lines(_verify(engine, runner)) == [
            "建议 测试会议/0001: answers row 2, event #3: category is 'A' but the event wrote 'B'"
        ]


def test_an_event_without_a_record_after_one_with_is_named(
    engine: Engine, clock: FrozenClock, runner: CliRunner
) -> None:
    """Records never stop once begun: an event whose record was removed (hash recomputed) is named."""
    make_case(engine, "0001", state="assigned", clock=clock, co=())
    _rechain(engine, "0001", lambda ev: {"written": None} if ev.seq == 2 else {})
    lines = _lines(_verify(engine, runner))
    assert (
        lines[0]
        == "建议 测试会议/0001: event #2: has no record of its rows, though an event before it has one"
    )


# ---- the anchor ---------------------------------------------------------------------------------------
def _rechain(engine: Engine, number: str, change: Any) -> None:
    """Rewrite a case's events (``change(event)`` gives new values of an event's columns) and recompute every
    hash and the case's head, as someone who knows the hashing (it is published) would."""
    case = _case_id(engine, number)
    with engine.db.engine.begin() as conn:
        events = conn.execute(select(AUDIT).where(AUDIT.c.suggestion_id == case).order_by(AUDIT.c.seq)).all()
        prev = "0" * 64
        for ev in events:
            values = {"data": ev.data, "written": ev.written} | change(ev)
            digest = chain_hash(
                prev=prev,
                case_id=case,
                seq=ev.seq,
                at=ev.at,
                recorded_at=ev.recorded_at,
                actor=ev.actor,
                action=ev.action,
                from_state=ev.from_state,
                to_state=ev.to_state,
                round_=ev.round,
                data=values["data"],
                written=values["written"],
            )
            conn.execute(
                text(
                    "UPDATE audit_events SET data = :d, written = :w, prev_hash = :p, hash = :h WHERE id = :id"
                ),
                {"d": values["data"], "w": values["written"], "p": prev, "h": digest, "id": ev.id},
            )
            prev = digest
        conn.execute(text("UPDATE suggestions SET audit_head = :h WHERE id = :id"), {"h": prev, "id": case})


@BACKENDS
def test_a_rebuilt_chain_passes_the_chain_check_but_not_the_anchor(
    engine: Engine, clock: FrozenClock, runner: CliRunner, tmp_path: Path
) -> None:
    """B→A in the answer, the case, the event and its record, every hash recomputed: only the anchor sees it."""
    _b_case(engine, clock)
    clock.advance(days=1)
    anchor = _anchor(engine, clock, tmp_path)
    _sql(engine, "UPDATE answers SET category = 'A'")
    _sql(engine, "UPDATE suggestions SET category = 'A', current_category = 'A'")

    def to_a(ev: Any) -> dict[str, Any]:
        if ev.action != "answer":
            return {}
        return {"data": ev.data.replace('"B"', '"A"'), "written": ev.written.replace('"B"', '"A"')}

    _rechain(engine, "0001", to_a)
    assert _verify(engine, runner) == []
    problems = _verify(engine, runner, anchor=anchor)
    fingerprint = Anchor.parse(anchor.read_text(encoding="utf-8"), source="a").fingerprint
    assert _lines(problems) == [
        f"建议 测试会议/0001: event #5: rebuilt: its hash is not the one the anchor of 2026-03-06T09:00:00+08:00 "
        f"({fingerprint}) holds (the chain was rewritten since)"
    ]


@BACKENDS
def test_a_case_deleted_with_its_events_is_caught_by_the_anchor(
    engine: Engine, clock: FrozenClock, runner: CliRunner, tmp_path: Path
) -> None:
    """Every row of a case and the case itself deleted: the chain check cannot tell; the anchor names it."""
    make_case(engine, "0001", state="closed", clock=clock, co=())
    make_case(engine, "0002", state="answered", clock=clock, co=())
    clock.advance(days=1)
    anchor = _anchor(engine, clock, tmp_path)
    case = _case_id(engine, "0002")
    for name in (*sorted(ROW_TABLES), "outbox", "audit_events"):
        _sql(engine, f"DELETE FROM {name} WHERE suggestion_id = :id", id=case)
    _sql(engine, "DELETE FROM suggestions WHERE id = :id", id=case)
    assert _verify(engine, runner) == []
    problems = _verify(engine, runner, anchor=anchor)
    assert len(problems) == 1
    assert str(problems[0]).startswith(
        "建议 测试会议/0002: event #3: deleted: the anchor of 2026-03-08T09:00:00+08:00"
    )
    assert str(problems[0]).endswith("holds this case with 3 event(s); the database does not")


@BACKENDS
def test_a_forged_case_with_its_own_chain_is_caught_by_the_anchor(
    engine: Engine, clock: FrozenClock, runner: CliRunner, tmp_path: Path
) -> None:
    """A case made by SQL, its one event hashed as the engine would (with no record, as if from before
    records): the chain check passes it; the anchor does not hold it though it claims an earlier time."""
    make_case(engine, "0001", state="submitted", clock=clock)
    clock.advance(days=1)
    anchor = _anchor(engine, clock, tmp_path)
    columns = (
        "session_id, title, content, field, lead_deputy_id, between_sessions, confidential, key, complex, extended, "
        "state, round, version, submitted_at, last_event_at, audit_seq, audit_head, escalation_level, "
        "contact_level, answer_met"
    )
    _sql(engine, f"INSERT INTO suggestions (number, {columns}) SELECT '0099', {columns} FROM suggestions")
    forged = _case_id(engine, "0099")
    _sql(
        engine,
        "INSERT INTO audit_events (suggestion_id, seq, at, recorded_at, actor, action, from_state, to_state, "
        "round, data, prev_hash, hash) SELECT :id, seq, at, recorded_at, actor, action, from_state, to_state, "
        "round, data, prev_hash, 'x' FROM audit_events",
        id=forged,
    )
    _rechain(engine, "0099", lambda ev: {})
    assert _verify(engine, runner) == []
    problems = _verify(engine, runner, anchor=anchor)
    assert len(problems) == 1
    assert str(problems[0]).startswith(
        "建议 测试会议/0099: event #1: forged: the anchor of 2026-03-03T09:00:00+08:00 ("
    )
    assert str(problems[0]).endswith(
        "does not hold this case, but its event #1 says it was recorded before it (2026-03-02T01:00:00+00:00)"
    )


def test_an_anchor_under_another_key_or_edited_is_not_authentic(
    engine: Engine, clock: FrozenClock, runner: CliRunner, tmp_path: Path
) -> None:
    """A wrong key, or a file whose cases were edited (even with the root and fingerprint made to match): not
    authentic, exit 9, and nothing is compared with it."""
    make_case(engine, "0001", state="closed", clock=clock, co=())
    anchor = _anchor(engine, clock, tmp_path)
    assert _verify(engine, runner, anchor=anchor) == []
    [problem] = _verify(engine, runner, anchor=anchor, key="另一把钥匙-0123456789abcdef")
    assert str(problem).endswith(
        "is not authentic: its HMAC does not match under this key (a wrong key, or the file was edited); nothing "
        "was checked against it"
    )
    data = json.loads(anchor.read_text(encoding="utf-8"))
    data["cases"][0][2] = 99
    held = [AnchoredCase(*c) for c in data["cases"]]
    data["root"] = merkle_root(held)
    data["fingerprint"] = Anchor.parse(anchor.read_text(encoding="utf-8"), source="a").fingerprint
    anchor.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    assert len(_verify(engine, runner, anchor=anchor)) == 1
    result = runner.invoke(
        cli, ["--db", engine.url, "audit", "verify", "--anchor", str(anchor)], env={"JIANYI_AUDIT_KEY": KEY}
    )
    assert result.stderr == "Error: the anchor is not authentic (a wrong key, or the file was edited)\n"


def test_a_file_that_is_no_anchor_or_another_congresss_is_refused_in_one_line(
    engine: Engine, clock: FrozenClock, runner: CliRunner, tmp_path: Path
) -> None:
    """Not an anchor: exit 3, naming the file. An authentic anchor of another congress: exit 3 too."""
    make_case(engine, "0001", state="submitted", clock=clock)
    bad = tmp_path / "notes.json"
    bad.write_text("[1, 2]", encoding="utf-8")
    args = ["--db", engine.url, "audit", "verify", "--anchor", str(bad)]
    result = runner.invoke(cli, args, env={"JIANYI_AUDIT_KEY": KEY})
    assert (result.exit_code, result.stderr) == (
        3,
        f"Error: {bad} is not an anchor written by `jianyi audit anchor`: its format is not "
        "'jianyi-audit-anchor/1'\n",
    )
    forged = tmp_path / "other.json"
    forged.write_text(
        Anchor.make(
            congress="某县人大",
            database=engine.url,
            at=clock.now(),
            zone=engine.active_ruleset().zone,
            cases=[],
            key=KEY.encode(),
        ).text(),
        encoding="utf-8",
    )
    result = runner.invoke(
        cli, ["--db", engine.url, "audit", "verify", "--anchor", str(forged)], env={"JIANYI_AUDIT_KEY": KEY}
    )
    assert (result.exit_code, result.stderr) == (
        3,
        "Error: the anchor holds the cases of congress '某县人大', not of 'default'\n",
    )


def test_the_anchor_command_writes_heads_root_fingerprint_and_hmac(
    engine: Engine, clock: FrozenClock, runner: CliRunner, tmp_path: Path
) -> None:
    """`audit anchor --out FILE`: every case's session, number, last event and hash, sorted, under a Merkle root
    whose fingerprint the command prints; the file verifies the database it was taken of."""
    make_case(engine, "0002", state="closed", clock=clock, co=())
    make_case(engine, "0001", state="assigned", clock=clock, co=())
    out = tmp_path / "anchor.json"
    result = runner.invoke(
        cli, ["--db", engine.url, "audit", "anchor", "--out", str(out)], env={"JIANYI_AUDIT_KEY": KEY}
    )
    assert result.exit_code == 0, result.stderr
    data = json.loads(out.read_text(encoding="utf-8"))
    heads = [[s, n, q, h] for s, n, q, h in data["cases"]]
    assert [(s, n, q) for s, n, q, _ in heads] == [("测试会议", "0001", 2), ("测试会议", "0002", 5)]
    assert heads[1][3] == _one(engine, "SELECT audit_head FROM suggestions WHERE number = '0002'")
    assert data["root"] == merkle_root(AnchoredCase(*c) for c in heads)
    assert data["fingerprint"] == "-".join(data["root"][i : i + 4].upper() for i in range(0, 16, 4))
    assert (data["congress"], data["zone"]) == ("default", "Asia/Shanghai")
    assert len(data["hmac"]) == 64
    assert result.stdout.startswith("anchored 2 case(s) at ")
    assert result.stdout.endswith(f": root fingerprint {data['fingerprint']}\n")
    assert _verify(engine, runner, anchor=out) == []


def test_anchoring_needs_a_key_refused_in_one_line_or_read_from_the_config(
    engine: Engine, clock: FrozenClock, runner: CliRunner, tmp_path: Path
) -> None:
    """No key: one line, exit 2. A key file named in the [audit] table of --config (its path from the
    config's folder) or the environment variable gives it; a short key is refused."""
    make_case(engine, "0001", state="assigned", clock=clock, co=())
    result = runner.invoke(cli, ["--db", engine.url, "audit", "anchor"], env={"JIANYI_AUDIT_KEY": ""})
    assert (result.exit_code, result.stdout) == (2, "")
    assert result.stderr == (
        "Error: no audit key: set JIANYI_AUDIT_KEY, or key_file in the [audit] table of --config (anchors are "
        "keyed so that nobody without the key can remake them)\n"
    )
    (tmp_path / "audit.key").write_text(KEY + "\n", encoding="utf-8")
    config = tmp_path / "jianyi.toml"
    config.write_text(f'db = "{engine.url}"\n[audit]\nkey_file = "audit.key"\n', encoding="utf-8")
    out = tmp_path / "a.json"
    made = runner.invoke(
        cli, ["--config", str(config), "audit", "anchor", "--out", str(out)], env={"JIANYI_AUDIT_KEY": ""}
    )
    assert made.exit_code == 0, made.stderr
    assert _verify(engine, runner, anchor=out) == []  # the same key, from the environment
    short = runner.invoke(cli, ["--db", engine.url, "audit", "anchor"], env={"JIANYI_AUDIT_KEY": "short"})
    assert (short.exit_code, short.stderr) == (
        3,
        "Error: the audit key is 5 byte(s) long; use at least 16 random ones (e.g. `openssl rand -hex 32`)\n",
    )


# ---- any history, any single cell ---------------------------------------------------------------------
# what may be tried from each state (a refused one is skipped): a history is a walk through these
_NEXT = {
    "submitted": ("assign", "assign", "assign_split", "withdraw"),
    "assigned": (
        "opinion",
        "contact",
        "return",
        "refuse_return",
        "reassign",
        "extend",
        "answer_a",
        "answer_b",
        "sweep",
    ),
    "co_handled": ("contact", "extend", "answer_a", "answer_b", "answer_b", "sweep"),
    "answered": ("feedback_ok", "feedback_bad", "contact", "convert", "sweep"),
    "re_handled": ("answer_a", "answer_b", "reassign", "contact", "withdraw"),
    "closed": ("convert", "progress", "sweep"),
}
# columns whose values a CHECK constraint limits, with values it allows
_CHOICES = {
    ("suggestions", "state"): ("submitted", "assigned", "closed"),
    ("assignments", "role"): ("main", "co", "split"),
    ("deadlines", "status"): ("open", "met", "cancelled", "missed"),
    ("deadlines", "kind"): ("answer", "feedback", "return_window"),
    ("return_requests", "status"): ("pending", "refused", "accepted"),
    ("contacts", "method"): ("phone", "visit", "meeting"),
    ("contacts", "stage"): ("before", "during", "after"),
    ("feedback", "rating"): ("satisfied", "basic", "unsatisfied"),
    ("feedback", "attitude"): ("satisfied", "basic", "unsatisfied"),
    ("feedback", "result"): ("satisfied", "basic", "unsatisfied"),
}
_REFERENCES = ("unit_id", "lead_deputy_id", "deputy_id")  # foreign keys to units or deputies (ids 1–3 exist)
_FIXED = {("suggestions", "session_id"), ("suggestion_signers", "deputy_id"), ("promises", "answer_id")}


def _act(engine: Engine, clock: FrozenClock, action: str) -> None:
    """Do ``action`` on case 0001 (the first of its ways the engine accepts; none, when it refuses them all)."""
    deputy = Actor.deputy("张三")
    clock.advance(days=3)
    later = clock.now().date() + timedelta(days=200)

    def answer(category: str, unit: str, promised: bool, waive: bool) -> None:
        engine.answer(
            "0001",
            category=category,
            text="答复",
            unit=unit,
            promises=[Promised("完成改造", later)] if promised else [],
            without_opinion={CO: "逾期未复"} if waive else {},
        )

    ways: dict[str, list[Any]] = {
        "assign": [lambda: engine.assign("0001", main=MAIN, co=[CO])],
        "assign_split": [lambda: engine.assign("0001", split=[MAIN, OTHER])],
        "opinion": [lambda: engine.opinion("0001", unit=CO, text="同意", actor=Actor.unit(CO))],
        "contact": [lambda u=u: engine.contact("0001", method="visit", unit=u) for u in (MAIN, OTHER)],
        "return": [
            lambda u=u: engine.request_return("0001", reason="不属职责", unit=u) for u in (MAIN, OTHER)
        ],
        "refuse_return": [lambda: engine.refuse_return("0001", reason="属于职责")],
        "reassign": [lambda: engine.reassign("0001", main=OTHER, co=[CO], reason="改派")],
        "extend": [lambda: engine.extend("0001", reason="情况复杂")],
        "answer_a": [lambda u=u, w=w: answer("A", u, False, w) for u in (MAIN, OTHER) for w in (False, True)],
        "answer_b": [lambda u=u, w=w: answer("B", u, True, w) for u in (MAIN, OTHER) for w in (False, True)],
        "feedback_ok": [lambda: engine.feedback("0001", rating="satisfied", actor=deputy)],
        "feedback_bad": [
            lambda: engine.feedback("0001", rating="unsatisfied", comment="未解决", actor=deputy)
        ],
        "convert": [lambda: engine.convert("0001", to="A", evidence="已完成")],
        "progress": [lambda: engine.progress("0001", note="正在推进")],
        "withdraw": [lambda: engine.withdraw("0001", reason="撤回")],
        "sweep": [lambda: sweep(engine, now=clock.advance(days=30))],
    }
    for way in ways[action]:
        with contextlib.suppress(WorkflowError):
            way()
            return


def _cells(engine: Engine) -> list[tuple[str, dict[str, Any], str]]:
    """Every covered, non-NULL cell that can be changed: (table, its row, column)."""
    found = []
    with engine.db.engine.connect() as conn:
        for name, columns in COVERED.items():
            for row in conn.execute(select(SQLModel.metadata.tables[name])).mappings():
                found.extend(
                    (name, dict(row), c) for c in columns if row[c] is not None and (name, c) not in _FIXED
                )
    return found


def _other(name: str, column: str, value: Any) -> Any:
    """A different value of the same kind, one the column's constraints still accept."""
    if (name, column) in _CHOICES:
        return next(v for v in _CHOICES[name, column] if v != value)
    if column in _REFERENCES:
        return next(u for u in (1, 2, 3) if u != value)
    if isinstance(value, bool):
        return not value
    if isinstance(value, int):
        return value + 1
    if isinstance(value, datetime):
        return value + timedelta(seconds=1)
    if isinstance(value, date):
        return value + timedelta(days=1)
    return f"{value}x"


@settings(max_examples=30)
@given(steps=st.lists(st.integers(min_value=0, max_value=99), min_size=1, max_size=10), pick=st.integers(0))
def test_any_history_verifies_and_any_changed_cell_of_it_is_named(steps: list[int], pick: int) -> None:
    """Whatever the actions, verify finds nothing; then any one covered cell changed by SQL is named with its
    table and row."""
    clock = FrozenClock("2026-03-02T09:00:00+08:00")
    with make_engine(clock=clock) as engine:
        engine.submit("0001", title="甲", deputy="张三", co_signers=("李四",))
        for step in steps:
            ways = _NEXT.get(engine.get("0001").state, ())
            if ways:
                _act(engine, clock, ways[step % len(ways)])
        assert engine.verify_audit()[1] == []
        cells = _cells(engine)
        name, row, column = cells[pick % len(cells)]
        key = "deputy_id" if name == "suggestion_signers" else "id"
        _sql(
            engine,
            f"UPDATE {name} SET {column} = :v WHERE {key} = :k",
            v=_other(name, column, row[column]),
            k=row[key],
        )
        problems = engine.verify_audit()[1]
        label = f"deputy {row['deputy_id']}" if name == "suggestion_signers" else str(row["id"])
        assert [p for p in problems if (p.table, p.row) == (name, label) and column in p.problem], _lines(
            problems
        )
