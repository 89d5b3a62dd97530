"""Embedding jianyi in another application: a county office's year, with a clock of its own.

Run it with ``python examples/embed.py``; it builds an in-memory database, so nothing is left behind.
"""

from __future__ import annotations

from datetime import date

from workflow import Actor, AssignOrder, Conflict, Engine, Promised, TransitionNotAllowed
from workflow.testing import FrozenClock, beijing


def main() -> None:
    clock = FrozenClock(beijing("2026-01-20"))
    engine = Engine.init("sqlite://", congress="衡南县人大常委会", level="county", clock=clock)
    engine.add_session("县十八届人大五次会议", term="第十八届", year=2026, current=True)
    for name in ("县交通运输局", "县教育局", "县财政局"):
        engine.add_unit(name)
    for name in ("李明", "王芳"):
        engine.add_deputy(name)

    # the host application forwards committed events to its own message bus
    engine.subscribe(lambda e: print(f"  event: {e.number} {e.action} {e.from_state} → {e.to_state}"))

    engine.submit("001", title="关于修缮乡村公路的建议", deputy="李明", co_signers=["王芳"])
    engine.submit("002", title="关于增加寄宿制学校的建议", deputy="王芳")

    clock.set(beijing("2026-02-10"))  # 交办会: both in one transaction
    engine.assign_many(
        [AssignOrder("001", main="县交通运输局", co=("县财政局",)), AssignOrder("002", main="县教育局")]
    )

    clock.set(beijing("2026-03-05"))
    engine.opinion("001", text="资金按程序安排", actor=Actor.unit("县财政局"))
    engine.contact("001", method="visit", actor=Actor.unit("县交通运输局"), note="实地查看路段")

    # a web form loaded the case at one version; someone answered meanwhile
    stale = engine.get("001").version
    clock.set(beijing("2026-04-01"))
    engine.answer(
        "001",
        category="B",
        text="已列入年度计划",
        actor=Actor.unit("县交通运输局"),
        promises=[Promised("完成路面硬化", date(2026, 10, 31))],
    )
    try:
        engine.answer("001", category="A", text="重复提交", expected_version=stale)
    except Conflict as exc:
        print(f"  refused: {exc}")

    try:
        engine.feedback("002", rating="satisfied")
    except TransitionNotAllowed as exc:
        print(f"  refused: {exc}")

    clock.set(beijing("2026-04-10"))
    engine.feedback("001", rating="basic", actor=Actor.deputy("李明"))

    for case in engine.list_cases():
        due = [f"{d.kind} {d.due}" for d in case.deadlines if d.status == "open"]
        print(
            f"{case.number} {case.state:<10} class {case.category or '-'}  open: {', '.join(due) or 'none'}"
        )
    engine.dispose()


if __name__ == "__main__":
    main()
