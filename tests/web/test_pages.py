"""The portal's pages over HTTP: signing in and out through the form, the unit's inbox and case page with its
forms, the deputy's suggestions and feedback, and every boundary between them."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import quote

import httpx
import pytest

from tests.web.conftest import PASSWORD, SESSION, Server, hidden, serving
from web.app import create_app
from workflow.core.attachments import AttachmentSettings
from workflow.testing import sample_file

pytestmark = pytest.mark.parametrize(
    "backend", ["sqlite-file", pytest.param("postgresql", marks=pytest.mark.postgres)], indirect=True
)

S = quote(SESSION, safe="")
UNIT_CASE = f"/unit/cases/{S}"
DEPUTY_CASE = f"/deputy/cases/{S}"
REFUSED = "用户名或密码不正确，或账号已停用。"


def csrf(client: httpx.Client, path: str) -> str:
    return hidden(client.get(path).text, "csrf_token")


def answer(
    client: httpx.Client, number: str = "0001", *, files: list[tuple[str, bytes]] = (), **fields: str
) -> httpx.Response:
    """The unit's answer form posted (multipart, as the browser sends it)."""
    token = csrf(client, f"{UNIT_CASE}/{number}")
    data = {"csrf_token": token, "category": "A", "text": "已增开夜班公交线路。", **fields}
    upload = [("files", (name, body, "application/octet-stream")) for name, body in files] or [
        ("files", ("", b"", "application/octet-stream"))
    ]
    return client.post(f"{UNIT_CASE}/{number}/answer", data=data, files=upload)


def opinion_in(server: Server) -> None:
    """市财政局 sends its co-unit opinion on 0001 (the main unit answers after it)."""
    co = server.portal("财政")
    token = csrf(co, f"{UNIT_CASE}/0001")
    sent = co.post(f"{UNIT_CASE}/0001/opinion", data={"csrf_token": token, "text": "同意。"})
    assert sent.status_code == 303, sent.text


def test_the_root_sends_nobody_to_sign_in_and_each_role_home(server: Server) -> None:
    """/ → 登录 when signed out; → 待办 for a unit, → 我的建议 for a deputy, → 概况 for the office."""
    anon = server.client()
    assert anon.get("/").headers["location"] == "/login"
    assert "<h1>登录</h1>" in anon.get("/login").text
    assert server.portal("交通").get("/").headers["location"] == "/unit"
    assert server.portal("张三").get("/").headers["location"] == "/deputy"
    assert anon.get("/unit").headers["location"] == "/login"
    assert server.portal("王芳").get("/").headers["location"] == "/office"


def test_a_wrong_password_and_a_disabled_account_read_the_same_one_line(server: Server) -> None:
    """401, the name kept, no session cookie, the same words whatever was wrong."""
    pages = [
        server.sign_in_page("交通", "wrong password"),
        server.sign_in_page("无此人"),
        server.sign_in_page("停用"),
    ]
    assert [p.status_code for p in pages] == [401, 401, 401]
    assert all(p.text.count(REFUSED) == 1 for p in pages)
    assert all("jianyi_session" not in p.headers.get("set-cookie", "") for p in pages)
    assert 'name="name" value="停用"' in pages[2].text


def test_the_sign_in_form_needs_its_own_token(server: Server) -> None:
    """A sign-in posted from elsewhere (no matching form token) is refused, and the password is not checked."""
    client = server.client()
    response = client.post("/login", data={"name": "交通", "password": PASSWORD, "login_token": "forged"})
    assert response.status_code == 403
    assert "登录表单已过期" in response.text
    assert "jianyi_session" not in client.cookies


def test_the_sign_in_form_is_held_back_after_five_failures_like_the_api(server: Server) -> None:
    """Failures through the form and the API count together; the sixth attempt waits, the right password
    too."""
    client = server.client()
    for _ in range(3):
        assert client.post("/api/session", json={"name": "财政", "password": "nope"}).status_code == 401
    for _ in range(2):
        assert server.sign_in_page("财政", "nope").status_code == 401
    held = server.sign_in_page("财政")
    assert held.status_code == 429
    assert "该账号登录失败次数过多，请 15 分钟后再试。" in held.text
    assert 880 <= int(held.headers["retry-after"]) <= 900


