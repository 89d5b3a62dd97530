"""Answer review (答复审核) and 签收 in the portal's pages: the unit signs from its inbox and its case page, its
answer waits for the office's review (答复待审核), the office approves or returns it from the decisions queue or
the case page, a returned answer is shown with its reason and answered again; every form needs its token."""

from __future__ import annotations

from urllib.parse import quote

import pytest

from rules import default_ruleset
from tests.web.conftest import SESSION, Server, hidden
from workflow import Actor

pytestmark = pytest.mark.parametrize(
    "backend", ["sqlite-file", pytest.param("postgresql", marks=pytest.mark.postgres)], indirect=True
)

S = quote(SESSION, safe="")
UNIT_CASE = f"/unit/cases/{S}"
OFFICE_CASE = f"/office/cases/{S}"
MAIN = "市交通运输局"


def review_on(server: Server) -> None:
    """From now on answers wait for the office's review; 0001 moves to that rule set, its co-unit's opinion in."""
    base = default_ruleset()
    lifecycle = base.lifecycle.model_copy(update={"answer_review": True})
    with server.engine() as engine:
        engine.apply_ruleset(
            base.model_copy(update={"version": base.version + 1, "lifecycle": lifecycle}), open_cases=True
        )
        engine.acting(Actor.unit("市财政局")).opinion("0001", text="同意")


def test_the_unit_signs_from_its_inbox_and_the_button_goes_once_signed(server: Server) -> None:
    unit = server.portal("交通")
    inbox = unit.get("/unit")
    assert f'action="{UNIT_CASE}/0001/receive"' in inbox.text
    token = hidden(inbox.text, "csrf_token")
    assert unit.post(f"{UNIT_CASE}/0001/receive", data={"back": "inbox"}).status_code == 403  # no token
    signed = unit.post(f"{UNIT_CASE}/0001/receive", data={"csrf_token": token, "back": "inbox"})
    assert (signed.status_code, signed.headers["location"]) == (303, "/unit?done=receive")
    after = unit.get(signed.headers["location"]).text
    assert "已签收。" in after
    assert f'action="{UNIT_CASE}/0001/receive"' not in after
    assert 'id="receive"' not in unit.get(f"{UNIT_CASE}/0001").text
    with server.engine() as engine:
        [main] = [a for a in engine.dossier("0001").assignments if a.unit == MAIN]
        assert main.received_at is not None


def test_the_unit_signs_from_its_case_page(server: Server) -> None:
    unit = server.portal("财政")
    page = unit.get(f"{UNIT_CASE}/0001")
    assert 'id="receive"' in page.text
    signed = unit.post(f"{UNIT_CASE}/0001/receive", data={"csrf_token": hidden(page.text, "csrf_token")})
    assert signed.status_code == 303
    assert "已签收。" in unit.get(signed.headers["location"]).text


def test_an_answer_waits_is_returned_answered_again_and_approved(server: Server) -> None:
    review_on(server)
    unit, office, deputy = server.portal("交通"), server.portal("王芳"), server.portal("张三")
    page = unit.get(f"{UNIT_CASE}/0001")
    sent = unit.post(
        f"{UNIT_CASE}/0001/answer",
        data={"csrf_token": hidden(page.text, "csrf_token"), "category": "A", "text": "线路已调整"},
    )
    assert sent.status_code == 303
    held = unit.get(sent.headers["location"]).text
    assert "答复已提交，待代表工作机构审核。" in held
    assert "答复待审核" in held
    assert 'id="answer"' not in held  # no second answer while it waits
    assert "答复待审核" in unit.get("/unit").text
    assert "线路已调整" not in deputy.get(f"/deputy/cases/{S}/0001").text
    dashboard = office.get("/office").text
    assert "答复审核 1" in dashboard
    queue = office.get("/office/decisions").text
    assert "答复审核（1）" in queue
    assert f'action="{OFFICE_CASE}/0001/return_answer"' in queue
    token = hidden(queue, "csrf_token")
    assert office.post(f"{OFFICE_CASE}/0001/return_answer", data={"reason": "x"}).status_code == 403
    empty = office.post(
        f"{OFFICE_CASE}/0001/return_answer", data={"csrf_token": token, "reason": "", "back": "decisions"}
    )
    assert empty.status_code == 422
    returned = office.post(
        f"{OFFICE_CASE}/0001/return_answer",
        data={"csrf_token": token, "reason": "请写明调整的具体线路", "unit": MAIN, "back": "decisions"},
    )
    assert (returned.status_code, returned.headers["location"]) == (
        303,
        "/office/decisions?done=return_answer",
    )
    assert "没有待审核的答复。" in office.get(returned.headers["location"]).text
    again = unit.get(f"{UNIT_CASE}/0001").text
    assert "答复已退回：请写明调整的具体线路" in again
    assert 'id="answer"' in again
    unit.post(
        f"{UNIT_CASE}/0001/answer",
        data={"csrf_token": hidden(again, "csrf_token"), "category": "A", "text": "已调整 12 路线路"},
    )
    case_page = office.get(f"{OFFICE_CASE}/0001").text
    assert 'id="held"' in case_page
    assert "已调整 12 路线路" in case_page
    assert 'id="approve_answer"' in case_page
    approved = office.post(
        f"{OFFICE_CASE}/0001/approve_answer", data={"csrf_token": hidden(case_page, "csrf_token")}
    )
    assert approved.status_code == 303
    assert "已审核通过。" in office.get(approved.headers["location"]).text
    seen = deputy.get(f"/deputy/cases/{S}/0001").text
    assert "已调整 12 路线路" in seen
    assert (
        "请写明调整的具体线路" not in seen
    )  # the returned draft and the reason stay the office's and the unit's


def test_a_unit_cannot_decide_a_review(server: Server) -> None:
    review_on(server)
    with server.engine() as engine:
        engine.acting(Actor.unit(MAIN)).answer("0001", category="A", text="已解决")
    unit = server.portal("交通")
    token = hidden(unit.get("/unit").text, "csrf_token")
    assert unit.post(f"{OFFICE_CASE}/0001/approve_answer", data={"csrf_token": token}).status_code == 404
    assert unit.post(f"{UNIT_CASE}/0001/approve_answer", data={"csrf_token": token}).status_code == 404
    with server.engine() as engine:
        assert len(engine.pending_reviews()) == 1
