"""Lint rules for process models, and `validate_files`, the full verdict on an upload.

The rules catch what SpiffWorkflow's parser accepts but what would misbehave
at run time or confuse the people working the cases. Only the processes that
will run are linted: the executable ones, or every process when none is
executable (the modeller then evidently means to run them).

Rules (severity): unsupported (error), user-task-lane (warning),
user-task-form (warning), form-missing (error), timer-expression (error),
gateway-default (warning), unreachable (warning), script-compile (error),
start-rule (warning), undefined-name (warning, engine.models.bpmn.dataflow).
"""

import ast
import re
from collections import defaultdict, deque

from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
from SpiffWorkflow.spiff.parser.process import SpiffBpmnParser

from engine.errors import LiandongError, ScriptError
from engine.models.bpmn.dataflow import PYTHON_NAMES, undefined_names
from engine.models.bpmn.parsing import check_documents, load_documents, model_files, runnable_processes
from engine.models.bpmn.starting import STARTERS, plain_start_events, start_rule
from engine.models.bpmn.xml import BPMN_NS, NSMAP, SPIFF_NS, short_tag
from engine.models.bpmn.problems import Problem, sort_problems
from engine.runtime import cycles
from engine.runtime.cycles import cycle_error


def _bpmn(*names):
    return frozenset(f'{{{BPMN_NS}}}{name}' for name in names)


FLOW_NODE_TAGS = _bpmn(
    'startEvent', 'endEvent', 'intermediateCatchEvent', 'intermediateThrowEvent', 'boundaryEvent',
    'implicitThrowEvent', 'task', 'userTask', 'manualTask', 'scriptTask', 'serviceTask', 'sendTask',
    'receiveTask', 'businessRuleTask', 'callActivity', 'subProcess', 'transaction', 'adHocSubProcess',
    'exclusiveGateway', 'inclusiveGateway', 'parallelGateway', 'complexGateway', 'eventBasedGateway',
    'callChoreography', 'choreographyTask', 'subChoreography')
SUPPORTED_TAGS = frozenset(SpiffBpmnParser.PARSER_CLASSES) | frozenset(SpiffBpmnParser.OVERRIDE_PARSER_CLASSES)
# SpiffWorkflow silently treats these as none events, which would change the flow.
UNSUPPORTED_DEFINITIONS = _bpmn('linkEventDefinition', 'compensateEventDefinition')
CONDITIONAL_GATEWAYS = _bpmn('exclusiveGateway', 'inclusiveGateway')
FORM_PROPERTIES = ('formJsonSchemaFilename', 'formUiSchemaFilename')
TIMER_KINDS = {'timeDate': 'date-time', 'timeDuration': 'duration', 'timeCycle': 'recurring interval'}
# Text a modeller meant as ISO 8601 (not a variable name) when it fails to parse.
_ISO_ATTEMPT = re.compile(r'^(P\d|PT\d|R\d*/|\d{4})')


def _python_compile(source, mode):
    compile(source, '<script>', mode, dont_inherit=True)


def _compile_failure(compile_script, source, mode):
    """`(message, line within the source)` when the source is refused, else None."""
    try:
        compile_script(source, mode)
    except ScriptError as exc:
        return str(exc), exc.line
    except SyntaxError as exc:
        return f'{exc.msg} at line {exc.lineno}', exc.lineno
    except (LiandongError, ValueError, TypeError, RecursionError, MemoryError) as exc:
        return f'{type(exc).__name__}: {exc}', None
    return None


def iso_timer_error(kind: str, text: str) -> str | None:
    """Why `text` is not valid ISO 8601 for a timer of this kind, or None if it is."""
    text = text.strip()
    try:
        if kind == 'timeDuration':
            if not text.upper().startswith('P') or not TimerEventDefinition.parse_iso_duration(text):
                raise ValueError
        elif kind == 'timeCycle':
            if not text.upper().startswith('R'):
                raise ValueError
            TimerEventDefinition.parse_iso_recurring_interval(text)
        elif 'W' in text.upper():
            TimerEventDefinition.parse_iso_week(text)
        else:
            TimerEventDefinition.get_datetime(text)
    except Exception:  # SpiffWorkflow's parsers raise bare Exception, IndexError, ValueError...
        examples = {'timeDate': '2016-04-20T00:00:00+08:00', 'timeDuration': 'PT1H or P1D',
                    'timeCycle': 'R3/PT1H'}[kind]
        return f'{text!r} is not an ISO 8601 {TIMER_KINDS[kind]} (for example {examples})'
    return None


