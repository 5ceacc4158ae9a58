"""The undefined-name lint rule: a script, condition or decision input reading a name that
nothing before it sets is a warning (issue 13, item 2)."""
import re

import pytest

from engine.models.bpmn.names import script_reads
from engine.models.bpmn.lint import lint_model
from engine.models.checks import check_files, fields_of
from engine.models.files import collect
from engine.models.forms import FormStore

from tests.conftest import ROOT
from tests.engine.models.bpmn.test_lint import chain, model

FORMS = {"plan.json": {"unit", "score"}}


def warned(body, files=None, form_fields=FORMS.get, **kwargs):
    files = {'m.bpmn': model(body), **(files or {})}
    return [(p.element_id, p.line, re.search(r"reads '(\w+)'", p.message)[1]) for p in
            lint_model(files, form_fields=form_fields, **kwargs) if p.rule == 'undefined-name']


def script(node_id, source, tag='scriptTask'):
    return node_id, f'<bpmn:{tag} id="{node_id}"><bpmn:script>{source}</bpmn:script></bpmn:{tag}>'


FORM_TASK = ('U', '''<bpmn:userTask id="U"><bpmn:extensionElements><spiffworkflow:properties>
        <spiffworkflow:property name="formJsonSchemaFilename" value="plan.json" />
      </spiffworkflow:properties></bpmn:extensionElements></bpmn:userTask>''')


def test_a_script_reading_what_nothing_sets_is_warned_at_its_line():
    body = chain(script('A', 'x = 1'), script('B', 'y = x + z\nw = q'))
    assert warned(body) == [('B', 6, 'z'), ('B', 7, 'q')]  # the script's own line in the file


def test_set_before_by_a_form_a_script_or_the_start_data():
    body = chain(FORM_TASK, script('A', 'total = score * 2'), script('B', 'r = total + unit'))
    assert warned(body) == []
    assert warned(chain(script('B', 'r = total'))) == [('B', 5, 'total')]
    declared = '''<bpmn:extensionElements><spiffworkflow:properties>
      <spiffworkflow:property name="startData" value="total, unit"/></spiffworkflow:properties></bpmn:extensionElements>
'''
    assert warned(declared + chain(script('B', 'r = total + unit'))) == []


def test_a_form_whose_fields_are_unknown_may_set_anything():
    body = chain(FORM_TASK, script('A', 'r = anything'))
    assert warned(body, form_fields=None) == []
    assert warned(body, form_fields=lambda name: None) == []
    assert warned(body) == [('A', 8, 'anything')]


def test_set_after_the_script_is_not_before_it():
    assert warned(chain(script('A', 'r = later'), script('B', 'later = 1'))) == [('A', 5, 'later')]


def test_a_name_set_on_one_branch_only_counts_as_set():
    body = '''    <bpmn:startEvent id="S" />
    <bpmn:exclusiveGateway id="G" default="F2" />
    <bpmn:scriptTask id="A"><bpmn:script>seen = True</bpmn:script></bpmn:scriptTask>
    <bpmn:exclusiveGateway id="J" />
    <bpmn:scriptTask id="B"><bpmn:script>r = seen</bpmn:script></bpmn:scriptTask>
    <bpmn:endEvent id="E" />
    <bpmn:sequenceFlow id="F1" sourceRef="S" targetRef="G" />
    <bpmn:sequenceFlow id="F2" sourceRef="G" targetRef="A" />
    <bpmn:sequenceFlow id="F3" sourceRef="G" targetRef="J"><bpmn:conditionExpression>flag</bpmn:conditionExpression></bpmn:sequenceFlow>
    <bpmn:sequenceFlow id="F4" sourceRef="A" targetRef="J" />
    <bpmn:sequenceFlow id="F5" sourceRef="J" targetRef="B" />
    <bpmn:sequenceFlow id="F6" sourceRef="B" targetRef="E" />'''
    assert warned(body) == [('F3', 12, 'flag')]  # the condition is reported at its flow


def test_python_itself_helpers_and_local_names_are_not_case_data():
    source = ("n = len([r for r in rows if r])\nm = max(n, 1)\nstart_cases('c', [], 'k')\n"
              "for i in range(3):\n    n = n + i\nf = lambda a: a + n")
    assert [name for name, _ in script_reads(source, 'exec')[0]] == ['rows']
    assert [name for name, _ in script_reads('count = count + 1', 'exec')[0]] == ['count']
    files = {'m.bpmn': model(chain(script('A', 'd = now() + timedelta(days=1)\nx = json.dumps(d)')))}
    assert [p for p in check_files(files) if p.rule == 'undefined-name'] == []


