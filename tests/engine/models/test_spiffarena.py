"""SpiffArena's process-model folders: forms beside the BPMN belong to the model version,
calls and decisions across folders, compatibility mode, long ids, the tree import (on
SQLite and PostgreSQL). The tree is tests/data/spiffarena-tree (tools/make_spiffarena_tree.py)."""
import json
import shutil

import pytest
from click.testing import CliRunner

from engine import InvalidData, ModelError
from engine.models.files import collect
from engine.models.versions import list_models
from engine.people import trail
from web.commands.spiffarena import import_tree
from tests.conftest import DATA

TREE = DATA / "spiffarena-tree"
DEPLOYABLE = 20  # of the tree's 22 models: strict-gateway and call-nowhere are refused


def folder(*parts):
    [found] = collect([TREE.joinpath(*parts)])
    return found


def answer(engine, task, version_id):
    """Data filling every required field of the task's form."""
    if not task.form_schema:
        return {}
    schema = engine.forms.load(task.form_schema, version_id)
    return {name: "好" for name in schema.get("required", [])}


def work_through(engine, case_id, user="admin", limit=10):
    """Complete every task of the case until it ends; its final status."""
    for _ in range(limit):
        open_tasks = engine.tasks(user, case_id=case_id)
        if not open_tasks:
            break
        version_id = _case_version(engine, case_id)
        for task in open_tasks:
            engine.complete_task(task.id, user, answer(engine, task, version_id))
    with engine.db.read() as session:
        from engine.reading.history import visible_case
        return visible_case(session, engine.actor(user), case_id).status


def final_data(engine, case_id) -> dict:
    """The data a finished case ended with."""
    from engine.runtime.workflow import load
    from engine.storage import Case
    with engine.db.read() as session:
        case = session.get(Case, case_id)
        assert case.status == "completed"
        workflow = load(case.state, engine.specs.get(session, case.process_version_id), engine.script_engine)
    return workflow.data


def _case_version(engine, case_id):
    from engine.reading.history import visible_case
    with engine.db.read() as session:
        return visible_case(session, engine.actor("admin"), case_id).process_version_id


def test_the_tree_imports_and_runs_end_to_end(campaign_orgs):
    engine = campaign_orgs
    lines = []
    counts = import_tree(engine, TREE, "admin", echo=lines.append)
    assert counts["deployed"] == DEPLOYABLE and counts["refused"] == 2, lines
    text = "\n".join(lines)
    assert "refused" in text and "no_such_process" in text
    assert "calls 'shared_greeting' from model shared_greeting v1" in text
    finished = {}
    with engine.db.read() as session:
        keys = [m.key for m in list_models(session)]
    for model in keys:
        started = engine.start_case(model, "admin", {})
        finished[model] = work_through(engine, started.case_id)
    assert len(finished) == DEPLOYABLE
    assert all(status == "completed" for status in finished.values()), finished
    with engine.db.read() as session:
        from engine.storage import ProcessModel
        categories = {m.key: m.category for m in session.query(ProcessModel)}
        described = session.query(ProcessModel).filter_by(key="simple_form").one().description
    assert categories["call_greeting"] == "调用方" and categories["hello_script"] == "基础"
    assert described == "simple form (SpiffArena layout)"


def test_forms_beside_the_bpmn_belong_to_the_version(campaign_orgs, tmp_path):
    engine = campaign_orgs
    model = shutil.copytree(TREE / "basics" / "simple-form", tmp_path / "simple-form")
    engine.deploy(folder("basics", "simple-form").files, "admin")
    started = engine.start_case("simple_form", "admin", {})
    [task] = engine.tasks("admin", case_id=started.case_id)
    v1 = _case_version(engine, started.case_id)
    assert engine.forms.load("ask-schema.json", v1)["title"] == "Ask"
    assert not engine.forms.exists("ask-schema.json")  # not in the shared forms folder

    # a redeploy with a changed form: a new version; the running case keeps its form
    schema = json.loads((model / "ask-schema.json").read_text())
    schema["title"] = "Ask again"
    schema["required"] = ["answer", "reason"]
    schema["properties"]["reason"] = {"type": "string"}
    (model / "ask-schema.json").write_text(json.dumps(schema))
    key, version, created, _ = engine.deploy(collect([model])[0].files, "admin")
    assert (key, version, created) == ("simple_form", 2, True)
    engine.complete_task(task.id, "admin", {"answer": "好"})  # v1's form: no reason needed
    assert work_through(engine, started.case_id) == "completed"
    later = engine.start_case("simple_form", "admin", {})
    [task2] = engine.tasks("admin", case_id=later.case_id)
    with pytest.raises(InvalidData):
        engine.complete_task(task2.id, "admin", {"answer": "好"})  # v2's form wants a reason

    # the diff names the form; the deploy is on the audit trail with its forms' digests
    diff = engine.diff_versions("simple_form", 1, 2)
    assert [(e.element_id, e.status) for e in diff.elements if e.type == "form"] == [("ask-schema.json", "changed")]
    with engine.db.read() as session:
        deployed = [e for e in trail.events(session) if e.kind == "model_deployed"]
    assert [e.detail["version"] for e in deployed] == [2, 1]
    assert set(deployed[0].detail["forms"]) == {"ask-schema.json", "ask-uischema.json"}


