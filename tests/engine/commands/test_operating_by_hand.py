"""Issue 15, operators: incidents retried or resolved, timers fired now, cases suspended,
resumed and terminated, tasks reassigned and case data edited by hand; each admin-only,
each with its reason on the case's audit trail."""
from dataclasses import replace
from datetime import timedelta

import pytest
from sqlalchemy import select

from engine import Conflict, ExecutionError, Forbidden, InvalidData, NotFound
from engine.case.audit import verify_cases
from engine.people import identity
from engine.storage import AuditEvent, Case, Timer
from tests.conftest import bpmn
from tests.engine.commands.test_repair import MODEL as FAILING

#: Refused: Forbidden, or NotFound for a case the person may not even see.
REFUSED = (Forbidden, NotFound)
NON_ADMINS = ("process_owner", "auditor", "ministry_officer", "zj_staff", "hz_staff", "expert")


@pytest.fixture
def ops(campaign_orgs):
    """Demo data plus a process owner and an expert, and the test models."""
    engine = campaign_orgs
    with engine.db.transaction() as s:
        identity.create_user(s, "process_owner", password="secret-pass", memberships=[("ministry", "process_owner")])
        identity.create_user(s, "expert", password="secret-pass", memberships=[("ministry", "expert")])
    engine.actors.clear()
    engine.deploy(bpmn("plan_review.bpmn"))
    engine.deploy(bpmn("timers/wait.bpmn"))
    engine.deploy({"grading.bpmn": FAILING})
    return engine


def _events(engine, case_id, kind):
    with engine.db.read() as s:
        return list(s.scalars(select(AuditEvent).where(AuditEvent.case_id == case_id, AuditEvent.kind == kind)
                              .order_by(AuditEvent.seq)))


def _case(engine, case_id):
    with engine.db.read() as s:
        return s.get(Case, case_id)


def _timers(engine, case_id):
    with engine.db.read() as s:
        return list(s.scalars(select(Timer).where(Timer.case_id == case_id).order_by(Timer.id)))


def _waiting(engine, clock, days=3):
    return engine.start_case("wait", data={"plan_deadline": (clock.now() + timedelta(days=days)).isoformat(),
                                           "budget_per_city": 10})


def _failed_case(engine):
    started = engine.start_case("grading", "zj_staff")
    with pytest.raises(ExecutionError):
        engine.complete_task(started.tasks[0], "zj_staff", {"score": 80})
    return started


def test_suspend_and_resume_need_a_reason_and_an_admin_and_are_audited(ops, clock):
    engine = ops
    started = _waiting(engine, clock)
    with pytest.raises(InvalidData, match="reason"):
        engine.suspend_case(started.case_id, "admin", "  ")
    for who in NON_ADMINS:
        with pytest.raises(REFUSED):
            engine.suspend_case(started.case_id, who, "no")
    engine.suspend_case(started.case_id, "admin", "省厅要求暂停")
    [event] = _events(engine, started.case_id, "case_suspended")
    assert event.actor == "admin" and event.detail["reason"] == "省厅要求暂停"
    # While suspended the timer does not fire; it fires once the case is resumed.
    clock.advance(timedelta(days=5))
    assert engine.fire_due_timers().fired == 0
    assert _case(engine, started.case_id).status == "suspended"
    for who in NON_ADMINS:
        with pytest.raises(REFUSED):
            engine.resume_case(started.case_id, who, "no")
    engine.resume_case(started.case_id, "admin", "恢复")
    assert _case(engine, started.case_id).status == "completed"
    [resumed] = _events(engine, started.case_id, "case_resumed")
    [fired] = _events(engine, started.case_id, "timer_fired")
    assert resumed.detail["reason"] == "恢复" and fired.element_id == "Wait"
    with engine.db.read() as s:
        assert verify_cases(s, started.case_id)[1] == []


