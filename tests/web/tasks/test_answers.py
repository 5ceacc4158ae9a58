"""Answers that are not answers, at every door (issue 13 item 4): the task page marks the
field and keeps what was typed; the REST API and the CLI get the engine's same refusal; a
draft with a refused upload says so; a file id out of range is 404."""
import io
import json

import pytest
from sqlalchemy import select, update

from engine.people import identity
from engine.storage import AuditEvent, User
from tests.conftest import ROOT
from tests.engine.models.answers_models import campaign_data, one_form_model, use_campaign_forms
from tests.web.conftest import open_task

TYPED = {"name": "   ", "form": "meeting", "theme": "digitalisation", "partner_cities": "nj",
         "start_date": "2016-06-10", "end_date": "2016-06-12", "venue": "杭州图书馆",
         "budget": "5000", "sponsorship": "0"}


@pytest.fixture
def activity_task(app):
    """An open task with the campaign's activity plan form (forms/activity-plan-schema.json)."""
    engine = app.extensions["liandong"]
    use_campaign_forms(engine)
    engine.deploy(one_form_model("activity-plan-schema.json"))
    started = engine.start_case("answers", "zj_staff", campaign_data())
    return engine, started.tasks[0]


def _field_block(page, name):
    start = page.rfind('<div class="field', 0, page.index(f'name="{name}"'))
    return page[start:page.index("</div>", page.index(f'name="{name}"')) + 200]


def test_spaces_in_a_required_field_are_marked_and_every_value_kept(activity_task, staff):
    engine, task_id = activity_task
    response = staff("zj_staff").post(f"/tasks/{task_id}", TYPED)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    name = _field_block(page, "name")
    assert "has-error" in name and "此项为必填项。" in name and 'value="   "' in name
    assert 'value="杭州图书馆"' in page and 'value="2016-06-12"' in page and 'value="5000"' in page
    assert "has-error" not in _field_block(page, "venue")
    assert [t.id for t in engine.tasks("zj_staff")] == [task_id]


def test_a_cross_field_rule_is_shown_beside_its_field(activity_task, staff):
    engine, task_id = activity_task
    me = staff("zj_staff")
    typed = {**TYPED, "name": "长三角讲座", "end_date": "2016-06-01"}
    response = me.post(f"/tasks/{task_id}", typed)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "结束日期不能早于开始日期（2016-06-10）。" in _field_block(page, "end_date")
    assert 'value="2016-06-01"' in page and 'value="长三角讲座"' in page
    with engine.db.transaction() as s:
        s.execute(update(User).where(User.username == "zj_staff").values(locale="en"))
    page = me.post(f"/tasks/{task_id}", typed).get_data(as_text=True)
    assert "The end date cannot be before the start date (2016-06-10)." in _field_block(page, "end_date")
    assert me.post(f"/tasks/{task_id}", {**typed, "end_date": "2016-06-10"}).status_code == 302


def test_partner_cities_are_chosen_by_name_and_stored_by_code(activity_task, staff):
    engine, task_id = activity_task
    me = staff("zj_staff")
    page = me.get(f"/tasks/{task_id}").get_data(as_text=True)
    assert 'type="checkbox"' in page and 'name="partner_cities"' in page
    assert 'value="nj"' in page and "南京市" in page and 'value="hz"' in page  # other provinces too
    assert 'value="zj"' not in page  # a province is not a city
    response = me.post(f"/tasks/{task_id}", {**TYPED, "name": "讲座", "partner_cities": ["nj", "hz"]})
    assert response.status_code == 302
    with engine.db.read() as s:
        detail = s.scalars(select(AuditEvent.detail).where(AuditEvent.kind == "task_completed")).one()
    assert detail["submitted"]["partner_cities"] == ["nj", "hz"]


