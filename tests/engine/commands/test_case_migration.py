"""Migrating running cases to a newer version: dry run, safe and refused cases, the audit
event, timers that keep their due time, and who may do it."""
from datetime import timedelta

import pytest
from sqlalchemy import select

from engine import Forbidden, NotFound
from engine.case.audit import verify_cases
from engine.storage import AuditEvent, Case, Timer
from tests.engine.models.versions_models import linear

V1 = [("A", "Write"), ("B", "Check")]


def _task(engine, case_id, user="zj_staff"):
    tasks = [t for t in engine.tasks(user) if t.case_id == case_id]
    assert len(tasks) == 1
    return tasks[0]


def _version_of(engine, case_id):
    with engine.db.transaction() as s:
        return s.get(Case, case_id).version.version


@pytest.fixture
def two_cases(campaign_orgs):
    """Case `at_a` waits on A, case `at_b` on B (A done); then v2 renames B and adds C."""
    engine = campaign_orgs
    engine.deploy(linear(V1))
    at_a = engine.start_case("linear", "zj_staff").case_id
    at_b = engine.start_case("linear", "zj_staff").case_id
    engine.complete_task(_task(engine, at_b).id, "zj_staff")
    engine.deploy(linear([("A", "Write"), ("B", "Check it"), ("C", "Approve")]))
    return engine, at_a, at_b


def test_dry_run_reports_each_case_and_writes_nothing(two_cases):
    engine, at_a, at_b = two_cases
    with engine.db.transaction() as s:
        before = {c.id: (c.process_version_id, c.lock_version) for c in s.scalars(select(Case))}
    verdicts = {v.case_id: v for v in engine.migrate_cases("linear", "admin", dry_run=True)}
    assert verdicts[at_a].migratable and not verdicts[at_a].migrated
    assert not verdicts[at_b].migratable
    assert verdicts[at_b].reasons == [
        "'Check' (B) is ready in this case and the new version changed it (flows, name)"]
    assert {"B", "C"} <= set(verdicts[at_a].changed_elements)
    assert str(verdicts[at_a]) == f"case {at_a} v1 -> v2: would migrate"
    with engine.db.transaction() as s:
        after = {c.id: (c.process_version_id, c.lock_version) for c in s.scalars(select(Case))}
        assert after == before
        assert not s.scalars(select(AuditEvent).where(AuditEvent.kind == "case_migrated")).all()


def test_migration_moves_safe_cases_and_leaves_refused_ones(two_cases):
    engine, at_a, at_b = two_cases
    task_before = _task(engine, at_a)
    verdicts = {v.case_id: v for v in engine.migrate_cases("linear", "admin")}
    assert verdicts[at_a].migrated and not verdicts[at_b].migrated
    assert _version_of(engine, at_a) == 2 and _version_of(engine, at_b) == 1
    # The open task row survived the move (same id), and the case runs on the new spec.
    assert _task(engine, at_a).id == task_before.id
    engine.complete_task(task_before.id, "zj_staff")
    assert _task(engine, at_a).name == "Check it"
    engine.complete_task(_task(engine, at_a).id, "zj_staff")
    assert _task(engine, at_a).name == "Approve"
    # The refused case carries on, untouched, on its own version.
    engine.complete_task(_task(engine, at_b).id, "zj_staff")
    with engine.db.transaction() as s:
        assert s.get(Case, at_b).status == "completed"
        event = s.scalars(select(AuditEvent).where(AuditEvent.case_id == at_a,
                                                   AuditEvent.kind == "case_migrated")).one()
        assert event.actor == "admin"
        assert event.detail["from_version"] == 1 and event.detail["to_version"] == 2
        assert {"B", "C"} <= set(event.detail["changed_elements"])
        assert verify_cases(s)[1] == []


def test_task_whose_only_change_is_its_next_step_migrates(campaign_orgs):
    engine = campaign_orgs
    engine.deploy(linear(V1))
    case_id = engine.start_case("linear", "zj_staff").case_id
    engine.complete_task(_task(engine, case_id).id, "zj_staff")  # now at B
    engine.deploy(linear(V1 + [("C", "Approve")]))
    [verdict] = engine.migrate_cases("linear", "admin", case_ids=[case_id])
    assert verdict.migrated, verdict.reasons
    engine.complete_task(_task(engine, case_id).id, "zj_staff")
    assert _task(engine, case_id).name == "Approve"


def test_removed_completed_element_is_refused(campaign_orgs):
    engine = campaign_orgs
    engine.deploy(linear(V1))
    case_id = engine.start_case("linear", "zj_staff").case_id
    engine.complete_task(_task(engine, case_id).id, "zj_staff")
    engine.deploy(linear([("B", "Check")]))
    [verdict] = engine.migrate_cases("linear", "admin", case_ids=[case_id], dry_run=True)
    assert not verdict.migratable
    assert any("(A) is completed" in reason for reason in verdict.reasons), verdict.reasons


