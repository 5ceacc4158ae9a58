"""A user task's JSON Schema (+ an optional rjsf-style UI schema) as a server-side Flask-WTF
form, and the submitted form back as JSON for the engine to validate.

Mapping: string -> text; `ui:widget: textarea` -> long text; number/integer -> number input;
`format: date` -> date input; `enum` (or `oneOf` of consts) -> select, or radio buttons with
`ui:widget: radio`; boolean -> yes/no; object -> a group; array of objects -> repeating rows;
array of strings with `items.enum` (or `oneOf`) -> check boxes, or, past MANY_CHOICES, a
multiple select with the choices under their `x-group` headings (the cities of a province
under its name); `ui:widget: hidden` -> hidden.
A file upload is a string property with `"format": "data-url"` (SpiffArena's convention) or
`"x-liandong-file": true`; its value in the case data is a reference "file:<id>" to the
uploaded file (see engine.commands.attachments), not the bytes.
UI schema keys honoured: ui:widget, ui:order, ui:help, ui:placeholder, ui:title,
ui:readonly (also ui:disabled and the schema's readOnly).
`ui:widget` takes rjsf's and SpiffArena's names (WIDGETS): date and alt-date -> date input;
datetime, alt-datetime, date-time (or `format: date-time`) -> local date and time, stored
as ISO 8601 with the person's UTC offset; textarea; select (a boolean as a yes/no list, an
array of choices as a multiple select); radio; checkbox (a boolean as one check box);
checkboxes (an array of choices, however many); hidden; updown and range -> number.
A read-only field shows the case's value and is not taken from the post: the server puts
the case's value back (`readonly_values`). A description (`ui:help` first) may hold
`{{ variable }}` placeholders, filled from the task's data and escaped; a missing variable
is left empty.
A property's `default` fills a new form's field (`with_defaults`), as rjsf does.
"""
import copy
import math
from dataclasses import dataclass, field as dc_field

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from werkzeug.datastructures import FileStorage
from wtforms import (BooleanField, Field, FieldList, Form, FormField, HiddenField, RadioField,
                     SelectField, SelectMultipleField, StringField, TextAreaField)
from wtforms import widgets

from web.tasks.widgets import (DISABLED_KINDS, choices, describe, grouped, iso_from_input,
                               is_readonly, local_input, options, ordered_keys, widget_of)

FILE_MARK = "x-liandong-file"
#: More choices than this are a multiple select, not a wall of check boxes.
MANY_CHOICES = 12
#: The value of a file field whose file was chosen and checked but not attached yet (a form
#: sent back with errors keeps it; see web/tasks/uploads.py).
KEPT = "kept:"
RESERVED = frozenset({"data", "errors", "meta", "validate", "populate_obj", "process", "csrf_token",
                      "hidden_tag", "form_errors", "is_submitted", "validate_on_submit"})


def is_file(prop: dict) -> bool:
    return prop.get("format") == "data-url" or prop.get(FILE_MARK) is True


def field_name(key: str) -> str:
    """The form field for a JSON key (a few names are taken by WTForms itself)."""
    return f"{key}_" if key in RESERVED else key


class UploadField(Field):
    """A file input plus a hidden input of the same name holding the reference of a file
    already uploaded, so a form sent back with errors does not ask for the file again."""

    widget = widgets.FileInput()

    def process_formdata(self, valuelist):
        self.upload, self.data = None, None
        for value in valuelist:
            if isinstance(value, FileStorage) and value.filename:
                self.upload = value
            elif isinstance(value, str) and value.startswith(("file:", KEPT)):
                self.data = value

    def _value(self):
        return self.data or ""


