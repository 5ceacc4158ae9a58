"""Issue 15, operators: /admin/incidents, /admin/timers and the case page's control (suspend,
resume, terminate, reassign, edit data): they work for an administrator, and every other
role gets 403 on every route, GET and POST alike."""
import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from engine import ExecutionError
from engine.people import identity
from engine.storage import AuditEvent, Case, Timer
from tests.conftest import bpmn
from tests.engine.commands.test_repair import MODEL as FAILING

ROLES = ("process_owner", "auditor", "ministry_officer", "zj_staff", "hz_staff", "expert")


@pytest.fixture
def ops_app(app):
    engine = app.extensions["liandong"]
    with engine.db.transaction() as s:
        identity.create_user(s, "process_owner", password="secret-pass", memberships=[("ministry", "process_owner")])
        identity.create_user(s, "expert", password="secret-pass", memberships=[("ministry", "expert")])
    engine.actors.clear()
    engine.deploy(bpmn("timers/wait.bpmn"))
    engine.deploy({"grading.bpmn": FAILING})
    return app, engine


def _failed(engine):
    started = engine.start_case("grading", "zj_staff")
    with pytest.raises(ExecutionError):
        engine.complete_task(started.tasks[0], "zj_staff", {"score": 80})
    return started.case_id


def _waiting(engine, days=3):
    started = engine.start_case("wait", data={
        "plan_deadline": (engine.now() + timedelta(days=days)).isoformat(), "budget_per_city": 1})
    with engine.db.read() as s:
        return started.case_id, s.scalar(select(Timer.id).where(Timer.case_id == started.case_id))


def _status(engine, case_id):
    with engine.db.read() as s:
        return s.get(Case, case_id).status


def _events(engine, case_id, kind):
    with engine.db.read() as s:
        return list(s.scalars(select(AuditEvent).where(AuditEvent.case_id == case_id, AuditEvent.kind == kind)))


def test_every_new_route_is_403_for_every_other_role(ops_app, staff):
    _app, engine = ops_app
    failed = _failed(engine)
    case_id, timer_id = _waiting(engine)
    plan = engine.start_case("plan_review", "zj_staff")
    task = plan.tasks[0]
    gets = ["/admin/incidents", "/admin/timers", "/admin/timers?view=fired", f"/cases/{plan.case_id}/data/edit"]
    posts = [("/admin/incidents/retry", {"incident": f"case-{failed}", "comment": "x"}),
             (f"/admin/incidents/case-{failed}/resolve", {"comment": "x"}),
             (f"/admin/timers/{timer_id}/fire", {"reason": "x"}),
             (f"/cases/{plan.case_id}/suspend", {"reason": "x"}),
             (f"/cases/{plan.case_id}/resume", {"reason": "x"}),
             (f"/cases/{plan.case_id}/terminate", {"reason": "x"}),
             (f"/cases/{plan.case_id}/tasks/{task}/reassign", {"assignee": "zj_staff2", "reason": "x"}),
             (f"/cases/{plan.case_id}/data/edit", {"data": "{}", "reason": "x", "save": "1"})]
    for role in ROLES:
        client = staff(role)
        for url in gets:
            assert client.get(url).status_code == 403, (role, url)
        for url, data in posts:
            assert client.post(url, data).status_code == 403, (role, url)
        page = client.get(f"/cases/{plan.case_id}")
        if page.status_code == 200:
            assert 'id="control"' not in page.get_data(as_text=True)
    assert _status(engine, plan.case_id) == "running" and _status(engine, case_id) == "running"
    assert _events(engine, plan.case_id, "task_reassigned") == []
    assert len(engine.incidents("admin").rows) == 1


def test_incidents_page_filters_retries_and_resolves(ops_app, staff):
    _app, engine = ops_app
    one, two = _failed(engine), _failed(engine)
    admin = staff("admin")
    page = admin.get("/admin/incidents").get_data(as_text=True)
    assert f'value="case-{one}"' in page and f'value="case-{two}"' in page and "Script_Grade" in page
    assert f'value="case-{one}"' not in admin.get("/admin/incidents?organisation=js").get_data(as_text=True)
    assert f'value="case-{one}"' in admin.get(f"/admin/incidents?search={one}").get_data(as_text=True)
    assert "Script_Grade" not in admin.get("/admin/incidents?process_key=plan_review").get_data(as_text=True)
    refused = admin.post("/admin/incidents/retry", {"incident": f"case-{one}", "comment": ""}, follow_redirects=True)
    assert "理由" in refused.get_data(as_text=True)
    engine.edit_case_data(one, "admin", {"activities_held": 1}, "补报")
    admin.client.post("/admin/incidents/retry", data={"incident": [f"case-{one}", f"case-{two}"], "comment": "已修复",
                                                      "csrf_token": admin.csrf()})
    assert [r.key for r in engine.incidents("admin").rows] == [f"case-{two}"]
    response = admin.post(f"/admin/incidents/case-{two}/resolve", {"comment": "放弃", "next": f"/cases/{two}"})
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/cases/{two}")
    assert engine.incidents("admin").total == 0
    assert _events(engine, two, "incident_resolved")[0].detail["reason"] == "放弃"
    # an outside "next" is not followed
    response = admin.post(f"/admin/incidents/case-{two}/resolve", {"comment": "x", "next": "https://evil.example/"})
    assert response.headers["Location"].endswith("/admin/incidents")


