"""In chromium, in both languages: an administrator works the incidents and timers pages,
and controls a case from its page (suspend, resume, reassign, edit data with a diff,
terminate). Issue 15, the operator part."""
from datetime import timedelta

import pytest

from engine import ExecutionError
from tests.conftest import bpmn
from tests.engine.commands.test_repair import MODEL as FAILING

pytestmark = pytest.mark.browser

WORDS = {"zh_CN": {"incidents": "故障", "timers": "定时器", "control": "案件控制", "diff": "将要修改的内容"},
         "en": {"incidents": "Incidents", "timers": "Timers", "control": "Case control", "diff": "What will change"}}


def _as_admin(live_server, page, lang):
    live_server.sign_in(page, "admin")
    if lang == "en":
        page.click("form.locale button[value=en]")
        page.wait_for_load_state()


def _failed(engine):
    started = engine.start_case("grading", "zj_staff")
    with pytest.raises(ExecutionError):
        engine.complete_task(started.tasks[0], "zj_staff", {"score": 80})
    return started.case_id


@pytest.mark.parametrize("lang", ["zh_CN", "en"])
def test_incidents_page_retry_and_resolve(live_server, browser_page, artifacts, lang):
    engine, page = live_server.engine, browser_page
    engine.deploy({"grading.bpmn": FAILING})
    one, two = _failed(engine), _failed(engine)
    _as_admin(live_server, page, lang)
    page.click(f"nav.mainnav a[href$='/admin/incidents']")
    assert WORDS[lang]["incidents"] in page.inner_text(".admin-tabs a.active")
    assert page.locator("table.incidents tbody tr").count() == 2
    page.screenshot(path=str(artifacts / f"admin-incidents-{lang}.png"), full_page=True)
    engine.edit_case_data(one, "admin", {"activities_held": 3}, "补报")
    page.check(f"input[name=incident][value=case-{one}]")
    page.fill("#retry-comment", "省里补报了活动数")
    page.click("#retry-form button.primary")
    page.wait_for_selector(".flash-success")
    assert page.locator("table.incidents tbody tr").count() == 1
    page.fill(f"form.resolve-form[action$='case-{two}/resolve'] input[name=comment]", "与省厅确认放弃评分")
    page.click(f"form.resolve-form[action$='case-{two}/resolve'] button")
    page.wait_for_selector(".flash-success")
    assert page.locator("table.incidents").count() == 0
    page.screenshot(path=str(artifacts / f"admin-incidents-done-{lang}.png"), full_page=True)
    assert engine.incidents("admin").total == 0


@pytest.mark.parametrize("lang", ["zh_CN", "en"])
def test_timers_page_fire_now(live_server, browser_page, artifacts, lang):
    engine, page = live_server.engine, browser_page
    engine.deploy(bpmn("timers/wait.bpmn"))
    soon = engine.start_case("wait", data={"plan_deadline": (engine.now() + timedelta(days=1)).isoformat(),
                                           "budget_per_city": 1})
    later = engine.start_case("wait", data={"plan_deadline": (engine.now() + timedelta(days=20)).isoformat(),
                                            "budget_per_city": 1})
    live_server.clock.advance(timedelta(days=2, hours=3))  # the first is late: no scheduler runs here
    _as_admin(live_server, page, lang)
    page.goto(f"{live_server.url}/admin/timers")
    assert WORDS[lang]["timers"] in page.inner_text(".admin-tabs a.active")
    assert page.locator("table.timers tbody tr").count() == 2
    assert page.locator(f"tr:has(a[href$='/cases/{soon.case_id}']) .badge.overdue").count() == 1
    page.screenshot(path=str(artifacts / f"admin-timers-{lang}.png"), full_page=True)
    row = page.locator(f"tr:has(a[href$='/cases/{later.case_id}'])")
    row.locator("input[name=reason]").fill("部里决定提前截止")
    row.locator("button").click()
    page.wait_for_selector(".flash-success")
    page.click(".timer-views a[href*='view=fired']")
    page.wait_for_selector("table.timers")
    assert "admin" in page.inner_text(f"tr:has(a[href$='/cases/{later.case_id}'])")
    page.screenshot(path=str(artifacts / f"admin-timers-fired-{lang}.png"), full_page=True)


@pytest.mark.parametrize("lang", ["zh_CN", "en"])
def test_case_control_from_the_case_page(live_server, browser_page, artifacts, lang):
    engine, page = live_server.engine, browser_page
    started = engine.start_case("plan_review", "zj_staff")
    done = engine.complete_task(started.tasks[0], "zj_staff", {"title": "浙江联动方案", "budget": 9})
    case_id = done.case_id
    _as_admin(live_server, page, lang)
    page.goto(f"{live_server.url}/cases/{case_id}")
    assert WORDS[lang]["control"] in page.inner_text("#control h2")
    page.fill("form.case-suspend input[name=reason]", "等待部里批复")
    page.click("form.case-suspend button")
    page.wait_for_selector(".flash-success")
    assert page.locator("form.case-resume").count() == 1
    page.screenshot(path=str(artifacts / f"case-control-suspended-{lang}.png"), full_page=True)
    page.fill("form.case-resume input[name=reason]", "部里已批复")
    page.click("form.case-resume button")
    page.wait_for_selector(".flash-success")
    # reassign the open review task to the ministry officer (the only holder of its role)
    task_row = page.locator("table.reassign tbody tr").first
    task_row.locator("select[name=assignee]").select_option("ministry_officer")
    task_row.locator("input[name=reason]").fill("指定审核人")
    task_row.locator("button").click()
    page.wait_for_selector(".flash-success")
    assert "ministry_officer" in page.inner_text("table.reassign")
    # edit the data: a wrong type is named, then the diff, then saved
    page.click("a.edit-data-link")
    page.wait_for_selector("#case-data")
    text = page.input_value("#case-data")
    page.fill("#case-data", text.replace('"budget": 9', '"budget": "很多"'))
    page.click("button[name=preview]")
    assert "budget" in page.inner_text(".data-errors")
    page.fill("#case-data", text.replace('"budget": 9', '"budget": 15'))
    page.fill("#data-reason", "预算追加")
    page.click("button[name=preview]")
    assert WORDS[lang]["diff"] in page.inner_text(".data-diff h2")
    assert page.inner_text("table.diff del") == "9" and page.inner_text("table.diff ins") == "15"
    page.screenshot(path=str(artifacts / f"case-data-diff-{lang}.png"), full_page=True)
    page.click("button[name=save]")
    page.wait_for_selector(".flash-success")
    assert engine.case_data(case_id, "admin")["budget"] == 15
    page.fill("form.case-terminate input[name=reason]", "重复的案件")
    page.click("form.case-terminate button")
    page.wait_for_selector(".flash-success")
    page.screenshot(path=str(artifacts / f"case-control-terminated-{lang}.png"), full_page=True)
    assert page.locator("#control form").count() == 0


def test_others_get_403_and_no_control_panel(live_server, browser_page):
    engine, page = live_server.engine, browser_page
    started = engine.start_case("plan_review", "zj_staff")
    live_server.sign_in(page, "zj_staff")
    assert page.goto(f"{live_server.url}/admin/incidents").status == 403
    assert page.goto(f"{live_server.url}/admin/timers").status == 403
    page.goto(f"{live_server.url}/cases/{started.case_id}")
    assert page.locator("#control").count() == 0