def test_waiting_timer_keeps_its_due_time(campaign_orgs, clock):
    engine = campaign_orgs
    engine.deploy(linear(V1, deadline="P3D"))
    case_id = engine.start_case("linear", "zj_staff").case_id
    with engine.db.transaction() as s:
        due = s.scalars(select(Timer).where(Timer.case_id == case_id)).one().due_at
    clock.advance(timedelta(days=1))
    engine.deploy(linear([("A", "Write"), ("B", "Check twice")], deadline="P3D"))
    [verdict] = engine.migrate_cases("linear", "admin", to_version=2)
    assert verdict.migrated, verdict.reasons
    with engine.db.transaction() as s:
        assert s.scalars(select(Timer).where(Timer.case_id == case_id)).one().due_at == due


def test_finished_and_unknown_cases(two_cases):
    engine, at_a, at_b = two_cases
    engine.terminate_case(at_a, "admin", "test")
    [verdict] = engine.migrate_cases("linear", "admin", case_ids=[at_a])
    assert verdict.reasons == ["the case is terminated"] and not verdict.migrated
    with pytest.raises(NotFound):
        engine.migrate_cases("linear", "admin", case_ids=[9999])
    with pytest.raises(NotFound):
        engine.migrate_cases("nope", "admin")


def test_only_process_owners_migrate(two_cases):
    engine, at_a, _at_b = two_cases
    for user in ("zj_staff", "auditor"):
        with pytest.raises(Forbidden):
            engine.migrate_cases("linear", user, dry_run=True)
    assert _version_of(engine, at_a) == 1


CALLER = b"""<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="Defs_caller" targetNamespace="t">
  <bpmn:process id="caller" isExecutable="true">
    <bpmn:startEvent id="Caller_start" />
    <bpmn:sequenceFlow id="C1" sourceRef="Caller_start" targetRef="Call" />
    <bpmn:callActivity id="Call" name="Book the venue" calledElement="called" />
    <bpmn:sequenceFlow id="C2" sourceRef="Call" targetRef="Caller_end" />
    <bpmn:endEvent id="Caller_end" />
  </bpmn:process>
</bpmn:definitions>"""


def _called(tasks):
    ids = ["Called_start"] + [t for t, _ in tasks] + ["Called_end"]
    body = "".join(f'<bpmn:userTask id="{t}" name="{n}" />' for t, n in tasks)
    body += "".join(f'<bpmn:sequenceFlow id="S_{a}" sourceRef="{a}" targetRef="{b}" />' for a, b in zip(ids, ids[1:]))
    return (f'<?xml version="1.0" encoding="UTF-8"?><bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" '
            f'id="Defs_called" targetNamespace="t"><bpmn:process id="called" isExecutable="true">'
            f'<bpmn:startEvent id="Called_start" />{body}<bpmn:endEvent id="Called_end" /></bpmn:process>'
            f'</bpmn:definitions>').encode()


def test_cases_inside_a_called_process(campaign_orgs):
    engine = campaign_orgs
    engine.deploy({"caller.bpmn": CALLER, "called.bpmn": _called([("Book", "Book")])}, key="caller")
    case_id = engine.start_case("caller", "zj_staff").case_id
    assert _task(engine, case_id).element_id == "Book"
    # v2 renames the task the case waits on inside the called process: refused.
    engine.deploy({"caller.bpmn": CALLER, "called.bpmn": _called([("Book", "Book a hall")])}, key="caller")
    [refused] = engine.migrate_cases("caller", "admin", to_version=2, dry_run=True)
    assert refused.reasons == ["'Book' (Book) is ready in this case and the new version changed it (name)"]
    # v3 only adds a step after it: the case moves, and the new step follows.
    engine.deploy({"caller.bpmn": CALLER, "called.bpmn": _called([("Book", "Book"), ("Pay", "Pay")])},
                  key="caller")
    [moved] = engine.migrate_cases("caller", "admin", to_version=3)
    assert moved.migrated, moved.reasons
    assert "Pay" in moved.changed_elements
    engine.complete_task(_task(engine, case_id).id, "zj_staff")
    assert _task(engine, case_id).element_id == "Pay"


def test_reasons_carry_a_code_for_translation(two_cases):
    engine, _at_a, at_b = two_cases
    verdicts = {v.case_id: v for v in engine.migrate_cases("linear", "admin", dry_run=True)}
    [reason] = verdicts[at_b].to_dict()["reasons"]
    assert reason["code"] == "changed"
    assert reason["params"] == {"element": "B", "name": "Check", "state": "ready", "aspects": ["flows", "name"]}
