"""Reading and acting on cases through the web API: each account keeps to its scope, actions run as the
signed-in account and are audited as it, and refusals answer with their status."""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.web.conftest import SESSION, Server
from workflow.testing import sample_file

pytestmark = pytest.mark.parametrize(
    "backend", ["sqlite-file", pytest.param("postgresql", marks=pytest.mark.postgres)], indirect=True
)

CASE = f"/api/cases/{SESSION}"


def bearer(server: Server, name: str) -> httpx.Client:
    """A client acting for ``name`` with its bearer token (no cookie, no CSRF token)."""
    _, signed = server.login(name)
    client = server.client()
    client.headers["Authorization"] = f"Bearer {signed['token']}"
    return client


def numbers(page: dict[str, Any]) -> list[str]:
    return [case["number"] for case in page["cases"]]


def test_a_unit_lists_only_the_cases_it_handles(server: Server) -> None:
    """市交通运输局 and 市财政局 see 0001, 市住房和城乡建设局 sees 0002, the office both."""
    seen = {
        name: numbers(bearer(server, name).get("/api/cases").json())
        for name in ("交通", "财政", "住建", "王芳")
    }
    assert seen == {"交通": ["0001"], "财政": ["0001"], "住建": ["0002"], "王芳": ["0001", "0002"]}


def test_the_list_takes_the_search_filters_and_pages(server: Server) -> None:
    """text, state, confidential, offset and limit reach the search; the page says how many match."""
    office = bearer(server, "王芳")
    assert numbers(office.get("/api/cases", params={"text": "公交"}).json()) == ["0001"]
    assert numbers(office.get("/api/cases", params={"confidential": "true"}).json()) == ["0002"]
    page = office.get("/api/cases", params={"state": "assigned", "limit": 1, "offset": 1}).json()
    assert (page["total"], page["offset"], page["limit"], numbers(page)) == (2, 1, 1, ["0002"])
    assert office.get("/api/cases", params={"limit": 0}).status_code == 422


def test_another_units_case_is_not_found_like_a_missing_number(server: Server) -> None:
    """市交通运输局 asking for 0002 gets the 404 a number that does not exist gets."""
    unit = bearer(server, "交通")
    hidden = unit.get(f"{CASE}/0002")
    missing = unit.get(f"{CASE}/9999")
    assert (hidden.status_code, missing.status_code) == (404, 404)
    assert hidden.json() == {
        "error": missing.json()["error"].replace("9999", "0002"),
        "kind": "NotFound",
    }
    assert unit.get(f"{CASE}/0001").json()["title"] == "关于优化公交线路的建议"


def test_a_deputy_cannot_read_another_deputys_confidential_case(server: Server) -> None:
    """李四's confidential 0002 is not found for 张三, and read by 李四."""
    assert bearer(server, "张三").get(f"{CASE}/0002").status_code == 404
    assert numbers(bearer(server, "张三").get("/api/cases").json()) == ["0001"]
    assert bearer(server, "李四").get(f"{CASE}/0002").json()["confidential"] is True


def test_opinion_answer_and_feedback_through_the_api_close_the_case_as_their_actors(server: Server) -> None:
    """The co-unit's opinion, the main unit's B answer with a promise and a file, and the deputy's feedback,
    each with a cookie and its CSRF token: the case ends closed and the history names each actor."""

    def act(name: str, action: str, body: dict[str, Any]) -> dict[str, Any]:
        client, signed = server.login(name)
        response = client.post(
            f"{CASE}/0001/{action}", json=body, headers={"X-CSRF-Token": signed["csrf_token"]}
        )
        assert response.status_code == 200, response.text
        result: dict[str, Any] = response.json()
        return result

    assert act("财政", "opinion", {"text": "同意"})["state"] == "co_handled"
    letter = base64.b64encode(sample_file("png")).decode("ascii")
    answered = act(
        "交通",
        "answer",
        {
            "category": "B",
            "text": "已列入计划",
            "promises": [{"text": "调整线路", "due": "2027-06-30"}],
            "attachments": [{"name": "答复函.png", "content_base64": letter}],
        },
    )
    assert (answered["state"], answered["events"][0]["actor"]) == ("answered", "unit:市交通运输局")
    closed = act("张三", "feedback", {"rating": "satisfied", "comment": "满意"})
    assert closed["state"] == "closed"
    with server.engine() as engine:
        history = [(e.action, e.actor) for e in engine.history("0001")]
        case = engine.get("0001")
    assert history[-4:] == [
        ("opinion", "unit:市财政局"),
        ("answer", "unit:市交通运输局"),
        ("feedback", "deputy:张三"),
        ("close", "system"),
    ]
    assert (case.state, case.category) == ("closed", "B")


