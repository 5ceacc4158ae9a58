"""Processes pages: the list of models and versions, downloads, upload-to-deploy, the
modeler page, version diffs and migrating running cases."""
import io
import zipfile

from flask import abort, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import login_required

from engine import ModelError
from engine.models import drafts as model_drafts, versions as model_versions
from engine.errors import InvalidData

from ..extensions import current_actor, current_engine
from .problem_words import problem_dict
from . import bp

UPLOAD_SUFFIXES = (".bpmn", ".dmn", ".json")


def may_read() -> None:
    """Process owners and administrators use this area; auditors may look."""
    actor = current_actor()
    if not (actor.has_role("process_owner") or actor.reads_everything):
        abort(403)


def may_change() -> None:
    if not current_actor().has_role("process_owner"):
        abort(403)


@bp.get("/")
@login_required
def index():
    may_read()
    engine = current_engine()
    with engine.db.read() as session:
        models = [(m, model_versions.list_versions(session, m.key, changes=False))
                  for m in model_versions.list_models(session)]
    # models without a category (process group) first, then each category's, by name
    models.sort(key=lambda pair: (pair[0].category or "", pair[0].key))
    drafts = {}
    for draft in model_drafts.list_drafts(engine):
        drafts.setdefault(draft.process_key, draft)
    return render_template("processes/index.html", models=models, drafts=drafts,
                           may_change=current_actor().has_role("process_owner"))


@bp.get("/<key>")
@login_required
def detail(key):
    may_read()
    engine = current_engine()
    versions = engine.versions(key)
    drafts = model_drafts.list_drafts(engine, key)
    return render_template("processes/detail.html", key=key, versions=versions, drafts=drafts,
                           may_change=current_actor().has_role("process_owner"))


@bp.get("/<key>/v<int:version>/files/<name>")
@login_required
def download(key, version, name):
    may_read()
    with current_engine().db.read() as session:
        files = model_versions.version_files(session, key, version)
    if name not in files:
        abort(404)
    return send_file(io.BytesIO(files[name]), mimetype="application/xml", as_attachment=True,
                     download_name=name)


@bp.get("/<key>/v<int:version>.zip")
@login_required
def download_zip(key, version):
    may_read()
    with current_engine().db.read() as session:
        files = model_versions.version_files(session, key, version)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in sorted(files.items()):
            archive.writestr(name, content)
    buffer.seek(0)
    return send_file(buffer, mimetype="application/zip", as_attachment=True,
                     download_name=f"{key}-v{version}.zip")


@bp.post("/upload")
@login_required
def upload():
    """Deploy uploaded .bpmn/.dmn files (and forms/*.json) as a new version, without the modeler."""
    may_change()
    key = (request.form.get("key") or "").strip() or None
    files = {}
    for storage in request.files.getlist("files"):
        name = (storage.filename or "").rsplit("/", 1)[-1]
        if not name:
            continue
        if not name.endswith(UPLOAD_SUFFIXES):
            raise InvalidData(_("Only .bpmn, .dmn and form .json files can be uploaded, not '%(name)s'.", name=name))
        files[("forms/" + name) if name.endswith(".json") else name] = storage.read()
    if not files:
        raise InvalidData(_("Choose at least one .bpmn or .dmn file."))
    try:
        process_key, version, created, warnings = current_engine().deploy_model(
            current_actor(), files, key=key)
    except ModelError as err:
        return render_template("processes/problems.html", message=str(err),
                               problems=[problem_dict(p) for p in err.problems]), 422
    flash(deployed_message(process_key, version, created), "success" if created else "info")
    for warning in warnings:
        flash(str(warning), "warning")
    return redirect(url_for("processes.detail", key=process_key))


def deployed_message(key: str, version: int, created: bool) -> str:
    """What a deployment did, in words: a new version (saying when it changes the layout
    alone), or nothing, because the latest version already is this model."""
    if not created:
        return _("%(key)s version %(version)d already is this model: the same process and the "
                 "same diagram, however the file is written. Nothing new was deployed.",
                 key=key, version=version)
    info = next((v for v in current_engine().versions(key) if v.version == version), None)
    if info is not None and info.change == "layout":
        return _("Deployed %(key)s version %(version)d: layout only, the process runs as in "
                 "version %(previous)d.", key=key, version=version, previous=version - 1)
    return _("Deployed %(key)s version %(version)d.", key=key, version=version)


@bp.get("/modeler")
@login_required
def modeler():
    may_read()
    engine = current_engine()
    return render_template("processes/modeler.html", key=request.args.get("key", ""),
                           version=request.args.get("version", type=int),
                           draft=request.args.get("draft", type=int),
                           choices=engine.modeler_choices(),
                           may_change=current_actor().has_role("process_owner"))


@bp.get("/<key>/diff")
@login_required
def diff(key):
    may_read()
    engine = current_engine()
    versions = engine.versions(key)
    if not versions:
        abort(404)
    new = request.args.get("to", type=int) or versions[0].version
    old = request.args.get("from", type=int) or max(1, new - 1)
    result = engine.diff_versions(key, old, new)
    return render_template("processes/diff.html", key=key, diff=result, versions=versions,
                           old=old, new=new)


@bp.route("/<key>/migrate", methods=["GET", "POST"])
@login_required
def migrate(key):
    """GET: the dry run for every running case; POST: migrate the selected ones."""
    may_change()
    engine = current_engine()
    versions = engine.versions(key)
    if not versions:
        abort(404)
    target = request.values.get("to", type=int) or versions[0].version
    if request.method == "POST":
        case_ids = [int(c) for c in request.form.getlist("case") if c.isdigit()]
        if not case_ids:
            flash(_("Select at least one case to migrate."), "warning")
            return redirect(url_for("processes.migrate", key=key, to=target))
        verdicts = engine.migrate_cases(key, current_actor(), target, case_ids)
        moved = sum(v.migrated for v in verdicts)
        flash(_("%(moved)d of %(total)d case(s) migrated to version %(version)d.",
                moved=moved, total=len(verdicts), version=target), "success" if moved else "warning")
        return render_template("processes/migrate.html", key=key, versions=versions,
                               target=target, verdicts=verdicts, done=True)
    verdicts = engine.migrate_cases(key, current_actor(), target, dry_run=True)
    return render_template("processes/migrate.html", key=key, versions=versions, target=target,
                           verdicts=verdicts, done=False)
