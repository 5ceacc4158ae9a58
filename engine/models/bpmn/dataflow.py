"""Lint rule `undefined-name` (warning): a script reads a name that nothing before it sets.

A script task, a pre- or post-script, a gateway's condition, a timer's expression or a
decision's input expression (of a business rule task) that reads a variable no
earlier element can have set fails at run time with a NameError, often after a person
submitted a form (issue 13: `activities_held` in `evaluation` started by hand). What sets
a name, on any path that reaches the script: a form field (a task's or the start form),
a script's assignment, a business rule task's decision outputs, a call activity (what the
called process sets), a message catch's `messageVariable`, a service task's result, a
multi-instance item, a data object, and the data the starter passes (`startData`, see
engine.models.bpmn.starting). It is a warning, not an error: data can also arrive by a
message whose payload the model does not name.
"""
import builtins
import re

from engine.models.bpmn.names import script_reads
from engine.models.bpmn.problems import Problem
from engine.models.bpmn.starting import FORM, properties, start_rule
from engine.models.bpmn.xml import BPMN_NS, NSMAP

ANY = None  # "may set anything": an element whose effect on the data is not known here
_ISO = re.compile(r"^(P[\dT]|R\d*/|\d{4}-|['\"])")  # ISO 8601 text or a quoted literal: no names
PYTHON_NAMES = frozenset(dir(builtins))


def _local(element) -> str:
    return element.tag.split('}')[1] if isinstance(element.tag, str) and '}' in element.tag else ''


# -- what an element sets ------------------------------------------------------------------

class _Model:
    """The documents of one model, for what call activities and decisions set."""

    def __init__(self, documents, form_fields):
        self.documents, self.form_fields = documents, form_fields
        self.processes = {process.get('id'): process for document in documents if document.kind == 'bpmn'
                          for process in document.root.xpath('//bpmn:process', namespaces=NSMAP)}
        self._process_sets = {}

    def decision(self, node):
        """The dmn:decision a business rule task calls, or None."""
        called = node.xpath('./bpmn:extensionElements/spiffworkflow:calledDecisionId', namespaces=NSMAP)
        decision_id = (called[0].text or '').strip() if called else None
        for document in self.documents:
            if document.kind == 'dmn' and decision_id:
                for decision in document.root.iter():
                    if _local(decision) == 'decision' and decision.get('id') == decision_id:
                        return decision
        return None

    def decision_inputs(self, node):
        """The input expressions of the decision a business rule task calls (read like conditions)."""
        decision = self.decision(node)
        if decision is None:
            return []
        return [text for expression in decision.iter() if _local(expression) == 'inputExpression'
                for text in expression if _local(text) == 'text' and (text.text or '').strip()]

    def sets_of_process(self, process_id):
        """Everything a (called) process may set, or ANY when it is not in the model."""
        process = self.processes.get(process_id)
        if process is None:
            return ANY
        if process_id not in self._process_sets:
            self._process_sets[process_id] = set()  # a call cycle: what is known so far
            found = set(start_rule(process).start_data)
            for node in process.iter():
                sets = self.sets(node)
                if sets is ANY:
                    found = ANY
                    break
                found |= sets
            self._process_sets[process_id] = found
        return self._process_sets[process_id]

    def form(self, name):
        if not name:
            return set()
        if self.form_fields is None:
            return ANY
        fields = self.form_fields(name)
        return ANY if fields is None else set(fields)

    def sets(self, node) -> set | None:
        """The names `node` itself may set (not its children's)."""
        kind, found = _local(node), set()
        if node.getparent() is None or not isinstance(node.tag, str):
            return found
        form = self.form(properties(node).get(FORM)) if kind in ('userTask', 'startEvent', 'manualTask') else set()
        if form is ANY:
            return ANY
        found |= form
        for script in node.xpath('./bpmn:script | ./bpmn:extensionElements/spiffworkflow:preScript'
                                 ' | ./bpmn:extensionElements/spiffworkflow:postScript', namespaces=NSMAP):
            found |= script_reads(script.text or '', 'exec')[1]
        if kind == 'businessRuleTask':
            decision = self.decision(node)
            if decision is None:
                return ANY
            found |= {o.get('name') for o in decision.iter() if _local(o) == 'output' and o.get('name')}
        if kind == 'callActivity':
            called = self.sets_of_process(node.get('calledElement'))
            if called is ANY:
                return ANY
            found |= called
        for message in node.xpath('./bpmn:messageEventDefinition', namespaces=NSMAP):
            variables = message.xpath('./bpmn:extensionElements/spiffworkflow:messageVariable', namespaces=NSMAP)
            if not variables or not (variables[0].text or '').strip():
                return ANY
            found.add(variables[0].text.strip())
        if kind == 'receiveTask':
            return ANY
        for operator in node.xpath('./bpmn:extensionElements/spiffworkflow:serviceTaskOperator', namespaces=NSMAP):
            if not operator.get('resultVariable'):
                return ANY
            found.add(operator.get('resultVariable'))
        for item in node.xpath('./bpmn:multiInstanceLoopCharacteristics/*', namespaces=NSMAP):
            if _local(item) in ('inputDataItem', 'outputDataItem') and item.get('name'):
                found.add(item.get('name'))
            elif _local(item) in ('loopDataOutputRef', 'loopDataInputRef') and (item.text or '').strip():
                found.add(item.text.strip())
        return found


