"""The script sandbox: ordinary scripts, conditions and timer expressions work inside real
BpmnWorkflow runs, and each known escape or resource attack fails with a clear error while
leaving the task data as it was."""
import threading
import time
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.exceptions import WorkflowTaskException
from SpiffWorkflow.bpmn.parser import BpmnParser
from SpiffWorkflow.bpmn.specs.event_definitions import timer as spiff_timer
from SpiffWorkflow.util.task import TaskState

from engine.errors import ScriptError
from engine.sandbox.scripts import SandboxError, ScriptEngine, compile_script, is_iso_literal
from engine.sandbox.guards import MAX_ITEMS

FIXED_NOW = datetime(2024, 5, 1, 8, 30, tzinfo=timezone.utc)

GATEWAY_PROCESS = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    id="defs" targetNamespace="http://liandong.test/sandbox">
  <bpmn:process id="proc" isExecutable="true">
    <bpmn:startEvent id="start"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:scriptTask id="script" name="Compute" scriptFormat="python">
      <bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing>
      <bpmn:script>{script}</bpmn:script>
    </bpmn:scriptTask>
    <bpmn:exclusiveGateway id="gw" default="to_small">
      <bpmn:incoming>f2</bpmn:incoming>
      <bpmn:outgoing>to_big</bpmn:outgoing><bpmn:outgoing>to_small</bpmn:outgoing>
    </bpmn:exclusiveGateway>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="script"/>
    <bpmn:sequenceFlow id="f2" sourceRef="script" targetRef="gw"/>
    <bpmn:sequenceFlow id="to_big" sourceRef="gw" targetRef="end_big">
      <bpmn:conditionExpression>{condition}</bpmn:conditionExpression>
    </bpmn:sequenceFlow>
    <bpmn:sequenceFlow id="to_small" sourceRef="gw" targetRef="end_small"/>
    <bpmn:endEvent id="end_big"><bpmn:incoming>to_big</bpmn:incoming></bpmn:endEvent>
    <bpmn:endEvent id="end_small"><bpmn:incoming>to_small</bpmn:incoming></bpmn:endEvent>
  </bpmn:process>
</bpmn:definitions>
"""

TIMER_PROCESS = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
    id="defs" targetNamespace="http://liandong.test/sandbox">
  <bpmn:process id="timers" isExecutable="true">
    <bpmn:startEvent id="start"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:intermediateCatchEvent id="wait">
      <bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing>
      <bpmn:timerEventDefinition>
        <bpmn:{kind} xsi:type="bpmn:tFormalExpression">{expression}</bpmn:{kind}>
      </bpmn:timerEventDefinition>
    </bpmn:intermediateCatchEvent>
    <bpmn:endEvent id="end"><bpmn:incoming>f2</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="wait"/>
    <bpmn:sequenceFlow id="f2" sourceRef="wait" targetRef="end"/>
  </bpmn:process>
</bpmn:definitions>
"""


def _escape(text):
    return text.replace('&', '&amp;').replace('<', '&lt;').replace('>', '&gt;')


def _workflow(xml, process_id, engine, data=None):
    parser = BpmnParser()
    parser.add_bpmn_str(xml.encode())
    workflow = BpmnWorkflow(parser.get_spec(process_id), script_engine=engine)
    for task in workflow.get_tasks(state=TaskState.READY):
        task.data.update(data or {})
    return workflow


def gateway_workflow(script, condition="total &gt; 100", data=None, engine=None):
    xml = GATEWAY_PROCESS.format(script=_escape(script), condition=condition)
    engine = engine or ScriptEngine(time_limit=0.5, clock=lambda: FIXED_NOW)
    return _workflow(xml, 'proc', engine, data)


def timer_workflow(expression, kind='timeDate', data=None, engine=None):
    xml = TIMER_PROCESS.format(kind=kind, expression=_escape(expression))
    return _workflow(xml, 'timers', engine or ScriptEngine(), data)


