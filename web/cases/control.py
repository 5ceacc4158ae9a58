"""An administrator's control of one case (issue 15): suspend, resume and terminate with a
reason, its incident retried or resolved (the forms post to /admin/incidents), a task
handed to someone who holds its lane's role, and the case's data edited as JSON with the
difference shown before saving. Each action is an Engine command; others get 403."""
import json

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import login_required

from engine import Conflict, ExecutionError, Forbidden, InvalidData, NotFound
from engine.commands.lifecycle import is_operator
from engine.reading.history import visible_case
from engine.reading.operations import assignees

from ..extensions import current_actor, current_engine
from . import bp

ERRORS = (InvalidData, Conflict, Forbidden, NotFound, ExecutionError)


def _operators_only():
    if not is_operator(current_actor()):
        abort(403)


def panel(history) -> dict | None:
    """What the case page's control panel shows an administrator, or None for others."""
    actor = current_actor()
    if not is_operator(actor):
        return None
    engine, case = current_engine(), history.case
    with engine.db.read() as session:
        people = {t.id: assignees(session, actor, t.lane, t.org_path, t.starter) for t in history.open_tasks}
    found = engine.incidents(actor, case_id=case.id)
    return {"incidents": found.rows, "names": found.names, "assignees": people,
            "active": case.status in ("running", "suspended")}


def _reason():
    reason = (request.form.get("reason") or "").strip()
    if not reason:
        flash(_("Say why (a reason is required and kept in the case's history)."), "error")
    return reason or None


def _to_case(case_id):
    return redirect(url_for("cases.show", case_id=case_id) + "#control")


def _lifecycle(case_id, command, done: str):
    _operators_only()
    reason = _reason()
    if reason is None:
        return _to_case(case_id)
    try:
        command(case_id, current_actor(), reason)
        flash(done, "success")
    except ERRORS as err:
        flash(str(err), "error")
    return _to_case(case_id)


@bp.post("/<int:case_id>/suspend")
@login_required
def suspend(case_id):
    return _lifecycle(case_id, current_engine().suspend_case,
                      _("The case was suspended: no step is taken until it is resumed."))


@bp.post("/<int:case_id>/resume")
@login_required
def resume(case_id):
    return _lifecycle(case_id, current_engine().resume_case,
                      _("The case was resumed; timers that fell due meanwhile have fired."))


@bp.post("/<int:case_id>/terminate")
@login_required
def terminate(case_id):
    return _lifecycle(case_id, current_engine().terminate_case, _("The case was terminated."))


@bp.post("/<int:case_id>/tasks/<task_id>/reassign")
@login_required
def reassign(case_id, task_id):
    _operators_only()
    reason = _reason()
    if reason is None:
        return _to_case(case_id)
    assignee = (request.form.get("assignee") or "").strip() or None
    try:
        current_engine().reassign_task(task_id, current_actor(), assignee, reason)
        if assignee:
            flash(_("The task was handed to %(who)s.", who=assignee), "success")
        else:
            flash(_("The task was given back to everyone holding its role."), "success")
    except ERRORS as err:
        flash(str(err), "error")
    return _to_case(case_id)


# -- editing the case's data: edit, preview the difference, save --------------------------

def _data_page(case_id, text, reason="", errors=None, plan=None, status=200):
    with current_engine().db.read() as session:
        case = visible_case(session, current_actor(), case_id)
        title, status_code = case.title or case.process_key, case.status
    return render_template("cases/edit_data.html", case_id=case_id, title=title, case_status=status_code,
                           text=text, reason=reason, errors=errors or [], plan=plan), status


def _parsed(text: str):
    """The JSON typed, or (None, error message)."""
    try:
        return json.loads(text), None
    except ValueError as err:
        return None, _("This is not valid JSON (line %(line)d, column %(col)d): %(msg)s",
                       line=getattr(err, "lineno", 0), col=getattr(err, "colno", 0),
                       msg=getattr(err, "msg", str(err)))


@bp.get("/<int:case_id>/data/edit")
@login_required
def edit_data_page(case_id):
    _operators_only()
    data = current_engine().case_data(case_id, current_actor())
    return _data_page(case_id, json.dumps(data, ensure_ascii=False, indent=2, sort_keys=True))


@bp.post("/<int:case_id>/data/edit")
@login_required
def edit_data_post(case_id):
    """`preview` shows the difference; `save` writes it (the engine checks it again)."""
    _operators_only()
    text = request.form.get("data", "")
    reason = (request.form.get("reason") or "").strip()
    data, error = _parsed(text)
    if error:
        return _data_page(case_id, text, reason, [error], status=422)
    engine = current_engine()
    try:
        plan = engine.plan_case_data(case_id, current_actor(), data)
    except InvalidData as err:
        messages = [m for ms in (err.field_errors or {}).values() for m in ms] or [str(err)]
        return _data_page(case_id, text, reason, messages, status=422)
    except (Conflict, Forbidden) as err:
        flash(str(err), "error")
        return _to_case(case_id)
    if "save" not in request.form:
        return _data_page(case_id, text, reason, plan=plan)
    if not plan.diff:
        flash(_("Nothing to change."), "info")
        return _to_case(case_id)
    if not reason:
        return _data_page(case_id, text, reason,
                          [_("Say why (a reason is required and kept in the case's history).")],
                          plan=plan, status=422)
    try:
        engine.replace_case_data(case_id, current_actor(), data, reason, base=request.form.get("base") or None)
    except Conflict as err:  # the data changed since the difference was shown: show it again
        return _data_page(case_id, text, reason, [str(err)], plan=engine.plan_case_data(case_id, current_actor(), data),
                          status=409)
    except ERRORS as err:
        return _data_page(case_id, text, reason, [str(err)], status=422)
    flash(_("The case's data was changed; the change is in its history."), "success")
    return _to_case(case_id)