def test_another_model_cannot_replace_a_models_forms(campaign_orgs, tmp_path):
    engine = campaign_orgs
    engine.deploy(folder("basics", "simple-form").files, "admin")
    other = folder("basics", "hello-script").files
    other["ask-schema.json"] = json.dumps({"title": "Hijacked", "type": "object"}).encode()
    engine.deploy(other, "admin")
    started = engine.start_case("simple_form", "admin", {})
    assert engine.forms.load("ask-schema.json", _case_version(engine, started.case_id))["title"] == "Ask"


def test_form_file_name_with_a_space(campaign_orgs):
    engine = campaign_orgs
    engine.deploy(folder("basics", "form-space").files, "admin")
    started = engine.start_case("form_space", "admin", {})
    [task] = engine.tasks("admin", case_id=started.case_id)
    assert task.form_schema == "my form-schema.json"
    with pytest.raises(InvalidData):
        engine.complete_task(task.id, "admin", {})
    assert work_through(engine, started.case_id) == "completed"


def test_a_process_id_longer_than_120_characters(campaign_orgs):
    engine = campaign_orgs
    key, version, created, _ = engine.deploy(folder("basics", "long-id").files, "admin")
    assert len(key) > 120 and created
    assert work_through(engine, engine.start_case(key, "admin", {}).case_id) == "completed"


@pytest.mark.parametrize("name, rule", [
    ("gateway-no-condition", "compatibility"), ("manual-several-out", "compatibility"),
    ("data-unresolved", "compatibility"), ("subprocess-no-start", "compatibility"),
    ("xsd-unknown-attribute", "xsd"), ("xsd-iospecification", "xsd")])
def test_compatibility_mode_warns_and_strict_mode_refuses(engine, name, rule):
    files = folder("leniency", name).files
    key, _, created, warnings = engine.deploy(files)
    assert created and rule in {w.rule for w in warnings}
    assert all(w.severity == "warning" for w in warnings)
    with pytest.raises(ModelError) as refused:
        engine.deploy(files, key=key + "_strict", strict=True)
    assert rule in {p.rule for p in refused.value.problems} or "parse" in {p.rule for p in refused.value.problems}


def test_strict_in_process_model_json_refuses(engine):
    with pytest.raises(ModelError) as refused:
        engine.deploy(folder("leniency", "strict-gateway").files)
    [problem] = [p for p in refused.value.problems if p.is_error]
    assert problem.element_id == "f3" and problem.line


def test_unbounded_timer_cycle_deploys(engine):
    assert engine.deploy(folder("leniency", "timer-cycle").files)[2]


def test_calls_across_models_take_the_latest_callee_at_start_pinned_for_the_case(campaign_orgs, tmp_path):
    engine = campaign_orgs
    callee = shutil.copytree(TREE / "shared" / "shared-approval", tmp_path / "shared-approval")
    with pytest.raises(ModelError) as missing:  # nothing supplies it yet
        engine.deploy(folder("callers", "call-approval").files, "admin")
    assert missing.value.problems[0].element_id == "call" and missing.value.problems[0].line
    engine.deploy(collect([callee])[0].files, "admin")
    engine.deploy(folder("callers", "call-approval").files, "admin")
    running = engine.start_case("call_approval", "admin", {})
    [task] = engine.tasks("admin", case_id=running.case_id)
    assert task.form_schema == "approve-schema.json"  # the callee's task, with the callee's form

    # the callee is redeployed: its task renamed, its form wants a reason too
    bpmn = callee / "shared-approval.bpmn"
    bpmn.write_text(bpmn.read_text().replace('name="approve"', 'name="approve again"'))
    schema = json.loads((callee / "approve-schema.json").read_text())
    schema["required"].append("reason")
    schema["properties"]["reason"] = {"type": "string"}
    (callee / "approve-schema.json").write_text(json.dumps(schema))
    assert engine.deploy(collect([callee])[0].files, "admin")[1] == 2

    later = engine.start_case("call_approval", "admin", {})  # the latest callee, at start
    [new_task] = engine.tasks("admin", case_id=later.case_id)
    assert new_task.name == "approve again"
    with pytest.raises(InvalidData):
        engine.complete_task(new_task.id, "admin", {"verdict": "好"})  # v2's form
    engine.complete_task(new_task.id, "admin", {"verdict": "好", "reason": "因为"})
    # the case started before keeps v1 of the callee, task and form alike
    engine.complete_task(task.id, "admin", {"verdict": "好"})
    assert final_data(engine, running.case_id)["verdict"] == "好"
    with engine.db.read() as session:
        from engine.storage import Case
        assert session.get(Case, running.case_id).callees is None  # as the caller's version pinned
        assert set(session.get(Case, later.case_id).callees) == {"shared_approval"}


