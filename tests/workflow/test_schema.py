"""The schema: migrations match the models; instants keep their zone; init is idempotent."""

from __future__ import annotations

import socket
from datetime import UTC, date
from importlib import resources
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from click.testing import CliRunner
from sqlmodel import SQLModel

from cli import cli
from workflow.core.errors import NotInitialised
from workflow.engine import Engine, Promised
from workflow.store import db as wdb
from workflow.store.search import is_search_object


def test_the_migrations_create_exactly_the_models(db_path: Path) -> None:
    """Autogenerate finds nothing to change after upgrading."""
    engine = wdb.connect(db_path)
    with engine.connect() as conn:
        diff = compare_metadata(
            MigrationContext.configure(conn, opts={"compare_type": True, "include_name": is_search_object}),
            SQLModel.metadata,
        )
    assert diff == []


def test_the_head_revision_constant_matches_the_scripts() -> None:
    """The quick schema check knows the newest migration."""
    config = Config()
    config.set_main_option("script_location", str(resources.files("workflow.store") / "migrations"))
    assert ScriptDirectory.from_config(config).get_current_head() == wdb.HEAD_REVISION


def test_opening_an_empty_database_says_to_run_init(tmp_path: Path) -> None:
    """No schema: one message with what to do."""
    (tmp_path / "empty.db").touch()  # an empty file is an empty SQLite database
    with pytest.raises(NotInitialised, match="no jianyi schema; run `jianyi init` to create or upgrade it"):
        Engine.open(tmp_path / "empty.db")


def test_init_twice_changes_nothing(db_path: Path) -> None:
    """Init upgrades in place and keeps the data."""
    with Engine.open(db_path) as first:
        first.submit("0001", title="甲", deputy="张三")
    with Engine.init(db_path) as again:
        assert again.get("0001").title == "甲"


@pytest.mark.postgres
def test_postgres_migrations_match_and_keep_instants(pg_url: str) -> None:
    """On PostgreSQL too the schema matches the models and instants are aware UTC."""
    from workflow.testing import FrozenClock, beijing

    with Engine.init(pg_url, clock=FrozenClock("2026-03-02T09:00:00+08:00")) as engine:
        engine.add_session("s", current=True)
        engine.add_deputy("张三")
        engine.submit("0001", title="甲", deputy="张三", at=beijing("2026-03-01", 9))
        assert engine.get("0001").submitted_at.isoformat() == "2026-03-01T01:00:00+00:00"
        with engine.db.engine.connect() as conn:
            diff = compare_metadata(
                MigrationContext.configure(
                    conn, opts={"compare_type": True, "include_name": is_search_object}
                ),
                SQLModel.metadata,
            )
        assert diff == []


def _downgrade(db_path: Path | str, revision: str) -> list[str]:
    """Take the database back to ``revision`` (alembic); the columns ``suggestions`` has then."""
    from alembic import command

    config = Config()
    config.set_main_option("script_location", str(resources.files("workflow.store") / "migrations"))
    db = wdb.connect(db_path)
    with db.begin() as conn:
        config.attributes["connection"] = conn
        command.downgrade(config, revision)
    with db.connect() as conn:
        columns = list(conn.exec_driver_sql("SELECT * FROM suggestions").keys())
    db.dispose()
    return columns


def test_upgrading_to_0005_computes_every_case_tallies(db_path: Path) -> None:
    """A database from before the case tallies gets them computed from its tables: the measures agree."""
    from workflow.core.views import Actor
    from workflow.reporting.measures import measure
    from workflow.testing import FrozenClock, make_case

    clock = FrozenClock("2026-03-02T09:00:00+08:00")
    with Engine.open(db_path, clock=clock) as engine:
        make_case(engine, "0001", state="closed", clock=clock, co=())
        make_case(engine, "0002", state="assigned", clock=clock, co=())
        engine.contact("0002", method="visit", actor=Actor.unit("市交通运输局"))
        clock.advance(days=120)  # 0002 is answered after its date
        engine.answer("0002", category="B", text="列入计划", promises=[Promised("修路", date(2026, 12, 31))])
        engine.feedback("0002", rating="unsatisfied", comment="进度太慢", actor=Actor.deputy("张三"))
        before = measure(engine)
        tallies = "SELECT number, first_answer_at, rating, contact_level, answer_met FROM suggestions ORDER BY number"
        with engine.db.engine.connect() as conn:
            expected = conn.exec_driver_sql(tallies).all()
    assert [row[2:] for row in expected] == [("satisfied", 0, 1), ("unsatisfied", 2, 2)]
    assert "answer_met" not in _downgrade(db_path, "0004")
    with Engine.init(db_path, clock=clock) as engine:
        with engine.db.engine.connect() as conn:
            assert conn.exec_driver_sql(tallies).all() == expected
        assert measure(engine) == before