# -- the rule --------------------------------------------------------------------------------

FLOW_CONTAINERS = ('process', 'subProcess', 'transaction', 'adHocSubProcess')


class _Flow:
    """Which elements can run before which, over sequence flows, boundary events and
    subprocesses."""

    def __init__(self, process, nodes):
        self.nodes = {node.get('id'): node for node in nodes}
        self.preds = {node_id: set() for node_id in self.nodes}
        for flow in process.iter(f'{{{BPMN_NS}}}sequenceFlow'):
            if flow.get('targetRef') in self.preds:
                self.preds[flow.get('targetRef')].add(flow.get('sourceRef'))
        for node_id, node in self.nodes.items():  # document order: a subprocess before its elements
            if _local(node) == 'boundaryEvent' and node.get('attachedToRef'):
                self.preds[node_id].add(node.get('attachedToRef'))
            container = node.getparent()
            if _local(container) in FLOW_CONTAINERS[1:] and not self.preds[node_id]:
                if container.get('triggeredByEvent') == 'true':  # may start whenever its parent runs
                    self.preds[node_id] |= {n.get('id') for n in container.getparent() if n.get('id') in self.nodes}
                else:  # what runs before the subprocess runs before its first elements
                    self.preds[node_id] |= self.preds.get(container.get('id'), set())

    def before(self, node_id) -> set:
        """The ids of every element that can run before `node_id` (itself only in a loop)."""
        seen, stack = set(), list(self.preds.get(node_id, ()))
        while stack:
            current = stack.pop()
            if current not in seen:
                seen.add(current)
                stack.extend(self.preds.get(current, ()))
        return seen


