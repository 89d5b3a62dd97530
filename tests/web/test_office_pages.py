"""The office's pages over HTTP: the dashboard and case list, assigning one and many, deciding hand-back requests
and online submissions, reports and their downloads, accounts, the audit check and the outbox — and that no unit
or deputy reaches any of them."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from urllib.parse import quote

import httpx
import pytest

from tests.web.conftest import SESSION, Server, hidden
from workflow import Actor

pytestmark = pytest.mark.parametrize(
    "backend", ["sqlite-file", pytest.param("postgresql", marks=pytest.mark.postgres)], indirect=True
)

S = quote(SESSION, safe="")
CASE = f"/office/cases/{S}"
PAGES = [
    "/office",
    "/office/cases",
    f"{CASE}/0001",
    "/office/assign",
    "/office/decisions",
    "/office/reports",
    "/office/reports/summary.csv",
    "/office/ledger.xlsx",
    "/office/users",
    "/office/system",
]
ACTIONS = [
    f"{CASE}/0001/assign",
    f"{CASE}/0001/reassign",
    f"{CASE}/0001/refuse_return",
    "/office/assign",
    "/office/submissions/1/accept",
    "/office/users",
    "/office/users/交通/disable",
]


def csrf(client: httpx.Client, path: str = "/office") -> str:
    return hidden(client.get(path).text, "csrf_token")


def submit(server: Server, *numbers: str) -> None:
    with server.engine() as engine:
        for number in numbers:
            engine.submit(number, title=f"关于第{number}号事项的建议", deputy="张三", content="内容")


def test_the_office_lands_on_its_dashboard_with_counts_that_link_to_the_cases(server: Server) -> None:
    """/ → /office; the counts by state (in Chinese), overdue, due this week, per unit and the queue."""
    office = server.portal("王芳")
    assert office.get("/").headers["location"] == "/office"
    page = office.get("/office")
    assert page.status_code == 200
    assert "<h1>概况" in page.text
    assert '<a href="/office/cases?state=assigned">2</a>' in page.text
    assert "已交办" in page.text
    assert '<a href="/office/cases"><strong>2</strong> 件建议</a>' in page.text
    assert '<a href="/office/cases?overdue=1"><strong>0</strong> 件已逾期</a>' in page.text
    assert "<strong>0</strong> 项 7 日内到期" in page.text
    assert (
        '<a href="/office/cases?unit=%E5%B8%82%E4%BA%A4%E9%80%9A%E8%BF%90%E8%BE%93%E5%B1%80">1</a>'
        in page.text
    )
    assert "<strong>0</strong> 项待决定" in page.text


def test_the_dashboards_due_this_week_counts_the_rows_its_link_lists(server: Server) -> None:
    """A case with two co-units owes two opinions due within the week: the dashboard counts what the list
    it links to shows, one for each obligation."""
    assigned = datetime.now(UTC) - timedelta(days=28)  # the co-units' opinions (a month) fall due in days
    with server.engine() as engine:
        engine.submit("0003", title="关于道路修缮的建议", deputy="张三", at=assigned)
        engine.assign("0003", main="市交通运输局", co=["市财政局", "市住房和城乡建设局"], at=assigned)
    office = server.portal("王芳")
    dashboard = office.get("/office").text
    counted = re.search(r'<a href="([^"]*due=week[^"]*)"><strong>(\d+)</strong> 项 7 日内到期', dashboard)
    assert counted is not None
    listed = office.get(counted.group(1).replace("&amp;", "&")).text
    rows = listed.count('data-label="事项"')
    assert rows >= 2
    assert int(counted.group(2)) == rows


def test_units_deputies_and_strangers_reach_no_office_page_or_action(server: Server) -> None:
    """A unit or a deputy is answered 404 on every office page and action; nobody signed in goes to 登录."""
    for name in ("交通", "张三"):
        client = server.portal(name)
        token = hidden(client.get("/unit" if name == "交通" else "/deputy").text, "csrf_token")
        for path in PAGES:
            assert client.get(path).status_code == 404, (name, path)
        for path in ACTIONS:
            answered = client.post(path, data={"csrf_token": token, "main": "市财政局", "name": "x"})
            assert answered.status_code == 404, (name, path)
    anon = server.client()
    assert all(anon.get(p).headers["location"] == "/login" for p in PAGES)
    with server.engine() as engine:
        assert engine.get("0001").state == "assigned"
        assert not engine.users()[1].disabled


def test_an_office_form_without_its_token_is_refused(server: Server) -> None:
    """403 before anything is done, for each kind of form."""
    submit(server, "0003")
    office = server.portal("王芳")
    assert office.post(f"{CASE}/0003/assign", data={"main": "市财政局"}).status_code == 403
    assert office.post("/office/assign", data={"orders": "0003 市财政局"}).status_code == 403
    assert (
        office.post(
            "/office/users", data={"name": "新", "password": "pw123456789", "role": "office"}
        ).status_code
        == 403
    )
    assert office.post("/office/users/交通/disable", data={}).status_code == 403
    with server.engine() as engine:
        assert engine.get("0003").state == "submitted"
        assert [u.name for u in engine.users()].count("新") == 0


def test_the_case_list_searches_filters_and_opens_the_case_page(server: Server) -> None:
    """Text found in the title, filters by unit and state; the escaped title stays text."""
    office = server.portal("王芳")
    found = office.get("/office/cases", params={"q": "公交"})
    assert "共 1 件" in found.text
    assert "第0001号 关于优化公交线路的建议" in found.text
    by_unit = office.get("/office/cases", params={"unit": "市住房和城乡建设局"})
    assert "共 1 件" in by_unit.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in by_unit.text
    assert "<script>" not in by_unit.text
    assert "共 0 件" in office.get("/office/cases", params={"state": "closed"}).text
    assert "7 日内没有到期的事项" in office.get("/office/cases", params={"due": "week"}).text
    case = office.get(f"{CASE}/0001")
    assert case.status_code == 200
    assert "增加夜班公交" in case.text
    assert 'id="reassign_any"' in case.text
    assert 'id="assign"' not in case.text
    assert office.get(f"{CASE}/9999").status_code == 404


def test_the_office_assigns_one_case_and_a_refusal_keeps_what_was_typed(server: Server) -> None:
    """The assign form on a submitted case; an unknown unit is refused in one line with the fields kept."""
    submit(server, "0003")
    office = server.portal("王芳")
    page = office.get(f"{CASE}/0003")
    assert 'id="assign"' in page.text
    token = hidden(page.text, "csrf_token")
    refused = office.post(
        f"{CASE}/0003/assign", data={"csrf_token": token, "main": "无此单位", "co": "市财政局"}
    )
    assert refused.status_code in (404, 422)
    assert refused.text.count('class="refusal"') == 1
    assert 'name="main" list="units" value="无此单位"' in refused.text
    assert 'name="co" value="市财政局"' in refused.text
    done = office.post(
        f"{CASE}/0003/assign",
        data={"csrf_token": token, "main": "市交通运输局", "co": "市财政局", "key": "1"},
    )
    assert done.status_code == 303
    assert office.get(done.headers["location"]).text.count("已交办。") == 1
    with server.engine() as engine:
        case = engine.get("0003")
        assert (case.state, case.main_unit, case.co_units, case.key) == (
            "assigned",
            "市交通运输局",
            ("市财政局",),
            True,
        )


def test_the_office_assigns_many_by_lines_or_by_file_all_or_nothing(server: Server) -> None:
    """Lines of 编号 主办 会办; one bad line assigns nothing; a CSV in the batch file's columns assigns."""
    submit(server, "0003", "0004", "0005")
    office = server.portal("王芳")
    token = csrf(office, "/office/assign")
    typed = "0003 市交通运输局 市财政局\n0004 无此单位"
    refused = office.post("/office/assign", data={"csrf_token": token, "orders": typed})
    assert refused.status_code in (404, 422)
    assert refused.text.count('class="refusal"') == 1
    assert typed in refused.text
    with server.engine() as engine:
        assert engine.get("0003").state == "submitted"
    done = office.post(
        "/office/assign", data={"csrf_token": token, "orders": "0003 市交通运输局 市财政局\n0004 市财政局"}
    )
    assert done.status_code == 303
    assert "已交办 2 件建议。" in office.get(done.headers["location"]).text
    sheet = "建议编号,主办单位,会办单位\n0005,市住房和城乡建设局,市交通运输局\n".encode()
    uploaded = office.post(
        "/office/assign",
        data={"csrf_token": token, "orders": ""},
        files={"file": ("交办表.csv", sheet, "text/csv")},
    )
    assert uploaded.status_code == 303
    with server.engine() as engine:
        assert engine.get("0003").co_units == ("市财政局",)
        assert engine.get("0004").main_unit == "市财政局"
        assert engine.get("0005").main_unit == "市住房和城乡建设局"


