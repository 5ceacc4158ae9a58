"""The Processes area: who may see and change models, deploying by upload, validation,
drafts, the form preview, the diff page and migrating cases from the browser's forms."""
import io
import json
import shutil

import pytest

from engine.people import identity
from tests.conftest import DATA, bpmn
from tests.engine.models.versions_models import linear
from tests.web.conftest import Staff
from web import create_app


@pytest.fixture
def settings(settings, tmp_path):
    """Forms in a folder of this test's own: deploying may write form files."""
    forms = tmp_path / "forms"
    shutil.copytree(DATA / "forms", forms)
    return settings.with_(forms_dir=forms)


@pytest.fixture
def app(owner_engine):
    owner_engine.deploy(bpmn("plan_review.bpmn"))
    return create_app({"TESTING": True}, engine=owner_engine)


def _json(staff, url, payload):
    return staff.client.post(url, json=payload, headers={"X-CSRFToken": staff.csrf(),
                                                         "Accept": "application/json"})


def test_processes_list_shows_versions_and_running_cases(app, owner):
    engine = app.extensions["liandong"]
    engine.start_case("plan_review", "zj_staff")
    page = owner.get("/processes/").get_data(as_text=True)
    assert "plan_review" in page and "v1" in page
    detail = owner.get("/processes/plan_review")
    assert detail.status_code == 200
    text = detail.get_data(as_text=True)
    assert 'data-version="1"' in text and '<td class="running">1</td>' in text
    download = owner.get("/processes/plan_review/v1/files/plan_review.bpmn")
    assert download.status_code == 200 and download.data == bpmn("plan_review.bpmn")["plan_review.bpmn"]
    assert owner.get("/processes/plan_review/v1.zip").data[:2] == b"PK"


@pytest.mark.parametrize("username", ["zj_staff", "ministry_officer"])
def test_everyone_else_gets_403(app, username):
    staff = Staff(app, username)
    assert staff.get("/processes/").status_code == 403
    files = {"files": (io.BytesIO(linear([("A", "Write")])["linear.bpmn"]), "linear.bpmn")}
    assert staff.post("/processes/upload", data=files, content_type="multipart/form-data").status_code == 403
    body = {"key": "linear", "files": {"linear.bpmn": linear([("A", "Write")])["linear.bpmn"].decode()}}
    assert _json(staff, "/processes/api/deploy", body).status_code == 403
    assert _json(staff, "/processes/api/drafts", body).status_code == 403
    assert staff.post("/processes/plan_review/migrate", data={"case": "1"}).status_code == 403
    assert app.extensions["liandong"].versions("plan_review")[0].version == 1


def test_auditor_may_look_but_not_change(app):
    auditor = Staff(app, "auditor")
    assert auditor.get("/processes/").status_code == 200
    body = {"key": "linear", "files": {"linear.bpmn": linear([("A", "Write")])["linear.bpmn"].decode()}}
    assert _json(auditor, "/processes/api/deploy", body).status_code == 403


def test_deploy_by_upload(app, owner):
    files = {"files": (io.BytesIO(linear([("A", "Write")])["linear.bpmn"]), "linear.bpmn")}
    response = owner.post("/processes/upload", data=files, content_type="multipart/form-data")
    assert response.status_code == 302 and response.headers["Location"].endswith("/processes/linear")
    engine = app.extensions["liandong"]
    [version] = engine.versions("linear")
    assert version.deployed_by == "owner"


def test_upload_of_a_broken_model_lists_its_problems(app, owner):
    bad = bpmn("plan_review.bpmn")["plan_review.bpmn"].replace(b'targetRef="Task_Plan"', b'targetRef="Nowhere"')
    files = {"files": (io.BytesIO(bad), "plan_review.bpmn")}
    response = owner.post("/processes/upload", data=files, content_type="multipart/form-data")
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "problem-error" in page and "plan_review.bpmn" in page
    assert len(app.extensions["liandong"].versions("plan_review")) == 1


