"""The browser libraries npm installs from package.json (bpmn-js's viewers, dmn-js), served
from their own dist folders as they are, nothing of ours in node_modules. (The BPMN modeler
is a bundle built by `make install`: web/processes/assets.)"""
from pathlib import Path

from flask import Blueprint, abort, send_from_directory

bp = Blueprint("vendor", __name__, url_prefix="/vendor")

NODE_MODULES = Path(__file__).resolve().parents[2] / "node_modules"
PACKAGES = {"bpmn-js": NODE_MODULES / "bpmn-js" / "dist", "dmn-js": NODE_MODULES / "dmn-js" / "dist",
            "tom-select": NODE_MODULES / "tom-select" / "dist"}
SUFFIXES = (".js", ".css", ".woff", ".woff2", ".ttf", ".eot", ".svg")


@bp.get("/<package>/<path:filename>")
def dist(package, filename):
    if package not in PACKAGES or not filename.endswith(SUFFIXES):
        abort(404)
    return send_from_directory(PACKAGES[package], filename, max_age=3600)