def test_a_call_two_models_away(campaign_orgs):
    engine = campaign_orgs
    for path in (("shared", "shared-greeting"), ("callers", "call-greeting"), ("callers", "call-twice-removed")):
        engine.deploy(folder(*path).files, "admin")
    started = engine.start_case("call_twice_removed", "admin", {})
    assert final_data(engine, started.case_id)["greeting"] == "hello from shared"


def test_a_decision_from_another_model(campaign_orgs):
    engine = campaign_orgs
    engine.deploy(folder("shared", "shared-decision").files, "admin")
    engine.deploy(folder("callers", "rule-discount").files, "admin")
    started = engine.start_case("rule_discount", "admin", {})
    assert final_data(engine, started.case_id)["discount"] == 10


def test_import_command_exits_1_when_a_model_is_refused(tmp_path, monkeypatch, database_url):
    from web.commands import main
    monkeypatch.setenv("LIANDONG_DATABASE_URL", database_url)
    monkeypatch.setenv("LIANDONG_INSTANCE_PATH", str(tmp_path))
    result = CliRunner().invoke(main, ["import-spiffarena", str(TREE)])
    assert result.exit_code == 1, result.output
    assert f"{DEPLOYABLE} deployed (6 with warnings), 0 unchanged, 2 refused" in result.output
    assert "deployed with warnings gateway_no_condition v1" in result.output


def test_an_id_another_model_defines_too_is_a_warning_naming_that_model(campaign_orgs):
    """SpiffArena resolves a process id to the model deployed last: deploying a second model
    that defines the same id changes what callers run, so validate and deploy say so."""
    engine = campaign_orgs
    greeting = folder("shared", "shared-greeting").files
    _key, _number, _created, warnings, _result = engine.deploy_result(greeting, "admin")
    assert not [w for w in warnings if w.rule == "id-defined-elsewhere"]
    problems, _calls = engine.check_model(greeting)  # the same model again: not "elsewhere"
    assert not [p for p in problems if p.rule == "id-defined-elsewhere"]

    # a caller carrying its own copy of the callee: validate names the model it shadows
    caller = {**folder("callers", "call-greeting").files, "shared-greeting.bpmn": greeting["shared-greeting.bpmn"]}
    problems, _calls = engine.check_model(caller)
    [problem] = [p for p in problems if p.rule == "id-defined-elsewhere"]
    assert problem.severity == "warning" and problem.element_id == "shared_greeting"
    assert problem.file == "shared-greeting.bpmn" and problem.line
    assert "model shared_greeting v1" in problem.message

    copy = {name: content for name, content in greeting.items() if name != "process_model.json"}
    key, _number, created, warnings, _result = engine.deploy_result(copy, "admin", key="greeting_copy")
    assert created and key == "greeting_copy"
    assert [w.element_id for w in warnings if w.rule == "id-defined-elsewhere"] == ["shared_greeting"]
    engine.deploy(folder("callers", "call-greeting").files, "admin")  # calls run the copy now
    with engine.db.read() as session:
        from engine.storage import ProcessModel, ProcessVersion
        from sqlalchemy import select
        calls = session.scalar(select(ProcessVersion.calls).join(ProcessModel)
                               .where(ProcessModel.key == "call_greeting"))
        copy_version = session.scalar(select(ProcessVersion.id).join(ProcessModel)
                                      .where(ProcessModel.key == "greeting_copy"))
    assert calls == {"shared_greeting": copy_version}


def test_redeploying_a_model_without_a_key_is_not_an_id_defined_elsewhere(engine):
    from tests.conftest import bpmn
    engine.deploy(bpmn("plan_review.bpmn"))
    changed = {"plan_review.bpmn": bpmn("plan_review.bpmn")["plan_review.bpmn"].replace(b"</bpmn:definitions>",
                                                                                    b"<!-- v2 --></bpmn:definitions>")}
    *_, warnings, _result = engine.deploy_result(changed)
    problems, _calls = engine.check_model(changed)
    assert not [p for p in warnings + problems if p.rule == "id-defined-elsewhere"]