def test_a_hand_back_request_is_refused_or_approved_by_reassigning(server: Server) -> None:
    """The queue lists the request; refusing needs a reason; approving reassigns to the new main unit."""
    with server.engine() as engine:
        engine.acting(Actor.unit("市交通运输局")).request_return("0001", reason="不属于本单位职责")
        engine.acting(Actor.unit("市住房和城乡建设局")).request_return("0002", reason="应由规划部门办理")
    office = server.portal("王芳")
    queue = office.get("/office/decisions")
    assert "退办申请（2）" in queue.text
    assert "不属于本单位职责" in queue.text
    assert "<strong>2</strong> 项待决定" in office.get("/office").text
    page = office.get(f"{CASE}/0001")
    assert 'id="refuse_return"' in page.text
    assert 'id="reassign"' in page.text
    token = hidden(page.text, "csrf_token")
    empty = office.post(f"{CASE}/0001/refuse_return", data={"csrf_token": token, "reason": ""})
    assert empty.status_code == 422
    assert empty.text.count('class="refusal"') == 1
    refused = office.post(
        f"{CASE}/0001/refuse_return", data={"csrf_token": token, "reason": "属于本单位职责范围"}
    )
    assert refused.status_code == 303
    approved = office.post(
        f"{CASE}/0002/reassign", data={"csrf_token": token, "main": "市财政局", "reason": "同意退办"}
    )
    assert approved.status_code == 303
    with server.engine() as engine:
        assert [r.status for r in engine.dossier("0001").returns] == ["refused"]
        assert engine.get("0001").main_unit == "市交通运输局"
        assert engine.get("0002").main_unit == "市财政局"
    assert "没有待决定的退办申请" in office.get("/office/decisions").text