def kind_of(prop: dict, ui: dict) -> str:
    widget = widget_of(ui)
    kind = prop.get("type")
    if widget == "hidden":
        return "hidden"
    if kind == "string" and is_file(prop):
        return "file"
    if choices(prop) is not None and kind != "array":
        return "radio" if widget == "radio" else "select"
    if kind == "boolean":
        return {"checkbox": "checkbox", "select": "boolselect"}.get(widget, "boolean")
    if kind in ("number", "integer"):
        return kind
    if kind == "object":
        return "group"
    if kind == "array":
        items = prop.get("items") or {}
        if items.get("type") == "object":
            return "rows"
        if choices(items) is not None:
            if widget in ("checkboxes", "select"):
                return "checkboxes" if widget == "checkboxes" else "multiselect"
            return "multiselect" if len(choices(items)) > MANY_CHOICES else "checkboxes"
        return "list"
    if widget in ("date", "datetime", "textarea"):
        return widget
    if kind == "string" and prop.get("format") in ("date", "date-time"):
        return "date" if prop["format"] == "date" else "datetime"
    if widget == "number":
        return "number"
    return "text"


def _make_field(key: str, prop: dict, ui: dict, required: bool, rows: int = 1):
    kind = kind_of(prop, ui)
    label = ui.get("ui:title") or prop.get("title") or key
    render = {}
    if ui.get("ui:placeholder"):
        render["placeholder"] = ui["ui:placeholder"]
    if required and kind in ("text", "textarea", "number", "integer", "date", "datetime", "select") \
            and not is_readonly(prop, ui):
        render["required"] = True
    if is_readonly(prop, ui):
        render["disabled" if kind in DISABLED_KINDS else "readonly"] = True
    if kind in ("text", "textarea") and prop.get("maxLength"):
        render["maxlength"] = prop["maxLength"]
    if kind in ("number", "integer"):
        render["step"] = "1" if kind == "integer" else "any"
        for limit, attr in (("minimum", "min"), ("maximum", "max")):
            if limit in prop:
                render[attr] = prop[limit]
        return StringField(label, widget=widgets.NumberInput(), render_kw=render)
    if kind == "date":
        return StringField(label, widget=widgets.DateInput(), render_kw=render)
    if kind == "datetime":
        return StringField(label, widget=widgets.DateTimeLocalInput(), render_kw=render)
    if kind == "checkbox":
        return BooleanField(label, render_kw=render)
    if kind == "boolselect":
        return SelectField(label, choices=options([("", "—"), ("yes", _l("Yes")), ("no", _l("No"))]),
                           validate_choice=False, render_kw=render)
    if kind == "textarea":
        render.setdefault("rows", ui.get("ui:options", {}).get("rows", 5))
        return TextAreaField(label, render_kw=render)
    if kind == "hidden":
        return HiddenField(label)
    if kind == "file":
        return UploadField(label)
    if kind == "select":
        return SelectField(label, choices=options([("", "—")] + choices(prop)), validate_choice=False,
                           render_kw=render)
    if kind == "radio":
        return RadioField(label, choices=options(choices(prop)), validate_choice=False, render_kw=render)
    if kind == "boolean":
        return RadioField(label, choices=options([("yes", _l("Yes")), ("no", _l("No"))]), validate_choice=False,
                          render_kw=render)
    if kind == "checkboxes":
        return SelectMultipleField(label, choices=options(choices(prop["items"])), validate_choice=False,
                                   widget=widgets.ListWidget(prefix_label=False),
                                   option_widget=widgets.CheckboxInput(), render_kw=render)
    if kind == "multiselect":
        return SelectMultipleField(label, choices=grouped(prop["items"]), validate_choice=False,
                                   render_kw={"size": 10, **render})
    if kind == "group":
        return FormField(form_class(prop, ui, Form), label=label)
    if kind == "rows":
        sub = form_class(prop.get("items") or {}, ui.get("items") or {}, Form)
        return FieldList(FormField(sub), label=label, min_entries=rows)
    if kind == "list":
        item = _make_field(key, prop.get("items") or {"type": "string"}, ui.get("items") or {}, False)
        return FieldList(item, label=label, min_entries=rows)
    return StringField(label, render_kw=render)


