"""Health, readiness and metrics; every request's id, log context and latency."""
import re
import time
import uuid

from flask import Response, g, jsonify, request, session

from engine.ops import logs, metrics
from engine.ops.health import readiness

from ..extensions import current_engine
from . import bp

REQUEST_ID_HEADER = "X-Request-ID"
#: A request id handed in by a proxy is kept if it looks like one (no log injection).
_SAFE_ID = re.compile(r"^[A-Za-z0-9._:-]{8,128}$")


@bp.get("/healthz")
def healthz():
    """The process answers; the database is not asked (that is /readyz)."""
    return jsonify(status="ok")


@bp.get("/readyz")
def readyz():
    """Database reachable and schema current, or 503 with the reason."""
    found = readiness(current_engine())
    body = {"status": "ok" if found.ok else "unavailable", "reason": found.reason,
            "database": found.dialect, "schema": found.revision, "expected_schema": found.head}
    if found.ok:
        return jsonify(body)
    response = jsonify(body)
    response.status_code = 503
    response.headers["Retry-After"] = str(current_engine().settings.retry_after_seconds)
    return response


@bp.get("/metrics")
def metrics_page():
    settings = current_engine().settings
    if not settings.metrics_enabled or settings.metrics_port:
        return Response("metrics are off here\n", status=404, mimetype="text/plain")
    body, content_type = metrics.render(current_engine())
    return Response(body, content_type=content_type)


@bp.before_app_request
def _begin():
    incoming = request.headers.get(REQUEST_ID_HEADER, "")
    g.request_id = incoming if _SAFE_ID.match(incoming) else uuid.uuid4().hex
    g.ops_started = time.perf_counter()
    args = request.view_args or {}
    g.ops_log_token = logs.bind(request_id=g.request_id, user=session.get("_user_id"),
                                case_id=args.get("case_id"), task_id=args.get("task_id"))


@bp.after_app_request
def _finish(response):
    request_id = g.get("request_id")
    if request_id:
        response.headers[REQUEST_ID_HEADER] = request_id
    started = g.get("ops_started")
    if started is not None and request.endpoint not in ("ops.metrics_page", "static"):
        metrics.HTTP_REQUESTS.labels(request.endpoint or "none", request.method,
                                     str(response.status_code)).observe(
            time.perf_counter() - started)
    return response


@bp.teardown_app_request
def _forget(_error):
    token = g.pop("ops_log_token", None)
    if token is not None:
        logs.CONTEXT.reset(token)
