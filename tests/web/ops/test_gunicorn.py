"""The app under real gunicorn with deploy/gunicorn.conf.py: /metrics sums every worker
(prometheus-client's multiprocess mode), and every line on stderr is JSON."""
import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import time

from prometheus_client.parser import text_string_to_metric_families

from engine import Engine, Settings
from engine.storage.schema import upgrade
from tests.conftest import ROOT


def _get(port, path):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request("GET", path)
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def _healthz_count(body: bytes) -> float:
    return sum(s.value for family in text_string_to_metric_families(body.decode())
               for s in family.samples
               if s.name == "liandong_http_request_duration_seconds_count"
               and s.labels.get("endpoint") == "ops.healthz")


def test_metrics_add_up_across_gunicorn_workers_and_logs_are_json(tmp_path):
    url = f"sqlite:///{tmp_path / 'g.sqlite3'}"
    engine = Engine(Settings(instance_path=tmp_path / "instance", database_url=url))
    upgrade(engine.db)
    engine.close()
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = dict(os.environ, LIANDONG_DATABASE_URL=url,
               LIANDONG_INSTANCE_PATH=str(tmp_path / "instance"),
               PROMETHEUS_MULTIPROC_DIR=str(tmp_path / "metrics"),
               LIANDONG_BIND=f"127.0.0.1:{port}", WEB_CONCURRENCY="3")
    log = tmp_path / "gunicorn.log"
    with log.open("w") as out:
        proc = subprocess.Popen([sys.executable, "-m", "gunicorn", "--config",
                                 str(ROOT / "deploy" / "gunicorn.conf.py")],
                                env=env, stdout=out, stderr=out, cwd=ROOT)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if _get(port, "/readyz")[0] == 200:
                    break
            except OSError:
                time.sleep(0.3)
        for _ in range(30):
            assert _get(port, "/healthz")[0] == 200
        # whichever worker answers the scrape reports all of them
        counts = {_healthz_count(_get(port, "/metrics")[1]) for _ in range(6)}
        assert counts == {30.0}, log.read_text()[-2000:]
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(30)
    lines = [line for line in log.read_text().splitlines() if line.strip()]
    assert lines and all(json.loads(line)["level"] for line in lines), lines[:5]