def timer_expression_error(kind: str, text: str, compile_script=None, cycle_limits=None) -> str | None:
    """Accept a quoted ISO literal, plain ISO text, or a Python expression (a variable);
    a literal cycle must also keep within `cycle_limits` (engine.runtime.cycles)."""
    error = _timer_expression_error(kind, text, compile_script)
    if error is None and kind == 'timeCycle':
        literal = _literal_text(text)
        if literal is not None:
            return cycle_error(literal, cycle_limits or cycles.Limits())
    return error


def _literal_text(text):
    text = (text or '').strip()
    try:
        node = ast.parse(text, mode='eval').body
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return text
    if isinstance(node, ast.Constant):
        return node.value if isinstance(node.value, str) else None
    return text if iso_timer_error('timeCycle', text) is None else None


def _timer_expression_error(kind: str, text: str, compile_script=None) -> str | None:
    compile_script = compile_script or _python_compile
    text = (text or '').strip()
    if not text:
        return 'the timer expression is empty'
    try:
        node = ast.parse(text, mode='eval').body
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        node = None
    if isinstance(node, ast.Constant):
        if not isinstance(node.value, str):
            return f'{text} is not ISO 8601 text; quote an ISO value such as \'PT1H\''
        return iso_timer_error(kind, node.value)
    if iso_timer_error(kind, text) is None:
        return None
    if _ISO_ATTEMPT.match(text):
        return iso_timer_error(kind, text)
    failure = _compile_failure(compile_script, text, 'eval')
    if failure:
        return (f'{text!r} is neither ISO 8601 {TIMER_KINDS[kind]} text nor a Python expression '
                f'naming a variable: {failure[0]}')
    return None


def _condition_text(flow):
    expressions = flow.xpath('./bpmn:conditionExpression', namespaces=NSMAP)
    text = expressions[0].text if expressions else None
    return text if text and text.strip() else None


