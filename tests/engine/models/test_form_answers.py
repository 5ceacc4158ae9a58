"""Answers that are not answers (issue 13 item 4), refused by the engine for every door:
text of spaces only, cross-field rules beside the schema (run in the sandbox), and partner
cities chosen from the organisations by code. Real database (SQLite and PostgreSQL)."""
import json

import pytest
from sqlalchemy import select

from engine import InvalidData
from engine.models.forms import FormStore
from engine.storage import AuditEvent
from tests.engine.models.answers_models import (activity, campaign_data, one_form_model, plan,
                                                use_campaign_forms)


@pytest.fixture
def plan_task(campaign_orgs):
    """An open task with the province plan form, in a case carrying the calendar's data."""
    engine = campaign_orgs
    use_campaign_forms(engine)
    engine.deploy(one_form_model("province-plan-schema.json"))
    started = engine.start_case("answers", "zj_staff", campaign_data())
    return engine, started.tasks[0]


def submitted(engine, case_id) -> dict:
    """What the completed task stored, as its audit event recorded it."""
    with engine.db.read() as s:
        return s.scalars(select(AuditEvent.detail).where(
            AuditEvent.case_id == case_id, AuditEvent.kind == "task_completed")).one()["submitted"]


def refused(engine, task_id, data) -> InvalidData:
    with pytest.raises(InvalidData) as caught:
        engine.complete_task(task_id, "zj_staff", data)
    assert [t.id for t in engine.tasks("zj_staff")] == [task_id]  # nothing was completed
    return caught.value


def test_a_required_text_of_spaces_is_refused_and_a_real_one_stored_stripped(plan_task):
    engine, task_id = plan_task
    err = refused(engine, task_id, plan(plan_summary=" \t\u3000 "))  # ideographic space too
    assert err.field_errors == {"plan_summary": ["is required"]}
    err = refused(engine, task_id, plan(activities=[activity(venue="   ")]))
    assert err.field_errors == {"activities.0.venue": ["is required"]}
    done = engine.complete_task(task_id, "zj_staff", plan(plan_summary="  浙江方案\n"))
    assert done.status == "completed"
    assert submitted(engine, done.case_id)["plan_summary"] == "浙江方案"


def test_spaces_in_a_conditionally_required_field_are_refused_too(plan_task):
    engine, task_id = plan_task
    err = refused(engine, task_id, plan(host_exchange=True, exchange_host_city="hz",
                                        exchange_theme="digitalisation", exchange_summary="  "))
    assert err.field_errors == {"exchange_summary": ["is required"]}


def test_end_before_start_is_refused_beside_the_end_date_in_both_languages(plan_task):
    engine, task_id = plan_task
    err = refused(engine, task_id, plan(activities=[activity(), activity(end_date="2016-05-30")]))
    assert err.field_errors == {"activities.1.end_date": ["结束日期不能早于开始日期（2016-06-01）。"]}
    assert err.field_errors_en == {
        "activities.1.end_date": ["The end date cannot be before the start date (2016-06-01)."]}


def test_a_budget_over_the_calendars_limit_is_refused(plan_task):
    engine, task_id = plan_task
    err = refused(engine, task_id, plan(activities=[activity(budget=500000)]))
    assert err.field_errors == {"activities.0.budget": ["预算不能超过本次活动规定的限额 200000 元（厉行节约）。"]}
    assert engine.complete_task(task_id, "zj_staff", plan(activities=[activity(budget=200000)]))


def test_the_limit_and_window_come_from_the_case_not_the_form(campaign_orgs):
    """A later campaign's calendar (other dates, another limit) needs no form change."""
    engine = campaign_orgs
    use_campaign_forms(engine)
    engine.deploy(one_form_model("province-plan-schema.json"))
    later = campaign_data()
    later["budget_limit"] = 600000
    later["dates"] = {**later["dates"], "implementation_start": "2027-05-01T09:00:00+08:00",
                      "implementation_end": "2027-09-30T18:00:00+08:00"}
    task_id = engine.start_case("answers", "zj_staff", later).tasks[0]
    err = refused(engine, task_id, plan())  # 2016 dates are outside 2027's window
    assert err.field_errors == {
        "activities.0.start_date": ["活动须在组织实施阶段举办：开始日期不能早于 2027-05-01。"]}
    row = activity(start_date="2027-09-01", end_date="2027-10-02", budget=500000)
    err = refused(engine, task_id, plan(activities=[row]))
    assert err.field_errors_en == {"activities.0.end_date": [
        "Activities take place in the implementation stage: the end date cannot be after 2027-09-30."]}
    row["end_date"] = "2027-09-30"
    assert engine.complete_task(task_id, "zj_staff", plan(activities=[row])).status == "completed"


