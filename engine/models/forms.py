"""Form definitions and server-side validation of submissions.

A form belongs to a model version: deployed with it (beside the BPMN in its folder, or
taken from the shared forms/ folder when it is deployed), stored among the version's files
and read from there for every case of that version, so a redeploy never changes the forms
of a running case and no model can replace another's. Versions deployed before forms were
stored with them read the forms/ folder.

The browser's checks are a courtesy; every submission, from the web form, the REST API or
the CLI, is validated here before the task is completed: text is stripped (an answer of
spaces is no answer), then the JSON Schema, then the form's cross-field rules
(engine/models/form_rules.py). Choices named by `x-options-from` (case data) and
`x-liandong-choices` (organisations) are resolved server-side and enforced.
"""
import json
import threading
from pathlib import Path

from jsonschema import Draft202012Validator, FormatChecker
from jsonschema.exceptions import SchemaError
from sqlalchemy import select
from sqlalchemy.orm import aliased

from engine.errors import InvalidData, NotFound
from engine.models.form_rules import check_rules, parse_rules
from engine.sandbox.scripts import ScriptEngine
from engine.storage import Organisation, ProcessFile, ProcessVersion

NAME_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.")


FORM_SUFFIX = ".json"
CHOICES = "x-liandong-choices"
FILE_MARK = "x-liandong-file"


class FormErrors(InvalidData):
    """A refused submission. `field_errors` speaks the form's own language (Chinese, like its
    titles); `field_errors_en` holds the same in English for a reader who chose it."""

    def __init__(self, message, field_errors, field_errors_en=None):
        super().__init__(message, field_errors)
        self.field_errors_en = dict(field_errors_en or field_errors)