def test_signing_in_rotates_the_session_and_signing_out_ends_it(server: Server) -> None:
    """The form gives a new session token each time (the old one ends); 退出 ends the session."""
    client = server.portal("交通")
    first = client.cookies["jianyi_session"]
    token = hidden(client.get("/login").text, "login_token")
    again = client.post("/login", data={"name": "交通", "password": PASSWORD, "login_token": token})
    assert again.status_code == 303
    second = client.cookies["jianyi_session"]
    assert second != first
    old = server.client()
    old.cookies.set("jianyi_session", first)
    assert old.get("/unit").headers["location"] == "/login"
    out = client.post("/logout", data={"csrf_token": csrf(client, "/unit")})
    assert out.headers["location"] == "/login"
    stale = server.client()
    stale.cookies.set("jianyi_session", second)
    assert stale.get("/unit").headers["location"] == "/login"


def test_the_inbox_lists_what_the_unit_owes_with_days_left(server: Server) -> None:
    """The main unit owes the answer, the co-unit its opinion, each with its due date and days left."""
    with server.engine() as engine:
        case = engine.get("0001")
        today = engine.clock.now().astimezone(engine.active_ruleset().zone).date()
    due = {(d.kind, d.unit): d.due for d in case.deadlines}
    main = server.portal("交通").get("/unit")
    co = server.portal("财政").get("/unit")
    answer_due = due[("answer", "市交通运输局")]
    opinion_due = due[("co_opinion", "市财政局")]
    assert main.status_code == 200
    assert "<strong>1</strong> 项待办" in main.text
    assert "第0001号 关于优化公交线路的建议" in main.text
    assert f"{answer_due}" in main.text
    assert f"还剩 {(answer_due - today).days} 天" in main.text
    assert '<td data-label="待办事项">答复</td>' in main.text
    assert '<td data-label="待办事项">会办意见</td>' in co.text
    assert f"还剩 {(opinion_due - today).days} 天" in co.text
    assert "0002" not in main.text


def test_the_inbox_shows_overdue_days_and_the_key_flag_first(server: Server) -> None:
    """A 重点督办 case past its answer's due date reads 逾期 N 天 and counts as overdue."""
    with server.engine() as engine:
        engine.submit(
            "0003", title="关于地铁延长运营的建议", deputy="张三", at=engine.clock.now() - timedelta(days=200)
        )
        engine.assign("0003", main="市交通运输局", key=True, at=engine.clock.now() - timedelta(days=200))
        case = engine.get("0003")
        today = engine.clock.now().astimezone(engine.active_ruleset().zone).date()
    due = next(d.due for d in case.deadlines if d.kind == "answer")
    text = server.portal("交通").get("/unit").text
    assert f"逾期 {(today - due).days} 天" in text
    assert "<strong>1</strong> 项已逾期" in text
    assert "<strong>1</strong> 项重点督办" in text
    assert text.index("第0003号") < text.index("第0001号")


def test_the_case_page_shows_the_dossier_and_only_the_forms_allowed_now(server: Server) -> None:
    """The main unit may answer, record a contact, ask to hand back; the co-unit may send its opinion."""
    main = server.portal("交通").get(f"{UNIT_CASE}/0001").text
    co = server.portal("财政").get(f"{UNIT_CASE}/0001").text
    assert "增加夜班公交" in main
    assert "已交办" in main
    assert [f for f in ("opinion", "answer", "contact", "request_return") if f'id="{f}"' in main] == [
        "answer",
        "contact",
        "request_return",
    ]
    assert [f for f in ("opinion", "answer", "contact", "request_return") if f'id="{f}"' in co] == [
        "opinion",
        "contact",
        "request_return",
    ]


