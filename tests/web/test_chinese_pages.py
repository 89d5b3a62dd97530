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
