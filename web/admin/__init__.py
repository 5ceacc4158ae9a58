"""Administration: users, organisations and memberships (roles); incidents and timers
(operations.py); on a training instance, its clock (clock.py). Administrators only."""
from flask import Blueprint

bp = Blueprint("admin", __name__, url_prefix="/admin", template_folder="templates")

from . import clock, operations, views  # noqa: E402,F401 - registers the routes on bp
