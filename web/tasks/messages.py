"""Validation messages in the reader's language, by JSON Schema keyword.

The engine's FormStore is the authority (it refuses bad data at completion); this re-reads
the same schema to say, per field, what is wrong in words a user understands.
"""
from jsonschema import Draft202012Validator, FormatChecker
from flask_babel import gettext as _


def field_messages(schema: dict, data: dict) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    validator = Draft202012Validator(schema, format_checker=FormatChecker())
    for error in validator.iter_errors(data):
        path = ".".join(str(p) for p in error.absolute_path)
        if error.validator == "required":
            missing = error.message.split("'")[1] if "'" in error.message else ""
            path = ".".join(filter(None, [path, missing]))
        out.setdefault(path or "_form", []).append(message_for(error))
    return out


def message_for(error) -> str:
    kind, value = error.validator, error.validator_value
    if kind == "required":
        return _("This field is required.")
    if kind == "type":
        if value == "integer":
            return _("Enter a whole number.")
        if value == "number":
            return _("Enter a number.")
        return _("This value has the wrong kind.")
    if kind == "minimum":
        return _("Must be at least %(limit)s.", limit=value)
    if kind == "maximum":
        return _("Must be at most %(limit)s.", limit=value)
    if kind == "exclusiveMinimum":
        return _("Must be more than %(limit)s.", limit=value)
    if kind == "exclusiveMaximum":
        return _("Must be less than %(limit)s.", limit=value)
    if kind == "minLength":
        return _("Enter at least %(num)s characters.", num=value)
    if kind == "maxLength":
        return _("Enter at most %(num)s characters.", num=value)
    if kind == "pattern":
        return _("This does not have the expected form.")
    if kind in ("enum", "const", "oneOf"):
        return _("Choose one of the options.")
    if kind == "format":
        if value == "date":
            return _("Enter a date (YYYY-MM-DD).")
        if value == "email":
            return _("Enter an e-mail address.")
        return _("This does not have the expected form.")
    if kind == "minItems":
        return _("Add at least %(num)s rows.", num=value)
    if kind == "maxItems":
        return _("At most %(num)s rows are allowed.", num=value)
    return error.message