def test_validation_lists_lint_problems_with_elements(owner):
    xml = linear([("A", "Write")])["linear.bpmn"].decode()
    data = _json(owner, "/processes/api/validate", {"files": {"linear.bpmn": xml}}).get_json()
    assert data["errors"] == 0 and data["warnings"] >= 1
    rules = {(p["rule"], p["element_id"]) for p in data["problems"]}
    assert ("user-task-form", "A") in rules
    with_form = xml.replace('<bpmn:userTask id="A" name="Write" />',
                            '<bpmn:userTask id="A" name="Write"><bpmn:extensionElements>'
                            '<spiffworkflow:properties xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core">'
                            '<spiffworkflow:property name="formJsonSchemaFilename" value="new-schema.json" />'
                            '</spiffworkflow:properties></bpmn:extensionElements></bpmn:userTask>')
    missing = _json(owner, "/processes/api/validate", {"files": {"linear.bpmn": with_form}}).get_json()
    assert ("form-missing", "A") in {(p["rule"], p["element_id"]) for p in missing["problems"]}
    # The form posted beside the diagram counts: no more form problems for A.
    schema = {"type": "object", "properties": {"title": {"type": "string"}}}
    both = _json(owner, "/processes/api/validate",
                 {"files": {"linear.bpmn": with_form, "forms/new-schema.json": json.dumps(schema)}}).get_json()
    assert not [p for p in both["problems"] if p["element_id"] == "A" and p["rule"].startswith(("form", "user-task-form"))]


def test_deploy_with_a_new_form_keeps_it_with_the_version(app, owner):
    engine = app.extensions["liandong"]
    xml = bpmn("plan_review.bpmn")["plan_review.bpmn"].decode().replace("plan-schema.json", "plan2-schema.json")
    schema = {"title": "Plan 2", "type": "object", "properties": {"title": {"type": "string"}}}
    response = _json(owner, "/processes/api/deploy", {"files": {"plan_review.bpmn": xml,
                                                                "forms/plan2-schema.json": schema}})
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.get_json()["version"] == 2
    version = engine.versions("plan_review")[0]
    assert engine.forms.load("plan2-schema.json", version.id)["title"] == "Plan 2"
    assert not engine.forms.exists("plan2-schema.json")  # the shared folder is not written
    loaded = owner.get("/processes/api/model?key=plan_review").get_json()
    assert json.loads(loaded["files"]["forms/plan2-schema.json"])["title"] == "Plan 2"
    bad = _json(owner, "/processes/api/deploy", {"files": {"plan_review.bpmn": "<oops"}})
    assert bad.status_code == 422 and bad.get_json()["problems"]


def test_drafts_are_saved_without_deploying(app, owner):
    engine = app.extensions["liandong"]
    xml = linear([("A", "Write")])["linear.bpmn"].decode()
    response = _json(owner, "/processes/api/drafts", {"key": "linear", "files": {"linear.bpmn": xml}})
    assert response.status_code == 200
    draft_id = response.get_json()["id"]
    loaded = owner.get(f"/processes/api/model?draft={draft_id}").get_json()
    assert loaded["files"] == {"linear.bpmn": xml} and loaded["key"] == "linear"
    with pytest.raises(Exception):
        engine.versions("linear")
    assert f'data-draft="{draft_id}"' in owner.get("/processes/").get_data(as_text=True)


def test_model_api_gives_version_files_with_their_forms_or_a_blank_diagram(owner):
    data = owner.get("/processes/api/model?key=plan_review").get_json()
    assert set(data["files"]) == {"plan_review.bpmn", "forms/plan-schema.json"}
    blank = owner.get("/processes/api/model").get_json()
    [name] = blank["files"]
    assert name.endswith(".bpmn") and "startEvent" in blank["files"][name]


def test_form_preview_renders_the_schema(owner):
    schema = {"type": "object", "required": ["budget"],
              "properties": {"budget": {"type": "number", "title": "Budget"},
                             "city": {"type": "string", "title": "Host city"}}}
    data = _json(owner, "/processes/api/form-preview", {"schema": schema}).get_json()
    assert 'name="budget"' in data["html"] and "Host city" in data["html"]
    bad = _json(owner, "/processes/api/form-preview", {"schema": {"type": 12}})
    assert bad.status_code == 422


