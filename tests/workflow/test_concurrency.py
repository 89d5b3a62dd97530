"""Two processes writing one case: exactly one wins a race, nothing is lost or half-written."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from workflow.engine import Engine
from workflow.testing import DEFAULT_DEPUTIES, DEFAULT_UNITS, FrozenClock, make_case

WORKER = textwrap.dedent(
    """
    import json, sys, time
    from pathlib import Path
    from workflow.engine import Engine
    from workflow.core.errors import Conflict, WorkflowError
    from workflow.core.views import Actor

    url, go, mode, arg = sys.argv[1], Path(sys.argv[2]), sys.argv[3], sys.argv[4]
    engine = Engine.open(url)
    while not go.exists():
        time.sleep(0.002)
    out = []
    if mode == "answer":
        try:
            engine.answer("0001", category="A", text=arg, expected_version=int(sys.argv[5]))
            out.append("won")
        except Conflict as exc:
            out.append("conflict: " + str(exc))
    elif mode == "contacts":
        for i in range(int(arg)):
            engine.contact("0001", method="phone", unit=sys.argv[5], note=str(i))
            out.append("ok")
    elif mode == "publish":
        for number in arg.split(","):
            engine.answer(number, category="A", text="已办理")
            if int(number) % 3 == 0:
                engine.amend(number, reason="涉密", confidential=True)
            out.append("ok")
    print(json.dumps(out))
    """
)


def _race(tmp_path: Path, url: str, runs: list[list[str]]) -> list[list[str]]:
    script = tmp_path / "worker.py"
    script.write_text(WORKER, encoding="utf-8")
    go = tmp_path / "go"
    procs = [
        subprocess.Popen(
            [sys.executable, str(script), url, str(go), *args], stdout=subprocess.PIPE, text=True
        )
        for args in runs
    ]
    time.sleep(1.5)  # let every worker import and open the database
    go.touch()
    results = []
    for proc in procs:
        out, _ = proc.communicate(timeout=120)
        assert proc.returncode == 0
        results.append(json.loads(out))
    return results


def _prepare(url: str) -> Engine:
    engine = Engine.open(url, clock=FrozenClock("2026-03-02T09:00:00+08:00"))
    make_case(engine, "0001", state="co_handled", co=[DEFAULT_UNITS[1]])
    return engine


def _check_race(tmp_path: Path, url: str) -> None:
    with _prepare(url) as engine:
        _race_answers(tmp_path, url, engine)


def _race_answers(tmp_path: Path, url: str, engine: Engine) -> None:
    version = engine.get("0001").version
    results = _race(tmp_path, url, [["answer", "甲方案", str(version)], ["answer", "乙方案", str(version)]])
    outcomes = sorted(r[0].split(":")[0] for r in results)
    assert outcomes == ["conflict", "won"]
    loser = next(r[0] for r in results if r[0].startswith("conflict"))
    assert "reload the case and retry" in loser
    case = engine.get("0001")
    assert (case.state, case.version) == ("answered", version + 1)
    assert [h.action for h in engine.history("0001")].count("answer") == 1
    assert engine.verify_audit() == (1, [])


def _check_no_lost_updates(tmp_path: Path, url: str) -> None:
    with _prepare(url) as engine:
        _race_contacts(tmp_path, url, engine)


def _race_contacts(tmp_path: Path, url: str, engine: Engine) -> None:
    version = engine.get("0001").version
    per_worker = 40
    results = _race(
        tmp_path,
        url,
        [["contacts", str(per_worker), DEFAULT_UNITS[0]], ["contacts", str(per_worker), DEFAULT_UNITS[1]]],
    )
    assert [len(r) for r in results] == [per_worker, per_worker]
    assert engine.get("0001").version == version + 2 * per_worker
    assert [h.action for h in engine.history("0001")].count("contact") == 2 * per_worker
    assert engine.verify_audit() == (1, [])


def test_sqlite_two_processes_race_one_wins(tmp_path: Path, db_path: Path) -> None:
    """SQLite: two answers at the same version; one commits, the other gets a conflict."""
    _check_race(tmp_path, str(db_path))


def test_sqlite_two_processes_lose_no_update(tmp_path: Path, db_path: Path) -> None:
    """SQLite: 80 interleaved actions from two processes all land, the chain intact."""
    _check_no_lost_updates(tmp_path, str(db_path))


def _pg_setup(pg_url: str) -> None:
    engine = Engine.init(pg_url, clock=FrozenClock("2026-01-05T09:00:00+08:00"))
    engine.add_session("测试会议", current=True)
    for name in DEFAULT_UNITS:
        engine.add_unit(name)
    for name in DEFAULT_DEPUTIES:
        engine.add_deputy(name)
    engine.dispose()


@pytest.mark.postgres
def test_postgres_two_processes_race_one_wins(tmp_path: Path, pg_url: str) -> None:
    """PostgreSQL: two answers at the same version; one commits, the other gets a conflict."""
    _pg_setup(pg_url)
    _check_race(tmp_path, pg_url)


@pytest.mark.postgres
def test_postgres_two_processes_lose_no_update(tmp_path: Path, pg_url: str) -> None:
    """PostgreSQL: 80 interleaved actions from two processes all land, the chain intact."""
    _pg_setup(pg_url)
    _check_no_lost_updates(tmp_path, pg_url)


@pytest.mark.postgres
def test_postgres_batch_assignment_and_full_lifecycle(pg_url: str) -> None:
    """On PostgreSQL a batch assigns every case in one transaction and cases run to the end."""
    from workflow.engine import AssignOrder

    _pg_setup(pg_url)
    with Engine.open(pg_url, clock=FrozenClock("2026-03-02T09:00:00+08:00")) as engine:
        for n in ("0001", "0002", "0003"):
            engine.submit(n, title=n, deputy=DEFAULT_DEPUTIES[0])
        changes = engine.assign_many(
            [AssignOrder(n, main=DEFAULT_UNITS[0]) for n in ("0001", "0002", "0003")]
        )
        assert [c.state for c in changes] == ["assigned"] * 3
        make_case(engine, "0004", state="closed")
        assert engine.get("0004").state == "closed"
        assert engine.verify_audit() == (4, [])


@pytest.mark.postgres
def test_a_case_locked_by_another_writer_is_busy_after_the_lock_timeout(pg_url: str) -> None:
    """On PostgreSQL a writer waits for a case row another transaction holds at most the lock timeout (10 s by
    default; here the URL sets 300 ms), then gives up with one line and nothing written; the case is free again
    afterwards."""
    from sqlalchemy import create_engine, text

    from workflow.core.errors import WorkflowError
    from workflow.testing import make_engine

    clock = FrozenClock("2026-03-02T09:00:00+08:00")
    url = pg_url + "?options=-c%20lock_timeout%3D300"
    with make_engine(url, clock=clock) as engine:
        make_case(engine, "0001", state="assigned", clock=clock, co=())
        before = engine.get("0001").version
        holder = create_engine(pg_url.replace("postgresql://", "postgresql+psycopg://", 1))
        with holder.connect() as conn, conn.begin():
            conn.execute(text("SELECT id FROM suggestions WHERE number = '0001' FOR UPDATE"))
            with pytest.raises(
                WorkflowError,
                match=r"^the database is busy or unavailable, nothing was written: .*lock timeout",
            ):
                engine.contact("0001", method="phone", unit=DEFAULT_UNITS[0])
        holder.dispose()
        assert engine.get("0001").version == before
        engine.contact("0001", method="phone", unit=DEFAULT_UNITS[0])
        assert engine.get("0001").version == before + 1


@pytest.mark.postgres
def test_postgres_writers_publishing_at_once_keep_the_public_total_exact(tmp_path: Path, pg_url: str) -> None:
    """Two processes answer (and some mark confidential) different cases at once: the public list's total, kept
    by the database's triggers in each writing transaction, is the plain count afterwards."""
    from workflow.core.views import Actor

    _pg_setup(pg_url)
    numbers = [f"{i:04d}" for i in range(1, 25)]
    with Engine.open(pg_url, clock=FrozenClock("2026-03-02T09:00:00+08:00")) as engine:
        for n in numbers:
            make_case(engine, n, state="co_handled", co=[DEFAULT_UNITS[1]])
        public = engine.acting(Actor.public())
        assert public.published_page(limit=1).total == 0
        results = _race(
            tmp_path, pg_url, [["publish", ",".join(numbers[0::2])], ["publish", ",".join(numbers[1::2])]]
        )
        assert [len(r) for r in results] == [12, 12]
        published = [c for c in engine.list_cases() if c.state == "answered" and not c.confidential]
        assert len(published) == 16
        assert public.published_page(limit=1).total == 16


