"""REST endpoints. Engine errors become JSON by web.errors: 404, 403, 409, 422 (with
`field_errors`); a request without a valid token gets 401."""
from flask import g, jsonify, request

from engine import InvalidData, NotFound
from engine.reading import inbox as queries
from engine.reading.history import case_events, visible_case
from engine.runtime import values

from ..extensions import current_engine
from . import bp
from .openapi import document

PUBLIC = {"api.openapi"}


@bp.before_request
def authenticate():
    if request.endpoint in PUBLIC:
        return None
    header = request.headers.get("Authorization", "")
    token = header[7:].strip() if header[:7].lower() == "bearer " else ""
    actor = current_engine().token_actor(token)
    if actor is None:
        response = jsonify(error="Unauthorized", status=401,
                           message="Send 'Authorization: Bearer <token>' with a token that is neither expired "
                                   "nor revoked (liandong create-token USER).")
        response.status_code = 401
        response.headers["WWW-Authenticate"] = 'Bearer realm="liandong"'
        return response
    if actor.is_auditor_only and request.method not in ("GET", "HEAD", "OPTIONS"):
        response = jsonify(error="Not allowed", status=403, message="Auditors read; they do not change cases.")
        response.status_code = 403
        return response
    g.api_actor = actor
    return None


def _body() -> dict:
    limit = current_engine().settings.submission_max_bytes
    if (request.content_length or 0) > limit:
        raise InvalidData(f"The request body is larger than {limit:,} bytes.")
    if not request.data:
        return {}
    try:
        body = values.loads_finite(request.get_data(as_text=True))
    except values.NotFinite as err:
        raise InvalidData(f"The request body is not valid JSON: {err}") from None
    except ValueError:
        raise InvalidData("The request body is not valid JSON.") from None
    if not isinstance(body, dict):
        raise InvalidData("The request body must be a JSON object.")
    return body


def task_json(task, extra=None):
    out = {"id": task.id, "case_id": task.case_id, "process_key": task.process_key,
           "element_id": task.element_id, "name": task.name, "lane": task.lane,
           "state": task.state, "assignee": task.assignee,
           "created_at": task.created_at.isoformat() if task.created_at else None,
           "due_at": task.due_at.isoformat() if task.due_at else None,
           "form_schema": task.form_schema}
    out.update(extra or {})
    return out


def case_json(case):
    return {"id": case.id, "process_key": case.process_key, "business_key": case.business_key,
            "title": case.title, "status": case.status, "stage": case.stage,
            "organisation": case.organisation.code if case.organisation else None,
            "started_by": case.started_by, "started_at": case.started_at.isoformat(),
            "updated_at": case.updated_at.isoformat(),
            "ended_at": case.ended_at.isoformat() if case.ended_at else None,
            "facts": case.facts or {}, "parent_case_id": case.parent_case_id}


@bp.get("/openapi.json")
def openapi():
    return jsonify(document())


@bp.get("/tasks")
def tasks():
    view = request.args.get("view", "open")
    try:
        page = max(1, int(request.args.get("page", 1)))
        per_page = min(200, max(1, int(request.args.get("per_page", 50))))
    except ValueError:
        raise InvalidData("page and per_page must be whole numbers.") from None
    with current_engine().db.read() as s:
        query = queries.inbox_query(g.api_actor, view if view in ("open", "mine", "unclaimed") else "open",
                                    request.args.get("process") or None, request.args.get("stage") or None)
        rows, total = queries.page_of(s, query, page, per_page)
    return jsonify(total=total, page=page, per_page=per_page,
                   tasks=[task_json(task, {"case_title": title, "business_key": bk, "stage": stage,
                                           "organisation": org})
                          for task, title, bk, stage, org, *_rest in rows])


@bp.get("/tasks/<task_id>")
def task(task_id):
    engine = current_engine()
    with engine.db.read() as s:
        row = queries.task_for(s, g.api_actor, task_id)
        if row is None:
            raise NotFound(f"Task {task_id} does not exist.")
        version = engine.forms.scope(visible_case(s, g.api_actor, row.case_id))
        schema = engine.forms.load(row.form_schema, version, s) if row.form_schema else None
    return jsonify(task_json(row, {"form": schema, "instructions": row.instructions}))


@bp.post("/tasks/<task_id>/claim")
def claim(task_id):
    current_engine().claim_task(task_id, g.api_actor)
    return jsonify(id=task_id, assignee=g.api_actor.username)


@bp.post("/tasks/<task_id>/unclaim")
def unclaim(task_id):
    current_engine().unclaim_task(task_id, g.api_actor)
    return jsonify(id=task_id, assignee=None)


@bp.post("/tasks/<task_id>/complete")
def complete(task_id):
    body = _body()
    data = body.get("data", {})
    if not isinstance(data, dict):
        raise InvalidData("'data' must be a JSON object.")
    done = current_engine().complete_task(task_id, g.api_actor, data)
    return jsonify(case_id=done.case_id, status=done.status, tasks=list(done.tasks))


@bp.post("/cases")
def start_case():
    body = _body()
    key = body.get("process_key")
    if not isinstance(key, str) or not key:
        raise InvalidData("'process_key' is required.", {"process_key": ["is required"]})
    data = body.get("data") or {}
    if not isinstance(data, dict):
        raise InvalidData("'data' must be a JSON object.", {"data": ["must be an object"]})
    business_key = body.get("business_key")
    if business_key is not None and (not isinstance(business_key, str) or len(business_key) > 200):
        raise InvalidData("'business_key' must be a string of at most 200 characters.")
    started = current_engine().start_case(key, g.api_actor, data, business_key=business_key,
                                          organisation=body.get("organisation"))
    return jsonify(case_id=started.case_id, status=started.status, tasks=list(started.tasks)), 201


def _visible_case(s, case_id):
    case = queries.case_for(s, g.api_actor, case_id)
    if case is None:
        raise NotFound(f"Case {case_id} does not exist.")
    return case


@bp.get("/cases/<int:case_id>")
def case(case_id):
    with current_engine().db.read() as s:
        row = _visible_case(s, case_id)
        body = case_json(row)
        body["open_tasks"] = [task_json(t) for t in queries.tasks_for(s, g.api_actor, case_id=case_id)]
    return jsonify(body)


@bp.get("/cases/<int:case_id>/history")
def history(case_id):
    with current_engine().db.read() as s:
        _visible_case(s, case_id)
        events = case_events(s, case_id)
        body = [{"seq": e.seq, "at": e.at.isoformat(), "actor": e.actor,
                 "organisation": e.organisation, "kind": e.kind, "element_id": e.element_id,
                 "task_id": e.task_id, "detail": e.detail, "hash": e.hash} for e in events]
    return jsonify(case_id=case_id, events=body)
