"""Access is enforced in the queries: another province's task or case is invisible (404) for
listing, opening and completing; auditors read everything and change nothing (403); CSRF
is checked on every form post."""
import pytest

from tests.web.conftest import open_task


@pytest.fixture
def zj_task(app):
    engine = app.extensions["liandong"]
    return open_task(engine, "zj_staff")


def test_other_province_cannot_list_the_task(app, staff, zj_task):
    _, task_id = zj_task
    js = staff("js_staff")
    assert task_id not in js.get("/tasks").get_data(as_text=True)
    assert task_id not in js.get("/tasks?org=zj").get_data(as_text=True)
    assert task_id not in js.get("/tasks?process=activity_plan&view=unclaimed").get_data(as_text=True)


def test_other_province_cannot_open_the_task(app, staff, zj_task):
    _, task_id = zj_task
    assert staff("js_staff").get(f"/tasks/{task_id}").status_code == 404


@pytest.mark.parametrize("action", ["", "/claim", "/unclaim", "/reassign"])
def test_other_province_cannot_act_on_the_task(app, staff, zj_task, action):
    _, task_id = zj_task
    response = staff("js_staff").post(f"/tasks/{task_id}{action}", {"title": "x", "budget": "1"})
    assert response.status_code == 404
    assert app.extensions["liandong"].tasks("zj_staff")[0].id == task_id


def test_city_below_sees_only_its_branch(app, staff, zj_task):
    _, task_id = zj_task
    # the Hangzhou city officer holds no province role: may not open zj's province-level task
    assert staff("hz_staff").get(f"/tasks/{task_id}").status_code == 404


def test_ministry_reads_but_is_not_the_lane(app, staff, zj_task):
    _, task_id = zj_task
    ministry = staff("ministry_officer")
    page = ministry.get(f"/tasks/{task_id}")
    assert page.status_code == 200 and "无权办理" in page.get_data(as_text=True)
    assert ministry.post(f"/tasks/{task_id}", {"title": "xx", "budget": "1"}).status_code == 403


def test_auditor_reads_everything(app, staff, zj_task):
    _, task_id = zj_task
    page = staff("auditor").get(f"/tasks/{task_id}")
    assert page.status_code == 200
    assert 'name="title"' not in page.get_data(as_text=True)  # no form to fill


@pytest.mark.parametrize("path", ["/tasks/{task}", "/tasks/{task}/claim", "/tasks/{task}/unclaim",
                                  "/tasks/{task}/reassign", "/start", "/admin/users"])
def test_auditor_changes_nothing(app, staff, zj_task, path):
    _, task_id = zj_task
    response = staff("auditor").post(path.format(task=task_id),
                                     {"process_key": "activity_plan", "title": "xx", "budget": "1"})
    assert response.status_code == 403
    assert app.extensions["liandong"].tasks("zj_staff")[0].assignee is None


def test_auditor_may_still_sign_out_and_switch_language(app, staff):
    auditor = staff("auditor")
    assert auditor.post("/locale", {"locale": "en"}).status_code == 302
    assert auditor.post("/logout").status_code == 302


@pytest.mark.parametrize("path", ["/tasks/{task}", "/tasks/{task}/claim", "/start", "/logout",
                                  "/locale", "/admin/organisations"])
def test_csrf_checked_on_every_form_post(app, staff, zj_task, path):
    _, task_id = zj_task
    who = staff("admin") if "admin" in path else staff("zj_staff")
    response = who.post(path.format(task=task_id), {"process_key": "activity_plan", "title": "xx",
                                                    "code": "x1", "name": "x"}, csrf=False)
    assert response.status_code == 400
    assert "表单已过期" in response.get_data(as_text=True)
    engine = app.extensions["liandong"]
    assert engine.tasks("zj_staff")[0].assignee is None
    assert len(engine.tasks("zj_staff")) == 1


def test_sign_in_form_needs_csrf_too(app):
    response = app.test_client().post("/login", data={"username": "zj_staff", "password": "secret-pass"})
    assert response.status_code == 400


def test_engine_refuses_auditor_writes_even_without_the_web_guard(app, zj_task):
    """The before_request guard is the first line; the engine's own checks are the second."""
    from engine import Forbidden
    engine = app.extensions["liandong"]
    _, task_id = zj_task
    with pytest.raises(Forbidden):
        engine.start_case("activity_plan", "auditor", {})
    with pytest.raises(Forbidden):
        engine.complete_task(task_id, "auditor", {"title": "xx", "budget": 1})


def test_scoping_is_in_the_queries(app, zj_task):
    """Without any template in the way: the queries themselves hide another province's rows."""
    from engine.reading import inbox as queries
    engine = app.extensions["liandong"]
    case_id, task_id = zj_task
    js, zj, auditor = (engine.actor(u) for u in ("js_staff", "zj_staff", "auditor"))
    with engine.db.read() as s:
        assert queries.task_for(s, js, task_id) is None
        assert queries.case_for(s, js, case_id) is None
        assert queries.page_of(s, queries.inbox_query(js), 1, 50)[1] == 0
        assert queries.task_for(s, zj, task_id).id == task_id
        assert queries.page_of(s, queries.inbox_query(zj), 1, 50)[1] == 1
        assert queries.task_for(s, auditor, task_id).id == task_id  # reads everything
        assert queries.page_of(s, queries.inbox_query(auditor), 1, 50)[1] == 0  # works on nothing
        assert [o.code for o in queries.organisations_for(s, js)] == ["js", "nj"]
