"""The auditor's pages and the training clock, in a real browser, in both languages:
/audit/verify on a clean and a tampered database (progress, each break named), a case
page's chain state, the auditor's landing on the dashboard and their Start page; and on a
training instance /admin/clock moving the clock (to a date, to the next timer) with the
simulated date on every page."""
import re
from datetime import timedelta

import pytest

from engine import Engine
from engine.clock import ManualClock
from engine.config import Settings
from engine.storage.schema import upgrade
from tests.browser.conftest import LiveServer, serving
from tests.conftest import DATA, START, bpmn, demo_data, tamper

pytestmark = pytest.mark.browser


def _english(page):
    page.click("form.locale button[value=en]")
    page.wait_for_load_state()


def _verify_all(page):
    page.click("#verify-all-button")
    page.wait_for_selector("#verify-run[data-done=true]")


def test_verify_a_clean_then_a_tampered_database(live_server, browser_page, artifacts):
    engine, page = live_server.engine, browser_page
    ids = [engine.start_case("activity_plan", "zj_staff", {"province": "浙江"}).case_id for _ in range(3)]
    live_server.sign_in(page, "auditor")
    assert page.url.endswith("/cases/dashboard")  # not an empty inbox
    page.screenshot(path=artifacts / "auditor-landing-zh.png", full_page=True)
    page.click("nav.mainnav a:text-is('审计')")
    assert page.locator("h1").inner_text() == "核验审计记录"
    _verify_all(page)
    assert page.locator("#verdict-ok").inner_text() == "✓ 所有审计链完好无损。"
    assert page.locator("#verify-status").inner_text() == "已核验 3 / 3 个案卷。"
    assert page.locator("#verify-progress").evaluate("p => p.value === p.max")
    page.screenshot(path=artifacts / "audit-verify-clean-zh.png", full_page=True)

    tamper(engine, f"UPDATE audit_events SET actor = 'js_staff' WHERE case_id = {ids[1]} AND seq = 1",
           f"DELETE FROM audit_events WHERE case_id = {ids[2]} AND seq = 1")
    _verify_all(page)
    assert page.locator("#verdict-ok").is_hidden()
    # the removed event is seen twice: by its chain, and by the seal that named it
    assert "发现 3 处断裂" in page.locator("#verdict-broken").inner_text()
    rows = page.locator("#breaks tbody tr")
    assert rows.count() == 3
    assert rows.nth(0).locator("td").all_inner_texts()[0] == f"案卷 {ids[1]}"
    assert "被篡改" in rows.nth(0).inner_text() and "案卷启动" in rows.nth(0).inner_text()
    removed = rows.nth(1).inner_text() + rows.nth(2).inner_text()
    assert "末尾被删除" in removed and "缺失" in removed
    page.screenshot(path=artifacts / "audit-verify-tampered-zh.png", full_page=True)

    rows.nth(0).locator("a").click()  # to the case: its own chain state
    assert "审计链断裂" in page.locator("#chain-state").inner_text()
    page.screenshot(path=artifacts / "case-chain-broken-zh.png")
    page.goto(f"{live_server.url}/cases/{ids[0]}")
    assert "审计链完好" in page.locator("#chain-state").inner_text()

    _english(page)
    page.goto(f"{live_server.url}/audit/verify?case={ids[1]}")  # one case, without the script
    assert "1 break(s) found" in page.locator("#verdict-broken").inner_text()
    assert "Altered" in page.locator("#breaks tbody").inner_text()
    page.goto(f"{live_server.url}/audit/verify")
    _verify_all(page)
    assert "3 break(s) found" in page.locator("#verdict-broken").inner_text()
    assert "Removed at the end" in page.locator("#breaks tbody").inner_text()
    assert "Missing: " in page.locator("#breaks tbody").inner_text()
    assert re.fullmatch(r"People and roles history: \d+ event\(s\) verified\.",
                        page.locator("#verify-trail").inner_text())
    page.screenshot(path=artifacts / "audit-verify-tampered-en.png", full_page=True)
    page.goto(f"{live_server.url}/start")
    assert page.locator("h2").first.inner_text() == "Auditors do not start cases"
    page.screenshot(path=artifacts / "auditor-start-en.png")


