"""The task page: instructions, the form, the case's key facts and files."""
from flask import Blueprint

bp = Blueprint("tasks", __name__, template_folder="templates", static_folder="static",
               static_url_path="/tasks/static")

from . import views  # noqa: E402,F401 - registers the routes on bp
from .uploads import file_label  # noqa: E402

bp.add_app_template_filter(file_label)
