"""On PostgreSQL the published counts are kept once per statement: a statement writing many cases at once (an
INSERT … SELECT, a COPY, a multi-row UPDATE or DELETE) leaves them exact, as counting the cases would."""

from __future__ import annotations

import pytest
from sqlalchemy import Connection

from workflow.store.scope import PUBLISHED
from workflow.testing import FrozenClock, make_case, make_engine

pytestmark = pytest.mark.postgres


def _kept(conn: Connection) -> dict[int, int]:
    rows = conn.exec_driver_sql("SELECT session_id, cases FROM published_counts WHERE cases <> 0").all()
    return {int(session): int(cases) for session, cases in rows}


def _counted(conn: Connection) -> dict[int, int]:
    states = ", ".join(f"'{s}'" for s in PUBLISHED)
    rows = conn.exec_driver_sql(
        "SELECT session_id, count(*) FROM suggestions "
        f"WHERE NOT confidential AND state IN ({states}) GROUP BY session_id"
    ).all()
    return {int(session): int(cases) for session, cases in rows}


def test_statements_writing_many_cases_leave_the_counts_exact(pg_url: str) -> None:
    import psycopg

    clock = FrozenClock("2026-03-02T09:00:00+08:00")
    engine = make_engine(pg_url, clock=clock)
    try:
        for number, state in (
            ("0001", "closed"),
            ("0002", "answered"),
            ("0003", "assigned"),
            ("0004", "answered"),
        ):
            make_case(engine, number, state=state, clock=clock, co=())
        engine.add_session("第二次会议")
        db = engine.db.engine
        with db.begin() as conn:
            [other] = (
                conn.exec_driver_sql("SELECT id FROM sessions WHERE name = '第二次会议'").scalars().all()
            )
            [first] = conn.exec_driver_sql("SELECT DISTINCT session_id FROM suggestions").scalars().all()
            names = conn.exec_driver_sql("SELECT * FROM suggestions LIMIT 0").keys()
            before = _kept(conn)
        assert sum(before.values()) == 3
        columns = [c for c in names if c != "id"]
        listed = ", ".join(f'"{c}"' for c in columns)

        def copied(suffix: str) -> str:
            return ", ".join(f"number || '{suffix}'" if c == "number" else f'"{c}"' for c in columns)

        statements = (
            # every case again in one INSERT … SELECT
            f"INSERT INTO suggestions ({listed}) SELECT {copied('-i')} FROM suggestions",
            # a change of publication both ways in one UPDATE
            "UPDATE suggestions SET confidential = NOT confidential WHERE right(number, 2) = '-i'",
            "UPDATE suggestions SET state = 'closed' WHERE state = 'assigned'",
            # cases moved to the other session, some of them published, some not
            f"UPDATE suggestions SET session_id = {other} WHERE number IN ('0002', '0003-i', '0004-i')",
            # an update that changes no case's publication
            "UPDATE suggestions SET version = version + 1",
            # a case moved back and another away, published both, in one UPDATE: nothing changes in sum
            f"UPDATE suggestions SET session_id = CASE WHEN session_id = {other} THEN {first} ELSE {other} END "
            "WHERE number IN ('0001', '0002')",
        )
        for statement in statements:
            with db.begin() as conn:
                conn.exec_driver_sql(statement)
                assert _kept(conn) == _counted(conn), statement
        with db.connect() as conn:
            assert set(_kept(conn)) == {first, other}
            copied_before = sum(_kept(conn).values())

        with psycopg.connect(pg_url) as conn, conn.cursor() as cur:  # a COPY of every case again
            with cur.copy(f"COPY (SELECT {copied('-c')} FROM suggestions) TO STDOUT") as source:
                data = b"".join(bytes(block) for block in source)
            with cur.copy(f"COPY suggestions ({listed}) FROM STDIN") as target:
                target.write(data)
            assert cur.execute("SELECT count(*) FROM suggestions").fetchone() == (16,)
        with db.connect() as conn:
            assert _kept(conn) == _counted(conn)
            assert sum(_kept(conn).values()) == 2 * copied_before

        with db.begin() as conn:  # the copies gone in one DELETE, the rest moved back
            conn.exec_driver_sql("DELETE FROM suggestions WHERE position('-' IN number) > 0")
            assert _kept(conn) == _counted(conn)
            conn.exec_driver_sql(f"UPDATE suggestions SET session_id = {first} WHERE session_id = {other}")
            conn.exec_driver_sql("UPDATE suggestions SET state = 'assigned' WHERE number = '0003'")
            assert _kept(conn) == _counted(conn) == before

        with db.begin() as conn:  # what a rolled-back statement counted is rolled back with it
            conn.exec_driver_sql(f"INSERT INTO suggestions ({listed}) SELECT {copied('-r')} FROM suggestions")
            assert sum(_kept(conn).values()) == 2 * sum(before.values())
            conn.rollback()
        with db.connect() as conn:
            assert _kept(conn) == _counted(conn) == before
    finally:
        engine.dispose()
