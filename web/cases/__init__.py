"""Cases area for auditors (and staff, on the cases they may see): search, a case's timeline
and its path on the diagram, exports, the campaign dashboard and a version's heatmap.
Read-only, but for an administrator's repair of a case a script error stopped (edit its data,
retry, terminate), each an engine command."""
from flask import Blueprint

from web.i18n import area_catalogue

bp = Blueprint("cases", __name__, url_prefix="/cases", template_folder="templates",
               static_folder="static", static_url_path="/static")

area_catalogue(bp, __file__)


@bp.context_processor
def _labels():
    from .labels import helpers
    return helpers()


from . import views  # noqa: F401 - registers the routes on bp
