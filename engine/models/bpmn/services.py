"""The service-operator rule (warning): a service task names an operator no connector of
this server answers (engine.runtime.connectors). The model deploys, since another server
may have the connector, but a case reaching the task would stop there."""
from engine.models.bpmn.parsing import load_documents
from engine.models.bpmn.problems import Problem
from engine.models.bpmn.xml import BPMN_NS, NSMAP

RULE = 'service-operator'


def service_problems(files: dict, operators) -> list[Problem]:
    documents, _unreadable = load_documents(files)
    known = ', '.join(sorted(operators)) or 'none'
    problems = []
    for document in documents:
        if document.kind != 'bpmn':
            continue
        for node in document.root.iter(f'{{{BPMN_NS}}}serviceTask'):
            for operator in node.xpath('./bpmn:extensionElements/spiffworkflow:serviceTaskOperator',
                                       namespaces=NSMAP):
                name = operator.get('id') or ''
                if name in operators:
                    continue
                problems.append(Problem(
                    document.name, operator.sourceline, node.get('id'), 'warning', RULE,
                    f"No connector named '{name}' on this server (it has: {known}); a case "
                    "reaching this service task would stop there."))
    return problems
