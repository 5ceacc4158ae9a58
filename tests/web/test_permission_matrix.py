"""The per-route permission matrix: every route of the app, for each role the campaign has
(admin, process owner, auditor, ministry, province, city, expert) and for nobody signed in,
answers with the status kept in MATRIX below.

Pages are asked with GET; actions with POST, the person's CSRF token and an empty form, so
that a person who may act gets the form's own answer (a redirect with an error, 400, 422)
and nothing changes, while a person who may not is refused (403, or 404 where the thing is
invisible to them). /api/v1 is asked with each person's bearer token. A route missing from
MATRIX fails the test: whoever adds a route adds its row.
"""
import os
from pathlib import Path

import pytest

from engine.commands import attachments
from engine.people import identity
from tests.web.conftest import CSRF, Staff

ROLES = ("admin", "process_owner", "auditor", "ministry", "province", "city", "expert", "anonymous")
USERS = {"admin": "admin", "process_owner": "owner", "auditor": "auditor",
         "ministry": "ministry_officer", "province": "zj_staff", "city": "hz_staff",
         "expert": "expert", "anonymous": None}
PDF = b"%PDF-1.4\n%programme sheet\n"

#: (method, rule) -> the status for each of ROLES, in that order.
MATRIX = {
    #                                                                  adm own aud min prv cty exp anon
    ("GET", "/"):                                                      "302 302 302 302 302 302 302 302",
    ("GET", "/account"):                                               "200 200 200 200 200 200 200 302",
    ("POST", "/account/password"):                                     "422 422 422 422 422 422 422 302",
    ("POST", "/account/time-zone"):                                    "303 303 303 303 303 303 303 302",
    ("GET", "/favicon.ico"):                                           "301 301 301 301 301 301 301 301",
    ("POST", "/account/tokens"):                                       "200 200 403 200 200 200 200 302",
    ("POST", "/account/tokens/<int:token_id>/revoke"):                 "302 403 403 403 403 403 403 302",
    ("GET", "/admin/clock"):                                           "404 403 403 403 403 403 403 302",
    ("POST", "/admin/clock"):                                          "404 403 403 403 403 403 403 302",
    ("GET", "/admin/organisations"):                                   "200 403 403 403 403 403 403 302",
    ("POST", "/admin/organisations"):                                  "422 403 403 403 403 403 403 302",
    ("GET", "/admin/users"):                                           "200 403 403 403 403 403 403 302",
    ("POST", "/admin/users"):                                          "422 403 403 403 403 403 403 302",
    ("GET", "/admin/users/<username>"):                                "200 403 403 403 403 403 403 302",
    ("POST", "/admin/users/<username>"):                               "302 403 403 403 403 403 403 302",
    ("POST", "/admin/users/<username>/memberships"):                   "302 403 403 403 403 403 403 302",
    ("POST", "/admin/users/<username>/memberships/<int:membership_id>/delete"): "302 403 403 403 403 403 403 302",
    ("POST", "/api/v1/cases"):                                         "422 422 403 422 422 422 422 401",
    ("GET", "/api/v1/cases/<int:case_id>"):                            "200 200 200 200 200 404 404 401",
    ("GET", "/api/v1/cases/<int:case_id>/history"):                    "200 200 200 200 200 404 404 401",
    ("GET", "/api/v1/openapi.json"):                                   "200 200 200 200 200 200 200 200",
    ("GET", "/api/v1/tasks"):                                          "200 200 200 200 200 200 200 401",
    ("GET", "/api/v1/tasks/<task_id>"):                                "200 200 200 200 200 404 404 401",
    ("POST", "/api/v1/tasks/<task_id>/claim"):                         "403 403 403 403 200 404 404 401",
    ("POST", "/api/v1/tasks/<task_id>/complete"):                      "403 403 403 403 422 404 404 401",
    ("POST", "/api/v1/tasks/<task_id>/unclaim"):                       "403 403 403 403 200 404 404 401",
    ("GET", "/audit/static/<path:filename>"):                          "200 200 200 200 200 200 200 200",
    ("GET", "/audit/verify"):                                          "200 403 200 403 403 403 403 302",
    ("GET", "/audit/verify/batch"):                                    "200 403 200 403 403 403 403 302",
    ("GET", "/cases/"):                                                "200 200 200 200 200 200 200 302",
    ("GET", "/cases/<int:case_id>"):                                   "200 200 200 200 200 404 404 302",
    ("POST", "/cases/<int:case_id>/data"):                             "302 403 403 403 403 404 404 302",
    ("GET", "/cases/<int:case_id>/diagram.bpmn"):                      "200 200 200 200 200 404 404 302",
    ("GET", "/cases/<int:case_id>/history.csv"):                       "200 200 200 200 200 404 404 302",
    ("GET", "/cases/<int:case_id>/history.json"):                      "200 200 200 200 200 404 404 302",
    ("GET", "/cases/<int:case_id>/report"):                            "200 200 200 200 200 404 404 302",
    ("POST", "/cases/<int:case_id>/retry"):                            "302 403 403 403 403 404 404 302",
    ("GET", "/cases/dashboard"):                                       "200 200 200 200 200 200 200 302",
    ("GET", "/cases/dashboard.csv"):                                   "200 200 200 200 200 200 200 302",
    ("GET", "/cases/export.csv"):                                      "200 200 200 200 200 200 200 302",
    ("GET", "/cases/heatmap/<int:version_id>"):                        "200 200 200 200 200 200 200 302",
    ("GET", "/cases/people-trail"):                                    "200 403 200 403 403 403 403 302",
    ("GET", "/cases/static/<path:filename>"):                          "200 200 200 200 200 200 200 200",
    ("GET", "/cases/versions/<int:version_id>/diagram.bpmn"):          "200 200 200 200 200 200 200 302",
    ("GET", "/files/<file_id>"):                                       "200 200 200 200 200 404 404 302",
    ("GET", "/healthz"):                                               "200 200 200 200 200 200 200 200",
    ("POST", "/locale"):                                               "302 302 302 302 302 302 302 302",
    ("GET", "/login"):                                                 "200 200 200 200 200 200 200 200",
    ("POST", "/login"):                                                "400 400 400 400 400 400 400 400",
    ("POST", "/logout"):                                               "302 302 302 302 302 302 302 302",
    ("GET", "/metrics"):                                               "200 200 200 200 200 200 200 200",
    ("GET", "/notifications"):                                         "200 200 200 200 200 200 200 302",
    ("POST", "/notifications/read"):                                   "302 302 302 302 302 302 302 302",
    ("GET", "/processes/"):                                            "200 200 200 403 403 403 403 302",
    ("GET", "/processes/<key>"):                                       "200 200 200 403 403 403 403 302",
    ("GET", "/processes/<key>/diff"):                                  "200 200 200 403 403 403 403 302",
    ("GET", "/processes/<key>/migrate"):                               "200 200 403 403 403 403 403 302",
    ("POST", "/processes/<key>/migrate"):                              "302 302 403 403 403 403 403 302",
    ("GET", "/processes/<key>/v<int:version>.zip"):                    "200 200 200 403 403 403 403 302",
    ("GET", "/processes/<key>/v<int:version>/files/<name>"):           "200 200 200 403 403 403 403 302",
    ("POST", "/processes/api/check"):                                  "422 422 403 403 403 403 403 302",
    ("POST", "/processes/api/deploy"):                                 "422 422 403 403 403 403 403 302",
    ("GET", "/processes/api/diff"):                                    "422 422 422 403 403 403 403 302",
    ("POST", "/processes/api/drafts"):                                 "422 422 403 403 403 403 403 302",
    ("POST", "/processes/api/form-preview"):                           "422 422 403 403 403 403 403 302",
    ("GET", "/processes/api/forms/<name>"):                            "200 200 200 403 403 403 403 302",
    ("POST", "/processes/api/instructions-preview"):                   "422 422 403 403 403 403 403 302",
    ("GET", "/processes/api/model"):                                   "200 200 200 403 403 403 403 302",
    ("POST", "/processes/api/validate"):                               "422 422 403 403 403 403 403 302",
    ("GET", "/processes/modeler"):                                     "200 200 200 403 403 403 403 302",
    ("GET", "/processes/static/<path:filename>"):                      "200 200 200 200 200 200 200 200",
    ("POST", "/processes/upload"):                                     "422 422 403 403 403 403 403 302",
    ("GET", "/readyz"):                                                "200 200 200 200 200 200 200 200",
    ("GET", "/start"):                                                 "200 200 200 200 200 200 200 302",
    ("POST", "/start"):                                                "404 404 403 404 404 404 404 302",
    ("GET", "/start/<key>"):                                           "404 404 404 404 404 404 404 302",
    ("POST", "/start/<key>"):                                          "404 404 403 404 404 404 404 302",
    ("GET", "/static/<path:filename>"):                                "200 200 200 200 200 200 200 200",
    ("GET", "/tasks"):                                                 "200 200 200 200 200 200 200 302",
    ("GET", "/tasks/<task_id>"):                                       "200 200 200 200 200 404 404 302",
    ("POST", "/tasks/<task_id>"):                                      "403 403 403 403 422 404 404 302",
    ("POST", "/tasks/<task_id>/claim"):                                "403 403 403 403 302 404 404 302",
    ("POST", "/tasks/<task_id>/reassign"):                             "302 403 403 403 403 404 404 302",
    ("POST", "/tasks/<task_id>/unclaim"):                              "403 403 403 403 302 404 404 302",
    ("GET", "/tasks/static/<path:filename>"):                          "200 200 200 200 200 200 200 200",
    ("GET", "/vendor/<package>/<path:filename>"):                      "200 200 200 200 200 200 200 200",
    ("GET", "/admin/incidents"):                                       "200 403 403 403 403 403 403 302",
    ("POST", "/admin/incidents/<key>/resolve"):                        "302 403 403 403 403 403 403 302",
    ("POST", "/admin/incidents/retry"):                                "302 403 403 403 403 403 403 302",
    ("GET", "/admin/timers"):                                          "200 403 403 403 403 403 403 302",
    ("POST", "/admin/timers/<int:timer_id>/fire"):                     "302 403 403 403 403 403 403 302",
    ("GET", "/cases/<int:case_id>/data/edit"):                         "200 403 403 403 403 403 403 302",
    ("POST", "/cases/<int:case_id>/data/edit"):                        "422 403 403 403 403 403 403 302",
    ("POST", "/cases/<int:case_id>/tasks/<task_id>/reassign"):         "302 403 403 403 403 403 403 302",
    ("POST", "/cases/<int:case_id>/suspend"):                          "302 403 403 403 403 403 403 302",
    ("POST", "/cases/<int:case_id>/resume"):                           "302 403 403 403 403 403 403 302",
    ("POST", "/cases/<int:case_id>/terminate"):                        "302 403 403 403 403 403 403 302",
}


