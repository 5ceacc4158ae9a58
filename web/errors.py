"""Engine errors and HTTP errors become pages (or JSON under /api/), never a traceback.

NotFound -> 404, Forbidden -> 403, Conflict -> 409 (its message says who changed what),
InvalidData -> 422 with the field errors, the database unreachable -> 503 with Retry-After
(web.ops.faults), anything unexpected -> a friendly 500.
"""
import logging

from flask import jsonify, render_template, request
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from engine import (Conflict, ExecutionError, Forbidden, InvalidData, LiandongError, NotFound,
    Unavailable)
from engine.ops.health import is_outage

from .ops.faults import unavailable

log = logging.getLogger(__name__)

STATUS = {NotFound: 404, Forbidden: 403, Conflict: 409, InvalidData: 422, ExecutionError: 500}


def wants_json() -> bool:
    return request.path.startswith("/api/") or (
        request.accept_mimetypes.best == "application/json")


def titles():
    return {400: _("Bad request"), 403: _("Not allowed"), 404: _("Not found"),
            405: _("Not allowed"), 409: _("Changed by someone else"),
            413: _("File too large"), 422: _("Invalid data"), 429: _("Too many attempts"),
            500: _("Something went wrong")}


def render_error(status: int, message: str, field_errors=None):
    if wants_json():
        body = {"error": titles().get(status, str(status)), "status": status, "message": message}
        if field_errors:
            body["field_errors"] = field_errors
        return jsonify(body), status
    return render_template("error.html", status=status, title=titles().get(status, str(status)),
                           message=message), status


def status_of(err: LiandongError) -> int:
    return next((code for kind, code in STATUS.items() if isinstance(err, kind)), 422)


def engine_error(err: LiandongError):
    status = status_of(err)
    return render_error(status, str(err), getattr(err, "field_errors", None))


def http_error(err: HTTPException):
    messages = {404: _("There is no such page, or you may not see it."),
                403: _("You may not do this."),
                413: _("The upload is larger than allowed."),
                405: _("This address does not accept that request.")}
    return render_error(err.code or 500, messages.get(err.code, err.description or ""))


def csrf_error(err: CSRFError):
    return render_error(400, _("The form expired or was not sent from this site. "
                               "Reload the page and try again."))


def unexpected(err: Exception):
    if isinstance(err, HTTPException):
        return http_error(err)
    if is_outage(err):
        return unavailable(err)
    log.exception("unexpected error on %s %s", request.method, request.path)
    return render_error(500, _("The server could not finish this request. Nothing was "
                               "changed; try again, and tell the administrator if it keeps happening."))


def init_app(app) -> None:
    app.register_error_handler(LiandongError, engine_error)
    app.register_error_handler(Unavailable, unavailable)
    app.register_error_handler(CSRFError, csrf_error)
    app.register_error_handler(HTTPException, http_error)
    app.register_error_handler(Exception, unexpected)
