"""Inbox and start page. Every list comes from a query scoped to the signed-in person."""
import json

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import login_required

from engine.reading import inbox as queries
from engine.people.identity import organisation_by_code
from engine.errors import InvalidData, NotFound

from ..tasks.localize import engine_messages, localize
from ..tasks.messages import field_messages
from ..tasks.schema_form import (form_class, layout, show_errors, to_form_values, to_json,
                                 with_defaults)
from ..tasks.widgets import describe, readonly_values

from .. import words
from ..extensions import current_actor, current_engine
from . import bp

VIEWS = ("open", "mine", "unclaimed")


def _page_number() -> int:
    try:
        return max(1, int(request.args.get("page", 1)))
    except ValueError:
        return 1


@bp.get("/tasks")
@login_required
def index():
    actor = current_actor()
    engine = current_engine()
    view = request.args.get("view", "open")
    view = view if view in VIEWS else "open"
    sort = request.args.get("sort", "due")
    sort = sort if sort in queries.INBOX_SORTS else "due"
    process_key = request.args.get("process") or None
    stage = request.args.get("stage") or None
    org_code = request.args.get("org") or None
    per_page = current_app.config["INBOX_PAGE_SIZE"]
    page = _page_number()
    with engine.db.read() as session:
        org_path = None
        if org_code:
            try:
                org_path = organisation_by_code(session, org_code).path
            except NotFound:
                org_path = "/nonexistent/"
        query = queries.inbox_query(actor, view, process_key, stage, org_path, sort)
        rows, total = queries.page_of(session, query, page, per_page)
        processes, stages = queries.inbox_choices(session, actor)
        organisations = queries.organisations_for(session, actor)
    processes = [(key, words.process_label(key)) for key in processes]
    pages = max(1, -(-total // per_page))
    args = {k: v for k, v in {"view": view, "sort": sort, "process": process_key,
                              "stage": stage, "org": org_code}.items() if v}
    return render_template("inbox/index.html", rows=rows, total=total, page=page, pages=pages,
                           view=view, sort=sort, process_key=process_key, stage=stage,
                           org_code=org_code, processes=processes, stages=stages,
                           organisations=organisations, args=args, now=engine.now(),
                           sorts=list(queries.INBOX_SORTS))


@bp.get("/start")
@login_required
def start():
    engine = current_engine()
    with engine.db.read() as session:
        versions = queries.startable_processes(session, current_actor(), engine.specs)
        forms = {v.id: engine.specs.get(session, v.id).start.form for v in versions}
    return render_template("inbox/start.html", versions=versions, forms=forms)


@bp.post("/start")
@login_required
def start_case():
    key = request.form.get("process_key", "")
    business_key = (request.form.get("business_key") or "").strip()[:200] or None
    started = current_engine().start_case(key, current_actor(), business_key=business_key)
    return _started(started)


def _started(started):
    """Flash the new case and open its first task for the starter, when it is theirs."""
    engine, actor = current_engine(), current_actor()
    flash(_("Case %(id)s started.", id=started.case_id), "success")
    with engine.db.read() as session:
        for task_id in started.tasks:
            task = queries.task_for(session, actor, task_id)
            if task is not None and actor.may_work_on(task.lane, task.org_path, task.starter):
                return redirect(url_for("tasks.show", task_id=task_id))
    return redirect(url_for("inbox.index"))


# -- a process's start form ---------------------------------------------------------------

def _start_form(key):
    """The version, start form schema and UI schema of `key`, or 404 when this person may
    not start it by hand or it has no start form."""
    engine = current_engine()
    with engine.db.read() as session:
        found = queries.startable(session, current_actor(), engine.specs, key)
    if found is None or not found[1].form:
        abort(404)
    version, rule = found
    schema = localize(engine.forms.load_for(rule.form, {}, version=version.id), get_locale())  # organisations as choices
    ui = {}
    if rule.form_ui:  # UI schemas are not JSON Schemas (a field may be called "title")
        ui = engine.forms.raw(rule.form_ui, version.id)
    return version, schema, ui


def _render_start(version, schema, ui, form, status=200, form_errors=()):
    return render_template("inbox/start_form.html", version=version, form=form,
                           fields=layout(schema, form, ui, with_defaults(schema, {})),
                           form_intro=describe(schema.get("description") or "", with_defaults(schema, {})),
                           form_errors=list(form_errors),
                           business_key=request.form.get("business_key", "")), status


@bp.get("/start/<key>")
@login_required
def start_form(key):
    version, schema, ui = _start_form(key)
    initial = with_defaults(schema, {})
    form = form_class(schema, ui, data=initial)(formdata=None, data=to_form_values(schema, initial, ui))
    return _render_start(version, schema, ui, form)


@bp.post("/start/<key>")
@login_required
def submit_start_form(key):
    version, schema, ui = _start_form(key)
    form = form_class(schema, ui)()
    parsed = to_json(schema, form, ui)
    parsed.data = {**readonly_values(schema, ui, with_defaults(schema, {})), **parsed.data}
    if "add_row" in request.form or "remove_row" in request.form:
        _change_rows(parsed, request.form.get("add_row") or request.form.get("remove_row"),
                     "add_row" in request.form)
        return _render_start(version, schema, ui, form)
    business_key = (request.form.get("business_key") or "").strip()[:200] or None
    try:
        started = current_engine().start_case(key, current_actor(), parsed.data, business_key=business_key)
    except InvalidData as err:
        messages = ({**engine_messages(err, get_locale()), **field_messages(schema, parsed.data)}
                    or {"_form": [str(err)]})
        return _render_start(version, schema, ui, form, 422, show_errors(parsed, messages))
    return _started(started)


def _change_rows(parsed, name, add):
    """Add a row to, or remove one from, the repeating field called `name`."""
    for fld in parsed.fields.values():
        if getattr(fld, "name", None) == name and add:
            fld.append_entry()
            return
        for entry in getattr(fld, "entries", ()):
            if entry.name == name and not add:
                fld.entries.remove(entry)
                return
