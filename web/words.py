"""Names people read, in their language, for things the engine stores as codes.

One rule for where a label comes from (processes/README.md, "Names in two languages"):

- organisations: their `name` / `name_en` (organisations.csv, the admin pages);
- processes and BPMN elements: the element's `name`, and its `spiffworkflow:property`
  `name_en` (engine.models.bpmn.labels);
- form fields and choices: the form's `title` / `x-title-en`, `enumNames` /
  `x-enumNames-en`, `oneOf` titles (forms/README.md);
- stages, roles and other coded values: the campaign's data, `processes/dashboard.json`
  (`stages`, `labels`) and the calendars' `{"code", "zh", "en"}` lists;
- a case's title: its `title`, or in English its `title_en` fact when it has one.

A code with no label anywhere shows as itself (an administrator's view shows codes anyway).
Everything is looked up once per request (flask.g).
"""
import re
from datetime import date, datetime
from pathlib import Path

from flask import g
from flask_babel import (format_date, format_datetime, format_decimal, format_timedelta,
                         get_locale)
from flask_babel import gettext as _

from engine.errors import LiandongError
from engine.reading import dashboard
from engine.reading.inbox import latest_versions, organisation_names

from .extensions import current_engine


def english() -> bool:
    locale = get_locale()
    return locale is not None and locale.language == "en"


def lang() -> str:
    """'zh_CN' or 'en': which label of a definition to show."""
    return "en" if english() else "zh_CN"


def definition() -> "dashboard.Definition":
    """The campaign's vocabulary and dashboard (processes/dashboard.json with the calendars'
    labels), read once per request."""
    if "liandong_definition" not in g:
        settings = current_engine().settings
        path = settings.extra.get("dashboard_definition") or Path(settings.processes_dir) / "dashboard.json"
        try:
            found = dashboard.Definition.load(path).with_labels(
                dashboard.calendar_labels(settings.processes_dir))
        except LiandongError:
            found = dashboard.Definition("")
        g.liandong_definition = found
    return g.liandong_definition


def coded(value) -> str:
    """A coded value (a stage, a role, a theme, ...) as people read it."""
    if value is None or value == "":
        return "—"
    board = definition()
    for stage in board.stages:
        if stage.get("id") == value:
            return str(stage.get(lang()) or stage.get("en") or value)
    return board.label(value, lang())


def field_label(key, titles=None):
    """A variable's label: its form's title, else the campaign's vocabulary; None when it
    has none (then it is not shown to people, only in the administrator's data view)."""
    if titles and key in titles:
        return titles[key]
    names = definition().labels.get(str(key))
    if names:
        return str(names.get(lang()) or names.get("en") or key)
    return None


def organisations() -> dict:
    """{code: (name, name_en)} of every organisation."""
    if "liandong_orgs" not in g:
        with current_engine().db.read() as session:
            g.liandong_orgs = organisation_names(session)
    return g.liandong_orgs


def org_name(code, fallback=None) -> str:
    """An organisation's name in the reader's language, from its code."""
    names = organisations().get(code)
    if names is None:
        return fallback if fallback is not None else (code or "—")
    return (names[1] or names[0]) if english() else names[0]


def org_label(org) -> str:
    """The name of an Organisation row (or anything with `name` and `name_en`)."""
    if org is None:
        return "—"
    return (getattr(org, "name_en", None) or org.name) if english() else org.name


def element(version_id, element_id, fallback="") -> str:
    """A BPMN element's name (a task's, an event's) in the reader's language."""
    label = _bundle_label(version_id, element_id)
    return (label.name_in(get_locale()) if label and (label.name or label.name_en) else None) or fallback


def instructions(version_id, element_id, fallback):
    """A user task's instructions in the reader's language (Markdown, not yet filled)."""
    if english():
        label = _bundle_label(version_id, element_id)
        if label is not None and label.instructions_en:
            return label.instructions_en
    return fallback


def process_name(version_id, fallback="") -> str:
    bundle = _bundle(version_id)
    if bundle is None:
        return fallback
    return element(version_id, bundle.primary_process_id, fallback or bundle.process_key)


