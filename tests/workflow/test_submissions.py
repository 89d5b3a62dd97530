"""Online submissions (网上提交): a deputy proposes, sees the status, may withdraw while pending; the office
accepts (受理: a case under the next number or its own, the deputy told the number) or declines with a reason."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from workflow.core.attachments import Attachment
from workflow.core.errors import NotFound, PermissionDenied, TransitionNotAllowed, ValidationError
from workflow.core.submissions import SubmissionClosed, SubmissionStatus
from workflow.core.views import Actor
from workflow.engine import Engine
from workflow.testing import FrozenClock, notices, row_count, sample_file

pytestmark = pytest.mark.parametrize(
    "backend", ["sqlite-file", pytest.param("postgresql", marks=pytest.mark.postgres)], indirect=True
)

TITLE = "关于优化公交线路的建议"


def _propose(engine: Engine, deputy: str = "张三", **kw: object) -> int:
    return engine.acting(Actor.deputy(deputy)).propose(TITLE, content="建议增开夜班公交。", **kw).id  # type: ignore[arg-type]


def test_a_deputy_proposes_and_sees_it_pending(engine: Engine) -> None:
    """A proposal waits for the office (待受理), with its co-signers and who proposed it."""
    mine = engine.acting(Actor.deputy("张三"))
    sub = mine.propose(TITLE, content="建议增开夜班公交。", co_signers=["李四", "张三", "李四"], field="交通")
    assert (sub.status, sub.status_label, sub.deputy, sub.co_signers) == (
        SubmissionStatus.PENDING,
        "待受理",
        "张三",
        ("李四",),
    )
    assert [(e.action, e.actor) for e in sub.events] == [("propose", "deputy:张三")]
    assert [s.id for s in mine.submissions()] == [sub.id]
    assert row_count(engine, "suggestions") == 0


def test_the_office_accepts_with_the_next_number_and_the_deputy_is_told(engine: Engine) -> None:
    """受理 registers a case under the next number, records its online origin and tells the deputy the number."""
    engine.submit("0123", title="已有建议", deputy="王五")
    sid = _propose(engine, co_signers=["李四"])
    change = engine.accept_submission(sid)
    assert (change.number, change.state) == ("0124", "submitted")
    case = engine.get("0124")
    assert (case.title, case.deputy, case.co_signers) == (TITLE, "张三", ("李四",))
    history = engine.history("0124")
    assert history[0].data["origin"] == "online"
    assert history[0].data["submission"] == sid
    sub = engine.submission(sid)
    assert (sub.status, sub.number, sub.status_label) == (
        SubmissionStatus.ACCEPTED,
        "0124",
        "已受理（测试会议第0124号）",
    )
    told = [n for n in notices(engine) if n.topic == "submission_accepted"]
    assert [(n.recipient_kind, n.payload["number"], n.payload["deputy"]) for n in told] == [
        ("deputy", "0124", "张三")
    ]


def test_the_office_may_give_the_number(engine: Engine) -> None:
    """A number the office gives is used as given; one already taken is refused and nothing changes."""
    engine.submit("0007", title="已有建议", deputy="王五")
    sid = _propose(engine)
    with pytest.raises(ValidationError, match="0007 already exists"):
        engine.accept_submission(sid, number="0007")
    assert engine.submission(sid).status is SubmissionStatus.PENDING
    assert engine.accept_submission(sid, number="0300").number == "0300"


def test_the_first_number_of_an_empty_session_is_0001(engine: Engine) -> None:
    """With no case in the session, the next number is 0001."""
    assert engine.accept_submission(_propose(engine)).number == "0001"


def test_accepted_files_become_the_cases_attachments(engine: Engine) -> None:
    """Files proposed with the suggestion are the case's once accepted, byte for byte."""
    pdf = sample_file("pdf", "建议原文")
    sub = engine.acting(Actor.deputy("张三")).propose(TITLE, attachments=[Attachment("建议原文.pdf", pdf)])
    assert [a.name for a in sub.attachments] == ["建议原文.pdf"]
    assert engine.acting(Actor.deputy("张三")).submission_attachment(sub.id, "建议原文.pdf")[1] == pdf
    number = engine.accept_submission(sub.id).number
    info, data = engine.attachment(number, "建议原文.pdf")
    assert (info.action, data) == ("submit", pdf)
    assert engine.check_audit().problems == ()


