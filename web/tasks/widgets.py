"""What the form renderer (web/tasks/schema_form.py) knows about rjsf's and SpiffArena's UI
schema beyond the field types: widget names, read-only fields, local date-times, and
descriptions with `{{ variable }}` placeholders; and the choices and order of fields."""
from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from wtforms import SelectChoice

from web.tasks.instructions import fill

#: `ui:widget` names (rjsf's, and the class names SpiffArena's forms also use) -> what we draw.
WIDGETS = {"date": "date", "alt-date": "date", "DateWidget": "date",
           "datetime": "datetime", "alt-datetime": "datetime", "date-time": "datetime",
           "DateTimeWidget": "datetime", "textarea": "textarea", "TextareaWidget": "textarea",
           "select": "select", "SelectWidget": "select", "radio": "radio", "RadioWidget": "radio",
           "checkbox": "checkbox", "CheckboxWidget": "checkbox", "checkboxes": "checkboxes",
           "CheckboxesWidget": "checkboxes", "hidden": "hidden", "HiddenWidget": "hidden",
           "updown": "number", "UpDownWidget": "number", "range": "number", "RangeWidget": "number"}
#: Kinds whose read-only form is a disabled control (the rest are `readonly` inputs).
DISABLED_KINDS = frozenset({"select", "radio", "boolean", "boolselect", "checkbox", "checkboxes",
                            "multiselect"})


def widget_of(ui: dict):
    return WIDGETS.get(ui.get("ui:widget")) if isinstance(ui, dict) else None


def is_readonly(prop: dict, ui: dict) -> bool:
    return bool(ui.get("ui:readonly") or ui.get("ui:disabled") or prop.get("readOnly"))


# -- local date and time <-> ISO 8601 -------------------------------------------------------

def _zone(name):
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def person_zone():
    """The signed-in person's time zone (the engine's outside a request)."""
    try:
        from web.extensions import current_actor, current_engine
        actor = current_actor()
        return _zone(actor.time_zone if actor is not None else current_engine().settings.time_zone)
    except Exception:  # noqa: BLE001 - no app or no person: UTC
        return ZoneInfo("UTC")


def local_input(value) -> str:
    """A stored date-time as a datetime-local input's value, in the person's zone."""
    try:
        moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return str(value)
    if moment.tzinfo is not None:
        moment = moment.astimezone(person_zone())
    return moment.strftime("%Y-%m-%dT%H:%M")


def iso_from_input(raw: str):
    """A datetime-local input's value as ISO 8601 with the person's offset (kept as typed
    when it is not a date and time, for the validator to name)."""
    try:
        moment = datetime.fromisoformat(raw)
    except ValueError:
        return raw
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=person_zone())
    return moment.isoformat(timespec="seconds")


def describe(text: str, data: dict | None) -> str:
    """A description with `{{ variable }}` filled from `data` (sandboxed; a missing name is
    empty). The result is plain text: the template escapes it."""
    if not text or "{" not in text:
        return text
    return fill(text, data or {})


def readonly_values(schema: dict, ui: dict | None, data: dict | None) -> dict:
    """The values of the form's top-level read-only fields in `data` (the case's): what a
    submission carries for them instead of anything posted."""
    ui, data = ui or {}, data if isinstance(data, dict) else {}
    return {key: data[key] for key, prop in (schema.get("properties") or {}).items()
            if isinstance(prop, dict) and key in data and is_readonly(prop, ui.get(key) or {})}


# -- choices and order ------------------------------------------------------------------------

def options(pairs):
    return [SelectChoice(value, label) for value, label in pairs]


def choices(prop: dict):
    if "enum" in prop:
        names = prop.get("enumNames") or []
        return [(str(v), str(names[i]) if i < len(names) else str(v))
                for i, v in enumerate(prop["enum"])]
    if "oneOf" in prop and all(isinstance(o, dict) and "const" in o for o in prop["oneOf"]):
        return [(str(o["const"]), str(o.get("title", o["const"]))) for o in prop["oneOf"]]
    return None


def grouped(prop: dict):
    """The choices, each under its `x-group` heading where it has one (an optgroup)."""
    return [SelectChoice(str(o["const"]), str(o.get("title", o["const"])), optgroup=o.get("x-group"))
            for o in prop.get("oneOf") or [] if isinstance(o, dict) and "const" in o] \
        or options(choices(prop) or [])


def ordered_keys(schema: dict, ui: dict) -> list[str]:
    keys = list((schema.get("properties") or {}).keys())
    order = ui.get("ui:order")
    if not order:
        return keys
    head = [k for k in order if k in keys]
    rest = [k for k in keys if k not in head]
    if "*" in order:
        star = order.index("*")
        return [k for k in order[:star] if k in keys] + rest + [k for k in order[star + 1:] if k in keys]
    return head + rest
