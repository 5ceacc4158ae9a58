"""Metrics: commands by kind and outcome (conflicts too), timers fired and their lateness,
script errors, and the database's gauges, in Prometheus' text format with the prefix."""
from datetime import timedelta

import pytest
from prometheus_client import REGISTRY
from prometheus_client.parser import text_string_to_metric_families

from engine import Conflict
from engine.bench.timer_bench import MODEL as WAIT_MODEL
from engine.ops import metrics
from engine.scheduler import Ticker
from tests.conftest import bpmn


def value(name, **labels):
    return REGISTRY.get_sample_value(name, labels) or 0.0


def scrape(engine) -> dict:
    body, content_type = metrics.render(engine)
    assert content_type.startswith("text/plain")
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(body.decode()) for s in family.samples}


def test_commands_are_counted_by_kind_and_outcome(campaign_orgs):
    engine = campaign_orgs
    engine.deploy(bpmn("plan_review.bpmn"))
    before = {o: value("liandong_commands_total", kind="complete_task", outcome=o)
              for o in ("ok", "conflict")}
    started = engine.start_case("plan_review", "zj_staff")
    engine.complete_task(started.tasks[0], "zj_staff", {"title": "原方案", "budget": 9})
    with pytest.raises(Conflict):
        engine.complete_task(started.tasks[0], "zj_staff", {"title": "原方案", "budget": 9})
    assert value("liandong_commands_total", kind="complete_task", outcome="ok") == before["ok"] + 1
    assert value("liandong_commands_total", kind="complete_task",
                 outcome="conflict") == before["conflict"] + 1


def test_script_errors_are_counted(campaign_orgs, clock):
    engine = campaign_orgs
    engine.deploy(bpmn("timers/wait.bpmn"))
    before = value("liandong_script_errors_total")
    engine.start_case("wait", data={"plan_deadline": "2016-04-02T00:00:00+00:00"})
    clock.advance(timedelta(days=2))
    assert engine.fire_due_timers().failed == 1  # budget_per_city is missing: the script fails
    assert value("liandong_script_errors_total") == before + 1


def test_fired_timers_their_lateness_and_the_database_gauges(engine, clock):
    engine.deploy({"bench_timer.bpmn": WAIT_MODEL})
    fired = value("liandong_timers_fired_total")
    late = value("liandong_timer_lateness_seconds_count")
    engine.start_case("bench_timer", data={"due": (clock.now() + timedelta(minutes=1)).isoformat()})
    engine.start_case("bench_timer", data={"due": (clock.now() + timedelta(days=1)).isoformat()})
    clock.advance(timedelta(minutes=1, seconds=30))
    gauges = scrape(engine)
    assert gauges[("liandong_database_up", ())] == 1
    assert gauges[("liandong_due_timers", ())] == 1
    assert gauges[("liandong_open_incidents", ())] == 0

    Ticker(engine, "node-m")()
    assert value("liandong_timers_fired_total") == fired + 1
    assert value("liandong_timer_lateness_seconds_count") == late + 1
    gauges = scrape(engine)
    assert gauges[("liandong_due_timers", ())] == 0
    assert gauges[("liandong_scheduler_heartbeat_age_seconds", (("node", "node-m"),))] == 0
    assert all(name.startswith(("liandong_", "python_", "process_")) for name, _ in gauges)


def test_a_scrape_answers_when_the_database_does_not(settings):
    from engine import Engine
    gone = Engine(settings.with_(database_url="postgresql+psycopg://nobody@127.0.0.1:9/none"))
    try:
        assert scrape(gone)[("liandong_database_up", ())] == 0
    finally:
        gone.close()
