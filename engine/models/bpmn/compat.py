"""SpiffWorkflow's parser over a model's documents, in compatibility mode or strict.

SpiffArena runs models that SpiffWorkflow's parser, strictly read, refuses. In
compatibility mode (the default) what SpiffWorkflow can still execute is parsed, and each
leniency is reported as a warning located on its element; in strict mode (a model setting,
see engine.models.packages) each is an error:

- a sequence flow leaving an exclusive or inclusive gateway with no condition and not the
  default: it is taken as always true (flows are tried in order);
- a task with several outgoing sequence flows: they all run (BPMN's uncontrolled flow);
- a data input or output association that names no data object or store: it is dropped;
- an embedded subprocess without a start event: it starts, as BPMN says, with every flow
  node inside that no sequence flow enters (an implicit start event is added to the tree
  SpiffWorkflow reads; the stored file is left as it was).
"""
import re

from lxml import etree

from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException
from SpiffWorkflow.bpmn.parser.task_parsers import ConditionalGatewayParser
from SpiffWorkflow.spiff.parser.process import SpiffBpmnParser

from engine.models.bpmn.problems import Problem, at_element
from engine.models.bpmn.xml import NSMAP, short_tag

RELAXED = 'compatibility'


class _Relaxed:
    """Mixed into every task parser class of a compatibility-mode parser."""

    def _relax(self, message):
        self.process_parser.parser.relaxed.append((self.filename, self.node, message))

    def handles_multiple_outgoing(self):
        if super().handles_multiple_outgoing():
            return True
        self._relax(f'{short_tag(self.node.tag)} has several outgoing sequence flows without a gateway; '
                    'they all run, as parallel paths')
        return True

    def connect_outgoing(self, outgoing_task, sequence_flow_node, is_default):
        if (isinstance(self, ConditionalGatewayParser) and not is_default
                and self.parse_condition(sequence_flow_node) is None):
            self.process_parser.parser.relaxed.append((
                self.filename, sequence_flow_node,
                'this sequence flow leaves an exclusive or inclusive gateway without a condition '
                'and is not the default flow; it is taken as always true'))
            self.task.connect_outgoing_if('True', outgoing_task)
            return
        super().connect_outgoing(outgoing_task, sequence_flow_node, is_default)

    def parse_incoming_data_references(self):
        try:
            return super().parse_incoming_data_references()
        except ValidationException:
            self._relax('a data input association names no data object or data store; it is ignored')
            return []

    def parse_outgoing_data_references(self):
        try:
            return super().parse_outgoing_data_references()
        except ValidationException:
            self._relax('a data output association names no data object or data store; it is ignored')
            return []


_relaxed_classes = {}


def _relaxed_class(cls):
    if cls is None:
        return None
    if cls not in _relaxed_classes:
        _relaxed_classes[cls] = type('Relaxed' + cls.__name__, (_Relaxed, cls), {})
    return _relaxed_classes[cls]


class _Parser(SpiffBpmnParser):
    """SpiffBpmnParser that reports an unimplemented data store instead of
    abandoning the rest of the file, so one validation run shows more."""

    def __init__(self, strict=False):
        super().__init__()  # no validator: schema_problems reports every XSD error instead
        self.store_failures = []
        self.strict = strict
        self.relaxed = []  # (file name, element, message) for each leniency

    def _get_parser_class(self, tag):
        parser_class, spec_class = super()._get_parser_class(tag)
        return (parser_class if self.strict else _relaxed_class(parser_class)), spec_class

    def _add_data_stores(self, bpmn):
        try:
            super()._add_data_stores(bpmn)
        except ValidationException as exc:
            self.store_failures.append((exc, bpmn))


def _document_of(documents, element):
    root = element.getroottree().getroot()
    for document in documents:
        if document.root is root:
            return document
    return None


def _find(documents, xpath, prefer=None, **variables):
    ordered = sorted(documents, key=lambda document: document.name != prefer)
    for document in ordered:
        found = document.root.xpath(xpath, namespaces=NSMAP, **variables)
        if found:
            return found[0]
    return None


def _explain(message, tag):
    """Reword SpiffWorkflow's terser messages for modellers."""
    if message.startswith('There is no support implemented for this task type'):
        return f'SpiffWorkflow cannot execute {tag or "this element"}'
    if message.startswith('Multiple outgoing flows are not supported'):
        return (f'{tag or "this element"} has several outgoing sequence flows; '
                'SpiffWorkflow needs a gateway to split the flow')
    if message.startswith('Non-default exclusive outgoing sequence flow without condition'):
        return ('this sequence flow leaves an exclusive or inclusive gateway without a condition '
                'and is not the default flow')
    if message.startswith('A Service Task must have an operator'):
        return 'a service task needs a spiffworkflow:serviceTaskOperator extension'
    match = re.match(r'No DMN Diagram available with id "([^"]*)", Available DMN ids are: ?(.*)', message)
    if match:
        return (f'the business rule task calls decision {match.group(1)!r}, which is not in this model nor in any deployed model '
                f'(decisions in the model: {match.group(2) or "none"})')
    match = re.match(r'Cannot resolve (data(?:In|Out)putAssociation)', message)
    if match:
        return f'cannot resolve a {match.group(1)}: no data object or data store matches its reference'
    return message


