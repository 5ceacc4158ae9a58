"""The answer while the database is unreachable: 503 with Retry-After, as a page or as
problem+json under /api/. Nothing here touches the database (not even to find out who is
signed in), so the answer comes however long the outage lasts."""
import logging

from flask import g, jsonify, make_response, render_template, request
from flask_babel import gettext as _

from ..extensions import current_engine, login_manager

log = logging.getLogger("web.errors")


def unavailable(err: Exception):
    # Logged with its traceback once a window; repeats are counted (engine.ops.logs).
    log.error("database unreachable on %s %s", request.method, request.path, exc_info=err)
    g._login_user = login_manager.anonymous_user()  # nobody can be looked up now
    retry_after = str(current_engine().settings.retry_after_seconds)
    title = _("Service unavailable")
    detail = _("The database cannot be reached right now. Nothing was changed; "
               "try again in a moment.")
    if request.path.startswith("/api/") or request.accept_mimetypes.best == "application/json":
        response = jsonify(type="about:blank", title=title, status=503, detail=detail,
                           error=title, message=detail, retry_after=int(retry_after))
        response.status_code = 503
        response.mimetype = "application/problem+json"
    else:
        response = make_response(render_template("ops/unavailable.html", title=title,
                                                 message=detail, retry_after=retry_after), 503)
    response.headers["Retry-After"] = retry_after
    return response
