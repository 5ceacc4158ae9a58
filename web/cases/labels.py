"""Words for what the engine stores as codes: statuses, event kinds, values in a diff."""
import json

from flask_babel import lazy_gettext as _l

STATUS = {"running": _l("Running"), "suspended": _l("Suspended"), "completed": _l("Completed"),
          "terminated": _l("Terminated"), "failed": _l("Failed")}
EVENTS = {
    "case_started": _l("Case started"), "case_completed": _l("Case completed"),
    "case_terminated": _l("Case terminated"), "case_suspended": _l("Case suspended"),
    "case_resumed": _l("Case resumed"), "task_completed": _l("Task completed"),
    "task_claimed": _l("Task claimed"), "task_unclaimed": _l("Task released"),
    "task_reassigned": _l("Task reassigned"), "error": _l("Error"),
    "timer_fired": _l("Timer fired"), "case_migrated": _l("Migrated to another version"),
    "message_sent": _l("Message sent"), "message_not_sent": _l("Message not delivered"),
    "incident_data_fixed": _l("Data corrected after an incident"), "message_received": _l("Message received"),
    "file_attached": _l("File attached"), "child_started": _l("Linked case started"),
    "child_completed": _l("Linked case completed"), "case_data_edited": _l("Case data corrected"),
    "incident_retried": _l("Incident retried"), "incident_resolved": _l("Incident resolved"),
    "timer_fired_now": _l("Timer fired by hand"),
}
#: The campaign's usual roles (a lane names one); any other role is shown as it is stored.
ROLES = {"ministry": _l("Ministry reviewer"), "province": _l("Province officer"), "city": _l("City officer"),
         "expert": _l("Expert"), "admin": _l("Administrator"), "auditor": _l("Auditor"),
         "process_owner": _l("Process owner")}
FACTS = {"form": _l("Activities by form"), "theme": _l("Activities by theme")}
#: The fields of the identity trail's events (engine.people.trail), as people call them.
TRAIL_FIELDS = {
    "display_name": _l("Display name"), "email": _l("E-mail"), "locale": _l("Language"),
    "active": _l("Active"), "password_set": _l("Password set"), "role": _l("Role"),
    "organisation": _l("Organisation"), "memberships": _l("Roles"), "name": _l("Name"),
    "name_en": _l("English name"), "kind": _l("Kind"), "path": _l("Place in the hierarchy"),
    "label": _l("Label"), "created": _l("Created"), "updated": _l("Updated"), "changes": _l("Changes"),
}


def trail_field(key: str) -> str:
    return str(TRAIL_FIELDS.get(key, key))


def status_label(status: str) -> str:
    return str(STATUS.get(status, status))


def role_label(role) -> str:
    return str(ROLES.get(role, role)) if role else "—"


def event_label(kind: str) -> str:
    return str(EVENTS.get(kind, kind.replace("_", " ")))


def label_of(fact: str) -> str:
    return str(FACTS.get(fact, fact))


def show_value(value) -> str:
    """A stored value as a person reads it: text as it is, anything else as compact JSON."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "✓" if value else "✗"
    return json.dumps(value, ensure_ascii=False)


def as_time(text):
    """An ISO 8601 time stored in an event's detail, as a datetime (None if it is not one)."""
    from datetime import datetime
    try:
        return datetime.fromisoformat(str(text))
    except ValueError:
        return None


def duration(seconds) -> str:
    seconds = int(seconds or 0)
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes = rest // 60
    if days:
        return f"{days}d {hours}h"
    if hours:
        return f"{hours}h {minutes}min"
    return f"{minutes}min"


def helpers() -> dict:
    from flask import current_app
    return {"endpoints": current_app.view_functions, "status_label": status_label, "event_label": event_label, "label_of": label_of, "role_label": role_label,
            "show_value": show_value, "duration": duration, "as_time": as_time,
            "trail_field": trail_field}
