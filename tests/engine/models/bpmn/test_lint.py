"""Lint rules (each positive and negative), Problem, and the full verdict of validate_files."""

import random
from pathlib import Path
from xml.sax.saxutils import escape

import pytest

from engine.models.bpmn.lint import lint_model, timer_expression_error, validate_files
from engine.models.bpmn.problems import Problem
from engine.models.bpmn.xml import MAX_MODEL_BYTES
from engine.errors import ScriptError

from tests.conftest import DATA
HEAD = '''<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core" id="D" targetNamespace="t">
  <bpmn:process id="P" isExecutable="{executable}">
'''  # the process body starts on line 4
TAIL = '''
  </bpmn:process>
</bpmn:definitions>
'''
FORM = '''<bpmn:extensionElements><spiffworkflow:properties>
        <spiffworkflow:property name="formJsonSchemaFilename" value="form.json" />
      </spiffworkflow:properties></bpmn:extensionElements>'''


def model(body, executable='true'):
    return (HEAD.format(executable=executable) + body + TAIL).encode()


def chain(*nodes):
    """A start event, the given nodes in a row, an end event; returns XML."""
    ids = ['S'] + [node_id for node_id, _ in nodes] + ['E']
    xml = ['    <bpmn:startEvent id="S" />']
    xml += [f'    {element}' for _, element in nodes]
    xml += ['    <bpmn:endEvent id="E" />']
    xml += [f'    <bpmn:sequenceFlow id="F{i}" sourceRef="{a}" targetRef="{b}" />'
            for i, (a, b) in enumerate(zip(ids, ids[1:]))]
    return '\n'.join(xml)


def found(body, rule, **kwargs):
    problems = lint_model({'m.bpmn': model(body)}, **kwargs)
    assert not [p for p in problems if p.rule == 'xml'], 'the test model itself is malformed'
    return [p for p in problems if p.rule == rule]


# -- Problem ------------------------------------------------------------------------------

def test_problem_renders_file_line_element_severity_rule():
    problem = Problem('processes/x.bpmn', 42, 'Task_1', 'error', 'xsd', 'bad attribute')
    assert str(problem) == 'processes/x.bpmn:42 [Task_1] error xsd: bad attribute'
    assert str(Problem('x.bpmn', None, None, 'warning', 'r', 'm')) == 'x.bpmn warning r: m'
    assert problem.to_dict() == {'file': 'processes/x.bpmn', 'line': 42, 'element_id': 'Task_1',
                                 'severity': 'error', 'rule': 'xsd', 'message': 'bad attribute'}


def test_problem_refuses_unknown_severity():
    with pytest.raises(ValueError):
        Problem('x.bpmn', 1, None, 'fatal', 'r', 'm')


# -- user-task-lane -----------------------------------------------------------------------

LANES = '''    <bpmn:laneSet id="LS"><bpmn:lane id="L1" name="staff">
      <bpmn:flowNodeRef>S</bpmn:flowNodeRef>{refs}
    </bpmn:lane></bpmn:laneSet>
'''


def test_user_task_outside_every_lane_is_flagged():
    body = LANES.format(refs='') + chain(('U', f'<bpmn:userTask id="U">{FORM}</bpmn:userTask>'))
    [problem] = found(body, 'user-task-lane')
    assert (problem.element_id, problem.severity, problem.line) == ('U', 'warning', 8)


def test_user_task_in_a_lane_or_in_a_laned_subprocess_is_fine():
    inner = f'''<bpmn:subProcess id="Sub">
      <bpmn:startEvent id="S2" /><bpmn:userTask id="U2">{FORM}</bpmn:userTask><bpmn:endEvent id="E2" />
      <bpmn:sequenceFlow id="G1" sourceRef="S2" targetRef="U2" /><bpmn:sequenceFlow id="G2" sourceRef="U2" targetRef="E2" />
    </bpmn:subProcess>'''
    refs = '<bpmn:flowNodeRef>U</bpmn:flowNodeRef><bpmn:flowNodeRef>Sub</bpmn:flowNodeRef>'
    body = LANES.format(refs=refs) + chain(('U', f'<bpmn:userTask id="U">{FORM}</bpmn:userTask>'), ('Sub', inner))
    assert found(body, 'user-task-lane') == []


