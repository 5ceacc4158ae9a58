"""Task page: GET shows it; POST submits, saves a draft or adds/removes a row; claim,
unclaim and reassign. Every lookup goes through queries.task_for (404 when not visible)."""
import json

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import login_required

from engine import Conflict, ExecutionError, Forbidden, InvalidData, NotFound
from engine.commands import attachments, drafts
from engine.commands.tasks import refusal, task_data
from engine.reading import inbox as queries
from engine.reading.history import case_of_task

from .. import words
from ..errors import status_of
from ..extensions import current_actor, current_engine
from . import bp, uploads
from .facts import labelled_facts
from .instructions import render_instructions
from .localize import engine_messages, localize
from .messages import field_messages
from .schema_form import form_class, layout, show_errors, to_form_values, to_json, with_defaults
from .widgets import describe, readonly_values

EMPTY_SCHEMA = {"type": "object", "properties": {}}


def _ui_schema(engine, name, version):
    """UI schemas are not JSON Schemas (a field may be called "title"): read them as JSON,
    the case's version's."""
    return engine.forms.raw(name, version) if name else {}


def _context(task_id):
    engine, actor = current_engine(), current_actor()
    with engine.db.read() as s:
        task = queries.task_for(s, actor, task_id)
        if task is None:
            abort(404)
        case = case_of_task(s, actor, task)
        case.org_name = words.org_label(case.organisation) if case.organisation_id else None
        refused = refusal(actor, task, case.status)
        files = attachments.files_of_case(s, actor, task.case_id)
        draft = drafts.load_draft(s, actor.username, task_id)
        data = task_data(engine, s, task) if task.form_schema else {}
        form_names = engine.specs.get(s, case.process_version_id).form_names
    # the whole task data, not only the scalar facts: a reviewer reads the submitted rows in
    # the instructions, and a form sent back for revision starts from what was submitted
    case.task_data = {**(case.facts or {}), **data}
    schema = engine.forms.load_for(task.form_schema, data, version=engine.forms.scope(case)) \
        if task.form_schema else EMPTY_SCHEMA
    schema = localize(schema, get_locale())
    case.fact_rows = labelled_facts(engine, form_names, schema, case.facts or {}, get_locale(),
                                    engine.forms.scope(case))
    ui = _ui_schema(engine, task.form_ui_schema, engine.forms.scope(case))
    case.refused = refused
    case.task_name = words.element(case.process_version_id, task.element_id, task.name)
    case.shown_title = words.case_title(case.title, case.facts)
    return task, case, files, draft, schema, ui, refused is None


def _render(task, case, files, schema, ui, form, may_work, status=200, form_errors=(), draft=None):
    return render_template(
        "tasks/task.html", task=task, case=case, files=files, form=form,
        fields=layout(schema, form, ui, case.task_data) if form is not None else [], may_work=may_work,
        form_intro=describe(schema.get("description") or "", case.task_data),
        instructions=render_instructions(
            words.instructions(case.process_version_id, task.element_id, task.instructions), case.task_data),
        facts=case.fact_rows, form_errors=list(form_errors), draft=draft,
        now=current_engine().now(), actor=current_actor()), status


@bp.get("/tasks/<task_id>")
@login_required
def show(task_id):
    task, case, files, draft, schema, ui, may_work = _context(task_id)
    form = None
    if may_work:
        initial = draft.data if draft else with_defaults(schema, {
            k: v for k, v in case.task_data.items() if k in (schema.get("properties") or {})})
        form = form_class(schema, ui, data=initial)(formdata=None, data=to_form_values(schema, initial, ui))
    return _render(task, case, files, schema, ui, form, may_work, draft=draft)


def _find(parsed, name):
    for fld in parsed.fields.values():
        if getattr(fld, "name", None) == name:
            return fld
        for entry in getattr(fld, "entries", ()):
            if entry.name == name:
                return fld, entry
    return None


