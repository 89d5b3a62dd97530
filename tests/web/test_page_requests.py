"""The portal's newer forms over HTTP, per role and boundary: the main unit's 申请延期 and where it stands, the
inbox's limit, the deputy's 提交建议 and 我的网上建议, the withdrawal of a pending submission and of a case,
and refusals shown without the command line's hints."""

from __future__ import annotations

import re
from datetime import timedelta
from urllib.parse import quote

import httpx
import pytest

from tests.web.conftest import SESSION, Server, hidden
from web.pages import unit as unit_pages

pytestmark = pytest.mark.parametrize(
    "backend", ["sqlite-file", pytest.param("postgresql", marks=pytest.mark.postgres)], indirect=True
)

S = quote(SESSION, safe="")
UNIT_CASE = f"/unit/cases/{S}"
DEPUTY_CASE = f"/deputy/cases/{S}"


def csrf(client: httpx.Client, path: str) -> str:
    return hidden(client.get(path).text, "csrf_token")


def ask_extension(client: httpx.Client, reason: str = "涉及多部门协调，需延期办理。") -> httpx.Response:
    token = csrf(client, f"{UNIT_CASE}/0001")
    return client.post(f"{UNIT_CASE}/0001/request_extension", data={"csrf_token": token, "reason": reason})


def propose(client: httpx.Client, **fields: str) -> httpx.Response:
    token = csrf(client, "/deputy/submissions/new")
    data = {"csrf_token": token, "title": "关于增设社区食堂的建议", "content": "老年人就餐难。", **fields}
    return client.post(
        "/deputy/submissions", data=data, files=[("files", ("", b"", "application/octet-stream"))]
    )


def test_the_main_unit_requests_an_extension_and_reads_that_it_waits(server: Server) -> None:
    """The form is on the main unit's page; once sent, 待审批 with the reason, and the form is gone."""
    main = server.portal("交通")
    assert 'id="request_extension"' in main.get(f"{UNIT_CASE}/0001").text
    sent = ask_extension(main)
    assert sent.status_code == 303
    assert sent.headers["location"] == f"{UNIT_CASE}/0001?done=request_extension"
    shown = main.get(sent.headers["location"]).text
    assert "已申请延期。" in shown
    assert "待审批" in shown
    assert "涉及多部门协调，需延期办理。" in shown
    assert 'id="request_extension"' not in shown
    with server.engine() as engine:
        assert [(e.unit, e.reason) for e in engine.pending_extensions()] == [
            ("市交通运输局", "涉及多部门协调，需延期办理。")
        ]


def test_a_refused_extension_shows_the_office_reason_and_the_form_again(server: Server) -> None:
    """未同意 with the office's reason; the main unit may ask again."""
    main = server.portal("交通")
    assert ask_extension(main).status_code == 303
    with server.engine() as engine:
        engine.refuse_extension("0001", reason="时间尚充裕，请按期答复。")
    shown = main.get(f"{UNIT_CASE}/0001").text
    assert "未同意" in shown
    assert "不同意的理由：时间尚充裕，请按期答复。" in shown
    assert 'id="request_extension"' in shown


def test_a_co_unit_is_not_offered_the_extension_and_is_refused_in_one_line(server: Server) -> None:
    """市财政局 (会办) sees no form; posting anyway gives the engine's refusal, one line, nothing recorded."""
    co = server.portal("财政")
    assert 'id="request_extension"' not in co.get(f"{UNIT_CASE}/0001").text
    refused = ask_extension(co)
    assert refused.status_code == 403
    assert refused.text.count('class="refusal"') == 1
    assert "only the main unit (主办) asks for an extension" in refused.text
    assert "涉及多部门协调" in refused.text  # what was typed is kept
    with server.engine() as engine:
        assert engine.pending_extensions() == []


def test_an_empty_reason_is_refused_without_a_command_line_option(server: Server) -> None:
    """The engine's line names no command-line option: on the page it is the form's field."""
    refused = ask_extension(server.portal("交通"), reason="")
    assert refused.status_code == 422
    assert "an extension request needs its reasons" in refused.text
    assert "--reason" not in refused.text


