"""Searching cases: every filter narrows, pages add up, and nobody finds what they may not see."""
from datetime import date, timedelta

import pytest

from engine import InvalidData
from engine.reading.search import CaseFilter, search_cases
from tests.conftest import bpmn


@pytest.fixture
def cases(campaign_orgs, clock):
    engine = campaign_orgs
    engine.deploy(bpmn("plan_review.bpmn"))
    engine.deploy(bpmn("deadline.bpmn"))
    ids = {}
    ids["zj"] = engine.start_case("plan_review", "zj_staff", {"stage": "planning"}).case_id
    clock.advance(timedelta(days=2))
    ids["hz"] = engine.start_case("plan_review", "hz_staff", {"stage": "planning"}, organisation="hz").case_id
    clock.advance(timedelta(days=2))
    js = engine.start_case("plan_review", "js_staff", {"stage": "planning"})
    ids["js"] = js.case_id
    engine.complete_task(js.tasks[0], "js_staff", {"title": "江苏方案", "budget": 5, "stage": "implementation"})
    return engine, ids


def _search(engine, user, page=1, per_page=50, **filters):
    with engine.db.read() as s:
        found = search_cases(s, engine.actor(user), CaseFilter(**filters), engine.now(), page, per_page)
    return found, [c.id for c in found.cases]


def test_auditor_sees_all_newest_first(cases):
    engine, ids = cases
    found, got = _search(engine, "auditor")
    assert got == [ids["js"], ids["hz"], ids["zj"]] and found.total == 3


def test_scope_is_always_applied(cases):
    engine, ids = cases
    assert _search(engine, "zj_staff")[1] == [ids["hz"], ids["zj"]]
    assert _search(engine, "hz_staff")[1] == [ids["hz"]]
    assert _search(engine, "js_staff", organisation="zj")[1] == []


def test_each_filter_narrows(cases):
    engine, ids = cases
    assert _search(engine, "auditor", organisation="zj")[1] == [ids["hz"], ids["zj"]]
    assert _search(engine, "auditor", organisation="hz")[1] == [ids["hz"]]
    assert _search(engine, "auditor", stage="implementation")[1] == [ids["js"]]
    assert _search(engine, "auditor", process_key="plan_review", version=1)[1] == [ids["js"], ids["hz"], ids["zj"]]
    assert _search(engine, "auditor", version=2)[1] == []
    assert _search(engine, "auditor", process_key="deadline")[1] == []
    assert _search(engine, "auditor", status="running", person="js_staff")[1] == [ids["js"]]
    assert _search(engine, "auditor", person="hz_staff")[1] == [ids["hz"]]
    assert _search(engine, "auditor", status="completed")[1] == []


def test_person_who_acted_but_did_not_start(cases):
    engine, ids = cases
    with engine.db.read() as s:
        from engine.reading.inbox import tasks_for
        task = tasks_for(s, engine.actor("ministry_officer"), case_id=ids["js"])[0]
    engine.complete_task(task.id, "ministry_officer", {"ok": True})
    assert _search(engine, "auditor", person="ministry_officer")[1] == [ids["js"]]


def test_date_range_is_inclusive_days(cases):
    engine, ids = cases
    assert _search(engine, "auditor", started_from=date(2016, 4, 3))[1] == [ids["js"], ids["hz"]]
    assert _search(engine, "auditor", started_to=date(2016, 4, 3))[1] == [ids["hz"], ids["zj"]]
    assert _search(engine, "auditor", started_from=date(2016, 4, 3), started_to=date(2016, 4, 3))[1] == [ids["hz"]]


def test_overdue_means_an_open_task_past_its_due_time(campaign_orgs, clock):
    engine = campaign_orgs
    engine.deploy(bpmn("deadline.bpmn"))
    case_id = engine.start_case("deadline", "zj_staff", {"plan_deadline": "2016-04-20T00:00:00+08:00"}).case_id
    with engine.db.read() as s:
        from engine.reading.inbox import tasks_for
        due = [t.due_at for t in tasks_for(s, engine.actor("system"), case_id=case_id) if t.due_at]
    assert due, "the deadline model's task carries a boundary timer"
    assert _search(engine, "auditor", overdue=True)[1] == []
    clock.advance(due[0] - engine.now() + timedelta(seconds=1))
    assert _search(engine, "auditor", overdue=True)[1] == [case_id]


def test_pages_add_up(cases):
    engine, ids = cases
    first, got1 = _search(engine, "auditor", page=1, per_page=2)
    second, got2 = _search(engine, "auditor", page=2, per_page=2)
    assert first.total == second.total == 3 and first.pages == 2
    assert got1 + got2 == [ids["js"], ids["hz"], ids["zj"]]


def test_bad_filters_are_clear_errors(cases):
    engine, _ids = cases
    with pytest.raises(InvalidData, match="not a date"):
        CaseFilter.from_args({"started_from": "yesterday"})
    with pytest.raises(InvalidData, match="whole number"):
        CaseFilter.from_args({"version": "v2"})
    with pytest.raises(InvalidData, match="No organisation"):
        _search(engine, "auditor", organisation="atlantis")
    flt = CaseFilter.from_args({"organisation": "zj", "overdue": "1", "started_to": "2016-04-30"})
    assert flt.as_args() == {"organisation": "zj", "started_to": "2016-04-30", "overdue": "1"}