def test_verify_shows_progress_batch_by_batch(live_server, browser_page, artifacts, monkeypatch):
    from engine.case import verifying
    monkeypatch.setattr(verifying, "BATCH", 2)
    for _ in range(5):
        live_server.engine.start_case("activity_plan", "zj_staff", {"province": "浙江"})
    live_server.sign_in(browser_page, "admin")
    seen = []
    browser_page.on("response", lambda r: seen.append(r.url) if "/verify/batch" in r.url else None)
    browser_page.goto(f"{live_server.url}/audit/verify")
    _verify_all(browser_page)
    assert len(seen) == 3 and seen[-1].endswith("after=4")
    assert browser_page.locator("#verify-status").inner_text() == "已核验 5 / 5 个案卷。"


@pytest.fixture
def training_server(tmp_path):
    from web import create_app
    clock = ManualClock(START)
    settings = Settings(instance_path=tmp_path / "instance", training=True,
                        database_url=f"sqlite:///{tmp_path / 'training.sqlite3'}",
                        forms_dir=DATA / "forms", script_time_limit=2.0)
    engine = Engine(settings, clock)
    upgrade(engine.db)
    demo_data(engine)
    engine.deploy(bpmn("timers/beside.bpmn"))
    app = create_app({"TESTING": False}, engine=engine)
    try:
        with serving(app) as url:
            yield LiveServer(url, app, engine, clock)
    finally:
        engine.close()


def test_the_training_clock(training_server, browser_page, artifacts):
    server, page = training_server, browser_page
    case_id = server.engine.start_case("beside", "zj_staff").case_id
    server.sign_in(page, "zj_staff")
    assert "2016-04-01 09:00" in page.locator("#training-banner").inner_text()  # Beijing time
    assert page.locator("#training-banner a").count() == 0  # only admins move the clock

    server.sign_in(page, "admin")
    page.click("#training-banner a")
    assert page.locator("h2").first.inner_text() == "培训时钟"
    assert page.locator("#next-timer").inner_text() == "2016-04-01 10:00"
    page.screenshot(path=artifacts / "admin-clock-zh.png", full_page=True)
    page.click("form.move-to-next button")
    assert "触发了 1 个定时器" in page.locator(".flash-success").inner_text()
    assert page.locator("#simulated-now").inner_text() == "2016-04-01 10:00"
    assert page.locator("#next-timer").inner_text() == "无"
    assert page.locator("form.move-to-next button").is_disabled()
    with server.engine.db.read() as s:
        from engine.storage import Timer
        assert s.get(Timer, s.query(Timer.id).filter(Timer.case_id == case_id).scalar()).status == "fired"

    page.fill("#clock-date", "2016-03-01")  # backward: refused, nothing moves
    page.evaluate("document.getElementById('clock-date').removeAttribute('min')")
    page.click("form.move-to-date button")
    assert "时钟只能向前调" in page.locator(".flash-error").inner_text()
    page.fill("#clock-date", "2016-06-01")
    page.fill("#clock-time", "14:30")
    page.click("form.move-to-date button")
    assert "2016-06-01 14:30" in page.locator("#training-banner").inner_text()
    assert server.engine.now() == START.replace(month=6, day=1, hour=6, minute=30)

    _english(page)
    assert "Training instance" in page.locator("#training-banner").inner_text()
    assert page.locator("h2").first.inner_text() == "Training clock"
    page.screenshot(path=artifacts / "admin-clock-en.png", full_page=True)
    page.goto(f"{server.url}/tasks")
    assert "Simulated date: 2016-06-01 14:30" in page.locator("#training-banner").inner_text()
    page.screenshot(path=artifacts / "training-banner-en.png")
    assert server.engine.now() - server.clock.now() == timedelta(days=61, hours=5, minutes=30)
