"""The portal in a real browser (Debian's chromium driven by Playwright): a unit signs in, opens its inbox and
answers with a 答复函 upload; the deputy signs in, reads the answer, downloads the letter and gives feedback. A
deputy submits a suggestion online and follows it until it is a case; a unit asks for an extension and reads
the office's refusal.

Screenshots of each page, at 1280 px and at a phone's 375 px, are saved in the test's temporary folder and, when
``JIANYI_SCREENSHOTS`` names a folder, there too. Skipped, with the reason, where chromium or Playwright is
absent.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.web.conftest import PASSWORD, Server
from workflow.testing import sample_file

CHROMIUM = Path("/usr/bin/chromium")

sync_api = pytest.importorskip("playwright.sync_api", reason="Playwright is not installed")
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not CHROMIUM.exists(), reason=f"no chromium at {CHROMIUM} (apt-get install chromium)"),
]

WIDE = {"width": 1280, "height": 900}
PHONE = {"width": 375, "height": 740}


@pytest.fixture
def browser() -> Iterator[sync_api.Browser]:
    """A headless chromium, closed when the test ends."""
    with sync_api.sync_playwright() as driver:
        launched = driver.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"])
        try:
            yield launched
        finally:
            launched.close()


class Shots:
    """Saves full-page screenshots under a name, in the test's folder and in $JIANYI_SCREENSHOTS."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.extra = Path(os.environ["JIANYI_SCREENSHOTS"]) if os.environ.get("JIANYI_SCREENSHOTS") else None
        folder.mkdir(parents=True, exist_ok=True)
        if self.extra is not None:
            self.extra.mkdir(parents=True, exist_ok=True)
        self.saved: list[Path] = []

    def take(self, page: sync_api.Page, name: str) -> None:
        path = self.folder / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        self.saved.append(path)
        if self.extra is not None:
            shutil.copy(path, self.extra / path.name)


@pytest.fixture
def shots(tmp_path: Path) -> Shots:
    return Shots(tmp_path / "screenshots")


def sign_in(page: sync_api.Page, server: Server, name: str) -> None:
    page.goto(server.base + "/")
    assert page.url.endswith("/login")
    page.fill("input[name=name]", name)
    page.fill("input[name=password]", PASSWORD)
    page.click("button:has-text('登录')")


