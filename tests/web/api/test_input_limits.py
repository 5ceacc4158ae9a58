"""NaN and Infinity refused at the web's doors with a clear error, bodies above the
submission limit refused, and no error response ever carrying SQL, bound values or a stack
(issue 18 item 7), on SQLite and PostgreSQL."""
import json

import pytest

from tests.web.conftest import open_task

LEAKS = ("INSERT", "UPDATE ", "SELECT ", "[SQL", "parameters", "Traceback", "psycopg", "sqlite3")


@pytest.fixture
def api(app):
    engine = app.extensions["liandong"]
    client = app.test_client()
    token = engine.create_token("system", "zj_staff", "test")

    def call(method, path, body: str):
        return client.open(f"/api/v1{path}", method=method, data=body,
                           content_type="application/json",
                           headers={"Authorization": f"Bearer {token}"})
    return call


@pytest.mark.parametrize("constant", ["NaN", "Infinity", "-Infinity"])
def test_json_with_nan_or_infinity_is_refused_with_a_clear_error(app, api, constant):
    engine = app.extensions["liandong"]
    _case_id, task_id = open_task(engine, "zj_staff")
    body = '{"data": {"title": "x", "form": "alliance", "budget": %s, "start_date": "2016-05-01"}}' % constant
    response = api("POST", f"/tasks/{task_id}/complete", body)
    assert response.status_code == 422
    assert f"{constant.lstrip('-')} is not a number JSON allows" in response.json["message"]
    started = api("POST", "/cases", '{"process_key": "activity_plan", "data": {"n": %s}}' % constant)
    assert started.status_code == 422
    assert engine.tasks("zj_staff")  # the task is still open


def test_a_body_above_the_submission_limit_is_refused(app, api):
    engine = app.extensions["liandong"]
    _case_id, task_id = open_task(engine, "zj_staff")
    body = json.dumps({"data": {"title": "x" * (engine.settings.submission_max_bytes + 10)}})
    response = api("POST", f"/tasks/{task_id}/complete", body)
    assert response.status_code == 422 and "larger than" in response.json["message"]


def test_a_value_the_database_refuses_gives_no_sql_in_the_response(app, api):
    """PostgreSQL refuses a NUL character in text; the error says so without the statement."""
    engine = app.extensions["liandong"]
    _case_id, task_id = open_task(engine, "zj_staff")
    body = json.dumps({"data": {"title": "联盟\u0000活动", "form": "alliance", "budget": 3,
                                "start_date": "2016-05-01"}})
    response = api("POST", f"/tasks/{task_id}/complete", body)
    text = response.get_data(as_text=True)
    assert not any(leak in text for leak in LEAKS), text
    if engine.db.dialect == "postgresql":
        assert response.status_code == 500
        assert "database refused" in response.json["message"]
    else:
        assert response.status_code == 200


def test_a_number_field_typed_as_nan_is_marked_not_stored(app, staff):
    engine = app.extensions["liandong"]
    _case_id, task_id = open_task(engine, "zj_staff")
    response = staff("zj_staff").post(f"/tasks/{task_id}", {
        "title": "联盟活动", "form": "alliance", "budget": "nan", "start_date": "2016-05-01"})
    assert response.status_code == 422
    assert engine.tasks("zj_staff")  # still open