def test_a_message_variable_decision_outputs_and_a_call_activity_set_names():
    catch = ('C', '''<bpmn:intermediateCatchEvent id="C"><bpmn:messageEventDefinition id="MD">
        <bpmn:extensionElements><spiffworkflow:messageVariable>report</spiffworkflow:messageVariable></bpmn:extensionElements>
      </bpmn:messageEventDefinition></bpmn:intermediateCatchEvent>''')
    assert warned(chain(catch, script('A', 'r = report + other'))) == [('A', 8, 'other')]
    anonymous = ('C', '<bpmn:intermediateCatchEvent id="C"><bpmn:messageEventDefinition id="MD"/></bpmn:intermediateCatchEvent>')
    assert warned(chain(anonymous, script('A', 'r = other'))) == []  # its payload is not named


DMN = b'''<?xml version="1.0" encoding="UTF-8"?>
<definitions xmlns="https://www.omg.org/spec/DMN/20191111/MODEL/" id="Defs" name="d" namespace="t">
  <decision id="grade" name="grade"><decisionTable id="T">
    <input id="I1"><inputExpression id="IE1" typeRef="integer"><text>held</text></inputExpression></input>
    <output id="O1" name="points" typeRef="integer"/>
    <rule id="R1"><inputEntry id="E1"><text>-</text></inputEntry><outputEntry id="X1"><text>1</text></outputEntry></rule>
  </decisionTable></decision>
</definitions>'''


def test_a_decision_reads_its_inputs_and_sets_its_outputs():
    rule = ('R', '''<bpmn:businessRuleTask id="R"><bpmn:extensionElements>
        <spiffworkflow:calledDecisionId>grade</spiffworkflow:calledDecisionId></bpmn:extensionElements></bpmn:businessRuleTask>''')
    assert warned(chain(rule, script('A', 'r = points')), {'g.dmn': DMN}) == [('R', 5, 'held')]


def test_the_campaign_models_read_nothing_unset_and_lose_their_start_data_without_it():
    """The shipped models are clean; without `startData` the province model's first script
    reads `dates` from nowhere: what failed with a NameError when started by hand."""
    forms = FormStore(ROOT / "forms")
    for found in collect([ROOT / "processes"]):
        problems = check_files(found.files, forms.exists, fields_of(forms))
        assert [str(p) for p in problems] == [], found.label
    [province] = collect([ROOT / "processes" / "province"])
    files = {name: content.replace(b'name="startData"', b'name="unused"') for name, content in province.files.items()}
    names = {re.search(r"reads '(\w+)'", p.message)[1] for p in check_files(files, forms.exists, fields_of(forms))
             if p.rule == 'undefined-name'}
    assert {"dates", "province", "themes"} <= names


@pytest.mark.parametrize("source", ["x = (", "", "def f(:"])
def test_a_script_that_does_not_parse_reads_nothing(source):
    assert script_reads(source, 'exec') == ([], set())


CALLED = b'''<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="D2" targetNamespace="t">
  <bpmn:process id="Q" isExecutable="true">
    <bpmn:startEvent id="QS" />
    <bpmn:scriptTask id="QA"><bpmn:script>computed = given * 2</bpmn:script></bpmn:scriptTask>
    <bpmn:endEvent id="QE" />
    <bpmn:sequenceFlow id="QF1" sourceRef="QS" targetRef="QA" />
    <bpmn:sequenceFlow id="QF2" sourceRef="QA" targetRef="QE" />
  </bpmn:process>
</bpmn:definitions>'''


def test_a_call_activity_passes_its_data_in_and_brings_the_called_process_data_back():
    call = ('CA', '<bpmn:callActivity id="CA" calledElement="Q" />')
    assert warned(chain(script('A', 'given = 1'), call, script('B', 'r = computed')), {'q.bpmn': CALLED}) == []
    assert warned(chain(call, script('B', 'r = computed')), {'q.bpmn': CALLED}) == [('QA', 5, 'given')]


def test_a_timer_expression_naming_a_variable_is_read_like_a_condition():
    def timer(text):
        return ('T', f'''<bpmn:intermediateCatchEvent id="T"><bpmn:timerEventDefinition id="TD">
        <bpmn:timeDate>{text}</bpmn:timeDate></bpmn:timerEventDefinition></bpmn:intermediateCatchEvent>''')
    assert warned(chain(timer("dates['deployment']"))) == [('T', 6, 'dates')]
    assert warned(chain(script('A', 'deadline = "2016-04-20T00:00:00+08:00"'), timer('deadline'))) == []
    for literal in ("2016-04-20T00:00:00+08:00", "PT1H", "'P1D'", "R3/PT1H"):
        assert warned(chain(timer(literal))) == []