def test_online_submissions_are_accepted_with_a_number_or_declined_with_a_reason(server: Server) -> None:
    """受理 registers the case; 不予受理 needs its reason, refused in one line with the reason field kept."""
    with server.engine() as engine:
        zhang = engine.acting(Actor.deputy("张三"))
        first = zhang.propose("关于增设社区食堂的建议", content="老年人就餐难")
        second = zhang.propose("关于路灯的建议", content="路灯不亮")
    office = server.portal("王芳")
    queue = office.get("/office/decisions")
    assert "网上提交的建议（2）" in queue.text
    assert "老年人就餐难" in queue.text
    token = hidden(queue.text, "csrf_token")
    accepted = office.post(
        f"/office/submissions/{first.id}/accept", data={"csrf_token": token, "number": "0100"}
    )
    assert accepted.status_code == 303
    refused = office.post(
        f"/office/submissions/{second.id}/decline", data={"csrf_token": token, "reason": ""}
    )
    assert refused.status_code == 422
    assert refused.text.count('class="refusal"') == 1
    declined = office.post(
        f"/office/submissions/{second.id}/decline", data={"csrf_token": token, "reason": "转为来信处理"}
    )
    assert declined.status_code == 303
    assert office.post("/office/submissions/999/accept", data={"csrf_token": token}).status_code == 404
    with server.engine() as engine:
        assert engine.get("0100").title == "关于增设社区食堂的建议"
        assert engine.submission(second.id).reason == "转为来信处理"


def test_the_report_is_in_the_page_and_every_format_downloads_as_an_attachment(server: Server) -> None:
    """Summary and units in the page; html, xlsx, csv, md, json and the ledger as attachments."""
    office = server.portal("王芳")
    summary = office.get("/office/reports")
    assert summary.status_code == 200
    assert "范围：" in summary.text
    assert "/office/reports/summary.pdf" in summary.text
    assert "/office/ledger.xlsx" in summary.text
    assert office.get("/office/reports", params={"kind": "units"}).status_code == 200
    assert office.get("/office/reports", params={"kind": "nothing"}).status_code == 404
    for fmt, starts in {"html": b"<!", "xlsx": b"PK", "csv": b"", "md": b"#", "json": b"{"}.items():
        got = office.get(f"/office/reports/summary.{fmt}")
        assert got.status_code == 200, fmt
        assert got.headers["content-disposition"].startswith("attachment; filename*=UTF-8''"), fmt
        assert got.content.lstrip().startswith(starts), fmt
    ledger = office.get("/office/ledger.xlsx")
    assert ledger.content.startswith(b"PK")
    assert ledger.headers["content-disposition"] == "attachment; filename*=UTF-8''%E5%8F%B0%E8%B4%A6.xlsx"
    assert "关于优化公交线路的建议" in office.get("/office/ledger.csv").text
    assert office.get("/office/reports/summary.exe").status_code == 404