def test_a_suspended_case_takes_no_step(ops):
    engine = ops
    started = engine.start_case("plan_review", "zj_staff")
    engine.suspend_case(started.case_id, "admin", "pause")
    with pytest.raises(Conflict, match="suspended"):
        engine.complete_task(started.tasks[0], "zj_staff", {"title": "ab", "budget": 1})
    with pytest.raises(Conflict, match="suspended"):
        engine.claim_task(started.tasks[0], "zj_staff")
    engine.terminate_case(started.case_id, "admin", "重复的案件")
    assert _case(engine, started.case_id).status == "terminated"
    [event] = _events(engine, started.case_id, "case_terminated")
    assert event.detail["reason"] == "重复的案件"


def test_terminate_is_refused_to_everyone_else(ops):
    engine = ops
    started = engine.start_case("plan_review", "zj_staff")
    for who in NON_ADMINS:
        with pytest.raises(REFUSED):
            engine.terminate_case(started.case_id, who, "no")
    with pytest.raises(InvalidData):
        engine.terminate_case(started.case_id, "admin", "")
    assert _case(engine, started.case_id).status == "running"


def test_fire_a_timer_now_with_a_reason(ops, clock):
    engine = ops
    started = _waiting(engine, clock, days=30)
    [row] = _timers(engine, started.case_id)
    for who in NON_ADMINS:
        with pytest.raises(REFUSED):
            engine.fire_timer_now(row.id, who, "no")
    with pytest.raises(InvalidData):
        engine.fire_timer_now(row.id, "admin", "")
    engine.fire_timer_now(row.id, "admin", "截止日期提前")
    assert _case(engine, started.case_id).status == "completed"
    [now_event] = _events(engine, started.case_id, "timer_fired_now")
    assert now_event.actor == "admin" and now_event.detail["reason"] == "截止日期提前"
    [fired] = _events(engine, started.case_id, "timer_fired")
    assert fired.detail["node"] == "manual:admin"
    [row] = _timers(engine, started.case_id)
    assert row.status == "fired" and row.claimed_by == "manual:admin"
    with pytest.raises(Conflict):
        engine.fire_timer_now(row.id, "admin", "again")
    listed = engine.timer_list("admin", "fired")
    assert [r.id for r in listed.rows] == [row.id] and listed.rows[0].node == "manual:admin"
    assert listed.names[row.id] == "Wait for the deadline"


def test_timer_lists_filter_and_refuse_non_admins(ops, clock):
    engine = ops
    a = _waiting(engine, clock, days=1)
    b = _waiting(engine, clock, days=2)
    clock.advance(timedelta(hours=30))
    page = engine.timer_list("admin", "pending")
    assert [r.case_id for r in page.rows] == [a.case_id, b.case_id]
    assert page.rows[0].late_seconds == pytest.approx(6 * 3600)
    assert page.rows[1].late_seconds == 0
    assert [r.case_id for r in engine.timer_list("admin", "pending", search=str(b.case_id)).rows] == [b.case_id]
    assert engine.timer_list("admin", "pending", process_key="plan_review").total == 0
    assert engine.timer_list("admin", "pending", per_page=1, page=2).rows[0].case_id == b.case_id
    with pytest.raises(InvalidData):
        engine.timer_list("admin", "nonsense")
    for who in NON_ADMINS:
        with pytest.raises(REFUSED):
            engine.timer_list(who)
        with pytest.raises(REFUSED):
            engine.incidents(who)


def test_a_failed_step_is_an_incident_resolved_with_a_comment(ops):
    engine = ops
    started = _failed_case(engine)
    found = engine.incidents("admin")
    [row] = found.rows
    assert row.key == f"case-{started.case_id}" and row.element_id == "Script_Grade"
    assert row.attempts == 1 and "activities_held" in row.message
    assert engine.incidents("admin", process_key="plan_review").total == 0
    assert engine.incidents("admin", organisation="js").total == 0
    assert engine.incidents("admin", organisation="zj").total == 1
    assert engine.incidents("admin", search="activities_held").total == 1
    for who in NON_ADMINS:
        with pytest.raises(REFUSED):
            engine.resolve_incident(who, row.key, "no")
    with pytest.raises(InvalidData):
        engine.resolve_incident("admin", row.key, " ")
    engine.resolve_incident("admin", row.key, "与省厅电话确认，放弃评分")
    assert engine.incidents("admin").total == 0
    assert _case(engine, started.case_id).last_error is None
    [event] = _events(engine, started.case_id, "incident_resolved")
    assert event.actor == "admin" and event.detail["reason"] == "与省厅电话确认，放弃评分"
    assert "activities_held" in event.detail["error"]