def test_user_task_in_a_process_without_lanes_is_fine():
    assert found(chain(('U', f'<bpmn:userTask id="U">{FORM}</bpmn:userTask>')), 'user-task-lane') == []


# -- user-task-form and form-missing ------------------------------------------------------

def test_user_task_without_form_is_flagged():
    [problem] = found(chain(('U', '<bpmn:userTask id="U" />')), 'user-task-form')
    assert (problem.element_id, problem.severity, problem.line) == ('U', 'warning', 5)


def test_user_task_with_empty_form_name_is_flagged():
    body = chain(('U', f'<bpmn:userTask id="U">{FORM.replace("form.json", " ")}</bpmn:userTask>'))
    assert [p.element_id for p in found(body, 'user-task-form')] == ['U']


def test_user_task_with_form_is_fine():
    assert found(chain(('U', f'<bpmn:userTask id="U">{FORM}</bpmn:userTask>')), 'user-task-form') == []


def test_missing_form_files_are_errors_on_the_property_line():
    ui = '<spiffworkflow:property name="formUiSchemaFilename" value="ui.json" />'
    body = chain(('U', f'<bpmn:userTask id="U">{FORM.replace("</spiffworkflow:properties>", ui + "</spiffworkflow:properties>")}</bpmn:userTask>'))
    problems = found(body, 'form-missing', form_exists=lambda name: False)
    assert [(p.element_id, p.severity, p.line) for p in problems] == [('U', 'error', 6), ('U', 'error', 7)]
    assert "'form.json'" in problems[0].message and "'ui.json'" in problems[1].message


def test_existing_form_files_are_fine():
    seen = []
    body = chain(('U', f'<bpmn:userTask id="U">{FORM}</bpmn:userTask>'))
    assert found(body, 'form-missing', form_exists=lambda name: seen.append(name) or True) == []
    assert seen == ['form.json']


# -- timer-expression ---------------------------------------------------------------------

@pytest.mark.parametrize('kind, text', [
    ('timeDuration', "'PT1H'"), ('timeDuration', '"P1D"'), ('timeDuration', 'PT1H'),
    ('timeDuration', 'P1D'), ('timeDuration', 'P1Y2M3DT4H5M6S'), ('timeDuration', ' PT30M \n'),
    ('timeCycle', 'R3/PT1H'), ('timeCycle', "'R3/PT1H'"), ('timeCycle', 'R/P1D'),
    ('timeDate', '2016-04-20T00:00:00+08:00'), ('timeDate', '2016-04-20'), ('timeDate', "'2016-04-20'"),
    ('timeDate', 'plan_deadline'), ('timeDuration', 'reminder_at'), ('timeDuration', "f'PT{hours}H'"),
    ('timeDate', 'event["date"]'),
])
def test_timer_expression_accepted(kind, text):
    assert timer_expression_error(kind, text) is None


@pytest.mark.parametrize('kind, text', [
    ('timeDuration', "'PT1X'"), ('timeDuration', 'P1H'), ('timeDuration', "'P'"), ('timeDuration', '5'),
    ('timeDuration', '1 hour'), ('timeDuration', ''), ('timeCycle', 'PT1H'), ('timeCycle', '0 0 * * *'),
    ('timeDate', '2016-13-45'), ('timeDate', "'tomorrow'"), ('timeDate', "'2016-04-20"),
])
def test_timer_expression_rejected(kind, text):
    assert timer_expression_error(kind, text)


def timer_model(definition):
    return chain(('T', f'''<bpmn:intermediateCatchEvent id="T">
      <bpmn:timerEventDefinition id="TD">
        {definition}
      </bpmn:timerEventDefinition>
    </bpmn:intermediateCatchEvent>'''))


