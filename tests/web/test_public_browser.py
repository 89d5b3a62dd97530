"""The public site in a real browser (Chromium through Playwright): the list shows the published suggestions,
a click opens one with its answer, at a desktop and a phone width; screenshots are kept for a person to look at
(in the test's folder, and in ``$JIANYI_SCREENSHOTS`` when set)."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from rules import Rating
from tests.web.conftest import serving
from web.app import create_app
from workflow.core.views import Actor
from workflow.engine import Engine
from workflow.testing import DEFAULT_SESSION, FrozenClock

playwright = pytest.importorskip("playwright.sync_api", reason="the browser tests need playwright")

CHROMIUM = os.environ.get("JIANYI_CHROMIUM", "/usr/bin/chromium")
MAIN = "市交通运输局"
WIDTHS = {"desktop": (1280, 900), "phone": (375, 812)}


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The site over a database with three answered suggestions (one of them confidential) and one assigned."""
    if not Path(CHROMIUM).exists():
        pytest.skip(f"no Chromium at {CHROMIUM} (set JIANYI_CHROMIUM)")
    path = tmp_path_factory.mktemp("browser") / "public.db"
    with Engine.init(path, clock=FrozenClock()) as engine:
        engine.add_session(DEFAULT_SESSION, current=True)
        engine.add_unit(MAIN)
        engine.add_unit("市财政局")
        engine.add_deputy("张三")
        engine.add_deputy("李四")
        engine.submit(
            "0001",
            title="关于优化城区公交线路、增开夜班公交的建议",
            deputy="张三",
            co_signers=["李四"],
            field="交通",
            content="城区东部新建小区居民出行不便，建议增开夜班公交线路，延长末班车时间。",
        )
        engine.assign("0001", main=MAIN, co=["市财政局"])
        engine.opinion("0001", unit="市财政局", text="同意", actor=Actor.unit("市财政局"))
        engine.answer(
            "0001",
            category="A",
            text="张三代表：您提出的建议收悉。我局已于三月新开通夜班公交线路两条，末班车延长至23:00。",
            actor=Actor.unit(MAIN),
        )
        engine.feedback("0001", rating=Rating.SATISFIED, actor=Actor.deputy("张三"))
        engine.submit("0002", title="关于保密事项的建议", deputy="李四", confidential=True)
        engine.assign("0002", main=MAIN, co=[])
        engine.answer("0002", category="A", text="保密答复", actor=Actor.unit(MAIN))
        engine.submit("0003", title="关于加强校园周边交通安全的建议", deputy="李四", field="教育")
        engine.assign("0003", main=MAIN, co=[])
        engine.answer("0003", category="C", text="因条件限制，待以后解决。", actor=Actor.unit(MAIN))
        engine.submit("0004", title="关于尚在办理中的建议", deputy="李四")
        engine.assign("0004", main=MAIN, co=[])
    with serving(create_app(path), str(path)) as served:
        yield served.base


def _keep(shot: Path) -> None:
    folder = os.environ.get("JIANYI_SCREENSHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        shutil.copy(shot, Path(folder) / shot.name)


@pytest.mark.slow
@pytest.mark.parametrize("width", sorted(WIDTHS))
def test_the_public_list_opens_a_suggestion_with_its_answer(base: str, tmp_path: Path, width: str) -> None:
    """The list shows the published suggestions only; clicking one shows its answer and the deputy's rating; the
    summary figures are a click away."""
    w, h = WIDTHS[width]
    with playwright.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        try:
            page = browser.new_page(viewport={"width": w, "height": h}, locale="zh-CN")
            blocked: list[str] = []
            page.on(
                "console", lambda m: blocked.append(m.text) if "Content Security Policy" in m.text else None
            )
            page.goto(f"{base}/public")
            titles = page.locator("ol.cases a.title").all_inner_texts()
            assert titles == ["关于优化城区公交线路、增开夜班公交的建议", "关于加强校园周边交通安全的建议"]
            assert page.locator("header.site").evaluate("e => getComputedStyle(e).backgroundColor") != (
                "rgba(0, 0, 0, 0)"
            )
            overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
            assert overflow <= 0, "the list scrolls sideways"
            page.screenshot(path=str(tmp_path / f"public-list-{width}.png"), full_page=True)
            page.get_by_role("link", name="关于优化城区公交线路、增开夜班公交的建议").click()
            page.wait_for_url("**/public/*/0001")
            body = page.locator("main").inner_text()
            assert "末班车延长至23:00" in body
            assert "A类" in body
            assert "满意" in body
            assert page.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 0
            page.screenshot(path=str(tmp_path / f"public-case-{width}.png"), full_page=True)
            page.get_by_role("link", name="办理情况").click()
            page.wait_for_url("**/public/report")
            assert "答复" in page.locator("main").inner_text()
            page.screenshot(path=str(tmp_path / f"public-report-{width}.png"), full_page=True)
            assert blocked == []
        finally:
            browser.close()
    for shot in tmp_path.glob("*.png"):
        _keep(shot)