def task_named(workflow, spec_name):
    return workflow.get_tasks(spec_name=spec_name)[0]


def completed(workflow, spec_name):
    return any(t.state == TaskState.COMPLETED for t in workflow.get_tasks(spec_name=spec_name))


def run_attack(script, data=None, time_limit=0.5):
    """Run `script` in a script task, check the task data is untouched, return the error."""
    data = dict(data or {'a': 1, 'items': [1, 2], 'case': {'title': 'Exhibition'}})
    engine = ScriptEngine(time_limit=time_limit, memory_limit_mb=64)
    workflow = gateway_workflow(script, data=data, engine=engine)
    with pytest.raises(WorkflowTaskException) as caught:
        workflow.do_engine_steps()
    script_task = task_named(workflow, 'script')
    assert script_task.data == data, "a refused script must leave task data unchanged"
    return caught.value


# -- ordinary scripts and conditions -----------------------------------------------------


def test_ordinary_script_and_gateway_condition_in_a_real_workflow():
    script = "\n".join([
        "start = datetime(2024, 5, 1, tzinfo=timezone.utc)",
        "due = (start + timedelta(days=3)).date().isoformat()",
        "price = Decimal('19.90') * 3",
        "total = int(price) + sum([30, 20], 0) + len(items)",
        "payload = json.dumps({'total': total, 'tags': sorted(set(tags))}, sort_keys=True)",
        "back = json.loads(payload)",
        "stamp = now().isoformat()",
        "month = now().strftime('%Y-%m')",
        "parsed = datetime.strptime('2024-05-03', '%Y-%m-%d').date().isoformat()",
        "encoded = len('Zhangjiakou'.encode('cp1252'))",
        "pairs = [(i, t) for i, t in enumerate(tags) if t != 'b']",
        "def label(n):",
        "    return f'{n:>6}|{n!r}'",
        "text = label(total)",
        "count = 0",
        "for x, y in zip(range(3), 'abc'):",
        "    count += x",
        "print(count)",
    ])
    workflow = gateway_workflow(script, data={'items': [1, 2], 'tags': ['b', 'a', 'b']})
    workflow.do_engine_steps()
    assert workflow.is_completed()
    data = task_named(workflow, 'end_big').data
    assert data['due'] == '2024-05-04'
    assert data['price'] == Decimal('59.70')
    assert data['total'] == 59 + 50 + 2
    assert data['back'] == {'tags': ['a', 'b'], 'total': 111}
    assert data['stamp'] == FIXED_NOW.isoformat()
    assert (data['month'], data['parsed'], data['encoded']) == ('2024-05', '2024-05-03', 11)
    assert data['pairs'] == [(1, 'a')]
    assert data['text'] == '   111|111'
    assert data['count'] == 3
    assert 'label' not in data and 'json' not in data and 'now' not in data
    assert not completed(workflow, 'end_small')


def test_gateway_default_flow_when_condition_is_false():
    workflow = gateway_workflow("total = 7")
    workflow.do_engine_steps()
    assert completed(workflow, 'end_small') and not completed(workflow, 'end_big')


def test_helpers_are_callable_but_never_stored_in_task_data():
    engine = ScriptEngine(helpers={'double': lambda v: v * 2}, clock=lambda: FIXED_NOW)
    engine.helpers['triple'] = lambda v: v * 3
    seen = []
    engine.task_helpers['whoami'] = lambda task, tag: seen.append((task.task_spec.bpmn_id, tag))
    script = "total = double(50) + triple(1)\nf = double\nj = json\nwhoami('x')\nw = whoami\n"
    workflow = gateway_workflow(script, data={'_internal': 'kept'}, engine=engine)
    workflow.do_engine_steps()
    data = task_named(workflow, 'end_big').data
    assert data == {'_internal': 'kept', 'total': 103}
    assert seen == [('script', 'x')]
    with pytest.raises(ValueError):
        ScriptEngine(helpers={'_getattr_': getattr})
    with pytest.raises(ValueError):
        ScriptEngine(task_helpers={'_getattr_': getattr})


