"""The bell: a person's reminders and escalations (engine.people.notifications), newest first."""
from flask import redirect, render_template, request, url_for
from flask_login import login_required

from engine.people import notifications

from ..extensions import current_actor, current_engine
from . import bp


@bp.get("/notifications")
@login_required
def notifications_page():
    with current_engine().db.read() as s:
        rows = notifications.notifications_for(s, current_actor())
    return render_template("inbox/notifications.html", rows=rows)


@bp.post("/notifications/read")
@login_required
def notifications_read():
    """Mark read the ones posted, or all of the person's unread ones (auditors may: it
    touches no case)."""
    ids = [int(i) for i in request.form.getlist("id") if i.isdigit()]
    current_engine().mark_notifications_read(current_actor(), ids)
    return redirect(url_for("inbox.notifications_page"))
