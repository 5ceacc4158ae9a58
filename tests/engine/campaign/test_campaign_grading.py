"""The evaluation: the DMN table's rules, and where each result is recorded."""
import pytest

from tests.engine.campaign import campaign_support

campaign_engine, driver = campaign_support.campaign_engine, campaign_support.driver

GOOD = {"plan_on_time": True, "activities_held": 3, "material_complete": True, "self_score": 90}


@pytest.mark.parametrize("facts, expert_score, grade, points", [
    (GOOD, 92, "excellent", 4),                                      # every condition met
    ({**GOOD, "activities_held": 0}, 99, "fail", 0),                 # nothing held fails first
    ({**GOOD, "self_score": 50}, 55, "fail", 1),                     # experts below 60
    ({**GOOD, "self_score": 99}, 75, "pass", 2),                     # self-evaluation 24 above experts
    ({**GOOD, "plan_on_time": False}, 92, "good", 3),                # late plan: not excellent
    ({**GOOD, "activities_held": 1}, 92, "good", 3),                 # one activity: not excellent
    ({**GOOD, "material_complete": False}, 92, "pass", 2),           # material missing: at most pass
    ({**GOOD, "self_score": 70}, 70, "pass", 2),                     # otherwise
])
def test_grading_rules(driver, facts, expert_score, grade, points):
    d = driver
    d.engine.start_case("evaluation", "system", {  # as the campaign starts it
        "unit": "zj", "unit_kind": "province", "batch": 0, "exchange_score": None, **facts},
        organisation="ministry", by_hand=False)
    d.complete("Task_ExpertScore", "expert", {"expert_score": expert_score})
    case = d.case("evaluation")
    assert (case.facts["grade"], case.facts["points"]) == (grade, points)


@pytest.mark.parametrize("unit, kind, batch, use", [
    ("zj-jiaxing", "city", 1, "dynamic_management"),
    ("zj-ningbo", "city", 2, "dynamic_management"),
    ("zj-hangzhou", "city", 3, "acceptance_review"),
    ("zj", "province", 0, "provincial_record"),
])
def test_result_is_recorded_for_its_use(driver, unit, kind, batch, use):
    d = driver
    d.engine.start_case("evaluation", "system", {  # as the campaign starts it
        "unit": unit, "unit_kind": kind, "batch": batch, "exchange_score": None, **GOOD},
        organisation="ministry", by_hand=False)
    d.complete("Task_ExpertScore", "expert", {"expert_score": 88})
    assert [t.element_id for t in d.engine.tasks("ministry_officer")] == ["Task_Confirm"]
    d.complete("Task_Confirm", "ministry_officer", {"confirmed": True})
    case = d.case("evaluation")
    assert case.status == "completed" and case.facts["use"] == use
