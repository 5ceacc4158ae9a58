"""Cases area for auditors (and staff, on the cases they may see): search, a case's timeline
and its path on the diagram, exports, the campaign dashboard and a version's heatmap.
Read-only, but for an administrator's repair of a case a script error stopped (edit its data,
retry, terminate), each an engine command."""
from pathlib import Path

from flask import Blueprint

from web.i18n import compile_catalogues

bp = Blueprint("cases", __name__, url_prefix="/cases", template_folder="templates",
               static_folder="static", static_url_path="/static")

TRANSLATIONS = Path(__file__).resolve().parent / "translations"


@bp.context_processor
def _labels():
    from .labels import helpers
    return helpers()


@bp.record_once
def _setup(state):
    # This area's UI strings have a catalogue of their own, merged into the app's.
    compile_catalogues(TRANSLATIONS)
    babel_config = state.app.extensions.get("babel")
    if babel_config is not None and str(TRANSLATIONS) not in babel_config.translation_directories:
        babel_config.translation_directories.append(str(TRANSLATIONS))


from . import views  # noqa: F401 - registers the routes on bp
