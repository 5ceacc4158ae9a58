"""A case's SpiffWorkflow state as JSON text, without the process spec.

SpiffWorkflow's serializer writes the whole spec into every workflow; here the spec is
stored once per deployed version and cached, so the case state leaves it out and loading
puts the cached spec objects back (no re-parse, no copy per case). The stored document
carries SpiffWorkflow's serializer version and is migrated forward by its own migrations.
"""
import json
from uuid import UUID

from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.serializer.default.workflow import BpmnWorkflowConverter
from SpiffWorkflow.spiff.serializer.config import SPIFF_CONFIG

from engine.errors import InvalidData

SPEC_REF = "liandong:version-spec"


class _SpeclessWorkflowConverter(BpmnWorkflowConverter):
    def to_dict(self, workflow):
        dct = super(BpmnWorkflowConverter, self).to_dict(workflow)
        dct["spec"] = SPEC_REF
        dct["subprocesses"] = self.mapping_to_dict(workflow.subprocesses)
        dct["bpmn_events"] = self.registry.convert(workflow.bpmn_events)
        return dct

    def from_dict(self, dct):
        spec, subprocess_specs = dct.pop("spec"), dct.pop("subprocess_specs")
        workflow = self.target_class(spec, subprocess_specs, deserializing=True)
        workflow.tasks = self.mapping_from_dict(dct["tasks"], UUID, workflow=workflow)
        workflow.task_tree = workflow.tasks.get(UUID(dct["root"]))
        self.set_default_attributes(workflow, dct)
        self.subprocesses_from_dict(dct["subprocesses"], workflow)
        workflow.bpmn_events = self.registry.restore(dct.pop("bpmn_events", []))
        return workflow


def _make_serializer() -> BpmnWorkflowSerializer:
    config = dict(SPIFF_CONFIG)
    config[BpmnWorkflow] = _SpeclessWorkflowConverter
    return BpmnWorkflowSerializer(BpmnWorkflowSerializer.configure(config))


_serializer = _make_serializer()


def _finite_encoder(encoder):
    """SpiffWorkflow's encoder, refusing NaN and Infinity (JSON has neither)."""
    class Finite(encoder):
        def __init__(self, *args, **kwargs):
            kwargs["allow_nan"] = False
            super().__init__(*args, **kwargs)
    return Finite


_serializer._encoder_cls = _finite_encoder(_serializer._encoder_cls)


def dump_state(workflow: BpmnWorkflow, max_chars: int | None = None) -> str:
    """The state as JSON text. InvalidData if it holds NaN or Infinity, or is longer than
    `max_chars`: nothing is saved, the command rolls back."""
    try:
        text = _serializer.serialize_json(workflow)
    except ValueError as err:
        if "JSON compliant" not in str(err):
            raise
        raise InvalidData("The case's data holds a number that is not finite (NaN or "
                          "Infinity), which cannot be stored. Nothing was saved.") from None
    if max_chars is not None and len(text) > max_chars:
        raise InvalidData(f"The case's data would take {len(text):,} characters; a case may hold "
                          f"at most {max_chars:,}. Nothing was saved.")
    return text


def load_state(text: str, spec, subprocess_specs) -> BpmnWorkflow:
    dct = json.loads(text)
    _serializer.migrate(dct)
    dct["spec"], dct["subprocess_specs"] = spec, subprocess_specs
    return _serializer.from_dict(dct)


def dump_value(value):
    """Task data as plain JSON (dates, Decimals and sets the way SpiffWorkflow stores them)."""
    return json.loads(json.dumps(_serializer.registry.convert(value)))


def full_serializer() -> BpmnWorkflowSerializer:
    """SpiffWorkflow's own serializer with the spec included: the benchmark's baseline."""
    return BpmnWorkflowSerializer(BpmnWorkflowSerializer.configure(SPIFF_CONFIG))
