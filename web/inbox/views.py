"""Inbox and start page. Every list comes from a query scoped to the signed-in person."""
from flask import current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import login_required

from engine.reading import inbox as queries
from engine.people.identity import organisation_by_code
from engine.errors import NotFound

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
    return render_template("inbox/start.html", versions=versions)


@bp.post("/start")
@login_required
def start_case():
    actor = current_actor()
    engine = current_engine()
    key = request.form.get("process_key", "")
    business_key = (request.form.get("business_key") or "").strip()[:200] or None
    started = engine.start_case(key, actor, business_key=business_key)
    flash(_("Case %(id)s started.", id=started.case_id), "success")
    with engine.db.read() as session:
        for task_id in started.tasks:
            task = queries.task_for(session, actor, task_id)
            if task is not None and actor.may_work_on(task.lane, task.org_path, task.starter):
                return redirect(url_for("tasks.show", task_id=task_id))
    return redirect(url_for("inbox.index"))
