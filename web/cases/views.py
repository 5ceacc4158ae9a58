"""Case search, the case page, exports, dashboard and heatmap. Views parse, call the engine's
read functions (always scoped to the signed-in person) and render; nothing else."""
import json
from pathlib import Path

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import login_required

from engine import Conflict, ExecutionError, InvalidData
from engine.people import trail
from engine.reading import dashboard, reports
from engine.reading.history import case_history, visible_case
from engine.reading.history import version_diagram as diagram_file
from engine.reading.search import STATUSES, CaseFilter, all_matching, filter_choices, search_cases

from engine.models.bpmn.labels import in_english as labels_in_english

from .. import words
from ..extensions import current_actor, current_engine
from ..tasks.facts import field_titles
from . import bp, charts, control
from .labels import event_label

PER_PAGE = 25


def _page() -> int:
    try:
        return max(1, int(request.args.get("page", 1)))
    except ValueError:
        return 1


def _tz():
    from zoneinfo import ZoneInfo
    try:
        return ZoneInfo(current_actor().time_zone)
    except (KeyError, ValueError):
        return ZoneInfo("Asia/Shanghai")


def _download(text: str, filename: str, mimetype: str) -> Response:
    return Response(text, mimetype=mimetype,
                    headers={"Content-Disposition": f"attachment; filename={filename}"})


@bp.get("/")
@login_required
def index():
    engine, actor = current_engine(), current_actor()
    flt = CaseFilter.from_args(request.args)
    with engine.db.read() as session:
        found = search_cases(session, actor, flt, engine.now(), _page(), PER_PAGE, _tz())
        processes, organisations = filter_choices(session, actor)
    return render_template("cases/index.html", found=found, flt=flt, args=flt.as_args(),
                           processes=processes, organisations=organisations, statuses=STATUSES)


@bp.get("/export.csv")
@login_required
def search_csv():
    engine, actor = current_engine(), current_actor()
    flt = CaseFilter.from_args(request.args)
    with engine.db.read() as session:
        text = reports.cases_csv(all_matching(session, actor, flt, engine.now(), _tz()))
    return _download(text, "cases.csv", "text/csv; charset=utf-8")


@bp.get("/<int:case_id>")
@login_required
def show(case_id):
    engine, actor = current_engine(), current_actor()
    with engine.db.read() as session:
        history = case_history(session, actor, case_id)
        form_names = engine.specs.get(session, history.case.process_version_id).form_names
    titles, readings = field_titles(engine, form_names, get_locale(), version=engine.forms.scope(history.case))
    diagram = {"xml_url": url_for("cases.case_diagram", case_id=case_id),
               "completed": sorted(history.completed), "active": history.active,
               "repeated": history.repeated}
    repair = engine.case_repair(case_id, actor)
    chain = engine.case_chain(case_id, actor)
    return render_template("cases/show.html", h=history, case=history.case, diagram=diagram,
                           now=engine.now(), repair=repair, control=control.panel(history), chain=chain,
                           titles=titles, readings=readings,
                           data_json={k: json.dumps(v, ensure_ascii=False) for k, v in
                                      (repair.data if repair else {}).items()})


# -- an administrator repairs a case a script error stopped (engine.commands.repair) ------

#: Said on the case page; Forbidden is not among them: a person who may not repair is
#: refused with 403, as everywhere.
REPAIR_ERRORS = (InvalidData, Conflict, ExecutionError)


def _value(text: str):
    """A value typed on the case page: JSON when it reads as JSON (numbers, true/false,
    lists, quoted text), else the text itself."""
    try:
        return json.loads(text)
    except ValueError:
        return text


def _reason():
    """The reason typed, or None after saying that one is needed."""
    reason = (request.form.get("reason") or "").strip()
    if not reason:
        flash(_("Say why (a reason is required and kept in the case's history)."), "error")
    return reason or None


def _back(case_id):
    return redirect(url_for("cases.show", case_id=case_id) + "#repair")


@bp.post("/<int:case_id>/data")
@login_required
def edit_data(case_id):
    name = (request.form.get("name") or "").strip()
    reason = _reason()
    if reason is None:
        return _back(case_id)
    try:
        if "remove" in request.form:
            current_engine().edit_case_data(case_id, current_actor(), {}, reason, remove=[name])
        else:
            current_engine().edit_case_data(case_id, current_actor(),
                                            {name: _value(request.form.get("value", "").strip())}, reason)
        flash(_("The case's data was changed; the change is in its history."), "success")
    except REPAIR_ERRORS as err:
        flash(str(err), "error")
    return _back(case_id)


@bp.post("/<int:case_id>/retry")
@login_required
def retry(case_id):
    reason = _reason()
    if reason is None:
        return _back(case_id)
    try:
        current_engine().retry_case(case_id, current_actor(), reason)
        flash(_("The task was completed again; the case goes on."), "success")
    except REPAIR_ERRORS as err:
        flash(str(err), "error")
    return _back(case_id)