def test_the_office_adds_disables_enables_and_resets_accounts(server: Server) -> None:
    """An account for a unit; a name taken is refused with the fields kept (never the password)."""
    office = server.portal("王芳")
    token = csrf(office, "/office/users")
    new = {
        "csrf_token": token,
        "name": "教育",
        "password": "a long password 1",
        "role": "unit",
        "unit": "市教育局",
    }
    assert office.post("/office/users", data=new).status_code == 303
    again = office.post("/office/users", data=new)
    assert again.status_code in (409, 422)
    assert again.text.count('class="refusal"') == 1
    assert 'name="name" value="教育"' in again.text
    assert "a long password 1" not in again.text
    assert office.post("/office/users/教育/disable", data={"csrf_token": token}).status_code == 303
    assert server.sign_in_page("教育", "a long password 1").status_code == 401
    assert office.post("/office/users/教育/enable", data={"csrf_token": token}).status_code == 303
    reset = office.post(
        "/office/users/教育/password", data={"csrf_token": token, "password": "another password 2"}
    )
    assert reset.status_code == 303
    assert server.sign_in_page("教育", "another password 2").headers["location"] == "/unit"
    listed = office.get("/office/users").text
    assert "承办单位：市教育局" in listed
    assert "已停用" in listed


@pytest.mark.usefixtures("chinese")  # the line as the offices read it
def test_the_office_cannot_disable_its_own_account(server: Server) -> None:
    """The signed-in account has no 停用 button, and a crafted request is refused in one line, the account
    still enabled; another account's button is there."""
    office = server.portal("王芳")
    listed = office.get("/office/users").text
    assert "/office/users/%E7%8E%8B%E8%8A%B3/disable" not in listed
    assert "/office/users/%E4%BA%A4%E9%80%9A/disable" in listed
    token = csrf(office, "/office/users")
    refused = office.post("/office/users/王芳/disable", data={"csrf_token": token})
    assert refused.status_code == 422
    assert refused.text.count('class="refusal"') == 1
    assert "不能停用正在使用的账号“王芳”" in refused.text
    with server.engine() as engine:
        assert not next(u for u in engine.users() if u.name == "王芳").disabled
    assert office.get("/office/users").status_code == 200


def test_the_audit_check_and_the_outbox_are_shown_in_one_page(server: Server) -> None:
    """One line when the chain is whole; the outbox's backlog and its notices."""
    office = server.portal("王芳")
    page = office.get("/office/system")
    assert page.status_code == 200
    assert "核查 2 件建议的审计链，未发现问题。" in page.text
    assert "条待发送" in page.text
    assert "提醒程序上次运行：从未运行" in page.text
    assert office.get("/office/system", params={"status": "dead"}).status_code == 200
    assert office.get("/office/system", params={"status": "nothing"}).status_code == 404


def test_extension_requests_are_approved_or_refused_from_the_queue_and_the_case_page(server: Server) -> None:
    """The queue lists both requests; refusing needs a reason; approving extends the answer period."""
    with server.engine() as engine:
        engine.acting(Actor.unit("市交通运输局")).request_extension("0001", reason="涉及多个部门，需要协调")
        engine.acting(Actor.unit("市住房和城乡建设局")).request_extension("0002", reason="需要专项资金")
    office = server.portal("王芳")
    queue = office.get("/office/decisions")
    assert "延期申请（2）" in queue.text
    assert "涉及多个部门，需要协调" in queue.text
    page = office.get(f"{CASE}/0001")
    assert 'id="approve_extension"' in page.text
    assert 'id="refuse_extension"' in page.text
    token = hidden(page.text, "csrf_token")
    empty = office.post(f"{CASE}/0002/refuse_extension", data={"csrf_token": token, "reason": ""})
    assert empty.status_code == 422
    assert empty.text.count('class="refusal"') == 1
    refused = office.post(
        f"{CASE}/0002/refuse_extension", data={"csrf_token": token, "reason": "期限内可以办结"}
    )
    assert refused.status_code == 303
    approved = office.post(f"{CASE}/0001/approve_extension", data={"csrf_token": token, "reason": ""})
    assert approved.status_code == 303
    assert "已同意延期。" in office.get(approved.headers["location"]).text
    with server.engine() as engine:
        assert engine.get("0001").extended
        assert not engine.get("0002").extended
        assert engine.pending_extensions() == []
    unit = server.portal("交通")
    unit_token = hidden(unit.get("/unit").text, "csrf_token")
    assert unit.post(f"{CASE}/0002/approve_extension", data={"csrf_token": unit_token}).status_code == 404


def test_the_report_downloads_as_an_a4_pdf(server: Server) -> None:
    """The PDF is the report's document form, served as an attachment."""
    pytest.importorskip("weasyprint", reason="WeasyPrint is not installed (pip install 'jianyi[pdf]')")
    got = server.portal("王芳").get("/office/reports/units.pdf")
    assert got.status_code == 200
    assert got.headers["content-type"] == "application/pdf"
    assert got.headers["content-disposition"].startswith("attachment; filename*=UTF-8''")
    assert got.content.startswith(b"%PDF-")
