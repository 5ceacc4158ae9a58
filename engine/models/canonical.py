"""When two versions of a model are the same model: compared by meaning, not by bytes.

A modeler that opens a file and saves it unchanged rewrites its bytes: bpmn-js leaves out
attributes at their XSD default (`cancelActivity="true"`), renames namespace prefixes,
writes `30` for `30.0`, reorders shapes and marks exclusive gateways' drawings with
`isMarkerVisible="true"`. None of that changes the model, so none of it may make a version.

A model is compared at three levels, each a digest:
- `process`: what SpiffWorkflow executes, its parsed specs as its own serializer writes them
  (defaults applied by its parser; file names left out; flows as sets, except the order in
  which an exclusive gateway tries its conditions, which SpiffWorkflow takes from how high
  their targets are drawn). None when SpiffWorkflow cannot parse the files.
- `model`: the BPMN/DMN elements as XML, diagram left out: attribute defaults from the BPMN
  XSD filled in, QName references by id, `<expression xsi:type="tFormalExpression">` as
  `<formalExpression>`, names with single spaces; attribute order, whitespace, comments and
  the writing tool's name ignored; children as an unordered collection (order that runs is
  in `process`); the redundant `incoming`/`outgoing` and references to nothing dropped.
- `drawing`: the diagram interchange (BPMN DI, DMN DI), shapes and edges by element,
  coordinates rounded to 0.01, without DI ids or empty containers, and `isMarkerVisible`
  as bpmn-js reads it.

Two versions are the same when all three are equal; when they run the same (`process`, or
`model` for files SpiffWorkflow cannot parse) but differ otherwise, the newer one changes
the diagram alone ("layout only": shapes moved, a flow's label, an annotation).
"""
import hashlib
import json
import threading
from collections import OrderedDict
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import SpiffWorkflow.bpmn.parser as spiff_parser
from lxml import etree

from engine.errors import ModelError
from engine.models.bpmn.parsing import model_files, parse_model
from engine.models.bpmn.xml import BPMN_NS, parse_xml
from engine.runtime.state import full_serializer

SAME, LAYOUT, PROCESS = "same", "layout", "process"
XSI_TYPE = "{http://www.w3.org/2001/XMLSchema-instance}type"
XSD = "{http://www.w3.org/2001/XMLSchema}"
#: References that repeat what the flows' sourceRef and targetRef already say.
REDUNDANT = {f"{{{BPMN_NS}}}incoming", f"{{{BPMN_NS}}}outgoing"}
#: Attributes that name the tool which wrote the file, not anything in the model.
TOOL_ATTRIBUTES = {"exporter", "exporterVersion"}
#: Drawing attributes that are coordinates or sizes.
NUMERIC = {"x", "y", "width", "height", "size", "resolution"}
#: Drawing containers that draw nothing when empty (bpmn-js adds an empty plane for each
#: collapsed subprocess, and an empty label to an edge it drew none for).
EMPTY_DRAWS_NOTHING = {"BPMNLabel", "BPMNPlane", "BPMNDiagram", "DMNDiagram", "DMNDI"}
_MEMO_SIZE = 1024


def is_drawing(tag) -> bool:
    """Diagram interchange elements: BPMN DI, DD's DC and DI, DMN DI (any version)."""
    namespace = etree.QName(tag).namespace or ""
    return namespace.rstrip("/").rsplit("/", 1)[-1] in {"DI", "DC", "DMNDI"}


@dataclass(frozen=True)
class Fingerprint:
    process: str | None
    model: str
    drawing: str

    def runs_like(self, other: "Fingerprint") -> bool:
        """The same process to SpiffWorkflow; for files it cannot parse, the same model XML."""
        if self.process is not None and other.process is not None:
            return self.process == other.process
        return self.process is None and other.process is None and self.model == other.model

    def relation(self, newer: "Fingerprint") -> str:
        """SAME, LAYOUT (only the diagram differs) or PROCESS (what runs differs)."""
        if not self.runs_like(newer):
            return PROCESS
        return SAME if (self.model, self.drawing) == (newer.model, newer.drawing) else LAYOUT


def fingerprint(files: dict[str, bytes], process_id: str | None = None, parsed=None,
                extra=None) -> Fingerprint:
    """The three digests of a model's files (`parsed`: its ParsedModel, when already parsed;
    `extra`: the other models' files it calls). Its forms (JSON) are part of what runs."""
    if parsed is None:
        try:
            parsed = parse_model(files, process_id, extra=extra)
        except ModelError:
            parsed = None
    model, drawing = {}, {}
    forms = {name: _form(files[name]) for name in sorted(files) if name.endswith(".json")}
    for name in sorted(model_files(files)):
        model[name], drawing[name] = canonical(parse_xml(files[name], name))
    process = executed(parsed) if parsed is not None else None
    if forms:
        model["forms"] = forms
        process = _digest({"process": process, "forms": forms}) if process is not None else None
    return Fingerprint(process, _digest(model), _digest(drawing))


def _form(content: bytes):
    try:
        return json.loads(content)
    except ValueError:
        return content.decode("utf-8", errors="replace")


