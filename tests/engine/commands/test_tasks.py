"""Case commands through the Engine on both databases: start, complete, claim, access."""
import pytest
from sqlalchemy import select

from engine import Conflict, Forbidden, InvalidData, NotFound
from engine.storage import AuditEvent, Case, CaseTask
from tests.conftest import bpmn, province_started_model


@pytest.fixture
def deployed(campaign_orgs):
    campaign_orgs.deploy(bpmn("plan_review.bpmn"))
    return campaign_orgs


def _case(engine, case_id):
    with engine.db.transaction() as s:
        return s.get(Case, case_id)


def test_a_case_runs_from_start_to_end_through_lanes(deployed):
    started = deployed.start_case("plan_review", "zj_staff", {"province": "zj"})
    [plan] = deployed.tasks("zj_staff")
    assert (plan.id, plan.lane, plan.form_schema) == (started.tasks[0], "province", "plan-schema.json")
    assert plan.instructions.startswith("Write the **plan**")
    assert deployed.tasks("js_staff") == []  # another province's lane role does not reach it
    assert deployed.tasks("ministry_officer") == []

    done = deployed.complete_task(plan.id, "zj_staff", {"title": "联动方案", "budget": 5000})
    reviews = deployed.tasks("ministry_officer")  # the Ministry is above the province
    assert {t.id for t in reviews} == set(done.tasks) and len(reviews) == 2
    for task in reviews:
        last = deployed.complete_task(task.id, "ministry_officer", {"ok": True})
    assert last.status == "completed"
    case = _case(deployed, started.case_id)
    assert case.status == "completed" and case.ended_at is not None
    assert case.facts["title"] == "联动方案" and case.facts["budget"] == 5000
    with deployed.db.transaction() as s:
        kinds = s.scalars(select(AuditEvent.kind).where(AuditEvent.case_id == case.id)
                          .order_by(AuditEvent.seq)).all()
        rows = s.scalars(select(CaseTask).where(CaseTask.case_id == case.id)).all()
    assert kinds == ["case_started", "task_completed", "task_completed", "task_completed",
                     "case_completed"]
    assert {r.state for r in rows} == {"completed"} and {r.completed_by for r in rows} == {
        "zj_staff", "ministry_officer"}


def test_completed_case_survives_reload_of_every_state(deployed):
    """Each stored state loads again (SpiffWorkflow's save-and-restore check)."""
    from engine.runtime import workflow as runtime
    started = deployed.start_case("plan_review", "zj_staff")
    deployed.complete_task(started.tasks[0], "zj_staff", {"title": "ab", "budget": 1})
    with deployed.db.transaction() as s:
        case = s.get(Case, started.case_id)
        bundle = deployed.specs.get(s, case.process_version_id)
        workflow = runtime.load(case.state, bundle, deployed.script_engine)
    assert {t.task_spec.bpmn_id for t in runtime.human_tasks(workflow)} == {"Task_ReviewA", "Task_ReviewB"}


def test_form_errors_name_each_field_and_change_nothing(deployed):
    started = deployed.start_case("plan_review", "zj_staff")
    with pytest.raises(InvalidData) as err:
        deployed.complete_task(started.tasks[0], "zj_staff",
                               {"title": "x", "budget": -5, "partners": [{"name": "?"}]})
    assert set(err.value.field_errors) == {"title", "budget", "partners.0.city"}
    case = _case(deployed, started.case_id)
    assert case.audit_seq == 1 and [t.id for t in deployed.tasks("zj_staff")] == list(started.tasks)


def test_another_provinces_user_cannot_see_or_complete(deployed):
    started = deployed.start_case("plan_review", "zj_staff")
    with pytest.raises(NotFound):
        deployed.complete_task(started.tasks[0], "js_staff", {"title": "ab", "budget": 1})
    with pytest.raises(NotFound):
        deployed.claim_task(started.tasks[0], "js_staff")


def test_auditor_changes_nothing(deployed):
    started = deployed.start_case("plan_review", "zj_staff")
    with pytest.raises(Forbidden):
        deployed.complete_task(started.tasks[0], "auditor", {"title": "ab", "budget": 1})
    with pytest.raises(Forbidden):
        deployed.start_case("plan_review", "auditor")


def test_claim_keeps_others_out_until_unclaimed(deployed):
    started = deployed.start_case("plan_review", "zj_staff")
    task_id = started.tasks[0]
    deployed.claim_task(task_id, "zj_staff2")
    assert deployed.tasks("zj_staff") == []
    with pytest.raises(Conflict, match="claimed by zj_staff2"):
        deployed.complete_task(task_id, "zj_staff", {"title": "ab", "budget": 1})
    deployed.unclaim_task(task_id, "zj_staff2")
    deployed.complete_task(task_id, "zj_staff", {"title": "ab", "budget": 1})
    with pytest.raises(Conflict, match="already completed by zj_staff"):
        deployed.complete_task(task_id, "zj_staff2", {"title": "ab", "budget": 1})


def test_unknown_things_are_not_found(deployed):
    with pytest.raises(NotFound):
        deployed.start_case("no_such_process", "zj_staff")
    with pytest.raises(NotFound):
        deployed.complete_task("00000000-0000-0000-0000-000000000000", "zj_staff", {})
    with pytest.raises(InvalidData):
        deployed.complete_task("x", "zj_staff", ["not", "an", "object"])


def test_suspend_resume_terminate(deployed):
    started = deployed.start_case("plan_review", "zj_staff")
    deployed.suspend_case(started.case_id, "admin", "waiting for budget")
    with pytest.raises(Conflict, match="suspended"):
        deployed.complete_task(started.tasks[0], "zj_staff", {"title": "ab", "budget": 1})
    deployed.resume_case(started.case_id, "admin", "budget came")
    deployed.terminate_case(started.case_id, "admin", "duplicate case")
    case = _case(deployed, started.case_id)
    assert case.status == "terminated"
    assert deployed.tasks("zj_staff") == []
    with pytest.raises(Conflict):
        deployed.terminate_case(started.case_id, "admin", "again")
    with pytest.raises(Forbidden):
        deployed.suspend_case(started.case_id, "auditor", "audit")


def test_the_lane_of_the_start_event_says_who_may_start(campaign_orgs):
    engine = campaign_orgs
    engine.deploy(province_started_model())
    assert engine.start_case("province_review", "zj_staff").tasks
    for user in ("admin", "system"):
        engine.start_case("province_review", user, organisation="zj")
    for user in ("hz_staff", "ministry_officer"):  # a city role in the province; another role
        with pytest.raises(Forbidden, match=f"'{user}' may not start 'province_review'.*province"):
            engine.start_case("province_review", user)
    with pytest.raises(Forbidden, match="Auditors"):
        engine.start_case("province_review", "auditor")
    engine.deploy(bpmn("plan_review.bpmn"))  # a start event in no lane: anyone but auditors
    assert engine.start_case("plan_review", "hz_staff").tasks
    with engine.db.transaction() as s:
        started_by = sorted(s.scalars(select(Case.started_by)).all())
    assert started_by == ["admin", "hz_staff", "system", "zj_staff"]