def test_declining_needs_a_reason_and_tells_the_deputy(engine: Engine) -> None:
    """不予受理 with its reason: the status shows it, the deputy gets a notice, no case is made."""
    sid = _propose(engine)
    with pytest.raises(ValidationError, match="declining needs its reason"):
        engine.decline_submission(sid, reason="  ")
    sub = engine.decline_submission(sid, reason="转为来信处理")
    assert (sub.status, sub.status_label) == (SubmissionStatus.DECLINED, "不予受理（转为来信处理）")
    told = [n for n in notices(engine) if n.topic == "submission_declined"]
    assert [(n.recipient_kind, n.payload["reason"]) for n in told] == [("deputy", "转为来信处理")]
    assert row_count(engine, "suggestions") == 0


def test_a_deputy_withdraws_while_pending_only(engine: Engine) -> None:
    """The deputy withdraws a pending submission; an accepted one is a case and is refused here."""
    mine = engine.acting(Actor.deputy("张三"))
    first, second = _propose(engine), _propose(engine)
    assert mine.withdraw_submission(first, reason="另行提出").status is SubmissionStatus.WITHDRAWN
    engine.accept_submission(second)
    with pytest.raises(SubmissionClosed, match=r"网上建议 #\d+: cannot 'withdraw' while accepted \(已受理\)"):
        mine.withdraw_submission(second)
    with pytest.raises(TransitionNotAllowed):  # the same class as every refused transition (exit 5, HTTP 409)
        engine.accept_submission(first)


def test_the_lead_deputy_withdraws_the_accepted_case(engine: Engine) -> None:
    """After acceptance the lead deputy withdraws the case itself (撤回, 代表法: handling stops); a co-signer may not."""
    number = engine.accept_submission(_propose(engine, co_signers=["李四"])).number
    with pytest.raises(PermissionDenied, match="only the lead deputy"):
        engine.acting(Actor.deputy("李四")).withdraw(number, reason="不再需要")
    assert engine.acting(Actor.deputy("张三")).withdraw(number, reason="问题已解决").state == "withdrawn"


def test_a_deputy_sees_only_their_own(engine: Engine) -> None:
    """Another deputy's submission is not found, to read or to withdraw; their list leaves it out."""
    sid = _propose(engine, "张三")
    other = engine.acting(Actor.deputy("李四"))
    assert other.submissions() == []
    with pytest.raises(NotFound, match=f"网上建议 '#{sid}' not found"):
        other.submission(sid)
    with pytest.raises(NotFound):
        other.withdraw_submission(sid)
    assert engine.submission(sid).status is SubmissionStatus.PENDING


def test_units_never_see_submissions(engine: Engine) -> None:
    """A unit may not list, read, propose, accept, decline or withdraw submissions."""
    sid = _propose(engine)
    unit = engine.acting(Actor.unit("市交通运输局"))
    with pytest.raises(PermissionDenied, match="online submissions go to the office"):
        unit.submissions()
    with pytest.raises(NotFound):
        unit.submission(sid)
    with pytest.raises(NotFound):
        unit.withdraw_submission(sid)
    with pytest.raises(PermissionDenied):
        unit.propose(TITLE)
    with pytest.raises(PermissionDenied):
        unit.accept_submission(sid)
    with pytest.raises(PermissionDenied):
        unit.decline_submission(sid, reason="x")


def test_a_deputy_cannot_accept_or_propose_for_another(engine: Engine) -> None:
    """Acceptance is the office's; a deputy proposes as themself."""
    mine = engine.acting(Actor.deputy("张三"))
    sid = _propose(engine)
    with pytest.raises(PermissionDenied, match="only the office"):
        mine.accept_submission(sid)
    with pytest.raises(PermissionDenied, match="not as deputy:李四"):
        mine.propose(TITLE, deputy="李四")


def test_the_office_proposes_for_a_named_deputy(engine: Engine) -> None:
    """The office keys a proposal in for its deputy; without one it is told to name them."""
    with pytest.raises(ValidationError, match="name the lead deputy"):
        engine.propose(TITLE)
    assert engine.propose(TITLE, deputy="王五").deputy == "王五"


def test_bad_proposals_write_nothing(engine: Engine) -> None:
    """No title, an unknown deputy or co-signer, a control character: refused, nothing written."""
    mine = engine.acting(Actor.deputy("张三"))
    with pytest.raises(ValidationError, match="needs a title"):
        mine.propose(" \n ")
    with pytest.raises(ValidationError, match=r"^co-signer 赵六 is not a deputy of this congress") as refused:
        mine.propose(TITLE, co_signers=["李四", "赵六"])
    assert "\n" not in str(refused.value)
    with pytest.raises(ValidationError):
        mine.propose("标题\x1b[31m")
    assert row_count(engine, "submissions") == 0


def test_status_filter_and_the_pending_queue(engine: Engine) -> None:
    """The office's queue is the pending ones, oldest first; an unknown status is named."""
    a, b, c = _propose(engine), _propose(engine, "李四"), _propose(engine, "王五")
    engine.decline_submission(b, reason="转为来信处理")
    assert [s.id for s in engine.submissions(status="pending")] == [a, c]
    with pytest.raises(ValidationError, match="unknown submission status 'open'"):
        engine.submissions(status="open")


