"""Fuzzing the command line and the ledger's cells: whatever is typed, jianyi answers with one line, exits with
a documented code, and writes nothing when it refuses.

Each example runs one command line through click's runner on a fresh copy of a database holding a case in
every state. Option values mix valid ones with hostile ones: empty and blank text, control characters, line
breaks, bidi and zero-width characters, 100,000-character text, huge and negative numbers, dates at and past
the ends of the calendar, unknown units, deputies, cases and notices, Chinese text, repeated options.

Narrowed while a finding is open (widen it when it is fixed):

- a refusal the import makes while replaying a row (:data:`REPLAY_REFUSAL`, "the rows before it are
  imported") leaves the rows before it: an open finding.
"""

from __future__ import annotations

import csv
import re
import shutil
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from cli import EXIT_CODES, cli
from workflow.engine import Engine
from workflow.ledger import COLUMNS
from workflow.testing import DEFAULT_DEPUTIES, DEFAULT_SESSION, DEFAULT_UNITS, FrozenClock, make_case

pytestmark = pytest.mark.slow

DOCUMENTED_EXITS = frozenset({0, 2, *EXIT_CODES.values()})


def fuzz(examples: int) -> settings:
    """Hypothesis settings of a fuzz test: ``examples`` command lines, no deadline (a command takes ~20 ms)."""
    return settings(
        max_examples=examples,
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )


# The cases of the fuzzed database, one in each state (the answered one of class B, to convert).
STATES = ("submitted", "assigned", "co_handled", "answered", "re_handled", "closed", "withdrawn", "assigned")
NUMBERS = tuple(f"{i:04d}" for i in range(1, len(STATES) + 1))


@dataclass(frozen=True)
class Fuzzed:
    """The database every example starts from, and where the examples' copies go."""

    template: Path
    work: Path


