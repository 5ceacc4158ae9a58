"""Versions compared by meaning (issue 13, item 3): the same model written differently is the
same version; a moved shape makes a version labelled "layout only"; a diff names each real
change in words and nothing else."""
import pytest

from engine.models.canonical import LAYOUT, PROCESS, SAME, fingerprint
from tests.conftest import ROOT
from tests.engine.models.versions_models import linear, written_by_another_tool

ACTIVITY = ROOT / "processes" / "activity" / "activity.bpmn"


def any_form(name):
    return True


def _activity(engine, xml: bytes):
    return engine.deploy({"activity.bpmn": xml}, form_exists=any_form)


def _changes(diff):
    return {e.element_id: tuple(e.aspects) for e in diff.elements}


def test_the_same_model_written_differently_deploys_no_version(engine):
    """Opening activity in the modeler and saving it unchanged deployed version 2."""
    source = ACTIVITY.read_bytes()
    assert _activity(engine, source)[:3] == ("activity", 1, True)
    assert _activity(engine, written_by_another_tool(source))[:3] == ("activity", 1, False)
    assert [v.version for v in engine.versions("activity")] == [1]


def test_a_moved_shape_makes_a_layout_only_version(engine):
    source = ACTIVITY.read_bytes()
    _activity(engine, source)
    moved = source.replace(b'<dc:Bounds x="540" y="100" width="100" height="80"/>',
                           b'<dc:Bounds x="560" y="110" width="100" height="80"/>')
    assert moved != source
    assert _activity(engine, written_by_another_tool(moved))[:3] == ("activity", 2, True)
    versions = engine.versions("activity")
    assert [(v.version, v.change, v.change_words) for v in versions] == [
        (2, "layout", "layout only"), (1, "first", "first version")]
    diff = engine.diff_versions("activity", 1, 2)
    assert diff.kind == LAYOUT and "layout only" in diff.summary
    assert _changes(diff) == {"Task_PlanActivity": ("layout",)}
    assert diff.elements[0].words == ["moved in the diagram"]
    assert diff.to_dict()["kind"] == "layout"


def _edited(source: bytes) -> bytes:
    """activity with one change of each kind a process owner makes."""
    edits = [
        ('name="举办活动"', 'name="举办文化活动"'),  # Task_Hold renamed
        ('<bpmn:sequenceFlow id="Flow_8" name="退回压缩预算" sourceRef="Gateway_BudgetDecision" '
         'targetRef="Task_PlanActivity">',
         '<bpmn:sequenceFlow id="Flow_8" name="退回压缩预算" sourceRef="Gateway_BudgetDecision" '
         'targetRef="Script_CheckBudget">'),  # rewired
        ("<bpmn:conditionExpression>over_budget</bpmn:conditionExpression>",
         "<bpmn:conditionExpression>over_budget is True</bpmn:conditionExpression>"),
        ("<bpmn:script>material_complete = False\nmaterial_late = True</bpmn:script>",
         "<bpmn:script>material_complete = None\nmaterial_late = True</bpmn:script>"),
        ("<bpmn:timeDate>material_deadline</bpmn:timeDate>",
         "<bpmn:timeDate>material_deadline_extended</bpmn:timeDate>"),
        ('value="activity-prepare-schema.json"', 'value="activity-held-schema.json"'),
        ("<bpmn:flowNodeRef>Task_Publicity</bpmn:flowNodeRef>\n", ""),
        ("<bpmn:flowNodeRef>Task_ApproveBudget</bpmn:flowNodeRef>",
         "<bpmn:flowNodeRef>Task_ApproveBudget</bpmn:flowNodeRef><bpmn:flowNodeRef>Task_Publicity</bpmn:flowNodeRef>"),
    ]
    text = source.decode("utf-8")
    for before, after in edits:
        assert before in text, before
        text = text.replace(before, after)
    return text.encode("utf-8")


