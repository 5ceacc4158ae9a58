"""The bell in the header and the notifications page."""
from engine.storage import Notification
from tests.web.conftest import open_task


def test_bell_counts_unread_and_page_marks_them_read(app, staff):
    engine = app.extensions["liandong"]
    case_id, task_id = open_task(engine, "zj_staff")
    with engine.db.transaction() as s:
        s.add(Notification(username="zj_staff", case_id=case_id, task_id=task_id, kind="reminder",
                           subject="催办：制定联动活动方案", body="请于4月20日前提交", created_at=engine.now()))
        s.add(Notification(username="js_staff", kind="reminder", subject="别人的提醒", body="",
                           created_at=engine.now()))
    me = staff("zj_staff")
    page = me.get("/tasks").get_data(as_text=True)
    assert 'href="/notifications"' in page and '<span class="count">1</span>' in page
    page = me.get("/notifications").get_data(as_text=True)
    assert "催办：制定联动活动方案" in page and "别人的提醒" not in page
    assert f"/tasks/{task_id}" in page
    assert me.post("/notifications/read").status_code == 302
    assert '<span class="count">1</span>' not in me.get("/tasks").get_data(as_text=True)
    # someone else's ids are ignored
    staff("js_staff").post("/notifications/read", {"id": "1"})
    with engine.db.read() as s:
        assert s.get(Notification, 2).read_at is None
