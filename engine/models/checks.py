"""Every check a model gets before deploying: hardened XML, XSD, SpiffWorkflow's parser and
the lint rules, with scripts compiled under the sandbox and read against what it offers."""
from engine.errors import LiandongError
from engine.models.bpmn.lint import validate_files
from engine.models.bpmn.parsing import model_files
from engine.models.bpmn.problems import sort_problems
from engine.models.bpmn.services import service_problems
from engine.runtime import cycles
from engine.runtime.http_connector import OPERATORS
from engine.sandbox import spiffarena
from engine.sandbox.scripts import BASE_BUILTINS, compile_script

#: Names every script sees besides the case's data (the helpers are always called, and a
#: name only called is not taken for data).
SCRIPT_NAMES = frozenset(BASE_BUILTINS) | {"now"} | spiffarena.NAMES


def check_files(files: dict[str, bytes], form_exists=lambda name: True, form_fields=None,
                operators=None, strict=False, extra=None, settings=None):
    """The problems of a model. `form_fields(name)` (see `fields_of`) lets the lint know
    what each form sets; without it a form may set anything. `operators` are the service
    operators connectors answer (default: the built-in connectors'). `strict`:
    compatibility mode's leniencies are errors; `extra`: other models' files supplying
    what it calls. `settings` give the limits of timer cycles (engine.config's defaults
    without)."""
    limits = cycles.Limits.of(settings) if settings is not None else cycles.Limits()
    problems = validate_files(files, form_exists=form_exists, compile_script=compile_script,
                              form_fields=form_fields, known_names=SCRIPT_NAMES, strict=strict,
                              extra=extra, cycle_limits=limits)
    operators = frozenset(OPERATORS) if operators is None else operators
    return sort_problems(problems + service_problems(model_files(files), operators))


def fields_of(store, extra: dict | None = None):
    """`form_fields` for check_files: a form's top-level properties, from `extra` (forms
    about to be deployed with the model, name -> schema) or the FormStore `store`; None
    for a form that cannot be read (the form-missing rule says so)."""
    extra = extra or {}

    def fields(name):
        try:
            schema = extra[name] if name in extra else store.load(name)
        except LiandongError:
            return None
        props = schema.get("properties") if isinstance(schema, dict) else None
        return set(props) if isinstance(props, dict) else None
    return fields
