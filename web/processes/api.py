"""JSON endpoints the modeler page calls: load a version or draft, validate, save a draft,
deploy, preview a form, and a version diff with element ids for the diagram markers."""
import json
import uuid

from flask import jsonify, render_template, request
from flask_babel import gettext as _
from flask_login import login_required

from engine import ModelError
from engine.models import drafts as model_drafts, versions as model_versions
from engine.models.bpmn.xml import SPIFF_NS, parse_xml
from engine.errors import InvalidData

from ..extensions import current_actor, current_engine
from ..tasks.instructions import render_instructions
from ..tasks.schema_form import form_class, layout, to_form_values
from . import bp
from .problem_words import problem_dict, words
from .timer_words import with_words
from .views import deployed_message, may_change, may_read

FORM_PROPERTIES = ("formJsonSchemaFilename", "formUiSchemaFilename")
BLANK = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:bpmndi="http://www.omg.org/spec/BPMN/20100524/DI" xmlns:dc="http://www.omg.org/spec/DD/20100524/DC" xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core" id="Definitions_{suffix}" targetNamespace="http://bpmn.io/schema/bpmn">
  <bpmn:process id="{key}" name="{name}" isExecutable="true">
    <bpmn:startEvent id="StartEvent_1" />
  </bpmn:process>
  <bpmndi:BPMNDiagram id="BPMNDiagram_1">
    <bpmndi:BPMNPlane id="BPMNPlane_1" bpmnElement="{key}">
      <bpmndi:BPMNShape id="StartEvent_1_di" bpmnElement="StartEvent_1">
        <dc:Bounds x="180" y="160" width="36" height="36" />
      </bpmndi:BPMNShape>
    </bpmndi:BPMNPlane>
  </bpmndi:BPMNDiagram>
</bpmn:definitions>
"""


def _payload() -> dict:
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise InvalidData(_("The request must be a JSON object."))
    return data


def _files(data) -> dict:
    files = data.get("files")
    if not isinstance(files, dict) or not files or not all(
            isinstance(k, str) and isinstance(v, str | dict) for k, v in files.items()):
        raise InvalidData(_("'files' must map file names to their text."))
    return {name: (json.dumps(v, ensure_ascii=False) if isinstance(v, dict) else v)
            for name, v in files.items()}


def referenced_forms(files: dict) -> set[str]:
    """Form file names the model's tasks name (spiffworkflow:property values)."""
    names = set()
    for name, content in files.items():
        if not name.endswith(".bpmn"):
            continue
        try:
            root = parse_xml(content if isinstance(content, bytes) else content.encode("utf-8"), name)
        except ModelError:
            continue
        for prop in root.iter(f"{{{SPIFF_NS}}}property"):
            if prop.get("name") in FORM_PROPERTIES and prop.get("value"):
                names.add(prop.get("value"))
    return names


def _with_forms(engine, files: dict) -> dict:
    """A version's files for the modeler: its forms as forms/NAME, and the forms its tasks
    name that only the shared forms folder has (versions deployed before forms were kept
    with them)."""
    text = {name: (c.decode("utf-8", errors="replace") if isinstance(c, bytes) else c)
            for name, c in files.items()}
    out = {("forms/" + name if name.endswith(".json") else name): content for name, content in text.items()}
    for form in sorted(referenced_forms(files)):
        if "forms/" + form not in out and engine.forms.exists(form):
            out["forms/" + form] = engine.forms.path(form).read_text("utf-8")
    return out


@bp.get("/api/model")
@login_required
def load_model():
    """A version's files (default: the latest), a draft's, or a blank diagram, with the forms
    its tasks use."""
    may_read()
    engine = current_engine()
    key, version, draft_id = request.args.get("key"), request.args.get("version", type=int), \
        request.args.get("draft", type=int)
    if draft_id:
        draft = model_drafts.get_draft(engine, draft_id)
        return jsonify(key=draft.process_key, version=draft.base_version, draft=draft.id,
                       files=draft.files)
    if key:
        with engine.db.read() as session:
            number = version or model_versions.list_versions(session, key, changes=False)[0].version
            files = model_versions.version_files(session, key, number)
        return jsonify(key=key, version=number, draft=None, files=_with_forms(engine, files))
    new_key = f"Process_{uuid.uuid4().hex[:7]}"
    return jsonify(key="", version=None, draft=None,
                   files={f"{new_key}.bpmn": BLANK.format(key=new_key, name=_("New process"),
                                                          suffix=uuid.uuid4().hex[:7])})