def test_a_unit_answers_with_a_letter_and_the_deputy_downloads_it(server: Server) -> None:
    """The answer is recorded with its class, text and 答复函; the deputy's page links the letter, which
    downloads as an attachment with the same bytes."""
    opinion_in(server)
    unit = server.portal("交通")
    letter = sample_file("pdf", "关于0001号建议的答复")
    done = answer(unit, files=[("答复函.pdf", letter)])
    assert done.status_code == 303
    assert done.headers["location"] == f"{UNIT_CASE}/0001?done=answer"
    assert "已答复代表。" in unit.get(done.headers["location"]).text
    with server.engine() as engine:
        dossier = engine.dossier("0001")
    assert (dossier.case.state, dossier.answers[0].category, dossier.answers[0].by) == (
        "answered",
        "A",
        "unit:市交通运输局",
    )
    deputy = server.portal("张三")
    page = deputy.get(f"{DEPUTY_CASE}/0001").text
    assert "已增开夜班公交线路。" in page
    link = f"/api/cases/{S}/0001/attachments/{quote('答复函.pdf')}"
    assert f'href="{link}"' in page
    download = deputy.get(link)
    assert download.content == letter
    assert download.headers["content-disposition"].startswith("attachment;")


def test_an_engine_refusal_is_one_line_and_the_form_keeps_what_was_typed(server: Server) -> None:
    """A B answer without promises is refused by the engine: its message above the form, the class and the
    text kept; answering before the co-unit's opinion is in is refused too (409)."""
    unit = server.portal("交通")
    refused = answer(unit, category="B", text="正在研究<b>方案</b>")
    assert refused.status_code == 422
    assert "a class B answer says what will be done and by when" in refused.text
    assert refused.text.count('class="refusal"') == 1
    assert "正在研究&lt;b&gt;方案&lt;/b&gt;</textarea>" in refused.text
    assert 'value="B" checked' in refused.text
    assert f'action="{UNIT_CASE}/0001/answer"' in refused.text  # the form posts to the case again
    early = answer(unit)
    assert early.status_code == 409
    assert early.text.count('class="refusal"') == 1
    with server.engine() as engine:
        assert engine.get("0001").state == "assigned"


def test_a_letter_whose_bytes_are_not_its_type_is_refused_and_nothing_written(server: Server) -> None:
    """A .pdf that is not a PDF is refused by the attachment rules, the answer not recorded."""
    unit = server.portal("交通")
    refused = answer(unit, files=[("答复函.pdf", b"MZ not a pdf at all")])
    assert refused.status_code == 422
    assert refused.text.count('class="refusal"') == 1
    with server.engine() as engine:
        assert engine.dossier("0001").answers == ()


@pytest.mark.usefixtures("chinese")  # the line as the offices read it
def test_a_b_answer_with_promises_and_a_bad_promise_line(server: Server) -> None:
    """Promises are typed one a line as 日期 事项; a line without a date is named."""
    opinion_in(server)
    unit = server.portal("交通")
    bad = answer(unit, category="B", text="分步实施", promises="年底 完成")
    assert bad.status_code == 422
    assert "承诺事项第 1 行“年底 完成”看不懂" in bad.text
    good = answer(
        unit, category="B", text="分步实施", promises="2027-06-30 完成线路调整\n\n2027-12-31 增开夜班车"
    )
    assert good.status_code == 303
    with server.engine() as engine:
        promises = engine.dossier("0001").answers[0].promises
    assert [(p.text, p.due.isoformat()) for p in promises] == [
        ("完成线路调整", "2027-06-30"),
        ("增开夜班车", "2027-12-31"),
    ]
    page = unit.get(f"{UNIT_CASE}/0001").text
    assert 'id="progress"' in page
    assert 'id="convert"' in page


def test_the_co_unit_sends_its_opinion_with_a_file(server: Server) -> None:
    """The opinion is recorded with its file; the form is then no longer offered."""
    co = server.portal("财政")
    token = csrf(co, f"{UNIT_CASE}/0001")
    sent = co.post(
        f"{UNIT_CASE}/0001/opinion",
        data={"csrf_token": token, "text": "同意增开，经费另行安排。"},
        files=[("files", ("会办意见.docx", sample_file("docx", "会办"), "application/octet-stream"))],
    )
    assert sent.status_code == 303
    page = co.get(f"{UNIT_CASE}/0001").text
    assert "同意增开，经费另行安排。" in page
    assert "会办意见.docx" in page
    assert 'id="opinion"' not in page


