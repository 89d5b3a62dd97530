"""The dossier: everything units and deputies wrote comes back, by whom and when, in `show` and `show --json`."""

from __future__ import annotations

import hashlib
import json
from datetime import date, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from click.testing import CliRunner

from cli import cli
from rules import Rating
from workflow.core.attachments import Attachment
from workflow.core.errors import NotFound
from workflow.core.views import Actor
from workflow.engine import Engine, Promised
from workflow.reporting.dossier import dossier_text
from workflow.testing import FrozenClock, sample_file

pytestmark = pytest.mark.parametrize(
    "backend", ["sqlite-file", pytest.param("postgresql", marks=pytest.mark.postgres)], indirect=True
)

MAIN, CO = "市交通运输局", "市财政局"


def _handled(engine: Engine, clock: FrozenClock) -> None:
    """0001 through two rounds: a refused hand-back, an opinion, contacts, a B answer with promises,
    unsatisfied feedback, re-handling, an A answer, satisfied feedback; 0002 withdrawn."""

    def step(days: int = 1) -> None:
        clock.advance(seconds=timedelta(days=days).total_seconds())

    engine.submit(
        "0001",
        title="关于优化公交线路的建议",
        deputy="张三",
        co_signers=["李四"],
        content="第一段。\n第二段：线路绕行严重。",
        field="交通",
    )
    step()
    engine.assign("0001", main=MAIN, co=[CO], key=True)
    step()
    engine.request_return("0001", unit=CO, reason="不属于本单位职责", actor=Actor.unit(CO))
    step()
    engine.refuse_return("0001", reason="属于会办职责，请继续办理")
    step()
    engine.opinion("0001", text="同意，由主办单位统筹", actor=Actor.unit(CO))
    for i, method in enumerate(("phone", "visit", "meeting", "letter", "online")):
        step()
        engine.contact("0001", method=method, note=f"第{i + 1}次沟通", actor=Actor.unit(MAIN))
    step()
    engine.extend("0001", reason="涉及面广，需协调")
    step(20)
    engine.answer(
        "0001",
        category="B",
        text="经研究，列入明年计划。",
        promises=[Promised("新开两条线路", date(2027, 6, 30)), Promised("调整站点", date(2027, 3, 31))],
        actor=Actor.unit(MAIN),
    )
    step()
    engine.feedback(
        "0001",
        rating=Rating.UNSATISFIED,
        attitude=Rating.SATISFIED,
        result=Rating.UNSATISFIED,
        comment="时间太长，问题未解决",
        actor=Actor.deputy("张三"),
    )
    step()
    if engine.get("0001").state != "re_handled":
        engine.rehandle("0001", reason="代表不满意，重新办理")
    step(10)
    engine.answer("0001", category="A", text="已新开两条线路。", actor=Actor.unit(MAIN))
    step()
    engine.feedback("0001", rating=Rating.SATISFIED, comment="满意", actor=Actor.deputy("张三"))
    engine.submit("0002", title="关于增设路灯的建议", deputy="王五")
    step()
    engine.assign("0002", main=MAIN)
    step()
    engine.withdraw("0002", reason="代表书面申请撤回")


def test_the_dossier_holds_every_text_with_who_and_when(engine: Engine, clock: FrozenClock) -> None:
    """Opinions, contacts, answers with promises, feedback per round, refusals and extensions are read back."""
    _handled(engine, clock)
    d = engine.dossier("0001")
    assert d.case.content == "第一段。\n第二段：线路绕行严重。"
    assert (d.case.field, d.case.co_signers, d.case.key) == ("交通", ("李四",), True)
    assert [(a.unit, a.role, a.until) for a in d.assignments] == [(MAIN, "main", None), (CO, "co", None)]
    assert [(r.unit, r.reason, r.status) for r in d.returns] == [(CO, "不属于本单位职责", "refused")]
    assert [n.text for n in d.refusals] == ["属于会办职责，请继续办理"]
    assert [(o.unit, o.text, o.by, o.late) for o in d.opinions] == [
        (CO, "同意，由主办单位统筹", f"unit:{CO}", False)
    ]
    assert [(c.method, c.note, c.by) for c in d.contacts] == [
        (m, f"第{i + 1}次沟通", f"unit:{MAIN}")
        for i, m in enumerate(("phone", "visit", "meeting", "letter", "online"))
    ]
    assert [n.text for n in d.extensions] == ["涉及面广，需协调"]
    assert [(a.round, a.category, a.text, a.by) for a in d.answers] == [
        (1, "B", "经研究，列入明年计划。", f"unit:{MAIN}"),
        (2, "A", "已新开两条线路。", f"unit:{MAIN}"),
    ]
    assert [(p.text, p.due) for p in d.answers[0].promises] == [
        ("新开两条线路", date(2027, 6, 30)),
        ("调整站点", date(2027, 3, 31)),
    ]
    first = d.answers[0]
    assert first.due is not None
    assert first.late is False
    assert [(f.round, f.rating, f.attitude, f.result, f.comment, f.deputy) for f in d.feedback] == [
        (1, "unsatisfied", "satisfied", "unsatisfied", "时间太长，问题未解决", "张三"),
        (2, "satisfied", None, None, "满意", "张三"),
    ]
    assert d.rounds() == [1, 2]
    assert d.withdrawal is None
    gone = engine.dossier("0002")
    assert gone.withdrawal is not None
    assert gone.withdrawal.text == "代表书面申请撤回"


