"""How a process may be started, as its model declares it (processes/README.md, "Starting").

A process that needs input declares it in one of two ways:

* a **start form**: `spiffworkflow:property formJsonSchemaFilename` on its plain start
  event (SpiffArena's convention); whoever starts it by hand fills it in, and the engine
  validates the data against it like any task form;
* **started by someone else**: `spiffworkflow:property startedBy` on the process, `parent`
  (a parent case's `start_cases`) or `calendar` (`liandong start-campaign`), with
  `startData` naming the variables that starter passes. Nobody starts it by hand.
"""
import re
from dataclasses import dataclass

from engine.models.bpmn.xml import NSMAP

#: The values of `startedBy`, and who that is, for messages.
STARTERS = {"parent": "its parent case", "calendar": "liandong start-campaign, from a campaign calendar"}
FORM, FORM_UI = "formJsonSchemaFilename", "formUiSchemaFilename"
_PROPERTIES = "./bpmn:extensionElements/spiffworkflow:properties/spiffworkflow:property"
_NAMES = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


@dataclass(frozen=True)
class StartRule:
    started_by: str | None = None  # None: a person may start it (its start lane permitting)
    start_data: tuple = ()  # the variables its starter passes (startData)
    form: str | None = None  # the start form's JSON Schema file
    form_ui: str | None = None

    @property
    def by_hand(self) -> bool:
        return self.started_by is None

    def refusal(self, key: str) -> str:
        """Why a person may not start `key` by hand, in a sentence."""
        who = STARTERS.get(self.started_by, self.started_by)
        return (f"'{key}' cannot be started by hand: it is started by {who}, "
                f"which passes the data it needs.")


def properties(element) -> dict:
    """The spiffworkflow:property values directly on `element` (a process, an event)."""
    return {prop.get("name"): (prop.get("value") or "").strip()
            for prop in element.xpath(_PROPERTIES, namespaces=NSMAP) if prop.get("name")}


def plain_start_events(process):
    """The process's start events without an event definition: the ones a person starts."""
    return [start for start in process.xpath("./bpmn:startEvent", namespaces=NSMAP)
            if not [child for child in start if isinstance(child.tag, str)
                    and child.tag.endswith("EventDefinition")]]


def start_rule(process) -> StartRule:
    """The rule of one bpmn:process element."""
    props = properties(process)
    form = form_ui = None
    for start in plain_start_events(process):
        start_props = properties(start)
        form, form_ui = form or start_props.get(FORM) or None, form_ui or start_props.get(FORM_UI) or None
    return StartRule(props.get("startedBy") or None, tuple(_NAMES.findall(props.get("startData", ""))),
                     form, form_ui)


def rule_of(documents, process_id: str) -> StartRule:
    """The rule of process `process_id` among parsed model documents."""
    for document in documents:
        if document.kind != "bpmn":
            continue
        for process in document.root.xpath("./bpmn:process[@id=$pid]", namespaces=NSMAP, pid=process_id):
            return start_rule(process)
    return StartRule()
