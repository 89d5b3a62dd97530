"""The public view (公开): only published cases (not confidential, the answer delivered), only their public part;
the public reader sees nothing else and does nothing."""

from __future__ import annotations

import json

import pytest

from rules import Rating
from workflow.core.attachments import Attachment
from workflow.core.errors import NotFound, PermissionDenied
from workflow.core.public import Disclosure
from workflow.core.states import State
from workflow.core.views import Actor
from workflow.engine import Engine
from workflow.reporting.reports import build
from workflow.testing import DEFAULT_DEPUTIES, DEFAULT_UNITS, FrozenClock, make_case, make_engine, sample_file

MAIN, CO = DEFAULT_UNITS[0], DEFAULT_UNITS[1]
DEPUTY = DEFAULT_DEPUTIES[0]


@pytest.fixture
def engine() -> Engine:
    """An in-memory engine with five cases: 0001 closed, 0002 answered, 0003 confidential and closed, 0004
    assigned, 0005 withdrawn."""
    clock = FrozenClock()
    opened = make_engine(clock=clock)
    make_case(opened, "0001", state=State.CLOSED, clock=clock)
    make_case(opened, "0002", state=State.ANSWERED, clock=clock)
    opened.submit("0003", title="关于机密事项的建议", deputy=DEPUTY, confidential=True)
    opened.assign("0003", main=MAIN, co=[])
    opened.answer("0003", category="A", text="机密答复", actor=Actor.unit(MAIN))
    make_case(opened, "0004", state=State.ASSIGNED, clock=clock)
    make_case(opened, "0005", state=State.WITHDRAWN, clock=clock)
    return opened


def test_the_public_list_holds_only_published_cases(engine: Engine) -> None:
    """Answered and closed cases are listed; confidential, unanswered and withdrawn ones are not."""
    page = engine.acting(Actor.public()).published_page()
    assert (page.total, [i.number for i in page.items]) == (2, ["0001", "0002"])


def test_the_office_reads_the_same_public_view(engine: Engine) -> None:
    """Whoever asks for the public view gets the public cases alone."""
    assert [i.number for i in engine.published_page().items] == ["0001", "0002"]


@pytest.mark.parametrize("number", ["0003", "0004", "0005", "9999"])
def test_an_unpublished_case_is_not_found(engine: Engine, number: str) -> None:
    """A confidential, unanswered, withdrawn or missing case is "not found", in the same words."""
    with pytest.raises(NotFound, match=f"建议 '测试会议/{number}' not found"):
        engine.acting(Actor.public()).published(number)


def test_search_never_finds_a_confidential_case_by_its_text(engine: Engine) -> None:
    """The text of a confidential case finds nothing publicly (the office finds it)."""
    assert engine.acting(Actor.public()).published_page(text="机密").total == 0
    assert engine.search(text="机密").total == 1


def test_the_public_case_shows_answer_and_rating_not_comment(engine: Engine) -> None:
    """The answer (unit, class, text, day) and the rating are shown; the comment is left out by default."""
    engine.submit("0006", title="关于路灯的建议", deputy=DEPUTY)
    engine.assign("0006", main=MAIN, co=[])
    engine.contact("0006", method="phone", note="致电 13800138000", actor=Actor.unit(MAIN))
    engine.answer("0006", category="C", text="暂不具备条件", actor=Actor.unit(MAIN))
    engine.feedback("0006", rating=Rating.BASIC, comment="希望加快", actor=Actor.deputy(DEPUTY))
    case = engine.acting(Actor.public()).published("0006")
    assert [(a.unit, a.category, a.text) for a in case.answers] == [(MAIN, "C", "暂不具备条件")]
    assert [(f.rating, f.comment) for f in case.feedback] == [("basic", "")]
    assert "13800138000" not in json.dumps(case.to_json(), ensure_ascii=False)
    shown = engine.published("0006", disclosure=Disclosure(comments=True))
    assert [f.comment for f in shown.feedback] == ["希望加快"]


def test_answer_letters_are_disclosed_only_when_configured(engine: Engine) -> None:
    """An answer's attached letter is named and read only when the disclosure says so."""
    engine.submit("0007", title="关于学校的建议", deputy=DEPUTY)
    engine.assign("0007", main=MAIN, co=[])
    letter = sample_file("pdf")
    engine.answer(
        "0007",
        category="A",
        text="已解决",
        actor=Actor.unit(MAIN),
        attachments=[Attachment("答复函.pdf", letter)],
    )
    public = engine.acting(Actor.public())
    assert public.published("0007").answers[0].letters == ()
    with pytest.raises(NotFound):
        public.published_letter("0007", "答复函.pdf")
    shown = Disclosure(letters=True)
    assert public.published("0007", disclosure=shown).answers[0].letters == ("答复函.pdf",)
    assert public.published_letter("0007", "答复函.pdf", disclosure=shown)[1] == letter


@pytest.mark.parametrize("read", ["dossier", "get", "history", "explain", "attachments"])
def test_the_public_reads_nothing_but_the_public_view(engine: Engine, read: str) -> None:
    """The whole case (contacts, history, deadlines, files) is refused to the public, published or not."""
    with pytest.raises(PermissionDenied, match="the public reads the published view alone"):
        getattr(engine.acting(Actor.public()), read)("0001")


def test_the_public_search_and_due_are_refused(engine: Engine) -> None:
    """The office's listing and the due list are not the public's."""
    public = engine.acting(Actor.public())
    with pytest.raises(PermissionDenied):
        public.search()
    with pytest.raises(PermissionDenied):
        public.due()


def test_the_public_does_nothing(engine: Engine) -> None:
    """Every action is refused to the public, and nothing is written."""
    public = engine.acting(Actor.public())
    with pytest.raises(PermissionDenied, match="the public reads alone"):
        public.feedback("0002", rating=Rating.SATISFIED)
    with pytest.raises(PermissionDenied):
        public.submit("0008", title="冒名建议", deputy=DEPUTY)
    assert engine.get("0002").state == State.ANSWERED


def test_the_public_reads_the_summary_report_alone(engine: Engine) -> None:
    """The congress's summary figures are public; a unit's report is not."""
    public = engine.acting(Actor.public())
    assert build(public, "summary").title == build(engine, "summary").title
    with pytest.raises(PermissionDenied):
        build(public, "units")
