"""Processes area for process owners: models and versions, the web modeler (bpmn-js),
validation, drafts, deploy, version diffs and migrating running cases."""
from flask import Blueprint

from web.i18n import area_catalogue

bp = Blueprint("processes", __name__, url_prefix="/processes", template_folder="templates",
               static_folder="static", static_url_path="/static")

area_catalogue(bp, __file__)


from . import api, views  # noqa: E402,F401 - registers the routes on bp