_memo: OrderedDict = OrderedDict()
_memo_lock = threading.Lock()


def remembered(key, compute) -> Fingerprint:
    """`compute()` once per key (a stored version's content checksum: versions never change)."""
    with _memo_lock:
        if key in _memo:
            _memo.move_to_end(key)
            return _memo[key]
    found = compute()
    with _memo_lock:
        _memo[key] = found
        while len(_memo) > _MEMO_SIZE:
            _memo.popitem(last=False)
    return found


# -- what SpiffWorkflow executes ---------------------------------------------------------------

def executed(parsed) -> str:
    """Digest of the specs SpiffWorkflow runs, as its serializer writes them."""
    registry = _registry()
    specs = {name: _without_file(registry.convert(spec)) for name, spec in
             [(parsed.spec.name, parsed.spec), *sorted(parsed.subprocess_specs.items())]}
    return _digest({"primary": parsed.primary_process_id, "specs": specs})


@cache
def _registry():
    return full_serializer().registry


def _without_file(serialized: dict) -> dict:
    """A process spec as it runs: without its file name, each task spec as `task_spec_as_run`
    has it, and names with their line breaks as spaces (where a name breaks is how it is
    drawn; bpmn-js writes a CR as a space)."""
    found = {k: v for k, v in serialized.items() if k != "file"}
    if isinstance(found.get("description"), str):
        found["description"] = _spaced(found["description"])
    found["task_specs"] = {name: task_spec_as_run(spec)
                           for name, spec in (found.get("task_specs") or {}).items()}
    return found


def task_spec_as_run(serialized: dict) -> dict:
    """A serialized task spec without what only the drawing decides. SpiffWorkflow orders a
    task's outgoing flows by how high their targets are drawn; that order matters only
    among an exclusive gateway's conditions (the first that holds wins), so everywhere else
    flows count as a set, and a default flow (tried last) as itself."""
    found = {**serialized, "bpmn_name": _spaced(serialized.get("bpmn_name"))}
    for key in ("inputs", "outputs"):
        if isinstance(found.get(key), list):
            found[key] = sorted(found[key])
    choices = found.get("cond_task_specs")
    if isinstance(choices, list):
        def key(choice):
            return json.dumps(choice, sort_keys=True, default=str)
        conditional = [c for c in choices if c.get("condition") is not None]
        defaults = sorted((c for c in choices if c.get("condition") is None), key=key)
        ordered = found.get("typename") == "ExclusiveGateway"
        found["cond_task_specs"] = (conditional if ordered else sorted(conditional, key=key)) + defaults
    return found


# -- the XML, by meaning -----------------------------------------------------------------------

def canonical(root) -> tuple[tuple, tuple]:
    """(model, drawing) of one parsed file, each a comparable tree of tuples."""
    drawings = []
    model = _element(root, element_kinds(root), drawings)
    return model, tuple(sorted(drawings))


def element_kinds(root) -> dict:
    """id -> local name of every model element with an id in one file."""
    return {e.get("id"): etree.QName(e).localname for e in root.iter()
            if isinstance(e.tag, str) and not is_drawing(e.tag) and e.get("id")}


def drawn(element, kinds: dict) -> tuple:
    """One DI element (a shape or an edge, its label included) as a comparable tree."""
    return _element(element, kinds, [])


def attributes(element) -> dict:
    """A model element's attributes as the BPMN schema reads them: defaults filled in,
    references by id, booleans and numbers in one spelling, names with single spaces."""
    return dict(_attributes(element)[1])


def canonical_model(files: dict[str, bytes]) -> dict:
    """File name -> its model part as a comparable tree (for files SpiffWorkflow cannot parse)."""
    return {name: canonical(parse_xml(content, name))[0] for name, content in sorted(files.items())}


def _element(element, kinds: dict, drawings: list) -> tuple | None:
    """(tag, attributes, text, children), or None for what says nothing."""
    drawing = is_drawing(element.tag)
    tag, attributes = (element.tag, _drawn(element, kinds)) if drawing else _attributes(element)
    local = etree.QName(tag).localname
    text = (element.text or "").strip()
    if not drawing and etree.QName(tag).namespace == BPMN_NS and local in _schema().references:
        text = text.rsplit(":", 1)[-1]
        if text not in kinds:
            return None  # a reference to nothing: bpmn-js cannot keep it, and it means nothing
    children = []
    for child in element:
        if not isinstance(child.tag, str) or child.tag in REDUNDANT:
            continue
        if is_drawing(child.tag) and not drawing:
            found = _element(child, kinds, drawings)
            if found is not None:
                drawings.append((element.get("id") or "", found))
            continue
        found = _element(child, kinds, drawings)
        if found is not None:
            children.append(found)
    if drawing and not children and local in EMPTY_DRAWS_NOTHING:
        return None
    ordered = drawing and local in ("BPMNEdge", "DMNEdge")  # an edge's bend points, in order
    return tag, attributes, text, tuple(children if ordered else sorted(children))


