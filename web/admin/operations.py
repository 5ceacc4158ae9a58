"""Operators' pages: open incidents (retry one or several, resolve with a comment) and the
case timers (pending, failed, recently fired; fire one now with a reason). Admins only,
like the whole area (admin.views.admins_only); every action is an Engine command."""
from urllib.parse import urlparse

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from engine import Conflict, ExecutionError, Forbidden, InvalidData, NotFound
from engine.reading.operations import TIMER_VIEWS
from engine.reading.search import filter_choices

from ..extensions import current_actor, current_engine
from . import bp

PER_PAGE = 25
ACTION_ERRORS = (InvalidData, Conflict, Forbidden, NotFound, ExecutionError)
TIMER_VIEW_LABELS = {"pending": _l("Not fired yet"), "failed": _l("Failed"), "fired": _l("Recently fired")}


def _filters() -> dict:
    try:
        page = max(1, int(request.args.get("page", 1)))
    except ValueError:
        page = 1
    return {"process_key": (request.args.get("process_key") or "").strip()[:120] or None,
            "organisation": (request.args.get("organisation") or "").strip()[:120] or None,
            "search": (request.args.get("search") or "").strip()[:200] or None,
            "page": page, "per_page": PER_PAGE}


def _choices():
    engine = current_engine()
    with engine.db.read() as session:
        return filter_choices(session, current_actor())


def _args(filters: dict, **extra) -> dict:
    return {**{k: v for k, v in filters.items() if v and k not in ("page", "per_page")}, **extra}


def _back(default: str):
    """Where to go after an action: the page it was sent from, when that is ours."""
    target = request.form.get("next") or ""
    parsed = urlparse(target)
    if target.startswith("/") and not target.startswith("//") and not parsed.netloc:
        return redirect(target)
    return redirect(default)


@bp.get("/incidents")
def incidents():
    filters = _filters()
    try:
        found = current_engine().incidents(current_actor(), **filters)
    except InvalidData as err:
        flash(str(err), "error")
        return redirect(url_for("admin.incidents"))
    processes, organisations = _choices()
    return render_template("admin/incidents.html", found=found, filters=filters, args=_args(filters),
                           processes=processes, organisations=organisations)


@bp.post("/incidents/retry")
def retry_incidents():
    keys = request.form.getlist("incident")
    comment = (request.form.get("comment") or "").strip()
    if not keys:
        flash(_("Choose at least one incident."), "error")
        return _back(url_for("admin.incidents"))
    if not comment:
        flash(_("Say why (a reason is required and kept in the case's history)."), "error")
        return _back(url_for("admin.incidents"))
    try:
        outcomes = current_engine().retry_incidents(current_actor(), keys, comment)
    except ACTION_ERRORS as err:
        flash(str(err), "error")
        return _back(url_for("admin.incidents"))
    failed = {k: v for k, v in outcomes.items() if str(v).startswith("failed")}
    done = len(outcomes) - len(failed)
    if done:
        flash(_("%(num)d incident(s) retried successfully.", num=done), "success")
    for key, outcome in failed.items():
        flash(_("%(key)s failed again: %(error)s", key=key, error=outcome.removeprefix("failed: ")), "error")
    return _back(url_for("admin.incidents"))


@bp.post("/incidents/<key>/resolve")
def resolve_incident(key):
    comment = (request.form.get("comment") or "").strip()
    if not comment:
        flash(_("Say why (a reason is required and kept in the case's history)."), "error")
        return _back(url_for("admin.incidents"))
    try:
        current_engine().resolve_incident(current_actor(), key, comment)
        flash(_("Incident %(key)s resolved.", key=key), "success")
    except ACTION_ERRORS as err:
        flash(str(err), "error")
    return _back(url_for("admin.incidents"))


@bp.get("/timers")
def timers():
    filters = _filters()
    view = request.args.get("view", "pending")
    if view not in TIMER_VIEWS:
        view = "pending"
    try:
        found = current_engine().timer_list(current_actor(), view, **filters)
    except InvalidData as err:
        flash(str(err), "error")
        return redirect(url_for("admin.timers"))
    processes, organisations = _choices()
    return render_template("admin/timers.html", found=found, filters=filters, view=view,
                           views=TIMER_VIEW_LABELS, args=_args(filters), processes=processes,
                           organisations=organisations, now=current_engine().now())


@bp.post("/timers/<int:timer_id>/fire")
def fire_timer(timer_id):
    reason = (request.form.get("reason") or "").strip()
    if not reason:
        flash(_("Say why (a reason is required and kept in the case's history)."), "error")
        return _back(url_for("admin.timers"))
    try:
        current_engine().fire_timer_now(timer_id, current_actor(), reason)
        flash(_("The timer fired; the case went on."), "success")
    except ACTION_ERRORS as err:
        flash(str(err), "error")
    return _back(url_for("admin.timers"))


def lateness(seconds: float) -> str:
    """'3 d 4 h', '2 h 5 min', '40 s' in the reader's language."""
    seconds = int(seconds)
    if seconds <= 0:
        return "—"
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes = rest // 60
    if days:
        return _("%(d)d d %(h)d h", d=days, h=hours)
    if hours:
        return _("%(h)d h %(m)d min", h=hours, m=minutes)
    if minutes:
        return _("%(m)d min", m=minutes)
    return _("%(s)d s", s=seconds)


@bp.app_template_filter("lateness")
def _lateness_filter(seconds):
    return lateness(seconds)
