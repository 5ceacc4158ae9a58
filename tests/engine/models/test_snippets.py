"""Live checks of the modeler (engine.models.snippets) and what its panel offers to choose
from (engine.models.choices): the sandbox's compile and SpiffWorkflow's timer parser, the
deployed processes, decisions and roles, on both databases."""
from datetime import datetime, timedelta, timezone

import pytest

from engine.errors import InvalidData
from engine.models.snippets import check_text, check_texts
from tests.conftest import ROOT, bpmn

NOW = datetime(2016, 4, 1, 8, 0, tzinfo=timezone.utc)


@pytest.mark.parametrize("kind, text, error", [
    ("expression", "budget > 50000", None),
    ("expression", "budget >", "Script syntax error"),
    ("expression", "", "empty"),
    ("script", "total = sum([1, 2])\nok = total > 2", None),
    ("script", "import os", "import"),
    ("script", "x = 1\ny = x +", "Script syntax error"),
    ("timeDuration", "P3X", "not an ISO 8601 duration"),
    ("timeDuration", "deadline", None),
    ("timeCycle", "R3/PT1H", None),
])
def test_texts_pass_or_fail_as_the_deploy_checks_would(kind, text, error):
    result = check_text(kind, text, NOW)
    if error is None:
        assert result.error is None
    else:
        assert error in result.error


def test_a_script_error_names_its_line():
    assert check_text("script", "x = 1\ny = x +", NOW).line == 2


def test_a_weekly_cycle_with_a_start_gives_its_next_three_times():
    result = check_text("timeCycle", "R3/2016-04-04T09:00:00+08:00/P1W", NOW).to_dict()
    assert result["timer"] == {"kind": "cycle", "seconds": 7 * 86400, "repetitions": 3, "due": [
        "2016-04-04T01:00:00+00:00", "2016-04-11T01:00:00+00:00", "2016-04-18T01:00:00+00:00"]}


def test_a_quoted_duration_is_due_from_now_and_an_endless_cycle_from_one_interval_on():
    assert check_text("timeDuration", "'P2D'", NOW).timer.due == [datetime(2016, 4, 3, 8, tzinfo=timezone.utc)]
    cycle = check_text("timeCycle", "R/PT1H", NOW).timer
    assert cycle.repetitions is None
    assert [d.hour for d in cycle.due] == [9, 10, 11]


def test_a_date_and_an_expression():
    assert check_text("timeDate", "2016-04-20T00:00:00+08:00", NOW).timer.due == [
        datetime(2016, 4, 19, 16, tzinfo=timezone.utc)]
    assert check_text("timeDate", "deadline_of(plan)", NOW).timer is None


def test_bad_requests_are_refused():
    with pytest.raises(InvalidData):
        check_texts("budget > 1", NOW)
    with pytest.raises(InvalidData):
        check_texts([{"kind": "sql", "text": "drop table"}], NOW)
    with pytest.raises(InvalidData):
        check_texts([{"kind": "script", "text": "x"}] * 201, NOW)


def test_the_engine_checks_with_its_own_clock(engine):
    result = engine.check_model_texts([{"kind": "timeDuration", "text": "PT1H"}])[0]
    due = datetime.fromisoformat(result["timer"]["due"][0])
    assert result["ok"] and due == engine.now() + timedelta(hours=1)


def test_choices_are_the_deployed_processes_decisions_and_roles(campaign_orgs):
    engine = campaign_orgs
    evaluation = ROOT / "processes" / "evaluation"
    engine.deploy({p.name: p.read_bytes() for p in evaluation.iterdir() if p.suffix in (".bpmn", ".dmn")},
                  form_exists=lambda name: True)
    engine.deploy(bpmn("plan_review.bpmn"))
    choices = engine.modeler_choices()
    assert {"value": "plan_review", "label": "Plan review (plan_review)"} in choices["processes"]
    assert any(c["label"].endswith("(evaluation)") for c in choices["decisions"])
    roles = {c["value"] for c in choices["roles"]}
    assert {"province", "ministry"} <= roles and "admin" not in roles
    assert choices["forms"] == sorted(p.name for p in engine.forms.directory.glob("*.json"))
    assert choices["forms"]