def test_forms_without_their_csrf_token_are_refused(server: Server) -> None:
    """403 and nothing written, for the extension request, a proposal and a submission's withdrawal."""
    main = server.portal("交通")
    assert main.post(f"{UNIT_CASE}/0001/request_extension", data={"reason": "x"}).status_code == 403
    deputy = server.portal("张三")
    assert deputy.post("/deputy/submissions", data={"title": "无令牌"}).status_code == 403
    made = propose(deputy).headers["location"].split("?")[0]
    assert deputy.post(f"{made}/withdraw", data={}).status_code == 403
    with server.engine() as engine:
        assert engine.pending_extensions() == []
        assert [s.status.value for s in engine.submissions()] == ["pending"]


def test_the_inbox_pages_through_every_obligation(server: Server, monkeypatch: pytest.MonkeyPatch) -> None:
    """Over a page, the inbox lists the most urgent, says how many in all and pages to the rest (?page=N)."""
    with server.engine() as engine:
        engine.submit("0003", title="关于道路修缮的建议", deputy="张三")
        engine.assign("0003", main="市交通运输局")
    monkeypatch.setattr(unit_pages, "INBOX_LIMIT", 1)
    unit = server.portal("交通")
    first, second = unit.get("/unit").text, unit.get("/unit?page=2").text
    assert "共 2 项待办，按紧急程度每页列出 1 项，这是第 1 / 2 页" in first
    assert first.count("<tr class") == 1
    assert second.count("<tr class") == 1
    assert 'href="/unit?page=2"' in first
    assert 'href="/unit?page=1"' in second
    assert "<strong>2</strong> 项待办" in second  # the counts cover every page
    listed = {n for n in ("0001", "0003") if f"第{n}号" in first or f"第{n}号" in second}
    assert listed == {"0001", "0003"}
    assert unit.get("/unit?page=9").text.count("<tr class") == 1  # past the last page: the last
    monkeypatch.setattr(unit_pages, "INBOX_LIMIT", 1000)
    assert "下一页" not in unit.get("/unit").text


def test_a_deputy_submits_online_and_reads_it_pending(server: Server) -> None:
    """提交建议 → the submission's page (待受理), listed in 我的网上建议, with co-signer, flags and file."""
    deputy = server.portal("张三")
    token = csrf(deputy, "/deputy/submissions/new")
    sent = deputy.post(
        "/deputy/submissions",
        data={
            "csrf_token": token,
            "title": "关于增设社区食堂的建议",
            "content": "老年人就餐难。",
            "co_signers": "李四、 李四",
            "field": "民政",
            "between_sessions": "1",
            "confidential": "1",
        },
        files=[("files", ("调研报告.pdf", b"%PDF-1.4 report", "application/pdf"))],
    )
    assert sent.status_code == 303
    page = deputy.get(sent.headers["location"]).text
    assert "已提交，等待代表工作机构受理。" in page
    assert "待受理" in page
    assert "李四" in page
    assert "民政" in page
    assert "闭会期间" in page
    assert "不公开" in page
    assert "调研报告.pdf" in page
    assert 'id="withdraw"' in page
    home = deputy.get("/deputy").text
    assert "我的网上建议" in home
    assert "关于增设社区食堂的建议" in home
    assert "待受理" in home
    with server.engine() as engine:
        [made] = engine.submissions()
        assert (made.deputy, made.co_signers, made.field) == ("张三", ("李四",), "民政")
        assert made.between_sessions
        assert made.confidential


def test_a_refused_proposal_keeps_what_was_typed(server: Server) -> None:
    """No title: one line, the content kept, nothing recorded."""
    deputy = server.portal("张三")
    refused = propose(deputy, title=" ")
    assert refused.status_code == 422
    assert refused.text.count('class="refusal"') == 1
    assert "a suggestion needs a title" in refused.text
    assert "老年人就餐难。" in refused.text
    with server.engine() as engine:
        assert engine.submissions() == []


