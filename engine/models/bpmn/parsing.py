"""Turn uploaded BPMN/DMN files into SpiffWorkflow specs, or into located Problems.

A process model is one or several files: BPMN files (processes, possibly
calling each other) and DMN files (decision tables for business rule tasks).
Files are handled in filename order so that results never depend on the order
a caller happened to store them in.

Which process runs (`primary_process_id`):
  1. the `process_id` the caller asks for, if given (it must be executable);
  2. otherwise the executable processes no call activity in the model calls;
     if exactly one, that one;
  3. if several (a collaboration with several executable pools), the first of
     them, in filename then document order, that has a none start event (one a
     person can start); if none has one, the first of them;
  4. if every executable process is called by another (a cycle), the first
     executable process.
"""

import re
import threading
from dataclasses import dataclass, field

from lxml import etree
from SpiffWorkflow.bpmn.parser.BpmnParser import BpmnValidator
from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException
from SpiffWorkflow.dmn.parser.BpmnDmnParser import SCHEMAS as DMN_SCHEMAS
from SpiffWorkflow.spiff.parser.process import VALIDATOR, SpiffBpmnParser

from engine.errors import ModelError
from engine.models.bpmn.compat import build_parser, relaxed_problems, spiff_problem
from engine.models.bpmn.problems import (Problem, at_element, has_errors, nearest_id,
    sort_problems, summarize)
from engine.models.bpmn.xml import BPMN_NS, NSMAP, parse_xml, short_tag, shorten_namespaces

MAX_SCHEMA_PROBLEMS = 50

# lxml schema objects keep their error log on the object: validate one document at a time.
_schema_lock = threading.Lock()
_dmn_validators = {}


@dataclass(frozen=True)
class Document:
    """One parsed model file: `kind` is 'bpmn' or 'dmn'."""
    name: str
    root: etree._Element
    kind: str


@dataclass(frozen=True)
class ParsedModel:
    """What the engine needs to run a model: `BpmnWorkflow(spec, subprocess_specs)`."""
    files: dict
    process_ids: list
    primary_process_id: str
    spec: object
    subprocess_specs: dict
    process_names: dict = field(default_factory=dict)
    decision_ids: list = field(default_factory=list)


def document_kind(root) -> str | None:
    """'bpmn' or 'dmn' from the root element, None for anything else."""
    if not isinstance(root.tag, str):
        return None
    qname = etree.QName(root)
    if qname.localname != 'definitions':
        return None
    if qname.namespace == BPMN_NS:
        return 'bpmn'
    if qname.namespace and 'omg.org/spec/DMN/' in qname.namespace:
        return 'dmn'
    return None


def load_documents(files: dict) -> tuple[list[Document], list[Problem]]:
    """Parse every file with the hardened parser; classify it as BPMN or DMN."""
    documents, problems = [], []
    for name in sorted(files):
        try:
            root = parse_xml(files[name], name)
        except ModelError as exc:
            problems.extend(exc.problems)
            continue
        kind = document_kind(root)
        if kind is None:
            problems.append(at_element(
                name, root, 'error', 'not-a-model',
                f'not a BPMN or DMN model: the root element is {short_tag(root.tag)}, '
                'not bpmn:definitions or dmn:definitions'))
            continue
        documents.append(Document(name, root, kind))
    return documents, problems


def _validator_for(document):
    if document.kind == 'bpmn':
        return VALIDATOR
    namespace = etree.QName(document.root).namespace
    if namespace not in DMN_SCHEMAS:
        return None  # a DMN version SpiffWorkflow ships no schema for
    if namespace not in _dmn_validators:
        _dmn_validators[namespace] = BpmnValidator(DMN_SCHEMAS[namespace])
    return _dmn_validators[namespace]


def _element_on_line(root, line, local_name):
    """The element an XSD error on `line` is about (the schema log names no element)."""
    found = [el for el in root.iter() if isinstance(el.tag, str) and el.sourceline == line]
    named = [el for el in found if etree.QName(el).localname == local_name]
    return (named or found or [None])[-1]


def model_files(files: dict) -> dict:
    """The diagrams among a version's files (its forms, JSON, are not parsed here)."""
    return {name: content for name, content in files.items() if not name.endswith('.json')}