def test_retry_several_incidents_after_fixing_the_data(ops):
    engine = ops
    one, two = _failed_case(engine), _failed_case(engine)
    keys = [r.key for r in engine.incidents("admin").rows]
    assert keys == [f"case-{one.case_id}", f"case-{two.case_id}"]
    for who in NON_ADMINS:
        with pytest.raises(REFUSED):
            engine.retry_incidents(who, keys, "no")
    engine.edit_case_data(one.case_id, "admin", {"activities_held": 2}, "补报")
    outcomes = engine.retry_incidents("admin", keys, "数据已更正")
    assert outcomes[keys[0]] == "running"
    assert outcomes[keys[1]].startswith("failed:") and "activities_held" in outcomes[keys[1]]
    assert [r.key for r in engine.incidents("admin").rows] == [keys[1]]
    assert engine.incidents("admin").rows[0].attempts == 2
    [done] = _events(engine, one.case_id, "task_completed")
    assert done.detail["reason"] == "数据已更正" and done.detail["retried"] is True


def test_a_timer_incident_is_retried_with_its_comment_on_the_trail(ops, clock):
    engine = ops
    engine.settings = replace(engine.settings, timer_retries=1)
    started = engine.start_case("wait", data={"plan_deadline": (clock.now() + timedelta(days=1)).isoformat()})
    clock.advance(timedelta(days=2))
    assert engine.fire_due_timers().failed == 1  # budget_per_city is missing
    [row] = engine.incidents("admin").rows
    assert row.kind == "timer" and row.attempts == 1 and row.case_id == started.case_id
    with pytest.raises(REFUSED):
        engine.retry_incidents("zj_staff", [row.key], "no")
    engine.edit_case_data(started.case_id, "admin", {"budget_per_city": 5}, "补上预算")
    assert engine.retry_incidents("admin", [row.key], "已补数据") == {row.key: "fired"}
    assert _case(engine, started.case_id).status == "completed"
    [event] = _events(engine, started.case_id, "incident_retried")
    assert event.detail["reason"] == "已补数据" and event.detail["incident"] == row.key
    assert engine.incidents("admin").total == 0


def test_a_refused_timer_retry_leaves_nothing_on_the_trail(ops, clock):
    """The retry is one transaction: refused (the incident was resolved meanwhile), it writes
    no `incident_retried` event and leaves the timer as it was."""
    engine = ops
    engine.settings = replace(engine.settings, timer_retries=1)
    started = engine.start_case("wait", data={"plan_deadline": (clock.now() + timedelta(days=1)).isoformat()})
    clock.advance(timedelta(days=2))
    assert engine.fire_due_timers().failed == 1
    [row] = engine.incidents("admin").rows
    engine.resolve_incident("admin", row.key, "放弃")
    outcome = engine.retry_incidents("admin", [row.key], "再试一次")
    assert outcome[row.key].startswith("failed:") and "already resolved" in outcome[row.key]
    assert _events(engine, started.case_id, "incident_retried") == []
    assert engine.timer_list("admin", "failed").total == 1


def test_reassign_only_to_someone_holding_the_lanes_role(ops):
    engine = ops
    started = engine.start_case("plan_review", "zj_staff")
    task = started.tasks[0]
    for who in NON_ADMINS:
        with pytest.raises(REFUSED):
            engine.reassign_task(task, who, "zj_staff2", "no")
    with pytest.raises(InvalidData, match="js_staff"):  # a province officer, but of another province
        engine.reassign_task(task, "admin", "js_staff", "wrong province")
    with pytest.raises(InvalidData, match="ministry_officer"):
        engine.reassign_task(task, "admin", "ministry_officer", "wrong role")
    with pytest.raises(InvalidData, match="nobody"):
        engine.reassign_task(task, "admin", "nobody", "no such person")
    engine.reassign_task(task, "admin", "zj_staff2", "王丽休假")
    [event] = _events(engine, started.case_id, "task_reassigned")
    assert event.detail == {"task": event.detail["task"], "previous": None, "assignee": "zj_staff2",
                            "reason": "王丽休假"}
    assert [t.id for t in engine.tasks("zj_staff2")] == [task]


