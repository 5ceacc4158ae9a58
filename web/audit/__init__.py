"""Auditors' area: /audit/verify runs the check behind `liandong verify-audit` (every case's
hash chain, then the identity trail), or one case's, batch by batch with its progress, and
names each break in the reader's language. Read-only; auditors and administrators."""
from flask import Blueprint

from web.i18n import area_catalogue

bp = Blueprint("audit", __name__, url_prefix="/audit", template_folder="templates",
               static_folder="static", static_url_path="/static")

area_catalogue(bp, __file__)


from . import views  # noqa: E402,F401 - registers the routes on bp

__all__ = ["bp", "views"]
