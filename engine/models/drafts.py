"""Drafts and form files: what a process owner keeps while editing a model.

A draft holds a model's files (BPMN, DMN and the form definitions it uses) without
deploying them: nothing runs a draft. Forms live in the forms folder shared by every
version (tasks name them by file name); deploying a draft stores its forms with the new
version, beside its diagrams (engine.models.packages).
"""
import json

from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError
from sqlalchemy import select

from engine.errors import InvalidData, NotFound
from engine.models.forms import NAME_CHARS
from engine.storage import ModelDraft
from engine.storage.processes import ID_LENGTH
from engine.models.versions import require_owner

MODEL_SUFFIXES = (".bpmn", ".dmn")
FORM_PREFIX = "forms/"
MAX_FILES = 50
MAX_FILE_BYTES = 5 * 1024 * 1024


def split_files(files: dict) -> tuple[dict[str, bytes], dict[str, dict]]:
    """(diagram files as bytes, forms as parsed JSON) from a mapping of name -> text/bytes.

    Forms are named `forms/<file>.json`; anything else must be .bpmn or .dmn.
    """
    if len(files) > MAX_FILES:
        raise InvalidData(f"A model has at most {MAX_FILES} files; {len(files)} were given.")
    diagrams, forms = {}, {}
    for name, content in files.items():
        raw = content.encode("utf-8") if isinstance(content, str) else bytes(content)
        if len(raw) > MAX_FILE_BYTES:
            raise InvalidData(f"File '{name}' is larger than {MAX_FILE_BYTES // (1024 * 1024)} MB.")
        if name.startswith(FORM_PREFIX):
            forms[name[len(FORM_PREFIX):]] = parse_form(name[len(FORM_PREFIX):], raw)
        elif _plain_name(name) and name.endswith(MODEL_SUFFIXES):
            diagrams[name] = raw
        else:
            raise InvalidData(f"'{name}' is neither a .bpmn/.dmn file nor a form (forms/NAME.json).")
    return diagrams, forms


def _plain_name(name: str) -> bool:
    return bool(name) and set(name) <= NAME_CHARS and not name.startswith(".") and len(name) <= 255


def parse_form(name: str, raw) -> dict:
    """A form definition checked to be a JSON Schema, or InvalidData saying what is wrong."""
    if not _plain_name(name) or not name.endswith(".json"):
        raise InvalidData(f"Form file name '{name}' must be letters, digits, '-', '_' or '.' "
                          "and end in .json.")
    try:
        schema = json.loads(raw) if isinstance(raw, str | bytes) else raw
    except ValueError as err:
        raise InvalidData(f"Form '{name}' is not valid JSON: {err}") from None
    if not isinstance(schema, dict):
        raise InvalidData(f"Form '{name}' must be a JSON object (a JSON Schema).")
    try:
        Draft202012Validator.check_schema(schema)
    except SchemaError as err:
        raise InvalidData(f"Form '{name}' is not a valid JSON Schema: {err.message}") from None
    return schema


def form_exists_with(engine, forms: dict):
    """A form check that also accepts the forms about to be written with the model."""
    return lambda name: name in forms or engine.forms.exists(name)


def save_draft(engine, actor, key: str, files: dict, note: str = "", base_version=None) -> int:
    """Keep `files` as the newest draft of `key`; returns the draft's id."""
    require_owner(actor, "save model drafts")
    if not key or len(key) > ID_LENGTH:
        raise InvalidData(f"A draft needs a process key of 1-{ID_LENGTH} characters.")
    diagrams, forms = split_files(files)
    stored = {name: content.decode("utf-8", errors="strict") for name, content in diagrams.items()}
    stored.update({FORM_PREFIX + name: json.dumps(schema, ensure_ascii=False, indent=2)
                   for name, schema in forms.items()})
    with engine.db.transaction() as session:
        draft = ModelDraft(process_key=key, base_version=base_version, files=stored,
                           note=(note or "")[:500], saved_by=actor.username, saved_at=engine.now())
        session.add(draft)
        session.flush()
        return draft.id


def latest_draft(engine, key: str) -> ModelDraft | None:
    with engine.db.read() as session:
        return session.scalar(select(ModelDraft).where(ModelDraft.process_key == key)
                              .order_by(ModelDraft.saved_at.desc(), ModelDraft.id.desc()).limit(1))


def get_draft(engine, draft_id: int) -> ModelDraft:
    with engine.db.read() as session:
        draft = session.get(ModelDraft, draft_id)
        if draft is None:
            raise NotFound(f"Draft {draft_id} does not exist.")
        return draft


def list_drafts(engine, key: str | None = None) -> list[ModelDraft]:
    with engine.db.read() as session:
        query = select(ModelDraft).order_by(ModelDraft.saved_at.desc(), ModelDraft.id.desc())
        if key:
            query = query.where(ModelDraft.process_key == key)
        return list(session.scalars(query.limit(200)))


def deploy_model(engine, actor, files: dict, key: str | None = None):
    """Deploy diagrams and forms together: the forms are checked and the diagrams linted
    against them, and the forms are stored with the new version (engine.models.packages),
    never in the shared forms folder: no model replaces another model's forms."""
    require_owner(actor, "deploy process models")
    diagrams, forms = split_files(files)
    return engine.deploy(diagrams, actor, key=key, forms=forms)
