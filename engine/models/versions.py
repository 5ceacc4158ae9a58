"""Versions of a process model: list them, read their files, and diff two of them.

Versions are compared by meaning (engine.models.canonical): each says how it differs from
the one before it ("process", or "layout" when only the diagram changed), and a diff of two
versions that run and draw the same is empty, however differently their files are written.

The diff has two sources. SpiffWorkflow's own `SpecDiff` aligns the task specs of both
versions and names the attributes that changed (it is what decides whether running cases
can migrate, see engine.commands.case_migration). The XML adds what the specs do not carry: sequence
flows, lanes, names as drawn, and the diagram layout (DI), so a process owner also sees a
renamed flow or a moved shape.
"""
import json
from dataclasses import asdict, dataclass, field

from sqlalchemy import func, select
from sqlalchemy.orm import Session
from SpiffWorkflow.bpmn.util.diff import SpecDiff

from engine.models import canonical
from engine.models.bpmn.xml import BPMN_NS, parse_xml
from engine.models.canonical import LAYOUT, PROCESS, SAME
from engine.models.deploy import find_version, stored_fingerprint
from engine.errors import Forbidden, NotFound
from engine.people.identity import PROCESS_OWNER
from engine.runtime.state import full_serializer
from engine.storage import Case, ProcessFile, ProcessModel, ProcessVersion

#: SpiffWorkflow's converters: SpecDiff compares task specs by their serialized attributes.
REGISTRY = full_serializer().registry
DI_NS = "http://www.omg.org/spec/BPMN/20100524/DI"

#: SpiffWorkflow's serialized task-spec attributes, grouped into what a modeller calls them.
ASPECTS = {
    "bpmn_name": "name", "typename": "type", "lane": "lane",
    "inputs": "flows", "outputs": "flows", "default_task_spec": "flows",
    "cond_task_specs": "conditions", "choice": "conditions",
    "script": "script", "prescript": "script", "postscript": "script",
    "extensions": "properties", "event_definition": "event",
    "documentation": "documentation", "io_specification": "data",
    "data_input_associations": "data", "data_output_associations": "data",
    "cancel_activity": "event", "decision_table": "decision",
}
#: Each aspect in words (the web app shows its own translations of these).
WORDS = {
    "name": "renamed", "flows": "flow rewired", "conditions": "condition changed",
    "script": "script changed", "timer": "timer changed", "form": "form changed",
    "lane": "lane changed", "layout": "moved in the diagram", "type": "type changed",
    "properties": "properties changed", "event": "event changed", "data": "data changed",
    "documentation": "documentation changed", "attributes": "attributes changed",
    "decision": "decision table changed",
}
#: What a version is next to the one before it (VersionInfo.change, ModelDiff.kind).
CHANGES = {"first": "first version", PROCESS: "process changed", LAYOUT: "layout only",
           SAME: "same as the version before"}
#: XML attributes a modeller knows by another name.
_XML_ASPECTS = {"name": "name", "sourceRef": "flows", "targetRef": "flows", "default": "flows",
                "attachedToRef": "flows", "conditionExpression": "conditions", "script": "script",
                "cancelActivity": "event", "isInterrupting": "event", "parallelMultiple": "event"}
#: XML child elements whose text matters for a diff of elements SpiffWorkflow has no spec for.
_TEXT_CHILDREN = ("conditionExpression", "script", "timeDuration", "timeDate", "timeCycle")


def require_owner(actor, doing: str) -> None:
    """Only process owners and administrators change models or move cases between them."""
    if not actor.has_role(PROCESS_OWNER):
        raise Forbidden(f"'{actor.username}' may not {doing}: only process owners and "
                        "administrators may.")


@dataclass
class ElementChange:
    element_id: str
    type: str
    name: str | None
    status: str  # added | removed | changed
    process_id: str | None = None
    aspects: list = field(default_factory=list)  # ["name", "flows", ...]
    details: dict = field(default_factory=dict)  # aspect -> {"before": .., "after": ..}

    @property
    def words(self) -> list[str]:
        """What changed, as a modeller says it: "renamed", "flow rewired", ..."""
        return [WORDS.get(a, f"{a} changed") for a in self.aspects]

    def to_dict(self) -> dict:
        return {**asdict(self), "words": self.words}

    def __str__(self):
        label = f"{self.type} {self.element_id}" + (f" ({self.name})" if self.name else "")
        extra = f": {', '.join(self.words)}" if self.aspects else ""
        return f"{self.status} {label}{extra}"


