"""The campaign as data: calendars, organisations from CSV, the demo set-up."""
import json

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from engine import InvalidData
from engine.campaign import setup as campaign
from engine.people import organisations
from engine.storage import Organisation
from web.commands import main

from tests.engine.campaign.campaign_support import CALENDAR, PROCESSES


def test_the_2016_calendar_loads():
    calendar = campaign.load_calendar(CALENDAR)
    assert len(calendar["provinces"]) == 31 and calendar["dates"]["plan_deadline"].startswith("2016-04-20")


def test_a_bad_calendar_names_every_problem(tmp_path):
    calendar = json.loads(CALENDAR.read_text("utf-8"))
    calendar["dates"]["plan_deadline"] = "20 April"
    calendar["dates"]["evaluation"] = "2016-01-01T00:00:00+08:00"
    calendar["provinces"] = []
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(calendar), "utf-8")
    with pytest.raises(InvalidData) as err:
        campaign.load_calendar(path)
    assert set(err.value.field_errors) == {"dates.plan_deadline", "dates.evaluation", "provinces"}
    with pytest.raises(InvalidData, match="not valid JSON"):
        (tmp_path / "broken.json").write_text("{", "utf-8")
        campaign.load_calendar(tmp_path / "broken.json")


def test_import_orgs_is_idempotent_and_updates(engine, tmp_path):
    with engine.db.transaction() as s:
        first = organisations.import_organisations(s, PROCESSES / "organisations.csv")
    assert len(first.created) == 72 and not first.updated
    changed = tmp_path / "orgs.csv"
    text = (PROCESSES / "organisations.csv").read_text("utf-8").replace("杭州市,Hangzhou,3", "杭州市,Hangzhou City,3")
    changed.write_text(text, "utf-8")
    with engine.db.transaction() as s:
        second = organisations.import_organisations(s, changed)
        assert second.created == [] and second.updated == ["zj-hangzhou"] and len(second.unchanged) == 71
        hangzhou = s.scalar(select(Organisation).where(Organisation.code == "zj-hangzhou"))
        assert (hangzhou.path, hangzhou.name_en, hangzhou.attributes) == ("/ministry/zj/zj-hangzhou/", "Hangzhou City", {"batch": 3})
        assert s.query(Organisation).count() == 72


def test_bad_org_rows_are_reported_by_line_and_nothing_is_imported(engine, tmp_path):
    path = tmp_path / "orgs.csv"
    path.write_text("code,kind,parent,name,name_en,batch\nministry,ministry,,部,,\n"
                    "zj,province,nowhere,浙江,,\nzj-hz,city,ministry,,,\nx,town,ministry,某地,,7\n", "utf-8")
    with pytest.raises(InvalidData) as err, engine.db.transaction() as s:
        organisations.import_organisations(s, path)
    assert set(err.value.field_errors) == {"line 3", "line 4", "line 5"}
    assert "parent 'nowhere'" in err.value.field_errors["line 3"][0]
    with engine.db.transaction() as s:
        assert s.query(Organisation).count() == 0
    result = CliRunner().invoke(main, ["import-orgs", str(path)],
                                env={"LIANDONG_DATABASE_URL": engine.settings.database_url})
    assert result.exit_code == 1 and "line 4: name is required" in result.output


def test_setup_demo_twice_prints_the_same_users(database_url, tmp_path):
    env = {"LIANDONG_DATABASE_URL": database_url, "LIANDONG_INSTANCE_PATH": str(tmp_path)}
    first = CliRunner().invoke(main, ["setup-demo"], env=env)
    second = CliRunner().invoke(main, ["setup-demo"], env=env)
    assert first.exit_code == 0, first.output
    assert second.exit_code == 0, second.output
    users = lambda out: out[out.index("demo users"):]
    assert users(first.output) == users(second.output)
    assert "deployed campaign v1" in first.output and "unchanged campaign v1" in second.output
    for role in ("ministry@ministry", "province@zj", "city@zj-hangzhou", "expert@experts",
                 "auditor@ministry", "process_owner@ministry", "admin@ministry"):
        assert role in first.output
    assert "started" not in first.output  # starts nothing unless asked


def test_shift_calendar_keeps_every_interval():
    from datetime import datetime, timedelta
    calendar = campaign.load_calendar(CALENDAR)
    start = datetime.fromisoformat("2027-03-01T10:00:00+08:00")
    shifted = campaign.shift_calendar(calendar, start)
    before = {k: datetime.fromisoformat(v) for k, v in calendar["dates"].items()}
    after = {k: datetime.fromisoformat(v) for k, v in shifted["dates"].items()}
    assert after["deployment"] == start
    assert {k: after[k] - before[k] for k in after} == {k: after["deployment"] - before["deployment"] for k in after}
    assert after["plan_deadline"] - after["deployment"] == timedelta(days=15, hours=9)
    campaign.check_calendar(shifted)
