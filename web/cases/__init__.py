"""Cases area for auditors (and staff, on the cases they may see): search, a case's timeline
and its path on the diagram, exports, the campaign dashboard and a version's heatmap.
Read-only: nothing here changes a case."""
from pathlib import Path

from flask import Blueprint, abort, send_from_directory

from web.i18n import compile_catalogues

bp = Blueprint("cases", __name__, url_prefix="/cases", template_folder="templates",
               static_folder="static", static_url_path="/static")

ROOT = Path(__file__).resolve().parents[2]
TRANSLATIONS = Path(__file__).resolve().parent / "translations"
BPMN_JS_DIST = ROOT / "node_modules" / "bpmn-js" / "dist"


def vendor_bpmn_js(filename):
    """bpmn-js's dist files as npm installed them (shared with the processes area)."""
    if not filename.endswith((".js", ".css", ".woff", ".woff2", ".ttf", ".eot", ".svg")):
        abort(404)
    return send_from_directory(BPMN_JS_DIST, filename, max_age=3600)


@bp.context_processor
def _labels():
    from .labels import helpers
    return helpers()


@bp.record_once
def _setup(state):
    if "vendor_bpmn_js" not in state.app.view_functions:
        state.app.add_url_rule("/vendor/bpmn-js/<path:filename>", "vendor_bpmn_js", vendor_bpmn_js)
    # This area's UI strings have a catalogue of their own, merged into the app's.
    compile_catalogues(TRANSLATIONS)
    babel_config = state.app.extensions.get("babel")
    if babel_config is not None and str(TRANSLATIONS) not in babel_config.translation_directories:
        babel_config.translation_directories.append(str(TRANSLATIONS))


from . import views  # noqa: F401 - registers the routes on bp
