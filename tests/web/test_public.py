"""The public site (``/public``): published suggestions only, their public part only, as Chinese HTML that
escapes what it shows, under the ``default-src 'self'`` policy."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rules import Rating
from tests.web.conftest import serving
from web.app import create_app, from_env
from web.public import PAGE_SIZE
from workflow.core.attachments import Attachment
from workflow.core.public import Disclosure
from workflow.core.views import Actor
from workflow.engine import Engine
from workflow.testing import DEFAULT_SESSION, FrozenClock, sample_file

SESSION = DEFAULT_SESSION
MAIN, CO = "市交通运输局", "市财政局"
PHONE, EMAIL = "13912345678", "zhangsan@example.org"


def _fill(engine: Engine) -> None:
    """0001 answered (A) with a contact and satisfied feedback with a comment; 0002 confidential and answered;
    0003 assigned; 0004 withdrawn; 0005 answered, titled with a script tag; 0006 answered with a letter."""
    engine.add_session(SESSION, current=True)
    engine.add_unit(MAIN, email="jt@example.org", phone="0731-1234567")
    engine.add_unit(CO)
    engine.add_deputy("张三", email=EMAIL, phone=PHONE)
    engine.add_deputy("李四")
    engine.submit(
        "0001", title="关于优化公交线路的建议", deputy="张三", co_signers=["李四"], content="增加夜班公交"
    )
    engine.assign("0001", main=MAIN, co=[CO])
    engine.opinion("0001", unit=CO, text="同意", actor=Actor.unit(CO))
    engine.contact(
        "0001",
        method="phone",
        note="致电张三 13912345678",
        actor=Actor.unit(MAIN).entered(Actor.parse("office:录入员甲")),
    )
    engine.answer("0001", category="A", text="已新增夜班线路两条", actor=Actor.unit(MAIN))
    engine.feedback("0001", rating=Rating.SATISFIED, comment="感谢，希望继续", actor=Actor.deputy("张三"))
    engine.submit("0002", title="关于机密事项的建议", deputy="李四", content="机密内容", confidential=True)
    engine.assign("0002", main=MAIN, co=[])
    engine.answer("0002", category="A", text="机密答复", actor=Actor.unit(MAIN))
    engine.submit("0003", title="关于学校建设的建议", deputy="李四")
    engine.assign("0003", main=MAIN, co=[])
    engine.submit("0004", title="关于撤回事项的建议", deputy="李四")
    engine.assign("0004", main=MAIN, co=[])
    engine.withdraw("0004", reason="代表书面撤回")
    engine.submit("0005", title="<script>alert(1)</script>", deputy="李四")
    engine.assign("0005", main=MAIN, co=[])
    engine.answer("0005", category="C", text="<b>暂缓</b>", actor=Actor.unit(MAIN))
    engine.submit("0006", title="关于路灯的建议", deputy="张三")
    engine.assign("0006", main=MAIN, co=[])
    engine.answer(
        "0006",
        category="A",
        text="已安装",
        actor=Actor.unit(MAIN),
        attachments=[Attachment("答复函.pdf", sample_file("pdf"))],
    )


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite file with the cases of :func:`_fill`."""
    path = tmp_path_factory.mktemp("public") / "public.db"
    with Engine.init(path, clock=FrozenClock("2026-03-02T09:00:00+08:00")) as engine:
        _fill(engine)
    return path


@contextmanager
def site(db: Path, disclosure: Disclosure | None = None) -> Iterator[httpx.Client]:
    """uvicorn serving the app over ``db`` and a client of it, signed in as no one."""
    with serving(create_app(db, disclosure=disclosure), str(db)) as served:
        yield served.client()


@pytest.fixture(scope="module")
def client(db: Path) -> Iterator[httpx.Client]:
    """A client of the site over :func:`db`."""
    with site(db) as opened:
        yield opened


def _text(html: str) -> str:
    """The page's text without its tags."""
    return re.sub(r"<[^>]+>", "", html)


def test_the_list_shows_only_published_cases(client: httpx.Client) -> None:
    """Answered cases are listed; the confidential, unanswered and withdrawn ones are not."""
    response = client.get("/public")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    numbers = re.findall(r'href="/public/[^/"]+/(\d{4})"', response.text)
    assert numbers == ["0001", "0005", "0006"]
    assert "共 3 件" in response.text
    for hidden in ("机密", "学校建设", "撤回事项"):
        assert hidden not in response.text