class FormStore:
    """The forms folder. `sandbox` (the Engine's ScriptEngine, or one of default limits) runs
    the forms' rules; `db` lets a form offer organisations as choices when the caller holds
    no session of its own."""

    def __init__(self, directory: Path, sandbox=None, db=None):
        self.directory = Path(directory)
        self.sandbox, self.db = sandbox or ScriptEngine(), db
        self._cache: dict[str, tuple[float, dict, Draft202012Validator]] = {}
        self._versions: dict[int, dict[str, bytes]] = {}  # a version's forms never change
        self._lock = threading.Lock()

    @staticmethod
    def scope(case):
        """What names a case's forms: its version, with its own callees when it has them."""
        callees = getattr(case, "callees", None)
        return case.process_version_id if not callees else \
            (case.process_version_id, tuple(sorted(callees.items())))

    def version_forms(self, version, session=None) -> dict[str, bytes]:
        """The forms deployed with process version `version` (name -> bytes), then those of
        the other models' versions it calls (their tasks run in its cases); `version` may
        be a case's `scope`."""
        found = self._versions.get(version)
        if found is None:
            if session is None:
                with self.db.read() as own:
                    found = _forms_of(own, version)
            else:
                found = _forms_of(session, version)
            with self._lock:
                self._versions[version] = found
        return found

    def raw(self, name: str, version=None, session=None):
        """A form file's JSON as written (UI schemas are not JSON Schemas), or {}."""
        try:
            if version is not None and name in self.version_forms(version, session):
                return json.loads(self.version_forms(version, session)[name])
            return json.loads(self.path(name).read_text("utf-8"))
        except (OSError, ValueError, NotFound):
            return {}

    def path(self, name: str) -> Path:
        if not name or not set(name) <= NAME_CHARS or name.startswith("."):
            raise NotFound(f"Form '{name}' is not a valid form file name.")
        return self.directory / name

    def exists(self, name: str, version=None) -> bool:
        if version is not None and name in self.version_forms(version):
            return True
        try:
            return self.path(name).is_file()
        except NotFound:
            return False

    def load(self, name: str, version=None, session=None) -> dict:
        """Form `name` of process version `version` (the forms folder's without one)."""
        return self._entry(name, version, session)[1]

    def load_for(self, name: str, case_data: dict, session=None, version=None) -> dict:
        """The schema with its `x-options-from` lists filled from the case and its
        `x-liandong-choices` from the organisations (see forms/README.md)."""
        schema = self.load(name, version, session)
        return resolve_schema(schema, case_data, self._lists(schema, session))

    def validate(self, name: str, data: dict, case_data: dict | None = None, session=None,
                 version=None) -> dict:
        """The submission as it is to be stored (text stripped), or FormErrors mapping each
        failing field path ("activities.0.end_date") to messages.

        With `case_data`, choices named by `x-options-from` are enforced too, and rules may
        read the case's data (a campaign's `budget_limit`)."""
        _, schema, validator = self._entry(name, version, session)
        if (case_data is not None and _mentions_options(schema)) or CHOICES in json.dumps(schema):
            schema = self.load_for(name, case_data or {}, session, version)
            validator = Draft202012Validator(schema, format_checker=FormatChecker())
        data = strip_text(schema, data)
        present = without_blanks(schema, data)
        errors: dict[str, list[str]] = {}
        for error in sorted(validator.iter_errors(present), key=lambda e: list(e.path)):
            field = ".".join(str(p) for p in error.absolute_path)
            if error.validator == "required":
                missing = error.message.split("'")[1] if "'" in error.message else ""
                field = ".".join(filter(None, [field, missing]))
            errors.setdefault(field or "_form", []).append(_message(error))
        english = {path: list(texts) for path, texts in errors.items()}
        for failure in check_rules(schema, present, case_data or {}, self.sandbox, set(errors)):
            errors.setdefault(failure.path, []).append(failure.message)
            english.setdefault(failure.path, []).append(failure.message_en)
        if errors:
            raise FormErrors(f"The form has {sum(map(len, errors.values()))} error(s).",
                             errors, english)
        return data

    def _lists(self, schema, session) -> dict:
        """The choice lists the schema names: today only "organisations", read once."""
        if CHOICES not in json.dumps(schema):
            return {}
        if session is not None:
            return {"organisations": organisation_choices(session)}
        if self.db is None:
            return {}
        with self.db.read() as own:
            return {"organisations": organisation_choices(own)}

    def _entry(self, name: str, version=None, session=None):
        if version is not None:
            content = self.version_forms(version, session).get(name)
            if content is not None:
                return self._parsed((version, name), name, 0, lambda: content.decode("utf-8"))
        path = self.path(name)
        try:
            mtime = path.stat().st_mtime
        except FileNotFoundError:
            raise NotFound(f"Form file '{name}' does not exist in {self.directory}.") from None
        return self._parsed(name, name, mtime, lambda: path.read_text("utf-8"))

    def _parsed(self, key, name, mtime, text):
        cached = self._cache.get(key)
        if cached and cached[0] == mtime:
            return cached
        try:
            schema = json.loads(text())
            Draft202012Validator.check_schema(schema)
            parse_rules(schema, f"Form file '{name}': ")
            _check_choices(schema, name)
        except (ValueError, SchemaError) as err:
            raise InvalidData(f"Form file '{name}' is not a valid JSON Schema: {err}") from err
        entry = (mtime, schema, Draft202012Validator(schema, format_checker=FormatChecker()))
        with self._lock:
            self._cache[key] = entry
        return entry


def _forms_of(session, scope) -> dict[str, bytes]:
    version, callees = scope if isinstance(scope, tuple) else (scope, None)
    calls = dict(callees) if callees else \
        session.scalar(select(ProcessVersion.calls).where(ProcessVersion.id == version)) or {}
    found = {}
    for version_id in [version, *sorted(set(calls.values()))]:
        for name, content in session.execute(select(ProcessFile.name, ProcessFile.content).where(
                ProcessFile.process_version_id == version_id, ProcessFile.name.like("%" + FORM_SUFFIX))):
            found.setdefault(name, content)
    return found


