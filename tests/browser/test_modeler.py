"""The web modeler in a real browser: the MIWG reference diagrams survive a round trip through
bpmn-js, and a process owner changes a campaign model, fixes its lint warning, deploys it, and
the new task reaches a person's inbox. Screenshots in both languages go to test-artifacts/."""
import shutil
from dataclasses import dataclass

import pytest
from lxml import etree
from sqlalchemy import select

from engine.people import identity
from engine.models.bpmn.xml import parse_xml
from engine.models.forms import FormStore
from engine.storage import Case, User
from tests.conftest import DATA, ROOT

pytestmark = pytest.mark.browser

MIWG = ROOT.parent / "shared" / "peers" / "miwg"
BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
DI_NS = "http://www.omg.org/spec/BPMN/20100524/DI"
EXCHANGE = ROOT / "processes" / "exchange" / "exchange.bpmn"
EVALUATION = ROOT / "processes" / "evaluation" / "evaluation.bpmn"
GRADING = ROOT / "processes" / "evaluation" / "grading.dmn"


def _elements(xml: bytes) -> dict:
    """id -> (namespace, local name) of every element with an id."""
    root = parse_xml(xml, "diagram.bpmn")
    return {e.get("id"): (etree.QName(e).namespace, etree.QName(e).localname)
            for e in root.iter() if isinstance(e.tag, str) and e.get("id")}


def _undrawable(xml: bytes) -> set:
    """DI the BPMN spec allows but bpmn-js cannot draw, so it cannot keep it: shapes of a
    process no pool shows in a collaboration, and edges that name no element."""
    root = parse_xml(xml, "diagram.bpmn")
    shown = {p.get("processRef") for p in root.iter(f"{{{BPMN_NS}}}participant")}
    hidden = set()
    if shown:
        for process in root.iter(f"{{{BPMN_NS}}}process"):
            if process.get("id") not in shown:
                hidden |= {e.get("id") for e in process.iter() if isinstance(e.tag, str) and e.get("id")}
    return {d.get("id") for d in root.iter(f"{{{DI_NS}}}BPMNShape", f"{{{DI_NS}}}BPMNEdge")
            if not d.get("bpmnElement") or d.get("bpmnElement") in hidden}


@dataclass
class Site:
    """The shared live server, with the exchange model and a process owner added."""

    server: object
    browser: object
    artifacts: object

    @property
    def url(self):
        return self.server.url

    @property
    def engine(self):
        return self.server.engine

    def sign_in(self, username, locale=None):
        """A page of its own signed in as `username` (optionally in `locale`)."""
        if locale:
            with self.engine.db.transaction() as s:
                s.scalar(select(User).where(User.username == username)).locale = locale
        page = self.browser.new_context(viewport={"width": 1280, "height": 860}).new_page()
        page.set_default_timeout(30_000)
        self.server.sign_in(page, username)
        return page

    def version_of(self, case_id):
        with self.engine.db.transaction() as s:
            return s.get(Case, case_id).version.version


@pytest.fixture
def modeler_site(live_server, browser, artifacts, tmp_path):
    """`live_server` plus the campaign's forms (in a folder of this test's own, since deploying
    from the modeler writes forms), the exchange model deployed, and a process owner."""
    forms = tmp_path / "forms"
    shutil.copytree(ROOT / "forms", forms)
    for path in DATA.joinpath("forms").glob("*.json"):
        shutil.copy(path, forms / path.name)
    engine = live_server.engine
    engine.forms = FormStore(forms, sandbox=engine.script_engine, db=engine.db)
    live_server.engine.deploy({"exchange.bpmn": EXCHANGE.read_bytes()})
    with live_server.engine.db.transaction() as s:
        identity.create_user(s, "owner", password="secret-pass", display_name="流程负责人",
                             memberships=[("ministry", "process_owner")])
    return Site(live_server, browser, artifacts)


ROUND_TRIP = """async (xml) => {
  const modeler = window.liandongModeler.modeler;
  try {
    const result = await modeler.importXML(xml);
    const saved = await modeler.saveXML({ format: true });
    return { xml: saved.xml, warnings: result.warnings.map(w => w.message) };
  } catch (err) {
    return { error: err.message };
  }
}"""


@pytest.mark.skipif(not MIWG.is_dir(), reason=f"the MIWG reference diagrams are not in {MIWG}")
def test_miwg_reference_diagrams_survive_the_modeler(modeler_site):
    page = modeler_site.sign_in("owner")
    page.goto(modeler_site.url + "/processes/modeler")
    page.evaluate("window.liandongModeler.ready")
    files = sorted(MIWG.glob("*.bpmn"))
    assert len(files) >= 20
    report = []
    for path in files:
        source = path.read_bytes()
        result = page.evaluate(ROUND_TRIP, source.decode("utf-8", errors="replace"))
        assert "error" not in result, f"{path.name} did not open: {result.get('error')}"
        before, after = _elements(source), _elements(result["xml"].encode("utf-8"))
        semantic_lost = {i: t for i, t in before.items() if t[0] == BPMN_NS and after.get(i) != t}
        assert not semantic_lost, f"{path.name} lost model elements: {sorted(semantic_lost)[:10]}"
        di_lost = {i for i, t in before.items() if t[0] == DI_NS and i not in after}
        assert di_lost <= _undrawable(source), f"{path.name} lost diagram elements: {sorted(di_lost - _undrawable(source))[:10]}"
        report.append(f"{path.name}: {len(before)} elements, {len(di_lost)} undrawable DI dropped")
    assert len(report) == len(files)