def process_label(key) -> str:
    """A process's name from its key (its latest version's name)."""
    if "liandong_latest" not in g:
        with current_engine().db.read() as session:
            g.liandong_latest = latest_versions(session)
    return process_name(g.liandong_latest.get(key), key)


def case_title(title, facts=None) -> str:
    if english() and isinstance(facts, dict) and isinstance(facts.get("title_en"), str):
        return facts["title_en"]
    return title or ""


def yes_no(value: bool) -> str:
    return _("Yes") if value else _("No")


_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_ISO_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}")


def when(value, with_time=True) -> str:
    """A moment in the reader's locale and time zone (a datetime, or ISO 8601 text)."""
    if isinstance(value, str):
        try:
            value = (date.fromisoformat(value) if _ISO_DATE.match(value)
                     else datetime.fromisoformat(value))
        except ValueError:
            return value
    if isinstance(value, datetime):
        return format_datetime(value, "short" if with_time else "medium") if with_time \
            else format_date(value, "medium")
    if isinstance(value, date):
        return format_date(value, "medium")
    return "" if value is None else str(value)


def relative(moment, now) -> str:
    """'in 3 days' / '3 天后', '2 hours ago' / '2 小时前' (moment and now: datetimes)."""
    if not isinstance(moment, datetime) or not isinstance(now, datetime):
        return ""
    return format_timedelta(moment - now, granularity="minute", add_direction=True)


def records(value):
    """A list of records (dicts) as (columns, rows) for a small table, or None."""
    if not isinstance(value, list) or not value or not all(isinstance(v, dict) for v in value):
        return None
    columns = []
    for row in value:
        for key in row:
            if key not in columns:
                columns.append(key)
    return columns, value


def human(value, readings=None) -> str:
    """A stored value as a person reads it: a choice by its label (`readings`: code ->
    label from the form), an organisation code by its name, a coded value by the
    campaign's label, a yes/no, a number with grouping, a date in the reader's calendar."""
    if isinstance(value, bool):
        return yes_no(value)
    if isinstance(value, int | float):
        return format_decimal(value)
    if isinstance(value, dict):
        return "; ".join(f"{field_label(k) or k}: {human(v)}" for k, v in value.items())
    if isinstance(value, list):
        return "、".join(human(v, readings) for v in value) if not english() \
            else ", ".join(human(v, readings) for v in value)
    if not isinstance(value, str):
        return "" if value is None else str(value)
    if readings and value in readings:
        return readings[value]
    if value in organisations():
        return org_name(value)
    if _ISO_DATE.match(value) or _ISO_TIME.match(value):
        return when(value)
    label = coded(value)
    return label if label != "—" else value


class CsvWords:
    """The reader's labels for a history export (engine.reading.reports.case_csv)."""

    def __init__(self, event, titles=None, readings=None):
        self.event = event  # kind -> label (the cases area's event words)
        self.titles, self.readings = titles or {}, readings or {}

    def element(self, version_id, element_id, fallback):
        return element(version_id, element_id, fallback)

    def org(self, code, fallback):
        return org_name(code, fallback)

    def field(self, key):
        return field_label(key, self.titles)

    def value(self, key, value):
        return human(value, self.readings.get(key))


def _bundle(version_id):
    if not version_id:
        return None
    cache = g.setdefault("liandong_bundles", {})
    if version_id not in cache:
        engine = current_engine()
        try:
            with engine.db.read() as session:
                cache[version_id] = engine.specs.get(session, version_id)
        except LiandongError:
            cache[version_id] = None
    return cache[version_id]


def _bundle_label(version_id, element_id):
    bundle = _bundle(version_id)
    return bundle.label(element_id) if bundle is not None else None


def helpers() -> dict:
    """The template globals."""
    return {"org_name": org_name, "org_label": org_label, "element_name": element,
            "process_name": process_name, "process_label": process_label, "case_title": case_title, "coded": coded,
            "yes_no": yes_no, "field_label": field_label, "records": records, "human": human, "when": when, "relative": relative}
