"""Form definitions (JSON Schema files in forms/) and server-side validation of submissions.

The browser's checks are a courtesy; every submission, from the web form or the REST API,
is validated here against the task's schema before the task is completed.
"""
import json
import threading
from pathlib import Path

from jsonschema import Draft202012Validator, FormatChecker
from jsonschema.exceptions import SchemaError

from .errors import InvalidData, NotFound

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

    def validate(self, name: str, data: dict) -> None:
        """Raise InvalidData mapping each failing field path ("partners.0.city") to messages."""
        validator = self._entry(name)[2]
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


def _message(error) -> str:
    return "is required" if error.validator == "required" else error.message
