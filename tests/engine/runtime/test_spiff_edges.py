"""The known sharp edges of SpiffWorkflow 3.x, each handled by the engine."""
from datetime import datetime, timedelta, timezone

from SpiffWorkflow.bpmn.specs.event_definitions import timer as spiff_timer

from engine.storage import Case
from tests.conftest import bpmn


def test_loop_past_a_thousand_iterations_does_not_end_the_case(campaign_orgs):
    """TaskIterator's max_depth of 1000 would end this case silently after ~500 passes."""
    engine = campaign_orgs
    engine.deploy(bpmn("script_loop.bpmn"))
    started = engine.start_case("script_loop", "zj_staff", {"target": 600})
    assert started.status == "running" and len(started.tasks) == 1
    with engine.db.transaction() as s:
        assert s.get(Case, started.case_id).facts["counter"] == 600
    done = engine.complete_task(started.tasks[0], "zj_staff", {})
    assert done.status == "completed"


def test_script_engine_is_restored_after_every_load(campaign_orgs):
    """SpiffWorkflow does not serialize the script engine; a reloaded case still runs in
    the sandbox (its refusal message proves which engine ran)."""
    engine = campaign_orgs
    engine.deploy(bpmn("script_task.bpmn"))
    started = engine.start_case("script_task", "zj_staff")
    done = engine.complete_task(started.tasks[0], "zj_staff", {"total": 5})
    with engine.db.transaction() as s:
        from engine.runtime import workflow as runtime
        case = s.get(Case, started.case_id)
        workflow = runtime.load(case.state, engine.specs.get(s, case.process_version_id),
                                engine.script_engine)
    assert workflow.script_engine is engine.script_engine
    assert done.status == "running"


def test_naive_timer_dates_use_the_configured_zone_not_the_hosts(campaign_orgs):
    """A naive '2016-04-20T00:00:00' is midnight in Asia/Shanghai: 16:00 UTC the day before,
    whatever offset the host had when SpiffWorkflow was imported."""
    parsed = spiff_timer.TimerEventDefinition.get_datetime("2016-04-20T00:00:00")
    assert parsed == datetime(2016, 4, 19, 16, 0, tzinfo=timezone.utc)


def test_overdue_timer_fires_on_the_next_scheduler_tick(campaign_orgs, clock):
    """An overdue timer needs a refresh of waiting tasks before the engine steps; the
    scheduler's firing command does both and records the firing."""
    engine = campaign_orgs
    engine.deploy(bpmn("deadline.bpmn"))
    deadline = clock.now() + timedelta(days=19)
    started = engine.start_case("deadline", "zj_staff", {"plan_deadline": deadline.isoformat()})
    [submit] = engine.tasks("zj_staff")
    assert submit.due_at == deadline
    clock.advance(timedelta(days=20))
    assert engine.fire_due_timers().fired == 1
    [escalate] = engine.tasks("zj_staff")
    assert escalate.element_id == "Escalate" and escalate.case_id == started.case_id