def test_diff_page_and_migration_page(app, owner):
    engine = app.extensions["liandong"]
    engine.deploy(linear([("A", "Write"), ("B", "Check")]))
    case_id = engine.start_case("linear", "zj_staff").case_id
    engine.deploy(linear([("A", "Write"), ("B", "Check it"), ("C", "Approve")]))
    page = owner.get("/processes/linear/diff?from=1&to=2").get_data(as_text=True)
    assert 'data-element="C"' in page and "diff-added" in page
    dry = owner.get("/processes/linear/migrate").get_data(as_text=True)
    assert f'name="case" value="{case_id}"' in dry
    assert engine.versions("linear")[1].running_cases == 1
    done = owner.post("/processes/linear/migrate", data={"case": str(case_id), "to": "2"})
    assert done.status_code == 200 and "Migrated" in done.get_data(as_text=True) or "已迁移" in done.get_data(as_text=True)
    assert engine.versions("linear")[0].running_cases == 1


def test_modeler_page_and_vendor_files(owner):
    page = owner.get("/processes/modeler?key=plan_review").get_data(as_text=True)
    assert "/processes/static/build/modeler.bundle.js" in page  # bpmn-js, bundled by make install
    assert "/vendor/dmn-js/dmn-modeler.production.min.js" in page
    assert "modeler/i18n-zh.js" in page
    with owner.get("/processes/static/build/modeler.bundle.js") as bundle:
        assert bundle.status_code == 200 and len(bundle.data) > 500_000
    with owner.get("/vendor/bpmn-js/bpmn-modeler.production.min.js") as script:
        assert script.status_code == 200 and len(script.data) > 100_000
    assert owner.get("/vendor/bpmn-js/../package.json").status_code == 404
    with owner.get("/vendor/dmn-js/dmn-modeler.production.min.js") as script:
        assert script.status_code == 200 and len(script.data) > 100_000
    assert owner.get("/vendor/left-pad/index.js").status_code == 404  # not one of ours
    assert owner.get("/vendor/dmn-js/../package.json").status_code == 404


def test_pages_speak_chinese_and_english(app, owner):
    page = owner.get("/processes/plan_review").get_data(as_text=True)
    assert "部署人" in page and "运行中的案卷" in page
    owner.post("/locale", data={"locale": "en"})
    english = owner.get("/processes/plan_review").get_data(as_text=True)
    assert "Deployed by" in english


def test_versions_diff_and_migrate_commands(engine, cli):
    run = cli
    engine.deploy(linear([("A", "Write"), ("B", "Check")]))
    at_a = engine.start_case("linear").case_id
    at_b = engine.start_case("linear")
    engine.complete_task(at_b.tasks[0], "system")
    at_b = at_b.case_id
    engine.deploy(linear([("A", "Write"), ("B", "Check it"), ("C", "Approve")]))
    listing = run("versions", "linear").splitlines()
    assert listing[0].startswith("v2") and "running=2" in listing[1]
    diff = run("diff", "linear", "1", "2")
    assert "added userTask C (Approve)" in diff and "name: Check -> Check it" in diff
    assert json.loads(run("diff", "linear", "1", "2", "--json"))["to_version"] == 2
    dry = run("migrate", "linear", "--dry-run", code=1)
    assert f"case {at_a} v1 -> v2: would migrate" in dry and f"case {at_b} v1 -> v2: refused" in dry
    assert "1 of 2 case(s) would migrate" in dry
    assert f"case {at_a} v1 -> v2: migrated" in run("migrate", "linear", "--case", at_a)
    assert "running=1" in run("versions", "linear").splitlines()[0]
    with engine.db.transaction() as s:
        identity.create_organisation(s, "ministry", "文化部")
        identity.create_user(s, "clerk", memberships=[("ministry", "ministry")])
    assert "'clerk' may not migrate cases" in run("migrate", "linear", "--user", "clerk", code=1)
    assert "No process 'nope'" in run("migrate", "nope", code=1)


def test_refused_cases_say_why_in_chinese(app, owner):
    engine = app.extensions["liandong"]
    engine.deploy(linear([("A", "Write"), ("B", "Check")]))
    case_id = engine.start_case("linear", "zj_staff").case_id
    engine.deploy(linear([("A", "Write it"), ("B", "Check")]))
    page = owner.get("/processes/linear/migrate").get_data(as_text=True)
    assert f'data-case="{case_id}" class="refused"' in page
    assert "Write (A) 在此案卷中待办理，而新版本修改了它：名称" in page
