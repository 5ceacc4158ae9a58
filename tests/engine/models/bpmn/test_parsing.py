"""parse_model: BPMN and DMN files become SpiffWorkflow specs, or a ModelError with located problems."""

from pathlib import Path

import pytest
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.util.task import TaskState

from engine.models.bpmn.parsing import ParsedModel, parse_model, parse_spec_for
from engine.errors import ModelError

from tests.conftest import DATA


def files(*names):
    return {name: (DATA / name).read_bytes() for name in names}


def model(body, process_attrs='id="P" isExecutable="true"', extra=''):
    return f'''<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="D" targetNamespace="t">
  <bpmn:process {process_attrs}>
{body}
  </bpmn:process>{extra}
</bpmn:definitions>
'''.encode()


SIMPLE = '''    <bpmn:startEvent id="StartEvent_1" />
    <bpmn:endEvent id="EndEvent_1" />
    <bpmn:sequenceFlow id="F1" sourceRef="StartEvent_1" targetRef="EndEvent_1" />'''


def model_error(file_map, **kwargs):
    with pytest.raises(ModelError) as caught:
        parse_model(file_map, **kwargs)
    error = caught.value
    assert error.problems, 'a ModelError must list its problems'
    assert str(error).startswith('Invalid model: ')
    return error


def test_parses_a_single_process_into_a_runnable_spec():
    parsed = parse_model(files('approval.bpmn'))
    assert isinstance(parsed, ParsedModel)
    assert parsed.process_ids == ['Process_approval']
    assert parsed.primary_process_id == 'Process_approval'
    assert parsed.process_names == {'Process_approval': 'Event approval'}
    assert parsed.spec.name == 'Process_approval'
    assert parsed.subprocess_specs == {}
    assert parsed.files == files('approval.bpmn')
    workflow = BpmnWorkflow(parsed.spec, parsed.subprocess_specs)
    workflow.do_engine_steps()
    ready = workflow.get_tasks(state=TaskState.READY)
    assert [task.task_spec.bpmn_id for task in ready] == ['Task_plan']
    assert ready[0].task_spec.lane == 'organiser'


def test_dmn_and_business_rule_task_parse_together_and_run():
    parsed = parse_model(files('pricing.bpmn', 'discount.dmn'))
    assert parsed.primary_process_id == 'Process_pricing'
    assert parsed.decision_ids == ['Decision_discount']
    workflow = BpmnWorkflow(parsed.spec, parsed.subprocess_specs)
    workflow.do_engine_steps()
    assert workflow.is_completed()
    assert workflow.data['discount'] == 0.1


def test_business_rule_task_without_its_decision_is_located():
    error = model_error(files('pricing.bpmn'))
    [problem] = error.problems
    assert (problem.file, problem.line, problem.element_id) == ('pricing.bpmn', 13, 'Task_discount')
    assert "'Decision_discount'" in problem.message and 'not in this model' in problem.message


def test_broken_decision_table_is_located_in_the_dmn_file():
    dmn = (DATA / 'discount.dmn').read_bytes().replace(b'<text>0.1</text>', b'<text>0.1 +</text>')
    error = model_error({'pricing.bpmn': (DATA / 'pricing.bpmn').read_bytes(), 'discount.dmn': dmn}, strict=True)
    [problem] = error.problems
    assert (problem.file, problem.element_id, problem.rule) == ('discount.dmn', 'LiteralExpression_gold', 'parse')
    assert problem.line == 15
    assert 'Malformed Output Expression' in problem.message


def test_dmn_schema_violation_is_reported_with_line():
    dmn = (DATA / 'discount.dmn').read_bytes().replace(b'<decisionTable id="DecisionTable_discount">',
                                                       b'<decisionTable id="DecisionTable_discount" bogus="1">')
    error = model_error({'pricing.bpmn': (DATA / 'pricing.bpmn').read_bytes(), 'discount.dmn': dmn}, strict=True)
    [problem] = error.problems
    assert (problem.file, problem.line, problem.rule) == ('discount.dmn', 4, 'xsd')
    assert problem.element_id == 'DecisionTable_discount'


def test_call_activity_makes_the_caller_primary_whatever_the_file_order():
    forward = parse_model(files('caller.bpmn', 'called.bpmn'))
    backward = parse_model(dict(reversed(list(files('caller.bpmn', 'called.bpmn').items()))))
    for parsed in (forward, backward):
        assert parsed.primary_process_id == 'Process_caller'
        assert parsed.process_ids == ['Process_called', 'Process_caller']
        assert list(parsed.subprocess_specs) == ['Process_called']
    workflow = BpmnWorkflow(forward.spec, forward.subprocess_specs)
    workflow.do_engine_steps()
    assert workflow.is_completed()