ADD_TASK = """() => {
  const modeler = window.liandongModeler.modeler;
  const registry = modeler.get('elementRegistry');
  const modeling = modeler.get('modeling');
  const start = registry.get('StartEvent_exchange');
  const organise = registry.get('Task_Organise');
  modeling.removeElements([registry.get('Flow_1')]);
  modeling.moveElements([organise], { x: 100, y: 0 });
  const task = modeling.createShape({ type: 'bpmn:UserTask' }, { x: 360, y: 140 },
                                    registry.get('Participant_exchange'));
  modeling.updateLabel(task, '布置交流会场');
  modeling.connect(start, task);
  modeling.connect(task, organise);
  return task.id;
}"""


def test_owner_adds_a_task_fixes_its_lint_warning_deploys_and_it_reaches_the_inbox(modeler_site):
    page = modeler_site.sign_in("owner")
    page.goto(modeler_site.url + "/processes/modeler?key=exchange")
    page.evaluate("window.liandongModeler.ready")
    page.screenshot(path=str(modeler_site.artifacts / "modeler-zh.png"))
    assert page.get_attribute(".djs-palette [data-action='create.task']", "aria-label") == "创建任务"

    new_id = page.evaluate(ADD_TASK)
    lane = page.evaluate("id => window.liandongModeler.modeler.get('elementRegistry').get(id)"
                         ".businessObject.lanes.map(l => l.name)", new_id)
    assert lane == ["ministry"]

    # Saving a draft keeps the change without deploying it.
    page.click("#btn-draft")
    page.wait_for_selector("#modeler-status.flash-success")
    assert modeler_site.engine.versions("exchange")[0].version == 1

    # Validation: a warning for the missing form, on the diagram and in the list.
    page.click("#btn-validate")
    page.wait_for_selector(f"li.problem[data-element='{new_id}'][data-rule='user-task-form']")
    assert page.evaluate(f"window.liandongModeler.modeler.get('canvas').hasMarker('{new_id}', 'lint-warning')")
    assert page.locator(".djs-overlay-container .lint-badge-warning").count() >= 1
    page.screenshot(path=str(modeler_site.artifacts / "modeler-lint-zh.png"))

    # Give it a form through the properties panel, and see the form's preview.
    page.evaluate("id => { const m = window.liandongModeler.modeler; "
                  "m.get('selection').select(m.get('elementRegistry').get(id)); }", new_id)
    page.click("a[data-tab=element]")
    page.select_option("#bio-properties-panel-formJsonSchemaFilename", "exchange-organise-schema.json")
    page.click("#btn-validate")
    page.wait_for_selector("#modeler-status.flash-success")
    assert page.locator(f"li.problem[data-element='{new_id}']").count() == 0
    assert not page.evaluate(f"window.liandongModeler.modeler.get('canvas').hasMarker('{new_id}', 'lint-warning')")
    page.click("a[data-tab=forms]")
    page.wait_for_selector("#form-preview .form-preview")
    page.screenshot(path=str(modeler_site.artifacts / "modeler-form-preview-zh.png"))

    page.click("#btn-deploy")
    page.wait_for_selector("#modeler-status.flash-success")
    assert modeler_site.engine.versions("exchange")[0].version == 2

    # A ministry officer starts a case on the new version; the new task is in the inbox.
    officer = modeler_site.sign_in("ministry_officer")
    started = modeler_site.engine.start_case("exchange", "ministry_officer", {  # its start form
        "province": "zj", "host_city": "hz", "theme": "digitalisation"})  # demo_data's codes
    assert modeler_site.version_of(started.case_id) == 2
    officer.goto(modeler_site.url + "/tasks")
    assert officer.locator("a.task-link", has_text="布置交流会场").count() == 1


def test_modeler_and_diff_in_english(modeler_site):
    engine = modeler_site.engine
    changed = EXCHANGE.read_bytes().replace("组织专题经验交流会".encode(), "组织经验交流会".encode())
    engine.deploy({"exchange.bpmn": changed})
    page = modeler_site.sign_in("owner", locale="en")
    page.goto(modeler_site.url + "/processes/modeler?key=exchange")
    page.evaluate("window.liandongModeler.ready")
    assert page.get_attribute(".djs-palette [data-action='create.task']", "aria-label") == "Create task"
    page.screenshot(path=str(modeler_site.artifacts / "modeler-en.png"))
    page.goto(modeler_site.url + "/processes/exchange/diff?from=1&to=2")
    page.evaluate("window.liandongDiffReady")
    assert page.locator("#diff-new .djs-element.diff-changed[data-element-id='Task_Organise']").count() == 1
    page.screenshot(path=str(modeler_site.artifacts / "diff-en.png"))


