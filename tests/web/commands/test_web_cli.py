"""`liandong create-token` and `liandong run`."""
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from click.testing import CliRunner
from sqlalchemy import select

from engine.storage import ApiToken
from tests.conftest import DATA
from engine.people.tokens import digest
from web.commands import main


def test_create_token_prints_it_once_and_stores_its_hash(campaign_orgs, monkeypatch, tmp_path):
    engine = campaign_orgs
    monkeypatch.setenv("LIANDONG_DATABASE_URL", engine.settings.database_url)
    monkeypatch.setenv("LIANDONG_INSTANCE_PATH", str(tmp_path))
    result = CliRunner().invoke(main, ["create-token", "zj_staff", "--label", "ci"])
    assert result.exit_code == 0, result.output
    token = result.output.strip()
    with engine.db.read() as s:
        row = s.scalars(select(ApiToken)).one()
    assert row.token_sha256 == digest(token) and row.label == "ci"
    result = CliRunner().invoke(main, ["create-token", "nobody"])
    assert result.exit_code == 1 and "nobody" in result.output and "Traceback" not in result.output


def _free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_run_serves_the_app(tmp_path):
    port = _free_port()
    env = dict(os.environ, LIANDONG_INSTANCE_PATH=str(tmp_path),
               LIANDONG_DATABASE_URL=f"sqlite:///{tmp_path / 'run.sqlite3'}",
               LIANDONG_FORMS_DIR=str(DATA / "forms"))
    liandong = Path(sys.executable).parent / "liandong"
    proc = subprocess.Popen([str(liandong), "run", "--port", str(port)], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        body = None
        for _ in range(100):
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/login", timeout=2) as response:
                    body = response.read().decode()
                break
            except OSError:
                time.sleep(0.1)
        assert body is not None and "联动" in body and 'name="password"' in body
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        proc.stdout.close()
