"""Who may see and do what: a unit its cases, a deputy their suggestions, the office everything; administration
is the office's; out of scope is "not found", worded as for a number that does not exist."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from cli import cli
from notifications import NotifyConfig
from notifications.dispatcher import Dispatcher
from rules import YearSchedule, default_ruleset
from workflow.core.attachments import Attachment
from workflow.core.errors import NotFound, PermissionDenied, ValidationError
from workflow.core.states import ActorKind
from workflow.core.views import Actor
from workflow.engine import Engine
from workflow.ledger import export_ledger, import_ledger, ledger_rows
from workflow.reporting.evaluation import evaluate
from workflow.reporting.formats import render
from workflow.reporting.letters import progress_letters
from workflow.reporting.measures import Scope, measure, measure_units
from workflow.reporting.reports import build
from workflow.store import outbox
from workflow.sweep import forecast, sweep
from workflow.testing import row_count, sample_file

pytestmark = pytest.mark.parametrize(
    "backend", ["sqlite-file", pytest.param("postgresql", marks=pytest.mark.postgres)], indirect=True
)

MAIN, CO, OTHER, FOURTH = "市交通运输局", "市财政局", "市住房和城乡建设局", "市教育局"
TABLES = (
    "suggestions",
    "units",
    "deputies",
    "sessions",
    "audit_events",
    "outbox",
    "rulesets",
    "calendar_years",
)


def _cases(engine: Engine) -> None:
    """0001 张三's, to MAIN with CO; 0002 王五's, confidential, to OTHER; 0003 李四's co-signed by 张三, first to
    FOURTH then reassigned to MAIN."""
    engine.add_unit("市水务局", email="sw@example.org")
    engine.submit("0001", title="关于公交的建议", deputy="张三")
    engine.assign("0001", main=MAIN, co=[CO])
    engine.submit("0002", title="关于医院的建议", deputy="王五", confidential=True)
    engine.assign("0002", main=OTHER)
    engine.submit("0003", title="关于学校的建议", deputy="李四", co_signers=["张三"])
    engine.assign("0003", main=FOURTH)
    engine.request_return("0003", reason="不属于本单位职责", actor=Actor.unit(FOURTH))
    engine.reassign("0003", main=MAIN)


def _numbers(engine: Engine) -> list[str]:
    return [c.number for c in engine.list_cases()]


def test_a_unit_sees_the_cases_it_is_or_was_assigned_to(engine: Engine) -> None:
    """MAIN sees 0001 and 0003; FOURTH keeps seeing 0003 it handed back; CO sees 0001 alone."""
    _cases(engine)
    assert _numbers(engine) == ["0001", "0002", "0003"]
    assert _numbers(engine.acting(Actor.unit(MAIN))) == ["0001", "0003"]
    assert _numbers(engine.acting(Actor.unit(CO))) == ["0001"]
    assert _numbers(engine.acting(Actor.unit(FOURTH))) == ["0003"]
    assert _numbers(engine.acting(Actor.unit("市水务局"))) == []
    page = engine.acting(Actor.unit(MAIN)).search(text="建议", limit=1)
    assert (page.total, [c.number for c in page.cases]) == (2, ["0001"])
    assert engine.acting(Actor.deputy("张三")).search(text="医院").total == 0  # 王五's confidential case


def test_another_units_case_is_not_found_as_a_missing_number_is(engine: Engine) -> None:
    """get, dossier, history and deadlines of an out-of-scope case say what a number that does not exist says."""
    _cases(engine)
    unit = engine.acting(Actor.unit(CO))
    with pytest.raises(NotFound) as missing:
        unit.get("9999")
    reads: list[Callable[[str], Any]] = [unit.get, unit.dossier, unit.history, unit.explain]
    for read in reads:
        with pytest.raises(NotFound) as hidden:
            read("0002")
        assert str(hidden.value) == str(missing.value).replace("9999", "0002")


def test_a_deputy_sees_what_they_lead_or_co_signed_never_anothers_confidential_case(engine: Engine) -> None:
    """张三 sees 0001 (lead) and 0003 (co-signer); 0002, 王五's confidential case, is not found to 张三."""
    _cases(engine)
    deputy = engine.acting(Actor.deputy("张三"))
    assert _numbers(deputy) == ["0001", "0003"]
    with pytest.raises(NotFound):
        deputy.dossier("0002")
    assert engine.acting(Actor.deputy("王五")).dossier("0002").case.confidential