@pytest.fixture
def world(app):
    return populate(app.extensions["liandong"])


def populate(engine):
    """The campaign's people (a process owner and an expert besides the demo set), one zj
    case with an open task and an attached file, and what the routes' URLs need."""
    with engine.db.transaction() as s:
        identity.create_organisation(s, "experts", "国家公共文化服务体系建设专家委员会",
                                     parent="ministry", kind="other")
        identity.create_user(s, "owner", password="secret-pass", display_name="流程管理员",
                             memberships=[("ministry", "process_owner")])
        identity.create_user(s, "expert", password="secret-pass", display_name="专家",
                             memberships=[("experts", "expert")])
        # whom the admin pages' actions are tried on (an empty form may deactivate them)
        identity.create_user(s, "target", password="secret-pass", display_name="试用",
                             memberships=[("nj", "city")])
    engine.actors.clear()
    started = engine.start_case("activity_plan", "zj_staff", {"province": "浙江"})
    done = engine.complete_task(started.tasks[0], "zj_staff", {
        "title": "展览", "form": "exhibition", "budget": 1, "start_date": "2016-05-01"})
    stored = attachments.attach(engine, engine.actor("zj_staff"), started.case_id, "plan.pdf",
                                PDF, done.tasks[0])
    engine.create_token("system", "target", "revoked by whom may")
    with engine.db.read() as s:
        from engine.storage import ApiToken, Membership, ProcessVersion, User
        from sqlalchemy import select
        version = s.scalar(select(ProcessVersion).order_by(ProcessVersion.id))
        membership = s.scalar(select(Membership.id).join(User).where(User.username == "target"))
        key, number = version.model.key, version.version
        version_id = version.id
        token_id = s.scalar(select(ApiToken.id).join(User, User.id == ApiToken.user_id)
                            .where(User.username == "target"))
        from engine.storage import Timer
        timer_id = s.scalar(select(Timer.id).order_by(Timer.id)) or 999_999
    name = "plan_review.bpmn" if key == "plan_review" else "activity_plan.bpmn"
    return {
        "case_id": started.case_id, "task_id": done.tasks[0], "version_id": version_id,
        "key": key, "version": number, "name": name, "username": "target",
        "membership_id": membership, "token_id": token_id, "timer_id": timer_id, "file_id": stored.id, "filename": "style.css",
        "package": "bpmn-js", "tokens": {role: engine.create_token("system", user, "matrix")
                                         for role, user in USERS.items() if user},
    }


