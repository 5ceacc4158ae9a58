"""The campaign dashboard (driven by a definition, not by code) and the heatmap of a version."""
from datetime import timedelta

import pytest

from engine import InvalidData, NotFound
from engine.case.audit import verify_cases
from engine.bench.queries_generate import generate
from engine.reading.dashboard import Definition, campaign_dashboard, heatmap
from engine.reading.history import case_history
from engine.reading.reports import dashboard_csv
from tests.conftest import ROOT, bpmn

DEFINITION = Definition.from_dict({
    "campaign_process": "campaign", "row_process": "province_plan", "activity_process": "activity",
    "stages": [{"id": "deployment"}, {"id": "planning"}, {"id": "implementation"}, {"id": "evaluation"}],
    "columns": [{"id": "plan", "type": "on_time", "done_fact": "plan_submitted", "due_fact": "plan_due"},
                {"id": "grade", "fact": "grade"},
                {"id": "evaluated", "type": "related", "process": "evaluation", "key_fact": "unit", "fact": "grade"}],
    "activity_groups": ["form", "theme"],
    "activity_columns": [{"id": "material", "fact": "material_complete"}],
})


@pytest.fixture
def campaign(campaign_orgs, clock):
    engine = campaign_orgs
    for key in ("campaign", "province_plan", "evaluation"):
        engine.deploy(bpmn("plan_review.bpmn"), key=key)
    engine.deploy(bpmn("deadline.bpmn"), key="activity")
    top = engine.start_case("campaign", "ministry_officer", {"stage": "planning"}).case_id
    zj = engine.start_case("province_plan", "zj_staff", {"stage": "planning", "plan_due": "2016-04-20"},
                           parent_case_id=top)
    js = engine.start_case("province_plan", "js_staff", {"stage": "planning", "plan_due": "2016-04-20"},
                           parent_case_id=top)
    clock.advance(timedelta(days=5))
    engine.complete_task(zj.tasks[0], "zj_staff", {"title": "浙江方案", "budget": 10, "plan_submitted": "2016-04-06",
                                                   "stage": "implementation", "grade": "优秀"})
    clock.advance(timedelta(days=20))
    engine.complete_task(js.tasks[0], "js_staff", {"title": "江苏方案", "budget": 10, "plan_submitted": "2016-04-26"})
    due = "2016-05-01T00:00:00+08:00"
    for form, theme, material in (("讲座", "数字化", True), ("展览", "数字化", False), ("讲座", "标准化", True)):
        engine.start_case("activity", "hz_staff", {"form": form, "theme": theme, "material_complete": material,
                                                   "plan_deadline": due}, organisation="hz", parent_case_id=zj.case_id)
    engine.start_case("evaluation", "ministry_officer", {"unit": "zj", "grade": "excellent"}, parent_case_id=top)
    clock.advance(timedelta(days=10))
    return engine, top, zj.case_id, js.case_id


def _board(engine, user="ministry_officer"):
    with engine.db.read() as s:
        return campaign_dashboard(s, engine.actor(user), DEFINITION, engine.now())


def test_one_row_per_province_with_its_figures(campaign):
    engine, top, _zj, _js = campaign
    board = _board(engine)
    assert board.campaign.id == top
    rows = {r.organisation: r for r in board.rows}
    assert set(rows) == {"zj", "js"}
    assert rows["zj"].stage == "implementation" and rows["zj"].stage_index == 2
    assert [s for s, _at in rows["zj"].stages_reached] == ["planning", "implementation"]
    assert rows["js"].stage == "planning" and rows["js"].stage_index == 1
    assert rows["zj"].values == {"plan": "on_time", "grade": "优秀", "evaluated": "excellent"}
    assert rows["js"].values == {"plan": "late", "grade": None, "evaluated": None}
    assert rows["zj"].activities == 3 and rows["js"].activities == 0
    assert rows["zj"].activity_groups["form"] == {"讲座": 2, "展览": 1}
    assert rows["zj"].activity_groups["theme"] == {"数字化": 2, "标准化": 1}
    assert rows["zj"].activity_values == {"material": 2}
    assert rows["zj"].overdue == 3 and rows["js"].overdue == 0  # the activities' tasks are past due
    assert board.group_values("form") == ["讲座", "展览"]


def test_a_province_sees_only_its_own_row(campaign):
    engine, *_ = campaign
    board = _board(engine, "zj_staff")  # the Ministry's campaign case is not theirs to see
    assert board.campaign is None and [r.organisation for r in board.rows] == ["zj"]
    assert board.rows[0].activities == 3
    assert [r.organisation for r in _board(engine, "hz_staff").rows] == []


def test_dashboard_csv_has_a_line_per_province(campaign):
    engine, *_ = campaign
    text = dashboard_csv(_board(engine))
    lines = text.splitlines()
    assert lines[0].startswith("organisation,organisation_name,case_id,status,stage")
    assert len(lines) == 3 and any(line.startswith("zj,浙江省文化厅") for line in lines)


def test_the_shipped_definition_names_the_shipped_processes():
    import re
    definition = Definition.load(ROOT / "processes" / "dashboard.json")
    shipped = {m for path in (ROOT / "processes").glob("*/*.bpmn")
               for m in re.findall(r'<bpmn:process id="([^"]+)"', path.read_text("utf-8"))}
    named = {definition.row_process, definition.campaign_process, definition.activity_process}
    named |= {c["process"] for c in definition.columns if c.get("type") == "related"}
    assert named <= shipped, named - shipped
    stages = {m for path in (ROOT / "processes").glob("*/*.bpmn")
              for m in re.findall(r"stage = '([a-z_]+)'", path.read_text("utf-8"))}
    assert {s["id"] for s in definition.stages} <= stages
    with pytest.raises(InvalidData):
        Definition.from_dict({"columns": []})


def test_heatmap_counts_cases_per_element_and_median_task_time(campaign):
    engine, _top, zj, _js = campaign
    with engine.db.read() as s:
        from engine.storage import Case
        version_id = s.get(Case, zj).process_version_id
        heat = heatmap(s, engine.actor("auditor"), version_id)
    assert heat.cases == 2
    assert heat.counts["Task_Plan"] == 2 and heat.counts["StartEvent"] == 2
    assert heat.task_counts["Task_Plan"] == 2
    assert heat.median_seconds["Task_Plan"] == timedelta(days=15).total_seconds()  # 5 and 25 days
    with engine.db.read() as s, pytest.raises(NotFound):
        heatmap(s, engine.actor("auditor"), 9999)


def test_generated_benchmark_history_is_what_the_engine_would_write(engine):
    world = generate(engine, 300)
    with engine.db.read() as s:
        checked, breaks = verify_cases(s)
        assert checked == 300 and breaks == []
        history = case_history(s, engine.actor("ministry_auditor1"), 1)
        assert history.path[0] == "StartEvent" and history.entries[0].kind == "case_started"
    assert world.counts["events"] / world.counts["cases"] > 12


def test_coded_values_are_labelled_from_the_calendars():
    from engine.reading.dashboard import calendar_labels
    labels = calendar_labels(ROOT / "processes")
    definition = Definition.load(ROOT / "processes" / "dashboard.json").with_labels(labels)
    assert definition.label("lecture", "zh_CN") == "讲座" and definition.label("lecture", "en") == "Lecture"
    assert definition.label("unknown-code", "zh_CN") == "unknown-code"