def test_timers_page_and_fire_now(ops_app, staff):
    _app, engine = ops_app
    case_id, timer_id = _waiting(engine, days=10)
    admin = staff("admin")
    page = admin.get("/admin/timers").get_data(as_text=True)
    assert f'id="timer-{timer_id}"' in page and "Wait for the deadline" in page
    assert f'id="timer-{timer_id}"' not in admin.get("/admin/timers?search=nothing-like-it").get_data(as_text=True)
    assert admin.post(f"/admin/timers/{timer_id}/fire", {"reason": ""}).status_code == 302
    assert _status(engine, case_id) == "running"
    admin.post(f"/admin/timers/{timer_id}/fire", {"reason": "提前截止"})
    assert _status(engine, case_id) == "completed"
    fired = admin.get("/admin/timers?view=fired").get_data(as_text=True)
    assert f'id="timer-{timer_id}"' in fired and "admin" in fired


def test_case_control_suspend_resume_reassign_terminate(ops_app, staff):
    _app, engine = ops_app
    plan = engine.start_case("plan_review", "zj_staff")
    admin = staff("admin")
    page = admin.get(f"/cases/{plan.case_id}").get_data(as_text=True)
    assert 'id="control"' in page and "zj_staff2" in page and "js_staff" not in page  # only the lane's people
    admin.post(f"/cases/{plan.case_id}/suspend", {"reason": ""})
    assert _status(engine, plan.case_id) == "running"
    admin.post(f"/cases/{plan.case_id}/suspend", {"reason": "暂停"})
    assert _status(engine, plan.case_id) == "suspended"
    admin.post(f"/cases/{plan.case_id}/resume", {"reason": "恢复"})
    assert _status(engine, plan.case_id) == "running"
    bad = admin.post(f"/cases/{plan.case_id}/tasks/{plan.tasks[0]}/reassign",
                     {"assignee": "js_staff", "reason": "试"}, follow_redirects=True)
    assert "js_staff" in bad.get_data(as_text=True) and _events(engine, plan.case_id, "task_reassigned") == []
    admin.post(f"/cases/{plan.case_id}/tasks/{plan.tasks[0]}/reassign", {"assignee": "zj_staff2", "reason": "休假"})
    assert _events(engine, plan.case_id, "task_reassigned")[0].detail["assignee"] == "zj_staff2"
    admin.post(f"/cases/{plan.case_id}/terminate", {"reason": "重复"})
    assert _status(engine, plan.case_id) == "terminated"


def test_edit_data_previews_then_saves(ops_app, staff):
    _app, engine = ops_app
    plan = engine.start_case("plan_review", "zj_staff")
    done = engine.complete_task(plan.tasks[0], "zj_staff", {"title": "原方案", "budget": 9})
    admin = staff("admin")
    url = f"/cases/{done.case_id}/data/edit"
    text = admin.get(url).get_data(as_text=True)
    assert "&#34;budget&#34;: 9" in text or '"budget": 9' in text
    broken = admin.post(url, {"data": "{not json", "preview": "1"})
    assert broken.status_code == 422 and "JSON" in broken.get_data(as_text=True)
    wrong = admin.post(url, {"data": '{"title": "原方案", "budget": "很多"}', "preview": "1"})
    assert wrong.status_code == 422 and "budget" in wrong.get_data(as_text=True)
    preview = admin.post(url, {"data": '{"title": "原方案", "budget": 12}', "preview": "1", "reason": "预算调整"})
    body = preview.get_data(as_text=True)
    assert preview.status_code == 200 and re.search(r'<del translate="no">9</del>', body) and re.search(r'<ins translate="no">12</ins>', body)
    assert engine.case_data(done.case_id, "admin")["budget"] == 9  # not saved yet
    no_reason = admin.post(url, {"data": '{"title": "原方案", "budget": 12}', "save": "1", "reason": ""})
    assert no_reason.status_code == 422
    saved = admin.post(url, {"data": '{"title": "原方案", "budget": 12}', "save": "1", "reason": "预算调整"})
    assert saved.status_code == 302
    assert engine.case_data(done.case_id, "admin") == {"title": "原方案", "budget": 12}
    [event] = _events(engine, done.case_id, "case_data_edited")
    assert event.detail["changes"]["budget"] == [9, 12] and event.detail["reason"] == "预算调整"


def test_cases_list_filters_failed_and_with_an_error(ops_app, staff):
    _app, engine = ops_app
    failed = _failed(engine)
    fine = engine.start_case("plan_review", "zj_staff").case_id
    admin = staff("admin")
    page = admin.get("/cases/?status=failed").get_data(as_text=True)
    assert f"/cases/{failed}\"" in page and f"/cases/{fine}\"" not in page
    page = admin.get("/cases/?has_error=1").get_data(as_text=True)
    assert f"/cases/{failed}\"" in page and f"/cases/{fine}\"" not in page
