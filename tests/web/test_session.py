"""Signing in and out of the web API: sessions, their cookie and bearer token, the sign-in limit, CSRF, and
the headers and documents every client relies on."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest

from tests.web.conftest import PASSWORD, Server, serving
from web.app import WebSettings, create_app

pytestmark = pytest.mark.parametrize(
    "backend", ["sqlite-file", pytest.param("postgresql", marks=pytest.mark.postgres)], indirect=True
)

REFUSED = {"error": "name or password not accepted", "kind": "NotAuthenticated"}


def test_sign_in_answers_the_actor_and_sets_an_httponly_lax_cookie(server: Server) -> None:
    """A good sign-in gives the actor, a bearer token, a CSRF token and the expiry, and sets the cookie."""
    client = server.client()
    response = client.post("/api/session", json={"name": "交通", "password": PASSWORD})
    body = response.json()
    assert response.status_code == 200
    assert (body["name"], body["actor"]) == ("交通", "unit:市交通运输局")
    assert len(body["token"]) >= 40
    assert len(body["csrf_token"]) == 64
    cookie = response.headers["set-cookie"]
    assert cookie.startswith(f"jianyi_session={body['token']};")
    assert "HttpOnly" in cookie
    assert "SameSite=lax" in cookie
    assert "Secure" not in cookie
    assert response.headers["content-type"] == "application/json"


def test_wrong_password_unknown_name_and_disabled_account_are_refused_alike(server: Server) -> None:
    """401 with the same words, whatever the reason."""
    client = server.client()
    answers = [
        client.post("/api/session", json={"name": "交通", "password": "wrong password"}),
        client.post("/api/session", json={"name": "无此人", "password": PASSWORD}),
        client.post("/api/session", json={"name": "停用", "password": PASSWORD}),
    ]
    assert [(a.status_code, a.json()) for a in answers] == [(401, REFUSED)] * 3
    assert all("set-cookie" not in a.headers for a in answers)


@pytest.mark.parametrize("name", ["财政", "无此人"])
def test_after_five_failures_the_password_is_not_checked(server: Server, name: str) -> None:
    """The sixth attempt within 15 minutes is 429 with when to retry, even with the right password; the
    failures are counted in the database, so another client (another worker) sees them too."""
    client = server.client()
    for _ in range(5):
        assert (
            client.post("/api/session", json={"name": name, "password": "wrong password"}).status_code == 401
        )
    other = server.client()
    response = other.post("/api/session", json={"name": name, "password": PASSWORD})
    assert response.status_code == 429
    assert response.json()["kind"] == "TooManyAttempts"
    assert response.json()["error"].startswith(f"5 failed sign-ins for {name!r}: try again after ")
    assert 880 <= int(response.headers["retry-after"]) <= 900
    with server.client() as client:  # another name is not held back
        assert client.post("/api/session", json={"name": "交通", "password": PASSWORD}).status_code == 200


def test_a_new_sign_in_rotates_the_session_and_sign_out_ends_it(server: Server) -> None:
    """A second sign-in gives a new token and ends the first; after sign-out the token signs nobody in."""
    client, first = server.login("张三")
    second = client.post("/api/session", json={"name": "张三", "password": PASSWORD}).json()
    assert second["token"] != first["token"]
    assert client.cookies["jianyi_session"] == second["token"]
    old = server.client()
    old.cookies.set("jianyi_session", first["token"])
    assert old.get("/api/cases").status_code == 401
    assert client.get("/api/session").json()["actor"] == "deputy:张三"
    out = client.delete("/api/session", headers={"X-CSRF-Token": second["csrf_token"]})
    assert out.status_code == 204
    again = server.client()
    again.cookies.set("jianyi_session", second["token"])
    answer = again.get("/api/cases")
    bearer = again.get("/api/cases", headers={"Authorization": f"Bearer {second['token']}"})
    assert answer.status_code == 401
    assert bearer.status_code == 401
    assert answer.json() == {
        "error": "not signed in, or the session has ended: sign in with POST /api/session",
        "kind": "NotSignedIn",
    }
    assert answer.headers["www-authenticate"] == "Bearer"


def test_the_cookie_is_secure_when_the_settings_say_so(db_url: str) -> None:
    """Behind a TLS-terminating proxy the request is plain HTTP: secure_cookies marks the cookie Secure."""
    with serving(create_app(db_url, settings=WebSettings(secure_cookies=True)), db_url) as server:
        response = server.client().post("/api/session", json={"name": "交通", "password": PASSWORD})
    assert response.status_code == 200
    assert "; Secure" in response.headers["set-cookie"]


def test_an_idle_session_ends(db_url: str) -> None:
    """A session unused for longer than the idle time no longer signs anyone in (its row is gone)."""
    app = create_app(db_url, settings=WebSettings(idle=timedelta(seconds=1)))
    with serving(app, db_url) as server:
        client, _ = server.login("交通")
        assert client.get("/api/session").status_code == 200
        time.sleep(1.5)
        response = client.get("/api/session")
    assert response.status_code == 401
    assert response.json()["kind"] == "NotSignedIn"


def test_a_cookie_write_without_the_csrf_token_is_refused_and_writes_nothing(server: Server) -> None:
    """403 without X-CSRF-Token, or with another one; the case keeps its version."""
    client, signed = server.login("财政")
    with server.engine() as engine:
        before = engine.get("0001").version
        path = f"/api/cases/{SESSION}/0001/opinion"
        missing = client.post(path, json={"text": "同意"})
        wrong = client.post(path, json={"text": "同意"}, headers={"X-CSRF-Token": "0" * 64})
        logout = client.delete("/api/session")
        assert [missing.status_code, wrong.status_code, logout.status_code] == [403, 403, 403]
        assert missing.json()["kind"] == "CsrfRefused"
        assert engine.get("0001").version == before
        assert engine.get("0001").state == "assigned"
        done = client.post(path, json={"text": "同意"}, headers={"X-CSRF-Token": signed["csrf_token"]})
        assert done.status_code == 200


def test_a_bearer_token_needs_no_csrf_token(server: Server) -> None:
    """A host application acts with Authorization: Bearer and no cookie."""
    _, signed = server.login("财政")
    client = server.client()
    response = client.post(
        f"/api/cases/{SESSION}/0001/opinion",
        json={"text": "同意"},
        headers={"Authorization": f"Bearer {signed['token']}"},
    )
    assert response.status_code == 200
    assert response.json()["events"][0]["actor"] == "unit:市财政局"


def test_every_response_carries_the_security_headers(server: Server) -> None:
    """Sign-in page, redirect, API answer, error and missing route (a page outside /api, JSON under it)
    alike."""
    _, signed = server.login("王芳")
    client = server.client()
    answers = [
        client.get("/login"),
        client.get("/"),
        client.get("/api/cases", headers={"Authorization": f"Bearer {signed['token']}"}),
        client.get("/api/cases"),
        client.get("/nowhere"),
        client.get("/api/nowhere"),
    ]
    assert [a.status_code for a in answers] == [200, 303, 200, 401, 404, 404]
    for answer in answers:
        assert answer.headers["content-security-policy"] == "default-src 'self'; frame-ancestors 'none'"
        assert answer.headers["x-content-type-options"] == "nosniff"
        assert answer.headers["referrer-policy"] == "same-origin"
        assert answer.headers["x-frame-options"] == "DENY"
    assert "建议办理平台" in answers[0].text
    assert answers[1].headers["location"] == "/login"
    assert "<h1>未找到</h1>" in answers[4].text
    assert answers[5].json() == {"error": "no such endpoint", "kind": "NotFound"}


def test_the_openapi_document_lists_the_endpoints(server: Server) -> None:
    """/api/openapi.json names the session, the case reads and one route per action with its body."""
    client = server.client()
    document = client.get("/api/openapi.json").json()
    paths = document["paths"]
    assert set(paths["/api/session"]) == {"get", "post", "delete"}
    assert "get" in paths["/api/cases"]
    assert "get" in paths["/api/cases/{session}/{number}"]
    assert "get" in paths["/api/cases/{session}/{number}/attachments/{name}"]
    actions = sorted(
        p.rsplit("/", 1)[1]
        for p in paths
        if p.startswith("/api/cases/{session}/{number}/") and "attachments" not in p
    )
    assert actions == sorted([
        "amend", "answer", "approve_answer", "approve_extension", "assign", "close", "contact", "convert", "extend", "feedback",
        "opinion", "progress", "reassign", "receive", "refuse_extension", "refuse_return", "rehandle",
        "request_extension", "request_return", "return_answer", "submit", "withdraw",
    ])  # fmt: skip
    assert "get" in paths["/api/pending/extensions"]
    assert "get" in paths["/api/pending/reviews"]
    answer = paths["/api/cases/{session}/{number}/answer"]["post"]
    assert answer["requestBody"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/Answer"
    }


SESSION = "测试会议"
