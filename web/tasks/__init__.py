"""The task page: instructions, the form, the case's key facts and files."""
from flask import Blueprint

bp = Blueprint("tasks", __name__)

from . import views  # noqa: E402,F401 - registers the routes on bp
from .uploads import file_label  # noqa: E402

bp.add_app_template_filter(file_label)
