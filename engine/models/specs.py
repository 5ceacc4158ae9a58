"""Parsed process specs, cached per deployed version.

A version is immutable, so its spec is parsed once per process and shared by every case of
that version; a case never stores its own copy.
"""
import threading
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.models.bpmn.labels import Label, labels_of
from engine.models.bpmn.parsing import load_documents, model_files, parse_model
from engine.models.calls import supplier_files
from engine.models.bpmn.starting import StartRule, rule_of
from engine.errors import NotFound
from engine.people.identity import lane_role
from engine.storage import ProcessFile, ProcessVersion


@dataclass(frozen=True)
class SpecBundle:
    version_id: int
    process_key: str
    version: int
    primary_process_id: str
    spec: object
    subprocess_specs: dict
    has_timers: bool = True
    catches_messages: bool = True
    form_names: tuple = ()  # the JSON Schema forms its user tasks name, in model order
    #: The lanes (roles) of the process's plain start events: who may start a case by hand.
    #: None when one lies in no lane: then anyone who may start cases may.
    start_roles: frozenset | None = None
    #: Whether a person may start it, and with which start form (engine.models.bpmn.starting).
    start: StartRule = StartRule()
    #: What the version calls from other models, as pinned at deploy (id -> version id).
    pinned_calls: tuple = ()
    #: Each element's labels in each language (engine.models.bpmn.labels), by element id.
    labels: dict = None

    def label(self, element_id: str) -> Label:
        return (self.labels or {}).get(element_id) or Label()


class SpecCache:
    def __init__(self):
        self._bundles: dict[int, SpecBundle] = {}
        self._lock = threading.Lock()

    def get(self, session: Session, version_id: int, callees: dict | None = None) -> SpecBundle:
        """The bundle of a version, with the callees it pinned at deploy, or `callees` (a
        case's own, engine.models.calls)."""
        key = version_id if not callees else (version_id, tuple(sorted(callees.items())))
        bundle = self._bundles.get(key)
        if bundle is None:
            bundle = self._parse(session, version_id, callees)
            with self._lock:
                bundle = self._bundles.setdefault(key, bundle)
        return bundle

    def for_case(self, session: Session, case) -> SpecBundle:
        return self.get(session, case.process_version_id, getattr(case, "callees", None))

    def _parse(self, session: Session, version_id: int, callees: dict | None = None) -> SpecBundle:
        version = session.get(ProcessVersion, version_id)
        if version is None:
            raise NotFound(f"No process version {version_id}.")
        files = {f.name: f.content for f in session.scalars(
            select(ProcessFile).where(ProcessFile.process_version_id == version_id))}
        model = parse_model(files, version.primary_process_id,
                            extra=supplier_files(session, callees or version.calls or {}))
        files = model_files(files)
        documents = load_documents(files)[0]
        return SpecBundle(version_id, version.model.key, version.version,
                          version.primary_process_id, model.spec, model.subprocess_specs,
                          _has_timers(model), _catches_messages(model), _form_names(model),
                          _start_roles(model), rule_of(documents, version.primary_process_id),
                          tuple(sorted((version.calls or {}).items())), labels_of(documents))

    def clear(self):
        with self._lock:
            self._bundles.clear()


def _has_timers(model) -> bool:
    """Whether any spec of the model has a timer event: cases of models without one skip
    the timer bookkeeping on every save."""
    from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
    specs = [model.spec, *model.subprocess_specs.values()]
    return any(isinstance(getattr(task_spec, "event_definition", None), TimerEventDefinition)
               or _has_multiple_timer(getattr(task_spec, "event_definition", None))
               for spec in specs for task_spec in spec.task_specs.values())


def _start_roles(model) -> frozenset | None:
    from SpiffWorkflow.bpmn.specs.event_definitions.simple import NoneEventDefinition
    from SpiffWorkflow.bpmn.specs.mixins.events.start_event import StartEvent
    lanes = {lane_role(task_spec.lane) for task_spec in model.spec.task_specs.values()
             if isinstance(task_spec, StartEvent)
             and isinstance(task_spec.event_definition, NoneEventDefinition)}
    return None if not lanes or None in lanes else frozenset(lanes)


def _form_names(model) -> tuple:
    names = {}
    for spec in (model.spec, *model.subprocess_specs.values()):
        for task_spec in spec.task_specs.values():
            properties = (getattr(task_spec, "extensions", None) or {}).get("properties") or {}
            if properties.get("formJsonSchemaFilename"):
                names.setdefault(properties["formJsonSchemaFilename"], None)
    return tuple(names)


def _has_multiple_timer(definition) -> bool:
    from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
    return any(isinstance(d, TimerEventDefinition)
               for d in getattr(definition, "event_definitions", None) or ())


def _catches_messages(model) -> bool:
    """Whether any spec waits for a message: only such cases look for pending ones."""
    from SpiffWorkflow.bpmn.specs.event_definitions.message import MessageEventDefinition
    specs = [model.spec, *model.subprocess_specs.values()]
    for spec in specs:
        for task_spec in spec.task_specs.values():
            definition = getattr(task_spec, "event_definition", None)
            inner = [definition, *(getattr(definition, "event_definitions", None) or ())]
            if any(isinstance(d, MessageEventDefinition) for d in inner):
                return True
    return False