def test_an_attachment_downloads_with_its_type_and_name(server: Server) -> None:
    """The bytes as attached, their recorded media type, and Content-Disposition: attachment with the name."""
    data = sample_file("png")
    office = bearer(server, "王芳")
    body = {
        "text": "同意",
        "unit": "市财政局",
        "attachments": [{"name": "会办意见.png", "content_base64": base64.b64encode(data).decode()}],
    }
    assert office.post(f"{CASE}/0001/opinion", json=body).status_code == 200
    response = bearer(server, "交通").get(f"{CASE}/0001/attachments/会办意见.png")
    assert response.status_code == 200
    assert response.content == data
    assert response.headers["content-type"] == "image/png"
    assert response.headers["content-disposition"] == (
        "attachment; filename=\"____.png\"; filename*=UTF-8''%E4%BC%9A%E5%8A%9E%E6%84%8F%E8%A7%81.png"
    )
    assert bearer(server, "住建").get(f"{CASE}/0001/attachments/会办意见.png").status_code == 404


def test_refusals_answer_with_their_status(server: Server) -> None:
    """409 for an action the state does not allow, 422 for bad input (the engine's or the body's), 403 for an
    office action by a unit, 404 for an unknown action; nothing is written."""
    unit = bearer(server, "交通")
    deputy = bearer(server, "张三")
    wrong_state = deputy.post(f"{CASE}/0001/feedback", json={"rating": "satisfied"})
    bad_method = unit.post(f"{CASE}/0001/contact", json={"method": "telepathy"})
    bad_body = unit.post(f"{CASE}/0001/answer", json={"category": "A", "txt": "x"})
    bad_date = unit.post(
        f"{CASE}/0001/answer", json={"category": "B", "text": "x", "promises": [{"text": "y", "due": "明年"}]}
    )
    not_theirs = unit.post(f"{CASE}/0001/amend", json={"reason": "更正", "title": "新标题"})
    unknown = unit.post(f"{CASE}/0001/approve", json={})
    statuses = [r.status_code for r in (wrong_state, bad_method, bad_body, bad_date, not_theirs, unknown)]
    assert statuses == [409, 422, 422, 422, 403, 404]
    assert wrong_state.json()["kind"] == "TransitionNotAllowed"
    assert wrong_state.json()["error"].startswith(f"建议 {SESSION}/0001: cannot 'feedback' while 'assigned'")
    assert bad_method.json()["kind"] == "ValidationError"
    assert bad_body.json() == {
        "error": "text: required; txt: not a field this request takes",
        "kind": "ValidationError",
        "fields": ["text", "txt"],
    }
    assert bad_date.json()["error"].startswith("promises.0.due: ")
    assert not_theirs.json()["kind"] == "PermissionDenied"
    with server.engine() as engine:
        assert (engine.get("0001").state, engine.get("0001").title) == ("assigned", "关于优化公交线路的建议")


def test_an_engine_refusal_names_the_fields_it_asks_for(server: Server) -> None:
    """An answer with blank text: 422, the engine's line without any command-line option, and ``fields`` naming
    the request's field to fill; nothing is written."""
    refused = bearer(server, "交通").post(f"{CASE}/0001/answer", json={"category": "A", "text": "  "})
    assert refused.status_code == 422
    body = refused.json()
    assert (body["kind"], body["fields"]) == ("ValidationError", ["text"])
    assert body["error"] == f"建议 {SESSION}/0001: an answer needs its text"
    with server.engine() as engine:
        assert engine.get("0001").state == "assigned"


def test_a_title_with_markup_comes_back_escaped_as_json(server: Server) -> None:
    """<script> in a title is served as application/json with <, > escaped, and parses back as typed."""
    response = bearer(server, "住建").get(f"{CASE}/0002")
    assert response.headers["content-type"] == "application/json"
    assert "<script>" not in response.text
    assert "\\u003cscript\\u003ealert(1)\\u003c/script\\u003e" in response.text
    assert response.json()["title"] == "<script>alert(1)</script>"


def test_damaged_bytes_answer_500_with_the_reason_and_no_traceback(server: Server, backend: str) -> None:
    """An attachment whose stored bytes are gone answers 500, saying so, never with a traceback."""
    if backend != "sqlite-file":
        pytest.skip("the bytes are in the database there, beside the file only on SQLite")
    office = bearer(server, "王芳")
    body = {
        "text": "同意",
        "unit": "市财政局",
        "attachments": [
            {"name": "意见.png", "content_base64": base64.b64encode(sample_file("png")).decode()}
        ],
    }
    assert office.post(f"{CASE}/0001/opinion", json=body).status_code == 200
    for stored in Path(server.db_url + ".attachments").rglob("*"):
        if stored.is_file():
            stored.unlink()
    response = office.get(f"{CASE}/0001/attachments/意见.png")
    assert response.status_code == 500
    assert response.json()["kind"] == "AttachmentDamaged"
    assert response.json()["error"].startswith(f"建议 {SESSION}/0001: attachment '意见.png': ")
    assert "Traceback" not in response.text


