"""The inbox (my tasks, my groups' unclaimed tasks) and the start page."""
from flask import Blueprint

bp = Blueprint("inbox", __name__, template_folder="templates")

from . import notifications, views  # noqa: E402,F401 - registers the routes on bp