def test_a_contact_and_a_hand_back_request_are_recorded(server: Server) -> None:
    """记录联系沟通 and 申请退办 reach the engine as the unit."""
    unit = server.portal("交通")
    token = csrf(unit, f"{UNIT_CASE}/0001")
    assert (
        unit.post(
            f"{UNIT_CASE}/0001/contact", data={"csrf_token": token, "method": "visit", "note": "当面听取意见"}
        ).status_code
        == 303
    )
    assert (
        unit.post(
            f"{UNIT_CASE}/0001/request_return", data={"csrf_token": token, "reason": "不属本单位职责"}
        ).status_code
        == 303
    )
    with server.engine() as engine:
        dossier = engine.dossier("0001")
    assert [(c.method, c.note, c.by) for c in dossier.contacts] == [
        ("visit", "当面听取意见", "unit:市交通运输局")
    ]
    assert [(r.unit, r.reason, r.status) for r in dossier.returns] == [
        ("市交通运输局", "不属本单位职责", "pending")
    ]
    assert 'id="request_return"' not in unit.get(f"{UNIT_CASE}/0001").text


def test_a_form_without_the_csrf_token_is_refused_and_nothing_written(server: Server) -> None:
    """403 on the page; the engine is never reached."""
    unit = server.portal("交通")
    response = unit.post(f"{UNIT_CASE}/0001/contact", data={"method": "phone"})
    assert response.status_code == 403
    assert "表单已过期或不是从本站提交的" in response.text
    forged = unit.post(f"{UNIT_CASE}/0001/contact", data={"method": "phone", "csrf_token": "0" * 64})
    assert forged.status_code == 403
    with server.engine() as engine:
        assert engine.dossier("0001").contacts == ()


def test_a_unit_cannot_open_another_units_case_or_a_deputys_page(server: Server) -> None:
    """Another unit's case, a missing number and the deputy's pages are the same 404 page."""
    unit = server.portal("交通")
    pages = [
        unit.get(f"{UNIT_CASE}/0002"),
        unit.get(f"{UNIT_CASE}/9999"),
        unit.get("/deputy"),
        unit.get(f"{DEPUTY_CASE}/0001"),
    ]
    assert [p.status_code for p in pages] == [404] * 4
    assert all("这件建议不在您的查看范围内" in p.text for p in pages)
    assert all(p.headers["content-type"].startswith("text/html") for p in pages)
    token = csrf(unit, "/unit")
    blocked = unit.post(f"{UNIT_CASE}/0002/contact", data={"csrf_token": token, "method": "phone"})
    assert blocked.status_code == 404


def test_a_deputy_cannot_answer_or_open_the_units_pages(server: Server) -> None:
    """The unit's pages and forms are not found for a deputy, and the deputy's case page has no unit form."""
    deputy = server.portal("张三")
    token = csrf(deputy, "/deputy")
    posted = deputy.post(
        f"{UNIT_CASE}/0001/answer", data={"csrf_token": token, "category": "A", "text": "自己答复"}
    )
    assert posted.status_code == 404
    assert deputy.get("/unit").status_code == 404
    page = deputy.get(f"{DEPUTY_CASE}/0001").text
    assert 'id="answer"' not in page
    assert 'id="feedback"' not in page  # nothing to give feedback on yet
    assert deputy.get(f"{DEPUTY_CASE}/0002").status_code == 404  # 李四's
    with server.engine() as engine:
        assert engine.dossier("0001").answers == ()


