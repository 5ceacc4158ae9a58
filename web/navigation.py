"""What the header shows: the open-task count, and the areas this person may use.

An area's link appears only when its blueprint is registered (the endpoint exists) and the
person holds a role that uses it.
"""
import importlib.util
from dataclasses import dataclass

from flask import current_app
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from engine.reading import inbox as queries

from .extensions import current_engine


@dataclass
class NavItem:
    endpoint: str
    label: object
    blueprint: str
    #: When given, the item is highlighted on these endpoints only (not its whole blueprint).
    endpoints: tuple = ()

    def active(self, request) -> bool:
        if self.endpoints:
            return request.endpoint in self.endpoints
        return request.blueprint == self.blueprint


def _extra_items(actor):
    items = []
    views = current_app.view_functions
    roles = actor.roles
    if "cases.index" in views and (actor.reads_everything or roles):
        items.append(NavItem("cases.index", _l("Cases"), "cases"))
    if "audit.verify" in views and actor.reads_everything:
        items.append(NavItem("audit.verify", _l("Audit"), "audit"))
    if "processes.index" in views and (actor.has_role("process_owner")):
        items.append(NavItem("processes.index", _l("Processes"), "processes"))
    if "admin.users" in views and "admin" in roles:
        items.append(NavItem("admin.users", _l("Admin"), "admin",
                             ("admin.users", "admin.user", "admin.organisations")))
    if "admin.incidents" in views and "admin" in roles:
        items.append(NavItem("admin.incidents", _l("Operations"), "admin",
                             ("admin.incidents", "admin.timers")))
    return items


def _bell(session, username):
    if importlib.util.find_spec("engine.people.notifications") is None:
        return None
    from engine.people import notifications
    return notifications.unread_count(session, username)


def nav_context():
    nav = {"open_tasks": 0, "extra": [], "bell": None, "bell_endpoint": None}
    if current_user and current_user.is_authenticated:
        actor = current_user.actor
        with current_engine().db.read() as session:
            nav["open_tasks"] = queries.count_tasks(session, actor)
            nav["bell"] = _bell(session, actor.username)
        nav["extra"] = _extra_items(actor)
        views = current_app.view_functions
        nav["bell_endpoint"] = next((e for e in ("notifications.index", "inbox.notifications_page")
                                     if e in views), None)
    engine = current_engine()
    training_now = engine.now() if engine.settings.training else None
    return {"nav": nav, "training_now": training_now, "current_locale": _current_locale, "case_status": case_status,
            "task_state": task_state}


def case_status(status: str) -> str:
    return {"running": _l("running"), "completed": _l("completed"), "suspended": _l("suspended"),
            "terminated": _l("terminated")}.get(status, status)


def task_state(state: str) -> str:
    return {"ready": _l("open"), "completed": _l("completed"), "cancelled": _l("cancelled")}.get(state, state)


def _current_locale() -> str:
    """'zh_CN' or 'en' (Babel itself says zh_Hans_CN)."""
    locale = get_locale()
    return "zh_CN" if locale is None or locale.language == "zh" else "en"


def init_app(app) -> None:
    app.context_processor(nav_context)