def resolve_schema(schema, case_data: dict, lists: dict | None = None):
    """A copy of `schema` where each `"x-options-from": "var"` becomes a `oneOf` of the
    choices held in case variable `var`: campaign lists (themes, cities) live in the case's
    data, not in the form, so another campaign needs no form change. Likewise each
    `"x-liandong-choices": {"from": "organisations", "kind": ...}` becomes a `oneOf` of the
    organisations of those kinds (codes stored, names shown), taken from `lists`."""
    lists = lists or {}
    if isinstance(schema, list):
        return [resolve_schema(item, case_data, lists) for item in schema]
    if not isinstance(schema, dict):
        return schema
    out = {key: resolve_schema(value, case_data, lists) for key, value in schema.items()}
    choices = None
    source = schema.get("x-options-from")
    if isinstance(source, str):
        choices = [_choice(item) for item in (case_data.get(source) or [])
                   if isinstance(item, (str, int, dict))]
        choices = [c for c in choices if c is not None]
    wanted = _choices_spec(schema.get(CHOICES))
    if wanted and wanted[0] in lists:
        kinds = wanted[1]
        choices = [_choice(org) for org in lists[wanted[0]] if not kinds or org["kind"] in kinds]
        if not choices:  # nothing to choose from must still refuse whatever is sent
            choices = [{"const": None, "title": "—"}]
    if choices and schema.get("type") == "array":  # a multiple choice: the items choose
        out["items"] = {**(out.get("items") or {}), "oneOf": choices}
    elif choices:
        out["oneOf"] = choices
    return out


def _choices_spec(spec):
    """`"organisations"` or `{"from": "organisations", "kind": "city" | [...]}` as
    (source, kinds); None when absent or malformed."""
    if isinstance(spec, str):
        return spec, frozenset()
    if isinstance(spec, dict) and isinstance(spec.get("from"), str):
        kind = spec.get("kind") or []
        return spec["from"], frozenset([kind] if isinstance(kind, str) else kind)
    return None


def _check_choices(schema, name):
    if isinstance(schema, list):
        for item in schema:
            _check_choices(item, name)
    elif isinstance(schema, dict):
        if CHOICES in schema:
            spec = _choices_spec(schema[CHOICES])
            if spec is None or spec[0] != "organisations":
                raise InvalidData(f"Form file '{name}': '{CHOICES}' must name \"organisations\" "
                                  f"(optionally with a \"kind\"), not {schema[CHOICES]!r}.")
        for value in schema.values():
            if isinstance(value, (dict, list)):
                _check_choices(value, name)


def organisation_choices(session) -> list[dict]:
    """Every organisation as a choice: code, Chinese and English names, kind, and the
    organisation above it as the group it is shown in (a city under its province)."""
    parent = aliased(Organisation)
    rows = session.execute(
        select(Organisation.code, Organisation.name, Organisation.name_en, Organisation.kind,
               parent.name, parent.name_en)
        .outerjoin(parent, parent.id == Organisation.parent_id).order_by(Organisation.path))
    return [{"code": code, "name": name, "name_en": name_en, "kind": kind,
             "group": group or "", "group_en": group_en or group or ""}
            for code, name, name_en, kind, group, group_en in rows]


def is_file(prop) -> bool:
    return isinstance(prop, dict) and (prop.get("format") == "data-url" or prop.get(FILE_MARK) is True)


def strip_text(schema, value):
    """`value` with leading and trailing white space removed from every text the schema
    declares (files excepted): "   " typed into a required field is not an answer."""
    if not isinstance(schema, dict):
        return value
    if isinstance(value, str):
        return value if is_file(schema) else value.strip()
    if isinstance(value, dict):
        props = schema.get("properties") or {}
        return {key: strip_text(props.get(key), item) for key, item in value.items()}
    if isinstance(value, list):
        return [strip_text(schema.get("items"), item) for item in value]
    return value


def without_blanks(schema, value):
    """`value` without the object members that are empty text, so that `required` (plain or
    under `if`/`then`) refuses them as missing, as it would an unfilled web field."""
    if not isinstance(schema, dict):
        return value
    if isinstance(value, dict):
        props = schema.get("properties") or {}
        return {key: without_blanks(props.get(key), item) for key, item in value.items()
                if not (isinstance(item, str) and item == "" and key in props)}
    if isinstance(value, list):
        return [without_blanks(schema.get("items"), item) for item in value]
    return value


def _choice(item):
    if not isinstance(item, dict):
        return {"const": item, "title": str(item)}
    code = item.get("code")
    if code is None:
        return None
    title = item.get("zh") or item.get("name") or str(code)
    choice = {"const": code, "title": title, "x-title-en": item.get("en") or item.get("name_en") or title}
    if item.get("group"):  # shown under a heading: a city under its province
        choice.update({"x-group": item["group"], "x-group-en": item.get("group_en") or item["group"]})
    return choice


def _mentions_options(schema) -> bool:
    return "x-options-from" in json.dumps(schema)


def _message(error) -> str:
    return "is required" if error.validator == "required" else error.message