def _url(app, rule, world):
    """The rule with its arguments filled from `world` (a static file that exists)."""
    values = {}
    for arg in rule.arguments:
        if arg == "filename":
            values[arg] = _static_file(app, rule.endpoint, world)
        else:
            values[arg] = world[arg]
    with app.test_request_context():
        from flask import url_for
        return url_for(rule.endpoint, **values)


def _static_file(app, endpoint, world):
    if endpoint == "vendor.dist":
        return "bpmn-modeler.production.min.js"
    blueprint = endpoint.rpartition(".")[0]
    folder = app.static_folder if not blueprint else app.blueprints[blueprint].static_folder
    root = Path(folder)
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file())[0]


def _ask(app, role, method, url, world, clients, form):
    if url.startswith("/api/"):
        client = app.test_client()
        headers = {"Authorization": f"Bearer {world['tokens'][role]}"} if role in world["tokens"] else {}
        response = client.open(url, method=method, json={} if method == "POST" else None,
                               headers=headers)
    else:
        person = clients[role]
        if url in ("/login", "/logout") and method == "POST":
            person = Staff(app, USERS[role])
        if method == "GET":
            response = person.client.get(url)
        else:
            response = person.client.post(url, data={**form, "csrf_token": _token(person)})
    response.get_data()
    response.close()
    if url == "/logout" and method == "POST" and USERS[role]:
        clients[role] = Staff(app, USERS[role])  # signing out ends every session of the person
    return response.status_code