def schema_problems(document: Document, severity='error') -> list[Problem]:
    """Every XSD violation in a file (SpiffWorkflow's validator stops at the last one); in
    compatibility mode (`severity` 'warning') what SpiffWorkflow tolerates only warns."""
    with _schema_lock:
        validator = _validator_for(document)
        if validator is None:
            return []
        if document.kind == 'bpmn':
            validator.preprocess(document.root)  # as SpiffWorkflow does before validating
        if validator.validator.validate(document.root):
            return []
        entries = [(entry.line, entry.path or '', entry.message) for entry in validator.validator.error_log]
    problems = []
    for line, path, message in entries[:MAX_SCHEMA_PROBLEMS]:
        local_name = re.sub(r'\[\d+\]$', '', path.rsplit('/', 1)[-1]).rsplit(':', 1)[-1]
        element = _element_on_line(document.root, line, local_name)
        text = shorten_namespaces(message)
        if len(text) > 500:
            text = text[:497] + '...'
        problems.append(Problem(document.name, line or None, nearest_id(element) if element is not None else None,
                                severity, 'xsd', text))
    if len(entries) > MAX_SCHEMA_PROBLEMS:
        problems.append(Problem(document.name, None, None, severity, 'xsd',
                                f'{len(entries) - MAX_SCHEMA_PROBLEMS} more schema errors not shown'))
    return problems


def process_elements(documents):
    """(document, bpmn:process) pairs in filename and document order."""
    for document in documents:
        if document.kind == 'bpmn':
            for process in document.root.xpath('./bpmn:process', namespaces=NSMAP):
                yield document, process


def no_executable_problem(documents) -> Problem:
    """The error for a model SpiffWorkflow would refuse to start at all."""
    for document, process in process_elements(documents):
        return at_element(document.name, process, 'error', 'not-executable',
                          'no executable process: every bpmn:process has isExecutable="false"; '
                          'set isExecutable="true" on the process that should run')
    bpmn = [document for document in documents if document.kind == 'bpmn']
    if bpmn:
        return at_element(bpmn[0].name, bpmn[0].root, 'error', 'not-executable',
                          'the model has no bpmn:process to run')
    return Problem('', None, None, 'error', 'not-executable', 'the model has no BPMN file')


# Names SpiffWorkflow gives its own task specs; an element with such an id is
# silently replaced by the internal task (a start event "Start" never runs).
RESERVED_IDS = ('Start', 'End', 'StartEventSplit', 'StartEventJoin')
RESERVED_SUFFIXES = ('.EndJoin', '.BoundaryEventSplit', '.BoundaryEventJoin', ' [child]')


def runnable_processes(documents):
    """The processes that will be parsed and run: the executable ones, or all if none is."""
    processes = list(process_elements(documents))
    executable = [(doc, process) for doc, process in processes if process.get('isExecutable', 'true') == 'true']
    return executable or processes


def reserved_id_problems(documents) -> list[Problem]:
    problems = []
    for document, process in runnable_processes(documents):
        for element in process.iter():
            element_id = element.get('id') if isinstance(element.tag, str) else None
            if element_id and (element_id in RESERVED_IDS or element_id.endswith(RESERVED_SUFFIXES)):
                problems.append(at_element(
                    document.name, element, 'error', 'reserved-id',
                    f'the id {element_id!r} is reserved by SpiffWorkflow for its own tasks; rename the element'))
    return problems


def _has_none_start(process) -> bool:
    for start in process.xpath('./bpmn:startEvent', namespaces=NSMAP):
        if not [child for child in start if isinstance(child.tag, str)
                and child.tag.endswith('EventDefinition')]:
            return True
    return False


def choose_primary(parser, documents, executable) -> str:
    """Apply the rule in the module docstring."""
    called = set()
    for document in documents:
        if document.kind == 'bpmn':
            called.update(document.root.xpath('//bpmn:callActivity/@calledElement', namespaces=NSMAP))
    candidates = [process_id for process_id in executable if process_id not in called]
    if len(candidates) == 1:
        return candidates[0]
    for process_id in candidates:
        if _has_none_start(parser.get_process_parser(process_id).node):
            return process_id
    return (candidates or executable)[0]


