"""The web portal under load: a unit's inbox, a case's dossier and the public site, over HTTP and directly.

    python bench/portal.py [--cases 1000000] [--db PATH] [--pg URL [--reuse-pg]] [--only sqlite|pg]
                           [--workers 2] [--clients 20] [--requests 1000] [--path NAME:AUTH:TEMPLATE ...]

Builds (or, when ``--db`` names a file that holds N cases already, reuses) a SQLite database of N cases in the
engine's storage format, written straight into the tables as ``bench/search.py`` does: 200 units, 1,000
deputies, titles and contents drawn from a few dozen phrases; 60% of the cases answered (A/B/C, with their
answer row), a quarter still assigned, 5% withdrawn, 3% confidential. With ``--pg`` the same cases go into that
PostgreSQL database (its schema ``public`` is dropped first: give it a scratch database; ``--reuse-pg`` keeps
one that holds N cases already). ``--only`` loads one of the two databases (``pg``: no SQLite file is built).

Then ``jianyi serve --workers 2`` runs on it, on SQLite as on PostgreSQL (one worker a core of the 2-core machine
it was written for; SQLite's WAL lets the two read side by side, and the few writes, a session's idle expiry
moved on, wait their turn), and ``--clients`` concurrent clients send ``--requests`` requests to each path; the
p50 and p95 of the response times and the requests per second are printed beside a baseline from the same run:
the same reads through the engine directly (no HTTP, no JSON, no template), one at a time. ``--workers`` sets
the server's workers for both databases.

The clients are aiohttp's, in this process, on the same machine as the server: a response time is from sending
a complete HTTP/1.1 request on a kept-alive connection to its last byte read. aiohttp rather than httpx because
the clients share the machine with the server: httpx's async client took 1.5-3.3 ms of CPU a request here,
half of what the server spends on a dossier, and aiohttp 0.2-0.45 ms. The CPU a request is printed too, the
server's (all its workers, from /proc, warm-up included), the clients' (this process's) and, when PostgreSQL
runs on the same machine, its backends' on that database (``db``, sampled from /proc every 50 ms; the number of
backends that took part is printed too: more than the workers' pools hold means connections were opened and
closed meanwhile): on a shared machine CPU varies less than the times.

- ``inbox:unit:/api/cases?state=assigned&limit=50`` (a unit's inbox: its cases waiting for an answer);
- ``case:unit:/api/cases/{session}/{number}`` (one of its cases' dossier);
- ``public:none:/public?page={page}`` (the public list, 20 a page);
- ``public_case:none:/public/{session}/{public}`` (a published case's page).

Add the HTML inbox as ``--path unit_page:unit:/unit`` when the portal has it (it has no baseline). The goal is a
p95 of at most 150 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import math
import os
import random
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import httpx

from workflow.core.views import Actor
from workflow.engine import Engine
from workflow.store.database import Database
from workflow.testing import FrozenClock

SESSION = "基准会议"
UNITS = 200
DEPUTIES = 1000
PASSWORD = "bench password 1"
UNIT_ACCOUNT = "单位001"
NOW = "2026-09-01T09:00:00+08:00"
TOPICS = (
    "优化公交线路", "增设停车位", "加强校园安全", "推进老旧小区改造", "完善养老服务", "治理黑臭水体",
    "发展乡村旅游", "提高医保报销比例", "建设智慧城市", "规范物业管理", "保护历史街区", "扶持小微企业",
)  # fmt: skip
PHRASES = (
    "群众反映强烈", "建议有关部门加大投入", "出行不便", "安全隐患突出", "资金缺口较大", "应当统筹规划",
    "进一步完善配套设施", "加强监督检查", "建立长效机制", "广泛听取意见", "落实主体责任", "提升服务水平",
)  # fmt: skip
FIELDS = ("交通", "教育", "医疗", "城建", "环保", "农业", "民政", "文旅", "科技", "财政")
DEFAULT_PATHS = (
    "inbox:unit:/api/cases?state=assigned&limit=50",
    "case:unit:/api/cases/{session}/{number}",
    "public:none:/public?page={page}",
    "public_case:none:/public/{session}/{public}",
)


def _state(i: int) -> tuple[str, str | None]:
    """Case ``i``'s state and answer class: 60% answered or later, 25% assigned, 5% withdrawn, the rest new."""
    r = ((i * 2654435761) >> 7) % 100  # a multiplicative hash: states spread evenly over the units too
    if r < 30:
        return "closed", "ABC"[i % 3]
    if r < 50:
        return "answered", "ABC"[i % 3]
    if r < 60:
        return "revisited", "AB"[i % 2]
    if r < 85:
        return "assigned", None
    if r < 90:
        return "withdrawn", None
    return "submitted", None


