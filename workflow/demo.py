"""``jianyi demo``: a realistic year of one session in a fresh database.

150 suggestions, 30 units and 60 deputies of a city congress's 2026 session, handled through every path of
the lifecycle with the real engine: the 交办会 batch assignment, co-unit opinions, contacts, A/B/C answers
with promises, satisfied and unsatisfied feedback, re-handling (twice for some), hand-back requests
reassigned or refused, split handling, answers without a late co-unit's opinion, extensions, withdrawals,
late answers, and cases still open (overdue, waiting for feedback, not yet assigned).
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path

from rules.i18n import _
from workflow.core.errors import ValidationError
from workflow.core.states import ContactMethod
from workflow.core.views import Actor
from workflow.engine import AssignOrder, Engine, Promised
from workflow.store import outbox
from workflow.testing import FrozenClock, beijing

__all__ = ["DEMO_CONGRESS", "SCENARIO_LABELS", "DemoReport", "build_demo"]

DEMO_CONGRESS = "演示市人大常委会"
SESSION = "市十七届人大六次会议"
NOW = beijing("2026-11-20", 17)
PAST_NOTICE = "demo: a notice of the simulated past, never sent"
ASSIGNED_ON = date(2026, 2, 10)

UNITS = (
    "市发展和改革委员会",
    "市教育局",
    "市科学技术局",
    "市工业和信息化局",
    "市公安局",
    "市民政局",
    "市司法局",
    "市财政局",
    "市人力资源和社会保障局",
    "市自然资源和规划局",
    "市生态环境局",
    "市住房和城乡建设局",
    "市城市管理局",
    "市交通运输局",
    "市水利局",
    "市农业农村局",
    "市商务局",
    "市文化旅游广电局",
    "市卫生健康委员会",
    "市退役军人事务局",
    "市应急管理局",
    "市审计局",
    "市市场监督管理局",
    "市体育局",
    "市统计局",
    "市医疗保障局",
    "市林业局",
    "市数据资源局",
    "市供电公司",
    "市自来水公司",
)
FIELDS = {
    "交通": ("市交通运输局", "关于优化{}公交线路的建议"),
    "教育": ("市教育局", "关于增加{}学位供给的建议"),
    "医疗": ("市卫生健康委员会", "关于提升{}基层医疗服务能力的建议"),
    "环境": ("市生态环境局", "关于加强{}河道治理的建议"),
    "城建": ("市住房和城乡建设局", "关于推进{}老旧小区改造的建议"),
    "农业": ("市农业农村局", "关于扶持{}特色农业发展的建议"),
    "民生": ("市民政局", "关于完善{}养老服务体系的建议"),
    "就业": ("市人力资源和社会保障局", "关于促进{}高校毕业生就业的建议"),
}
PLACES = (
    "城东区",
    "城西区",
    "高新区",
    "开发区",
    "北湖镇",
    "南山乡",
    "江口街道",
    "青石镇",
    "白沙乡",
    "新城区",
)
SURNAMES = "王李张刘陈杨黄赵周吴徐孙马朱胡郭何林罗高"
GIVEN = ("建国", "秀英", "志强", "丽华", "海燕", "伟", "静", "军", "敏", "磊", "洋", "艳", "勇", "娟", "涛")

SCENARIOS = (
    ("a_satisfied", 34),
    ("b_promise", 24),
    ("c_rehandled", 10),
    ("unsatisfied_twice", 4),
    ("returned_reassigned", 6),
    ("return_refused", 4),
    ("split", 6),
    ("without_opinion", 5),
    ("late_answer", 10),
    ("extended", 4),
    ("withdrawn", 4),
    ("waiting_feedback", 15),
    ("overdue", 10),
    ("co_pending", 6),
    ("unassigned", 8),
)

# the paths in the offices' words, for the demo's description
SCENARIO_LABELS = {
    "a_satisfied": "A类满意",
    "b_promise": "B类有承诺",
    "c_rehandled": "C类重新办理",
    "unsatisfied_twice": "两次不满意",
    "returned_reassigned": "退办后二次交办",
    "return_refused": "退办未同意",
    "split": "分办",
    "without_opinion": "未等会办意见答复",
    "late_answer": "逾期答复",
    "extended": "延期",
    "withdrawn": "撤回",
    "waiting_feedback": "待代表反馈",
    "overdue": "逾期未答复",
    "co_pending": "会办意见未到",
    "unassigned": "未交办",
}


@dataclass
class DemoReport:
    """What the demo built."""

    path: Path
    cases: int = 0
    units: int = 0
    deputies: int = 0
    actions: int = 0
    scenarios: Counter[str] = field(default_factory=Counter)
    states: Counter[str] = field(default_factory=Counter)
    examples: dict[str, str] = field(default_factory=dict)
    conversions: int = 0
    summary: str = ""  # the year's summary report, as text, as `report summary` prints it now
    suppressed: int = 0  # notices of the simulated past, suppressed (never sent)


def _at(day: date, rng: random.Random) -> datetime:
    return beijing(day, rng.randint(9, 16), rng.choice((0, 15, 30, 45)))


def _reset(path: Path) -> None:
    """Remove a previous demo database at ``path``; refuse to touch anything else."""
    if not path.exists():
        return
    try:
        with Engine.open(path, congress=DEMO_CONGRESS) as old:
            if [s.name for s in old.sessions()] != [SESSION]:
                raise ValidationError(_("not a demo database"))
    except Exception:
        msg = _("{path} exists and is not a jianyi demo database; choose another path with --db").format(
            path=path
        )
        raise ValidationError(msg) from None
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)


def build_demo(
    path: str | Path, *, seed: int = 2026, progress: Callable[[str], None] | None = None
) -> DemoReport:
    """Build the demo session in a fresh SQLite database at ``path`` (a previous demo there is replaced)."""
    target = Path(path)
    _reset(target)
    say = progress or (lambda _msg: None)
    rng = random.Random(seed)  # noqa: S311  (reproducible sample data, not security)
    clock = FrozenClock(NOW)
    engine = Engine.init(target, congress=DEMO_CONGRESS, level="city", clock=clock)
    report = DemoReport(path=target)
    try:
        _populate(engine, rng, report, say)
        _follow_up(engine, rng, report)
        # the notices of a past no one lived through are never sent: a daemon's first run on the demo sends only
        # what comes due from then on
        report.suppressed = outbox.suppress_pending(
            engine, reason=_("demo: a notice of the simulated past, never sent")
        )
    finally:
        engine.dispose()
    from workflow.reporting.formats import render
    from workflow.reporting.reports import build

    with Engine.open(target, congress=DEMO_CONGRESS) as today:  # at the real time, as `report summary` counts
        summary = render(build(today, "summary", decimals=2), "text")
    assert isinstance(summary, str)
    report.summary = summary
    return report


def _populate(engine: Engine, rng: random.Random, report: DemoReport, say: Callable[[str], None]) -> None:
    engine.add_session(SESSION, term="第十七届", year=2026, current=True)
    for name in UNITS:
        engine.add_unit(name, email=f"unit{UNITS.index(name) + 1:02d}@example.org", phone="0731-0000000")
    report.units = len(UNITS)
    deputies: list[str] = []
    while len(deputies) < 60:
        name = rng.choice(SURNAMES) + rng.choice(GIVEN)
        if name not in deputies:
            deputies.append(name)
            engine.add_deputy(
                name, delegation=rng.choice(PLACES) + "代表团", phone="138" + f"{rng.randrange(10**8):08d}"
            )
    report.deputies = len(deputies)
    plan = [name for name, weight in SCENARIOS for _copy in range(weight)]
    rng.shuffle(plan)
    say(_("submitting {count} suggestions").format(count=len(plan)))
    cases: list[tuple[str, str, str, list[str]]] = []
    for i, scenario in enumerate(plan, start=1):
        number = f"{i:04d}"
        topic = rng.choice(list(FIELDS))
        main, pattern = FIELDS[topic]
        place = rng.choice(PLACES)
        lead = rng.choice(deputies)
        co_signers = rng.sample([d for d in deputies if d != lead], rng.choice((0, 0, 1, 2, 4)))
        between = scenario == "unassigned" or rng.random() < 0.05
        submitted = (
            date(2026, 1, rng.randint(12, 16))
            if not between
            else date(2026, rng.randint(3, 6), rng.randint(1, 28))
        )
        engine.submit(
            number,
            title=pattern.format(place),
            deputy=lead,
            co_signers=co_signers,
            field=topic,
            content=f"{place}群众反映强烈，建议有关部门统筹研究解决。",
            between_sessions=between,
            confidential=rng.random() < 0.03,
            at=_at(submitted, rng),
        )
        report.actions += 1
        others = [u for u in UNITS if u != main]
        co = (
            rng.sample(others, rng.choice((0, 1, 1, 2)))
            if scenario not in ("split", "co_pending", "without_opinion")
            else []
        )
        if scenario in ("co_pending", "without_opinion"):
            co = rng.sample(others, 2)
        cases.append((number, scenario, lead, [main, *co]))
        report.scenarios[scenario] += 1
    say(_("交办会: assigning in one batch"))
    orders = []
    for number, scenario, _lead, units in cases:
        if scenario == "unassigned" or (int(number) > 0 and _late_submit(engine, number)):
            continue
        if scenario == "split":
            orders.append(
                AssignOrder(number, split=(units[0], rng.choice([u for u in UNITS if u != units[0]])))
            )
        else:
            orders.append(
                AssignOrder(
                    number, main=units[0], co=tuple(units[1:]), key=rng.random() < 0.08, complex=False
                )
            )
    engine.assign_many(orders, at=beijing(ASSIGNED_ON, 9, 30))
    report.actions += len(orders)
    assigned = {o.number for o in orders}
    say(_("handling"))
    for number, scenario, lead, units in cases:
        if number not in assigned:
            if scenario != "unassigned":  # submitted between sessions: assigned within days
                case = engine.get(number)
                day = case.submitted_at.date() + timedelta(days=5)
                engine.assign(number, main=units[0], co=units[1:], at=_at(day, rng))
                report.actions += 1
                assigned.add(number)
                _handle(engine, rng, report, number, scenario, lead, units, day)
            continue
        _handle(engine, rng, report, number, scenario, lead, units, ASSIGNED_ON)
    for case in engine.list_cases():
        report.states[case.state] += 1
        report.examples.setdefault(case.state, case.number)
    report.cases = len(cases)


def _follow_up(engine: Engine, rng: random.Random, report: DemoReport) -> None:
    """回头看: some closed B cases have since been solved (B→A), one turned out impossible for now (B→C)."""
    closed_b = [c for c in engine.list_cases() if c.state == "closed" and c.current_category == "B"]
    for i, case in enumerate(closed_b):
        if i == 0:
            engine.convert(case.number, to="C", evidence="资金未落实，列入下一年度计划统筹考虑")
        elif rng.random() < 0.4:
            engine.convert(case.number, to="A", evidence="承诺事项已完成，经代表确认")
        else:
            continue
        report.conversions += 1
        report.actions += 1


def _late_submit(engine: Engine, number: str) -> bool:
    return engine.get(number).between_sessions


def _handle(
    engine: Engine,
    rng: random.Random,
    report: DemoReport,
    number: str,
    scenario: str,
    lead: str,
    units: list[str],
    start: date,
) -> None:
    main, co = units[0], units[1:]
    day = start
    n = 0

    def later(lo: int, hi: int) -> datetime:
        nonlocal day
        day = day + timedelta(days=rng.randint(lo, hi))
        return _at(day, rng)

    def act(fn: Callable[..., object], *args: object, **kwargs: object) -> None:
        nonlocal n
        fn(*args, **kwargs)
        n += 1

    if scenario == "withdrawn":
        act(
            engine.withdraw,
            number,
            reason="情况已变化，代表书面申请撤回",
            actor=Actor.deputy(lead),
            at=later(5, 20),
        )
        report.actions += n
        return
    if scenario in ("returned_reassigned", "return_refused"):
        act(
            engine.request_return,
            number,
            reason="该事项不属于本单位职责范围",
            actor=Actor.unit(main),
            at=later(2, 6),
        )
        if scenario == "returned_reassigned":
            main = rng.choice([u for u in UNITS if u != main and u not in co])
            act(engine.reassign, number, main=main, co=co, reason="经协调，改由新单位主办", at=later(3, 8))
        else:
            act(engine.refuse_return, number, reason="属于该单位职责，继续办理", at=later(3, 8))
    if scenario == "extended":
        act(engine.extend, number, reason="涉及面广、处理难度大，经同意延期答复", at=later(20, 40))
    act(
        engine.contact,
        number,
        method=rng.choice(list(ContactMethod)),
        unit=main,
        note="办前走访代表",
        at=later(3, 10),
    )
    if scenario == "co_pending":
        act(
            engine.opinion,
            number,
            unit=co[0],
            text="原则同意，建议加大投入",
            actor=Actor.unit(co[0]),
            at=later(5, 15),
        )
        report.actions += n
        return
    for unit in co if scenario != "without_opinion" else co[:1]:
        act(
            engine.opinion,
            number,
            unit=unit,
            text="原则同意，请主办单位统筹",
            actor=Actor.unit(unit),
            at=later(3, 12),
        )
    if scenario in ("overdue", "extended"):
        report.actions += n
        return
    if scenario == "late_answer":  # the answer period ends about 90 days after assignment
        day = max(day, start + timedelta(days=93)) + timedelta(days=rng.randint(0, 20))
    elif scenario == "waiting_feedback":
        day = max(day + timedelta(days=1), date(2026, 11, rng.randint(2, 12)))
    else:
        day = max(
            day + timedelta(days=1),
            min(day + timedelta(days=rng.randint(20, 50)), start + timedelta(days=86)),
        )
    overrides = {co[1]: "会办单位逾期未反馈意见，经同意先行答复"} if scenario == "without_opinion" else None
    category = {"b_promise": "B", "c_rehandled": "C", "unsatisfied_twice": "C"}.get(
        scenario, rng.choice("AAAB")
    )
    promises = [Promised("列入明年计划并组织实施", date(2026, 12, 31))] if category == "B" else []
    if scenario == "split":
        for unit in units[:1] + [u for u in engine.get(number).split_units if u != units[0]]:
            act(
                engine.answer,
                number,
                unit=unit,
                category="A",
                text="已按分工办理完毕",
                actor=Actor.unit(unit),
                at=later(1, 2),
            )
    else:
        act(
            engine.answer,
            number,
            category=category,
            text="经认真研究，答复如下……",
            unit=main,
            promises=promises,
            without_opinion=overrides,
            at=_at(day, rng),
        )
    if scenario == "waiting_feedback":
        report.actions += n
        return
    me = Actor.deputy(lead)
    if scenario in ("c_rehandled", "unsatisfied_twice"):
        act(
            engine.feedback,
            number,
            rating="unsatisfied",
            comment="答复未回应核心诉求",
            actor=me,
            at=later(3, 10),
        )
        act(
            engine.contact,
            number,
            method=ContactMethod.VISIT,
            unit=main,
            note="重新办理，当面听取意见",
            at=later(2, 6),
        )
        act(
            engine.answer,
            number,
            category="B",
            text="重新研究后，已列入计划逐步解决",
            unit=main,
            promises=[Promised("完成项目立项", date(2027, 6, 30))],
            at=later(10, 25),
        )
        if scenario == "unsatisfied_twice":
            act(
                engine.feedback,
                number,
                rating="unsatisfied",
                comment="仍未解决，建议专题研究",
                actor=me,
                at=later(3, 10),
            )
            report.actions += n
            return
    rating = rng.choice(("satisfied", "satisfied", "satisfied", "basic"))
    act(engine.feedback, number, rating=rating, actor=me, at=later(3, 12))
    report.actions += n
