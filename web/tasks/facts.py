"""The task page's key facts under the names people gave them, not the variables' names.

A fact is a case variable; the forms of the case's process say what it is called (a
property's `title`) and how its values read (`enumNames`, or `oneOf` titles). The task's
own form speaks first, then the other forms of the process in model order. A fact no form
names is shown under its variable's name.
"""
from flask_babel import gettext as _

from engine.errors import LiandongError

from .localize import localize


def labelled_facts(engine, form_names, schema: dict, facts: dict, locale,
                   version=None) -> list[tuple[str, object]]:
    """(label, value to show) for each fact but the stage, which the page shows elsewhere."""
    titles, readings = {}, {}
    for form in (schema, *_other_forms(engine, form_names, locale, version)):
        for key, prop in (form.get("properties") or {}).items():
            if isinstance(prop, dict) and key not in titles and isinstance(prop.get("title"), str):
                titles[key] = prop["title"]
                readings[key] = _readings(prop)
    rows = []
    for key, value in facts.items():
        if key == "stage":
            continue
        if isinstance(value, bool):
            shown = _("Yes") if value else _("No")
        else:
            shown = readings.get(key, {}).get(str(value), value)
        rows.append((titles.get(key, key), shown))
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