@pytest.mark.parametrize("backend", ["sqlite-file"], indirect=True)
def test_a_unit_answers_with_a_letter_and_the_deputy_reads_it_and_gives_feedback(
    server: Server, browser: sync_api.Browser, shots: Shots, tmp_path: Path
) -> None:
    """The main path of both roles, as a person clicks through it, without JavaScript of the portal's own."""
    with server.engine() as engine:
        engine.acting(engine.viewer.unit("市财政局")).opinion("0001", text="同意增开，经费另行安排。")
    letter = tmp_path / "答复函.pdf"
    letter.write_bytes(sample_file("pdf", "关于第0001号建议的答复"))

    unit = browser.new_context(viewport=WIDE, locale="zh-CN")
    page = unit.new_page()
    page.goto(server.base + "/login")
    shots.take(page, "01-login")
    sign_in(page, server, "交通")
    assert page.url.endswith("/unit")
    assert page.locator("h1").inner_text() == "待办"
    assert "还剩" in page.locator("table.inbox").inner_text()
    shots.take(page, "02-unit-inbox")
    page.set_viewport_size(PHONE)
    shots.take(page, "03-unit-inbox-phone")
    page.set_viewport_size(WIDE)

    page.click("text=第0001号 关于优化公交线路的建议")
    assert "增加夜班公交" in page.inner_text("main")
    shots.take(page, "04-unit-case")
    form = page.locator("#answer form")
    form.locator("input[name=category][value=A]").check()
    form.locator("textarea[name=text]").fill("已于本月起增开夜班公交线路两条。")
    form.locator("input[type=file]").set_input_files(str(letter))
    form.locator("button[type=submit]").click()
    assert page.locator(".done").inner_text() == "已答复代表。"
    assert "已于本月起增开夜班公交线路两条。" in page.inner_text("main")
    shots.take(page, "05-unit-answered")
    page.set_viewport_size(PHONE)
    shots.take(page, "06-unit-case-phone")
    unit.close()

    deputy = browser.new_context(viewport=WIDE, locale="zh-CN", accept_downloads=True)
    page = deputy.new_page()
    sign_in(page, server, "张三")
    assert page.url.endswith("/deputy")
    assert "已答复" in page.locator("table.inbox").inner_text()
    shots.take(page, "07-deputy-home")
    page.click("text=第0001号 关于优化公交线路的建议")
    assert "已于本月起增开夜班公交线路两条。" in page.inner_text("main")
    with page.expect_download() as download:
        page.click("a:has-text('答复函.pdf')")
    saved = tmp_path / "downloaded.pdf"
    download.value.save_as(saved)
    assert download.value.suggested_filename == "答复函.pdf"
    assert saved.read_bytes() == letter.read_bytes()

    page.check("input[name=rating][value=unsatisfied]")
    page.select_option("select[name=attitude]", "basic")
    page.click("#feedback button[type=submit]")
    assert page.locator(".refusal").count() == 1
    assert page.locator("input[name=rating][value=unsatisfied]").is_checked()
    assert page.locator("select[name=attitude]").input_value() == "basic"
    shots.take(page, "08-deputy-feedback-refused")
    page.check("input[name=rating][value=satisfied]")
    page.fill("textarea[name=comment]", "线路调整及时，感谢。")
    page.click("#feedback button[type=submit]")
    assert "已提交您的意见" in page.inner_text("main")
    assert "已办结" in page.inner_text("main")
    shots.take(page, "09-deputy-closed")
    page.set_viewport_size(PHONE)
    shots.take(page, "10-deputy-case-phone")
    deputy.close()
    assert len(shots.saved) == 10


@pytest.mark.parametrize("backend", ["sqlite-file"], indirect=True)
def test_the_office_sees_its_dashboard_assigns_a_case_decides_a_hand_back_and_an_extension(
    server: Server, browser: sync_api.Browser, shots: Shots
) -> None:
    """The office's main path: 概况, a case assigned from its page, a hand-back request refused and an extension
    approved from the queue."""
    with server.engine() as engine:
        engine.submit(
            "0003", title="关于增设社区食堂的建议", deputy="张三", content="老年人就餐难", field="民政"
        )
        engine.acting(engine.viewer.unit("市住房和城乡建设局")).request_return(
            "0002", reason="应由规划部门办理"
        )
        engine.acting(engine.viewer.unit("市交通运输局")).request_extension(
            "0001", reason="涉及多个部门，需要协调"
        )
    office = browser.new_context(viewport=WIDE, locale="zh-CN")
    page = office.new_page()
    sign_in(page, server, "王芳")
    assert page.url.endswith("/office")
    assert page.locator("h1").inner_text().startswith("概况")
    shots.take(page, "11-office-dashboard")
    page.set_viewport_size(PHONE)
    shots.take(page, "12-office-dashboard-phone")
    page.set_viewport_size(WIDE)

    page.click("a:has-text('件建议')")
    assert "共 3 件" in page.inner_text("main")
    shots.take(page, "13-office-cases")
    page.click("text=第0003号 关于增设社区食堂的建议")
    form = page.locator("#assign form")
    form.locator("input[name=main]").fill("市民政局")
    form.locator("button[type=submit]").click()
    assert page.locator(".refusal").count() == 1
    assert page.locator("#assign input[name=main]").input_value() == "市民政局"
    page.locator("#assign input[name=main]").fill("市住房和城乡建设局")
    page.locator("#assign input[name=co]").fill("市财政局")
    page.locator("#assign button[type=submit]").click()
    assert page.locator(".done").inner_text() == "已交办。"
    shots.take(page, "14-office-assigned")
    page.set_viewport_size(PHONE)
    shots.take(page, "15-office-case-phone")
    page.set_viewport_size(WIDE)

    page.click("nav.tabs a:has-text('待决定')")
    assert "应由规划部门办理" in page.inner_text("#returns")
    shots.take(page, "16-office-decisions")
    page.set_viewport_size(PHONE)
    shots.take(page, "16-office-decisions-phone")
    page.set_viewport_size(WIDE)
    page.click("#returns a:has-text('不同意')")
    page.fill("#refuse_return textarea[name=reason]", "规划事项由本单位牵头办理")
    page.click("#refuse_return button[type=submit]")
    assert page.locator(".done").inner_text() == "已不同意退办。"
    page.click("nav.tabs a:has-text('待决定')")
    assert "涉及多个部门，需要协调" in page.inner_text("#extensions")
    page.click("#extensions a:has-text('同意延期')")
    page.click("#approve_extension button[type=submit]")
    assert page.locator(".done").inner_text() == "已同意延期。"
    shots.take(page, "17-office-extended")
    page.click("nav.tabs a:has-text('报表')")
    assert "范围" in page.inner_text("main")
    shots.take(page, "18-office-report")
    page.click("nav.tabs a:has-text('账号')")
    shots.take(page, "19-office-users")
    page.click("nav.tabs a:has-text('核查与通知')")
    assert "未发现问题" in page.inner_text("#audit")
    shots.take(page, "20-office-system")
    page.set_viewport_size(PHONE)
    shots.take(page, "21-office-system-phone")
    office.close()
    with server.engine() as engine:
        assert engine.get("0003").main_unit == "市住房和城乡建设局"
        assert [r.status for r in engine.dossier("0002").returns] == ["refused"]
        assert engine.get("0001").extended
    assert len(shots.saved) == 12