@bp.get("/<int:case_id>/report")
@login_required
def report(case_id):
    engine, actor = current_engine(), current_actor()
    with engine.db.read() as session:
        history = case_history(session, actor, case_id)
        form_names = engine.specs.get(session, history.case.process_version_id).form_names
    titles, readings = field_titles(engine, form_names, get_locale(), version=engine.forms.scope(history.case))
    return render_template("cases/report.html", h=history, case=history.case, now=engine.now(),
                           titles=titles, readings=readings)


@bp.get("/<int:case_id>/history.json")
@login_required
def export_json(case_id):
    with current_engine().db.read() as session:
        text = reports.case_json(session, current_actor(), case_id)
    return _download(text, f"case-{case_id}.json", "application/json")


@bp.get("/<int:case_id>/history.csv")
@login_required
def export_csv(case_id):
    engine = current_engine()
    with engine.db.read() as session:
        case = visible_case(session, current_actor(), case_id)
        form_names = engine.specs.get(session, case.process_version_id).form_names
    titles, readings = field_titles(engine, form_names, get_locale(), version=engine.forms.scope(case))
    with engine.db.read() as session:
        text = reports.case_csv(session, current_actor(), case_id, words.CsvWords(event_label, titles, readings))
    return _download(text, f"case-{case_id}.csv", "text/csv; charset=utf-8")


@bp.get("/<int:case_id>/diagram.bpmn")
@login_required
def case_diagram(case_id):
    with current_engine().db.read() as session:
        case = visible_case(session, current_actor(), case_id)
        return _bpmn_of(session, case.process_version_id)


@bp.get("/versions/<int:version_id>/diagram.bpmn")
@login_required
def version_diagram(version_id):
    with current_engine().db.read() as session:
        return _bpmn_of(session, version_id)


def _bpmn_of(session, version_id) -> Response:
    """The version's BPMN file holding its primary process (the diagram bpmn-js shows)."""
    content = diagram_file(session, version_id)
    if words.english():  # the diagram's labels in the reader's language (name_en)
        content = labels_in_english(content)
    return Response(content, mimetype="application/xml")


# -- dashboard and heatmap ---------------------------------------------------------------

def _definition():
    settings = current_engine().settings
    path = settings.extra.get("dashboard_definition") or Path(settings.processes_dir) / "dashboard.json"
    return dashboard.Definition.load(path).with_labels(dashboard.calendar_labels(settings.processes_dir))


def _board():
    engine = current_engine()
    campaign_id = request.args.get("campaign", type=int)
    with engine.db.read() as session:
        return dashboard.campaign_dashboard(session, current_actor(), _definition(), engine.now(),
                                            campaign_id)


@bp.get("/dashboard")
@login_required
def dashboard_page():
    board = _board()
    lang = _lang()
    return render_template("cases/dashboard.html", board=board, lang=lang,
                           stage_chart=charts.stage_timeline(board, lang, _tz()),
                           activity_chart=charts.activities_by_province(board, lang))


def _lang() -> str:
    """'zh_CN' or 'en': which label of a definition to show."""
    locale = get_locale()
    return "zh_CN" if locale is None or locale.language == "zh" else "en"


@bp.get("/dashboard.csv")
@login_required
def dashboard_csv():
    return _download(reports.dashboard_csv(_board()), "dashboard.csv", "text/csv; charset=utf-8")


@bp.get("/heatmap/<int:version_id>")
@login_required
def heatmap(version_id):
    with current_engine().db.read() as session:
        heat = dashboard.heatmap(session, current_actor(), version_id)
        key = heat.version.model.key
    diagram = {"xml_url": url_for("cases.version_diagram", version_id=version_id),
               "counts": heat.counts, "max": heat.max_count,
               "median": {k: round(v) for k, v in heat.median_seconds.items()}}
    return render_template("cases/heatmap.html", heat=heat, key=key, diagram=diagram)


# -- the identity trail -------------------------------------------------------------------

def trail_kinds():
    return {"organisation_created": _l("organisation created"),
            "organisations_imported": _l("organisations imported"),
            "user_created": _l("user created"), "user_changed": _l("user changed"),
            "password_changed": _l("password changed"), "membership_added": _l("role granted"),
            "membership_removed": _l("role revoked"), "token_created": _l("API token created"),
            "model_deployed": _l("process model deployed"),
            "clock_moved": _l("training clock moved")}


@bp.get("/people-trail")
@login_required
def identity_trail():
    """Changes to users, roles, organisations and tokens, for those who read everything."""
    actor = current_actor()
    if not actor.reads_everything:
        abort(403)
    with current_engine().db.read() as session:
        events = trail.events(session, request.args.get("subject") or None)
    return render_template("cases/people_trail.html", events=events, kinds=trail_kinds(),
                           subject=request.args.get("subject", ""))
