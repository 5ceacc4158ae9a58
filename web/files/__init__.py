"""Downloading files attached to cases (only for those who may see the case)."""
from flask import Blueprint

bp = Blueprint("files", __name__)

from . import views  # noqa: E402,F401 - registers the routes on bp