def test_a_deputy_submits_online_and_a_unit_requests_an_extension(
    server: Server, browser: sync_api.Browser, shots: Shots, tmp_path: Path
) -> None:
    """提交建议 with a file → 待受理 → accepted: the number links to the case; 申请延期 → 待审批 → 未同意."""
    report = tmp_path / "调研报告.pdf"
    report.write_bytes(sample_file("pdf", "社区食堂调研报告"))

    deputy = browser.new_context(viewport=WIDE, locale="zh-CN")
    page = deputy.new_page()
    sign_in(page, server, "张三")
    assert page.locator("#submissions + p").inner_text().startswith("您还没有在网上提交建议。")
    page.click("a.button:has-text('提交建议')")
    assert page.locator("h1").inner_text() == "提交建议"
    page.fill("input[name=title]", "关于增设社区食堂的建议")
    page.fill("textarea[name=content]", "老城区老年人就餐难，建议每个街道至少设一处社区食堂。")
    page.fill("input[name=co_signers]", "李四")
    page.fill("input[name=field]", "民政")
    page.check("input[name=between_sessions]")
    page.set_input_files("input[type=file]", str(report))
    shots.take(page, "22-deputy-propose")
    page.set_viewport_size(PHONE)
    shots.take(page, "23-deputy-propose-phone")
    page.set_viewport_size(WIDE)
    page.click("#propose button[type=submit]")
    assert page.locator(".done").inner_text() == "已提交，等待代表工作机构受理。"
    assert page.locator(".tags .state").inner_text() == "待受理"
    assert "调研报告.pdf" in page.inner_text("main")
    shots.take(page, "24-deputy-submission")
    page.click("text=← 我的网上建议")
    assert "待受理" in page.locator("#submissions + table").inner_text()

    with server.engine() as engine:
        [made] = engine.submissions()
        engine.accept_submission(made.id)
    page.reload()
    listed = page.locator("#submissions + table").inner_text()
    assert "已受理" in listed
    assert "第0003号" in listed
    shots.take(page, "25-deputy-home-submissions")
    page.set_viewport_size(PHONE)
    shots.take(page, "26-deputy-home-phone")
    page.set_viewport_size(WIDE)
    page.click("#submissions + table a:has-text('第0003号')")
    assert "老城区老年人就餐难" in page.inner_text("main")
    assert page.locator("#withdraw").count() == 1
    shots.take(page, "27-deputy-case-withdraw")
    deputy.close()

    unit = browser.new_context(viewport=WIDE, locale="zh-CN")
    page = unit.new_page()
    sign_in(page, server, "交通")
    page.click("text=第0001号 关于优化公交线路的建议")
    form = page.locator("#request_extension form")
    form.locator("textarea[name=reason]").fill("涉及线路招标，需延期办理。")
    form.locator("button[type=submit]").click()
    assert page.locator(".done").inner_text() == "已申请延期。"
    assert "待审批" in page.locator("#extension-requests").inner_text()
    assert page.locator("#request_extension").count() == 0
    shots.take(page, "28-unit-extension-pending")
    with server.engine() as engine:
        engine.refuse_extension("0001", reason="时间尚充裕，请按期答复。")
    page.goto(page.url.split("?")[0])
    shown = page.locator("#extension-requests").inner_text()
    assert "未同意" in shown
    assert "不同意的理由：时间尚充裕，请按期答复。" in shown
    shots.take(page, "29-unit-extension-refused")
    page.set_viewport_size(PHONE)
    shots.take(page, "30-unit-extension-phone")
    unit.close()
    assert len(shots.saved) == 9