def test_the_dossier_shows_the_online_origin(engine: Engine) -> None:
    """The case's dossier says it came online, with the submission and when it was proposed."""
    sid = _propose(engine)
    number = engine.accept_submission(sid).number
    dossier = engine.dossier(number)
    assert dossier.origin is not None
    assert (dossier.origin.submission, dossier.origin.proposed_by) == (sid, "deputy:张三")
    assert dossier.to_json()["origin"]["submission"] == sid
    assert engine.dossier(engine.submit("0900", title="纸质", deputy="王五").number).origin is None


@given(taken=st.lists(st.integers(min_value=1, max_value=99_999), max_size=5, unique=True))
def test_the_next_number_follows_the_highest(backend: str, taken: list[int]) -> None:
    """Whatever numbers a session holds, the next is one past the highest, at least four digits wide."""
    del backend  # the numbering is the same on every database: an in-memory one is enough
    from workflow.testing import make_engine

    with make_engine("sqlite://", clock=FrozenClock()) as engine:
        for n in taken:
            engine.submit(str(n).zfill(4), title="已有", deputy="张三")
        number = engine.accept_submission(engine.propose(TITLE, deputy="张三").id).number
        assert int(number) == max(taken, default=0) + 1
        assert len(number) == max(4, len(str(max(taken, default=0) + 1)))


def test_events_are_recorded(engine: Engine) -> None:
    """Each step of a submission is an event with who and what."""
    sid = _propose(engine)
    engine.accept_submission(sid, number="0042")
    events = engine.submission(sid).events
    assert [(e.action, e.actor) for e in events] == [("propose", "deputy:张三"), ("accept", "office")]
    assert events[1].data == {"number": "0042", "session": "测试会议"}
    assert json.loads(json.dumps(engine.submission(sid).to_json()))["number"] == "0042"


def test_the_deputys_notices_render_in_chinese(engine: Engine) -> None:
    """The accepted notice gives the number; the declined one the reason, from the payloads the outbox holds."""
    from notifications.render import Renderer

    engine.accept_submission(_propose(engine), number="0042")
    engine.decline_submission(_propose(engine), reason="转为来信处理")
    rendered = {n.topic: Renderer().render(n.topic, n.payload) for n in notices(engine)}
    accepted, declined = rendered["submission_accepted"], rendered["submission_declined"]
    assert accepted.subject == f"【已受理】0042 {TITLE}"
    assert f"您于网上提交的建议《{TITLE}》已受理，编号为测试会议第0042号。" in accepted.text
    assert declined.subject == f"【不予受理】{TITLE}"
    assert "理由：转为来信处理" in declined.text


def test_the_deputy_receives_both_notices_by_email(engine: Engine) -> None:
    """The dispatcher delivers the accepted and declined notices to the deputy's address."""
    from notifications import NotifyConfig, RecordingChannel
    from notifications.dispatcher import Dispatcher

    engine.edit_deputy("张三", email="zhangsan@example.org")
    engine.accept_submission(_propose(engine), number="0042")
    engine.decline_submission(_propose(engine), reason="转为来信处理")
    channel = RecordingChannel()
    report = Dispatcher(engine, NotifyConfig(channels={"email": channel})).dispatch()
    assert report.sent == 2
    assert sorted((m.to, m.subject) for m in channel.sent) == [
        ("zhangsan@example.org", f"【不予受理】{TITLE}"),
        ("zhangsan@example.org", f"【已受理】0042 {TITLE}"),
    ]


def test_acceptances_at_once_take_distinct_numbers_and_one_wins_a_race(engine: Engine) -> None:
    """Accepting several submissions at once gives each its own next number; two acceptances of one submission:
    exactly one wins, the other is refused as no longer pending."""
    import threading

    ids = [_propose(engine) for _ in range(4)]
    twice = [ids[0], *ids]  # the first submission accepted by two clerks at once
    start = threading.Barrier(len(twice))
    numbers: list[str] = []
    refused: list[str] = []

    def accept(sid: int) -> None:
        start.wait()
        try:
            numbers.append(engine.accept_submission(sid).number)
        except SubmissionClosed as exc:
            refused.append(str(exc))

    threads = [threading.Thread(target=accept, args=(sid,)) for sid in twice]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert sorted(numbers) == ["0001", "0002", "0003", "0004"]
    assert len(refused) == 1
    assert refused[0].startswith(f"网上建议 #{ids[0]}: cannot 'accept' while accepted (已受理)")
    assert row_count(engine, "suggestions") == 4
