"""The README's operator section and deploy/: every command it names exists, every file it
points to is there, and the units restart on failure and stop with SIGTERM."""
import configparser
import re
import runpy

from tests.conftest import ROOT
from web.commands import main

README = (ROOT / "README.md").read_text("utf-8")


def _section(title: str) -> str:
    start = README.index(f"## {title}")
    end = README.find("\n## ", start + 3)
    return README[start:end if end > 0 else None]


def test_the_operator_section_covers_run_watch_back_up_restore_and_pitr():
    section = _section("Operating it")
    for part in ("**Run.**", "**Watch.**", "**Back up.**", "**Restore.**",
                 "**Point-in-time recovery (PostgreSQL).**", "**Durability (SQLite).**"):
        assert part in section
    for needle in ("/healthz", "/readyz", "/metrics", "liandong status", "Retry-After",
                   "recovery_target_time", "restore_command", "pg_basebackup",
                   "verify-audit", "X-Request-ID", "synchronous"):
        assert needle in section, needle


def test_every_liandong_command_in_the_readme_exists():
    named = set(re.findall(r"^liandong ([a-z-]+)", README, re.M))
    named |= set(re.findall(r"`liandong ([a-z-]+)", README))
    assert {"status", "backup", "restore", "scheduler", "verify-audit"} <= named
    assert named <= set(main.commands), named - set(main.commands)
    assert {"engine", "cluster", "timers", "queries"} <= set(main.commands["bench"].commands)


def test_deploy_has_what_the_readme_points_to():
    for name in re.findall(r"`(liandong-[a-z@]+\.service|gunicorn\.conf\.py|Procfile|"
                           r"liandong\.env\.example)`", README):
        assert (ROOT / "deploy" / name).is_file(), name
    for unit in ("liandong-web.service", "liandong-scheduler@.service"):
        parsed = configparser.ConfigParser(strict=False, interpolation=None)
        parsed.read(ROOT / "deploy" / unit)
        service = parsed["Service"]
        assert service["Restart"] == "on-failure" and service["KillSignal"] == "SIGTERM"
        assert "liandong" in service["ExecStart"]
    procfile = dict(line.split(":", 1) for line in
                    (ROOT / "deploy" / "Procfile").read_text().splitlines() if line)
    assert set(procfile) == {"release", "web", "scheduler"}


def test_the_gunicorn_config_loads_and_collects_metrics_across_workers(monkeypatch, tmp_path):
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(tmp_path / "metrics"))
    config = runpy.run_path(str(ROOT / "deploy" / "gunicorn.conf.py"))
    assert config["wsgi_app"] == "web:create_app()" and config["worker_class"] == "gthread"
    (tmp_path / "metrics" / "counter_1.db").write_bytes(b"old")
    config["on_starting"](None)
    assert list((tmp_path / "metrics").iterdir()) == []  # last run's files are not counted again
    assert callable(config["child_exit"]) and callable(config["when_ready"])