def test_bad_timer_is_an_error_on_the_expression_line_naming_the_event():
    [problem] = found(timer_model('<bpmn:timeDuration>in an hour</bpmn:timeDuration>'), 'timer-expression')
    assert (problem.element_id, problem.severity, problem.line) == ('T', 'error', 7)
    assert problem.message.startswith('timeDuration: ')


def test_timer_without_expression_is_an_error():
    [problem] = found(timer_model(''), 'timer-expression')
    assert problem.element_id == 'T' and 'no timeDate' in problem.message


def test_good_timer_is_fine():
    assert found(timer_model('<bpmn:timeDuration>PT1H</bpmn:timeDuration>'), 'timer-expression') == []


def test_timer_variable_goes_through_the_given_compiler():
    def refuse(source, mode):
        raise ScriptError('names starting with "_" are not allowed')
    body = timer_model('<bpmn:timeDate>_secret</bpmn:timeDate>')
    [problem] = found(body, 'timer-expression', compile_script=refuse)
    assert 'not allowed' in problem.message


# -- gateway-default ----------------------------------------------------------------------

def gateway(kind='exclusiveGateway', default='', conditions=('x > 1', None)):
    flows = []
    for i, condition in enumerate(conditions):
        expression = f'<bpmn:conditionExpression>{escape(condition)}</bpmn:conditionExpression>' if condition else ''
        flows.append(f'    <bpmn:sequenceFlow id="O{i}" sourceRef="G" targetRef="E">{expression}</bpmn:sequenceFlow>')
    attribute = f' default="{default}"' if default else ''
    return '\n'.join([
        '    <bpmn:startEvent id="S" />', f'    <bpmn:{kind} id="G"{attribute} />', '    <bpmn:endEvent id="E" />',
        '    <bpmn:sequenceFlow id="F0" sourceRef="S" targetRef="G" />', *flows])


@pytest.mark.parametrize('kind', ['exclusiveGateway', 'inclusiveGateway'])
def test_gateway_with_bare_flow_and_no_default_is_flagged(kind):
    [problem] = found(gateway(kind), 'gateway-default')
    assert (problem.element_id, problem.severity, problem.line) == ('G', 'warning', 5)
    assert 'O1' in problem.message and 'O0' not in problem.message


def test_gateway_default_pointing_elsewhere_is_flagged():
    [problem] = found(gateway(default='F0'), 'gateway-default')
    assert "'F0'" in problem.message


@pytest.mark.parametrize('body', [
    gateway(default='O1'), gateway(conditions=('x > 1', 'x <= 1')), gateway(conditions=(None,)),
    gateway('parallelGateway', conditions=(None, None)),
])
def test_gateway_with_default_or_all_conditions_or_one_flow_is_fine(body):
    assert found(body, 'gateway-default') == []


# -- unreachable --------------------------------------------------------------------------

def test_node_without_incoming_flow_is_flagged():
    body = chain(('A', '<bpmn:task id="A" />')) + '\n    <bpmn:task id="Orphan" />'
    [problem] = found(body, 'unreachable')
    assert (problem.element_id, problem.severity, problem.line) == ('Orphan', 'warning', 9)
    assert 'no incoming sequence flow' in problem.message


def test_island_loop_is_flagged():
    body = chain(('A', '<bpmn:task id="A" />')) + '''
    <bpmn:task id="X" /><bpmn:task id="Y" />
    <bpmn:sequenceFlow id="XY" sourceRef="X" targetRef="Y" /><bpmn:sequenceFlow id="YX" sourceRef="Y" targetRef="X" />'''
    problems = found(body, 'unreachable')
    assert [p.element_id for p in problems] == ['X', 'Y']
    assert 'cannot be reached from any start event' in problems[0].message