def test_script_can_modify_and_delete_task_data():
    workflow = gateway_workflow("case['title'] = 'New'\nitems.append(3)\ndel old\ntotal = 1",
                                data={'case': {'title': 'Old'}, 'items': [1], 'old': 1})
    workflow.do_engine_steps()
    assert task_named(workflow, 'end_small').data == {
        'case': {'title': 'New'}, 'items': [1, 3], 'total': 1}


def test_augmented_item_assignment_and_indented_scripts_work():
    script = "\n    counts['a'] += 1\n    counts['b'] = counts.get('b', 0)\n" \
             "    counts['b'] -= 2\n    total = counts['a'] * 100\n"
    workflow = gateway_workflow(script, data={'counts': {'a': 1}})
    workflow.do_engine_steps()
    assert task_named(workflow, 'end_big').data['counts'] == {'a': 2, 'b': -2}
    compile_script(script)


def test_open_is_refused_as_a_call_but_usable_as_a_data_name():
    workflow = gateway_workflow("total = 500 if open else 0", data={'open': True})
    workflow.do_engine_steps()
    assert completed(workflow, 'end_big')
    assert "name 'open' is not defined" in str(run_attack("f = open"))


def test_compiled_code_is_cached():
    from engine.sandbox.scripts import compiled
    engine = ScriptEngine()
    workflow = gateway_workflow("total = 500", engine=engine)
    workflow.do_engine_steps()
    task = task_named(workflow, 'end_big')
    before = compiled.cache_info().hits
    for _ in range(50):
        assert engine.evaluate(task, "total > 100") is True
    assert compiled.cache_info().hits >= before + 49


# -- attacks -----------------------------------------------------------------------------


@pytest.mark.parametrize('script, message', [
    ("import os", "Script refused: import is not allowed"),
    ("from os import path", "Script refused: import is not allowed"),
    ("__import__('os')", "Script refused: access to '__import__' is not allowed"),
    ("x = ().__class__.__bases__[0].__subclasses__()",
     "Script refused: access to '__class__' is not allowed"),
    ("open('/etc/passwd')", "Script refused: open() is not allowed"),
    ("f = eval", "Script refused: 'eval' is not allowed"),
    ("g = (lambda: 0).__globals__", "Script refused: access to '__globals__' is not allowed"),
    ("g = (x for x in []).gi_frame", "Script refused: access to 'gi_frame' is not allowed"),
    ("eval('1')", "Script refused: eval() is not allowed"),
    ("exec('1')", "Script refused: exec() is not allowed"),
    ("class X: pass", "Script refused: class definitions are not allowed"),
    ("x = 1 +", "Script syntax error"),
])
def test_compile_time_refusals(script, message):
    error = run_attack("total = 1\n" + script)
    assert message in str(error)
    assert error.line_number == 2