def test_a_diff_names_each_real_change_in_words_and_nothing_else(engine):
    source = ACTIVITY.read_bytes()
    _activity(engine, source)
    # Written back by the modeler, as a process owner would deploy it.
    _activity(engine, written_by_another_tool(_edited(source)))
    diff = engine.diff_versions("activity", 1, 2)
    assert diff.kind == PROCESS
    changes = _changes(diff)
    assert changes == {
        "Task_Hold": ("name",),
        "Flow_8": ("flows",),
        "Gateway_BudgetDecision": ("flows", "conditions"),
        "Task_PlanActivity": ("flows",),
        "Script_CheckBudget": ("flows",),
        "Flow_5": ("conditions",),
        "Gateway_Budget": ("conditions",),
        "Script_MaterialMissing": ("script",),
        "Timer_MaterialDeadline": ("timer",),  # not its cancelActivity, left out at its default
        "Task_Prepare": ("form",),
        "Task_Publicity": ("lane",),
    }
    words = {e.element_id: (e.words, e.details) for e in diff.elements}
    assert words["Task_Hold"] == (["renamed"], {"name": {"before": "举办活动", "after": "举办文化活动"}})
    assert words["Flow_8"] == (["flow rewired"], {"flows": {
        "before": "Gateway_BudgetDecision → Task_PlanActivity",
        "after": "Gateway_BudgetDecision → Script_CheckBudget"}})
    assert words["Flow_5"][0] == ["condition changed"]
    assert words["Flow_5"][1]["conditions"]["after"] == "over_budget is True"
    assert words["Script_MaterialMissing"][0] == ["script changed"]
    assert words["Timer_MaterialDeadline"] == (["timer changed"], {"timer": {
        "before": "material_deadline", "after": "material_deadline_extended"}})
    assert words["Task_Prepare"] == (["form changed"], {"form": {
        "before": "activity-prepare-schema.json", "after": "activity-held-schema.json"}})
    assert words["Task_Publicity"] == (["lane changed"], {"lane": {"before": "city", "after": "province"}})
    assert "changed sequenceFlow Flow_8 (退回压缩预算): flow rewired" in [str(e) for e in diff.elements]


def test_versions_written_differently_diff_as_the_same(engine):
    """A version deployed between them does not hide that v1 and v3 are the same model."""
    source = ACTIVITY.read_bytes()
    _activity(engine, source)
    _activity(engine, source.replace('name="举办活动"'.encode(), 'name="举办文化活动"'.encode()))
    assert _activity(engine, written_by_another_tool(source))[:3] == ("activity", 3, True)
    assert engine.versions("activity")[0].change == "process"
    same = engine.diff_versions("activity", 1, 3)
    assert (same.kind, same.elements) == (SAME, [])
    back = engine.diff_versions("activity", 2, 3)
    assert _changes(back) == {"Task_Hold": ("name",)}


def test_the_rule_what_counts_and_what_does_not():
    """Defaults, spelling and order do not count; a value does, including a default one
    written out as its opposite."""
    source = ACTIVITY.read_bytes()
    before = fingerprint({"activity.bpmn": source})
    assert before.process is not None  # compared as SpiffWorkflow runs it
    assert before.relation(fingerprint({"activity.bpmn": written_by_another_tool(source)})) == SAME
    interrupting = source.replace(b'cancelActivity="true"', b'cancelActivity="false"')
    assert before.relation(fingerprint({"activity.bpmn": interrupting})) == PROCESS
    renamed = source.replace('name="活动完成"'.encode(), 'name="活动结束"'.encode())
    assert before.relation(fingerprint({"activity.bpmn": renamed})) == PROCESS
    # A flow's name is drawn, not run: a new version, but of the diagram only.
    label = source.replace('name="未超限额"'.encode(), 'name="预算以内"'.encode())
    assert before.relation(fingerprint({"activity.bpmn": label})) == LAYOUT


@pytest.mark.parametrize("executable", ["false", "true"])
def test_files_spiffworkflow_cannot_run_are_compared_as_xml(executable):
    """A model SpiffWorkflow cannot parse (here: not executable) is compared by its XML:
    elements, attributes with their defaults, texts, references; not by bytes."""
    files = linear([("A", "Write"), ("B", "Check")], deadline="P1D")
    xml = files["linear.bpmn"].replace(b'isExecutable="true"', f'isExecutable="{executable}"'.encode())
    before = fingerprint({"linear.bpmn": xml})
    assert (before.process is None) == (executable == "false")
    assert before.relation(fingerprint({"linear.bpmn": written_by_another_tool(xml)})) == SAME
    changed = xml.replace(b'name="Check"', b'name="Check it"')
    assert before.relation(fingerprint({"linear.bpmn": changed})) == PROCESS


def test_a_decision_table_is_compared_as_it_runs(engine):
    """A DMN file re-indented is the same model; an output changed is a change, in words."""
    from lxml import etree
    folder = ROOT / "processes" / "evaluation"
    files = {p.name: p.read_bytes() for p in folder.iterdir()}
    engine.deploy(files, form_exists=any_form)
    table = etree.fromstring(files["grading.dmn"])
    etree.indent(table, space="\t")
    assert engine.deploy({**files, "grading.dmn": etree.tostring(table)}, form_exists=any_form)[1:3] == (1, False)
    weak = files["grading.dmn"].replace(b'<text>"fail"</text>', b'<text>"weak"</text>', 1)
    assert engine.deploy({**files, "grading.dmn": weak}, form_exists=any_form)[1:3] == (2, True)
    [change] = engine.diff_versions("evaluation", 1, 2).elements
    assert (change.element_id, change.aspects, change.words) == (
        "Rule_Grade", ["decision"], ["decision table changed"])