def test_upgrading_to_0006_computes_each_case_main_unit_and_answer_due(db_path: Path) -> None:
    """A database from before these tallies gets them from its tables: each case's main unit, and when its
    earliest open first-round answer deadline falls due (none for an answered one); the measures agree."""
    from workflow.reporting.measures import measure, measure_units
    from workflow.testing import FrozenClock, make_case, unit_ids

    clock = FrozenClock("2026-03-02T09:00:00+08:00")
    with Engine.open(db_path, clock=clock) as engine:
        make_case(engine, "0001", state="answered", clock=clock, co=())
        make_case(engine, "0002", state="assigned", clock=clock, co=())
        due_at = next(d.due_at for d in engine.get("0002").deadlines if d.kind == "answer")
        clock.advance(days=120)  # 0002's answer is open past its date
        before, before_units = measure(engine), measure_units(engine)
        tally = "SELECT number, answer_due_at, main_unit_id FROM suggestions ORDER BY number"
        traffic = unit_ids(engine)["市交通运输局"]
        with engine.db.engine.connect() as conn:
            expected = conn.exec_driver_sql(tally).all()
    assert expected[0][1] is None
    assert expected[0][2] == expected[1][2] == traffic
    assert expected[1][1] == due_at.astimezone(UTC).replace(tzinfo=None).isoformat(" ", "microseconds")
    assert (before.due, before.on_time) == (2, 1)
    columns = _downgrade(db_path, "0005")
    assert "answer_due_at" not in columns
    assert "main_unit_id" not in columns
    with Engine.init(db_path, clock=clock) as engine:
        with engine.db.engine.connect() as conn:
            assert conn.exec_driver_sql(tally).all() == expected
        assert measure(engine) == before
        assert measure_units(engine) == before_units


