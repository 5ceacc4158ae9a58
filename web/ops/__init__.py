"""Operations area: /healthz, /readyz, /metrics for load balancers and Prometheus, the
request id and JSON log context of every request, and the 503 shown while the database is
unreachable. No sign-in: these pages say nothing about cases."""
from pathlib import Path

from flask import Blueprint

from web.i18n import compile_catalogues

bp = Blueprint("ops", __name__, template_folder="templates")

TRANSLATIONS = Path(__file__).resolve().parent / "translations"


@bp.record_once
def _setup(state):
    # This area's UI strings have a catalogue of their own, merged into the app's.
    compile_catalogues(TRANSLATIONS)
    babel_config = state.app.extensions.get("babel")
    if babel_config is not None and str(TRANSLATIONS) not in babel_config.translation_directories:
        babel_config.translation_directories.append(str(TRANSLATIONS))


from . import views  # noqa: E402,F401 - registers the routes and request hooks on bp

__all__ = ["bp", "views"]