def unit_of(i: int) -> int:
    """Case ``i``'s main unit's id (units are 1..UNITS)."""
    return i % UNITS + 1


def rows(cases: int) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    """Suggestions, assignments and answers, as the columns of the INSERTs below."""
    rng = random.Random(5)
    at = "2026-03-01 01:00:00.000000"
    answered = "2026-05-20 02:00:00.000000"
    suggestions, assignments, answers = [], [], []
    for i in range(1, cases + 1):
        state, category = _state(i)
        title = f"关于{rng.choice(TOPICS)}的建议"
        content = "，".join(rng.choice(PHRASES) for _ in range(rng.randint(6, 14))) + "。"
        confidential = i % 33 == 5
        assigned = state != "submitted"
        suggestions.append(
            (
                i,
                f"{i:07d}",
                title,
                content,
                FIELDS[i % len(FIELDS)],
                i % DEPUTIES + 1,
                confidential,
                state,
                category,
                category,
                at,
                at if assigned else None,
                answered if category else None,
                answered if state == "closed" else None,
                answered if category else at,
                unit_of(i) if assigned else None,
            )
        )
        if assigned:
            assignments.append((i, i, unit_of(i), at))
        if category:
            answers.append((i, i, unit_of(i), category, f"答复：{title}已研究办理。" + content, answered))
    return suggestions, assignments, answers


SUGGESTION_COLUMNS = (
    "id, session_id, number, title, content, field, lead_deputy_id, between_sessions, confidential, key, "
    "complex, extended, state, round, version, escalation_level, category, current_category, submitted_at, "
    "assigned_at, answered_at, closed_at, last_event_at, audit_seq, audit_head, contact_level, answer_met, "
    "main_unit_id"
)
SUGGESTION_VALUES = (
    "{0}, 1, {0}, {0}, {0}, {0}, {0}, FALSE, {0}, FALSE, FALSE, FALSE, {0}, 1, 1, 0, {0}, {0}, {0}, {0}, {0}, "
    "{0}, {0}, 0, '', 0, 0, {0}"
)


def _directory(url: str) -> None:
    with Engine.init(url, clock=FrozenClock(NOW)) as engine:
        engine.add_session(SESSION, current=True)
        for u in range(1, UNITS + 1):
            engine.add_unit(f"单位{u:03d}")
        for d in range(1, DEPUTIES + 1):
            engine.add_deputy(f"代表{d:04d}", phone=f"139{d:08d}")
        engine.add_user(UNIT_ACCOUNT, PASSWORD, unit="单位001")


def build_sqlite(path: Path, cases: int) -> float:
    """N cases into a new SQLite file; the seconds it took."""
    start = time.perf_counter()
    path.unlink(missing_ok=True)
    _directory(str(path))
    suggestions, assignments, answers = rows(cases)
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA synchronous=OFF")
    conn.execute("BEGIN")
    conn.executemany(
        f"INSERT INTO suggestions ({SUGGESTION_COLUMNS}) VALUES ({SUGGESTION_VALUES.replace('{0}', '?')})",
        suggestions,
    )
    conn.executemany(
        "INSERT INTO assignments (id, suggestion_id, unit_id, role, round, since) VALUES (?, ?, ?, 'main', 1, ?)",
        assignments,
    )
    conn.executemany(
        "INSERT INTO answers (id, suggestion_id, unit_id, round, category, text, overrides, at) "
        "VALUES (?, ?, ?, 1, ?, ?, '{}', ?)",
        answers,
    )
    conn.execute("COMMIT")
    conn.execute("ANALYZE")
    conn.close()
    return time.perf_counter() - start


