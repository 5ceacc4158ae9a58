"""Form definitions (JSON Schema files in forms/) and server-side validation of submissions.

The browser's checks are a courtesy; every submission, from the web form or the REST API,
is validated here against the task's schema before the task is completed.
"""
import json
import threading
from pathlib import Path

from jsonschema import Draft202012Validator, FormatChecker
from jsonschema.exceptions import SchemaError

from engine.errors import InvalidData, NotFound

NAME_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.")


class FormStore:
    def __init__(self, directory: Path):
        self.directory = Path(directory)
        self._cache: dict[str, tuple[float, dict, Draft202012Validator]] = {}
        self._lock = threading.Lock()

    def path(self, name: str) -> Path:
        if not name or not set(name) <= NAME_CHARS or name.startswith("."):
            raise NotFound(f"Form '{name}' is not a valid form file name.")
        return self.directory / name

    def exists(self, name: str) -> bool:
        try:
            return self.path(name).is_file()
        except NotFound:
            return False

    def load(self, name: str) -> dict:
        return self._entry(name)[1]

    def load_for(self, name: str, case_data: dict) -> dict:
        """The schema with its `x-options-from` lists filled from the case (see forms/README.md)."""
        return resolve_schema(self.load(name), case_data)

    def validate(self, name: str, data: dict, case_data: dict | None = None) -> None:
        """Raise InvalidData mapping each failing field path ("partners.0.city") to messages.

        With `case_data`, choices named by `x-options-from` are enforced too.
        """
        validator = self._entry(name)[2]
        if case_data is not None and _mentions_options(self.load(name)):
            validator = Draft202012Validator(self.load_for(name, case_data),
                                             format_checker=FormatChecker())
        errors: dict[str, list[str]] = {}
        for error in sorted(validator.iter_errors(data), key=lambda e: list(e.path)):
            field = ".".join(str(p) for p in error.absolute_path)
            if error.validator == "required":
                missing = error.message.split("'")[1] if "'" in error.message else ""
                field = ".".join(filter(None, [field, missing]))
            errors.setdefault(field or "_form", []).append(_message(error))
        if errors:
            raise InvalidData(f"The form has {sum(map(len, errors.values()))} error(s).", errors)

    def _entry(self, name: str):
        path = self.path(name)
        try:
            mtime = path.stat().st_mtime
        except FileNotFoundError:
            raise NotFound(f"Form file '{name}' does not exist in {self.directory}.") from None
        cached = self._cache.get(name)
        if cached and cached[0] == mtime:
            return cached
        try:
            schema = json.loads(path.read_text("utf-8"))
            Draft202012Validator.check_schema(schema)
        except (ValueError, SchemaError) as err:
            raise InvalidData(f"Form file '{name}' is not a valid JSON Schema: {err}") from err
        entry = (mtime, schema, Draft202012Validator(schema, format_checker=FormatChecker()))
        with self._lock:
            self._cache[name] = entry
        return entry


def resolve_schema(schema, case_data: dict):
    """A copy of `schema` where each `"x-options-from": "var"` becomes a `oneOf` of the
    choices held in case variable `var`: campaign lists (themes, cities) live in the case's
    data, not in the form, so another campaign needs no form change."""
    if isinstance(schema, list):
        return [resolve_schema(item, case_data) for item in schema]
    if not isinstance(schema, dict):
        return schema
    out = {key: resolve_schema(value, case_data) for key, value in schema.items()}
    source = schema.get("x-options-from")
    if isinstance(source, str):
        choices = [_choice(item) for item in (case_data.get(source) or [])
                   if isinstance(item, (str, int, dict))]
        choices = [c for c in choices if c is not None]
        if choices and schema.get("type") == "array":  # a multiple choice: the items choose
            out["items"] = {**(out.get("items") or {}), "oneOf": choices}
        elif choices:
            out["oneOf"] = choices
    return out


def _choice(item):
    if not isinstance(item, dict):
        return {"const": item, "title": str(item)}
    code = item.get("code")
    if code is None:
        return None
    title = item.get("zh") or item.get("name") or str(code)
    return {"const": code, "title": title, "x-title-en": item.get("en") or item.get("name_en") or title}


def _mentions_options(schema) -> bool:
    return "x-options-from" in json.dumps(schema)


def _message(error) -> str:
    return "is required" if error.validator == "required" else error.message