def _attributes(element) -> tuple[str, tuple]:
    """The element's tag and its attributes as the schema reads them."""
    tag, values = element.tag, dict(element.attrib)
    qname = etree.QName(tag)
    if "name" in values:
        values["name"] = _spaced(values["name"])
        if not values["name"]:
            del values["name"]  # bpmn-js keeps an empty name; no name says the same
    if qname.localname == "definitions":
        for name in TOOL_ATTRIBUTES:
            values.pop(name, None)
    if qname.namespace != BPMN_NS:
        # An extension's attribute in its element's own namespace reads as unqualified.
        prefix = f"{{{qname.namespace}}}"
        values = {k.removeprefix(prefix) if qname.namespace else k: v for k, v in values.items()}
    if XSI_TYPE in values:
        values[XSI_TYPE] = _resolve(element, values[XSI_TYPE])
    if qname.namespace == BPMN_NS:
        schema = _schema()
        type_name = schema.elements.get(qname.localname, "")
        if XSI_TYPE in values:
            type_name = etree.QName(values[XSI_TYPE]).localname
            # <expression xsi:type="tFormalExpression"> is <formalExpression>.
            member = schema.members.get((qname.localname, type_name))
            if member:
                tag = f"{{{BPMN_NS}}}{member}"
                del values[XSI_TYPE]
        for name, (default, kind) in schema.attributes(type_name).items():
            if name in values:
                values[name] = _typed(values[name], kind)
            elif default is not None:
                values[name] = default
    return tag, tuple(sorted(values.items()))


def _drawn(element, kinds: dict) -> tuple:
    # A DI element's id names nothing in the model, and its type is fixed by its tag.
    values = {k: v for k, v in element.attrib.items() if k not in ("id", XSI_TYPE)}
    for name in NUMERIC & set(values):
        try:
            values[name] = repr(round(float(values[name]), 2))
        except ValueError:
            pass
    if (etree.QName(element).localname == "BPMNShape"
            and kinds.get(element.get("bpmnElement")) == "exclusiveGateway"):
        values.setdefault("isMarkerVisible", "true")  # bpmn-js draws the marker unless told not to
    return tuple(sorted(values.items()))


def _typed(value: str, kind: str) -> str:
    value = value.strip()
    if kind == "boolean":
        return value.lower()
    if kind in ("integer", "int"):
        try:
            return str(int(value))
        except ValueError:
            return value
    if kind in ("QName", "IDREF"):
        return value.rsplit(":", 1)[-1]  # references resolve by id, whatever the prefix
    return value


def _resolve(element, qname: str) -> str:
    prefix, _, local = qname.rpartition(":")
    namespace = element.nsmap.get(prefix or None)
    return f"{{{namespace}}}{local}" if namespace else local


def _spaced(text):
    return " ".join(text.split()) if isinstance(text, str) else text


# -- the BPMN XSD (SpiffWorkflow ships it) ----------------------------------------------------

SCHEMA = Path(spiff_parser.__file__).resolve().parent / "schema"


@dataclass(frozen=True)
class _Schema:
    elements: dict  # element name -> type name
    types: dict  # type name -> {attribute: (default, XSD type)}, inherited ones included
    members: dict  # (substitution group head, member's type) -> member element name
    references: frozenset  # names of elements whose text is a reference (QName or IDREF)

    def attributes(self, type_name: str) -> dict:
        return self.types.get(type_name, {})


@cache
def _schema() -> _Schema:
    elements, types, members, references = {}, {}, {}, set()
    for name in ("BPMN20.xsd", "Semantic.xsd"):
        root = parse_xml((SCHEMA / name).read_bytes(), name)
        for element in root.iterchildren(f"{XSD}element"):
            if element.get("name") and element.get("type"):
                elements[element.get("name")] = _local(element.get("type"))
                if element.get("substitutionGroup"):
                    members[_local(element.get("substitutionGroup")), _local(element.get("type"))] = \
                        element.get("name")
        for complex_type in root.iterchildren(f"{XSD}complexType"):
            extension = complex_type.find(f"{XSD}complexContent/{XSD}extension")
            owner = complex_type if extension is None else extension
            attributes = {a.get("name"): (a.get("default"), _local(a.get("type") or ""))
                          for a in owner.iterchildren(f"{XSD}attribute") if a.get("name")}
            base = None if extension is None else _local(extension.get("base"))
            types[complex_type.get("name")] = (base, attributes)
            references |= {e.get("name") for e in complex_type.iter(f"{XSD}element")
                           if e.get("name") and _local(e.get("type") or "") in ("QName", "IDREF")}
    return _Schema(elements, {name: _inherited(types, name) for name in types}, members,
                   frozenset(references))


def _inherited(types: dict, type_name: str) -> dict:
    found = {}
    while type_name in types:
        base, attributes = types[type_name]
        found = {**attributes, **found}
        type_name = base
    return found


def _local(qname: str) -> str:
    return qname.rsplit(":", 1)[-1]


def _digest(value) -> str:
    text = json.dumps(value, sort_keys=True, default=str, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