def _utc(value: Any) -> Any:
    """An instant as written for SQLite (naive UTC) marked as UTC for PostgreSQL; any other value as it is."""
    if isinstance(value, str) and len(value) == 26 and value[4] == "-" and value[10] == " ":
        return value + "+00"
    return value


def build_pg(url: str, cases: int) -> float:
    """N cases into the PostgreSQL database ``url`` (its schema dropped first); the seconds it took."""
    import psycopg

    start = time.perf_counter()
    scratch = Database.connect(url).engine
    with scratch.begin() as conn:
        conn.exec_driver_sql("DROP SCHEMA public CASCADE; CREATE SCHEMA public")
    scratch.dispose()
    _directory(url)
    suggestions, assignments, answers = rows(cases)
    with psycopg.connect(url) as conn, conn.cursor() as cur:
        columns = SUGGESTION_COLUMNS.replace(" key,", ' "key",')
        fixed = {
            "session_id": 1,
            "between_sessions": False,
            "key": False,
            "complex": False,
            "extended": False,
        }
        fixed |= {"round": 1, "version": 1, "escalation_level": 0, "audit_seq": 0, "audit_head": ""}
        fixed |= {"contact_level": 0, "answer_met": 0}
        names = [c.strip().strip('"') for c in columns.split(",")]
        with cur.copy(f"COPY suggestions ({columns}) FROM STDIN") as copy:
            for r in suggestions:
                given = iter(r)
                copy.write_row([fixed[n] if n in fixed else _utc(next(given)) for n in names])
        with cur.copy("COPY assignments (id, suggestion_id, unit_id, role, round, since) FROM STDIN") as copy:
            for a in assignments:
                copy.write_row((a[0], a[1], a[2], "main", 1, _utc(a[3])))
        with cur.copy(
            "COPY answers (id, suggestion_id, unit_id, round, category, text, overrides, at) FROM STDIN"
        ) as copy:
            for a in answers:
                copy.write_row((a[0], a[1], a[2], 1, a[3], a[4], "{}", _utc(a[5])))
        for table in ("suggestions", "assignments", "answers"):
            cur.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))"
            )
        conn.commit()
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(
            "VACUUM ANALYZE"
        )  # as autovacuum would leave it: index-only scans need the visibility map
    return time.perf_counter() - start


def sqlite_holds(path: Path, cases: int) -> bool:
    """Whether ``path`` is a bench database of exactly N cases (to reuse)."""
    if not path.exists():
        return False
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        found = conn.execute("SELECT count(*) FROM suggestions").fetchone()[0]
        conn.close()
    except sqlite3.Error:
        return False
    return bool(found == cases)


def pg_holds(url: str, cases: int) -> bool:
    """Whether the PostgreSQL database ``url`` holds exactly N cases of the bench (to reuse)."""
    import psycopg

    try:
        with psycopg.connect(url) as conn:
            found = conn.execute("SELECT count(*) FROM suggestions").fetchone()
    except psycopg.Error:
        return False
    return found is not None and found[0] == cases


def upgrade(url: str) -> None:
    """Bring a reused database to this jianyi's schema (``jianyi init`` does the same)."""
    with Engine.init(url):
        pass


@dataclass(frozen=True)
class Target:
    """One path to load: its name, whose it is (``unit`` or ``none``) and its template."""

    name: str
    auth: str
    template: str

    @classmethod
    def parse(cls, text: str) -> Target:
        name, auth, template = text.split(":", 2)
        if auth not in ("unit", "none") or not template.startswith("/"):
            raise SystemExit(f"--path {text!r}: give NAME:unit|none:/PATH")
        return cls(name, auth, template)


@dataclass(frozen=True)
class Figures:
    p50: float
    p95: float
    rps: float
    errors: int
    client_cpu: float = 0.0  # ms of this process's CPU a request (the clients')
    server_cpu: float = math.nan  # ms of the server's CPU a request, all its workers (Linux: from /proc)
    database_cpu: float = math.nan  # ms of PostgreSQL's CPU a request, its backends on the database (Linux)


