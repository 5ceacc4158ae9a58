"""The inbox: my tasks and my groups' unclaimed ones, claim/unclaim/reassign, filters,
sorting, pagination, the overdue badge, and the start page."""
from datetime import timedelta

from tests.conftest import province_started_model
from tests.web.conftest import open_task


def test_inbox_lists_my_groups_tasks_with_due_date(app, staff):
    engine = app.extensions["liandong"]
    case_id, task_id = open_task(engine, "zj_staff")
    page = staff("zj_staff2").get("/tasks").get_data(as_text=True)
    assert f"/tasks/{task_id}" in page
    assert "制定联动活动方案" in page and "浙江省文化厅" in page
    assert "2016-04-20 18:00" in page  # the boundary timer's due time, Asia/Shanghai
    assert 'class="badge overdue"' not in page


def test_overdue_badge(app, staff, clock):
    engine = app.extensions["liandong"]
    open_task(engine, "zj_staff")
    clock.advance(timedelta(days=30))
    page = staff("zj_staff").get("/tasks").get_data(as_text=True)
    assert 'class="badge overdue"' in page


def test_claim_unclaim_and_views(app, staff):
    engine = app.extensions["liandong"]
    _, task_id = open_task(engine, "zj_staff")
    me, colleague = staff("zj_staff"), staff("zj_staff2")
    assert me.post(f"/tasks/{task_id}/claim").status_code == 302
    assert task_id in me.get("/tasks?view=mine").get_data(as_text=True)
    assert task_id not in me.get("/tasks?view=unclaimed").get_data(as_text=True)
    # a claimed task leaves the colleague's inbox; claiming it anyway is a conflict
    assert task_id not in colleague.get("/tasks").get_data(as_text=True)
    response = colleague.post(f"/tasks/{task_id}/claim")
    assert response.status_code == 409 and "zj_staff" in response.get_data(as_text=True)
    assert me.post(f"/tasks/{task_id}/unclaim").status_code == 302
    assert task_id in colleague.get("/tasks?view=unclaimed").get_data(as_text=True)


def test_reassign_by_organisation_admin_only(app, staff):
    engine = app.extensions["liandong"]
    _, task_id = open_task(engine, "zj_staff")
    response = staff("zj_staff").post(f"/tasks/{task_id}/reassign", {"assignee": "zj_staff2"})
    assert response.status_code == 403
    admin = staff("admin")
    assert admin.post(f"/tasks/{task_id}/reassign", {"assignee": "zj_staff2"}).status_code == 302
    assert engine.tasks("zj_staff2", mine_only=True)[0].id == task_id
    response = admin.post(f"/tasks/{task_id}/reassign", {"assignee": "nobody-here"})
    assert response.status_code == 422


def test_filters_sorting_and_pages(app, staff):
    engine = app.extensions["liandong"]
    app.config["INBOX_PAGE_SIZE"] = 2
    for n in range(3):
        engine.start_case("activity_plan", "zj_staff", {}, business_key=f"act-{n}")
    engine.start_case("plan_review", "zj_staff", {"province": "zj"}, business_key="plan-1")
    me = staff("zj_staff")
    page = me.get("/tasks?process=plan_review").get_data(as_text=True)
    assert "plan-1" in page and "act-0" not in page
    first = me.get("/tasks?sort=newest").get_data(as_text=True)
    assert "plan-1" in first and "第 1 页，共 2 页" in first
    second = me.get("/tasks?sort=newest&page=2").get_data(as_text=True)
    assert "act-0" in second and "plan-1" not in second
    assert "act-" not in me.get("/tasks?org=js").get_data(as_text=True)
    assert "act-0" in me.get("/tasks?org=zj&sort=oldest").get_data(as_text=True)
    # nonsense parameters are ignored, not errors
    assert me.get("/tasks?page=abc&sort=drop&view=x").status_code == 200


def test_start_page_lists_latest_versions_and_starts_a_case(app, staff):
    me = staff("zj_staff")
    page = me.get("/start").get_data(as_text=True)
    assert "联动活动方案" in page and "plan_review" in page
    response = me.post("/start", {"process_key": "activity_plan", "business_key": "2016-zj-1"})
    assert response.status_code == 302 and "/tasks/" in response.headers["Location"]
    page = me.get(response.headers["Location"]).get_data(as_text=True)
    assert "制定联动活动方案" in page
    assert me.post("/start", {"process_key": "no-such"}).status_code == 404


def test_start_page_lists_only_what_the_person_may_start(app, staff):
    engine = app.extensions["liandong"]
    engine.deploy(province_started_model())
    assert 'value="province_review"' in staff("zj_staff").get("/start").get_data(as_text=True)
    city = staff("hz_staff")
    page = city.get("/start").get_data(as_text=True)
    assert 'value="province_review"' not in page and 'value="plan_review"' in page
    response = city.post("/start", {"process_key": "province_review"})
    assert response.status_code == 403 and "province_review" in response.get_data(as_text=True)


def test_auditor_sees_no_start_link_and_no_inbox_tasks(app, staff):
    engine = app.extensions["liandong"]
    open_task(engine, "zj_staff")
    page = staff("auditor").get("/tasks").get_data(as_text=True)
    assert 'href="/start"' not in page and "暂无待办任务" in page