def _xsd_severity(strict) -> str:
    return 'error' if strict else 'warning'


def check_documents(documents, strict=True, extra=()) -> list[Problem]:
    """Schema and SpiffWorkflow problems of the whole model, never raising.

    Every executable process is parsed, not only the primary one. When no
    process is executable, each is parsed as if it were, so the verdict also
    says what else would block it once `isExecutable` is set. `extra`: documents of
    other models that supply what this one calls (engine.models.calls); not checked.
    Without `strict`, what SpiffWorkflow tolerates is a warning (engine.models.bpmn.compat).
    """
    problems = []
    for document in documents:
        problems += schema_problems(document, _xsd_severity(strict))
    problems += reserved_id_problems(documents)
    parser, parse_problems = build_parser([*documents, *extra], strict)
    problems += parse_problems
    own = _own_process_ids(documents)
    executable = [pid for pid in parser.get_process_ids() if pid in own]
    targets = list(executable)
    if not executable:
        problems.append(no_executable_problem(documents))
        targets = [pid for pid in parser.process_parsers if pid in own]
        for process_id in targets:
            parser.process_parsers[process_id].process_executable = True
    for process_id in targets:
        try:
            parser.get_spec(process_id)
            parser.get_subprocess_specs(process_id)
        except Exception as exc:
            file = parser.process_parsers[process_id].filename
            problems.append(spiff_problem(exc, documents, file))
    return sort_problems(problems + relaxed_problems(parser, documents))


def _own_process_ids(documents) -> set:
    return {process.get('id') for _, process in process_elements(documents)}


def _raise_if_errors(problems):
    if has_errors(problems):
        raise ModelError(summarize(problems), problems=sort_problems(problems))


def parse_model(files: dict, process_id: str | None = None, extra: dict | None = None,
                strict: bool = False) -> ParsedModel:
    """Parse a model's files (its forms, JSON, are left aside) into the specs for its
    primary process; `extra` are other models' files supplying what it calls.

    Raises `ModelError` (its `problems` located by file, line and element)
    when any file is unsafe, malformed, or rejected by SpiffWorkflow; with `strict`,
    also when it deviates from the XSD or needs compatibility mode's leniency.
    """
    files = model_files(files)
    documents, problems = load_documents(files)
    for document in documents:
        problems += schema_problems(document, _xsd_severity(strict))
    _raise_if_errors(problems)
    _raise_if_errors(reserved_id_problems(documents))
    others = load_documents(model_files(extra))[0] if extra else []
    parser, problems = build_parser([*documents, *others], strict)
    _raise_if_errors(problems)
    own = _own_process_ids(documents)
    executable = [pid for pid in parser.get_process_ids() if pid in own]
    if not executable:
        _raise_if_errors([no_executable_problem(documents)])
    if process_id is None:
        process_id = choose_primary(parser, documents, executable)
    elif process_id not in executable:
        problem = Problem('', None, process_id, 'error', 'not-executable',
                          f'process {process_id!r} is not an executable process of this model '
                          f'(executable: {", ".join(executable)})')
        _raise_if_errors([problem])
    try:
        spec = parser.get_spec(process_id)
        subprocess_specs = parser.get_subprocess_specs(process_id)
    except Exception as exc:
        problem = spiff_problem(exc, documents, parser.get_process_parser(process_id).filename)
        raise ModelError(summarize([problem]), problems=[problem]) from None
    return ParsedModel(
        files=dict(files),
        process_ids=list(executable),
        primary_process_id=process_id,
        spec=spec,
        subprocess_specs=subprocess_specs,
        process_names={pid: parser.get_process_parser(pid).get_name() for pid in executable},
        decision_ids=sorted(decision for decision, dmn in parser.dmn_parsers.items()
                            if dmn.filename in files),
    )


def parse_spec_for(files: dict, process_id: str | None = None):
    """`(spec, subprocess_specs)` for `BpmnWorkflow`, for callers that need nothing else."""
    model = parse_model(files, process_id)
    return model.spec, model.subprocess_specs
