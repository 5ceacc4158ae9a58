"""/healthz, /readyz, /metrics, the request id, and 503 with Retry-After (page and API
problem+json) while the database is unreachable, recovered without a restart."""
import io
import json
import logging
import socket
import urllib.request

import pytest
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy.engine import make_url

from engine import Engine
from engine.ops import logs
from tests.web.conftest import CSRF
from web import create_app

CLOSED = "postgresql+psycopg://nobody@127.0.0.1:9/none"


@pytest.fixture
def outage_app(settings):
    """The app on a database URL nobody answers (a closed port)."""
    engine = Engine(settings.with_(database_url=CLOSED))
    yield create_app({"TESTING": True}, engine=engine)
    engine.close()


@pytest.fixture
def log_lines(settings):
    root = logging.getLogger()
    level, handlers = root.level, list(root.handlers)
    stream = io.StringIO()
    logs.configure(settings, stream)
    yield lambda: [json.loads(line) for line in stream.getvalue().splitlines()]
    for handler in root.handlers[:]:
        if handler not in handlers:
            root.removeHandler(handler)
    root.setLevel(level)


def test_healthz_answers_without_sign_in_or_database(app, outage_app):
    for each in (app, outage_app):
        response = each.test_client().get("/healthz")
        assert response.status_code == 200 and response.json == {"status": "ok"}


def test_readyz_is_200_when_ready_and_503_with_the_reason_when_not(app, outage_app):
    ready = app.test_client().get("/readyz")
    assert ready.status_code == 200 and ready.json["status"] == "ok"
    assert ready.json["schema"] == ready.json["expected_schema"]
    down = outage_app.test_client().get("/readyz")
    assert down.status_code == 503 and down.headers["Retry-After"] == "5"
    assert down.json["reason"].startswith("database unreachable")


def test_every_response_carries_a_request_id(app):
    client = app.test_client()
    first, second = client.get("/healthz"), client.get("/login")
    assert len(first.headers["X-Request-ID"]) == 32
    assert first.headers["X-Request-ID"] != second.headers["X-Request-ID"]
    kept = client.get("/healthz", headers={"X-Request-ID": "lb-0123456789"})
    assert kept.headers["X-Request-ID"] == "lb-0123456789"
    forged = client.get("/healthz", headers={"X-Request-ID": 'x", "level": "ERROR'})
    assert len(forged.headers["X-Request-ID"]) == 32  # not what was sent


def _samples(body: bytes) -> dict:
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(body.decode()) for s in family.samples}


def test_metrics_report_request_latency_by_endpoint_and_status(app):
    client = app.test_client()
    client.get("/login")
    client.get("/no-such-page")
    response = client.get("/metrics")
    assert response.status_code == 200 and response.content_type.startswith("text/plain")
    samples = _samples(response.data)
    assert samples[("liandong_http_request_duration_seconds_count",
                    (("endpoint", "auth.login"), ("method", "GET"), ("status", "200")))] >= 1
    assert samples[("liandong_http_request_duration_seconds_count",
                    (("endpoint", "none"), ("method", "GET"), ("status", "404")))] >= 1
    assert samples[("liandong_database_up", ())] == 1
    assert ("liandong_due_timers", ()) in samples


def _free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_metrics_can_be_turned_off_or_moved_to_another_port(engine):
    from engine.ops import metrics
    off = create_app({"TESTING": True}, engine=Engine(engine.settings.with_(metrics_enabled=False)))
    assert off.test_client().get("/metrics").status_code == 404
    port = _free_port()
    moved = Engine(engine.settings.with_(metrics_port=port))
    assert create_app({"TESTING": True}, engine=moved).test_client().get("/metrics").status_code == 404
    server = metrics.serve(moved, port)
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10) as answer:
            assert ("liandong_database_up", ()) in _samples(answer.read())
    finally:
        server.shutdown()
        server.server_close()
        off.extensions["liandong"].close()
        moved.close()