BLANK_TO_PROCESS = """() => {
  const modeler = window.liandongModeler.modeler;
  const registry = modeler.get('elementRegistry');
  const modeling = modeler.get('modeling');
  const start = registry.get('StartEvent_1');
  const task = modeling.appendShape(start, { type: 'bpmn:UserTask' });
  modeling.updateLabel(task, 'Say hello');
  modeling.appendShape(task, { type: 'bpmn:EndEvent' });
  return task.id;
}"""


def test_blank_diagram_and_uploaded_files(modeler_site, tmp_path):
    page = modeler_site.sign_in("owner")
    page.goto(modeler_site.url + "/processes/modeler")
    page.evaluate("window.liandongModeler.ready")
    [blank] = page.evaluate("Object.keys(window.liandongModeler.state.files)")
    task_id = page.evaluate(BLANK_TO_PROCESS)
    # A .dmn file uploaded beside the diagram opens in the decision table editor and goes
    # with the model.
    page.set_input_files("#file-upload", str(GRADING))
    page.wait_for_function("document.querySelector('#file-select').value === 'grading.dmn'")
    page.wait_for_selector("#dmn-canvas .tjs-table")
    assert page.is_hidden("#text-editor") and page.is_hidden("#canvas")
    # One its editor cannot read opens as text, with an error, and keeps what it holds.
    broken = tmp_path / "broken.dmn"
    broken.write_text("<definitions><decision id='d'>", "utf-8")
    page.set_input_files("#file-upload", str(broken))
    page.wait_for_selector("#modeler-status.flash-error")
    assert "broken.dmn" in page.inner_text("#modeler-status") and page.is_hidden("#dmn-canvas")
    assert page.input_value("#text-editor") == "<definitions><decision id='d'>"
    page.fill("#text-editor", "<definitions><decision id='d2'>")
    page.select_option("#file-select", "grading.dmn")
    page.wait_for_selector("#dmn-canvas .tjs-table")
    assert "<decision id='d2'>" in page.evaluate("window.liandongModeler.state.files['broken.dmn']")
    page.evaluate("delete window.liandongModeler.state.files['broken.dmn']")
    page.select_option("#file-select", blank)
    page.fill("#model-key", "hello_world")
    page.click("#btn-deploy")
    page.wait_for_selector("#modeler-status.flash-success")
    [version] = modeler_site.engine.versions("hello_world")
    assert set(version.files) == {blank, "grading.dmn"}
    # Deployed with its warnings listed: the new task has no lane and no form.
    rules = page.eval_on_selector_all(f"li.problem[data-element='{task_id}']", "items => items.map(i => i.dataset.rule)")
    assert "user-task-form" in rules


def test_owner_changes_a_decision_table_in_the_modeler_and_deploys_it(modeler_site):
    engine = modeler_site.engine
    engine.deploy({"evaluation.bpmn": EVALUATION.read_bytes(), "grading.dmn": GRADING.read_bytes()})
    page = modeler_site.sign_in("owner")
    page.goto(modeler_site.url + "/processes/modeler?key=evaluation")
    page.evaluate("window.liandongModeler.ready")
    page.select_option("#file-select", "grading.dmn")
    table = page.wait_for_selector("#dmn-canvas .tjs-table")
    assert page.is_hidden("#canvas") and page.is_hidden("#text-editor")
    header = table.inner_text()
    assert "当" in header and "则" in header  # When / Then, in Chinese
    assert page.inner_text("#dmn-canvas .hit-policy .dms-input") == "唯一"  # the hit policy Unique
    assert "No activity held: fail" in table.inner_text()
    page.screenshot(path=str(modeler_site.artifacts / "modeler-decision-table-zh.png"))

    cell = page.locator("#dmn-canvas td[data-element-id='Rule_1_points']")
    cell.click()
    page.keyboard.press("Control+A")
    page.keyboard.type("1")
    page.click("#btn-deploy")
    page.wait_for_selector("#modeler-status.flash-success")
    latest = engine.versions("evaluation")[0]
    assert latest.version == 2
    with engine.db.transaction() as s:
        from engine.storage import ProcessFile
        dmn = s.scalar(select(ProcessFile.content).where(ProcessFile.process_version_id == latest.id,
                                                         ProcessFile.name == "grading.dmn")).decode()
    rule = etree.fromstring(dmn.encode()).find(".//{*}outputEntry[@id='Rule_1_points']")
    assert rule.findtext("{*}text") == "1"
