"""The task page's key facts under the names people gave them, not the variables' names.

A fact is a case variable; the forms of the case's process say what it is called (a
property's `title`) and how its values read (`enumNames`, or `oneOf` titles). The task's
own form speaks first, then the other forms of the process in model order. A fact no form
names is not shown here (a variable's name is not a label; the administrator's data view
shows every variable). Values read as people read them (web.words.human): choices by
their label, organisation codes by name, dates in the reader's calendar.
"""
from engine.errors import LiandongError

from ..words import human

from .localize import localize


def field_titles(engine, form_names, locale, schema: dict | None = None,
                 version=None) -> tuple[dict, dict]:
    """({variable: title}, {variable: {code: label}}) from the process's forms (`schema`,
    the task's own, first; `version`: the version whose forms they are), then the
    campaign's vocabulary (web.words.field_label)."""
    titles, readings = {}, {}
    for form in ((schema,) if schema else ()) + tuple(_other_forms(engine, form_names, locale, version)):
        for key, prop in (form.get("properties") or {}).items():
            if isinstance(prop, dict) and key not in titles and isinstance(prop.get("title"), str):
                titles[key] = prop["title"]
                readings[key] = _readings(prop)
    return titles, readings


def labelled_facts(engine, form_names, schema: dict, facts: dict, locale,
                   version=None) -> list[tuple[str, object]]:
    """(label, value to show) for each fact but the stage, which the page shows elsewhere."""
    titles, readings = field_titles(engine, form_names, locale, schema, version)
    rows = []
    for key, value in facts.items():
        if key == "stage" or key not in titles or value is None or value == "":
            continue
        rows.append((titles[key], human(value, readings.get(key))))
    return rows


def _other_forms(engine, form_names, locale, version=None):
    for name in form_names:
        try:
            yield localize(engine.forms.load(name, version), locale)
        except LiandongError:  # a form missing on disk: its task page says so itself
            continue


def _readings(prop: dict) -> dict:
    if isinstance(prop.get("enum"), list) and isinstance(prop.get("enumNames"), list):
        return {str(v): str(n) for v, n in zip(prop["enum"], prop["enumNames"])}
    if isinstance(prop.get("oneOf"), list):
        return {str(o["const"]): str(o["title"]) for o in prop["oneOf"]
                if isinstance(o, dict) and "const" in o and "title" in o}
    return {}