def test_an_unreachable_database_is_503_with_retry_after_in_the_api(outage_app):
    response = outage_app.test_client().get("/api/v1/tasks",
                                            headers={"Authorization": "Bearer ld_x"})
    assert response.status_code == 503 and response.headers["Retry-After"] == "5"
    assert response.mimetype == "application/problem+json"
    body = response.json
    assert body["status"] == 503 and body["title"] and body["detail"]
    assert body["type"] == "about:blank"


def test_an_unreachable_database_is_a_503_page_in_chinese_and_in_english(outage_app):
    client = outage_app.test_client()
    token = CSRF.search(client.get("/login").get_data(as_text=True)).group(1)
    response = client.post("/login", data={"username": "zj_staff", "password": "x",
                                           "csrf_token": token})
    assert response.status_code == 503 and response.headers["Retry-After"] == "5"
    page = response.get_data(as_text=True)
    assert "服务暂不可用" in page and "暂时无法连接数据库" in page and "Traceback" not in page
    client = outage_app.test_client()
    token = CSRF.search(client.get("/login").get_data(as_text=True)).group(1)
    english = client.post("/login", data={"username": "zj_staff", "password": "x",
                                          "csrf_token": token}, headers={"Accept-Language": "en"})
    assert english.status_code == 503 and "Service unavailable" in english.get_data(as_text=True)


def test_an_outage_logs_one_json_line_with_the_request_id_and_counts_the_rest(outage_app,
                                                                               log_lines):
    client = outage_app.test_client()
    ids = [client.get("/api/v1/tasks", headers={"Authorization": "Bearer ld_x"})
           .headers["X-Request-ID"] for _ in range(20)]
    errors = [line for line in log_lines() if line["level"] == "ERROR"]
    assert len(errors) == 1
    assert errors[0]["request_id"] == ids[0] and errors[0]["logger"] == "web.errors"
    assert "OperationalError" in errors[0]["traceback"]


def test_the_app_logs_json_unless_testing(engine):
    root = logging.getLogger()
    level, handlers = root.level, list(root.handlers)
    try:
        create_app({"TESTING": False}, engine=engine)
        ours = [h for h in root.handlers if h not in handlers]
        assert len(ours) == 1 and ours[0].formatter.__class__.__name__ == "JsonFormatter"
    finally:
        for handler in root.handlers[:]:
            if handler not in handlers:
                root.removeHandler(handler)
        root.setLevel(level)


@pytest.mark.postgres
def test_the_app_recovers_when_the_database_comes_back_without_a_restart(app, database_url):
    """The database goes away under a running app (its pooled connections cut) and comes
    back: 503 meanwhile, then the same app answers again."""
    if not database_url.startswith("postgresql"):
        pytest.skip("a TCP relay in front of PostgreSQL")
    from tests.web.ops.proxy import Relay
    target = make_url(database_url)
    relay = Relay(target.host, target.port or 5432)
    port = relay.start()
    engine = Engine(app.extensions["liandong"].settings.with_(
        database_url=database_url.replace(f"{target.host}:{target.port or 5432}",
                                          f"127.0.0.1:{port}")))
    relayed = create_app({"TESTING": True}, engine=engine)
    client = relayed.test_client()
    try:
        assert client.get("/readyz").status_code == 200
        relay.stop()
        assert client.get("/readyz").status_code == 503
        token = CSRF.search(client.get("/login").get_data(as_text=True)).group(1)
        down = client.post("/login", data={"username": "zj_staff", "password": "secret-pass",
                                           "csrf_token": token})
        assert down.status_code == 503
        relay.start()  # the same port again
        assert client.get("/readyz").status_code == 200
        token = CSRF.search(client.get("/login").get_data(as_text=True)).group(1)
        back = client.post("/login", data={"username": "zj_staff", "password": "secret-pass",
                                           "csrf_token": token})
        assert back.status_code == 302
    finally:
        relay.stop()
        engine.close()