@dataclass
class ModelDiff:
    key: str
    from_version: int
    to_version: int
    elements: list  # [ElementChange]
    kind: str = PROCESS  # SAME, LAYOUT (only the diagram changed) or PROCESS

    @property
    def summary(self) -> str:
        what = {SAME: "the same process and diagram (how the files are written does not count)",
                LAYOUT: "layout only: the process runs the same",
                PROCESS: f"{len(self.elements)} change(s)"}[self.kind]
        return f"{self.key}: v{self.from_version} -> v{self.to_version}: {what}"

    def by_status(self, status: str) -> list:
        return [e for e in self.elements if e.status == status]

    @property
    def changed_ids(self) -> list:
        return [e.element_id for e in self.elements]

    def to_dict(self) -> dict:
        return {"key": self.key, "from_version": self.from_version, "to_version": self.to_version,
                "kind": self.kind, "summary": self.summary,
                "elements": [e.to_dict() for e in self.elements]}


# -- reading versions ------------------------------------------------------------------------

@dataclass(frozen=True)
class VersionInfo:
    id: int
    key: str
    version: int
    name: str
    deployed_by: str
    deployed_at: object
    checksum: str
    files: tuple
    running_cases: int
    all_cases: int
    #: Next to the version before it: "first", "process", "layout" (only the diagram
    #: changed) or "same" (deployed before versions were compared by meaning); None when
    #: the listing was asked without it.
    change: str | None = None

    @property
    def change_words(self) -> str:
        return CHANGES.get(self.change, "")


def list_models(session: Session) -> list[ProcessModel]:
    return list(session.scalars(select(ProcessModel).order_by(ProcessModel.key)))


def list_versions(session: Session, key: str, changes: bool = True) -> list[VersionInfo]:
    """The versions of `key`, newest first; with `changes`, how each differs from the one
    before it (parsing each version once per process, which a long list of models skips)."""
    model = session.scalar(select(ProcessModel).where(ProcessModel.key == key))
    if model is None:
        raise NotFound(f"No process '{key}' is deployed.")
    counts = {}
    for version_id, status, n in session.execute(
            select(Case.process_version_id, Case.status, func.count())
            .join(ProcessVersion, ProcessVersion.id == Case.process_version_id)
            .where(ProcessVersion.process_model_id == model.id)
            .group_by(Case.process_version_id, Case.status)):
        running, total = counts.get(version_id, (0, 0))
        counts[version_id] = (running + (n if status in ("running", "suspended") else 0), total + n)
    names = {}
    for version_id, name in session.execute(
            select(ProcessFile.process_version_id, ProcessFile.name)
            .join(ProcessVersion).where(ProcessVersion.process_model_id == model.id)
            .order_by(ProcessFile.name)):
        names.setdefault(version_id, []).append(name)
    versions = list(session.scalars(select(ProcessVersion).where(
        ProcessVersion.process_model_id == model.id).order_by(ProcessVersion.version.desc())))
    kinds = _changes(session, versions) if changes else {}
    return [VersionInfo(v.id, key, v.version, v.name, v.deployed_by, v.deployed_at, v.checksum,
                        tuple(names.get(v.id, ())), *counts.get(v.id, (0, 0)), kinds.get(v.id))
            for v in versions]


def _changes(session: Session, newest_first: list) -> dict[int, str]:
    found, older = {}, list(reversed(newest_first))
    for before, version in zip([None] + older, older):
        found[version.id] = "first" if before is None else (
            SAME if before.checksum == version.checksum else
            stored_fingerprint(session, before).relation(stored_fingerprint(session, version)))
    return found


def version_files(session: Session, key: str, number: int | None = None) -> dict[str, bytes]:
    version = find_version(session, key, number)
    return {f.name: f.content for f in session.scalars(
        select(ProcessFile).where(ProcessFile.process_version_id == version.id))}


# -- the diff --------------------------------------------------------------------------------