class _ProcessLint:
    """All rules over one bpmn:process (including its subprocesses)."""

    def __init__(self, file, process, form_exists, compile_script, cycle_limits=None):
        self.file, self.process, self.cycle_limits = file, process, cycle_limits
        self.form_exists, self.compile_script = form_exists, compile_script
        self.nodes = [el for el in process.iter() if el.tag in FLOW_NODE_TAGS]
        self.flows = process.xpath('.//bpmn:sequenceFlow', namespaces=NSMAP)
        self.outgoing, self.incoming = defaultdict(list), defaultdict(list)
        for flow in self.flows:
            self.outgoing[flow.get('sourceRef')].append(flow)
            self.incoming[flow.get('targetRef')].append(flow)
        self.problems = []

    def run(self):
        for check in (self.unsupported, self.user_tasks, self.start, self.timers, self.gateways,
                      self.unreachable, self.scripts):
            check()
        return self.problems

    def report(self, owner, severity, rule, message, line=None):
        line = line if line is not None else owner.sourceline
        self.problems.append(Problem(self.file, line, owner.get('id'), severity, rule, message))

    def owner(self, element):
        """The flow node or sequence flow an inner element (script, timer) belongs to."""
        while element is not None and element is not self.process:
            if element.tag in FLOW_NODE_TAGS or element.tag == f'{{{BPMN_NS}}}sequenceFlow':
                return element
            element = element.getparent()
        return self.process

    def unsupported(self):
        for node in self.nodes:
            if node.tag not in SUPPORTED_TAGS:
                self.report(node, 'error', 'unsupported', f'SpiffWorkflow cannot execute {short_tag(node.tag)}')
        for definition in self.process.iter(*UNSUPPORTED_DEFINITIONS):
            self.report(self.owner(definition), 'error', 'unsupported',
                        f'SpiffWorkflow does not support {short_tag(definition.tag)}; '
                        'the event would behave as a plain (none) event', line=definition.sourceline)

    def in_lane(self, node, lane_refs):
        while node is not None and node is not self.process:
            if node.get('id') in lane_refs:
                return True
            node = node.getparent()
        return False

    def user_tasks(self):
        lanes = self.process.xpath('.//bpmn:lane', namespaces=NSMAP)
        lane_refs = {(ref.text or '').strip() for ref in self.process.xpath('.//bpmn:lane/bpmn:flowNodeRef',
                                                                          namespaces=NSMAP)}
        for task in self.process.iter(f'{{{BPMN_NS}}}userTask'):
            if lanes and not self.in_lane(task, lane_refs):
                self.report(task, 'warning', 'user-task-lane',
                            'user task is in no lane although the process has lanes; nobody is assigned to it')
            values = self.form_properties(task)
            form = values.get('formJsonSchemaFilename')
            if form is None or not (form.get('value') or '').strip():
                self.report(task, 'warning', 'user-task-form',
                            'user task has no form (spiffworkflow:property formJsonSchemaFilename)')

    def form_properties(self, node):
        """The node's spiffworkflow properties by name; a named form that does not exist is an error."""
        properties = node.xpath('./bpmn:extensionElements/spiffworkflow:properties/spiffworkflow:property',
                                namespaces=NSMAP)
        values = {prop.get('name'): prop for prop in properties}
        for name in FORM_PROPERTIES:
            prop = values.get(name)
            value = (prop.get('value') or '').strip() if prop is not None else ''
            if value and not self.form_exists(value):
                self.report(node, 'error', 'form-missing',
                            f'{name} refers to form {value!r}, which does not exist', line=prop.sourceline)
        return values

    def start(self):
        """The start form exists; `startedBy` names a known starter (engine.models.bpmn.starting)."""
        for event in plain_start_events(self.process):
            self.form_properties(event)
        rule = start_rule(self.process)
        if rule.started_by is not None and rule.started_by not in STARTERS:
            self.report(self.process, 'warning', 'start-rule',
                        f'startedBy is {rule.started_by!r}; known starters are {", ".join(sorted(STARTERS))}. '
                        'Nobody can start this process by hand')

    def timers(self):
        for definition in self.process.iter(f'{{{BPMN_NS}}}timerEventDefinition'):
            event = self.owner(definition)
            expressions = [child for child in definition
                           if isinstance(child.tag, str) and child.tag.startswith(f'{{{BPMN_NS}}}')
                           and child.tag.split('}')[1] in TIMER_KINDS]
            if not expressions:
                self.report(event, 'error', 'timer-expression',
                            'timer has no timeDate, timeDuration or timeCycle', line=definition.sourceline)
            for expression in expressions:
                kind = expression.tag.split('}')[1]
                error = timer_expression_error(kind, expression.text, self.compile_script,
                                               self.cycle_limits)
                if error:
                    self.report(event, 'error', 'timer-expression', f'{kind}: {error}', line=expression.sourceline)

    def gateways(self):
        for gateway in self.nodes:
            if gateway.tag not in CONDITIONAL_GATEWAYS:
                continue
            outgoing = self.outgoing[gateway.get('id')]
            if len(outgoing) < 2:
                continue
            default = gateway.get('default')
            flow_ids = [flow.get('id') for flow in outgoing]
            if default and default not in flow_ids:
                self.report(gateway, 'warning', 'gateway-default',
                            f'the default flow {default!r} is not one of the gateway\'s outgoing flows')
            elif not default:
                bare = [flow.get('id') for flow in outgoing if _condition_text(flow) is None]
                if bare:
                    self.report(gateway, 'warning', 'gateway-default',
                                f'{short_tag(gateway.tag)} has {len(outgoing)} outgoing flows, '
                                f'{", ".join(bare)} without a condition, and no default flow; '
                                'give each flow a condition or mark one as the default')

    def is_entry(self, node):
        """True for a node that may start without an incoming sequence flow."""
        if node.tag in _bpmn('startEvent', 'boundaryEvent'):
            return True
        if node.get('isForCompensation') == 'true' or node.get('instantiate') == 'true':
            return True
        if node.tag == f'{{{BPMN_NS}}}intermediateCatchEvent' and node.find(
                f'{{{BPMN_NS}}}linkEventDefinition') is not None:
            return True
        parent = node.getparent()
        if parent.tag == f'{{{BPMN_NS}}}adHocSubProcess':
            return True
        element = node
        while element is not None and element is not self.process:
            if element.tag == f'{{{BPMN_NS}}}subProcess' and element.get('triggeredByEvent') == 'true':
                return True
            element = element.getparent()
        # Without a start event BPMN starts every node that has no incoming flow.
        return not self.incoming[node.get('id')] and parent.find(f'{{{BPMN_NS}}}startEvent') is None

    def unreachable(self):
        by_id = {node.get('id'): node for node in self.nodes}
        queue = deque(node_id for node_id, node in by_id.items() if self.is_entry(node))
        reached = set(queue)
        while queue:
            for flow in self.outgoing[queue.popleft()]:
                target = flow.get('targetRef')
                if target in by_id and target not in reached:
                    reached.add(target)
                    queue.append(target)
        for node_id, node in by_id.items():
            if node_id in reached:
                continue
            why = ('has no incoming sequence flow, so nothing reaches it' if not self.incoming[node_id]
                   else 'cannot be reached from any start event')
            self.report(node, 'warning', 'unreachable', f'{short_tag(node.tag)} {why}')

    def scripts(self):
        sources = []
        for task in self.process.iter(f'{{{BPMN_NS}}}scriptTask'):
            sources += [(script, 'exec', 'script') for script in task.findall(f'{{{BPMN_NS}}}script')]
        for name in ('preScript', 'postScript'):
            sources += [(script, 'exec', name) for script in self.process.iter(f'{{{SPIFF_NS}}}{name}')]
        for flow in self.flows:
            sources += [(cond, 'eval', 'condition') for cond in flow.findall(f'{{{BPMN_NS}}}conditionExpression')]
        for tag in ('condition', 'loopCondition', 'completionCondition'):
            sources += [(cond, 'eval', tag) for cond in self.process.iter(f'{{{BPMN_NS}}}{tag}')]
        for element, mode, what in sources:
            source = element.text or ''
            if not source.strip():
                continue
            offset = 0
            if mode == 'eval':  # as eval() does, ignore leading blanks; keep line numbers right
                stripped = source.lstrip()
                offset, source = source[:len(source) - len(stripped)].count('\n'), stripped.rstrip()
            failure = _compile_failure(self.compile_script, source, mode)
            if failure:
                message, line = failure
                if source.startswith(('${', '#{')):
                    message += ' (this looks like a Camunda/JUEL expression; write Python instead)'
                elif source.startswith('='):
                    message += ' (this looks like a FEEL expression; write Python instead)'
                at = element.sourceline + offset + (line - 1 if line else 0) if element.sourceline else None
                self.report(self.owner(element), 'error', 'script-compile',
                            f'{what} does not compile: {message}', line=at)


