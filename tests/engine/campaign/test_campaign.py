"""The campaign's models through the engine: one province's stages, each path."""
from datetime import timedelta

import pytest
from sqlalchemy import select

from engine import Forbidden, InvalidData, NotFound
from engine.storage import AuditEvent, Case, CaseTask, Notification, Timer

from tests.engine.campaign import campaign_support
from tests.engine.campaign.campaign_support import activity, plan

campaign_engine, driver = campaign_support.campaign_engine, campaign_support.driver


def _approve(d):
    d.complete("Task_ReviewPlan", "ministry_officer", {"plan_decision": "approve"})


def test_plan_on_time_starts_the_activities(driver):
    d = driver
    d.start()
    province = d.case("province")
    assert province.organisation.code == "zj" and province.parent_case_id == d.case("campaign").id
    # the deadline the task answers to is the calendar's, not a date in code
    submit = d.open("Task_SubmitPlan")[0]
    assert submit.lane == "province" and submit.due_at == d.dates["plan_deadline"] - timedelta(days=5)  # the reminder comes first
    d.clock.set(d.dates["plan_deadline"] - timedelta(days=9))
    d.complete("Task_SubmitPlan", "zj_staff", plan(activity(), activity("图书馆联盟", form="alliance") | {"agreement": "协议"}))
    assert d.case("province").facts["plan_on_time"] is True
    with pytest.raises((Forbidden, NotFound)):
        d.engine.complete_task(d.open("Task_ReviewPlan")[0].id, "zj_staff", {"plan_decision": "approve"})
    _approve(d)
    first, second = d.case("activity", "zj-1"), d.case("activity", "zj-2")
    assert first.organisation.code == "zj-hangzhou" and first.parent_case_id == d.case("province").id
    assert second.facts["form"] == "alliance"
    assert [t.case_id for t in d.engine.tasks("hz_staff")] == [first.id, second.id]
    d.at(d.dates["plan_deadline"])
    assert d.open("Task_UrgePlan") == []  # on time: nobody escalates


def test_late_plan_is_reminded_then_escalated_to_the_ministry(driver):
    d = driver
    d.start()
    d.at(d.dates["plan_deadline"] - timedelta(days=5))
    province = d.case("province")
    with d.engine.db.read() as s:
        fired = s.scalars(select(AuditEvent.element_id).where(AuditEvent.case_id == province.id,
                                                              AuditEvent.kind == "timer_fired")).all()
    assert "Timer_PlanReminder" in fired
    assert d.open("Task_UrgePlan") == []
    d.at(d.dates["plan_deadline"])
    urge = d.open("Task_UrgePlan")
    assert len(urge) == 1 and urge[0].lane == "ministry" and urge[0].case_id == province.id
    assert [t.element_id for t in d.engine.tasks("ministry_officer", case_id=province.id)] == ["Task_UrgePlan"]
    with d.engine.db.read() as s:  # the reminder reached the province, the lateness the Ministry
        told = sorted((n.element_id, n.username) for n in s.scalars(
            select(Notification).where(Notification.case_id == province.id)))
    assert told == [("Timer_PlanLate", "ministry_officer"), ("Timer_PlanReminder", "zj_staff")]
    assert "Task_UrgePlan" not in [t.element_id for t in d.engine.tasks("zj_staff")]
    d.complete("Task_UrgePlan", "ministry_officer", {"urge_note": "电话督促"})
    d.clock.set(d.dates["plan_deadline"] + timedelta(days=2))
    d.complete("Task_SubmitPlan", "zj_staff", plan())  # the task stayed open: late, not lost
    assert d.case("province").facts["plan_on_time"] is False


def test_plan_returned_for_revision(driver):
    d = driver
    d.start()
    d.complete("Task_SubmitPlan", "zj_staff", plan())
    with pytest.raises(InvalidData) as err:  # returning needs the reason
        d.complete("Task_ReviewPlan", "ministry_officer", {"plan_decision": "return"})
    assert "review_comments" in err.value.field_errors
    d.complete("Task_ReviewPlan", "ministry_officer", {"plan_decision": "return", "review_comments": "请补充跨省项目"})
    assert d.case("activity") is None
    d.complete("Task_RevisePlan", "zj_staff", {"revision_note": "已补充", "plan_summary": "修改稿",
                                               "activities": [activity(), activity("跨省讲座", form="lecture")]})
    _approve(d)
    assert d.case("province").facts["plan_returned"] == 1
    with d.engine.db.read() as s:
        assert s.query(Case).filter_by(process_key="activity").count() == 2