@bp.post("/tasks/<task_id>")
@login_required
def submit(task_id):
    engine, actor = current_engine(), current_actor()
    task, case, files, draft, schema, ui, may_work = _context(task_id)
    if not may_work:
        _refuse(task, case, case.refused)
    form = form_class(schema, ui)()
    problems = uploads.stage(engine, actor, to_json(schema, form, ui))
    parsed = to_json(schema, form, ui)
    kept, bad_refs = uploads.kept_uploads(engine, actor, parsed)
    problems.update(bad_refs)
    if bad_refs:
        parsed = to_json(schema, form, ui)
    parsed.data = {**readonly_values(schema, ui, case.task_data), **parsed.data}
    if "add_row" in request.form or "remove_row" in request.form:
        found = _find(parsed, request.form.get("add_row") or request.form.get("remove_row"))
        if found is not None and "add_row" in request.form:
            found.append_entry()
        elif isinstance(found, tuple):
            found[0].entries.remove(found[1])
        return _render(task, case, files, schema, ui, form, may_work)
    if "save_draft" in request.form:
        engine.save_draft(task_id, actor, parsed.data)
        flash(_("Draft saved. Only you can see it."), "success")
        for path, texts in problems.items():  # the rest is saved; say which file was not
            fld = parsed.fields.get(path)
            flash(_("The file for “%(field)s” was not saved: %(why)s",
                    field=fld.label.text if fld is not None else path, why=" ".join(texts)), "error")
        return redirect(url_for("tasks.show", task_id=task_id))
    if problems:
        return _render(task, case, files, schema, ui, form, may_work, 422,
                       show_errors(parsed, problems))
    try:
        done = engine.complete_task(task_id, actor, parsed.data, uploads=kept)
    except InvalidData as err:
        messages = ({**engine_messages(err, get_locale()), **field_messages(schema, parsed.data)}
                    or {"_form": [str(err)]})
        return _render(task, case, files, schema, ui, form, may_work, 422, show_errors(parsed, messages))
    except (Conflict, ExecutionError) as err:  # the form comes back as it was sent
        return _render(task, case, files, schema, ui, form, may_work, status_of(err), [str(err)])
    flash(_("Done: “%(name)s” is complete.", name=case.task_name), "success")
    with engine.db.read() as s:
        for next_id in done.tasks:
            nxt = queries.task_for(s, actor, next_id)
            if nxt is not None and actor.may_work_on(nxt.lane, nxt.org_path, nxt.starter):
                flash(_("Your next task: %(name)s", name=words.element(case.process_version_id, nxt.element_id, nxt.name)), "info")
                return redirect(url_for("tasks.show", task_id=next_id))
    return redirect(url_for("inbox.index"))


def _back(task_id):
    target = request.form.get("next", "")
    if target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return redirect(target)
    return redirect(url_for("tasks.show", task_id=task_id))


@bp.post("/tasks/<task_id>/claim")
@login_required
def claim(task_id):
    _visible_or_404(task_id)
    current_engine().claim_task(task_id, current_actor())
    flash(_("You claimed this task."), "success")
    return _back(task_id)


@bp.post("/tasks/<task_id>/unclaim")
@login_required
def unclaim(task_id):
    _visible_or_404(task_id)
    current_engine().unclaim_task(task_id, current_actor())
    flash(_("The task is back with your group."), "info")
    return _back(task_id)


@bp.post("/tasks/<task_id>/reassign")
@login_required
def reassign(task_id):
    _visible_or_404(task_id)
    assignee = (request.form.get("assignee") or "").strip() or None
    if assignee is not None:
        try:
            current_engine().actor(assignee)
        except NotFound:
            raise InvalidData(_("There is no active user named %(name)s.", name=assignee)) from None
    current_engine().reassign_task(task_id, current_actor(), assignee)
    flash(_("Task reassigned to %(who)s.", who=assignee) if assignee
          else _("The task is back with its group."), "success")
    return _back(task_id)


def _visible_or_404(task_id):
    with current_engine().db.read() as s:
        if queries.task_for(s, current_actor(), task_id) is None:
            abort(404)


def _refuse(task, case, refused):
    """The engine's refusal (engine.commands.tasks.refusal) in the person's language."""
    if refused.reason == "lane":
        raise Forbidden(_("You may not work on this task (lane %(lane)s).", lane=words.coded(task.lane)))
    if refused.reason == "closed":
        raise Conflict(_("This task is no longer open: it was %(state)s by %(who)s at %(at)s.",
                         state=task.state, who=task.completed_by or _("the process"),
                         at=f"{task.completed_at:%Y-%m-%d %H:%M} UTC" if task.completed_at else "-"))
    if refused.reason == "claimed":
        raise Conflict(_("%(who)s has claimed this task.", who=task.assignee))
    raise Conflict(_("Case %(id)s is %(status)s.", id=case.id, status=case.status))