def _problem_dicts(problems):
    return [problem_dict(p) for p in problems]


@bp.post("/api/validate")
@login_required
def validate():
    """Every check deploying makes (XSD, parser, lint), for the list and the diagram markers."""
    may_read()
    files = _files(_payload())
    diagrams, forms = model_drafts.split_files(files)
    problems, resolution = current_engine().check_model(diagrams, forms=forms)
    return jsonify(problems=_problem_dicts(problems), calls=resolution.lines(),
                   errors=sum(p.severity == "error" for p in problems),
                   warnings=sum(p.severity == "warning" for p in problems))


@bp.post("/api/drafts")
@login_required
def save_draft():
    may_change()
    data = _payload()
    key = str(data.get("key") or "").strip()
    draft_id = current_engine().save_model_draft(
        current_actor(), key, _files(data), note=str(data.get("note") or ""),
        base_version=data.get("version") if isinstance(data.get("version"), int) else None)
    return jsonify(id=draft_id, message=_("Draft saved."))


@bp.post("/api/deploy")
@login_required
def deploy():
    may_change()
    data = _payload()
    key = str(data.get("key") or "").strip() or None
    try:
        process_key, version, created, warnings = current_engine().deploy_model(
            current_actor(), _files(data), key=key)
    except ModelError as err:
        return jsonify(error=_("Invalid model"), message=str(err),
                       problems=_problem_dicts(err.problems)), 422
    return jsonify(key=process_key, version=version, created=created,
                   message=deployed_message(process_key, version, created),
                   warnings=_problem_dicts(warnings))


@bp.post("/api/form-preview")
@login_required
def form_preview():
    """The form as a task page would render it, from a schema posted as JSON."""
    may_read()
    data = _payload()
    schema, ui = data.get("schema"), data.get("ui") or {}
    model_drafts.parse_form("preview.json", schema)
    if not isinstance(ui, dict):
        raise InvalidData(_("The UI schema must be a JSON object."))
    form = form_class(schema, ui, data={})(formdata=None, data=to_form_values(schema, {}, ui))
    html = render_template("processes/_form_preview.html", fields=layout(schema, form, ui),
                           title=schema.get("title"))
    return jsonify(html=html)


@bp.get("/api/diff")
@login_required
def diff_json():
    may_read()
    key = request.args.get("key", "")
    old, new = request.args.get("from", type=int), request.args.get("to", type=int)
    if not key or not old or not new:
        raise InvalidData(_("Give key, from and to."))
    return jsonify(current_engine().diff_versions(key, old, new).to_dict())


@bp.get("/api/forms/<name>")
@login_required
def load_form(name):
    may_read()
    engine = current_engine()
    return jsonify(name=name, schema=json.loads(engine.forms.path(name).read_text("utf-8"))
                   if engine.forms.exists(name) else None)




@bp.post("/api/check")
@login_required
def check_texts():
    """Live checks as the owner types: each expression, script or timer text checked by the
    engine's own sandbox compile and timer parser; a timer's meaning worded for the reader."""
    may_read()
    items = _payload().get("items")
    results = current_engine().check_model_texts(items)
    for result in results:
        result["error"] = words(result["error"])
    return jsonify(results=[with_words(r) for r in results])


@bp.post("/api/instructions-preview")
@login_required
def instructions_preview():
    """Instructions for the user as the task page will show them (no case data yet)."""
    may_read()
    text = _payload().get("text")
    if not isinstance(text, str):
        raise InvalidData(_("'text' must be the instructions' text."))
    return jsonify(html=str(render_instructions(text)))
