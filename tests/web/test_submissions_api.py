"""Online submissions through the web API: a deputy proposes and sees only their own, the office accepts or
declines, units see none; writes by cookie need the CSRF token."""

from __future__ import annotations

import base64

import httpx
import pytest

from tests.web.conftest import SESSION, Server
from workflow.testing import notices, sample_file

pytestmark = pytest.mark.parametrize(
    "backend", ["sqlite-file", pytest.param("postgresql", marks=pytest.mark.postgres)], indirect=True
)

API = "/api/submissions"
PROPOSAL = {
    "title": "关于增设社区养老服务站的建议",
    "content": "建议每个街道设一处。",
    "co_signers": ["李四"],
}


def bearer(server: Server, name: str) -> httpx.Client:
    """A client acting for ``name`` with its bearer token (no cookie, no CSRF token)."""
    _, signed = server.login(name)
    client = server.client()
    client.headers["Authorization"] = f"Bearer {signed['token']}"
    return client


def test_a_deputy_proposes_and_the_office_accepts_with_the_next_number(server: Server) -> None:
    """201 with the pending submission; the office's accept answers the case and the submission's new status."""
    deputy, office = bearer(server, "张三"), bearer(server, "王芳")
    made = deputy.post(API, json=PROPOSAL)
    assert made.status_code == 201, made.text
    sub = made.json()
    assert (sub["status"], sub["status_label"], sub["deputy"], sub["co_signers"]) == (
        "pending",
        "待受理",
        "张三",
        ["李四"],
    )
    queue = office.get(API, params={"status": "pending"}).json()["submissions"]
    assert [s["id"] for s in queue] == [sub["id"]]
    accepted = office.post(f"{API}/{sub['id']}/accept", json={})
    assert accepted.status_code == 200, accepted.text
    body = accepted.json()
    assert (body["change"]["number"], body["change"]["state"]) == ("0003", "submitted")
    assert (body["submission"]["status"], body["submission"]["number"]) == ("accepted", "0003")
    assert deputy.get(f"{API}/{sub['id']}").json()["status_label"] == f"已受理（{SESSION}第0003号）"
    dossier = deputy.get(f"/api/cases/{SESSION}/0003").json()
    assert dossier["origin"]["submission"] == sub["id"]
    with server.engine() as engine:
        told = [n for n in notices(engine) if n.topic == "submission_accepted"]
        assert [n.payload["number"] for n in told] == ["0003"]


def test_the_office_declines_with_a_reason(server: Server) -> None:
    """不予受理 with its reason; without one, 422 and nothing changes."""
    deputy, office = bearer(server, "张三"), bearer(server, "王芳")
    sid = deputy.post(API, json=PROPOSAL).json()["id"]
    blank = office.post(f"{API}/{sid}/decline", json={"reason": " "})
    assert blank.status_code == 422
    declined = office.post(f"{API}/{sid}/decline", json={"reason": "转为来信处理"})
    assert declined.json()["status_label"] == "不予受理（转为来信处理）"
    again = office.post(f"{API}/{sid}/accept", json={"number": "0100"})
    assert again.status_code == 409
    assert again.json()["kind"] == "SubmissionClosed"


def test_another_deputy_gets_404_and_a_unit_none(server: Server) -> None:
    """Another deputy: 404 to read or withdraw, an empty list; a unit: 403 to list, 404 to read, 403 to
    propose."""
    sid = bearer(server, "张三").post(API, json=PROPOSAL).json()["id"]
    other, unit = bearer(server, "李四"), bearer(server, "交通")
    assert other.get(f"{API}/{sid}").status_code == 404
    assert other.post(f"{API}/{sid}/withdraw", json={}).status_code == 404
    assert other.get(API).json() == {"submissions": []}
    assert unit.get(API).status_code == 403
    assert unit.get(f"{API}/{sid}").status_code == 404
    assert unit.post(f"{API}/{sid}/withdraw", json={}).status_code == 404
    assert unit.post(API, json=PROPOSAL).status_code == 403
    assert bearer(server, "张三").get(f"{API}/{sid}").json()["status"] == "pending"


def test_a_deputy_may_not_accept_nor_propose_for_another(server: Server) -> None:
    """Accepting is the office's (403); a deputy naming another lead deputy is refused (403)."""
    deputy = bearer(server, "张三")
    sid = deputy.post(API, json=PROPOSAL).json()["id"]
    assert deputy.post(f"{API}/{sid}/accept", json={}).status_code == 403
    assert deputy.post(API, json={**PROPOSAL, "deputy": "李四"}).status_code == 403


def test_the_deputy_withdraws_while_pending(server: Server) -> None:
    """Withdrawn while pending; the office can no longer accept it."""
    deputy = bearer(server, "张三")
    sid = deputy.post(API, json=PROPOSAL).json()["id"]
    assert deputy.post(f"{API}/{sid}/withdraw", json={"reason": "另行提出"}).json()["status"] == "withdrawn"
    assert bearer(server, "王芳").post(f"{API}/{sid}/accept", json={}).status_code == 409


def test_a_cookie_write_needs_the_csrf_token(server: Server) -> None:
    """By cookie, a proposal without X-CSRF-Token is refused (403) and one with it accepted."""
    client, signed = server.login("张三")
    assert client.post(API, json=PROPOSAL).status_code == 403
    ok = client.post(API, json=PROPOSAL, headers={"X-CSRF-Token": signed["csrf_token"]})
    assert ok.status_code == 201
    assert len(client.get(API).json()["submissions"]) == 1


def test_a_file_comes_with_the_proposal(server: Server) -> None:
    """A base64 file is kept with the submission, downloads as proposed, and is the case's once accepted."""
    pdf = sample_file("pdf", "建议原文")
    files = [{"name": "原文.pdf", "content_base64": base64.b64encode(pdf).decode()}]
    deputy = bearer(server, "张三")
    sid = deputy.post(API, json={**PROPOSAL, "attachments": files}).json()["id"]
    got = deputy.get(f"{API}/{sid}/attachments/原文.pdf")
    assert (got.status_code, got.content, got.headers["content-type"]) == (200, pdf, "application/pdf")
    number = bearer(server, "王芳").post(f"{API}/{sid}/accept", json={}).json()["change"]["number"]
    assert deputy.get(f"/api/cases/{SESSION}/{number}/attachments/原文.pdf").content == pdf