def test_memory_given_as_a_path_is_a_database_in_memory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``:memory:`` (SQLite's own name) opens a database in memory, as ``sqlite://`` does: no file appears."""
    from workflow.testing import FrozenClock

    monkeypatch.chdir(tmp_path)
    with Engine.init(":memory:", clock=FrozenClock("2026-03-02T09:00:00+08:00")) as engine:
        engine.add_session("第一次会议", current=True)
        assert [s.name for s in engine.sessions()] == ["第一次会议"]
    assert list(tmp_path.iterdir()) == []


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.mark.parametrize(
    "command",
    [
        ["list"],
        ["show", "0001"],
        ["report", "summary"],
        ["audit", "verify"],
        ["contact", "0001", "--method", "phone"],
    ],
    ids=["list", "show", "report", "audit", "contact"],
)
def test_a_database_jianyi_cannot_use_is_named_in_one_line(
    runner: CliRunner, tmp_path: Path, command: list[str]
) -> None:
    """Another database engine, a missing file (not created by the attempt), a corrupt file (left as it was),
    a server that does not answer: one line each, with its exit code, and nothing written."""
    corrupt = tmp_path / "corrupt.db"
    corrupt.write_bytes(b"not a database" * 300)
    missing = tmp_path / "typo.db"
    cases = [
        ("mysql://u@127.0.0.1/x", 3, "jianyi keeps its data in SQLite (give a file path) or PostgreSQL"),
        (str(missing), 8, "no such file; run `jianyi init`"),
        (str(corrupt), 1, "is not a database jianyi can read (file is not a database)"),
        (f"postgresql://postgres@127.0.0.1:{_free_port()}/x", 1, "cannot reach the database"),
    ]
    for db, code, message in cases:
        result = runner.invoke(cli, ["--db", db, *command])
        assert (result.exit_code, result.stderr.count("\n")) == (code, 1), (db, result.output)
        assert message in result.stderr
    assert not missing.exists()
    assert corrupt.read_bytes() == b"not a database" * 300


def test_a_database_from_a_newer_jianyi_is_named_and_left_alone(runner: CliRunner, db_path: Path) -> None:
    """A schema newer than this jianyi knows is not "not initialised": it says so, and init changes nothing."""
    with wdb.connect(db_path).begin() as conn:
        conn.exec_driver_sql("UPDATE alembic_version SET version_num = '0099'")
    for command in (["list"], ["init"]):
        result = runner.invoke(cli, ["--db", str(db_path), *command])
        assert result.exit_code == 1
        assert result.stderr == (
            "Error: the database's schema (0099) is newer than this jianyi knows "
            f"({wdb.HEAD_REVISION}): install the jianyi that wrote it\n"
        )
    assert wdb.current_revision(wdb.connect(db_path)) == "0099"


def test_a_rule_set_stored_before_a_setting_existed_is_still_the_same_version(db_path: Path) -> None:
    """A database whose rule set was stored before a setting was added (here lifecycle.conversion_classes)
    upgrades in place: read with the setting's default, it is the library's rule set, so init accepts it."""
    import json

    from workflow.testing import FrozenClock

    with wdb.connect(db_path).begin() as conn:
        [data] = conn.exec_driver_sql("SELECT data FROM rulesets WHERE rule_id = 'national'").scalars().all()
        older = json.loads(data)
        del older["lifecycle"]["conversion_classes"]
        conn.exec_driver_sql(
            "UPDATE rulesets SET data = ? WHERE rule_id = 'national'",
            (json.dumps(older, ensure_ascii=False),),
        )
    with Engine.init(db_path, clock=FrozenClock("2026-03-02T09:00:00+08:00")) as engine:
        assert engine.active_ruleset().lifecycle.conversion_classes == ["A", "C"]


def test_upgrading_to_the_search_index_indexes_the_cases_already_there(db_path: Path) -> None:
    """A database from before the search index, whose cases changed while it had none, is searchable after
    the upgrade by what the cases say now."""
    from alembic import command

    from workflow.testing import FrozenClock

    clock = FrozenClock("2026-03-02T09:00:00+08:00")
    with Engine.open(db_path, clock=clock) as engine:
        engine.submit("0001", title="关于优化公交线路的建议", content="建议增加夜班公交", deputy="张三")
        engine.submit("0002", title="关于老旧小区加装电梯的建议", deputy="李四")
    config = Config()
    config.set_main_option("script_location", str(resources.files("workflow.store") / "migrations"))
    before = wdb.connect(db_path)
    with before.begin() as conn:
        config.attributes["connection"] = conn
        command.downgrade(config, "-1")  # the revision before the index
        conn.exec_driver_sql("UPDATE suggestions SET title = '关于增设社区食堂的建议' WHERE number = '0001'")
    before.dispose()
    with Engine.init(db_path, clock=clock) as upgraded:
        assert wdb.current_revision(upgraded.db.engine) == wdb.HEAD_REVISION

        def found(text: str) -> list[str]:
            return [c.number for c in upgraded.search(text=text).cases]

        assert found("社区食堂") == ["0001"]
        assert found("优化公交线路") == []
        assert found("夜班公交") == ["0001"]
        assert found("加装电梯") == ["0002"]
        assert found("公交") == ["0001"]


def test_upgrading_to_0018_counts_the_published_cases_and_keeps_the_migrations_copy(db_path: Path) -> None:
    """A database from before the published counts gets them counted; the triggers then follow each action;
    the migration's copy of the published states is the engine's."""
    import importlib.util

    from workflow.core.views import Actor
    from workflow.store.scope import PUBLISHED
    from workflow.testing import FrozenClock, make_case

    script = resources.files("workflow.store") / "migrations" / "versions" / "0018_published_counts.py"
    spec = importlib.util.spec_from_file_location("published_counts_0018", str(script))
    assert spec is not None
    assert spec.loader is not None
    migration = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(migration)
    assert migration._PUBLISHED == PUBLISHED
    clock = FrozenClock("2026-03-02T09:00:00+08:00")
    with Engine.open(db_path, clock=clock) as engine:
        make_case(engine, "0001", state="closed", clock=clock, co=())
        make_case(engine, "0002", state="answered", clock=clock, co=())
        make_case(engine, "0003", state="assigned", clock=clock, co=())
    _downgrade(db_path, "0017")
    with Engine.init(db_path, clock=clock) as engine:
        public = engine.acting(Actor.public())
        assert public.published_page(limit=1).total == 2
        engine.amend("0002", reason="涉密", confidential=True)
        assert public.published_page(limit=1).total == 1


def _upgrading_to_0020_fills_each_units_cases(url: str) -> None:
    from workflow.core.views import Actor
    from workflow.testing import DEFAULT_UNITS, FrozenClock, make_case

    clock = FrozenClock("2026-03-02T09:00:00+08:00")
    main, co, other = DEFAULT_UNITS[0], DEFAULT_UNITS[1], DEFAULT_UNITS[2]
    with Engine.open(url, clock=clock) as engine:
        make_case(engine, "0001", state="assigned", clock=clock, co=[co])
        make_case(engine, "0002", state="answered", clock=clock, co=())
        make_case(engine, "0003", state="assigned", clock=clock, co=())
        engine.reassign("0003", main=other, reason="调整")  # 0003 stays in the first unit's scope
    _downgrade(url, "0019")
    with Engine.init(url, clock=clock) as engine:
        mine = engine.acting(Actor.unit(main))
        assert [c.number for c in mine.search(state="assigned").cases] == ["0001", "0003"]
        assert [c.number for c in mine.search(state="answered").cases] == ["0002"]
        assert [c.number for c in engine.acting(Actor.unit(co)).search(state="assigned").cases] == ["0001"]
        engine.answer("0003", category="A", text="已办理", actor=Actor.unit(other))  # the triggers follow
        assert [c.number for c in mine.search(state="assigned").cases] == ["0001"]
        assert [c.number for c in mine.search(state="answered").cases] == ["0002", "0003"]
        assert [c.number for c in engine.acting(Actor.unit(other)).search(state="answered").cases] == ["0003"]


def test_upgrading_to_0020_fills_each_units_cases_from_the_assignments_there(db_path: Path) -> None:
    """A database from before ``unit_cases`` gets each unit's cases, with their state, from its assignments
    (those a reassignment ended too); the triggers then follow each action."""
    _upgrading_to_0020_fills_each_units_cases(str(db_path))


@pytest.mark.postgres
def test_postgres_upgrading_to_0020_fills_each_units_cases(pg_url: str) -> None:
    """The same on PostgreSQL, whose triggers are functions of their own."""
    from workflow.testing import make_engine

    make_engine(pg_url).dispose()
    _upgrading_to_0020_fills_each_units_cases(pg_url)


def _published_count_triggers(url: str) -> dict[str, str]:
    """The triggers on ``suggestions`` keeping the published counts (PostgreSQL): name → row or statement."""
    db = wdb.connect(url)
    with db.connect() as conn:
        rows = conn.exec_driver_sql(
            "SELECT tgname, tgtype FROM pg_trigger WHERE tgrelid = 'suggestions'::regclass "
            "AND NOT tgisinternal AND tgname LIKE 'published_counts%%'"
        ).all()
    db.dispose()
    return {name: "row" if kind & 1 else "statement" for name, kind in rows}  # TRIGGER_TYPE_ROW


@pytest.mark.postgres
def test_postgres_0021_keeps_the_published_counts_per_statement_and_down_per_row(pg_url: str) -> None:
    """On PostgreSQL 0021 replaces 0018's row-level triggers by one statement-level trigger for each of insert,
    delete and update; its downgrade restores 0018's; the counts follow each action either way."""
    from workflow.core.views import Actor
    from workflow.testing import FrozenClock, make_case, make_engine

    clock = FrozenClock("2026-03-02T09:00:00+08:00")
    make_engine(pg_url, clock=clock).dispose()
    statement = {f"published_counts_{event}": "statement" for event in ("insert", "delete", "update")}
    assert _published_count_triggers(pg_url) == statement
    with Engine.open(pg_url, clock=clock) as engine:
        make_case(engine, "0001", state="closed", clock=clock, co=())
        make_case(engine, "0002", state="answered", clock=clock, co=())
    _downgrade(pg_url, "0020")
    assert _published_count_triggers(pg_url) == {
        "published_counts_insert_delete": "row",
        "published_counts_update": "row",
    }
    with Engine.init(pg_url, clock=clock) as engine:  # up again, the counts as 0018's triggers left them
        assert _published_count_triggers(pg_url) == statement
        public = engine.acting(Actor.public())
        assert public.published_page(limit=1).total == 2
        make_case(engine, "0003", state="answered", clock=clock, co=())
        engine.amend("0001", reason="涉密", confidential=True)
        assert public.published_page(limit=1).total == 2


def _assignment_indexes(url: str) -> set[str]:
    from sqlalchemy import inspect

    db = wdb.connect(url)
    with db.connect() as conn:
        names = {str(i["name"]) for i in inspect(conn).get_indexes("assignments")}
    db.dispose()
    return names


def _0022_indexes_each_units_open_assignments(url: str) -> None:
    from workflow.core.views import Actor
    from workflow.testing import DEFAULT_UNITS, FrozenClock, make_case

    clock = FrozenClock("2026-03-02T09:00:00+08:00")
    main, co, other = DEFAULT_UNITS[0], DEFAULT_UNITS[1], DEFAULT_UNITS[2]
    with Engine.open(url, clock=clock) as engine:
        make_case(engine, "0001", state="assigned", clock=clock, co=[co])
        make_case(engine, "0002", state="assigned", clock=clock, co=())
        make_case(engine, "0003", state="assigned", clock=clock, co=())
        engine.receive("0002", actor=Actor.unit(main))
    assert "ix_assignments_unit_open_cases" in _assignment_indexes(url)
    _downgrade(url, "0021")
    assert "ix_assignments_unit_open_cases" not in _assignment_indexes(url)
    with Engine.init(url, clock=clock) as engine:
        assert "ix_assignments_unit_open_cases" in _assignment_indexes(url)
        session = engine.get("0001").session
        mine = engine.acting(Actor.unit(main))
        assert mine.unreceived() == {(session, "0001"), (session, "0003")}
        assert engine.acting(Actor.unit(co)).unreceived() == {(session, "0001")}
        engine.reassign("0003", main=other, reason="调整")  # the index follows the assignment that ended
        assert mine.unreceived() == {(session, "0001")}
        assert engine.acting(Actor.unit(other)).unreceived() == {(session, "0003")}


def test_0022_indexes_each_units_open_assignments_and_down_drops_it(db_path: Path) -> None:
    """0022 adds the partial index of the units' open assignments, its downgrade drops it; what a unit has not
    signed for reads the same either way."""
    _0022_indexes_each_units_open_assignments(str(db_path))


def test_0022_gives_the_index_its_statistics_on_an_analysed_sqlite_database(db_path: Path) -> None:
    """On a SQLite database analysed before, the new index gets statistics of its own (the planner chose a worse
    plan when the other indexes had statistics and it had none); one never analysed is left without."""
    import sqlite3

    def stats() -> list[str]:
        with sqlite3.connect(db_path) as conn:
            if not conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'sqlite_stat1'").fetchall():
                return []
            return [r[0] for r in conn.execute("SELECT idx FROM sqlite_stat1 WHERE tbl = 'assignments'")]

    from workflow.testing import FrozenClock, make_case

    clock = FrozenClock("2026-03-02T09:00:00+08:00")
    with Engine.open(db_path, clock=clock) as engine:  # statistics are of rows: an empty table has none
        make_case(engine, "0001", state="assigned", clock=clock, co=())
    _downgrade(db_path, "0021")
    Engine.init(db_path).dispose()
    assert "ix_assignments_unit_open_cases" not in stats()
    _downgrade(db_path, "0021")
    with sqlite3.connect(db_path) as conn:
        conn.execute("ANALYZE")
    Engine.init(db_path).dispose()
    assert "ix_assignments_unit_open_cases" in stats()


@pytest.mark.postgres
def test_postgres_0022_indexes_each_units_open_assignments_and_down_drops_it(pg_url: str) -> None:
    """The same on PostgreSQL."""
    from workflow.testing import make_engine

    make_engine(pg_url).dispose()
    _0022_indexes_each_units_open_assignments(pg_url)
