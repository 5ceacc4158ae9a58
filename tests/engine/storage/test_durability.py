"""SQLite commits are durable by default (synchronous=FULL); the setting trades it."""
import pytest
from sqlalchemy import text

from engine import Engine, Settings

LEVELS = {0: "OFF", 1: "NORMAL", 2: "FULL", 3: "EXTRA"}


def _synchronous(engine) -> str:
    with engine.db.engine.connect() as conn:
        return LEVELS[conn.execute(text("PRAGMA synchronous")).scalar_one()]


def test_sqlite_is_full_by_default_and_normal_when_asked(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'd.sqlite3'}"
    monkeypatch.delenv("LIANDONG_SQLITE_SYNCHRONOUS", raising=False)
    default = Engine(Settings.from_env(database_url=url))
    monkeypatch.setenv("LIANDONG_SQLITE_SYNCHRONOUS", "normal")
    traded = Engine(Settings.from_env(database_url=url))
    try:
        assert _synchronous(default) == "FULL"
        assert _synchronous(traded) == "NORMAL"
    finally:
        default.close()
        traded.close()


def test_an_unknown_mode_is_refused_with_the_choices(tmp_path):
    with pytest.raises(ValueError, match="OFF, NORMAL, FULL, EXTRA"):
        Engine(Settings(database_url=f"sqlite:///{tmp_path / 'd.sqlite3'}",
                        sqlite_synchronous="sometimes"))
