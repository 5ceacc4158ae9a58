"""/admin/clock: on a training instance an administrator moves the instance's clock forward,
to a date or to the next waiting timer (`Engine.move_clock`, which fires what fell due).
On a production instance the page does not exist (404) and the engine refuses the move."""
from datetime import datetime, time
from zoneinfo import ZoneInfo

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import format_datetime
from flask_babel import gettext as _

from engine import InvalidData
from engine.ops import training

from ..extensions import current_actor, current_engine
from . import bp

DEFAULT_TIME = time(9, 0)


def _training_only():
    if not current_engine().settings.training:
        abort(404)


def _zone():
    try:
        return ZoneInfo(current_actor().time_zone)
    except (KeyError, ValueError):
        return ZoneInfo("Asia/Shanghai")


@bp.get("/clock")
def clock():
    _training_only()
    engine = current_engine()
    now = engine.now()
    return render_template("admin/clock.html", now=now, real=engine.clock.base.now(),
                           next_timer=training.waiting_after(engine, now),
                           today=now.astimezone(_zone()).date().isoformat(), error=None)


def _target():
    """The date and time asked for, in the person's time zone; None after saying what is wrong."""
    try:
        day = datetime.strptime(request.form.get("date", ""), "%Y-%m-%d").date()
    except ValueError:
        return None
    text = (request.form.get("time") or "").strip()
    try:
        at = datetime.strptime(text, "%H:%M").time() if text else DEFAULT_TIME
    except ValueError:
        return None
    return datetime.combine(day, at, tzinfo=_zone())


@bp.post("/clock")
def move_clock():
    _training_only()
    engine = current_engine()
    to_next = request.form.get("to") == "next"
    target = None if to_next else _target()
    if not to_next and target is None:
        flash(_("Choose a date (and a time, or leave it for 9:00)."), "error")
        return redirect(url_for("admin.clock"))
    try:
        moved = engine.move_clock(current_actor(), to=target, to_next_timer=to_next)
    except InvalidData as err:
        if "to" in err.field_errors and "forward" in str(err):
            flash(_("The clock only moves forward: choose a moment after the simulated date."), "error")
        else:
            flash(_("No timer is waiting: there is nothing to move the clock to."), "error")
        return redirect(url_for("admin.clock"))
    flash(_("The clock now reads %(when)s; %(n)s timer(s) fired.",
            when=format_datetime(moved.after, "yyyy-MM-dd HH:mm"), n=moved.fired), "success")
    return redirect(url_for("admin.clock"))