def test_the_deputy_sees_progress_in_words_and_gives_feedback(server: Server) -> None:
    """我的建议 shows the state in Chinese; 不满意 without a comment is refused in one line with the choices
    kept; 满意 closes the case."""
    opinion_in(server)
    assert answer(server.portal("交通")).status_code == 303
    deputy = server.portal("张三")
    home = deputy.get("/deputy").text
    assert "第0001号 关于优化公交线路的建议" in home
    assert "已答复" in home
    assert "请于 " in home
    token = hidden(deputy.get(f"{DEPUTY_CASE}/0001").text, "csrf_token")
    refused = deputy.post(
        f"{DEPUTY_CASE}/0001/feedback",
        data={"csrf_token": token, "rating": "unsatisfied", "attitude": "basic", "comment": ""},
    )
    assert refused.status_code == 422
    assert refused.text.count('class="refusal"') == 1
    assert "unsatisfied feedback must say what is wrong" in refused.text
    assert 'value="unsatisfied" checked' in refused.text
    assert '<option value="basic" selected>' in refused.text
    assert f'action="{DEPUTY_CASE}/0001/feedback"' in refused.text
    given = deputy.post(
        f"{DEPUTY_CASE}/0001/feedback",
        data={"csrf_token": token, "rating": "satisfied", "attitude": "satisfied", "result": "satisfied"},
    )
    assert given.status_code == 303
    page = deputy.get(given.headers["location"]).text
    assert "已提交您的意见" in page
    assert "已办结" in page
    assert 'id="feedback"' not in page


def test_a_title_with_markup_shows_as_text(server: Server) -> None:
    """<script>alert(1)</script> is escaped on the inbox and the case page, never markup."""
    unit = server.portal("住建")
    for path in ("/unit", f"{UNIT_CASE}/0002"):
        text = unit.get(path).text
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text
        assert "<script>" not in text
    deputy = server.portal("李四").get("/deputy").text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in deputy
    assert "<script>" not in deputy


def test_pages_carry_the_security_headers_and_the_stylesheet_is_served(server: Server) -> None:
    """CSP default-src 'self' on pages; /static/portal.css is CSS."""
    unit = server.portal("交通")
    page = unit.get("/unit")
    assert page.headers["content-security-policy"] == "default-src 'self'; frame-ancestors 'none'"
    assert page.headers["x-content-type-options"] == "nosniff"
    css = unit.get("/static/portal.css")
    assert css.status_code == 200
    assert css.headers["content-type"].startswith("text/css")
    assert 'href="/static/portal.css"' in page.text
    assert "<script" not in page.text
    assert " style=" not in page.text


def test_an_unknown_page_is_the_404_page_and_the_api_stays_json(server: Server) -> None:
    """Outside /api an error is a page; under /api it is JSON as before."""
    client = server.client()
    page = client.get("/nowhere")
    assert (page.status_code, page.headers["content-type"].startswith("text/html")) == (404, True)
    assert "Traceback" not in page.text
    api = client.get("/api/nowhere")
    assert api.json() == {"error": "no such endpoint", "kind": "NotFound"}


@pytest.mark.usefixtures("chinese")  # the line as the offices read it
def test_an_upload_over_the_limit_is_refused_before_the_body_is_read(db_url: str) -> None:
    """A form declaring more bytes than the size limit allows is refused (413) in one line, nothing recorded."""
    app = create_app(db_url, attachments=AttachmentSettings(max_size=1000))
    with serving(app, db_url) as server:
        unit = server.portal("交通")
        big = sample_file("pdf", "x" * (2 << 20))
        refused = answer(unit, files=[("答复函.pdf", big)])
        assert refused.status_code == 413
        assert refused.text.count('class="refusal"') == 1
        assert "超过 1 MiB 上限" in refused.text
        with server.engine() as engine:
            assert engine.dossier("0001").answers == ()


def test_the_inbox_lists_the_promises_and_the_re_answer_after_re_handling(server: Server) -> None:
    """A B answer's promised items are owed as 承诺事项进展; after 不满意 and 重新办理 the unit owes the
    re-answer and the answer form is offered again."""
    opinion_in(server)
    unit = server.portal("交通")
    assert answer(unit, category="B", text="分步实施", promises="2027-06-30 完成线路调整").status_code == 303
    assert '<td data-label="待办事项">承诺事项进展</td>' in unit.get("/unit").text
    with server.engine() as engine:
        deputy = engine.acting(engine.viewer.deputy("张三"))
        deputy.feedback("0001", rating="unsatisfied", comment="夜班车仍不够")
        assert engine.get("0001").state == "re_handled"  # the default rule set re-handles at once
    inbox = unit.get("/unit").text
    assert '<td data-label="待办事项">重新办理后答复</td>' in inbox
    page = unit.get(f"{UNIT_CASE}/0001").text
    assert 'id="answer"' in page
    assert "夜班车仍不够" in page
