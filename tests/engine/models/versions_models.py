"""Small linear test models built in code, so each test says exactly what a version changes."""

HEAD = ('<?xml version="1.0" encoding="UTF-8"?>\n'
        '<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" '
        'xmlns:bpmndi="http://www.omg.org/spec/BPMN/20100524/DI" '
        'xmlns:dc="http://www.omg.org/spec/DD/20100524/DC" '
        'id="Defs" targetNamespace="http://bpmn.io/schema/bpmn">\n')


def linear(tasks, key="linear", deadline=None, x_shift=0) -> dict[str, bytes]:
    """start -> each (id, name) user task in turn -> end; `deadline` puts a duration timer
    boundary event on the first task, leading to task 'Escalate'."""
    ids = ["StartEvent"] + [t for t, _ in tasks] + ["EndEvent"]
    body = ['<bpmn:startEvent id="StartEvent" />']
    body += [f'<bpmn:userTask id="{t}" name="{n}" />' for t, n in tasks]
    body += [f'<bpmn:sequenceFlow id="Flow_{a}_{b}" sourceRef="{a}" targetRef="{b}" />'
             for a, b in zip(ids, ids[1:])]
    body.append('<bpmn:endEvent id="EndEvent" />')
    if deadline:
        first = tasks[0][0]
        body += [f'<bpmn:boundaryEvent id="Late" attachedToRef="{first}" cancelActivity="true">'
                 f'<bpmn:timerEventDefinition id="TimerLate"><bpmn:timeDuration>"{deadline}"'
                 '</bpmn:timeDuration></bpmn:timerEventDefinition></bpmn:boundaryEvent>',
                 '<bpmn:sequenceFlow id="Flow_Late" sourceRef="Late" targetRef="Escalate" />',
                 '<bpmn:userTask id="Escalate" name="Escalate" />',
                 '<bpmn:sequenceFlow id="Flow_Esc" sourceRef="Escalate" targetRef="End_Late" />',
                 '<bpmn:endEvent id="End_Late" />']
    shapes = [f'<bpmndi:BPMNShape id="{e}_di" bpmnElement="{e}"><dc:Bounds x="{100 + 150 * i + x_shift}" '
              f'y="100" width="100" height="80" /></bpmndi:BPMNShape>' for i, e in enumerate(ids)]
    xml = (HEAD + f'<bpmn:process id="{key}" name="Linear" isExecutable="true">\n' + "\n".join(body)
           + '\n</bpmn:process>\n<bpmndi:BPMNDiagram id="D1"><bpmndi:BPMNPlane id="P1" bpmnElement="'
           + key + '">' + "".join(shapes) + '</bpmndi:BPMNPlane></bpmndi:BPMNDiagram>\n</bpmn:definitions>\n')
    return {f"{key}.bpmn": xml.encode("utf-8")}


BPMN = "http://www.omg.org/spec/BPMN/20100524/MODEL"
DI = "http://www.omg.org/spec/BPMN/20100524/DI"
DC = "http://www.omg.org/spec/DD/20100524/DC"


def written_by_another_tool(xml: bytes) -> bytes:
    """The same model as bpmn-js writes it back unchanged (no attribute at its XSD default,
    `isMarkerVisible` on exclusive gateways' shapes, shapes in another order) and as other
    tools do (another namespace prefix, `160.0` for `160`, attributes in another order,
    another indentation)."""
    from lxml import etree
    root = etree.fromstring(xml)
    for event in root.iter(f"{{{BPMN}}}boundaryEvent"):
        if event.get("cancelActivity") == "true":
            del event.attrib["cancelActivity"]
    gateways = {e.get("id") for e in root.iter(f"{{{BPMN}}}exclusiveGateway")}
    for plane in root.iter(f"{{{DI}}}BPMNPlane"):
        shapes = list(plane)
        for shape in shapes:
            if shape.get("bpmnElement") in gateways:
                shape.set("isMarkerVisible", "true")
            plane.remove(shape)
        plane.extend(reversed(shapes))
    for element in root.iter():
        items = list(element.attrib.items())
        element.attrib.clear()
        for name, value in reversed(items):
            element.set(name, f"{float(value):.1f}" if name in ("x", "y", "width", "height") else value)
    for element in root.iter():
        if isinstance(element.tag, str) and element.text is not None and not element.text.strip():
            element.text = None
        element.tail = None
    etree.indent(root, space="    ")
    text = etree.tostring(root, xml_declaration=True, encoding="UTF-8")
    return text.replace(b"bpmn:", b"semantic:").replace(b"xmlns:bpmn=", b"xmlns:semantic=")