@pytest.mark.parametrize("backend", ["sqlite-file"], indirect=True)
def test_a_unit_signs_and_answers_and_the_office_reviews_the_answer_before_the_deputy_reads_it(
    server: Server, browser: sync_api.Browser, shots: Shots
) -> None:
    """答复审核: 签收 from the inbox → answer → held (答复待审核) → returned from the queue with the reason → the
    unit reads 答复已退回 and answers again → approved from the queue → the deputy reads the answer."""
    from rules import default_ruleset

    base = default_ruleset()
    lifecycle = base.lifecycle.model_copy(update={"answer_review": True})
    with server.engine() as engine:
        engine.apply_ruleset(
            base.model_copy(update={"version": base.version + 1, "lifecycle": lifecycle}), open_cases=True
        )
        engine.acting(engine.viewer.unit("市财政局")).opinion("0001", text="同意增开，经费另行安排。")

    unit = browser.new_context(viewport=WIDE, locale="zh-CN")
    page = unit.new_page()
    sign_in(page, server, "交通")
    row = page.locator("table.inbox tr", has_text="第0001号")
    assert row.locator("button:has-text('签收')").count() == 1
    shots.take(page, "r1-unit-inbox-receive")
    row.locator("button:has-text('签收')").click()
    assert page.url.endswith("/unit?done=receive")
    assert page.locator(".done").inner_text() == "已签收。"
    assert page.locator("table.inbox button:has-text('签收')").count() == 0  # signed: the button is gone
    page.click("text=第0001号 关于优化公交线路的建议")
    assert page.locator("#receive").count() == 0
    form = page.locator("#answer form")
    form.locator("input[name=category][value=A]").check()
    form.locator("textarea[name=text]").fill("拟于下月增开夜班公交线路。")
    form.locator("button[type=submit]").click()
    assert page.locator(".done").inner_text() == "答复已提交，待代表工作机构审核。"
    assert page.locator("#review h2").inner_text() == "答复待审核"
    assert page.locator("#answer").count() == 0
    shots.take(page, "r2-unit-answer-waiting")

    office = browser.new_context(viewport=WIDE, locale="zh-CN")
    desk = office.new_page()
    sign_in(desk, server, "王芳")
    assert "答复审核 1" in desk.inner_text("main")
    desk.click("a:has-text('答复审核 1')")
    assert "拟于下月" not in desk.inner_text("#reviews")  # the queue links to the text, on the case page
    assert "市交通运输局 · A类" in desk.inner_text("#reviews")
    shots.take(desk, "r3-office-decisions-review")
    desk.fill("#reviews input[name=reason]", "请写明增开的线路和时间")
    desk.click("#reviews button:has-text('退回')")
    assert desk.locator(".done").inner_text() == "答复已退回承办单位。"
    assert "没有待审核的答复。" in desk.inner_text("#reviews")

    page.goto(page.url.split("?")[0])  # the case page afresh, without the flash of the answer sent
    assert page.locator("#review h2").inner_text() == "答复已退回：请写明增开的线路和时间"
    shots.take(page, "r4-unit-answer-returned")
    form = page.locator("#answer form")
    form.locator("input[name=category][value=A]").check()
    form.locator("textarea[name=text]").fill("已于本月起增开 N1、N2 两条夜班公交线路。")
    form.locator("button[type=submit]").click()
    assert page.locator(".done").inner_text() == "答复已提交，待代表工作机构审核。"
    unit.close()

    desk.goto(server.base + "/office/decisions")
    desk.click("#reviews a:has-text('第0001号')")
    assert "已于本月起增开 N1、N2 两条夜班公交线路。" in desk.inner_text("#held")
    shots.take(desk, "r5-office-case-held-answer")
    desk.click("nav.tabs a:has-text('待决定')")
    desk.click("#reviews button:has-text('通过')")
    assert desk.locator(".done").inner_text() == "答复已审核通过，已送达代表。"
    office.close()

    deputy = browser.new_context(viewport=WIDE, locale="zh-CN")
    reader = deputy.new_page()
    sign_in(reader, server, "张三")
    assert "已答复" in reader.locator("table.inbox").inner_text()
    reader.click("text=第0001号 关于优化公交线路的建议")
    text = reader.inner_text("main")
    assert "已于本月起增开 N1、N2 两条夜班公交线路。" in text
    assert "拟于下月" not in text
    assert "请写明增开的线路和时间" not in text
    shots.take(reader, "r6-deputy-reads-approved-answer")
    deputy.close()
    assert len(shots.saved) == 6


