"""Searching cases at scale: the trigram index against a LIKE scan.

    python bench/search.py [--cases 100000] [--cases 1000000] [--pg postgresql://USER@HOST/NAME]

Writes N cases into a fresh SQLite database (and, with ``--pg``, into that PostgreSQL database, whose schema
``public`` it drops first: give it a scratch database) in the engine's storage format: titles 关于…的建议 and
60–200 characters of content drawn from a few dozen phrases, in 12 fields, one in ten a key case. One case in
10,000 carries the rare phrase 磁悬浮线. Then times, each the best of five runs, four searches through
``Engine.search`` (the count and the first page of 50, built into cases) and through the store's query alone
(count and ids), side by side with a plain ``title LIKE '%…%' OR content LIKE '%…%'`` scan that counts and
pages the same cases:

- a rare 4-character substring (磁悬浮线), which the trigram index answers;
- a common 2-character one (公交, in about half the cases), too short for trigrams: filtered by LIKE on SQLite;
- a common 3-character one (的建议, in every title), which the index answers with every case;
- a filter-only query (field 交通, key, submitted during the session), no text.

On SQLite it also times rebuilding the text index over every case, as migration 0009 does on an upgrade.
"""

from __future__ import annotations

import argparse
import random
import sqlite3
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from workflow.engine import Engine
from workflow.store.database import Database
from workflow.store.search import CaseFilter, find
from workflow.store.sql import Raw
from workflow.testing import FrozenClock

FIELDS = ("交通", "教育", "医疗", "城建", "环保", "农业", "民政", "文旅", "科技", "财政", "公安", "水利")
TOPICS = (
    "优化公交线路", "增设停车位", "加强校园安全", "推进老旧小区改造", "完善养老服务", "治理黑臭水体",
    "提高农村医保", "规范共享单车", "建设口袋公园", "扩大学位供给", "加快地铁建设", "改善农贸市场",
)  # fmt: skip
PHRASES = (
    "建议有关部门", "进一步加大投入", "群众反映强烈", "站台设置不合理", "早晚高峰拥堵严重", "方便市民出行",
    "统筹规划", "加强监督检查", "落实主体责任", "完善长效机制", "社区居民", "资金保障", "试点先行",
    "逐步推广", "提升服务水平", "信息公开", "部门联动", "夜班公交", "学校周边", "医疗资源", "环境卫生",
)  # fmt: skip
RARE = "磁悬浮线"
COMMON = "公交"
PAGE = 50
NOW = "2026-08-01T09:00:00+08:00"


def texts(rng: random.Random, i: int) -> tuple[str, str]:
    """Case ``i``'s title and content."""
    title = f"关于{rng.choice(TOPICS)}的建议"
    parts = [rng.choice(PHRASES) for _ in range(rng.randint(6, 18))]
    if i % 10_000 == 7:
        parts.insert(rng.randrange(len(parts)), f"规划建设{RARE}路")
    return title, "，".join(parts) + "。"


def rows(cases: int) -> list[tuple[Any, ...]]:
    """Every case's row, as the columns of ``INSERT_COLUMNS``."""
    rng = random.Random(5)
    out = []
    for i in range(1, cases + 1):
        title, content = texts(rng, i)
        key, between = int(i % 10 == 4), int(i % 4 == 1)
        out.append((i, f"{i:07d}", title, content, FIELDS[i % len(FIELDS)], key, between))
    return out


INSERT = (
    "INSERT INTO suggestions (id, session_id, number, title, content, field, lead_deputy_id, between_sessions, "
    "confidential, key, complex, extended, state, round, version, escalation_level, contact_level, answer_met, "
    "submitted_at, last_event_at, audit_seq, audit_head) VALUES "
    "({0}, 1, {0}, {0}, {0}, {0}, 1, {0}, FALSE, {0}, FALSE, FALSE, 'submitted', 1, 1, 0, 0, 0, {0}, {0}, 0, '')"
)


