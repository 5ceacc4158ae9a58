"""A model as deployed: its diagrams, its forms and its settings, SpiffArena's way.

A model folder is SpiffArena's process-model folder: `process_model.json` gives its display
name, description and primary process (`display_name`, `description`, `primary_process_id`;
`"strict": true` turns strict checks on, as `liandong deploy --strict` does); the JSON
files beside the BPMN are its forms: every `*-schema.json` and `*-uischema.json`, and any
file a user task or start event names (`formJsonSchemaFilename`, `formUiSchemaFilename`).
A form a task names that the folder lacks is taken from the shared forms/ folder as it is
at deploy. Forms are stored with the version (engine.models.forms): versioned with it,
compared by `diff`, named in the deploy's audit event.
"""
import hashlib
import json
from dataclasses import dataclass, field

from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError

from engine.errors import InvalidData, ModelError
from engine.models.bpmn.xml import parse_xml
from engine.models.calls import SPIFF_NS
from engine.models.form_rules import parse_rules

META_FILE = "process_model.json"
GROUP_FILE = "process_group.json"
FORM_SCHEMA, FORM_UI = "formJsonSchemaFilename", "formUiSchemaFilename"
OWN_FORM_SUFFIXES = ("-schema.json", "-uischema.json")
MAX_FORM_NAME = 255


@dataclass
class Package:
    diagrams: dict
    forms: dict = field(default_factory=dict)  # name -> bytes
    name: str | None = None
    description: str = ""
    primary_process_id: str | None = None
    strict: bool = False

    @property
    def files(self) -> dict:
        return {**self.diagrams, **self.forms}

    def form_digests(self) -> dict:
        return {name: hashlib.sha256(content).hexdigest() for name, content in sorted(self.forms.items())}


def read_meta(raw: bytes | str | None, label: str = META_FILE) -> dict:
    return {} if raw is None else json_object(raw, label)


def json_object(raw: bytes | str, label: str) -> dict:
    """`raw` parsed as a JSON object, or InvalidData naming `label`."""
    try:
        found = json.loads(raw)
    except ValueError as err:
        raise InvalidData(f"{label} is not valid JSON: {err}") from None
    if not isinstance(found, dict):
        raise InvalidData(f"{label} must be a JSON object.")
    return found


def named_forms(diagrams: dict) -> tuple[set, set]:
    """(JSON Schema form names, UI schema names) the diagrams' tasks and start events name."""
    schemas, uis = set(), set()
    for name in sorted(diagrams):
        if not name.endswith(".bpmn"):
            continue
        try:
            root = parse_xml(diagrams[name], name)
        except ModelError:
            continue  # the checks say why
        for prop in root.iter(f"{{{SPIFF_NS}}}property"):
            value = (prop.get("value") or "").strip()
            if value and prop.get("name") == FORM_SCHEMA:
                schemas.add(value)
            elif value and prop.get("name") == FORM_UI:
                uis.add(value)
    return schemas, uis


def prepare(files: dict, extra_forms: dict | None, form_store, strict: bool | None = None) -> Package:
    """The package of `files` (a folder's: diagrams, forms and process_model.json) with
    `extra_forms` (name -> schema, from the modeler) and the named forms only the shared
    forms folder `form_store` has. Raises InvalidData for a form that is not valid."""
    files = dict(files)
    meta = read_meta(files.pop(META_FILE, None))
    files.pop(GROUP_FILE, None)
    diagrams = {name: content for name, content in files.items() if not name.endswith(".json")}
    schemas, uis = named_forms(diagrams)
    forms = {name: _bytes(content) for name, content in files.items()
             if name.endswith(".json") and (name in schemas | uis or name.endswith(OWN_FORM_SUFFIXES))}
    forms.update({name: _bytes(schema) for name, schema in (extra_forms or {}).items()})
    for name in sorted((schemas | uis) - set(forms)):
        if form_store.exists(name):  # the shared folder's, as it is now
            forms[name] = form_store.path(name).read_bytes()
    for name, content in forms.items():
        check_form(name, content, schema=name in schemas or (
            name.endswith("-schema.json") and name not in uis))
    primary = meta.get("primary_process_id") or None
    return Package(diagrams, forms, meta.get("display_name") or None, str(meta.get("description") or ""),
                   primary if isinstance(primary, str) else None,
                   bool(meta.get("strict")) if strict is None else strict)


def _bytes(content) -> bytes:
    if isinstance(content, (dict, list)):
        return (json.dumps(content, ensure_ascii=False, indent=2) + "\n").encode("utf-8")
    return content.encode("utf-8") if isinstance(content, str) else bytes(content)


def check_form(name: str, content: bytes, schema: bool) -> None:
    """A form file must be JSON (a UI schema) or a valid JSON Schema (a form)."""
    if not name or len(name) > MAX_FORM_NAME or "/" in name or "\\" in name or name.startswith("."):
        raise InvalidData(f"Form file name '{name}' is not valid: at most {MAX_FORM_NAME} characters, "
                          "no folder, not starting with '.'.")
    parsed = json_object(content, f"Form '{name}'")
    if schema:
        try:
            Draft202012Validator.check_schema(parsed)
        except SchemaError as err:
            raise InvalidData(f"Form '{name}' is not a valid JSON Schema: {err.message}") from None
        parse_rules(parsed, f"Form file '{name}': ")


def form_schemas(package: Package) -> dict:
    """name -> parsed JSON, for the lint's knowledge of what each form sets."""
    return {name: json.loads(content) for name, content in package.forms.items()}


def check_package(engine, session, package: Package):
    """(problems, Resolution) of a package, as deploying it would find."""
    from engine.models.calls import resolve
    from engine.models.checks import check_files, fields_of
    resolution = resolve(session, package.files, package.primary_process_id or "")
    problems = check_files(package.files, lambda form: form in package.forms or engine.forms.exists(form),
                           fields_of(engine.forms, form_schemas(package)), engine.connectors.names(),
                           package.strict, resolution.extra, settings=engine.settings)
    return problems + resolution.problems(), resolution


def deploy_package(engine, session, actor, package: Package, key=None, name=None,
                   form_exists=None, category=None):
    """Check and store `package` as the next version (engine.models.deploy), inside the
    caller's transaction, and audit it on the trail: the version, what changed, its forms
    by digest, what it calls from other models."""
    from engine.models.checks import check_files, fields_of
    from engine.models.deploy import deploy
    from engine.people import trail
    shared = form_exists or engine.forms.exists
    fields = fields_of(engine.forms, form_schemas(package))
    result = deploy(session, package.files, actor, key=key, name=name or package.name,
                    check=lambda files, resolution: check_files(
                        files, lambda form: form in package.forms or shared(form), fields,
                        engine.connectors.names(), package.strict, resolution.extra,
                        settings=engine.settings),
                    primary=package.primary_process_id, strict=package.strict,
                    description=package.description or None, category=category)
    if result.created:
        version = result.version
        trail.record(session, actor, engine.now(), "model_deployed", version.model.key,
                     key=version.model.key, version=version.version, change=result.change,
                     strict=package.strict, diagrams=sorted(package.diagrams),
                     forms=package.form_digests(), calls=result.resolution.lines(),
                     warnings=len(result.warnings))
    return result