def test_what_is_due_keeps_to_the_reader(engine: Engine) -> None:
    """A unit's `due` lists what it owes; a deputy's the feedback owed on what they lead."""
    _cases(engine)
    owed = {(i.number, i.unit) for i in engine.acting(Actor.unit(CO)).due(within=timedelta(days=400))}
    assert owed == {("0001", CO)}
    assert engine.acting(Actor.deputy("张三")).due(within=timedelta(days=400)) == []  # nothing answered yet


def test_a_unit_acts_only_on_its_cases_and_only_as_itself(engine: Engine) -> None:
    """A unit's engine refuses acting as another unit; a case it never held is not found; nothing is written."""
    _cases(engine)
    unit = engine.acting(Actor.unit(CO))
    before = row_count(engine, "audit_events")
    with pytest.raises(PermissionDenied, match=f"acts as itself, not as unit:{MAIN}"):
        unit.contact("0001", method="phone", actor=Actor.unit(MAIN))
    with pytest.raises(NotFound):
        unit.contact("0002", method="phone")
    assert row_count(engine, "audit_events") == before
    unit.opinion("0001", text="同意")
    assert engine.dossier("0001").opinions[0].by == f"unit:{CO}"


def test_reports_for_a_unit_cover_that_unit_and_deputies_get_none(engine: Engine) -> None:
    """A unit's summary counts its own cases; asking for another unit or as a deputy is refused."""
    _cases(engine)
    mine = render(build(engine.acting(Actor.unit(MAIN)), "summary"), "json")
    assert mine == render(build(engine, "summary", Scope(unit=MAIN)), "json")
    assert mine != render(build(engine, "summary"), "json")
    with pytest.raises(PermissionDenied, match="a unit reports on itself alone"):
        build(engine.acting(Actor.unit(MAIN)), "summary", Scope(unit=CO))
    with pytest.raises(PermissionDenied, match="reports are the office's"):
        build(engine.acting(Actor.deputy("张三")), "units")


def test_contacts_are_the_offices_to_see(engine: Engine) -> None:
    """A unit's engine lists units and deputies without e-mail, phone or webhook."""
    _cases(engine)
    assert {u.name: u.email for u in engine.units()}["市水务局"] == "sw@example.org"
    assert {u.email for u in engine.acting(Actor.unit(MAIN)).units()} == {None}


def _admin(engine: Engine, tmp: Path) -> dict[str, Callable[[], Any]]:
    ledger = tmp / "l.csv"
    ledger.write_text("建议编号,标题,领衔代表\n0009,关于路灯的建议,张三\n", encoding="utf-8")
    rs = default_ruleset()
    return {
        "unit add": lambda: engine.add_unit("新单位"),
        "unit edit": lambda: engine.edit_unit(MAIN, email="x@example.org"),
        "unit history": lambda: engine.unit_history(MAIN),
        "deputy edit": lambda: engine.edit_deputy("张三", phone="123"),
        "deputy history": lambda: engine.deputy_history("张三"),
        "user add": lambda: engine.add_user("someone", "a long password", unit=MAIN),
        "user list": engine.users,
        "deputy add": lambda: engine.add_deputy("新代表"),
        "session add": lambda: engine.add_session("新会议"),
        "session current": lambda: engine.set_current_session("测试会议"),
        "rules apply": lambda: engine.apply_ruleset(rs),
        "calendar load": lambda: engine.load_calendar(
            YearSchedule(year=2027, source="测试", holidays={date(2027, 3, 1): "测试假日"}, workdays=[])
        ),
        "audit verify": engine.check_audit,
        "audit anchor": lambda: engine.audit_anchor(b"k" * 32),
        "import": lambda: import_ledger(engine, ledger),
        "export ledger": lambda: export_ledger(engine, "csv"),
        "outbox list": lambda: outbox.listing(engine),
        "outbox retry": lambda: outbox.retry(engine, 1, now=engine.clock.now()),
        "remind": lambda: sweep(engine),
        "forecast": lambda: forecast(engine),
        "letters": lambda: progress_letters(engine, year=2026),
        "outbox dispatch": lambda: Dispatcher(engine, NotifyConfig()).dispatch(),
        "export ledger ": lambda: ledger_rows(engine),
    }


@pytest.mark.parametrize("who", [Actor.unit(MAIN), Actor.deputy("张三")], ids=["unit", "deputy"])
def test_every_admin_command_refuses_a_unit_and_a_deputy_with_nothing_written(
    engine: Engine, who: Actor, tmp_path: Path
) -> None:
    """Each administrative call names what it refused; no table changes."""
    _cases(engine)
    before = {t: row_count(engine, t) for t in TABLES}
    for what, call in _admin(engine.acting(who), tmp_path).items():
        with pytest.raises(PermissionDenied, match=f"{who} may not '{what.strip()}': only the office"):
            call()
    assert {t: row_count(engine, t) for t in TABLES} == before