def _to_activity(d, budget):
    d.start()
    d.complete("Task_SubmitPlan", "zj_staff", plan(activity()))  # the plan keeps to the limit;
    _approve(d)                                                    # the city's own plan may not
    d.clock.set(d.dates["implementation_start"])
    d.complete("Task_PlanActivity", "hz_staff", {k: v for k, v in activity(budget=budget).items() if k != "host_city"})


def test_activity_over_budget_needs_the_provinces_approval(driver):
    d = driver
    _to_activity(d, d.calendar["budget_limit"] + 1)
    approval = d.open("Task_ApproveBudget")
    assert len(approval) == 1 and approval[0].lane == "province"
    with pytest.raises((Forbidden, NotFound)):  # the city cannot approve its own budget
        d.engine.complete_task(approval[0].id, "hz_staff", {"budget_decision": "approve"})
    d.complete("Task_ApproveBudget", "zj_staff", {"budget_decision": "reject", "budget_comments": "压缩"})
    d.complete("Task_PlanActivity", "hz_staff", {k: v for k, v in activity(budget=90000).items() if k != "host_city"})
    assert d.open("Task_ApproveBudget") == [] and len(d.open("Task_Prepare")) == 1


def test_activity_under_budget_goes_straight_to_preparation(driver):
    d = driver
    _to_activity(d, 1000)
    assert d.open("Task_ApproveBudget") == [] and len(d.open("Task_Prepare")) == 1


def _hold(d):
    d.complete("Task_Prepare", "hz_staff", {"staff_ready": True, "funds_ready": True, "materials_ready": True})
    d.complete("Task_Hold", "hz_staff", {"held_on": "2016-06-10", "participants": 500})
    d.complete("Task_Publicity", "hz_staff", {"reports": [{"medium": "tv", "title": "联动展演"}]})


def test_material_on_time_completes_the_activity_and_tells_the_province(driver):
    d = driver
    _to_activity(d, 1000)
    _hold(d)
    d.complete("Task_SubmitMaterial", "hz_staff", {"summary": "总结", "programme_sheet": "p.pdf",
                                                   "photos": ["a.jpg"], "video": "v.mp4"})
    done = d.case("activity")
    assert done.status == "completed" and done.facts["material_complete"] is True
    assert d.case("province").facts.get("stage") == "implementation"
    # the province is at its progress report; the completion waits for it, then arrives
    d.complete("Task_Progress", "zj_staff", {"progress": "进展顺利"})
    with d.engine.db.read() as s:
        timer = s.scalar(select(Timer).where(Timer.element_id == "Timer_ImplementationEnd",
                                             Timer.case_id == d.case("province").id))
    assert timer is not None  # all activities back: waiting for the end of implementation


def test_material_missing_at_the_deadline_closes_the_activity(driver):
    d = driver
    _to_activity(d, 1000)
    _hold(d)
    submit = d.open("Task_SubmitMaterial")[0]
    deadline = d.dates["plan_deadline"].fromisoformat("2016-06-12T18:00:00+08:00") + timedelta(
        days=d.calendar["material_days_after_activity"])
    assert submit.due_at == deadline
    d.at(deadline)
    done = d.case("activity")
    assert done.status == "completed"
    assert done.facts["material_complete"] is False and done.facts["material_late"] is True
    with d.engine.db.read() as s:
        assert s.get(CaseTask, submit.id).state == "cancelled"


def test_exchange_is_scored_by_the_expert_committee(driver):
    d = driver
    d.start()
    d.complete("Task_SubmitPlan", "zj_staff", plan(host_exchange=True))
    d.at(d.dates["implementation_start"])
    approve = d.open("Task_ApproveExchanges")
    assert len(approve) == 1
    d.complete("Task_ApproveExchanges", "ministry_officer", {"approved": [
        {"province": "zj", "host_city": "zj-hangzhou", "theme": "digitalisation"}]})
    exchange = d.case("exchange")
    assert exchange.organisation.code == "ministry" and exchange.business_key == "exchange-zj-hangzhou"
    d.complete("Task_Organise", "ministry_officer", {"held_on": "2016-06-01", "venue": "杭州",
                                                     "listen_summary": "听", "visit_summary": "看"})
    review = d.open("Task_ExpertReview")[0]
    assert review.lane == "expert"
    with pytest.raises((Forbidden, NotFound)):
        d.engine.complete_task(review.id, "zj_staff", {"comments": "好", "score": 90})
    d.engine.complete_task(review.id, "expert", {"comments": "可推广", "score": 91})
    assert d.case("exchange").status == "completed"
    with d.engine.db.read() as s:
        national = s.scalar(select(Case).where(Case.process_key == "campaign"))
        received = s.scalars(select(AuditEvent.detail).where(AuditEvent.case_id == national.id,
                                                             AuditEvent.kind == "message_received")).all()
    assert [r["message"] for r in received] == ["exchange_application", "exchange_done"]
