"""In chromium: a case started from its start form, and a case a script error stopped,
repaired by an administrator on the case page (issue 13, item 2)."""
import pytest

from engine import ExecutionError

from tests.engine.commands.test_repair import MODEL as STOPPING
from tests.web.inbox.test_start_forms import BY_PARENT, HEAD, START_FORM

pytestmark = pytest.mark.browser


def test_start_form_in_the_browser(live_server, browser_page, artifacts):
    engine, page = live_server.engine, browser_page
    engine.deploy({"intake.bpmn": HEAD.format(key="intake", name="方案登记", process_props="",
                                              start_props=START_FORM).encode()})
    engine.deploy({"child.bpmn": HEAD.format(key="child_only", name="子案件", process_props=BY_PARENT,
                                             start_props="").encode()})
    live_server.sign_in(page, "zj_staff")
    page.goto(live_server.url + "/start")
    assert page.locator("[data-process=child_only]").count() == 0
    page.click("[data-process=intake] a.start-form-link")
    page.fill("#title", "x")
    page.fill("#budget", "-5")
    page.click("button[name=start]")
    assert page.locator(".field.has-error").count() == 2  # too short, below the minimum
    assert page.input_value("#title") == "x"
    page.screenshot(path=str(artifacts / "start-form-errors.png"), full_page=True)
    page.fill("#title", "浙江联动方案")
    page.fill("#budget", "900")
    page.click("button[name=start]")
    page.wait_for_url("**/tasks/*")
    assert "核对" in page.inner_text("h1")


def test_an_admin_repairs_a_stopped_case_in_the_browser(live_server, browser_page, artifacts):
    engine, page = live_server.engine, browser_page
    engine.deploy({"grading.bpmn": STOPPING})
    started = engine.start_case("grading", "zj_staff")
    with pytest.raises(ExecutionError):
        engine.complete_task(started.tasks[0], "zj_staff", {"score": 80})
    live_server.sign_in(page, "admin")
    page.goto(f"{live_server.url}/cases/{started.case_id}")
    assert "activities_held" in page.inner_text(".last-error")
    page.fill("#data-name", "activities_held")
    page.fill("#data-value", "2")
    page.fill("#data-reason", "省里补报了举办活动数")
    page.click(".repair-data button[name=set]")
    page.wait_for_selector(".flash-success")
    assert "activities_held" in page.inner_text("table.case-data")
    page.screenshot(path=str(artifacts / "case-repair.png"), full_page=True)
    page.fill("#retry-reason", "数据已更正")
    page.click(".repair-retry button.primary")
    page.wait_for_selector(".flash-success")
    assert page.locator(".last-error").count() == 0
    assert [t.element_id for t in engine.tasks("zj_staff")] == ["Task_Confirm"]