def spiff_problem(exc, documents, default_file=None) -> Problem:
    """Locate a SpiffWorkflow (or unexpected) parse failure in the source files."""
    if not isinstance(exc, ValidationException):
        return Problem(default_file or '', None, None, 'error', 'parse',
                       f'SpiffWorkflow could not parse the model: {type(exc).__name__}: {exc}')
    raw = str(exc.args[0]) if exc.args else 'invalid model'
    message = '. '.join([' '.join(raw.split()).rstrip('. ')] + [note for note in exc.notes if note])
    file = exc.file_name or default_file
    element = None
    if exc.id:
        element = _find(documents, '//*[@id=$value]', prefer=file, value=exc.id)
    elif match := re.match(r"The process '([^']*)' was not found", message):
        element = _find(documents, '//bpmn:callActivity[@calledElement=$value]', value=match.group(1))
        message = f'call activity calls process {match.group(1)!r}, which is not in this model nor in any deployed model'
    elif match := re.match(r'Data Store with name (.*) has no implementation', raw, re.S):
        element = _find(documents, '//bpmn:dataStore[@name=$value]', prefer=file, value=match.group(1))
        message = f'SpiffWorkflow has no implementation for data store {" ".join(match.group(1).split())!r}'
    tag = exc.tag or (short_tag(element.tag) if element is not None else '')
    message = _explain(message, tag)
    if element is not None:
        document = _document_of(documents, element)
        return at_element(document.name if document else (file or ''), element, 'error', 'parse', message)
    return Problem(file or '', None, exc.id or None, 'error', 'parse', message)


def build_parser(documents, strict=False) -> tuple[SpiffBpmnParser, list[Problem]]:
    """Feed the hardened trees to SpiffWorkflow's Spiff parser; parse every decision table."""
    parser, problems = _Parser(strict), []
    for document in documents:
        if not strict and document.kind == 'bpmn':
            _implicit_starts(parser, document)
        try:
            if document.kind == 'bpmn':
                parser.add_bpmn_xml(document.root, document.name)
            else:
                parser.add_dmn_xml(document.root, document.name)
        except Exception as exc:  # any failure here is the input's fault: report, go on
            problems.append(spiff_problem(exc, documents, document.name))
    for exc, root in parser.store_failures:
        names = [document.name for document in documents if document.root is root]
        problems.append(spiff_problem(exc, documents, names[0] if names else None))
    for dmn_parser in list(parser.dmn_parsers.values()):
        try:
            dmn_parser.parse()
        except Exception as exc:
            problems.append(spiff_problem(exc, documents, dmn_parser.filename))
    return parser, problems




_FLOW_NODES = ('task', 'userTask', 'manualTask', 'scriptTask', 'serviceTask', 'sendTask', 'receiveTask',
               'businessRuleTask', 'callActivity', 'subProcess', 'exclusiveGateway', 'inclusiveGateway',
               'parallelGateway', 'eventBasedGateway', 'intermediateCatchEvent', 'intermediateThrowEvent',
               'endEvent')


def _implicit_starts(parser, document):
    """Give each embedded subprocess without a start event one that leads to every flow
    node inside it that nothing enters (BPMN's implicit start), once per tree."""
    bpmn = NSMAP['bpmn']
    for sub in document.root.xpath('//bpmn:subProcess[not(bpmn:startEvent)]', namespaces=NSMAP):
        entered = {flow.get('targetRef') for flow in sub.xpath('./bpmn:sequenceFlow', namespaces=NSMAP)}
        entries = [node.get('id') for node in sub if isinstance(node.tag, str)
                   and node.tag.split('}')[-1] in _FLOW_NODES and node.get('id') not in entered]
        if not entries:
            continue
        start_id = f"{sub.get('id')}_implicit_start"
        start = etree.SubElement(sub, f'{{{bpmn}}}startEvent', id=start_id)
        start.sourceline = sub.sourceline
        for index, target in enumerate(entries):
            etree.SubElement(sub, f'{{{bpmn}}}sequenceFlow', id=f'{start_id}_{index}',
                             sourceRef=start_id, targetRef=target)
        parser.relaxed.append((document.name, sub, 'this subprocess has no start event; it starts '
                               f'with {", ".join(entries)}, which no sequence flow enters'))


def relaxed_problems(parser, documents) -> list[Problem]:
    """The leniencies a compatibility-mode parse took, as warnings (once each)."""
    found, seen = [], set()
    for file, node, message in parser.relaxed:
        document = _document_of(documents, node)
        problem = at_element(document.name if document else file or '', node, 'warning', RELAXED, message)
        if problem not in seen:
            seen.add(problem)
            found.append(problem)
    return found
