"""The JSON of the read models (``show --json``, ``list --json``, the API's bodies) is pinned: a full dossier, a
page of cases and the listings' items, with a datetime with microseconds, one in another zone and Nones, must give
exactly the keys, order and values of ``data/views.json`` (written from these examples)."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from workflow.core.dossier import (
    AnswerEntry,
    AssignmentEntry,
    AttachmentEntry,
    ContactEntry,
    Dossier,
    ExtensionRequestEntry,
    FeedbackEntry,
    NoteEntry,
    OpinionEntry,
    OriginEntry,
    PromiseEntry,
    ReturnEntry,
    ReviewEntry,
)
from workflow.core.views import (
    Case,
    CasePage,
    ConversionInfo,
    DeadlineExplained,
    DeadlineInfo,
    DueItem,
    ExtensionRequestInfo,
    HistoryEntry,
    PendingReturn,
    ReviewInfo,
)

EXPECTED = Path(__file__).parent / "data" / "views.json"
AT = datetime(2026, 3, 9, 1, 2, 3, 456789, tzinfo=UTC)
LOCAL = datetime(2026, 3, 9, 9, 0, tzinfo=timezone(timedelta(hours=8)))
ATT = AttachmentEntry("答复函.pdf", "application/pdf", 1234, "ab" * 32)
PROMISE = PromiseEntry("调整线路", date(2026, 12, 31), "open")


def deadline(kind: str = "answer", unit: str | None = "交通局", met: datetime | None = None) -> DeadlineInfo:
    return DeadlineInfo(
        kind=kind,
        unit=unit,
        round=1,
        start=date(2026, 3, 9),
        due=date(2026, 6, 9),
        due_at=datetime(2026, 6, 9, 16, 0, tzinfo=UTC),
        raw_due=date(2026, 6, 8),
        roll_reason=None if met else "周末顺延",
        status="met" if met else "open",
        met_at=met,
        late=False if met else None,
        provisional=not met,
        version=2,
    )


def case(n: int = 1) -> Case:
    return Case(
        id=n,
        number=f"{n:04d}",
        session="十六届三次",
        title="关于优化公交线路的建议",
        content="内容\n第二行",
        field=None,
        deputy="张三",
        co_signers=("李四", "王五"),
        state="assigned",
        round=1,
        category="B",
        current_category="A",
        main_unit="交通局",
        co_units=("规划局",),
        split_units=(),
        key=True,
        complex=False,
        extended=False,
        confidential=False,
        between_sessions=False,
        escalation_level=0,
        version=7,
        ruleset="default@3",
        submitted_at=AT,
        assigned_at=LOCAL,
        answered_at=None,
        closed_at=None,
        deadlines=(deadline(), deadline("co_opinion", "规划局", met=AT)),
        conversions=(ConversionInfo("B", "A", "已完成", "unit:交通局", AT),),
        allowed=("answer", "contact"),
    )


def dossier() -> Dossier:
    note = NoteEntry(
        "extend", 1, AT, "office", "延期", {"days": 30, "nested": {"at": "x"}, "list": [1, 2]}, (ATT,)
    )
    return Dossier(
        case=case(),
        assignments=(
            AssignmentEntry("交通局", "main", 1, AT, None, LOCAL),
            AssignmentEntry("规划局", "co", 1, AT, LOCAL),
        ),
        returns=(ReturnEntry("城管局", "不属职责", AT, "refused", LOCAL, "属于"),),
        opinions=(OpinionEntry("规划局", 1, "同意", AT, date(2026, 4, 9), None, "unit:规划局", (ATT,)),),
        contacts=(ContactEntry("交通局", 1, "phone", "before", "电话", AT, "unit:交通局 (录入 office)"),),
        answers=(
            AnswerEntry(
                "交通局",
                1,
                "B",
                "答复",
                AT,
                date(2026, 6, 9),
                False,
                "unit:交通局",
                (PROMISE,),
                (("规划局", "逾期"),),
                (ATT,),
            ),
        ),
        feedback=(FeedbackEntry("张三", 1, "satisfied", None, "good", "满意", AT, "deputy:张三"),),
        extensions=(note,),
        refusals=(),
        rehandlings=(),
        progress=(note,),
        conversions=(),
        withdrawal=NoteEntry("withdraw", 1, LOCAL, "deputy:张三", "撤回", {}),
        submitted_by="office",
        amendments=(NoteEntry("amend", 1, AT, "office", "更正", {"title": ["旧", "新"]}),),
        origin=OriginEntry(17, AT, "deputy:张三"),
        extension_requests=(ExtensionRequestEntry("交通局", "复杂", AT, "pending", None, None),),
        reviews=(ReviewEntry("交通局", 1, "B", "答复", AT, "returned", LOCAL, "补充", (ATT,), (PROMISE,)),),
    )


def page(n: int = 2) -> CasePage:
    return CasePage(total=1000, offset=50, limit=n, cases=tuple(case(i) for i in range(1, n + 1)))


def everything() -> dict[str, Any]:
    return {
        "dossier": dossier().to_json(),
        "page": page().to_json(),
        "due": DueItem(
            "0001", "十六届三次", "题", "answer", None, date(2026, 6, 9), AT, True, False
        ).to_json(),
        "pending": PendingReturn("0001", "s", "t", "u", "r", AT).to_json(),
        "review": ReviewInfo("0001", "s", "t", "u", "B", AT, None).to_json(),
        "extension": ExtensionRequestInfo("0001", "s", "t", "u", "r", LOCAL, date(2026, 6, 9)).to_json(),
        "explained": DeadlineExplained(
            deadline(),
            "3 months",
            "basis",
            "default@3",
            "assigned",
            "2026-06-09 24:00 Asia/Shanghai",
            (2027,),
        ).to_json(),
        "history": HistoryEntry(
            3, AT, LOCAL, "office", "assign", "registered", "assigned", 1, {"a": [1]}
        ).to_json(),
    }


def test_the_json_is_exactly_the_pinned_one() -> None:
    text = EXPECTED.read_text(encoding="utf-8")
    got = everything()
    assert got == json.loads(text)  # the values, lists as lists (a tuple would differ)
    assert json.dumps(got, ensure_ascii=False, indent=1) + "\n" == text  # and the keys in the same order


def test_a_note_gives_a_copy_of_its_data() -> None:
    note = dossier().extensions[0]
    out = note.to_json()
    assert out["data"] == note.data
    assert out["data"] is not note.data
