"""Lay out a BPMN file for bpmn-js: wrap its process in a pool (a collaboration with one
participant), then write diagram coordinates (BPMN DI) for the pool, its lanes, every flow
node, boundary event and sequence flow. Existing DI and collaborations are replaced.

    python tools/bpmn_layout.py processes/*/*.bpmn

Columns come from the longest path through the sequence flows (loops ignored), rows from
the lanes; good enough to read and to edit further in the browser. Not part of the
package: the .bpmn files it writes are what is committed and deployed.
"""
import sys
from collections import defaultdict

from lxml import etree

BPMN = "http://www.omg.org/spec/BPMN/20100524/MODEL"
BPMNDI = "http://www.omg.org/spec/BPMN/20100524/DI"
DC = "http://www.omg.org/spec/DD/20100524/DC"
DI = "http://www.omg.org/spec/DD/20100524/DI"
NS = {"bpmn": BPMN}
COL, ROW, LEFT, TOP, LANE_HEAD = 170, 120, 190, 60, 30
SIZES = {"task": (100, 80), "event": (36, 36), "gateway": (50, 50)}


def q(ns, tag):
    return f"{{{ns}}}{tag}"


def kind(element):
    local = etree.QName(element).localname
    if local.endswith("Event"):
        return "event"
    if local.endswith("Gateway"):
        return "gateway"
    return "task"


def layers(nodes, flows, starts):
    """Longest-path column of each node, ignoring back edges found by a DFS."""
    succ = defaultdict(list)
    for source, target in flows:
        succ[source].append(target)
    back, state = set(), {}

    def visit(node):
        state[node] = 1
        for nxt in succ[node]:
            if state.get(nxt) == 1:
                back.add((node, nxt))
            elif nxt not in state:
                visit(nxt)
        state[node] = 2

    for start in starts + list(nodes):
        if start not in state:
            visit(start)
    column = {n: 0 for n in nodes}
    order = list(nodes)
    for _ in range(len(order)):
        changed = False
        for source, target in flows:
            if (source, target) not in back and column[target] < column[source] + 1:
                column[target] = column[source] + 1
                changed = True
        if not changed:
            break
    return column, back


