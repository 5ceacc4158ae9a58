"""Processes area for process owners: models and versions, the web modeler (bpmn-js),
validation, drafts, deploy, version diffs and migrating running cases."""
from pathlib import Path

from flask import Blueprint

from web.i18n import compile_catalogues

bp = Blueprint("processes", __name__, url_prefix="/processes", template_folder="templates")

TRANSLATIONS = Path(__file__).resolve().parent / "translations"


@bp.record_once
def _setup(state):
    app = state.app
    # This area's UI strings have a catalogue of their own, merged into the app's.
    compile_catalogues(TRANSLATIONS)
    babel_config = app.extensions.get("babel")
    if babel_config is not None and str(TRANSLATIONS) not in babel_config.translation_directories:
        babel_config.translation_directories.append(str(TRANSLATIONS))


from . import api, views  # noqa: E402,F401 - registers the routes on bp