def diff_versions(engine, session: Session, key: str, old: int, new: int) -> ModelDiff:
    """What changed from version `old` to version `new` of process `key`: nothing when the
    two run and draw the same; only the diagram when they run the same."""
    old_v, new_v = find_version(session, key, old), find_version(session, key, new)
    kind = SAME if old_v.checksum == new_v.checksum else \
        stored_fingerprint(session, old_v).relation(stored_fingerprint(session, new_v))
    if kind == SAME:
        return ModelDiff(key, old, new, [], SAME)
    changes = {}
    if kind == PROCESS:
        old_b, new_b = engine.specs.get(session, old_v.id), engine.specs.get(session, new_v.id)
        changes = spec_changes(old_b.spec, old_b.subprocess_specs, new_b.spec, new_b.subprocess_specs)
    files_old, files_new = version_files(session, key, old), version_files(session, key, new)
    elements = merge_xml(changes, xml_elements(files_old), xml_elements(files_new))
    return ModelDiff(key, old, new, elements + form_changes(files_old, files_new), kind)


def form_changes(before: dict, after: dict) -> list[ElementChange]:
    """The forms (JSON files) a version added, removed or changed."""
    found = []
    for name in sorted({n for n in [*before, *after] if n.endswith(".json")}):
        old, new = before.get(name), after.get(name)
        if old == new or (old and new and _json(old) == _json(new)):
            continue
        status = "added" if old is None else "removed" if new is None else "changed"
        found.append(ElementChange(name, "form", name, status, None, ["form"],
                                   {"form": {"before": name if old else None, "after": name if new else None}}))
    return found


def _json(content: bytes):
    try:
        return json.loads(content)
    except ValueError:
        return content


def spec_changes(old_spec, old_deps: dict, new_spec, new_deps: dict) -> dict[str, ElementChange]:
    """Element changes SpiffWorkflow's SpecDiff finds, keyed by element id."""
    found: dict[str, ElementChange] = {}
    pairs = [(old_spec, new_spec)] + [(old_deps[n], new_deps[n]) for n in sorted(old_deps) if n in new_deps]
    for name in sorted(set(old_deps) - set(new_deps)):
        found[name] = ElementChange(name, "process", old_deps[name].description, "removed", name)
    for name in sorted(set(new_deps) - set(old_deps)):
        found[name] = ElementChange(name, "process", new_deps[name].description, "added", name)
    for before, after in pairs:
        diff = SpecDiff(REGISTRY, before, after)
        for spec in diff.added:
            if spec.bpmn_id:
                found.setdefault(spec.bpmn_id, _change(spec, "added", after.name))
        for spec in diff.removed:
            if spec.bpmn_id:
                found.setdefault(spec.bpmn_id, _change(spec, "removed", before.name))
        for spec, keys in diff.changed.items():
            if not spec.bpmn_id:
                continue
            aligned = diff.alignment[spec]
            if aligned.bpmn_id != spec.bpmn_id:
                # SpiffWorkflow aligned it by position with a new element: by id, that is a
                # removal and an addition, and the migration check treats it as a change.
                found.setdefault(spec.bpmn_id, _change(spec, "removed", before.name)).details[
                    "replaced_by"] = aligned.bpmn_id
                found.setdefault(aligned.bpmn_id, _change(aligned, "added", after.name))
                continue
            change = found.get(spec.bpmn_id) or _change(spec, "changed", before.name)
            _describe(change, spec, aligned, keys)
            if change.aspects or change.status != "changed":
                found[spec.bpmn_id] = change
    return found


def _change(spec, status, process_id) -> ElementChange:
    return ElementChange(spec.bpmn_id, spec.__class__.__name__, spec.bpmn_name, status, process_id)


def _describe(change: ElementChange, old, new, keys) -> None:
    s1, s2 = REGISTRY.convert(old), REGISTRY.convert(new)
    run1, run2 = canonical.task_spec_as_run(s1), canonical.task_spec_as_run(s2)
    for key in keys:
        before, after = s1.get(key), s2.get(key)
        if run1.get(key) == run2.get(key):
            continue  # only the drawing changed it (flows in another order, a name's line break)
        if key == "event_definition" and _unnamed(before) == _unnamed(after):
            continue  # an event definition carries its element's name: "renamed" says that
        aspect = ASPECTS.get(key, key)
        if key == "description":  # "Interrupting Timer Boundary Event", "User Task", ...
            aspect = "event" if s1.get("typename") == s2.get("typename") else "type"
        if aspect == "event" and "Time" in str((before or {}).get("typename") if isinstance(before, dict) else ""):
            aspect = "timer"
            before, after = _timer(before), _timer(after)
        if aspect == "properties":
            aspect = "form" if _form(s1) != _form(s2) else "properties"
            before, after = (_form(s1), _form(s2)) if aspect == "form" else (before, after)
        if aspect not in change.aspects:
            change.aspects.append(aspect)
        change.details.setdefault(aspect, {"before": _plain(before), "after": _plain(after)})