def test_the_api_refuses_spaces_and_broken_rules_the_same_way(activity_task, app):
    engine, task_id = activity_task
    token = engine.create_token("zj_staff", "zj_staff", "test")
    body = {**TYPED, "budget": 5000, "sponsorship": 0, "partner_cities": ["南京"], "end_date": "2016-06-01"}
    response = app.test_client().post(f"/api/v1/tasks/{task_id}/complete", json={"data": body},
                                      headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 422
    errors = response.get_json()["field_errors"]
    assert errors["name"] == ["is required"]  # spaces only
    assert set(errors) == {"name", "partner_cities.0", "end_date"}  # free text is no city
    assert errors["end_date"] == ["结束日期不能早于开始日期（2016-06-10）。"]
    assert [t.id for t in engine.tasks("zj_staff")] == [task_id]


def test_the_cli_refuses_spaces(cli, monkeypatch, tmp_path):
    monkeypatch.setenv("LIANDONG_FORMS_DIR", str(ROOT / "forms"))
    cli("init-db")
    cli("create-org", "ministry", "--name", "文化部")
    cli("create-org", "zj", "--parent", "ministry")
    cli("create-user", "alice", "--org", "zj", "--role", "province", "--password", "pw-123456")
    model = tmp_path / "answers.bpmn"
    model.write_bytes(one_form_model("activity-plan-schema.json")["answers.bpmn"])
    cli("deploy", model)
    cli("start", "answers", "--user", "alice", "--data", json.dumps(campaign_data()))
    task_id = cli("tasks", "--user", "alice").split("\t")[0]
    answer = {**TYPED, "budget": 5000, "sponsorship": 0, "partner_cities": []}
    out = cli("complete", task_id, "--user", "alice", "--data", json.dumps(answer), code=1)
    assert "name: is required" in out
    answer["name"] = " 讲座 "
    assert "completed" in cli("complete", task_id, "--user", "alice", "--data", json.dumps(answer))


def test_a_draft_with_a_refused_upload_says_so_and_keeps_the_rest(app, staff):
    engine = app.extensions["liandong"]
    case_id, task_id = open_task(engine, "zj_staff")
    me = staff("zj_staff")
    response = me.post(f"/tasks/{task_id}", {"title": "长三角图书馆联盟", "save_draft": "1",
                                             "programme": (io.BytesIO(b"MZ\x90\x00rest"), "节目单.pdf")},
                       content_type="multipart/form-data")
    assert response.status_code == 302
    page = me.get(f"/tasks/{task_id}").get_data(as_text=True)
    assert "flash-error" in page and "“节目单（PDF）”的文件未保存" in page and "节目单.pdf" in page
    assert 'value="长三角图书馆联盟"' in page  # the draft's other values are kept


@pytest.mark.parametrize("file_id", ["99999999999999999999", "2147483648", "0", "-1", "abc", "１"])
def test_a_file_id_out_of_range_or_not_a_number_is_404(app, staff, file_id):
    response = staff("zj_staff").get(f"/files/{file_id}")
    assert response.status_code == 404


def test_many_cities_are_a_multiple_select_under_their_provinces(activity_task, staff):
    engine, task_id = activity_task
    with engine.db.transaction() as s:
        for n in range(12):
            identity.create_organisation(s, f"js-{n:02}", f"江苏城市{n:02}", parent="js", kind="city")
    me = staff("zj_staff")
    page = me.get(f"/tasks/{task_id}").get_data(as_text=True)
    assert '<select id="partner_cities" multiple name="partner_cities"' in page
    jiangsu = page[page.index('<optgroup label="江苏省文化厅">'):]
    assert jiangsu.index('value="nj"') < jiangsu.index("</optgroup>")
    assert '<optgroup label="浙江省文化厅"><option value="hz">杭州市</option></optgroup>' in page
    response = me.post(f"/tasks/{task_id}", {**TYPED, "name": "讲座", "partner_cities": ["js-03", "hz"]})
    assert response.status_code == 302


def test_a_rule_on_a_row_is_shown_beside_that_rows_field(app, staff):
    engine = app.extensions["liandong"]
    use_campaign_forms(engine)
    engine.deploy(one_form_model("province-plan-schema.json"))
    task_id = engine.start_case("answers", "zj_staff", campaign_data()).tasks[0]
    row = {"name": "越剧联动展演", "host_city": "hz", "form": "performance", "theme": "mass_activities",
           "partner_cities": "nj", "start_date": "2016-06-10", "end_date": "2016-06-12",
           "venue": "杭州大剧院", "budget": "500000", "sponsorship": "0"}
    typed = {"plan_summary": "浙江方案", "host_exchange": "no",
             **{f"activities-0-{k}": v for k, v in row.items()}}
    response = staff("zj_staff").post(f"/tasks/{task_id}", typed)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    budget = _field_block(page, "activities-0-budget")
    assert "预算不能超过本次活动规定的限额 200000 元（厉行节约）。" in budget and 'value="500000"' in budget
    assert 'value="越剧联动展演"' in page and "has-error" not in _field_block(page, "activities-0-end_date")
