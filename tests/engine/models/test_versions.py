"""Versions of a process model: listing them and diffing two of them."""
import json

import pytest

from engine import Forbidden
from engine.people import identity
from tests.conftest import bpmn
from tests.engine.models.versions_models import linear


def _changes(diff):
    return {e.element_id: (e.status, e.type, tuple(e.aspects)) for e in diff.elements}


def test_diff_lists_added_removed_and_changed_elements(engine):
    engine.deploy(linear([("A", "Write"), ("B", "Check")]))
    engine.deploy(linear([("A", "Write the plan"), ("C", "Approve")], x_shift=10))
    diff = engine.diff_versions("linear", 1, 2)
    changes = _changes(diff)
    assert changes["C"][:2] == ("added", "userTask")
    assert changes["B"][:2] == ("removed", "userTask")
    assert changes["A"][0] == "changed" and {"name", "flows", "layout"} <= set(changes["A"][2])
    assert changes["Flow_A_C"][0] == "added" and changes["Flow_A_B"][0] == "removed"
    a = next(e for e in diff.elements if e.element_id == "A")
    assert a.details["name"] == {"before": "Write", "after": "Write the plan"}
    assert a.name == "Write the plan"
    # Start only moved: the layout is the one aspect that changed.
    assert changes["StartEvent"] == ("changed", "startEvent", ("layout",))
    assert diff.to_dict()["elements"][0]["status"] == "added"


def test_diff_names_conditions_forms_and_scripts(engine):
    files = bpmn("plan_review.bpmn")
    text = files["plan_review.bpmn"]
    engine.deploy(files)
    changed = (text.replace(b"budget &gt;= 0", b"budget &gt;= 100")
               .replace(b'value="plan-schema.json"', b'value="other-schema.json"'))
    engine.deploy({"plan_review.bpmn": changed}, form_exists=lambda name: True)
    changes = _changes(engine.diff_versions("plan_review", 1, 2))
    assert changes["Gateway_Budget"] == ("changed", "exclusiveGateway", ("conditions",))
    assert changes["Task_Plan"] == ("changed", "userTask", ("form",))
    assert changes["F_review"] == ("changed", "sequenceFlow", ("conditions",))
    # v1 took plan-schema.json from the shared folder with it; v2 names no such form
    assert changes["plan-schema.json"] == ("removed", "form", ("form",))
    assert set(changes) == {"Gateway_Budget", "Task_Plan", "F_review", "plan-schema.json"}


def test_same_version_diff_is_empty_and_unknown_version_is_not_found(engine):
    engine.deploy(linear([("A", "Write")]))
    assert engine.diff_versions("linear", 1, 1).elements == []
    from engine import NotFound
    with pytest.raises(NotFound):
        engine.diff_versions("linear", 1, 7)


def test_versions_count_cases_and_files(campaign_orgs):
    engine = campaign_orgs
    engine.deploy(linear([("A", "Write")]))
    engine.start_case("linear", "zj_staff")
    engine.deploy(linear([("A", "Write it")]))
    engine.start_case("linear", "zj_staff")
    engine.start_case("linear", "zj_staff")
    versions = engine.versions("linear")
    assert [(v.version, v.running_cases, v.files) for v in versions] == [
        (2, 2, ("linear.bpmn",)), (1, 1, ("linear.bpmn",))]
    assert versions[0].deployed_by == "system"


def test_only_process_owners_deploy(campaign_orgs):
    engine = campaign_orgs
    with pytest.raises(Forbidden):
        engine.deploy(linear([("A", "Write")]), "zj_staff")
    with engine.db.transaction() as s:
        identity.create_user(s, "owner", memberships=[("ministry", "process_owner")])
    assert engine.deploy(linear([("A", "Write")]), "owner")[:3] == ("linear", 1, True)
    assert engine.versions("linear")[0].deployed_by == "owner"
    assert engine.deploy(linear([("A", "Again")]), "admin")[1] == 2


@pytest.fixture
def settings(settings, tmp_path):
    """Forms in a folder of this test's own: deploying a model with forms writes them."""
    import shutil
    from tests.conftest import DATA
    forms = tmp_path / "forms"
    shutil.copytree(DATA / "forms", forms)
    return settings.with_(forms_dir=forms)


def test_drafts_and_deploying_with_forms(campaign_orgs):
    from engine import InvalidData
    from engine.models import drafts as model_drafts
    engine = campaign_orgs
    xml = bpmn("plan_review.bpmn")["plan_review.bpmn"].replace(b"plan-schema.json", b"plan2-schema.json")
    schema = {"title": "计划", "type": "object", "properties": {"title": {"type": "string"}}}
    with pytest.raises(Forbidden):
        model_drafts.save_draft(engine, engine.actor("zj_staff"), "plan_review", {"plan_review.bpmn": xml})
    draft_id = model_drafts.save_draft(engine, engine.actor("admin"), "plan_review",
                                       {"plan_review.bpmn": xml, "forms/plan2-schema.json": json.dumps(schema)})
    draft = model_drafts.latest_draft(engine, "plan_review")
    assert draft.id == draft_id and draft.saved_by == "admin"
    assert json.loads(draft.files["forms/plan2-schema.json"]) == schema
    assert not engine.forms.exists("plan2-schema.json")  # a draft writes nothing

    with pytest.raises(InvalidData):
        model_drafts.deploy_model(engine, engine.actor("admin"),
                                  {"plan_review.bpmn": xml, "forms/plan2-schema.json": '{"type": 5}'})
    existing = engine.forms.path("plan-schema.json")
    before = existing.read_bytes()
    result = model_drafts.deploy_model(engine, engine.actor("admin"), {
        "plan_review.bpmn": xml, "forms/plan2-schema.json": json.dumps(schema),
        "forms/plan-schema.json": before})
    assert result[:3] == ("plan_review", 1, True)
    version = engine.versions("plan_review")[0]
    assert engine.forms.load("plan2-schema.json", version.id) == schema  # stored with the version
    assert not engine.forms.exists("plan2-schema.json")  # not in the shared folder
    assert existing.read_bytes() == before  # the shared form is left as it was
    with pytest.raises(InvalidData):
        model_drafts.split_files({"evil.sh": b"rm -rf /"})