@pytest.mark.parametrize('script, message', [
    ("x = getattr(a, '__class__')", "Script refused: access to '__class__' is not allowed"),
    ("g = (x for x in [])\nx = getattr(g, 'gi_frame')",
     "Script refused: access to 'gi_frame' is not allowed"),
    ("X = type('X', (), {})", "Script refused: type() with 3 arguments is not allowed"),
    ("m = type(type(a))", "Script refused: access to metaclasses is not allowed"),
    ("x = '{0.__class__}'.format(a)", "Script refused: str.format() is not allowed"),
    ("x = 'a' * 10**10", "Script refused: result too large"),
    ("x = 10 ** 10**8", "Script refused: result too large"),
    ("x = pow(10, 10**8)", "Script refused: result too large"),
    ("x = 1 << 10**9", "Script refused: result too large"),
    ("x = [0] * 10**9", "Script refused: result too large"),
    ("x = list(range(10**9))", "Script refused: range() of more than"),
    ("x = 'a'.ljust(10**10)", "Script refused: result too large"),
    ("x = 'a'.join(['b' * 10**6] * 20)", "Script refused: result too large"),
    ("d = {'k': 'a'}\nd['k'] *= 10**10", "Script refused: result too large"),
    ("x = pow(3, 2**9999, 10**3000)", "Script refused: pow() with an exponent and modulus"),
    ("x = round(5, -10**8)", "Script refused: round() to more than"),
    ("x = json.dumps([1], indent=10**9)", "Script refused: json.dumps() indent above 16"),
    ("x = f'{1:>100000000}'", "Script refused: format width or precision above"),
    ("x = '%100000000d' % 1", "Script refused: format width or precision above"),
    ("x = int(Decimal('1e999999'))", "Script refused: Decimal exponent beyond"),
    ("s = 'ab'\nfor i in range(40):\n    s = s + s", "Script refused: result too large"),
    ("x = []\nwhile True:\n    x.append('a' * 1000000)", "Script refused: memory limit of 64 MB"),
    ("x = 1\nwhile True:\n    pass", "Script exceeded its time limit of 0.5 s"),
])
def test_run_time_refusals(script, message):
    error = run_attack(script)
    assert message in str(error)
    assert error.line_number is not None


def test_endless_loop_stops_after_the_time_limit_even_if_the_script_catches_it():
    started = time.monotonic()
    error = run_attack("while True:\n    try:\n        while True: pass\n"
                       "    except Exception:\n        pass\n")
    elapsed = time.monotonic() - started
    assert "Script exceeded its time limit of 0.5 s" in str(error)
    assert 0.5 <= elapsed < 2.0


def test_time_limit_works_outside_the_main_thread():
    outcome = {}

    def worker():
        started = time.monotonic()
        workflow = gateway_workflow("while True: pass", engine=ScriptEngine(time_limit=0.5))
        try:
            workflow.do_engine_steps()
        except WorkflowTaskException as err:
            outcome['error'] = str(err)
        outcome['elapsed'] = time.monotonic() - started

    thread = threading.Thread(target=worker)
    thread.start()
    thread.join(10)
    assert not thread.is_alive()
    assert "Script exceeded its time limit of 0.5 s" in outcome['error']
    assert 0.5 <= outcome['elapsed'] < 2.0


def test_refused_gateway_condition_is_reported():
    workflow = gateway_workflow("total = 1", condition="().__class__")
    with pytest.raises(WorkflowTaskException) as caught:
        workflow.do_engine_steps()
    assert "Script refused: access to '__class__' is not allowed" in str(caught.value)


def test_ordinary_exception_keeps_type_and_line():
    error = run_attack("x = 1\ny = 2\nz = items[5]")
    assert "IndexError" in str(error)
    assert error.line_number == 3 and error.error_line == "z = items[5]"


# -- timer expressions -------------------------------------------------------------------


def _waiting_timer(expression, kind, data=None):
    workflow = timer_workflow(expression, kind=kind, data=data)
    workflow.do_engine_steps()
    workflow.refresh_timers()
    return workflow, task_named(workflow, 'wait')


@pytest.mark.parametrize('expression, expected', [
    ('PT1H', 'PT1H'), ('P3D', 'P3D'), ("'PT1H'", 'PT1H'), ('R3/PT1H', 'R3/PT1H'),
    ('2016-04-20T00:00:00+08:00', '2016-04-20T00:00:00+08:00'), ('2016-04-20', '2016-04-20'),
    ('deadline_text', '2016-04-20T00:00:00+08:00'),
    ('deadline', '2016-04-20T09:00:00+00:00'),
    ('naive', '2016-04-20T09:00:00+00:00'),
    ('day', '2016-04-20T00:00:00+00:00'),
    ('span', 'PT5400S'),
])
def test_evaluate_accepts_iso_literals_and_variables_for_timers(expression, expected):
    data = {'deadline_text': '2016-04-20T00:00:00+08:00',
            'deadline': datetime(2016, 4, 20, 9, tzinfo=timezone.utc),
            'naive': datetime(2016, 4, 20, 9), 'day': date(2016, 4, 20),
            'span': timedelta(minutes=90)}
    workflow = timer_workflow(expression)
    task = task_named(workflow, 'wait')
    task.data.update(data)
    assert workflow.script_engine.evaluate(task, expression) == expected