def test_edit_data_is_checked_against_the_forms_and_diffed_first(ops):
    engine = ops
    started = engine.start_case("plan_review", "zj_staff")
    done = engine.complete_task(started.tasks[0], "zj_staff", {"title": "原方案", "budget": 9})
    case_id = done.case_id
    before = engine.case_data(case_id, "admin")
    assert before["budget"] == 9
    with pytest.raises(InvalidData) as refused:
        engine.plan_case_data(case_id, "admin", {**before, "budget": "很多"})
    assert "budget" in str(refused.value) and "budget" in refused.value.field_errors
    with pytest.raises(InvalidData):
        engine.replace_case_data(case_id, "admin", {**before, "budget": "很多"}, "typo")
    for who in NON_ADMINS:
        with pytest.raises(REFUSED):
            engine.plan_case_data(case_id, who, before)
        with pytest.raises(REFUSED):
            engine.replace_case_data(case_id, who, before, "no")
    new = {k: v for k, v in before.items() if k != "title"}
    new.update(budget=12, note="备注")
    plan = engine.plan_case_data(case_id, "admin", new)
    assert plan.diff == {"budget": [9, 12], "note": [None, "备注"], "title": ["原方案", None]}
    assert engine.case_data(case_id, "admin") == before  # nothing written yet
    changed = engine.replace_case_data(case_id, "admin", new, "预算调整")
    assert changed == plan.diff
    assert engine.case_data(case_id, "admin") == new
    [event] = _events(engine, case_id, "case_data_edited")
    assert event.detail["reason"] == "预算调整" and event.detail["changes"] == plan.diff
    with pytest.raises(InvalidData, match="JSON object"):
        engine.plan_case_data(case_id, "admin", ["not", "an", "object"])


def test_cases_filter_by_failed_and_with_an_error(ops):
    from engine.reading.search import CaseFilter, search_cases
    engine = ops
    failed = _failed_case(engine)
    fine = engine.start_case("plan_review", "zj_staff")
    actor = engine.actor("admin")
    with engine.db.read() as s:
        def ids(**args):
            return [c.id for c in search_cases(s, actor, CaseFilter.from_args(args), engine.now()).cases]
        assert ids(status="failed") == [failed.case_id]
        assert ids(has_error="1") == [failed.case_id]
        assert set(ids(status="running")) == {failed.case_id, fine.case_id}


def test_an_edit_shown_on_older_data_is_not_saved(ops):
    engine = ops
    started = engine.start_case("plan_review", "zj_staff")
    case_id = engine.complete_task(started.tasks[0], "zj_staff", {"title": "原方案", "budget": 9}).case_id
    plan = engine.plan_case_data(case_id, "admin", {"title": "原方案", "budget": 10})
    engine.edit_case_data(case_id, "admin", {"budget": 11}, "someone else first")
    with pytest.raises(Conflict, match="changed since"):
        engine.replace_case_data(case_id, "admin", {"title": "原方案", "budget": 10}, "late", base=plan.base)
    assert engine.case_data(case_id, "admin")["budget"] == 11


def test_a_timer_fired_early_keeps_its_due_time(ops, clock):
    engine = ops
    started = _waiting(engine, clock, days=30)
    [row] = _timers(engine, started.case_id)
    due = row.due_at
    engine.fire_timer_now(row.id, "admin", "提前")
    [row] = _timers(engine, started.case_id)
    assert row.due_at == due and row.fired_at == clock.now()
    [event] = _events(engine, started.case_id, "timer_fired_now")
    assert event.detail["was_due"] == due.isoformat()
    assert engine.timer_list("admin", "fired").rows[0].late_seconds == 0
