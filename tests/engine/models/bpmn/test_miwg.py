"""The BPMN MIWG reference diagrams: validate_files gives every one a verdict, never a crash.

These are real interchange files from other tools. Most are not executable or
use what SpiffWorkflow cannot run; that must come back as located Problems.

Verdicts (errors / warnings, and why), with SpiffWorkflow 3.2:
  A.1.0  1 / 0   isExecutable="false" (otherwise clean)
  A.2.0  2 / 1   not executable; gateway flows without condition or default
  A.2.1  2 / 0   not executable; a task with two outgoing flows (implicit split)
  A.3.0  2 / 0   not executable; a subprocess without a start event
  A.4.0  2 / 0   not executable (two pools); implicit split
  A.4.1  2 / 0   not executable (two pools); implicit split
  B.1.0  5 / 4   data store (no implementation); not executable; empty timeDate;
                 service task without spiffworkflow:serviceTaskOperator; subprocess without start
  B.2.0 11 / 6   data store; not executable; multi-instance without cardinality; empty timeDates;
                 service tasks; link events (unsupported)
  C.1.0  5 / 4   service task; Camunda/JUEL conditions ${...} that are not Python
  C.1.1  6 / 4   as C.1.0, plus a data store
  C.2.0  2 / 3   not executable; gateway flow without condition or default
  C.3.0  2 / 7   subprocess without start event; a JUEL condition
  C.4.0  5 / 20  data store, and the data associations that point at it
  C.5.0  3 / 23  data store and its association; gateway flow without condition or default
  C.6.0  9 / 0   compensation (unsupported); empty timeDates; an unresolved data association
  C.7.0  1 / 4   an unresolved data output association
  C.8.0  5 / 1   not executable; service task; JUEL conditions
  C.8.1  4 / 1   service task; JUEL conditions
  C.9.0  5 / 1   FEEL conditions (= ...); service task
  C.9.1  0 / 1   clean: only a user task without a form
  C.9.2  2 / 3   Camunda multi-instance (no cardinality for SpiffWorkflow); a FEEL condition
"""

import pytest

from engine.models.bpmn.lint import validate_files
from engine.models.bpmn.problems import Problem
from tests.conftest import ROOT

MIWG = ROOT.parent / 'shared' / 'peers' / 'miwg'
FILES = sorted(MIWG.glob('*.bpmn')) if MIWG.is_dir() else []

# The rules behind each file's errors (the table above, as data).
ERROR_RULES = {
    'A.1.0.bpmn': {'not-executable'},
    'A.2.0.bpmn': {'not-executable', 'parse'},
    'A.2.1.bpmn': {'not-executable', 'parse'},
    'A.3.0.bpmn': {'not-executable', 'parse'},
    'A.4.0.bpmn': {'not-executable', 'parse'},
    'A.4.1.bpmn': {'not-executable', 'parse'},
    'B.1.0.bpmn': {'not-executable', 'parse', 'timer-expression'},
    'B.2.0.bpmn': {'not-executable', 'parse', 'timer-expression', 'unsupported'},
    'C.1.0.bpmn': {'parse', 'script-compile'},
    'C.1.1.bpmn': {'parse', 'script-compile'},
    'C.2.0.bpmn': {'not-executable', 'parse'},
    'C.3.0.bpmn': {'parse', 'script-compile'},
    'C.4.0.bpmn': {'parse'},
    'C.5.0.bpmn': {'parse'},
    'C.6.0.bpmn': {'parse', 'timer-expression', 'unsupported'},
    'C.7.0.bpmn': {'parse'},
    'C.8.0.bpmn': {'not-executable', 'parse', 'script-compile'},
    'C.8.1.bpmn': {'parse', 'script-compile'},
    'C.9.0.bpmn': {'parse', 'script-compile'},
    'C.9.1.bpmn': set(),
    'C.9.2.bpmn': {'parse', 'script-compile'},
}

pytestmark = pytest.mark.skipif(not FILES, reason=f'MIWG reference diagrams not found at {MIWG}')


@pytest.mark.parametrize('path', FILES, ids=[path.name for path in FILES])
def test_miwg_diagram_gets_a_located_verdict(path):
    problems = validate_files({path.name: path.read_bytes()}, strict=True)
    assert isinstance(problems, list)
    for problem in problems:
        assert isinstance(problem, Problem)
        assert problem.file == path.name
        assert problem.line is not None, f'unlocated: {problem}'
        assert problem.message and 'Traceback' not in problem.message
        assert '{http' not in problem.message  # namespaces are shown as prefixes
    assert {p.rule for p in problems if p.is_error} == ERROR_RULES[path.name]


def test_every_miwg_diagram_has_an_expected_verdict():
    assert {path.name for path in FILES} == set(ERROR_RULES)
