"""A case's history: timeline with people, organisations and diffs; the path; linked cases;
scoping (a province never reads another's case); exports."""
import csv
import io
import json
from datetime import timedelta

import pytest

from engine import NotFound
from engine.case.audit import chain_hash
from engine.reading.history import case_history, find_files
from engine.reading.reports import case_csv, case_json
from tests.conftest import bpmn


@pytest.fixture
def reviewed(campaign_orgs, clock):
    engine = campaign_orgs
    engine.deploy(bpmn("plan_review.bpmn"))
    started = engine.start_case("plan_review", "zj_staff", {"province": "zj"})
    clock.advance(timedelta(hours=2))
    done = engine.complete_task(started.tasks[0], "zj_staff", {"title": "联动方案", "budget": 900})
    clock.advance(timedelta(hours=1))
    engine.complete_task(done.tasks[0], "ministry_officer", {"ok": True})
    return engine, started.case_id, done.tasks[1]


def _history(engine, user, case_id):
    with engine.db.read() as s:
        return case_history(s, engine.actor(user), case_id)


def test_timeline_names_people_organisations_and_the_diff(reviewed):
    engine, case_id, _open = reviewed
    history = _history(engine, "auditor", case_id)
    kinds = [e.kind for e in history.entries]
    assert kinds == ["case_started", "task_completed", "task_completed"]
    plan = history.entries[1]
    assert (plan.actor, plan.organisation, plan.organisation_name) == ("zj_staff", "zj", "浙江省文化厅")
    assert plan.element_id == "Task_Plan" and plan.task_name == "Write the plan"
    assert ("budget", None, 900) in plan.changes and ("title", None, "联动方案") in plan.changes
    assert plan.at - history.entries[0].at == timedelta(hours=2)
    assert history.entries[2].organisation_name == "文化部公共文化司"


def test_path_counts_and_active_elements(reviewed):
    engine, case_id, open_task = reviewed
    history = _history(engine, "auditor", case_id)
    assert history.path[:2] == ["StartEvent", "Task_Plan"]
    assert {"Gateway_Budget", "Split", "Task_ReviewA"} <= history.completed
    assert "Task_ReviewB" not in history.completed and "EndEvent" not in history.completed
    assert history.active == ["Task_ReviewB"]
    assert [t.id for t in history.open_tasks] == [open_task]
    assert history.repeated == {}
    engine.complete_task(open_task, "ministry_officer", {"ok": True})
    done = _history(engine, "auditor", case_id)
    assert done.active == [] and "EndEvent" in done.completed
    assert done.entries[-1].kind == "case_completed"


def test_an_element_run_twice_is_counted_twice(campaign_orgs):
    engine = campaign_orgs
    engine.deploy(bpmn("script_loop.bpmn"))
    started = engine.start_case("script_loop", "zj_staff", {"target": 3})
    history = _history(engine, "auditor", started.case_id)
    assert history.repeated, history.counts
    assert all(n == history.path.count(e) for e, n in history.counts.items())


def test_parent_and_children_are_linked(reviewed):
    engine, parent_id, _open = reviewed
    child = engine.start_case("plan_review", "zj_staff", {}, parent_case_id=parent_id)
    history = _history(engine, "zj_staff", parent_id)
    assert [c.id for c in history.children] == [child.case_id]
    assert _history(engine, "zj_staff", child.case_id).parent.id == parent_id


def test_a_province_cannot_read_anothers_case(reviewed):
    engine, case_id, _open = reviewed
    with pytest.raises(NotFound):
        _history(engine, "js_staff", case_id)
    assert _history(engine, "zj_staff2", case_id).case.id == case_id
    assert _history(engine, "ministry_officer", case_id).case.id == case_id


def test_files_are_found_with_their_sha256():
    digest = "ab" * 32
    detail = {"submitted": {"photos": [{"name": "a.jpg", "sha256": digest, "size": 12}]},
              "other": {"sha256": "short"}}
    [found] = find_files(detail)
    assert (found.name, found.sha256, found.size) == ("a.jpg", digest, 12)


def test_json_export_carries_a_chain_that_recomputes(reviewed):
    engine, case_id, _open = reviewed
    with engine.db.read() as s:
        doc = json.loads(case_json(s, engine.actor("auditor"), case_id))
    assert doc["case"]["id"] == case_id and len(doc["events"]) == 3
    assert doc["path"][:2] == ["StartEvent", "Task_Plan"]
    prev = "0" * 64
    for event in doc["events"]:
        assert event["prev_hash"] == prev
        prev = event["hash"]
    assert prev == doc["case"]["audit_head"]
    from engine.storage import AuditEvent
    with engine.db.read() as s:
        stored = s.query(AuditEvent).filter_by(case_id=case_id, seq=2).one()
        assert chain_hash(stored.prev_hash, stored, s.info["audit_keys"]) == doc["events"][1]["hash"]
    assert doc["events"][1]["key_id"] == engine.audit_keys.current_id


def test_csv_export_has_one_line_per_event(reviewed):
    engine, case_id, _open = reviewed
    with engine.db.read() as s:
        text = case_csv(s, engine.actor("auditor"), case_id)
    rows = list(csv.DictReader(io.StringIO(text)))
    assert [r["kind"] for r in rows] == ["case_started", "task_completed", "task_completed"]
    assert "budget: ∅ -> 900" in rows[1]["changes"] and rows[1]["organisation_name"] == "浙江省文化厅"
    with engine.db.read() as s, pytest.raises(NotFound):
        case_csv(s, engine.actor("js_staff"), case_id)
