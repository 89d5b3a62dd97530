"""The portal in the default language: the engine's refusals a unit reads on its pages are Chinese."""

from __future__ import annotations

from urllib.parse import quote

import pytest

from tests.web.conftest import SESSION, Server, hidden

pytestmark = [
    pytest.mark.parametrize("backend", ["sqlite-file"], indirect=True),
    pytest.mark.usefixtures("chinese"),
]

UNIT_CASE = f"/unit/cases/{quote(SESSION, safe='')}"


def test_an_engine_refusal_on_a_page_is_chinese_without_the_option_hint(server: Server) -> None:
    """A B answer without promises, posted from the unit's case page: the reason in Chinese, one line; the
    case stays 已交办."""
    unit = server.portal("交通")
    token = hidden(unit.get(f"{UNIT_CASE}/0001").text, "csrf_token")
    data = {"csrf_token": token, "category": "B", "text": "正在研究方案"}
    empty = [("files", ("", b"", "application/octet-stream"))]
    refused = unit.post(f"{UNIT_CASE}/0001/answer", data=data, files=empty)
    assert refused.status_code == 422
    assert f"建议 {SESSION}/0001：B 类答复须写明办什么、何时办完" in refused.text
    assert "a class B answer" not in refused.text
    assert refused.text.count('class="refusal"') == 1
    with server.engine() as engine:
        assert engine.get("0001").state == "assigned"


def test_the_api_says_not_signed_in_and_no_csrf_token_in_chinese(server: Server) -> None:
    """401 and 403 bodies read Chinese by default; the JSON keys and the kind stay as they are."""
    anonymous = server.client().get("/api/cases")
    assert anonymous.status_code == 401
    assert anonymous.json() == {
        "error": "未登录，或登录已失效：请用 POST /api/session 登录",
        "kind": "NotSignedIn",
    }
    unit, _ = server.login("交通")
    forged = unit.post(f"/api/cases/{quote(SESSION, safe='')}/0001/receive", json={})
    assert forged.status_code == 403
    assert forged.json()["kind"] == "CsrfRefused"
    assert forged.json()["error"].startswith("缺少 X-CSRF-Token 请求头")


def test_the_api_speaks_english_under_jianyi_lang_en(server: Server, monkeypatch: pytest.MonkeyPatch) -> None:
    """JIANYI_LANG=en: the same answers in English."""
    monkeypatch.setenv("JIANYI_LANG", "en")
    anonymous = server.client().get("/api/cases")
    assert (
        anonymous.json()["error"] == "not signed in, or the session has ended: sign in with POST /api/session"
    )
    assert server.client().get("/api/no-such-thing").json()["error"] == "no such endpoint"


def test_a_page_validation_line_is_chinese(server: Server) -> None:
    """The office's 交办 form with nothing to assign: the line in Chinese, the form kept."""
    office = server.portal("王芳")
    token = hidden(office.get("/office/assign").text, "csrf_token")
    refused = office.post("/office/assign", data={"csrf_token": token, "orders": "  "})
    assert refused.status_code == 422
    assert "没有要交办的建议：每行写“编号 主办单位 会办单位（可省）”，或上传交办表" in refused.text


def test_request_validation_names_the_field_in_chinese(server: Server) -> None:
    """422 from the request's own validation reads in the portal's words, one line naming the field, not in
    pydantic's English; the JSON keys and the kind stay English."""
    office, _ = server.login("王芳")
    too_small = office.get("/api/cases", params={"limit": 0})
    assert too_small.status_code == 422
    assert too_small.json() == {"error": "limit：不得小于 1", "kind": "ValidationError", "fields": ["limit"]}
    not_a_number = office.get("/api/cases", params={"offset": "二"})
    assert not_a_number.json()["error"] == "offset：须为整数"
    no_password = server.client().post("/api/session", json={"name": "王芳"})
    assert (no_password.status_code, no_password.json()["error"]) == (422, "password：必填")
    not_json = server.client().post(
        "/api/session", content=b"{", headers={"content-type": "application/json"}
    )
    assert not_json.json()["error"] == "请求正文不是有效的 JSON"
    for refused in (too_small, not_a_number, no_password, not_json):
        assert "\n" not in refused.json()["error"]
        assert "Input should" not in refused.json()["error"]


def test_request_validation_speaks_english_under_jianyi_lang_en(
    server: Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    """JIANYI_LANG=en: the same lines in English."""
    monkeypatch.setenv("JIANYI_LANG", "en")
    office, _ = server.login("王芳")
    assert office.get("/api/cases", params={"limit": 5000}).json()["error"] == "limit: must be at most 1000"
    no_name = server.client().post("/api/session", json={"password": "x"})
    assert no_name.json()["error"] == "name: required"


def test_an_instant_without_its_offset_and_a_file_not_in_base64_are_named(
    server: Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An action's `at` without its UTC offset is told it needs one (not "not a valid value"); a file that is
    not base64 is named by the validator's own words."""
    monkeypatch.setenv("JIANYI_LANG", "en")
    _cookie, signed = server.login("王芳")
    office = server.client()
    office.headers["Authorization"] = f"Bearer {signed['token']}"
    url = f"/api/cases/{quote(SESSION, safe='')}/0001/opinion"
    naive = office.post(url, json={"unit": "市财政局", "text": "同意", "at": "2026-03-01T09:00:00"})
    assert (naive.status_code, naive.json()["error"]) == (
        422,
        "at: must be a date and time with its offset from UTC, e.g. 2026-03-01T09:00:00+08:00",
    )
    bad_file = office.post(
        url, json={"text": "同意", "attachments": [{"name": "a.pdf", "content_base64": "%%"}]}
    )
    assert (bad_file.status_code, bad_file.json()["error"]) == (
        422,
        "attachments.0.content_base64: not base64",
    )