def test_iso_literal_yields_to_a_task_data_variable_of_the_same_name():
    workflow = timer_workflow('PT1H', kind='timeDuration')
    task = task_named(workflow, 'wait')
    task.data['PT1H'] = 'PT2H'
    assert workflow.script_engine.evaluate(task, 'PT1H') == 'PT2H'


@pytest.mark.parametrize('expression', ['2000-04-20T00:00:00+08:00', "'2000-04-20T00:00:00Z'",
                                        'deadline', 'deadline_text'])
def test_past_time_date_timers_fire(expression):
    # Dates long past, whatever clock another test installed into SpiffWorkflow's timers.
    data = {'deadline': datetime(2000, 4, 20, 9), 'deadline_text': '2000-04-20T00:00:00+08:00'}
    workflow, _ = _waiting_timer(expression, 'timeDate', data)
    workflow.do_engine_steps()
    assert workflow.is_completed()


@pytest.mark.parametrize('expression', ['PT1H', "'PT1H'", 'wait_for'])
def test_duration_timers_wait(expression):
    workflow, task = _waiting_timer(expression, 'timeDuration', {'wait_for': timedelta(hours=1)})
    assert not workflow.is_completed()
    fires_at = datetime.fromisoformat(task.internal_data['event_value'])
    spiff_now = spiff_timer.datetime.now(timezone.utc)  # an engine clock may be installed
    assert timedelta(minutes=59) < fires_at - spiff_now <= timedelta(hours=1)


def test_cycle_timer_accepts_plain_iso_text():
    workflow, task = _waiting_timer('R3/PT1H', 'timeCycle')
    assert not workflow.is_completed()
    assert task.state == TaskState.WAITING


# -- compile_script ------------------------------------------------------------------------


@pytest.mark.parametrize('text, expected', [
    ('PT1H', True), ('P1Y2M10DT2H30M', True), ('P2W', True), ('R/PT1H', True),
    ('R5/2016-04-20T00:00:00Z/PT1H', True), ('2016-04-20T00:00:00Z', True),
    ('P', False), ('PT', False), ('R3/2016-04-20', False), ('2016-13-45', False),
    ('total > 1', False), ('plan_deadline', False),
])
def test_is_iso_literal(text, expected):
    assert is_iso_literal(text) is expected


def test_compile_script_accepts_valid_sources():
    compile_script("total = sum(x * 2 for x in items)\nif total > 3:\n    big = True\n")
    compile_script("amount > 1000 and approved", mode="eval")
    for literal in ('PT1H', 'R3/PT1H', '2016-04-20T00:00:00+08:00', '2016-04-20'):
        compile_script(literal, mode="eval")


@pytest.mark.parametrize('source, mode, message, line', [
    ("x = 1\nimport os", "exec", "Script refused: import is not allowed", 2),
    ("x = 1\n\ny = ().__class__", "exec", "access to '__class__' is not allowed", 3),
    ("if x\n  y = 1", "exec", "Script syntax error", 1),
    ("a.__dict__", "eval", "access to '__dict__' is not allowed", 1),
    ("x = 1", "eval", "Script syntax error", 1),
])
def test_compile_script_refusals(source, mode, message, line):
    with pytest.raises(ScriptError) as caught:
        compile_script(source, mode)
    assert message in str(caught.value)
    assert caught.value.line == line


def test_sandbox_error_is_a_plain_exception():
    assert issubclass(SandboxError, Exception)
    assert MAX_ITEMS >= 1_000_000
