"""The REST API: bearer tokens, my tasks, claim, complete (422/409/403/404), start a case,
a case and its history, and the OpenAPI document."""
import pytest
from sqlalchemy import select

from engine.storage import ApiToken
from tests.conftest import province_started_model
from tests.web.conftest import open_task
from engine.people.tokens import digest


@pytest.fixture
def api(app):
    engine = app.extensions["liandong"]
    client = app.test_client()

    def call(method, path, user="zj_staff", json=None, token=None):
        if token is None and user:
            token = engine.create_token("system", user, "test")
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return client.open(f"/api/v1{path}", method=method, json=json, headers=headers)
    return call


def test_token_is_stored_only_as_its_hash(app):
    engine = app.extensions["liandong"]
    token = engine.create_token("zj_staff", "zj_staff")
    with engine.db.read() as s:
        row = s.scalars(select(ApiToken)).one()
    assert row.token_sha256 == digest(token) and token not in row.token_sha256


def test_no_token_bad_token_revoked_token(app, api):
    assert api("GET", "/tasks", user=None).status_code == 401
    assert api("GET", "/tasks", token="ld_wrong").status_code == 401
    engine = app.extensions["liandong"]
    token = engine.create_token("system", "zj_staff")
    with engine.db.transaction() as s:
        s.scalars(select(ApiToken)).one().revoked = True
    response = api("GET", "/tasks", token=token)
    assert response.status_code == 401 and response.json["status"] == 401


def test_start_list_claim_complete_history(app, api):
    response = api("POST", "/cases", json={"process_key": "activity_plan", "business_key": "api-1",
                                           "data": {"province": "浙江"}})
    assert response.status_code == 201
    case_id, [task_id] = response.json["case_id"], response.json["tasks"]
    tasks = api("GET", "/tasks").json
    assert tasks["total"] == 1 and tasks["tasks"][0]["id"] == task_id
    assert tasks["tasks"][0]["due_at"].startswith("2016-04-20T10:00")
    detail = api("GET", f"/tasks/{task_id}").json
    assert detail["form"]["required"] == ["title", "form", "budget", "start_date"]
    assert api("POST", f"/tasks/{task_id}/claim").json["assignee"] == "zj_staff"
    bad = api("POST", f"/tasks/{task_id}/complete", json={"data": {"title": "x", "budget": -1,
                                                                   "partners": [{}]}})
    assert bad.status_code == 422
    errors = bad.json["field_errors"]
    assert {"title", "budget", "form", "start_date", "partners.0.city"} <= set(errors)
    good = api("POST", f"/tasks/{task_id}/complete", json={"data": {
        "title": "联盟活动", "form": "alliance", "budget": 3, "start_date": "2016-05-01"}})
    assert good.status_code == 200 and len(good.json["tasks"]) == 1
    again = api("POST", f"/tasks/{task_id}/complete", json={"data": {}})
    assert again.status_code == 409 and "zj_staff" in again.json["message"]
    case = api("GET", f"/cases/{case_id}").json
    assert case["business_key"] == "api-1" and case["facts"]["title"] == "联盟活动"
    history = api("GET", f"/cases/{case_id}/history").json["events"]
    assert [e["kind"] for e in history] == ["case_started", "task_claimed", "task_completed"]


def test_starting_a_process_started_in_another_roles_lane_is_403(app, api):
    app.extensions["liandong"].deploy(province_started_model())
    refused = api("POST", "/cases", user="hz_staff", json={"process_key": "province_review"})
    assert refused.status_code == 403 and "province" in refused.json["message"]
    assert api("POST", "/cases", json={"process_key": "province_review"}).status_code == 201


def test_access_through_the_api(app, api):
    engine = app.extensions["liandong"]
    case_id, task_id = open_task(engine, "zj_staff")
    assert api("GET", f"/tasks/{task_id}", user="js_staff").status_code == 404
    assert api("POST", f"/tasks/{task_id}/claim", user="js_staff").status_code == 404
    assert api("POST", f"/tasks/{task_id}/complete", user="js_staff", json={"data": {}}).status_code == 404
    assert api("GET", f"/cases/{case_id}", user="js_staff").status_code == 404
    assert api("GET", f"/cases/{case_id}/history", user="js_staff").status_code == 404
    assert api("GET", "/tasks", user="js_staff").json["total"] == 0
    # the Ministry sees the case but the province lane is not theirs: 403
    assert api("POST", f"/tasks/{task_id}/complete", user="ministry_officer",
               json={"data": {}}).status_code == 403
    # auditors read and never write
    assert api("GET", f"/cases/{case_id}/history", user="auditor").status_code == 200
    assert api("POST", f"/tasks/{task_id}/claim", user="auditor").status_code == 403
    assert api("POST", "/cases", user="auditor", json={"process_key": "activity_plan"}).status_code == 403


def test_bad_bodies_are_clear_errors(app, api):
    assert api("POST", "/cases", json={}).status_code == 422
    assert api("POST", "/cases", json={"process_key": "nope"}).status_code == 404
    assert api("POST", "/cases", json={"process_key": "activity_plan", "data": [1]}).status_code == 422
    engine = app.extensions["liandong"]
    _, task_id = open_task(engine, "zj_staff")
    response = api("POST", f"/tasks/{task_id}/complete", json={"data": "text"})
    assert response.status_code == 422 and "Traceback" not in response.get_data(as_text=True)
    assert api("GET", "/tasks?page=x").status_code == 422
    assert api("GET", "/cases/99999").status_code == 404


def test_no_csrf_needed_for_the_api(app, api):
    app.config["WTF_CSRF_CHECK_DEFAULT"] = True
    assert api("POST", "/cases", json={"process_key": "activity_plan"}).status_code == 201


def test_openapi_document_matches_the_url_map(app):
    client = app.test_client()
    doc = client.get("/api/v1/openapi.json").json
    assert doc["openapi"].startswith("3.1")
    rules = {r.rule for r in app.url_map.iter_rules() if r.rule.startswith("/api/v1")}
    import re
    for path, operations in doc["paths"].items():
        flask_rule = re.sub(r"\{(\w+)\}", lambda m: f"<{'int:' if m.group(1) == 'case_id' else ''}{m.group(1)}>", path)
        assert "/api/v1" + flask_rule in rules, path
        rule = next(r for r in app.url_map.iter_rules() if r.rule == "/api/v1" + flask_rule)
        for method in operations:
            assert method.upper() in rule.methods, (path, method)
    documented = {"/api/v1" + re.sub(r"\{(\w+)\}", lambda m: f"<{'int:' if m.group(1) == 'case_id' else ''}{m.group(1)}>", p) for p in doc["paths"]}
    assert rules <= documented, rules - documented  # nothing undocumented either