def test_the_page_is_under_the_self_only_policy(client: httpx.Client) -> None:
    """The page has the CSP header and no inline script or style; its one stylesheet is served."""
    response = client.get("/public")
    assert response.headers["content-security-policy"].startswith("default-src 'self'")
    assert "<script" not in response.text
    assert "style=" not in response.text
    assert "<style" not in response.text
    css = client.get("/public/static/public.css")
    assert (css.status_code, css.headers["content-type"]) == (200, "text/css; charset=utf-8")


def test_a_script_title_shows_as_text(client: httpx.Client) -> None:
    """A title holding a script tag is escaped on the list and on its page."""
    for path in ("/public", f"/public/{SESSION}/0005"):
        html = client.get(path).text
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
        assert "<script>" not in html
    assert "&lt;b&gt;暂缓&lt;/b&gt;" in client.get(f"/public/{SESSION}/0005").text


def test_the_case_page_shows_the_answer_and_the_rating(client: httpx.Client) -> None:
    """Deputies, units, content, the answer's class, text and day, and the rating are on the page."""
    response = client.get(f"/public/{SESSION}/0001")
    assert response.status_code == 200
    text = _text(response.text)
    for shown in ("关于优化公交线路的建议", "张三", "李四", MAIN, CO, "增加夜班公交", "已新增夜班线路两条"):
        assert shown in text
    assert "A类" in text
    assert "答复日期 2026-03-02" in text
    assert "满意" in text


def test_the_case_page_never_shows_contact_data(client: httpx.Client) -> None:
    """No phone, e-mail, contact record, comment (by default) or who keyed what appears."""
    html = client.get(f"/public/{SESSION}/0001").text
    for secret in (
        PHONE,
        EMAIL,
        "jt@example.org",
        "0731-1234567",
        "致电",
        "录入员甲",
        "感谢，希望继续",
        "同意",
    ):
        assert secret not in html


@pytest.mark.parametrize("number", ["0002", "0003", "0004", "9999"])
def test_an_unpublished_case_is_404(client: httpx.Client, number: str) -> None:
    """A confidential, unanswered, withdrawn or missing case answers 404, in the same words."""
    response = client.get(f"/public/{SESSION}/{number}")
    assert response.status_code == 404
    assert f"没有公开的建议“{SESSION} 第{number}号”。" in response.text


def test_search_finds_by_text_but_never_a_confidential_case(client: httpx.Client) -> None:
    """A text finds the published case holding it; a confidential case's text finds nothing."""
    assert re.findall(r"/(\d{4})\"", client.get("/public", params={"q": "夜班公交"}).text) == ["0001"]
    found = client.get("/public", params={"q": "机密"})
    assert "共 0 件" in found.text
    assert "0002" not in found.text


def test_a_bad_page_number_is_one_clear_line(client: httpx.Client) -> None:
    """A page that is not a positive number answers 400 with one Chinese sentence."""
    response = client.get("/public", params={"page": "x"})
    assert response.status_code == 400
    assert "页码“x”有误：请给出 1 至 100000 之间的整数。" in response.text


def test_a_letter_is_not_served_by_default(client: httpx.Client) -> None:
    """The answer letter is neither linked nor downloadable unless the site discloses letters."""
    assert "答复函" not in client.get(f"/public/{SESSION}/0006").text
    assert client.get(f"/public/{SESSION}/0006/letters/答复函.pdf").status_code == 404


def test_letters_and_comments_when_disclosed(db: Path) -> None:
    """With letters and comments disclosed, the letter is linked and served and the comment shown."""
    with site(db, Disclosure(comments=True, letters=True)) as client:
        page = client.get(f"/public/{SESSION}/0006").text
        assert "答复函：答复函.pdf" in page
        letter = client.get(f"/public/{SESSION}/0006/letters/答复函.pdf")
        assert (letter.status_code, letter.content) == (200, sample_file("pdf"))
        assert "感谢，希望继续" in client.get(f"/public/{SESSION}/0001").text
        assert client.get(f"/public/{SESSION}/0001/letters/答复函.pdf").status_code == 404


def test_the_report_page_shows_the_summary(client: httpx.Client) -> None:
    """The summary figures of the congress are public."""
    response = client.get("/public/report")
    assert response.status_code == 200
    assert "答复" in _text(response.text)