def test_an_unknown_co_signer_is_named_and_nothing_is_recorded(server: Server) -> None:
    """A co-signer no deputy bears: the form comes back with one line naming that name, the text kept."""
    deputy = server.portal("张三")
    refused = propose(deputy, co_signers="李四、赵六")
    assert refused.status_code == 422
    assert refused.text.count('class="refusal"') == 1
    assert "co-signer 赵六 is not a deputy of this congress" in refused.text
    assert "老年人就餐难。" in refused.text
    with server.engine() as engine:
        assert engine.submissions() == []


def test_a_deputy_withdraws_a_pending_submission_once(server: Server) -> None:
    """撤回 while pending: 已撤回 with the reason, the form gone; a second withdrawal is refused (409)."""
    deputy = server.portal("张三")
    path = propose(deputy).headers["location"].split("?")[0]
    token = csrf(deputy, path)
    done = deputy.post(f"{path}/withdraw", data={"csrf_token": token, "reason": "已另行反映"})
    assert done.status_code == 303
    page = deputy.get(done.headers["location"]).text
    assert "已撤回" in page
    assert "已另行反映" in page
    assert 'id="withdraw"' not in page
    again = deputy.post(f"{path}/withdraw", data={"csrf_token": token})
    assert again.status_code == 409
    assert again.text.count('class="refusal"') == 1


def test_an_accepted_submission_links_its_case_and_a_declined_one_says_why(server: Server) -> None:
    """已受理 with the case's number as a link; 不予受理 with the office's reason; neither may be withdrawn."""
    deputy = server.portal("张三")
    first = propose(deputy).headers["location"].split("?")[0]
    second = propose(deputy, title="关于路灯的建议").headers["location"].split("?")[0]
    with server.engine() as engine:
        engine.accept_submission(int(first.rsplit("/", 1)[1]))
        engine.decline_submission(int(second.rsplit("/", 1)[1]), reason="转为来信处理")
    accepted = deputy.get(first).text
    assert "已受理" in accepted
    assert f'href="{DEPUTY_CASE}/0003"' in accepted
    assert 'id="withdraw"' not in accepted
    declined = deputy.get(second).text
    assert "不予受理" in declined
    assert "转为来信处理" in declined
    assert 'id="withdraw"' not in declined
    home = deputy.get("/deputy").text
    assert f'href="{DEPUTY_CASE}/0003"' in home
    assert "转为来信处理" in home


def test_another_deputy_and_a_unit_cannot_reach_a_submission(server: Server) -> None:
    """李四 reads 404 for 张三's submission and cannot withdraw it; a unit reaches no deputy page."""
    path = propose(server.portal("张三")).headers["location"].split("?")[0]
    other = server.portal("李四")
    assert other.get(path).status_code == 404
    token = csrf(other, "/deputy")
    assert other.post(f"{path}/withdraw", data={"csrf_token": token}).status_code == 404
    assert "关于增设社区食堂的建议" not in other.get("/deputy").text
    assert other.get("/deputy/submissions/x").status_code == 404
    unit = server.portal("交通")
    for where in ("/deputy", "/deputy/submissions/new", path):
        assert unit.get(where).status_code == 404
    token = csrf(unit, "/unit")
    assert unit.post("/deputy/submissions", data={"csrf_token": token, "title": "x"}).status_code == 404
    with server.engine() as engine:
        assert [s.status.value for s in engine.submissions()] == ["pending"]