def test_caller_may_choose_the_process():
    parsed = parse_model(files('caller.bpmn', 'called.bpmn'), process_id='Process_called')
    assert parsed.primary_process_id == 'Process_called'
    assert parsed.spec.name == 'Process_called'


def test_unknown_process_choice_is_refused():
    error = model_error(files('approval.bpmn'), process_id='Process_nope')
    assert 'Process_nope' in str(error) and 'Process_approval' in str(error)


def test_call_to_a_process_outside_the_model_is_located():
    error = model_error(files('caller.bpmn'))
    [problem] = error.problems
    assert (problem.file, problem.line, problem.element_id) == ('caller.bpmn', 8, 'Call_venue')
    assert "'Process_called'" in problem.message


def test_collaboration_prefers_the_pool_a_person_starts():
    parsed = parse_model(files('two_pools.bpmn'))
    assert parsed.process_ids == ['Process_partner', 'Process_organiser']
    assert parsed.primary_process_id == 'Process_organiser'


def test_parse_spec_for_returns_what_bpmn_workflow_takes():
    spec, subprocess_specs = parse_spec_for(files('caller.bpmn', 'called.bpmn'))
    assert spec.name == 'Process_caller' and set(subprocess_specs) == {'Process_called'}


def test_schema_violation_names_file_line_and_element():
    body = SIMPLE + '\n    <bpmn:exclusiveGateway id="G" gatewayDirection="Sideways" />'
    error = model_error({'p.bpmn': model(body)}, strict=True)
    [problem] = error.problems
    assert (problem.file, problem.line, problem.element_id, problem.rule) == ('p.bpmn', 7, 'G', 'xsd')
    assert 'bpmn:exclusiveGateway' in problem.message and '{http' not in problem.message
    assert 'p.bpmn:7 [G] error xsd' in str(error)


def test_unsupported_element_is_a_clear_problem():
    body = '''    <bpmn:startEvent id="StartEvent_1" />
    <bpmn:complexGateway id="Gateway_1" />
    <bpmn:endEvent id="EndEvent_1" />
    <bpmn:sequenceFlow id="F1" sourceRef="StartEvent_1" targetRef="Gateway_1" />
    <bpmn:sequenceFlow id="F2" sourceRef="Gateway_1" targetRef="EndEvent_1" />'''
    error = model_error({'p.bpmn': model(body)})
    [problem] = error.problems
    assert (problem.line, problem.element_id) == (5, 'Gateway_1')
    assert problem.message == 'SpiffWorkflow cannot execute bpmn:complexGateway'


def test_model_without_executable_process_is_refused():
    error = model_error({'p.bpmn': model(SIMPLE, 'id="P" isExecutable="false"')})
    [problem] = error.problems
    assert (problem.rule, problem.element_id, problem.line) == ('not-executable', 'P', 3)


def test_model_of_only_dmn_is_refused():
    error = model_error(files('discount.dmn'))
    assert error.problems[0].message == 'the model has no BPMN file'


def test_duplicate_process_ids_across_files_are_refused():
    error = model_error({'a.bpmn': model(SIMPLE), 'b.bpmn': model(SIMPLE)})
    [problem] = error.problems
    assert problem.file == 'b.bpmn' and 'Duplicate process ID: P' in problem.message


def test_unsafe_or_malformed_or_foreign_files_stop_parsing():
    error = model_error({'a.bpmn': model(SIMPLE), 'evil.bpmn': (DATA / 'xxe.bpmn').read_bytes(),
                         'broken.bpmn': b'<a>', 'other.xml': b'<svg xmlns="http://www.w3.org/2000/svg"/>'})
    rules = {problem.file: problem.rule for problem in error.problems}
    assert rules == {'evil.bpmn': 'xml', 'broken.bpmn': 'xml', 'other.xml': 'not-a-model'}


def test_ids_spiffworkflow_reserves_are_refused():
    # SpiffWorkflow names its own start task "Start": a start event with that id never runs.
    body = '''    <bpmn:startEvent id="Start" />
    <bpmn:endEvent id="End" />
    <bpmn:sequenceFlow id="F1" sourceRef="Start" targetRef="End" />'''
    error = model_error({'p.bpmn': model(body)})
    assert [(p.element_id, p.rule, p.line) for p in error.problems] == [
        ('Start', 'reserved-id', 4), ('End', 'reserved-id', 5)]
