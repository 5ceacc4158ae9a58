"""Fixtures for the campaign's own models: the real processes/, forms/ and organisations,
an engine whose forms come from forms/, and a driver that works tasks by element id."""
from datetime import datetime, timedelta
from types import SimpleNamespace

import pytest
from sqlalchemy import select

from engine.campaign import setup as campaign
from engine.people import organisations
from engine.people import identity
from engine.config import ROOT, Settings
from engine.core import Engine
from engine.models.files import collect
from engine.storage import Case, CaseTask
from engine.storage.schema import upgrade

PROCESSES = ROOT / "processes"
CALENDAR = PROCESSES / "calendar-2016.json"
USERS = [("ministry_officer", "ministry", "ministry"), ("zj_staff", "zj", "province"),
         ("js_staff", "js", "province"), ("hz_staff", "zj-hangzhou", "city"),
         ("expert", "experts", "expert")]


@pytest.fixture
def campaign_engine(database_url, tmp_path, clock):
    settings = Settings(instance_path=tmp_path / "instance", database_url=database_url,
                        forms_dir=ROOT / "forms", script_time_limit=2.0)
    engine = Engine(settings, clock)
    upgrade(engine.db)
    with engine.db.transaction() as session:
        organisations.import_organisations(session, PROCESSES / "organisations.csv")
        for name, org, role in USERS:
            identity.create_user(session, name, "secret-pass", memberships=[(org, role)])
    for model in collect([PROCESSES]):
        engine.deploy(model.files)
    yield engine
    engine.close()


class Driver:
    """Moves the clock, fires timers, finds and completes tasks by element id."""

    def __init__(self, engine, clock):
        self.engine, self.clock = engine, clock
        self.calendar = campaign.load_calendar(CALENDAR)
        self.dates = {k: datetime.fromisoformat(v) for k, v in self.calendar["dates"].items()}

    def at(self, moment):
        self.clock.set(moment + timedelta(seconds=1))
        self.engine.fire_due_timers()
        self.engine.deliver_messages()

    def open(self, element_id, process_key=None):
        with self.engine.db.read() as session:
            query = select(CaseTask).where(CaseTask.state == "ready", CaseTask.element_id == element_id)
            if process_key:
                query = query.where(CaseTask.process_key == process_key)
            return list(session.scalars(query.order_by(CaseTask.created_at)))

    def complete(self, element_id, user, data=None):
        tasks = self.open(element_id)
        assert tasks, f"no open task {element_id}"
        return self.engine.complete_task(tasks[0].id, user, data or {})

    def case(self, process_key, business_key=None):
        with self.engine.db.read() as session:
            query = select(Case).where(Case.process_key == process_key)
            if business_key:
                query = query.where(Case.business_key == business_key)
            case = session.scalars(query.order_by(Case.id)).first()
            if case is None:
                return None
            return SimpleNamespace(id=case.id, status=case.status, facts=dict(case.facts or {}),
                                   business_key=case.business_key, parent_case_id=case.parent_case_id,
                                   organisation=SimpleNamespace(code=case.organisation.code))

    def start(self, provinces=("zj",)):
        campaign.start_campaign(self.engine, CALENDAR, "ministry_officer", list(provinces))
        self.at(self.dates["deployment"])
        self.complete("Task_Deploy", "ministry_officer", {"notice": "部署", "participating": list(provinces)})
        for _ in provinces:
            self.complete("Task_DeployProvince", "zj_staff" if _ == "zj" else "js_staff",
                          {"intra_provincial": "省内部署"})


def activity(name="越剧联动展演", budget=50000, host_city="zj-hangzhou", form="performance"):
    return {"name": name, "host_city": host_city, "form": form, "theme": "mass_activities",
            "partner_cities": ["js-suzhou"], "start_date": "2016-06-10", "end_date": "2016-06-12",
            "venue": "杭州大剧院", "budget": budget, "sponsorship": 10000}


def plan(*activities, host_exchange=False):
    data = {"plan_summary": "浙江省区域文化联动落实方案", "activities": list(activities) or [activity()],
            "host_exchange": host_exchange}
    if host_exchange:
        data.update(exchange_host_city="zj-hangzhou", exchange_theme="digitalisation", exchange_summary="申报")
    return data


@pytest.fixture
def driver(campaign_engine, clock):
    return Driver(campaign_engine, clock)