def test_show_json_carries_the_dossier_and_show_prints_it_in_chinese(
    engine: Engine, clock: FrozenClock, runner: CliRunner, db_path: Path
) -> None:
    """`show --json` has every part; the text names answers, opinions, contacts and feedback in Chinese."""
    if engine.db.dialect.name != "sqlite":
        pytest.skip("the CLI runs on the SQLite file")
    _handled(engine, clock)
    data = json.loads(runner.invoke(cli, ["--db", str(db_path), "show", "0001", "--json"]).stdout)
    assert data["answers"][0]["text"] == "经研究，列入明年计划。"
    assert data["answers"][0]["promises"][0] == {
        "text": "新开两条线路",
        "due": "2027-06-30",
        "status": "open",
    }
    assert data["opinions"][0]["text"] == "同意，由主办单位统筹"
    assert len(data["contacts"]) == 5
    assert data["feedback"][0]["comment"] == "时间太长，问题未解决"
    assert data["returns"][0]["status"] == "refused"
    assert data["main_unit"] == MAIN  # the case's own fields stay where they were
    out = runner.invoke(cli, ["--db", str(db_path), "show", "0001"]).stdout
    assert "状态：已办结（第 2 轮办理）" in out
    assert "  会办意见：\n" in out
    assert "      同意，由主办单位统筹\n" in out
    assert "    代表反馈  " in out
    assert "不满意，办理态度 满意，办理结果 不满意" in out
    assert "      承诺：新开两条线路（2027-06-30 前，未完成）" in out
    assert "      时间太长，问题未解决" in out
    assert "第 2 轮：" in out
    withdrawn = runner.invoke(cli, ["--db", str(db_path), "show", "0002"]).stdout
    assert "撤回：" in withdrawn
    assert "代表书面申请撤回" in withdrawn


def test_files_come_back_with_the_answer_and_opinion_they_came_with(engine: Engine) -> None:
    """The 答复函 is listed under its answer, the co-unit's file under its opinion; another unit finds neither."""
    letter, note = sample_file("pdf", "答复函"), sample_file("docx", "会办意见")
    engine.submit("0001", title="关于优化公交线路的建议", deputy="张三")
    engine.assign("0001", main=MAIN, co=[CO])
    engine.opinion("0001", text="同意", actor=Actor.unit(CO), attachments=[Attachment("会办意见.docx", note)])
    engine.answer(
        "0001",
        category="A",
        text="已解决",
        actor=Actor.unit(MAIN),
        attachments=[Attachment("答复函.pdf", letter)],
    )
    d = engine.dossier("0001")
    assert [(f.name, f.media_type, f.size) for f in d.answers[0].attachments] == [
        ("答复函.pdf", "application/pdf", len(letter))
    ]
    assert [f.name for f in d.opinions[0].attachments] == ["会办意见.docx"]
    assert d.to_json()["answers"][0]["attachments"][0]["sha256"] == hashlib.sha256(letter).hexdigest()
    outsider = engine.acting(Actor.unit("市教育局"))
    with pytest.raises(NotFound):
        outsider.attachment("0001", "答复函.pdf")
    with pytest.raises(NotFound):
        outsider.attachments("0001")
    assert engine.acting(Actor.unit(CO)).attachment("0001", "答复函.pdf")[1] == letter


def test_the_offices_corrections_are_in_the_dossier(engine: Engine, clock: FrozenClock) -> None:
    """An amended title shows its old and new text and the reason, in the dossier and its Chinese text."""
    engine.submit("0001", title="关于公交的建议", deputy="张三")
    engine.amend("0001", title="关于优化公交线路的建议", reason="标题录入不全")
    d = engine.dossier("0001")
    assert [(n.text, n.data["changed"]) for n in d.amendments] == [
        ("标题录入不全", {"title": {"from": "关于公交的建议", "to": "关于优化公交线路的建议"}})
    ]
    text = dossier_text(d, zone=ZoneInfo("Asia/Shanghai"), now=clock.now())
    assert "      标题：关于公交的建议 → 关于优化公交线路的建议" in text