def test_a_rule_is_not_checked_on_a_field_the_schema_already_refused(plan_task):
    engine, task_id = plan_task
    err = refused(engine, task_id, plan(activities=[activity(end_date="June")]))
    assert list(err.field_errors) == ["activities.0.end_date"]
    assert "date" in err.field_errors["activities.0.end_date"][0]


def test_partner_cities_are_organisation_codes_of_any_province(plan_task):
    engine, task_id = plan_task
    schema = engine.forms.load_for("province-plan-schema.json", campaign_data())
    partners = schema["properties"]["activities"]["items"]["properties"]["partner_cities"]
    assert partners["items"]["oneOf"] == [
        {"const": "nj", "title": "南京市", "x-title-en": "南京市",  # cities only, names shown,
         "x-group": "江苏省文化厅", "x-group-en": "江苏省文化厅"},  # under their province
        {"const": "hz", "title": "杭州市", "x-title-en": "杭州市",
         "x-group": "浙江省文化厅", "x-group-en": "浙江省文化厅"}]
    for wrong in (["南京"], ["zj"], ["nowhere"]):  # free text, a province, an unknown code
        err = refused(engine, task_id, plan(activities=[activity(partner_cities=wrong)]))
        assert list(err.field_errors) == ["activities.0.partner_cities.0"]
    done = engine.complete_task(task_id, "zj_staff", plan(activities=[activity(partner_cities=["nj", "hz"])]))
    assert submitted(engine, done.case_id)["activities"][0]["partner_cities"] == ["nj", "hz"]


def test_every_campaign_form_with_rules_or_choices_loads(campaign_orgs):
    engine = campaign_orgs
    use_campaign_forms(engine)
    with_rules = [p.name for p in engine.forms.directory.glob("*-schema.json")
                  if "x-liandong-rules" in p.read_text("utf-8")]
    assert sorted(with_rules) == ["activity-plan-schema.json", "province-plan-revise-schema.json",
                                  "province-plan-schema.json"]
    for path in engine.forms.directory.glob("*-schema.json"):
        engine.forms.load_for(path.name, campaign_data())


def _form(tmp_path, rules):
    (tmp_path / "f-schema.json").write_text(json.dumps({
        "type": "object", "properties": {"a": {"type": "integer"}, "b": {"type": "integer"}},
        "x-liandong-rules": rules}), "utf-8")


def test_rules_run_in_the_sandbox(engine, tmp_path):
    """A rule is a sandboxed expression: what the sandbox refuses, a form cannot do."""
    store = FormStore(tmp_path, sandbox=engine.script_engine)
    _form(tmp_path, [{"rule": "().__class__.__bases__[0].__subclasses__()", "field": "a",
                      "message": "逃逸"}])
    with pytest.raises(InvalidData, match="rule 1 .* cannot run"):
        store.validate("f-schema.json", {"a": 1, "b": 2})
    _form(tmp_path, [{"rule": "a < b", "field": "b"}])
    with pytest.raises(InvalidData, match="needs 'rule', 'field' and 'message'"):
        store.validate("f-schema.json", {"a": 1, "b": 2})
    _form(tmp_path, [{"rule": "len([x for x in range(a)]) < b", "field": "b", "message": "{b} 太小"}])
    assert store.validate("f-schema.json", {"a": 1, "b": 2}) == {"a": 1, "b": 2}
    with pytest.raises(InvalidData) as caught:
        store.validate("f-schema.json", {"a": 5, "b": 2})
    assert caught.value.field_errors == {"b": ["2 太小"]}
    _form(tmp_path, [{"rule": "a ** a ** a ** a > 0", "field": "a", "message": "太大"}])
    with pytest.raises(InvalidData, match="could not be checked"):
        store.validate("f-schema.json", {"a": 99, "b": 2})


def test_choices_must_name_a_known_list(engine, tmp_path):
    (tmp_path / "f-schema.json").write_text(json.dumps({
        "type": "object", "properties": {"c": {"type": "string", "x-liandong-choices": "users"}}}))
    with pytest.raises(InvalidData, match="must name \"organisations\""):
        FormStore(tmp_path, db=engine.db).load("f-schema.json")
