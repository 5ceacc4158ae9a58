"""Deploying models: versions, checksums, refusals with file, line and element."""
import pytest
from sqlalchemy import select

from engine import ModelError
from engine.storage import ProcessVersion
from tests.conftest import bpmn


def test_versions_and_identical_content(engine):
    files = bpmn("plan_review.bpmn")
    assert engine.deploy(files)[:3] == ("plan_review", 1, True)
    assert engine.deploy(files)[:3] == ("plan_review", 1, False)
    changed = {"plan_review.bpmn": files["plan_review.bpmn"].replace(b"Write the plan", b"Write it")}
    assert engine.deploy(changed)[:3] == ("plan_review", 2, True)
    with engine.db.transaction() as s:
        versions = s.scalars(select(ProcessVersion).order_by(ProcessVersion.version)).all()
    assert [v.version for v in versions] == [1, 2] and versions[0].checksum != versions[1].checksum


def test_running_cases_stay_on_their_version(campaign_orgs):
    engine = campaign_orgs
    files = bpmn("plan_review.bpmn")
    engine.deploy(files)
    old = engine.start_case("plan_review", "zj_staff")
    engine.deploy({"plan_review.bpmn": files["plan_review.bpmn"].replace(b"Write the plan", b"Plan v2")})
    new = engine.start_case("plan_review", "zj_staff")
    names = {t.case_id: t.name for t in engine.tasks("zj_staff")}
    assert names == {old.case_id: "Write the plan", new.case_id: "Plan v2"}


def test_broken_model_names_file_line_and_element(engine):
    bad = bpmn("plan_review.bpmn")["plan_review.bpmn"].replace(
        b'<bpmn:parallelGateway id="Join" />', b'<bpmn:parallelGateway id="Join"><bpmn:oops/></bpmn:parallelGateway>')
    with pytest.raises(ModelError) as err:
        engine.deploy({"plan_review.bpmn": bad}, strict=True)  # compatibility mode only warns
    problem = err.value.problems[0]
    assert problem.file == "plan_review.bpmn" and problem.line and problem.severity == "error"


def test_missing_form_refuses_deploy(engine):
    files = bpmn("plan_review.bpmn")
    bad = files["plan_review.bpmn"].replace(b"plan-schema.json", b"no-such-form.json")
    with pytest.raises(ModelError) as err:
        engine.deploy({"plan_review.bpmn": bad})
    assert any(p.rule == "form-missing" and p.element_id == "Task_Plan" for p in err.value.problems)


def test_entity_expansion_is_refused(engine):
    evil = (b'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
            b'<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL">&x;</bpmn:definitions>')
    with pytest.raises(ModelError):
        engine.deploy({"evil.bpmn": evil})