def test_an_extension_request_goes_from_the_unit_to_the_office_through_the_api(server: Server) -> None:
    """The unit asks, sees its request pending; a unit may not approve (403); the office lists and approves."""
    unit = bearer(server, "交通")
    office = bearer(server, "王芳")
    asked = unit.post(f"{CASE}/0001/request_extension", json={"reason": "涉及多个部门"})
    assert asked.status_code == 200, asked.text
    assert asked.json()["events"][0]["action"] == "request_extension"
    again = unit.post(f"{CASE}/0001/request_extension", json={"reason": "再次申请"})
    assert (again.status_code, again.json()["kind"]) == (422, "ValidationError")
    [mine] = unit.get("/api/pending/extensions").json()
    assert (mine["number"], mine["unit"], mine["reason"]) == ("0001", "市交通运输局", "涉及多个部门")
    assert unit.post(f"{CASE}/0001/approve_extension", json={}).status_code == 403
    assert [p["number"] for p in office.get("/api/pending/extensions").json()] == ["0001"]
    approved = office.post(f"{CASE}/0001/approve_extension", json={"reason": "同意延期"})
    assert approved.status_code == 200, approved.text
    assert office.get("/api/pending/extensions").json() == []
    dossier = office.get(f"{CASE}/0001").json()
    assert (dossier["extended"], dossier["extension_requests"][0]["status"]) == (True, "approved")
    refused = office.post(f"{CASE}/0001/refuse_extension", json={"reason": "x"})
    assert (refused.status_code, refused.json()["kind"]) == (409, "TransitionNotAllowed")


def test_a_unit_signs_for_its_assignment_through_the_api(server: Server) -> None:
    """The unit signs for itself; a second receipt is 422; the office signs for the co-unit it names."""
    unit = bearer(server, "交通")
    office = bearer(server, "王芳")
    signed = unit.post(f"{CASE}/0001/receive", json={})
    assert signed.status_code == 200, signed.text
    assert signed.json()["events"][0]["action"] == "receive"
    again = unit.post(f"{CASE}/0001/receive", json={})
    assert (again.status_code, again.json()["kind"]) == (422, "ValidationError")
    assert office.post(f"{CASE}/0001/receive", json={"unit": "市财政局"}).status_code == 200
    dossier = office.get(f"{CASE}/0001").json()
    assert [a["received_at"] is not None for a in dossier["assignments"]] == [True, True]


def _review_on(server: Server) -> None:
    """The congress's rule set holds answers for review (答复审核) from now on; 0001 moves to it."""
    from rules import default_ruleset

    base = default_ruleset()
    lifecycle = base.lifecycle.model_copy(update={"answer_review": True})
    engine = server.engine()
    try:
        engine.apply_ruleset(
            base.model_copy(update={"version": base.version + 1, "lifecycle": lifecycle}), open_cases=True
        )
    finally:
        engine.dispose()


def test_an_answer_goes_through_the_office_s_review_through_the_api(server: Server) -> None:
    """The unit's answer is held (the deputy's dossier shows none); /api/pending/reviews is the office's (403
    for others); a unit may not decide (403), another unit's case is not found (404), a return needs a reason
    (422), nothing pending is a conflict (409); approved, the deputy reads the answer."""
    _review_on(server)
    unit, office, deputy = bearer(server, "交通"), bearer(server, "王芳"), bearer(server, "张三")
    office.post(f"{CASE}/0001/opinion", json={"unit": "市财政局", "text": "同意"})
    held = unit.post(f"{CASE}/0001/answer", json={"category": "A", "text": "已解决"})
    assert held.status_code == 200, held.text
    assert (held.json()["state"], held.json()["events"][0]["action"]) == ("co_handled", "submit_answer")
    assert deputy.get(f"{CASE}/0001").json()["answers"] == []
    assert deputy.get(f"{CASE}/0001").json()["reviews"] == []
    for other in (unit, deputy):
        assert other.get("/api/pending/reviews").status_code == 403
    assert [r["number"] for r in office.get("/api/pending/reviews").json()] == ["0001"]
    assert unit.post(f"{CASE}/0001/approve_answer", json={}).status_code == 403
    assert bearer(server, "住建").post(f"{CASE}/0001/approve_answer", json={}).status_code == 404
    assert office.post(f"{CASE}/0001/return_answer", json={}).status_code == 422
    blank = office.post(f"{CASE}/0001/return_answer", json={"reason": " "})
    assert (blank.status_code, blank.json()["kind"]) == (422, "ValidationError")
    returned = office.post(f"{CASE}/0001/return_answer", json={"reason": "请写明措施"})
    assert returned.status_code == 200, returned.text
    nothing = office.post(f"{CASE}/0001/approve_answer", json={})
    assert (nothing.status_code, nothing.json()["kind"]) == (409, "TransitionNotAllowed")
    assert unit.get(f"{CASE}/0001").json()["reviews"][0]["decision_reason"] == "请写明措施"
    assert unit.post(f"{CASE}/0001/answer", json={"category": "A", "text": "已完成"}).status_code == 200
    approved = office.post(f"{CASE}/0001/approve_answer", json={})
    assert (approved.status_code, approved.json()["state"]) == (200, "answered")
    assert [a["text"] for a in deputy.get(f"{CASE}/0001").json()["answers"]] == ["已完成"]
