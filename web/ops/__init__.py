"""Operations area: /healthz, /readyz, /metrics for load balancers and Prometheus, the
request id and JSON log context of every request, and the 503 shown while the database is
unreachable. No sign-in: these pages say nothing about cases."""
from flask import Blueprint

from web.i18n import area_catalogue

bp = Blueprint("ops", __name__, template_folder="templates")

area_catalogue(bp, __file__)


from . import views  # noqa: E402,F401 - registers the routes and request hooks on bp

__all__ = ["bp", "views"]