@pytest.fixture(scope="module")
def cases_db(template_db: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The template database with one case in every state, built once."""
    path = tmp_path_factory.mktemp("fuzz") / "cases.db"
    shutil.copy(template_db, path)
    clock = FrozenClock("2026-03-02T09:00:00+08:00")
    with Engine.open(path, clock=clock) as engine:
        for number, state in zip(NUMBERS, STATES, strict=True):
            make_case(engine, number, state=state, clock=clock, category="B" if state == "answered" else "A")
    return path


@pytest.fixture
def fuzzed(cases_db: Path, tmp_path: Path) -> Fuzzed:
    """Where the examples of one test run."""
    return Fuzzed(cases_db, tmp_path)


# ---- what every invocation must do ---------------------------------------------------------------
def snapshot(path: Path) -> list[str]:
    """Everything the database holds, as SQL (a change to any row of any table changes it)."""
    with sqlite3.connect(path) as conn:
        dump = list(conn.iterdump())
    conn.close()
    return dump


def invoke(runner: CliRunner, fuzzed: Fuzzed, args: Sequence[str], *, read_only: bool = False) -> Result:
    """Run ``jianyi ARGS`` on a fresh copy of the database and check the answer: no traceback, a documented
    exit code, one ``Error:`` line on failure, and nothing written on failure (nor ever, when ``read_only``)."""
    db = fuzzed.work / "fuzz.db"
    for leftover in fuzzed.work.glob("fuzz.db*"):
        leftover.unlink()
    shutil.copy(fuzzed.template, db)
    before = snapshot(db)
    result = runner.invoke(cli, ["--db", str(db), *args])
    check_answer(result, args)
    after = snapshot(db)
    if result.exit_code != 0 or read_only:
        assert after == before, f"exit {result.exit_code} but the database changed: {args!r}"[:2000]
    return result


def check_answer(result: Result, args: Sequence[str], *, listed: bool = False) -> None:
    """No traceback, a documented exit code, and on failure one ``Error:`` line (after click's usage lines
    for exit 2; followed by ``  - `` lines listing bad rows when ``listed``)."""
    event(f"exit {result.exit_code}")  # pytest --hypothesis-show-statistics: how often each code came
    typed = [a if len(a) <= 80 else f"{a[:20]}…({len(a)} characters)" for a in args]
    shown = f"{typed!r} → exit {result.exit_code}: {result.output[-600:]!r}"
    assert result.exception is None or isinstance(result.exception, SystemExit), (
        f"{shown} raised {result.exception!r}"
    )
    assert "Traceback" not in result.output, shown
    assert result.exit_code in DOCUMENTED_EXITS, shown
    if result.exit_code == 0:
        return
    lines = result.stderr.splitlines()
    errors = [line for line in lines if line.startswith("Error:")]
    assert len(errors) == 1, shown
    at = lines.index(errors[0])
    if result.exit_code == 2:  # click's usage error: "Usage: …", "Try …", blank, then the error
        assert all(line.startswith(("Usage:", "Try ")) or not line.strip() for line in lines[:at]), shown
    else:
        assert at == 0, shown
    rest = lines[at + 1 :]
    assert all(listed and line.startswith("  - ") for line in rest), shown
    assert not re.search(r"[\x00-\x08\x0b-\x1f\x7f]", errors[0]), f"raw control character: {shown}"


# ---- values ----------------------------------------------------------------------------------------
LONG = ("x" * 100_000, "关" * 100_000)
HOSTILE = (
    "",
    " ",
    "\t",
    "\n",
    "\r\n",
    "a\r\nb",
    "\x00",
    "a\x00b",
    "\x1b[2J",
    "坏\x1b[2J单位",
    "\u200b",
    "\u202e",
    "\u202e局通交市",
    "x",
    "-",
    "--",
    "0",
    "-1",
    "999999999",
    "99999999999999999999",
    "-99999999999999999999",
    "1e309",
    "nan",
    "１２",
    "%s",
    "{0}",
    "{{ 7 * 7 }}",
    "'; DROP TABLE suggestions; --",
    '=HYPERLINK("http://example.org","点击")',
    "𠀀",
    "未知",
    "x" * 600,
    *LONG,
)
HOSTILE_TIMES = (
    "0001-01-01",
    "0001-01-01T00:00+14:00",
    "1900-01-01",
    "1899-12-31",
    "2999-12-31",
    "3000-01-01",
    "9999-12-31",
    "9999-12-31T23:59-01:00",
    "9999-12-31T23:59:59.999999-23:59",
    "0000-01-01",
    "2026-02-30",
    "2026-13-01",
    "2026-03-02T25:00",
    "2026-03-02T09:00+25:00",
    "2026-03-02T09:00+08:00",
    "2026-03-02T09:00Z",
    "2026-03-02T09:00:00.123456-12:00",
    "2027-06-01",
    "2026年3月10日",
    "2026/3/10",
    "20260310",
    "2026-W10-1",
)
LINE_BREAKS = "\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"


# what a byte that is not UTF-8 on the command line becomes in Python (``jianyi show $'\xff'``)
SURROGATES = ("\udcff", "0001\udce4", "市\udcb0")


def texts(*valid: str) -> st.SearchStrategy[str]:
    """Valid values, hostile ones (lone surrogates among them), or any text."""
    hostile = st.one_of(st.sampled_from(HOSTILE), st.sampled_from(SURROGATES), st.text(max_size=30))
    return st.one_of(st.sampled_from(valid), hostile) if valid else hostile


def names(*valid: str) -> st.SearchStrategy[str]:
    """Names a command looks up: as :func:`texts` (an unknown one is named escaped, hint included)."""
    return texts(*valid)


def times() -> st.SearchStrategy[str]:
    """``--at``/``--now`` values: dates and date-times, in range or not, with offsets or without."""
    valid = st.sampled_from(("2026-03-20", "2026-03-20T10:00", "2026-11-01", "2026-12-01T08:00+08:00"))
    return st.one_of(
        valid,
        valid,
        valid,
        valid,
        valid,
        st.sampled_from(HOSTILE_TIMES),
        st.dates().map(str),
        st.datetimes().map(lambda d: d.isoformat(timespec="minutes")),
        st.builds(
            lambda d, h, m: f"{d}T09:00{'+' if h >= 0 else '-'}{abs(h):02d}:{m:02d}",
            st.dates(),
            st.integers(-30, 30),
            st.integers(0, 99),
        ),
        texts(),
    )


def days() -> st.SearchStrategy[str]:
    """``--due``/``--from``/``--to`` values: dates, in range or not."""
    return st.one_of(st.sampled_from(("2026-01-01", "2027-01-01")), st.sampled_from(HOSTILE_TIMES), times())


def integers(*, bits: int | None = None) -> st.SearchStrategy[str]:
    """Integers as typed: small, huge (beyond 64 bits unless ``bits`` bounds them), negative, or not one."""
    bound = None if bits is None else 2 ** (bits - 1)
    numbers = st.integers(None if bound is None else -bound, None if bound is None else bound - 1)
    hostile = (
        st.sampled_from(HOSTILE).filter(lambda s: not (s.lstrip("-").isdigit() and abs(int(s)) >= bound))
        if bound is not None
        else st.sampled_from(HOSTILE)
    )
    return st.one_of(st.integers(-3, 40).map(str), numbers.map(str), hostile)


def spans() -> st.SearchStrategy[str]:
    """``--within`` values: 7d, 2w, and what is not a span."""
    count = st.one_of(st.integers(-10, 400), st.integers())
    return st.one_of(
        st.sampled_from(("7d", "2w", "0d", "-7d", "999999999d", "99999999999999999999d", "1y", "7", "d")),
        st.builds(lambda n, u: f"{n}{u}", count, st.sampled_from(("d", "w", "D", "W", " d", "天"))),
        texts(),
    )


def months() -> st.SearchStrategy[str]:
    """``calendar YYYY-MM`` arguments."""
    return st.one_of(
        st.sampled_from(
            ("2026-10", "0000-01", "0001-01", "9999-12", "10000-01", "2026-00", "2026-13", "-1-01")
        ),
        st.builds(lambda y, m: f"{y:04d}-{m:02d}", st.integers(-10, 12_000), st.integers(-1, 13)),
        texts(),
    )


CASES = texts(*NUMBERS, "0100", "9999", "0001 ", "1")
UNITS = names(*DEFAULT_UNITS, "未知单位")
DEPUTIES = names(*DEFAULT_DEPUTIES, "赵六")
SESSIONS = names(DEFAULT_SESSION, "未知会议")
ACTORS = names(
    "office",
    *(f"unit:{u}" for u in DEFAULT_UNITS),
    *(f"deputy:{d}" for d in DEFAULT_DEPUTIES),
    "deputy:",
    "unit:",
    "unit:未知单位",
    "deputy:赵六",
    "admin",
)


def choice(*valid: str) -> st.SearchStrategy[str]:
    """A choice option: one of ``valid`` mostly, else anything."""
    return st.one_of(st.sampled_from(valid), st.sampled_from(valid), st.sampled_from(valid), texts())


# A valid value of each option, for the calm command lines that reach the engine (and its writes).
RATINGS = ("satisfied", "basic", "unsatisfied")
VALID: dict[str, tuple[str, ...]] = {
    "--title": ("关于公交的建议",),
    "--deputy": DEFAULT_DEPUTIES,
    "--co-signer": ("李四", "王五"),
    "--content": ("正文",),
    "--field": ("交通",),
    "--main": ("市教育局", "市住房和城乡建设局"),
    "--co": ("市财政局",),
    "--reason": ("原因说明",),
    "--category": ("A", "B", "C"),
    "--text": ("答复正文",),
    "--unit": DEFAULT_UNITS,
    "--promise": ("修路",),
    "--due": ("2027-06-30",),
    "--rating": RATINGS,
    "--comment": ("意见",),
    "--attitude": RATINGS,
    "--result": RATINGS,
    "--method": ("visit", "meeting", "phone", "letter", "online"),
    "--note": ("沟通情况",),
    "--stage": ("before", "during", "after"),
    "--to": ("A", "C"),
    "--evidence": ("已解决",),
    "--at": ("2026-03-20", "2026-11-01T10:00"),
    "--now": ("2026-03-20", "2026-11-01T10:00"),
    "--within": ("7d", "2w", "400d"),
    "--days": ("30", "365"),
    "--state": ("assigned", "answered"),
    "--format": ("text", "json", "csv", "md", "html"),
    "--from": ("2026-01-01",),
}


# flag, values (None: a flag), how often given, its valid values (of VALID when empty)
Option = tuple[str, st.SearchStrategy[str] | None, float, tuple[str, ...]]


def opt(
    flag: str, values: st.SearchStrategy[str] | None = None, often: float = 0.5, valid: tuple[str, ...] = ()
) -> Option:
    return (flag, values, often, valid or VALID.get(flag, ()))


@st.composite
def command_line(
    draw: st.DrawFn,
    words: Sequence[str],
    positionals: Sequence[st.SearchStrategy[str]],
    options: Sequence[Option],
) -> list[str]:
    """``[--as ACTOR] WORDS POSITIONALS OPTIONS…``: each option given or not, now and then twice. A third of
    the lines are calm, valid but for at most one option, so that they reach the engine and its writes."""
    calm = draw(st.integers(0, 2)) == 0
    hostile = draw(st.sampled_from([flag for flag, _, _, _ in options] or [""])) if calm else ""
    args: list[str] = []
    if not calm and draw(st.integers(0, 3)) == 0:
        args += ["--as", draw(ACTORS)]
    args += list(words)
    args += [draw(value) for value in positionals]
    for flag, values, often, valid in options:
        if calm and values is not None and flag != hostile and not valid:
            continue
        times_given = draw(st.sampled_from((1,) * 19 + (2,))) if draw(st.floats(0, 1)) < often else 0
        for _ in range(1 if calm else times_given):
            if values is None:
                args += [flag]
            elif calm and flag != hostile:
                args += [flag, draw(st.sampled_from(valid))]
            else:
                args += [flag, draw(values)]
    return args


def action(name: str, *options: Option, cases: Sequence[str] = ()) -> st.SearchStrategy[list[str]]:
    """An action command on a case (mostly one of ``cases``, where it is allowed): its options, then --at,
    --session, --expect-version and --json."""
    common = (
        opt("--at", times(), 0.6),
        opt("--session", SESSIONS, 0.2),
        opt("--expect-version", integers(), 0.2),
        opt("--json", None, 0.3),
    )
    number = st.one_of(st.sampled_from(cases), st.sampled_from(cases), CASES) if cases else CASES
    return command_line([name], [number], [*options, *common])


ACTIONS = st.one_of(
    action(
        "submit",
        opt("--title", texts("关于公交的建议"), 0.95),
        opt("--deputy", DEPUTIES, 0.95),
        opt("--co-signer", DEPUTIES),
        opt("--content", texts("正文")),
        opt("--field", texts("交通")),
        opt("--between-sessions"),
        opt("--confidential"),
        cases=("0100", "0101"),
    ),
    action(
        "assign",
        opt("--main", UNITS, 0.8),
        opt("--co", UNITS),
        opt("--split", UNITS, 0.2),
        opt("--key", None, 0.2),
        opt("--complex", None, 0.2),
        cases=("0001",),
    ),
    action(
        "reassign",
        opt("--main", UNITS, 0.8),
        opt("--co", UNITS),
        opt("--split", UNITS, 0.2),
        opt("--reason", texts("换单位")),
        cases=("0002", "0008"),
    ),
    action(
        "answer",
        opt("--category", choice("A", "B", "C", "D", "E", "a"), 0.95),
        opt("--text", texts("答复正文"), 0.95),
        opt("--unit", UNITS),
        opt("--promise", texts("修路")),
        opt("--due", days()),
        opt("--without-opinion", UNITS, 0.3),
        opt("--reason", texts("逾期未提出意见"), 0.3),
        cases=("0002", "0003", "0008"),
    ),
    action(
        "feedback",
        opt("--rating", choice("satisfied", "basic", "unsatisfied"), 0.95),
        opt("--comment", texts("问题未解决")),
        opt("--attitude", choice("satisfied", "basic", "unsatisfied"), 0.3),
        opt("--result", choice("satisfied", "basic", "unsatisfied"), 0.3),
        cases=("0004",),
    ),
    action(
        "contact",
        opt("--unit", UNITS),
        opt("--method", choice("visit", "meeting", "phone", "letter", "online"), 0.95),
        opt("--note", texts("电话沟通")),
        opt("--stage", choice("before", "during", "after"), 0.4),
        cases=("0002", "0003"),
    ),
    action("opinion", opt("--unit", UNITS), opt("--text", texts("同意"), 0.95), cases=("0002", "0008")),
    action(
        "convert",
        opt("--to", choice("A", "C", "B", "D"), 0.95),
        opt("--evidence", texts("已解决"), 0.95),
        cases=("0004",),
    ),
    action("progress", opt("--note", texts("进展"), 0.95), cases=("0004",)),
    action("withdraw", opt("--reason", texts("代表书面撤回"), 0.9), cases=("0002", "0001")),
    action("extend", opt("--reason", texts("涉及面广"), 0.9), cases=("0002",)),
    action("close", opt("--reason", texts("办结")), cases=("0004",)),
    action("rehandle", opt("--reason", texts("重新办理")), cases=("0004", "0005")),
    action("return", opt("--unit", UNITS), opt("--reason", texts("不属职责"), 0.9), cases=("0002", "0008")),
    action("refuse-return", opt("--reason", texts("属于职责"), 0.9), opt("--unit", UNITS), cases=("0002",)),
)

SESSION = opt("--session", SESSIONS, 0.2)
JSON = opt("--json", None, 0.3)
FORMATS = choice("text", "md", "html", "json", "csv", "xlsx")
SCOPE = (
    opt("--from", days(), 0.4),
    opt("--to", days(), 0.4, valid=("2026-12-31",)),
    opt("--unit", UNITS, 0.3),
    opt("--term", names("第十四届"), 0.2),
    opt("--session", SESSIONS, 0.2),
    opt("--format", FORMATS, 0.5),
)
QUERIES = st.one_of(
    command_line(["show"], [CASES], [SESSION, JSON]),
    command_line(["history"], [CASES], [SESSION, JSON]),
    command_line(["deadlines"], [CASES], [opt("--explain"), SESSION, JSON]),
    command_line(
        ["list"],
        [],
        [
            opt("--state", choice("submitted", "assigned", "answered", "closed", "withdrawn", "re_handled")),
            opt("--unit", UNITS),
            opt("--overdue"),
            opt("--now", times()),
            opt("--deputy", DEPUTIES, 0.3),
            opt("--delegation", texts("北京代表团"), 0.2),
            opt("--field", texts("交通"), 0.2),
            opt("--key", None, 0.2),
            opt("--no-key", None, 0.1),
            opt("--between-sessions", None, 0.1),
            opt("--confidential", None, 0.1),
            opt("--text", texts("公交", "测试建议", "建议"), 0.4),
            opt("--limit", integers(), 0.3),
            opt("--offset", integers(), 0.3),
            SESSION,
            JSON,
        ],
    ),
    command_line(
        ["due"],
        [],
        [opt("--within", spans(), 0.8), opt("--unit", UNITS), opt("--now", times()), SESSION, JSON],
    ),
    command_line(
        ["report"],
        [choice("summary", "units", "conversion", "overdue", "evaluation")],
        [*SCOPE, opt("--decimals", integers(), 0.3), opt("--now", times(), 0.4)],
    ),
    command_line(["lookback"], [], list(SCOPE)),
    command_line(["export"], [choice("ledger", "public")], [opt("--format", choice("csv", "xlsx")), SESSION]),
    command_line(["calendar"], [months()], [JSON]),
    command_line(["remind", "--dry-run"], [], [opt("--once", None, 0.9), opt("--now", times(), 0.9), JSON]),
    command_line(
        ["forecast"],
        [],
        [opt("--days", integers(), 0.7), opt("--now", times(), 0.7), opt("--unit", UNITS), JSON],
    ),
    command_line(["outbox", "show"], [integers()], [opt("--render"), JSON]),
    command_line(["outbox", "list"], [], [opt("--limit", integers()), JSON]),
)

DIRECTORY = st.one_of(
    command_line(
        ["unit", "add"],
        [texts("新单位")],
        [
            opt("--parent", UNITS, 0.3),
            opt("--email", texts("office@example.org"), 0.3),
            opt("--phone", texts("010-12345678"), 0.3),
            opt("--webhook", texts("https://example.org/hook"), 0.3),
            JSON,
        ],
    ),
    command_line(
        ["deputy", "add"],
        [texts("赵六")],
        [
            opt("--delegation", texts("第一代表团"), 0.3),
            opt("--email", texts("deputy@example.org"), 0.3),
            opt("--phone", texts("13800000000"), 0.3),
            JSON,
        ],
    ),
    command_line(
        ["session", "add"],
        [texts("2027年会议")],
        [
            opt("--term", texts("第十四届"), 0.3),
            opt("--year", integers(), 0.4),
            opt("--current", None, 0.3),
            JSON,
        ],
    ),
    command_line(["outbox", "retry"], [integers()], [JSON]),
)


# ---- the command line -------------------------------------------------------------------------------
@fuzz(200)
@given(args=ACTIONS)
def test_an_action_answers_in_one_line_and_writes_nothing_when_refused(
    runner: CliRunner, fuzzed: Fuzzed, args: list[str]
) -> None:
    """Any lifecycle action: no traceback, a documented exit code, one error line, nothing written on refusal."""
    invoke(runner, fuzzed, args)


@fuzz(200)
@given(args=QUERIES)
def test_a_query_answers_in_one_line_and_never_writes(
    runner: CliRunner, fuzzed: Fuzzed, args: list[str]
) -> None:
    """show, list, due, report, calendar, remind --dry-run, forecast, …: one line on failure, nothing written."""
    invoke(runner, fuzzed, args, read_only=True)


@fuzz(120)
@given(args=DIRECTORY)
def test_a_directory_entry_answers_in_one_line_and_writes_nothing_when_refused(
    runner: CliRunner, fuzzed: Fuzzed, args: list[str]
) -> None:
    """unit/deputy/session add and outbox retry: one line on failure, nothing written."""
    invoke(runner, fuzzed, args)


@fuzz(60)
@given(
    values=st.lists(
        st.sampled_from(
            [
                ("--main", "市教育局"),
                ("--main", "市财政局"),
                ("--at", "2026-03-20"),
                ("--session", DEFAULT_SESSION),
                ("--expect-version", "2"),
            ]
        ),
        min_size=2,
        max_size=5,
    )
)
def test_a_single_value_option_given_twice_is_a_usage_error(
    runner: CliRunner, fuzzed: Fuzzed, values: list[tuple[str, str]]
) -> None:
    """``reassign --main X --main Y`` and the like: exit 2, nothing written, never the last value silently."""
    flags = [flag for flag, _ in values]
    args = ["reassign", "0002", *(part for pair in values for part in pair)]
    result = invoke(runner, fuzzed, args)
    if len(set(flags)) < len(flags):
        assert result.exit_code == 2, (args, result.output)


# ---- the ledger's cells -----------------------------------------------------------------------------
HEADER = [zh for zh, _ in COLUMNS]
GOOD_ROW = {
    "建议编号": "0101",
    "标题": "关于公交的建议",
    "领衔代表": "张三",
    "附议代表": "李四、王五",
    "领域": "交通",
    "主办单位": "市交通运输局",
    "会办单位": "市财政局",
    "交办日期": "2026-02-10",
    "答复日期": "2026-04-20",
    "办理类别": "B",
    "代表意见": "满意",
    "反馈日期": "2026-04-30",
    "办结日期": "",
    "转化类别": "A",
    "转化日期": "2026-09-01",
}
EXISTING_ROW = GOOD_ROW | {
    "建议编号": "0004",
    "标题": "测试建议 0004",
    "交办日期": "2026-03-06",
    "答复日期": "2026-03-08",
}
# Open finding: a row the check passes but the replay refuses (a date before the case's last event, the main
# unit also a co-unit, …) exits 3 after the rows before it were committed, and says so; a new case's row itself
# writes nothing, not even the units and deputies only it names (checked when it is the first row). Drop this
# when the check catches what the replay refuses.
REPLAY_REFUSAL = "The rows before it are imported"
FIRST_ROW_WROTE_NOTHING = re.compile(r"^Error: row 2 \(.*this row wrote nothing", re.DOTALL)
CELL_VALUES = {
    "交办日期": days(),
    "答复日期": days(),
    "反馈日期": days(),
    "办结日期": days(),
    "转化日期": days(),
    "办理类别": choice("A", "B", "C", "D", "E"),
    "代表意见": choice("满意", "基本满意", "不满意", "一般"),
    "转化类别": choice("A", "C", "B"),
    "建议编号": texts(*NUMBERS, "0101", "0102", "0101 ", "１０１"),
}
CELL_HOSTILE = (
    *HOSTILE,
    "x" * 140_000,
    "a、、b",
    "、",
    "0年1月1日",
    "99999年1月1日",
    "2026年2月30日",
    "2026/13/45",
)


@st.composite
def ledger_rows(draw: st.DrawFn) -> list[list[str]]:
    """One to three rows, each a good row (of a new case, or of one in the database) with some cells made
    hostile."""
    rows = []
    for _ in range(draw(st.integers(1, 3))):
        row = dict(draw(st.sampled_from((GOOD_ROW, EXISTING_ROW))))
        for column in draw(st.lists(st.sampled_from(HEADER), min_size=1, max_size=4, unique=True)):
            row[column] = draw(
                st.one_of(
                    CELL_VALUES.get(column, texts()), st.sampled_from(CELL_HOSTILE), st.text(max_size=20)
                )
            )
        rows.append([row[c] for c in HEADER])
    return rows


@fuzz(150)
@given(rows=ledger_rows())
def test_a_ledger_cell_is_imported_or_refused_whole_in_one_error(
    runner: CliRunner, fuzzed: Fuzzed, rows: list[list[str]]
) -> None:
    """``jianyi import`` of hostile cells: no traceback, a documented exit code, one ``Error:`` line (the bad
    rows listed under it), and nothing written when it refuses."""
    ledger = fuzzed.work / "台账.csv"
    # a lone surrogate goes into the file as the byte it stands for: the file is then not UTF-8
    with ledger.open("w", encoding="utf-8", errors="surrogateescape", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(HEADER)
        writer.writerows(rows)
    db = fuzzed.work / "fuzz.db"
    for leftover in fuzzed.work.glob("fuzz.db*"):
        leftover.unlink()
    shutil.copy(fuzzed.template, db)
    before = snapshot(db)
    args = ["--db", str(db), "import", str(ledger)]
    result = runner.invoke(cli, args)
    check_answer(result, [*args, repr(rows)[:2000]], listed=True)
    if result.exit_code != 0 and (
        REPLAY_REFUSAL not in result.stderr or FIRST_ROW_WROTE_NOTHING.search(result.stderr)
    ):
        assert snapshot(db) == before, f"exit {result.exit_code} but the database changed: {rows!r}"[:2000]