def build(url: str, cases: int, *, postgres: bool) -> float:
    """Create the schema, a session and a deputy, then N cases; the seconds the cases took to write."""
    if postgres:
        scratch = Database.connect(url).engine
        with scratch.begin() as conn:
            conn.exec_driver_sql("DROP SCHEMA public CASCADE; CREATE SCHEMA public")
        scratch.dispose()
    with Engine.init(url, clock=FrozenClock(NOW)) as engine:
        engine.add_session("基准会议", current=True)
        engine.add_deputy("张三")
    data = rows(cases)
    at = "2026-03-01 01:00:00.000000"
    start = time.perf_counter()
    if postgres:
        import psycopg

        with psycopg.connect(url) as conn, conn.cursor() as cur:
            sql = INSERT.replace("{0}", "%s")
            for lo in range(0, len(data), 10_000):
                batch = data[lo : lo + 10_000]
                cur.executemany(
                    sql, [(i, n, t, c, f, bool(b), bool(k), at, at) for i, n, t, c, f, k, b in batch]
                )
            conn.commit()
            cur.execute("ANALYZE suggestions")
        return time.perf_counter() - start
    conn = sqlite3.connect(url, isolation_level=None)
    conn.execute("PRAGMA synchronous=OFF")
    conn.execute("BEGIN")
    conn.executemany(
        INSERT.replace("{0}", "?"), [(i, n, t, c, f, b, k, at, at) for i, n, t, c, f, k, b in data]
    )
    conn.execute("COMMIT")
    took = time.perf_counter() - start
    start = time.perf_counter()  # what migration 0009 does to a database that has its cases already
    conn.execute("INSERT INTO suggestions_fts(suggestions_fts) VALUES ('rebuild')")
    print(f"\nSQLite: the text index rebuilt over {cases:,} cases in {time.perf_counter() - start:.1f} s")
    conn.execute("ANALYZE")
    conn.close()
    return took


def best(run: Callable[[], object], repeat: int = 5) -> tuple[float, object]:
    """The fastest of ``repeat`` runs, in milliseconds, and what it returned."""
    times, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = run()
        times.append(time.perf_counter() - start)
    return min(times) * 1000, result


def like_scan(db: Database, text: str | None, filters: str) -> tuple[int, list[int]]:
    """The baseline: count and page by a plain scan, ``LIKE '%text%'`` on title and content."""
    where = "s.session_id = 1" + filters
    params: dict[str, Any] = {}
    if text:
        where += " AND (s.title LIKE :p OR s.content LIKE :p)"
        params["p"] = f"%{text}%"
    with db.reading() as conn:
        raw = Raw(conn)
        total = raw.all(f"SELECT count(*) FROM suggestions s WHERE {where}", params)[0][0]
        ids = raw.column(
            f"SELECT s.id FROM suggestions s WHERE {where} ORDER BY s.number LIMIT {PAGE}", params
        )
    return int(total), [int(i) for i in ids]


def measure(url: str, label: str) -> None:
    filter_only = {"field": "交通", "key": True, "between_sessions": False}
    queries: list[tuple[str, dict[str, Any], str | None, str]] = [
        (f"rare 4 chars {RARE}", {"text": RARE}, RARE, ""),
        (f"common 2 chars {COMMON}", {"text": COMMON}, COMMON, ""),
        ("common 3 chars 的建议", {"text": "的建议"}, "的建议", ""),
        ("filter only: 交通, key, in session", filter_only, None, " AND s.field = '交通' AND s.key = :k"),
    ]
    with Engine.open(url, clock=FrozenClock(NOW)) as engine:
        db = engine.db
        flag = True if db.postgres else 1
        print(f"\n{label}")
        print(f"{'query':<36}{'matches':>9}{'search (cases)':>16}{'store query':>13}{'LIKE scan':>11}")
        for name, filters, text, extra in queries:
            engine.search(limit=PAGE, **filters)  # warm the caches
            t_search, page = best(lambda f=filters: engine.search(limit=PAGE, **f))
            with db.reading() as conn:
                session = engine.directory.session_id(conn, None)
            spec = CaseFilter(session_id=session, **filters)

            def store(spec: CaseFilter = spec) -> tuple[int, list[int]]:
                with db.reading() as conn:
                    return find(Raw(conn), db.dialect, spec, offset=0, limit=PAGE)

            t_store, (total, ids) = best(store)  # type: ignore[misc]
            extra_sql = extra.replace(":k", str(flag)) + (
                " AND s.between_sessions = " + ("false" if db.postgres else "0") if extra else ""
            )
            t_like, (like_total, like_ids) = best(lambda t=text, x=extra_sql: like_scan(db, t, x))  # type: ignore[misc]
            assert (total, ids) == (like_total, like_ids), (name, total, like_total)
            assert page.total == total  # type: ignore[attr-defined]
            print(f"{name:<36}{total:>9,}{t_search:>13.1f} ms{t_store:>10.1f} ms{t_like:>8.1f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--cases", type=int, action="append", help="cases to build (repeatable) [100000]")
    parser.add_argument("--pg", metavar="URL", help="also on this empty PostgreSQL database")
    args = parser.parse_args()
    for cases in args.cases or [100_000]:
        with tempfile.TemporaryDirectory() as tmp:
            path = str(Path(tmp) / "search.db")
            took = build(path, cases, postgres=False)
            size = Path(path).stat().st_size / 2**20
            measure(
                path, f"SQLite, {cases:,} cases (written with the index in {took:.1f} s; file {size:.0f} MiB)"
            )
        if args.pg:
            took = build(args.pg, cases, postgres=True)
            measure(args.pg, f"PostgreSQL, {cases:,} cases (written with the indexes in {took:.1f} s)")


if __name__ == "__main__":
    main()