def form_class(schema: dict, ui: dict | None = None, base=FlaskForm, data=None):
    """A form class for `schema`; `data` (JSON) sizes the repeating rows."""
    ui = ui or {}
    required = set(schema.get("required") or [])
    attrs = {}
    for key in ordered_keys(schema, ui):
        prop = (schema.get("properties") or {})[key]
        if not isinstance(prop, dict):
            continue
        rows = 1
        if isinstance(data, dict) and isinstance(data.get(key), list):
            rows = max(1, len(data[key]))
        if prop.get("minItems"):
            rows = max(rows, int(prop["minItems"]))
        attrs[field_name(key)] = _make_field(key, prop, ui.get(key) or {}, key in required, rows)
    return type("SchemaForm", (base,), attrs)


# -- JSON <-> form values ---------------------------------------------------------------------

def with_defaults(schema: dict, data: dict) -> dict:
    """`data` with the schema's `default` for every property it has no value for, inside
    groups too: where a new form starts. A value in `data` always wins."""
    out = dict(data) if isinstance(data, dict) else {}
    for key, prop in (schema.get("properties") or {}).items():
        if not isinstance(prop, dict):
            continue
        if key not in out and "default" in prop:
            out[key] = copy.deepcopy(prop["default"])
        if prop.get("type") == "object" and isinstance(out.get(key, {}), dict):
            group = with_defaults(prop, out.get(key, {}))
            if group:
                out[key] = group
    return out


def to_form_values(schema: dict, data: dict, ui: dict | None = None) -> dict:
    """Case or draft data (JSON) as the values the form's fields take."""
    ui = ui or {}
    out = {}
    for key, prop in (schema.get("properties") or {}).items():
        if not isinstance(data, dict) or key not in data or not isinstance(prop, dict):
            continue
        value = data[key]
        kind = kind_of(prop, ui.get(key) or {})
        if kind in ("boolean", "boolselect"):
            value = "yes" if value is True else "no" if value is False else ""
        elif kind == "checkbox":
            value = value is True
        elif kind == "datetime" and value:
            value = local_input(value)
        elif kind == "group" and isinstance(value, dict):
            value = to_form_values(prop, value, ui.get(key))
        elif kind == "rows" and isinstance(value, list):
            value = [to_form_values(prop.get("items") or {}, v, (ui.get(key) or {}).get("items"))
                     for v in value if isinstance(v, dict)]
        elif kind in ("checkboxes", "multiselect") and isinstance(value, list):
            value = [str(v) for v in value]
        elif kind in ("select", "radio") and value is not None:
            value = str(value)
        out[field_name(key)] = value
    return out


@dataclass
class Parsed:
    data: dict
    fields: dict = dc_field(default_factory=dict)  # JSON path -> WTForms field
    uploads: list = dc_field(default_factory=list)  # (UploadField, FileStorage, JSON path)
    kept: list = dc_field(default_factory=list)  # (UploadField, JSON path): chosen, not attached


def _number(raw: str, integer: bool):
    try:
        number = float(raw)
    except ValueError:
        return raw  # the validator will say it is not a number; the text is kept for the form
    if not math.isfinite(number):
        return raw  # NaN, inf: not numbers a case can hold; the validator says so
    if integer and number.is_integer():
        return int(number)
    return int(number) if number.is_integer() and "." not in raw and "e" not in raw.lower() else number


def _typed_choice(raw, options):
    for option in options or []:
        if str(option) == raw:
            return option
    return raw


def _empty(value) -> bool:
    return value is None or value == "" or value == [] or value == {}


def to_json(schema: dict, form, ui: dict | None = None, prefix: str = "", parsed: Parsed | None = None) -> Parsed:
    """The submitted form as JSON; text is stripped and empty fields are left out so that
    `required` catches them (as the engine does for the API and the CLI)."""
    ui = ui or {}
    parsed = parsed or Parsed({})
    out = {}
    for key in ordered_keys(schema, ui):
        prop = (schema.get("properties") or {}).get(key)
        if not isinstance(prop, dict):
            continue
        fld = form[field_name(key)]
        path = f"{prefix}{key}"
        parsed.fields[path] = fld
        if is_readonly(prop, ui.get(key) or {}):
            continue  # never taken from the post: see readonly_values
        kind = kind_of(prop, ui.get(key) or {})
        value = _value_of(kind, prop, fld, ui.get(key) or {}, path, parsed)
        if not _empty(value):
            out[key] = value
    if not prefix:
        parsed.data = out
    return out if prefix else parsed


