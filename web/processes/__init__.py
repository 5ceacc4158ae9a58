"""Processes area for process owners: models and versions, the web modeler (bpmn-js),
validation, drafts, deploy, version diffs and migrating running cases."""
from pathlib import Path

from flask import Blueprint, abort, send_from_directory

from web.i18n import compile_catalogues

bp = Blueprint("processes", __name__, url_prefix="/processes", template_folder="templates")

ROOT = Path(__file__).resolve().parents[2]
BPMN_JS_DIST = ROOT / "node_modules" / "bpmn-js" / "dist"
TRANSLATIONS = Path(__file__).resolve().parent / "translations"


def vendor_bpmn_js(filename):
    """bpmn-js's own dist files (installed by npm from package.json), served as they are."""
    if not (filename.endswith((".js", ".css", ".woff", ".woff2", ".ttf", ".eot", ".svg"))):
        abort(404)
    return send_from_directory(BPMN_JS_DIST, filename, max_age=3600)


@bp.record_once
def _setup(state):
    app = state.app
    if "vendor_bpmn_js" not in app.view_functions:
        app.add_url_rule("/vendor/bpmn-js/<path:filename>", "vendor_bpmn_js", vendor_bpmn_js)
    # This area's UI strings have a catalogue of their own, merged into the app's.
    compile_catalogues(TRANSLATIONS)
    babel_config = app.extensions.get("babel")
    if babel_config is not None and str(TRANSLATIONS) not in babel_config.translation_directories:
        babel_config.translation_directories.append(str(TRANSLATIONS))


from . import api, views  # noqa: E402,F401 - registers the routes on bp