def test_the_list_is_paged(tmp_path: Path) -> None:
    """More than a page of published cases: the second page holds the rest, linked both ways."""
    with Engine.init(tmp_path / "many.db", clock=FrozenClock()) as engine:
        engine.add_session(SESSION, current=True)
        engine.add_unit(MAIN)
        engine.add_deputy("张三")
        for i in range(PAGE_SIZE + 3):
            number = f"{i + 1:04d}"
            engine.submit(number, title=f"建议{number}", deputy="张三")
            engine.assign(number, main=MAIN, co=[])
            engine.answer(number, category="A", text="已办", actor=Actor.unit(MAIN))
    with site(tmp_path / "many.db") as client:
        first = client.get("/public").text
        assert len(re.findall(r'class="title"', first)) == PAGE_SIZE
        assert 'href="/public?page=2" rel="next"' in first
        second = client.get("/public", params={"page": 2}).text
        assert re.findall(r"/(\d{4})\"", second) == ["0021", "0022", "0023"]
        assert 'rel="prev"' in second


# ---- random cases: nothing confidential, nothing personal, ever ---------------------------------------------
_case = st.fixed_dictionaries(
    {
        "confidential": st.booleans(),
        "stop": st.sampled_from(["submitted", "assigned", "answered", "feedback", "withdrawn"]),
        "category": st.sampled_from(["A", "C", "D"]),
        "contact": st.booleans(),
    }
)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(cases=st.lists(_case, min_size=1, max_size=6))
def test_random_cases_never_leak(
    tmp_path_factory: pytest.TempPathFactory, cases: list[dict[str, object]]
) -> None:
    """Over random cases, the list, searches and every page show only published, non-confidential cases, and
    never a phone, an e-mail, a contact note or who keyed it."""
    path = tmp_path_factory.mktemp("random") / "random.db"
    published = set()
    with Engine.init(path, clock=FrozenClock()) as engine:
        engine.add_session(SESSION, current=True)
        engine.add_unit(MAIN, email="unit@example.org", phone="0731-7654321")
        engine.add_deputy("张三", email=EMAIL, phone=PHONE)
        for i, spec in enumerate(cases):
            number = f"{i + 1:04d}"
            engine.submit(
                number,
                title=f"标题{number}{'保密' if spec['confidential'] else '公开'}",
                deputy="张三",
                content=f"内容{number}",
                confidential=bool(spec["confidential"]),
            )
            if spec["stop"] == "submitted":
                continue
            engine.assign(number, main=MAIN, co=[])
            if spec["contact"]:
                engine.contact(number, method="visit", note=f"走访记录{PHONE}", actor=Actor.unit(MAIN))
            if spec["stop"] == "withdrawn":
                engine.withdraw(number, reason="撤回")
                continue
            if spec["stop"] == "assigned":
                continue
            engine.answer(number, category=str(spec["category"]), text="答复", actor=Actor.unit(MAIN))
            if spec["stop"] == "feedback":
                engine.feedback(
                    number, rating=Rating.BASIC, comment=f"评语{EMAIL}", actor=Actor.deputy("张三")
                )
            if not spec["confidential"]:
                published.add(number)
    with site(path) as client:
        pages = [client.get("/public").text, client.get("/public", params={"q": "保密"}).text]
        pages += [client.get("/public", params={"q": f"内容{i + 1:04d}"}).text for i in range(len(cases))]
        listed = set(re.findall(r'href="/public/[^/"]+/(\d{4})"', pages[0]))
        assert listed == published
        for i in range(len(cases)):
            number = f"{i + 1:04d}"
            response = client.get(f"/public/{SESSION}/{number}")
            assert response.status_code == (200 if number in published else 404)
            pages.append(response.text)
        for html in pages:
            assert "保密" not in _text(html).replace("检索“保密”", "")
            for secret in (PHONE, EMAIL, "unit@example.org", "0731-7654321", "走访记录", "评语"):
                assert secret not in html


def test_the_environment_discloses_comments_and_letters(monkeypatch: pytest.MonkeyPatch, db: Path) -> None:
    """``JIANYI_PUBLIC_COMMENTS`` and ``JIANYI_PUBLIC_LETTERS`` (as ``jianyi serve``'s workers read them) say
    what the site adds; unset, neither."""
    monkeypatch.setenv("JIANYI_DB", str(db))
    assert from_env().state.disclosure == Disclosure()
    monkeypatch.setenv("JIANYI_PUBLIC_COMMENTS", "1")
    monkeypatch.setenv("JIANYI_PUBLIC_LETTERS", "yes")
    assert from_env().state.disclosure == Disclosure(comments=True, letters=True)