def _value_of(kind, prop, fld, ui, path, parsed):
    raw = fld.data
    if kind in ("number", "integer"):
        text = (raw or "").strip() if isinstance(raw, str) else raw
        return _number(text, kind == "integer") if isinstance(text, str) and text else text
    if kind in ("select", "radio"):
        return _typed_choice(raw, prop.get("enum") or [o.get("const") for o in prop.get("oneOf", [])]) if raw else None
    if kind in ("boolean", "boolselect"):
        return {"yes": True, "no": False}.get(raw)
    if kind == "checkbox":
        return bool(raw)
    if kind == "datetime":
        text = (raw or "").strip()
        return iso_from_input(text) if text else None
    if kind in ("checkboxes", "multiselect"):
        options = (prop.get("items") or {}).get("enum")
        return [_typed_choice(v, options) for v in raw or []]
    if kind == "file":
        if fld.upload is not None:
            parsed.uploads.append((fld, fld.upload, path))
        elif isinstance(fld.data, str) and fld.data.startswith(KEPT):
            parsed.kept.append((fld, path))
        return fld.data
    if kind == "group":
        return to_json(prop, fld.form, ui, f"{path}.", parsed)
    if kind == "rows":
        rows = []
        for entry in fld.entries:
            row = to_json(prop.get("items") or {}, entry.form, ui.get("items"), f"{path}.{len(rows)}.", parsed)
            if row:
                rows.append(row)
            else:  # an empty row is dropped; forget the paths it claimed
                for p in [p for p in parsed.fields if p.startswith(f"{path}.{len(rows)}.")]:
                    parsed.fields.pop(p)
        return rows
    if kind == "list":  # empty entries are dropped: item n of the JSON is the n-th filled entry
        items = prop.get("items") or {}
        values = []
        for entry in fld.entries:
            value = _value_of(kind_of(items, {}), items, entry, {}, f"{path}.{len(values)}", parsed)
            if not _empty(value):
                parsed.fields[f"{path}.{len(values)}"] = entry
                values.append(value)
        return values
    if isinstance(raw, str):  # spaces alone are no answer; the field keeps what was typed
        raw = raw.strip()
    return raw if raw not in (None, "") else None


@dataclass
class FieldView:
    """What the template needs to draw one field: the WTForms field plus schema facts."""

    field: object
    kind: str
    label: str
    help: str = ""
    required: bool = False
    children: list = dc_field(default_factory=list)  # group: [FieldView]; rows: [[FieldView]]
    readonly: bool = False


def layout(schema: dict, form, ui: dict | None = None, data: dict | None = None) -> list[FieldView]:
    """The fields to draw; `data` (the task's) fills `{{ variable }}` in descriptions."""
    ui = ui or {}
    required = set(schema.get("required") or [])
    views = []
    for key in ordered_keys(schema, ui):
        prop = (schema.get("properties") or {}).get(key)
        if not isinstance(prop, dict):
            continue
        pui = ui.get(key) or {}
        fld = form[field_name(key)]
        kind = kind_of(prop, pui)
        view = FieldView(fld, kind, pui.get("ui:title") or prop.get("title") or key,
                         describe(pui.get("ui:help") or prop.get("description") or "", data),
                         key in required, readonly=is_readonly(prop, pui))
        if kind == "group":
            view.children = layout(prop, fld.form, pui, data)
        elif kind == "rows":
            view.children = [layout(prop.get("items") or {}, e.form, pui.get("items"), data)
                             for e in fld.entries]
        views.append(view)
    return views


def show_errors(parsed: Parsed, messages: dict) -> list[str]:
    """Put each message beside its field; what belongs to no field is returned, for the
    top of the form."""
    leftovers = []
    for path, texts in messages.items():
        fld = parsed.fields.get(path)
        if fld is None:
            leftovers += [f"{path}: {t}" if path != "_form" else t for t in texts]
        else:
            fld.errors = list(texts)
    return leftovers