def test_the_command_line_keeps_to_as(engine: Engine, runner: CliRunner, db_path: Path) -> None:
    """`--as` scopes `list`, refuses administration (exit 6) and records who keyed an action in."""
    if engine.db.dialect.name != "sqlite":
        pytest.skip("the CLI runs on the SQLite file")
    _cases(engine)

    def run(*args: str) -> Any:
        return runner.invoke(cli, ["--db", str(db_path), *args])

    listed = json.loads(run("--as", f"unit:{CO}", "list", "--json").stdout)
    assert [c["number"] for c in listed["cases"]] == ["0001"]
    assert listed["total"] == 1
    refused = run("--as", "deputy:王五", "rules", "apply", "national")
    assert refused.exit_code == 6
    assert (
        refused.stderr
        == "Error: deputy:王五 may not 'rules apply': only the office (代表工作机构) may do this\n"
    )
    assert run("--as", f"unit:{CO}", "calendar", "load", str(db_path)).exit_code == 6
    for command in (["outbox", "dispatch"], ["daemon"], ["assign-batch", str(db_path)]):
        refused = run("--as", f"unit:{CO}", *command)
        assert (refused.exit_code, refused.stderr.startswith(f"Error: unit:{CO} may not")) == (6, True), (
            command
        )
    demo = db_path.with_name("demo.db")
    assert run("--as", f"unit:{CO}", "demo", "--db", str(demo)).exit_code == 6
    assert not demo.exists()
    fresh = db_path.with_name("fresh.db")
    assert run("--as", "deputy:张三", "--db", str(fresh), "init").exit_code == 6
    assert not fresh.exists()
    assert run("--as", f"unit:{CO}", "show", "0002").exit_code == 4
    assert run("--as", f"unit:{CO}", "opinion", "0001", "--text", "同意").exit_code == 0
    history = json.loads(run("history", "0001", "--json").stdout)
    assert (history[-1]["actor"], history[-1]["data"]["entered_by"]) == (f"unit:{CO}", "office")
    assert "经办 市财政局（录入 office）" in run("show", "0001").stdout


def test_a_scoped_engine_cannot_widen_itself_or_claim_the_office_keyed_it_in(engine: Engine) -> None:
    """A unit's engine refuses to hand out the office's or another unit's; it cannot set entered_by; a unit
    or deputy without a name is refused, never given every case."""
    _cases(engine)
    unit = engine.acting(Actor.unit(CO))
    for other in (Actor.office(), Actor.unit(MAIN), Actor(ActorKind.UNIT, CO, "office")):
        with pytest.raises(PermissionDenied, match=f"unit:{CO} may not 'acting'"):
            unit.acting(other)
    before = row_count(engine, "audit_events")
    with pytest.raises(PermissionDenied, match="only the office keys in for others"):
        unit.contact("0001", method="phone", actor=Actor(ActorKind.UNIT, CO, "office:王芳"))
    assert row_count(engine, "audit_events") == before
    for nameless in (Actor.unit(""), Actor.deputy("")):
        with pytest.raises(ValidationError, match="acts by its name"):
            engine.acting(nameless)


def test_a_units_reports_and_evaluation_hold_its_own_row(engine: Engine) -> None:
    """`report units` and the evaluation for a unit list that unit alone; a deputy's evaluation is refused;
    the public Python measures keep to the viewer too."""
    _cases(engine)
    unit = engine.acting(Actor.unit(MAIN))
    assert [u.unit for u in measure_units(engine)] == sorted([MAIN, OTHER])  # the office: every main unit
    assert [u.unit for u in measure_units(unit)] == [MAIN]
    assert measure(unit).total == measure(engine, Scope(unit=MAIN)).total
    shown = render(evaluate(unit, Scope(), None), "json")
    assert CO not in shown
    assert MAIN in shown
    with pytest.raises(PermissionDenied, match="reports are the office's"):
        evaluate(engine.acting(Actor.deputy("张三")), Scope(), None)


def test_no_file_is_stored_for_a_case_out_of_scope(engine: Engine) -> None:
    """An opinion with a file on a case the unit never held is not found, and its bytes are not kept."""
    _cases(engine)

    def kept() -> tuple[int, list[Path]]:
        folder = getattr(engine.blobs, "directory", None)
        files = sorted(folder.rglob("*")) if folder is not None and folder.exists() else []
        return row_count(engine, "attachment_blobs"), files

    before = kept()
    with pytest.raises(NotFound):
        engine.acting(Actor.unit(CO)).opinion(
            "0002", text="x", attachments=[Attachment("x.pdf", sample_file("pdf", "越权"))]
        )
    assert kept() == before