def undefined_names(file, process, documents, form_fields=None, known=PYTHON_NAMES,
                    caller_sets=None) -> list[Problem]:
    """The `undefined-name` warnings of one bpmn:process (see the module docstring).

    `form_fields(name)` gives a form's top-level fields (None when unknown; without it every
    form may set anything); `known` the names every script sees (builtins, helpers).
    """
    model = _Model(documents, form_fields)
    nodes = [el for el in process.iter() if isinstance(el.tag, str) and el.get('id') and el is not process
             and _local(el) not in ('sequenceFlow', 'lane', 'laneSet', 'dataObject', 'dataObjectReference',
                                    'dataStoreReference', 'textAnnotation', 'association')
             and el.getparent() is not None and _local(el.getparent()) in FLOW_CONTAINERS]
    flow = _Flow(process, nodes)
    given = set(known) | set(start_rule(process).start_data)
    given |= {obj.get('name') or obj.get('id') for obj in process.iter(f'{{{BPMN_NS}}}dataObject')}
    given |= {d.get('id') for d in process.xpath('./bpmn:ioSpecification/bpmn:dataInput', namespaces=NSMAP)}
    called_by = _callers(model, process.get('id'))
    if called_by is ANY:
        return []
    given |= called_by
    sets = {}
    for node in nodes:
        own = model.sets(node)
        if _local(node) in FLOW_CONTAINERS[1:]:  # a subprocess sets what its elements set
            inner = [model.sets(el) for el in node.iter() if el is not node and el.get('id') and isinstance(el.tag, str)]
            own = ANY if own is ANY or ANY in inner else set().union(own, *inner)
        sets[node.get('id')] = own
    problems = []
    for node in nodes:
        scripts = _scripts(node) + [(text, 'eval', f'decision {model.decision(node).get("id")!r}')
                                    for text in model.decision_inputs(node)]
        for element, mode, what in scripts:
            available = _available(flow, sets, node, given, what)
            if available is ANY:
                continue
            source = element.text or ''
            offset = 0
            if mode == 'eval':
                stripped = source.lstrip()
                offset, source = source[:len(source) - len(stripped)].count('\n'), stripped.rstrip()
            reads, _ = script_reads(source, mode)
            reported = set()
            for name, line in reads:
                if name in available or name in reported or name.startswith('_'):
                    continue
                reported.add(name)
                in_model = element.getroottree().getroot() is node.getroottree().getroot()
                at = element.sourceline + offset + line - 1 if element.sourceline and in_model else node.sourceline
                owner = element.getparent() if what == 'condition' else node
                problems.append(Problem(file, at, owner.get('id'), 'warning', 'undefined-name',
                                        f'{what} reads {name!r}, which nothing before it sets (no form field, '
                                        'script, decision, call activity or startData); unless a message '
                                        'brings it, it fails with a NameError'))
    return problems


def _callers(model, process_id):
    """What every caller of `process_id` may have set before calling it (its data flows in)."""
    found = set()
    for process in model.processes.values():
        if process.xpath('.//bpmn:callActivity[@calledElement=$pid]', namespaces=NSMAP, pid=process_id):
            caller = model.sets_of_process(process.get('id'))
            if caller is ANY:
                return ANY
            found |= caller
    return found


def _available(flow, sets, node, given, what):
    """The names set before `node`'s script `what` runs, or ANY."""
    found = set(given)
    before = flow.before(node.get('id'))
    if what in ('postScript', 'condition'):  # after the element itself has run
        before = before | {node.get('id')}
    elif what == 'script':  # the task's pre-script runs before its script
        pre = node.xpath('./bpmn:extensionElements/spiffworkflow:preScript', namespaces=NSMAP)
        found |= script_reads(pre[0].text or '', 'exec')[1] if pre else set()
    for node_id in before:
        node_sets = sets.get(node_id, set())
        if node_sets is ANY:
            return ANY
        found |= node_sets
    if what == 'condition' or what == 'postScript':
        own = sets.get(node.get('id'), set())
        if own is ANY:
            return ANY
        found |= own
    return found


def _scripts(node):
    """(element, mode, what) of each script that runs at `node`: its script, pre- and
    post-script, its timer's expression and the conditions of the flows leaving it."""
    out = [(s, 'exec', 'script') for s in node.findall(f'{{{BPMN_NS}}}script')]
    for name in ('preScript', 'postScript'):
        out += [(s, 'exec', name) for s in node.xpath(f'./bpmn:extensionElements/spiffworkflow:{name}',
                                                      namespaces=NSMAP)]
    for flow in node.getparent().findall(f'{{{BPMN_NS}}}sequenceFlow'):
        if flow.get('sourceRef') == node.get('id'):
            out += [(c, 'eval', 'condition') for c in flow.findall(f'{{{BPMN_NS}}}conditionExpression')
                    if (c.text or '').strip()]
    for expression in node.xpath('./bpmn:timerEventDefinition/*', namespaces=NSMAP):
        if not _ISO.match((expression.text or '').strip()):  # an expression naming a variable
            out.append((expression, 'eval', 'timer'))
    return out