def layout(path):
    tree = etree.parse(path, etree.XMLParser(remove_blank_text=True))
    root = tree.getroot()
    for old in root.findall(q(BPMNDI, "BPMNDiagram")) + root.findall(q(BPMN, "collaboration")):
        root.remove(old)
    process = root.find(q(BPMN, "process"))
    pid = process.get("id")
    lanes = process.findall("bpmn:laneSet/bpmn:lane", NS)
    lane_of = {}
    for index, lane in enumerate(lanes):
        for ref in lane.findall("bpmn:flowNodeRef", NS):
            lane_of[ref.text] = index
    elements, boundaries = {}, []
    for child in process:
        if not isinstance(child.tag, str) or child.get("id") is None:
            continue
        local = etree.QName(child).localname
        if local in ("laneSet", "sequenceFlow", "dataObject", "dataObjectReference", "textAnnotation",
                     "association"):
            continue
        if local == "boundaryEvent":
            boundaries.append(child)
        else:
            elements[child.get("id")] = child
    attached = {b.get("id"): b.get("attachedToRef") for b in boundaries}
    flows = []
    for flow in process.findall("bpmn:sequenceFlow", NS):
        source = attached.get(flow.get("sourceRef"), flow.get("sourceRef"))
        flows.append((source, flow.get("targetRef")))
    starts = [i for i, e in elements.items() if etree.QName(e).localname == "startEvent"]
    column, _back = layers(list(elements), flows, starts)
    # rows: nodes sharing a lane and a column stack downwards; what only a boundary event
    # leads to goes below the main path of its lane
    main_flows = [(flow.get("sourceRef"), flow.get("targetRef"))
                  for flow in process.findall("bpmn:sequenceFlow", NS)
                  if flow.get("sourceRef") not in attached]
    main, frontier = set(starts), list(starts)
    while frontier:
        node = frontier.pop()
        for source, target in main_flows:
            if source == node and target not in main:
                main.add(target)
                frontier.append(target)
    cells = defaultdict(list)
    for node_id in elements:
        cells[(lane_of.get(node_id, 0), column[node_id], node_id not in main)].append(node_id)
    row = {}
    main_rows = defaultdict(int)
    for (lane, _col, branch), ids in cells.items():
        if not branch:
            main_rows[lane] = max(main_rows[lane], len(ids))
    lane_rows = defaultdict(lambda: 1)
    for (lane, _col, branch), ids in cells.items():
        base = main_rows[lane] if branch else 0
        for r, node_id in enumerate(ids):
            row[node_id] = base + r
        lane_rows[lane] = max(lane_rows[lane], base + len(ids))
    lane_count = max(1, len(lanes))
    lane_top, y = {}, TOP
    for lane in range(lane_count):
        lane_top[lane] = y
        y += lane_rows[lane] * ROW + 40
    height = y - TOP
    width = (max(column.values(), default=0) + 1) * COL + 120
    bounds = {}
    for node_id, element in elements.items():
        w, h = SIZES[kind(element)]
        cx = LEFT + 60 + column[node_id] * COL
        cy = lane_top[lane_of.get(node_id, 0)] + 20 + ROW // 2 + row[node_id] * ROW
        bounds[node_id] = (cx - w // 2, cy - h // 2, w, h)
    per_host = defaultdict(int)
    for boundary in boundaries:
        hx, hy, _hw, hh = bounds[boundary.get("attachedToRef")]
        k = per_host[boundary.get("attachedToRef")]
        per_host[boundary.get("attachedToRef")] += 1
        bounds[boundary.get("id")] = (hx + 8 + k * 44, hy + hh - 18, 36, 36)

    # the pool
    collab_id = f"Collaboration_{pid}"
    collab = etree.Element(q(BPMN, "collaboration"), id=collab_id)
    name = process.get("name") or pid
    etree.SubElement(collab, q(BPMN, "participant"), id=f"Participant_{pid}", name=name, processRef=pid)
    root.insert(list(root).index(process), collab)

    diagram = etree.SubElement(root, q(BPMNDI, "BPMNDiagram"), id=f"BPMNDiagram_{pid}",
                               nsmap={"bpmndi": BPMNDI, "dc": DC, "di": DI})
    plane = etree.SubElement(diagram, q(BPMNDI, "BPMNPlane"), id=f"BPMNPlane_{pid}", bpmnElement=collab_id)

    def shape(element_id, x, y, w, h, **extra):
        node = etree.SubElement(plane, q(BPMNDI, "BPMNShape"), id=f"{element_id}_di",
                                bpmnElement=element_id, **extra)
        etree.SubElement(node, q(DC, "Bounds"), x=str(x), y=str(y), width=str(w), height=str(h))

    shape(f"Participant_{pid}", LEFT - 60, TOP, width + 30, height, isHorizontal="true")
    for index, lane in enumerate(lanes):
        shape(lane.get("id"), LEFT - 30, lane_top[index], width,
              lane_rows[index] * ROW + 40, isHorizontal="true")
    for node_id, (x, y_, w, h) in bounds.items():
        shape(node_id, x, y_, w, h)
    for flow in process.findall("bpmn:sequenceFlow", NS):
        sx, sy, sw, sh = bounds[flow.get("sourceRef")]
        tx, ty, tw, th = bounds[flow.get("targetRef")]
        edge = etree.SubElement(plane, q(BPMNDI, "BPMNEdge"), id=f"{flow.get('id')}_di",
                                bpmnElement=flow.get("id"))
        if flow.get("sourceRef") in attached:
            points = [(sx + sw // 2, sy + sh), (sx + sw // 2, sy + sh + 30),
                      (tx + tw // 2, sy + sh + 30), (tx + tw // 2, ty + th if ty < sy else ty)]
        elif tx > sx:
            start, end = (sx + sw, sy + sh // 2), (tx, ty + th // 2)
            mid = start[0] + 20
            points = [start, end] if start[1] == end[1] else [start, (mid, start[1]), (mid, end[1]), end]
        else:
            below = max(sy + sh, ty + th) + 25
            points = [(sx + sw // 2, sy + sh), (sx + sw // 2, below), (tx + tw // 2, below),
                      (tx + tw // 2, ty + th)]
        for x, y_ in points:
            etree.SubElement(edge, q(DI, "waypoint"), x=str(x), y=str(y_))
    tree.write(path, xml_declaration=True, encoding="UTF-8", pretty_print=True)


if __name__ == "__main__":
    for name in sys.argv[1:]:
        layout(name)
        print(f"laid out {name}")