def test_the_lead_deputy_withdraws_a_case_with_its_reason(server: Server) -> None:
    """The form is the lead deputy's; no reason: one line naming no command-line option; with it: 已撤回."""
    deputy = server.portal("张三")
    assert 'id="withdraw"' in deputy.get(f"{DEPUTY_CASE}/0001").text
    token = csrf(deputy, f"{DEPUTY_CASE}/0001")
    refused = deputy.post(f"{DEPUTY_CASE}/0001/withdraw", data={"csrf_token": token, "reason": ""})
    assert refused.status_code == 422
    assert refused.text.count('class="refusal"') == 1
    assert "a withdrawal needs its reason, as the deputy wrote it" in refused.text
    done = deputy.post(f"{DEPUTY_CASE}/0001/withdraw", data={"csrf_token": token, "reason": "问题已解决"})
    assert done.status_code == 303
    page = deputy.get(done.headers["location"]).text
    assert "已撤回这件建议" in page
    assert 'id="withdraw"' not in page
    with server.engine() as engine:
        assert engine.dossier("0001").case.state == "withdrawn"


def test_a_co_signer_is_not_offered_the_withdrawal_and_is_refused(server: Server) -> None:
    """李四 co-signed 0003 but does not lead it: no form, and a post is refused in one line."""
    with server.engine() as engine:
        engine.submit("0003", title="关于道路修缮的建议", deputy="张三", co_signers=["李四"])
        engine.assign("0003", main="市交通运输局")
    other = server.portal("李四")
    page = other.get(f"{DEPUTY_CASE}/0003").text
    assert "关于道路修缮的建议" in page
    assert 'id="withdraw"' not in page
    token = hidden(page, "csrf_token")
    refused = other.post(f"{DEPUTY_CASE}/0003/withdraw", data={"csrf_token": token, "reason": "另有安排"})
    assert refused.status_code == 403
    assert refused.text.count('class="refusal"') == 1
    assert ">另有安排</textarea>" in refused.text  # what was typed is kept


def test_the_inbox_orders_pages_and_counts_obligations_of_every_kind(
    server: Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A unit owing answers (two overdue on the same day, the key one first), a co-unit's opinion and an answer
    coming due: the rows most urgent first across pages of 2, and counts of all of them on every page."""
    main, other = "市交通运输局", "市财政局"
    with server.engine() as engine:
        now = engine.clock.now()
        for number, ago, key, assigned in (
            ("0003", 200, True, {"main": main}),
            ("0004", 200, False, {"main": main}),
            ("0005", 0, False, {"main": other, "co": [main]}),
            ("0006", 85, False, {"main": main}),
        ):
            at = now - timedelta(days=ago)
            engine.submit(number, title=f"建议{number}", deputy="张三", at=at)
            engine.assign(number, key=key, at=at, **assigned)  # type: ignore[arg-type]
        today = now.astimezone(engine.active_ruleset().zone).date()
        owed = []
        for number in ("0001", "0003", "0004", "0005", "0006"):
            case = engine.get(number)
            owed.extend(
                (d.due, not case.key, number, d.kind, d.due_at <= now)
                for d in case.deadlines
                if d.status == "open" and d.unit == main and d.kind in unit_pages.OWED_KINDS
            )
    owed.sort()
    assert [(n, k) for _due, _key, n, k, _late in owed][:2] == [("0003", "answer"), ("0004", "answer")]
    labels = unit_pages.OWED_KINDS
    monkeypatch.setattr(unit_pages, "INBOX_LIMIT", 2)
    unit = server.portal("交通")
    shown = []
    for page_no in (1, 2, 3):
        text = unit.get(f"/unit?page={page_no}").text
        shown += re.findall(r'第(\d{4})号.*?data-label="待办事项">([^<]+)<', text, flags=re.DOTALL)
        assert "<strong>5</strong> 项待办" in text
        assert "<strong>2</strong> 项已逾期" in text
        assert "<strong>1</strong> 项重点督办" in text
        week = sum(not late and due <= today + timedelta(days=7) for due, _key, _n, _k, late in owed)
        assert f"<strong>{week}</strong> 项 7 日内到期" in text
        assert f"这是第 {page_no} / 3 页" in text
    assert shown == [(n, labels[k]) for _due, _key, n, k, _late in owed]
    assert ("0005", "会办意见") in shown