def _token(person):
    """A CSRF token of the person's own session (from a page they may open)."""
    if person.token is None:
        page = person.client.get("/login").get_data(as_text=True)
        found = CSRF.search(page)
        person.token = found.group(1) if found else ""
    return person.token


#: What an action is posted with besides the CSRF token, when an empty form would be turned
#: away before the engine is asked (a reason is required first).
FORMS = {"cases.edit_data": {"reason": "matrix", "name": "matrix_probe", "remove": "1"}, "cases.retry": {"reason": "matrix"},
         "cases.terminate": {"reason": "matrix"}, "cases.suspend": {"reason": "matrix"},
         "cases.resume": {"reason": "matrix"}, "cases.reassign": {"reason": "matrix"},
         "cases.edit_data_post": {"reason": "matrix"}, "admin.retry_incidents": {"comment": "matrix"},
         "admin.resolve_incident": {"comment": "matrix"}, "admin.fire_timer": {"reason": "matrix"}}
#: Asked last, because the first who may do it changes the case for everyone after.
LAST = ("cases.suspend", "cases.resume", "cases.terminate")


def observe(app, world, endpoints=None):
    clients = {role: Staff(app, user) for role, user in USERS.items()}
    seen = {}
    rules = sorted(app.url_map.iter_rules(), key=lambda r: (r.endpoint in LAST, r.rule))
    for rule in rules:
        if endpoints is not None and rule.endpoint not in endpoints:
            continue
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            url = _url(app, rule, world)
            seen[(method, rule.rule)] = " ".join(
                str(_ask(app, role, method, url, world, clients, FORMS.get(rule.endpoint, {})))
                for role in ROLES)
    return seen


def test_every_route_answers_each_role_as_the_matrix_says(app, world):
    seen = observe(app, world)
    if os.environ.get("LIANDONG_PRINT_MATRIX"):
        for (method, rule), statuses in seen.items():
            print(f'    ("{method}", "{rule}"):{" " * max(1, 58 - len(method) - len(rule))}"{statuses}",')
    missing = sorted(set(seen) - set(MATRIX))
    assert not missing, f"routes without a row in MATRIX (add them): {missing}"
    stale = sorted(set(MATRIX) - set(seen))
    assert not stale, f"rows in MATRIX for routes that no longer exist: {stale}"
    wrong = {route: (MATRIX[route], seen[route]) for route in MATRIX if MATRIX[route] != seen[route]}
    assert not wrong, "expected vs seen (" + " ".join(ROLES) + "):\n" + "\n".join(
        f"{m} {r}: {want} != {got}" for (m, r), (want, got) in wrong.items())


#: On a training instance the clock's page exists, for administrators.
TRAINING = {
    ("GET", "/admin/clock"):                                           "200 403 403 403 403 403 403 302",
    ("POST", "/admin/clock"):                                          "302 403 403 403 403 403 403 302",
}


def test_the_clock_on_a_training_instance(settings, clock):
    from engine import Engine
    from engine.storage.schema import upgrade
    from tests.conftest import bpmn, demo_data
    from web import create_app
    engine = Engine(settings.with_(training=True), clock)
    try:
        upgrade(engine.db)
        demo_data(engine)
        for model in ("plan_review.bpmn", "activity_plan.bpmn"):
            engine.deploy(bpmn(model))
        app = create_app({"TESTING": True}, engine=engine)
        seen = observe(app, populate(engine), endpoints={"admin.clock", "admin.move_clock"})
        assert seen == TRAINING
        assert engine.now() == clock.now()  # the empty form moved nothing
    finally:
        engine.close()