def samples(cases: int) -> tuple[list[str], list[str]]:
    """Numbers of the unit 单位001's cases and of published cases, 200 each."""
    mine = [f"{i:07d}" for i in range(UNITS, cases + 1, UNITS)][:200]
    published = [
        f"{i:07d}"
        for i in range(1, cases + 1, max(1, cases // 2000))
        if _state(i)[0] in ("answered", "revisited", "closed") and i % 33 != 5
    ][:200]
    mine = [n for n in mine if _state(int(n))[0] != "submitted"]
    return mine, published


def fill(template: str, rng: random.Random, mine: list[str], published: list[str]) -> str:
    return template.format(
        session=SESSION, number=rng.choice(mine), public=rng.choice(published), page=rng.randint(1, 50)
    )


async def load(
    base: str, token: str, path: Target, clients: int, requests: int, mine: list[str], pub: list[str]
) -> Figures:
    """``requests`` requests to ``path`` from ``clients`` concurrent clients."""
    rng = random.Random(3)
    urls = [fill(path.template, rng, mine, pub) for _ in range(requests)]
    # the API reads the bearer token, the pages the session cookie
    headers = (
        {"Authorization": f"Bearer {token}", "Cookie": f"jianyi_session={token}"}
        if path.auth == "unit"
        else {}
    )
    times: list[float] = []
    errors = 0
    queue = iter(urls)

    async def get(http: aiohttp.ClientSession, url: str) -> int:
        async with http.get(url, headers=headers) as response:
            await response.read()  # to the last byte
            return response.status

    async def client(http: aiohttp.ClientSession) -> None:
        nonlocal errors
        for url in queue:
            start = time.perf_counter()
            try:
                status = await get(http, url)
            except aiohttp.ClientError:  # the server dropped the connection: counted, not fatal
                status = 0
            times.append(time.perf_counter() - start)
            if status != 200:
                errors += 1

    connector = aiohttp.TCPConnector(limit=clients)  # one kept-alive connection a client
    timeout = aiohttp.ClientTimeout(total=120)
    jar = aiohttp.DummyCookieJar()  # the session cookie is in the headers above, as the API's token is
    async with aiohttp.ClientSession(base, connector=connector, timeout=timeout, cookie_jar=jar) as http:
        # warm each worker's engine and caches: side by side, so that the connections reach every worker
        warm = [fill(path.template, rng, mine, pub) for _ in range(clients)]
        await asyncio.gather(*(get(http, url) for url in warm))
        start, cpu = time.perf_counter(), time.process_time()
        await asyncio.gather(*(client(http) for _ in range(clients)))
        took, used = time.perf_counter() - start, time.process_time() - cpu
    cuts = statistics.quantiles(times, n=100)
    return Figures(
        statistics.median(times) * 1000, cuts[94] * 1000, len(times) / took, errors, used * 1000 / len(times)
    )


def baseline(url: str, calls: int, mine: list[str], published: list[str]) -> dict[str, Figures]:
    """The same reads through the engine, one at a time: a unit's inbox, a dossier, a public page, a public
    case."""
    rng = random.Random(3)
    with Engine.open(url) as office:
        unit = office.acting(Actor.unit("单位001"))
        public = office.acting(Actor.public())
        reads: dict[str, Callable[[], object]] = {
            "inbox": lambda: unit.search(state="assigned", limit=50).to_json(),
            "case": lambda: unit.dossier(rng.choice(mine)).to_json(),
            "public": lambda: public.published_page(offset=(rng.randint(1, 50) - 1) * 20, limit=20),
            "public_case": lambda: public.published(rng.choice(published)),
        }
        out = {}
        for name, read in reads.items():
            read()
            times = []
            start = time.perf_counter()
            for _ in range(calls):
                one = time.perf_counter()
                read()
                times.append(time.perf_counter() - one)
            took = time.perf_counter() - start
            cuts = statistics.quantiles(times, n=100)
            out[name] = Figures(statistics.median(times) * 1000, cuts[94] * 1000, calls / took, 0)
    return out


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def server_cpu(session: int) -> float:
    """The CPU seconds (user and system) the processes of the session ``session`` used so far: the server and
    its workers, which ``over_http`` starts in a session of their own (NaN where there is no /proc)."""
    tick = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
    total = 0
    try:
        entries = os.listdir("/proc")
    except OSError:
        return math.nan
    for entry in entries:
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
        except OSError:  # gone meanwhile
            continue
        if int(fields[3]) == session:  # fields after the name: state ppid pgrp session … utime(11) stime(12)
            total += int(fields[11]) + int(fields[12])
    return total / tick


class BackendCPU:
    """The CPU seconds PostgreSQL's backends on one database use while it runs (Linux, from /proc, when the server
    is on this machine): sampled every 50 ms, since a backend whose connection closes takes its count with it
    (the CPU of its last 50 ms is missed)."""

    def __init__(self, url: str | None) -> None:
        self.mark = (
            f" {url.rsplit('/', 1)[1].split('?', 1)[0]} " if url and url.startswith("postgresql") else None
        )
        self.seen: dict[int, tuple[float, float]] = {}  # pid → (first, last) CPU seconds seen
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _sample(self) -> None:
        tick = os.sysconf("SC_CLK_TCK")
        for entry in os.listdir("/proc"):
            if not entry.isdigit():
                continue
            try:
                with open(f"/proc/{entry}/cmdline", "rb") as cmd:
                    line = cmd.read().replace(b"\0", b" ").decode(errors="replace")
                if not line.startswith("postgres:") or self.mark not in line:
                    continue
                with open(f"/proc/{entry}/stat") as stat:
                    fields = stat.read().rsplit(")", 1)[1].split()
            except OSError:
                continue
            used = (int(fields[11]) + int(fields[12])) / tick
            pid = int(entry)
            first = self.seen.get(pid, (used, used))[0]
            self.seen[pid] = (first, used)

    def _run(self) -> None:
        while not self.stop.is_set():
            self._sample()
            self.stop.wait(0.05)

    def __enter__(self) -> BackendCPU:
        if self.mark is not None and os.path.isdir("/proc"):
            self._sample()
            self.seen = {pid: (last, last) for pid, (_first, last) in self.seen.items()}
            self.thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        if self.thread.is_alive():
            self.stop.set()
            self.thread.join()
            self._sample()

    @property
    def used(self) -> float:
        """CPU seconds used since entering (NaN when not measured)."""
        if not self.thread.ident:
            return math.nan
        return sum(last - first for first, last in self.seen.values())


def listening(port: int) -> int | None:
    """How many sockets listen on ``port`` (Linux, from /proc: one a worker of ``jianyi serve``), or None."""
    try:
        lines = Path("/proc/net/tcp").read_text().splitlines()[1:]
    except OSError:
        return None
    return sum(1 for f in map(str.split, lines) if int(f[1].rsplit(":", 1)[1], 16) == port and f[3] == "0A")


def over_http(
    url: str, workers: int, paths: list[Target], args: argparse.Namespace, mine: list[str], pub: list[str]
) -> dict[str, Figures]:
    """``jianyi serve`` on ``url`` with ``workers`` workers, each path loaded in turn."""
    port = free_port()
    server = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import cli; cli.main()",
            "--db",
            url,
            "serve",
            "--port",
            str(port),
            "--workers",
            str(workers),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                answered = httpx.get(f"{base}/public?page=1", timeout=60).status_code == 200
            except httpx.TransportError:
                answered = False
            if answered and (workers == 1 or listening(port) in (None, workers)):
                break  # every worker listens (one socket each on Linux): none starts while loaded
            if server.poll() is not None or time.monotonic() > deadline:
                raise SystemExit("the server did not start")
            time.sleep(0.5)
        signed = httpx.post(
            f"{base}/api/session", json={"name": UNIT_ACCOUNT, "password": PASSWORD}, timeout=60
        )
        token = signed.json()["token"]
        out = {}
        for p in paths:
            before = server_cpu(server.pid)
            with BackendCPU(url) as backends:
                figures = asyncio.run(load(base, token, p, args.clients, args.requests, mine, pub))
            # the warm-up requests count too: a few per cent more than the measured ones
            used = (server_cpu(server.pid) - before) * 1000 / args.requests
            database = backends.used * 1000 / args.requests
            out[p.name] = dataclasses.replace(figures, server_cpu=used, database_cpu=database)
            if backends.seen:
                print(
                    f"{p.name}: {len(backends.seen)} PostgreSQL backends took part (connections opened meanwhile)"
                )
        return out
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=60)


def _ms(f: Figures | None) -> str:
    if f is None:
        return f"{'—':>22}"
    return f"{f.p50:7.1f} {f.p95:7.1f} {f.rps:6.0f}"


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--cases", type=int, default=1_000_000, help="cases [1000000]")
    parser.add_argument("--db", type=Path, help="the SQLite file to build or reuse [a temporary one]")
    parser.add_argument("--pg", metavar="URL", help="also on this scratch PostgreSQL database")
    parser.add_argument(
        "--reuse-pg", action="store_true", help="reuse the --pg database when it holds N cases already"
    )
    parser.add_argument("--workers", type=int, default=2, help="the server's worker processes [2]")
    parser.add_argument("--clients", type=int, default=20, help="concurrent clients [20]")
    parser.add_argument("--requests", type=int, default=1000, help="requests per path [1000]")
    parser.add_argument("--calls", type=int, default=200, help="baseline calls per read [200]")
    parser.add_argument("--path", action="append", help="NAME:unit|none:/PATH (repeatable) [the four above]")
    parser.add_argument(
        "--only", choices=("sqlite", "pg"), help="load one database alone (pg: --pg's, no SQLite file built)"
    )
    args = parser.parse_args()
    paths = [Target.parse(p) for p in (args.path or DEFAULT_PATHS)]
    mine, pub = samples(args.cases)
    if args.only == "pg" and not args.pg:
        raise SystemExit("--only pg: give the database with --pg URL")
    with tempfile.TemporaryDirectory() as tmp:
        db = args.db or Path(tmp) / "portal.db"
        runs = []
        if args.only == "pg":
            pass
        elif sqlite_holds(db, args.cases):
            print(f"SQLite: reusing {db} ({args.cases:,} cases)")
            upgrade(str(db))
            runs.append(("SQLite", str(db), args.workers))
        else:
            print(f"SQLite: {args.cases:,} cases written in {build_sqlite(db, args.cases):.0f} s")
            runs.append(("SQLite", str(db), args.workers))
        if args.only == "sqlite":
            pass
        elif args.pg and args.reuse_pg and pg_holds(args.pg, args.cases):
            print(f"PostgreSQL: reusing {args.pg} ({args.cases:,} cases)")
            upgrade(args.pg)
            runs.append(("PostgreSQL", args.pg, args.workers))
        elif args.pg:
            print(f"PostgreSQL: {args.cases:,} cases written in {build_pg(args.pg, args.cases):.0f} s")
            runs.append(("PostgreSQL", args.pg, args.workers))
        results = []
        for label, url, workers in runs:
            http = over_http(url, workers, paths, args, mine, pub)
            direct = baseline(url, args.calls, mine, pub)
            results.append((label, workers, http, direct))
    print(
        f"\n{args.cases:,} cases; {args.clients} concurrent clients, {args.requests} requests a path; "
        f"baseline: the engine directly, one read at a time, {args.calls} calls. Times in ms (goal p95 <= 150)."
    )
    head = f"{'path':<12}" + "".join(
        f" | {label} {w}w HTTP p50 p95 req/s CPU: server client db | {label} engine p50 p95 /s"
        for label, w, _, _ in results
    )
    print(head)
    for p in paths:
        line = f"{p.name:<12}"
        for _, _, http, direct in results:
            f = http[p.name]
            errors = f" ERR {f.errors}" if f.errors else ""
            line += (
                f" | {_ms(f)} {f.server_cpu:11.2f} {f.client_cpu:6.2f} {f.database_cpu:5.2f}{errors}"
                f" | {_ms(direct.get(p.name))}"
            )
        print(line)


if __name__ == "__main__":
    main()
