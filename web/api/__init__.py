"""The REST API under /api/v1: bearer tokens, JSON in and out, no CSRF (no cookies)."""
from flask import Blueprint

from ..extensions import csrf

bp = Blueprint("api", __name__, url_prefix="/api/v1")
csrf.exempt(bp)

from . import views  # noqa: E402,F401 - registers the routes on bp