def lint_documents(documents, form_exists=lambda name: True, compile_script=None, form_fields=None,
                   known_names=PYTHON_NAMES, cycle_limits=None) -> list[Problem]:
    """Run every rule over the processes that will run (see module docstring).

    `form_fields(name)`: a form's top-level fields (None: unknown); `known_names`: what
    every script sees besides case data. Both serve the undefined-name rule.
    `cycle_limits` (engine.runtime.cycles.Limits): what a timer cycle may ask for.
    """
    compile_script = compile_script or _python_compile
    problems = []
    for document, process in runnable_processes(documents):
        problems += _ProcessLint(document.name, process, form_exists, compile_script, cycle_limits).run()
        problems += undefined_names(document.name, process, documents, form_fields, known_names)
    return sort_problems(problems)


def lint_model(files: dict, form_exists=lambda name: True, compile_script=None, **names) -> list[Problem]:
    """Lint rules only (plus the XML problems of files that cannot be read at all)."""
    documents, problems = load_documents(files)
    return sort_problems(problems + lint_documents(documents, form_exists, compile_script, **names))


def validate_files(files: dict, form_exists=lambda name: True, compile_script=None, strict=False,
                   extra=None, **names) -> list[Problem]:
    """The full verdict on a model: XML hardening, XSD, SpiffWorkflow parse, lint.

    Never raises for bad input: every failure is a Problem. A SpiffWorkflow
    parse error on an element a lint rule already flagged as an error is
    dropped, since it usually restates the same fault less clearly.
    """
    documents, problems = load_documents(model_files(files))
    unreadable = bool(problems)
    checked = check_documents(documents, strict, load_documents(model_files(extra))[0] if extra else ())
    if unreadable and not any(document.kind == 'bpmn' for document in documents):
        checked = [problem for problem in checked if problem.rule != 'not-executable']
    linted = lint_documents(documents, form_exists, compile_script, **names)
    flagged = {(p.file, p.element_id) for p in linted if p.is_error and p.element_id}
    checked = [p for p in checked if not (p.rule == 'parse' and (p.file, p.element_id) in flagged)]
    return sort_problems(problems + checked + linted)
