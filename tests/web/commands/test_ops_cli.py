"""`liandong status`, `backup`, `restore` from the command line, and a real scheduler
process: its heartbeat shows in status, its log lines are JSON, SIGTERM stops it."""
import json
import os
import signal
import subprocess
import sys
import time
from datetime import timedelta

from engine import Engine
from engine.bench.timer_bench import MODEL as WAIT_MODEL
from engine.scheduler import Ticker
from engine.storage.schema import upgrade
from tests.conftest import DATA, bpmn, demo_data


def test_status_says_what_is_wrong_and_exits_1_until_all_is_well(cli, settings):
    out = cli("status", code=1)
    assert "init-db" in out and "PROBLEM" in out
    cli("init-db")
    out = cli("status", code=1)
    assert "due timers 0" in out and "no scheduler has written a heartbeat" in out
    engine = Engine(settings)
    try:
        Ticker(engine, "node-cli")()
    finally:
        engine.close()
    out = cli("status")
    header, row = [line.split() for line in out.splitlines() if line.startswith("  ")]
    assert header[:3] == ["NODE", "HOST", "PID"]
    assert row[0] == "node-cli" and row[-1] == "ok"


def test_backup_then_restore_into_an_empty_database(cli, campaign_orgs, second_database,
                                                    tmp_path, monkeypatch):
    engine = campaign_orgs
    engine.deploy(bpmn("plan_review.bpmn"))
    engine.start_case("plan_review", "zj_staff")
    archive = tmp_path / "nightly.backup"
    out = cli("backup", archive)
    assert "cases=1" in out and archive.is_file()
    assert "not empty" in cli("restore", archive, code=1)   # the live database: refused
    monkeypatch.setenv("LIANDONG_DATABASE_URL", second_database.database_url)
    monkeypatch.setenv("LIANDONG_INSTANCE_PATH", str(second_database.instance_path))
    out = cli("restore", archive)
    assert "cases=1" in out and "verify-audit" in out
    assert "every audit chain intact" in cli("verify-audit")
    assert "error:" in cli("restore", tmp_path / "missing.backup", code=1)


def test_a_scheduler_process_beats_logs_json_and_stops_on_sigterm(database_url, tmp_path):
    settings_env = dict(os.environ, LIANDONG_DATABASE_URL=database_url,
                        LIANDONG_INSTANCE_PATH=str(tmp_path / "instance"),
                        LIANDONG_FORMS_DIR=str(DATA / "forms"),
                        LIANDONG_HEARTBEAT_SECONDS="0.5")
    engine = Engine(_settings(database_url, tmp_path))
    try:
        upgrade(engine.db)
        demo_data(engine)
        engine.deploy({"bench_timer.bpmn": WAIT_MODEL})
        engine.start_case("bench_timer", data={"due": (engine.now() + timedelta(seconds=1)).isoformat()})
        log = tmp_path / "scheduler.log"
        with log.open("w") as out:
            proc = subprocess.Popen([sys.executable, "-c", "from web.commands import main; main()",
                                     "scheduler", "--tick", "0.2", "--node-id", "node-term"],
                                    env=settings_env, stdout=out, stderr=out)
        try:
            deadline = time.monotonic() + 30
            from engine.ops.health import status
            while time.monotonic() < deadline:
                found = status(engine)
                if found.schedulers and found.schedulers[0].fired == 1:
                    break
                time.sleep(0.2)
            assert [(s.node_id, s.fired) for s in found.schedulers] == [("node-term", 1)], \
                log.read_text()
            proc.send_signal(signal.SIGTERM)
            proc.wait(10)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait(5)
        lines = [json.loads(line) for line in log.read_text().splitlines() if line.strip()]
        assert lines and all({"time", "level", "logger", "message"} <= set(line) for line in lines)
        assert any(line["level"] == "INFO" and "ticking" in line["message"] for line in lines)
        assert not any(line["level"] == "ERROR" for line in lines)
    finally:
        engine.close()


def _settings(database_url, tmp_path):
    from engine import Settings
    return Settings(instance_path=tmp_path / "instance", database_url=database_url,
                    forms_dir=DATA / "forms")


def test_a_command_on_an_unreachable_database_is_one_line_not_a_traceback(monkeypatch):
    from click.testing import CliRunner
    from web.commands import main
    monkeypatch.setenv("LIANDONG_DATABASE_URL", "postgresql+psycopg://nobody@127.0.0.1:9/none")
    result = CliRunner().invoke(main, ["timers"], catch_exceptions=False)
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert "database cannot be reached" in result.output
    result = CliRunner().invoke(main, ["status"], catch_exceptions=False)
    assert result.exit_code == 1 and "database unreachable" in result.output