@pytest.mark.usefixtures("chinese")
@pytest.mark.parametrize("backend", ["sqlite-file"], indirect=True)
def test_a_unit_pages_through_its_inbox_signs_from_a_row_and_reads_a_refusal_in_chinese(
    server: Server, browser: sync_api.Browser, shots: Shots, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two obligations a page of one: 下一页 reaches the second, 签收 sits in its own cell of the row; a B answer
    without promises is refused in one Chinese line above the form."""
    from web.pages import unit as unit_pages

    with server.engine() as engine:
        engine.submit("0003", title="关于道路修缮的建议", deputy="张三")
        engine.assign("0003", main="市交通运输局")
    monkeypatch.setattr(unit_pages, "INBOX_LIMIT", 1)
    page = browser.new_context(viewport=WIDE, locale="zh-CN").new_page()
    sign_in(page, server, "交通")
    assert "第 1 / 2 页" in page.inner_text("main")
    assert page.locator("table.inbox td.sign button:has-text('签收')").count() == 1
    shots.take(page, "p1-unit-inbox-page-1")
    page.click("a:has-text('下一页')")
    assert page.url.endswith("/unit?page=2")
    assert "第 2 / 2 页" in page.inner_text("main")
    shots.take(page, "p2-unit-inbox-page-2")
    page.locator("table.inbox td.sign button:has-text('签收')").click()
    assert page.locator(".done").inner_text() == "已签收。"
    page.locator("table.inbox a").first.click()
    form = page.locator("#answer form")
    form.locator("input[name=category][value=B]").check()
    form.locator("textarea[name=text]").fill("正在研究方案")
    form.locator("button[type=submit]").click()
    refusal = page.locator(".refusal").inner_text()
    assert "B 类答复须写明办什么、何时办完" in refusal
    shots.take(page, "p3-unit-refusal-chinese")
