"""Signing in and out, choosing the language, and a person's own account (password, tokens)."""
from flask import Blueprint

bp = Blueprint("auth", __name__, template_folder="templates")

from . import account, views  # noqa: E402,F401 - registers the routes on bp