@pytest.mark.postgres
def test_postgres_writers_at_once_keep_each_units_cases_exact(tmp_path: Path, pg_url: str) -> None:
    """Two processes answer (and some mark confidential) different cases of the same two units at once: the
    units' cases kept by the database's triggers (``unit_cases``) carry each case's state afterwards, and a
    unit's cases in a state are those the office finds."""
    from sqlalchemy import text

    from workflow.core.views import Actor

    _pg_setup(pg_url)
    numbers = [f"{i:04d}" for i in range(1, 25)]
    with Engine.open(pg_url, clock=FrozenClock("2026-03-02T09:00:00+08:00")) as engine:
        for n in numbers:
            make_case(engine, n, state="co_handled", co=[DEFAULT_UNITS[1]])
        results = _race(
            tmp_path, pg_url, [["publish", ",".join(numbers[0::2])], ["publish", ",".join(numbers[1::2])]]
        )
        assert [len(r) for r in results] == [12, 12]
        with engine.db.engine.connect() as conn:
            stale = conn.execute(
                text(
                    "SELECT count(*) FROM unit_cases u JOIN suggestions s ON s.id = u.suggestion_id "
                    "WHERE u.state <> s.state OR u.number <> s.number OR u.session_id <> s.session_id"
                )
            ).scalar_one()
            kept = conn.execute(text("SELECT count(*) FROM unit_cases")).scalar_one()
        assert (stale, kept) == (0, 48)
        for name in DEFAULT_UNITS[:2]:
            unit = engine.acting(Actor.unit(name))
            assert [c.number for c in unit.search(state="answered").cases] == numbers