def test_boundary_event_subprocess_and_compensation_handler_are_reachable():
    body = chain(('A', '<bpmn:task id="A" />')) + '''
    <bpmn:boundaryEvent id="B" attachedToRef="A"><bpmn:timerEventDefinition><bpmn:timeDuration>PT1H</bpmn:timeDuration></bpmn:timerEventDefinition></bpmn:boundaryEvent>
    <bpmn:endEvent id="BE" /><bpmn:sequenceFlow id="BF" sourceRef="B" targetRef="BE" />
    <bpmn:task id="Undo" isForCompensation="true" />
    <bpmn:subProcess id="ES" triggeredByEvent="true">
      <bpmn:startEvent id="ES1"><bpmn:signalEventDefinition /></bpmn:startEvent>
      <bpmn:task id="ES2" /><bpmn:endEvent id="ES3" />
      <bpmn:sequenceFlow id="EF1" sourceRef="ES1" targetRef="ES2" /><bpmn:sequenceFlow id="EF2" sourceRef="ES2" targetRef="ES3" />
    </bpmn:subProcess>'''
    assert found(body, 'unreachable') == []


# -- script-compile -----------------------------------------------------------------------

def test_script_syntax_error_points_at_the_script_line():
    script = '<bpmn:scriptTask id="T"><bpmn:script>a = 1\nb = (\n</bpmn:script></bpmn:scriptTask>'
    [problem] = found(chain(('T', script)), 'script-compile')
    assert (problem.element_id, problem.severity) == ('T', 'error')
    assert problem.line in (6, 7)  # Python reports the unclosed bracket or the end of input
    assert problem.message.startswith('script does not compile: ')


def test_condition_and_pre_post_scripts_are_compiled():
    body = gateway(conditions=('x >', 'x <= 1'))
    task = '''<bpmn:task id="T"><bpmn:extensionElements>
        <spiffworkflow:preScript>ok = 1</spiffworkflow:preScript>
        <spiffworkflow:postScript>for</spiffworkflow:postScript>
      </bpmn:extensionElements></bpmn:task>'''
    problems = found(body, 'script-compile') + found(chain(('T', task)), 'script-compile')
    assert [(p.element_id, p.line) for p in problems] == [('O0', 8), ('T', 7)]
    assert problems[0].message.startswith('condition does not compile')
    assert problems[1].message.startswith('postScript does not compile')


def test_camunda_condition_gets_a_hint():
    [problem] = found(gateway(conditions=('${approved}', 'x')), 'script-compile')
    assert 'Camunda/JUEL' in problem.message


def test_valid_scripts_and_conditions_are_fine():
    script = '<bpmn:scriptTask id="T"><bpmn:script>total = sum(items)\nif total > 3:\n    big = True</bpmn:script></bpmn:scriptTask>'
    assert found(chain(('T', script)), 'script-compile') == []
    assert found(gateway(conditions=('\n  x > 1\n', 'x <= 1')), 'script-compile') == []


def test_the_given_compiler_decides_and_its_line_is_used():
    calls = []

    def sandbox(source, mode):
        calls.append((source, mode))
        if 'open(' in source:
            raise ScriptError('open is not allowed', line=2)
    script = '<bpmn:scriptTask id="T"><bpmn:script>x = 1\nopen("/etc/passwd")</bpmn:script></bpmn:scriptTask>'
    [problem] = found(chain(('T', script)), 'script-compile', compile_script=sandbox)
    assert problem.line == 6 and 'open is not allowed' in problem.message
    assert calls == [('x = 1\nopen("/etc/passwd")', 'exec')]


def test_the_project_sandbox_plugs_in():
    sandbox = pytest.importorskip('engine.sandbox.scripts')
    script = '<bpmn:scriptTask id="T"><bpmn:script>import os</bpmn:script></bpmn:scriptTask>'
    problems = found(chain(('T', script)), 'script-compile', compile_script=sandbox.compile_script)
    assert [p.element_id for p in problems] == ['T']
    assert found(timer_model('<bpmn:timeDuration>PT1H</bpmn:timeDuration>'), 'timer-expression',
                 compile_script=sandbox.compile_script) == []