def _unnamed(definition):
    return {k: v for k, v in definition.items() if k != "name"} if isinstance(definition, dict) else definition


def _timer(definition):
    """A timer's expression, the part a modeller wrote."""
    return definition.get("expression", definition) if isinstance(definition, dict) else definition


def _form(serialized: dict):
    return ((serialized.get("extensions") or {}).get("properties") or {}).get("formJsonSchemaFilename")


def _plain(value):
    return json.loads(json.dumps(value, default=str, ensure_ascii=False))


@dataclass(frozen=True)
class XmlElement:
    type: str
    name: str | None
    process_id: str | None
    content: tuple  # what matters besides layout: attributes and significant child texts
    bounds: tuple | None


def xml_elements(files: dict[str, bytes]) -> dict[str, XmlElement]:
    """Every BPMN element with an id, as the schema reads it, with its drawing (DI)."""
    found, layout = {}, {}
    for name in sorted(files):
        if not name.endswith(".bpmn"):
            continue
        root = parse_xml(files[name], name)
        kinds = canonical.element_kinds(root)
        for shape in root.iter(f"{{{DI_NS}}}BPMNShape", f"{{{DI_NS}}}BPMNEdge"):
            layout[shape.get("bpmnElement")] = canonical.drawn(shape, kinds)
        for process in root.iter(f"{{{BPMN_NS}}}process", f"{{{BPMN_NS}}}collaboration"):
            for element in process.iter():
                if not isinstance(element.tag, str) or not element.tag.startswith(f"{{{BPMN_NS}}}"):
                    continue
                element_id = element.get("id")
                if not element_id or element_id in found or element.tag.endswith("EventDefinition"):
                    continue  # an event definition is its event's: the event's change names it
                attributes = canonical.attributes(element)
                texts = tuple((c.tag.split("}")[1], (c.text or "").strip()) for c in element
                              if isinstance(c.tag, str) and c.tag.split("}")[1] in _TEXT_CHILDREN)
                found[element_id] = XmlElement(element.tag.split("}")[1], attributes.get("name"),
                                               process.get("id"), tuple(sorted(attributes.items())) + texts,
                                               None)
    return {k: XmlElement(v.type, v.name, v.process_id, v.content, layout.get(k)) for k, v in found.items()}


def _xml_aspects(change: ElementChange, before: dict, after: dict) -> None:
    for key in sorted(set(before) | set(after)):
        if before.get(key) == after.get(key):
            continue
        aspect = "timer" if key.startswith("time") else _XML_ASPECTS.get(key, "attributes")
        if aspect not in change.aspects:
            change.aspects.append(aspect)
            change.details[aspect] = {"before": before.get(key), "after": after.get(key)}
        if key in ("sourceRef", "targetRef"):  # a rewired flow: both ends, before and after
            change.details[aspect] = {"before": f"{before.get('sourceRef')} → {before.get('targetRef')}",
                                      "after": f"{after.get('sourceRef')} → {after.get('targetRef')}"}


def merge_xml(changes: dict, old: dict, new: dict) -> list[ElementChange]:
    """Add what only the XML shows; give every change the element's drawn type and name."""
    for element_id in sorted(set(old) | set(new)):
        before, after = old.get(element_id), new.get(element_id)
        drawn = after or before
        change = changes.get(element_id)
        if change is None:
            if before is None:
                change = ElementChange(element_id, drawn.type, drawn.name, "added", drawn.process_id)
            elif after is None:
                change = ElementChange(element_id, drawn.type, drawn.name, "removed", drawn.process_id)
            elif before.content != after.content or before.bounds != after.bounds:
                change = ElementChange(element_id, drawn.type, drawn.name, "changed", drawn.process_id)
                _xml_aspects(change, dict(before.content), dict(after.content))
            else:
                continue
            changes[element_id] = change
        change.type, change.name = drawn.type, drawn.name or change.name
        if before and after and before.bounds != after.bounds and "layout" not in change.aspects:
            change.aspects.append("layout")
    order = {"added": 0, "removed": 1, "changed": 2}
    return sorted(changes.values(), key=lambda c: (order[c.status], c.element_id))
