"""A province officer's day in a real browser: sign in, inbox, open a task, submit with a
required field missing (error beside it, values kept), fix it, submit, the next task
arrives; another province's officer fails to open that task by its URL. Screenshots of the
inbox and the task page in both languages go to test-artifacts/."""
import re

import pytest

pytestmark = pytest.mark.browser


def test_province_officer_journey(live_server, browser_page, artifacts):
    server, page = live_server, browser_page
    engine = server.engine
    first = engine.start_case("activity_plan", "zj_staff", {"province": "浙江"}, business_key="2016-浙江-联盟")
    engine.start_case("activity_plan", "zj_staff", {"province": "浙江"}, business_key="2016-浙江-展览")
    engine.start_case("plan_review", "zj_staff", {"province": "浙江"}, business_key="2016-浙江-方案")
    task_id = first.tasks[0]

    server.sign_in(page, "zj_staff")
    assert page.locator("h1").first.inner_text().startswith("我的任务")
    assert page.locator("#task-count").inner_text() == "3"
    page.screenshot(path=artifacts / "inbox-zh.png", full_page=True)

    page.click(f"a[href='/tasks/{task_id}']")
    assert page.locator("h1").inner_text() == "制定联动活动方案"
    assert "4月20日" in page.locator(".instructions").inner_text()
    page.screenshot(path=artifacts / "task-zh.png", full_page=True)

    # everything but the required title; two partner rows (the second added by the JS)
    page.check("input[name=form][value=alliance]")
    page.select_option("select[name=theme]", "数字化")
    page.fill("input[name=start_date]", "2016-05-10")
    page.fill("input[name=budget]", "12.5")
    page.check("input[name=sponsored][value=yes]")
    page.fill("input[name='partners-0-city']", "南京")
    page.fill("input[name='partners-0-province']", "江苏")
    page.click("button[name=add_row]")
    page.fill("input[name='partners-1-city']", "合肥")
    page.fill("textarea[name=description]", "三省图书馆签署合作协议，建立常态化联动机制。")
    page.click("button[name=complete]")

    assert page.locator(".error-summary").is_visible()
    title_field = page.locator(".field", has=page.locator("input[name=title]"))
    assert "此项为必填项" in title_field.locator(".error").inner_text()
    assert page.input_value("input[name=budget]") == "12.5"
    assert page.input_value("input[name='partners-1-city']") == "合肥"
    assert page.is_checked("input[name=form][value=alliance]")
    assert page.input_value("select[name=theme]") == "数字化"
    assert "三省图书馆" in page.input_value("textarea[name=description]")
    page.screenshot(path=artifacts / "task-errors-zh.png", full_page=True)

    page.fill("input[name=title]", "长三角公共图书馆联盟")
    page.click("button[name=complete]")
    assert page.locator("h1").inner_text() == "提交活动总结"
    assert "您的下一项任务" in page.locator(".flash-info").inner_text()
    assert "长三角公共图书馆联盟" in page.locator(".instructions").inner_text()
    next_task_url = page.url

    # English
    page.goto(f"{server.url}/tasks")
    page.click("button[name=locale][value=en]")
    assert page.locator("h1").first.inner_text().startswith("My tasks")
    page.screenshot(path=artifacts / "inbox-en.png", full_page=True)
    page.click("text=制定联动活动方案")
    assert page.locator("button[name=complete]").inner_text() == "Submit"
    page.screenshot(path=artifacts / "task-en.png", full_page=True)

    # a phone
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{server.url}/tasks")
    page.screenshot(path=artifacts / "inbox-phone-en.png", full_page=True)
    page.set_viewport_size({"width": 1280, "height": 860})

    # another province cannot open either task by its URL
    page.click("text=Sign out")
    server.sign_in(page, "js_staff")
    for url in (f"{server.url}/tasks/{task_id}", next_task_url):
        response = page.goto(url)
        assert response.status == 404
        assert page.locator(".error-code").inner_text() == "404"
        assert "制定联动活动方案" not in page.content() and "提交活动总结" not in page.content()
    assert re.search(r"暂无待办任务", page.goto(f"{server.url}/tasks") and page.content())