# -- unsupported --------------------------------------------------------------------------

def test_unsupported_gateway_and_event_definitions_are_errors():
    body = chain(('C', '<bpmn:complexGateway id="C" />'),
                 ('L', '<bpmn:intermediateThrowEvent id="L"><bpmn:linkEventDefinition id="LD" name="x" /></bpmn:intermediateThrowEvent>'))
    problems = found(body, 'unsupported')
    assert [(p.element_id, p.line) for p in problems] == [('C', 5), ('L', 6)]
    assert problems[0].message == 'SpiffWorkflow cannot execute bpmn:complexGateway'
    assert 'bpmn:linkEventDefinition' in problems[1].message


def test_supported_elements_are_not_flagged():
    body = chain(('T', '<bpmn:task id="T" />'), ('G', '<bpmn:parallelGateway id="G" />'),
                 ('M', '<bpmn:manualTask id="M" />'))
    assert found(body, 'unsupported') == []


# -- scope and the full verdict -----------------------------------------------------------

def test_only_executable_processes_are_linted_when_there_is_one():
    documented = model(chain(('U', '<bpmn:userTask id="U" />')), executable='false')
    problems = lint_model({'a.bpmn': model(chain()), 'b.bpmn': documented.replace(b'id="P"', b'id="Q"')})
    assert problems == []


def test_clean_model_has_no_problems():
    files = {name: (DATA / name).read_bytes() for name in ('approval.bpmn', 'pricing.bpmn', 'discount.dmn')}
    assert validate_files(files, form_exists=lambda name: True) == []


def test_validate_files_reports_each_stage_and_sorts_errors_first():
    body = chain(('C', '<bpmn:complexGateway id="C" />'), ('U', '<bpmn:userTask id="U" />'))
    files = {'b.bpmn': model(body), 'a.xml': b'<root/>', 'c.bpmn': b'<broken'}
    problems = validate_files(files)
    assert [(p.file, p.severity, p.rule, p.element_id) for p in problems] == [
        ('a.xml', 'error', 'not-a-model', None),
        ('b.bpmn', 'error', 'unsupported', 'C'),  # SpiffWorkflow's own parse error on C is folded in
        ('b.bpmn', 'warning', 'user-task-form', 'U'),
        ('c.bpmn', 'error', 'xml', None),
    ]


def test_validate_files_order_does_not_depend_on_input_order():
    files = {f'{name}.bpmn': model(chain(('U', '<bpmn:userTask id="U" />'))).replace(b'id="P"', f'id="{name}"'.encode())
             for name in 'qwertyuiop'}
    expected = validate_files(files)
    keys = list(files)
    random.Random(7).shuffle(keys)
    assert validate_files({key: files[key] for key in keys}) == expected
    assert len(expected) == 10


@pytest.mark.parametrize('files', [
    {}, {'x.bpmn': b''}, {'x.bpmn': b'\x89PNG\r\n'}, {'x.bpmn': b'<root/>'}, {'x.dmn': b'{"a": 1}'},
    {'x.bpmn': (DATA / 'billion_laughs.bpmn').read_bytes()},
    {'x.bpmn': b'<a>' + b' ' * MAX_MODEL_BYTES + b'</a>'},
    {'x.bpmn': model('    <bpmn:startEvent id="S"><bpmn:outgoing>nowhere</bpmn:outgoing></bpmn:startEvent>'
                     '<bpmn:sequenceFlow id="F" sourceRef="S" targetRef="missing" />')},
    {'x.dmn': b'<definitions xmlns="https://www.omg.org/spec/DMN/20191111/MODEL/" id="d" name="n" namespace="x" />'},
])
def test_validate_files_never_raises_for_bad_input(files):
    problems = validate_files(files)
    assert problems and all(isinstance(p, Problem) for p in problems)
    assert any(p.is_error for p in problems)
