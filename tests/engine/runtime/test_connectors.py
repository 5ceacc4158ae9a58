"""Service tasks through the connector registry: the HTTP connector against a real HTTP
server in a thread, its allow-list, timeout and size cap; an unknown operator warned at
deploy and failing cleanly at run time."""
import base64
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from engine import ExecutionError
from engine.models.checks import check_files
from engine.runtime.connectors import ConnectorError
from engine.runtime.http_connector import host_allowed
from engine.storage import Case

from tests.conftest import DATA

MODELS = DATA / "spiffarena" / "misc"


class Handler(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def _send(self, status, payload, content_type="application/json; charset=utf-8"):
        body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        if self.path.startswith("/plan"):
            self._send(200, {"title": "春季联动演出", "query": self.path.partition("?")[2],
                             "accept": self.headers.get("Accept")})
        elif self.path == "/slow":
            time.sleep(2)
            try:
                self._send(200, {"late": True})
            except (BrokenPipeError, ConnectionResetError):
                pass  # the connector gave up waiting, as the test wants
        elif self.path == "/big":
            self._send(200, b"x" * 300_000, "text/plain")
        elif self.path == "/redirect":
            self.send_response(302)
            self.send_header("Location", f"http://localhost:{self.server.server_port}/plan")
            self.end_headers()
        else:
            self._send(404, {"error": "no such thing"})

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        auth = base64.b64decode(self.headers["Authorization"].split()[1]).decode()
        self._send(201, {"received": json.loads(body), "auth": auth,
                         "type": self.headers.get("Content-Type")})


@pytest.fixture(scope="module")
def server():
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_port}"
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture
def engine(campaign_orgs):
    engine = campaign_orgs
    engine.settings = engine.settings.with_(http_connector_hosts=("127.0.0.1",),
                                            http_connector_timeout=0.5,
                                            http_connector_max_bytes=100_000)
    return engine


def deploy(engine, folder):
    files = {p.name: p.read_bytes() for p in (MODELS / folder).glob("*.bpmn")}
    return engine.deploy(files)


def test_get_then_post_store_results_as_spiffarena_does(engine, server):
    _key, _version, _created, warnings = deploy(engine, "http-calls")
    assert not [w for w in warnings if w.rule == "service-operator"]
    started = engine.start_case("Process_http_calls", "zj_staff", {"base_url": server})
    data = engine.case_data(started.case_id, "admin")
    plan = data["plan_response"]
    assert plan["http_status"] == 200 and plan["mimetype"] == "application/json"
    assert plan["body"] == {"title": "春季联动演出", "query": "province=zj", "accept": "application/json"}
    assert data["echo"] == {"http_status": 201, "mimetype": "application/json",
                            "body": {"received": {"title": "春季联动演出"}, "auth": "liandong:s3cret",
                                     "type": "application/json"}}


@pytest.mark.parametrize("path, hosts, message", [
    ("/plan", ("example.cn",), "The host '127.0.0.1' is not in the HTTP connector's allowed hosts"),
    ("/slow", ("127.0.0.1",), "did not answer within 0.5 s"),
    ("/big", ("127.0.0.1",), "larger than 100000 bytes"),
    ("/missing", ("127.0.0.1",), "answered HTTP 404"),
    ("/redirect", ("127.0.0.1",), "The host 'localhost' is not in the HTTP connector's allowed hosts"),
])
def test_refused_calls_fail_the_case_clearly(engine, server, path, hosts, message):
    engine.settings = engine.settings.with_(http_connector_hosts=hosts)
    deploy(engine, "http-calls")
    # the model appends "/plan" to base_url: a fragment makes the path under test stay
    base_url = server if path == "/plan" else f"{server}{path}#"
    began = time.monotonic()
    with pytest.raises(ExecutionError) as err:
        engine.start_case("Process_http_calls", "zj_staff", {"base_url": base_url})
    assert message in str(err.value)
    assert "Activity_get" in str(err.value)
    assert "name 'script' is not defined" not in str(err.value)
    assert time.monotonic() - began < 1.8  # the timeout bounds the wait, not the server
    with engine.db.read() as s:
        assert s.query(Case).count() == 0  # nothing half-written


def test_unknown_operator_is_warned_at_deploy_and_fails_cleanly_at_run(engine):
    files = {p.name: p.read_bytes() for p in (MODELS / "unknown-connector").glob("*.bpmn")}
    problems = [p for p in check_files(files) if p.rule == "service-operator"]
    assert len(problems) == 1
    problem = problems[0]
    assert (problem.severity, problem.element_id, problem.line) == ("warning", "Activity_invoice", 8)
    assert "No connector named 'xero/CreateInvoice'" in problem.message
    _key, _version, _created, warnings = deploy(engine, "unknown-connector")
    assert [w.rule for w in warnings if w.rule == "service-operator"] == ["service-operator"]
    with pytest.raises(ExecutionError) as err:
        engine.start_case("Process_unknown_connector", "zj_staff")
    text = str(err.value)
    assert "Activity_invoice" in text and "No connector named 'xero/CreateInvoice'" in text
    assert "name 'script' is not defined" not in text


def test_registry_checks_parameters(engine):
    with pytest.raises(ConnectorError, match="needs the parameter"):
        engine.connectors.call("http/GetRequest", {})
    with pytest.raises(ConnectorError, match="has no parameter"):
        engine.connectors.call("http/GetRequest", {"url": "http://127.0.0.1/", "body": 1})
    with pytest.raises(ConnectorError, match="only http and https"):
        engine.connectors.call("http/GetRequest", {"url": "file:///etc/passwd"})


def test_host_allow_list_forms():
    assert host_allowed("api.gov.cn", 443, ["*.gov.cn"])
    assert host_allowed("gov.cn", 443, ["*.gov.cn"])
    assert not host_allowed("evilgov.cn", 443, ["*.gov.cn"])
    assert host_allowed("127.0.0.1", 8080, ["127.0.0.1:8080"])
    assert not host_allowed("127.0.0.1", 8081, ["127.0.0.1:8080"])
    assert not host_allowed("example.cn", 443, [])
