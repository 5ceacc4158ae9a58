"""Real scheduler processes on one PostgreSQL: a timer fires once, a node killed with
kill -9 in the middle of firing loses nothing, a restart of everything loses no timer.
On a SQLite file and PostgreSQL: SIGTERM stops a node cleanly, giving back its claims,
and a node restarted under its id takes back the claims its last run left."""
import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta

import psycopg
import pytest
from sqlalchemy import func, select

from engine.clock import Clock
from engine.bench.timer_bench import MODEL
from engine.core import Engine
from engine.storage import AuditEvent, Case, Timer
from engine.storage.schema import upgrade
from engine.commands.timers import SLOW_FIRE_ENV

WAIT_MODEL = MODEL  # the benchmark's model: start, wait on the date in `due`, end

START_MODEL = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
                  id="Definitions_node_start" targetNamespace="http://bpmn.io/schema/bpmn">
  <bpmn:process id="node_start" isExecutable="true">
    <bpmn:startEvent id="At">
      <bpmn:timerEventDefinition id="T"><bpmn:timeDate>{when}</bpmn:timeDate></bpmn:timerEventDefinition>
    </bpmn:startEvent>
    <bpmn:sequenceFlow id="F1" sourceRef="At" targetRef="Finish" />
    <bpmn:endEvent id="Finish" />
  </bpmn:process>
</bpmn:definitions>
"""


@pytest.fixture
def live(settings, tmp_path):
    """An Engine on the real clock (PostgreSQL only), and a way to start scheduler nodes."""
    if not settings.database_url.startswith("postgresql"):
        pytest.skip("several scheduler processes need PostgreSQL")
    engine = Engine(settings.with_(timer_lease_seconds=2.0), Clock())
    upgrade(engine.db)
    engine.deploy({"bench_timer.bpmn": WAIT_MODEL})
    nodes = []

    def start_node(name, **env):
        log = open(tmp_path / f"{name}.log", "w")  # noqa: SIM115 - handed to the child
        environment = dict(os.environ, LIANDONG_DATABASE_URL=settings.database_url,
                           LIANDONG_INSTANCE_PATH=str(tmp_path / "instance"),
                           LIANDONG_TIMER_LEASE_SECONDS="2", **env)
        proc = subprocess.Popen(
            [sys.executable, "-c", "from web.commands import main; main()", "scheduler",
             "--tick", "0.2", "--node-id", name],
            env=environment, stdout=subprocess.DEVNULL, stderr=log)
        nodes.append(proc)
        log.close()  # the child has its own copy
        return proc

    yield engine, start_node, tmp_path
    for proc in nodes:
        if proc.poll() is None:
            proc.kill()
        proc.wait(10)
    engine.close()


def _logs(live) -> str:
    """The scheduler nodes' output and the timer rows, for a failure message."""
    with live[0].db.read() as s:
        rows = s.execute(select(Timer.id, Timer.due_at, Timer.status, Timer.claimed_by,
                                Timer.retry_at, Timer.last_error).limit(3)).all()
        rows += s.execute(select(Timer.status, func.count()).group_by(Timer.status)).all()
        rows += s.execute(select(AuditEvent.kind, func.count()).group_by(AuditEvent.kind)).all()
    return "\n".join([f"{log.name}:\n{log.read_text()[-3000:]}" for log in live[2].glob("*.log")]
                     + [f"now {live[0].now()}", *map(str, rows)])


def _start_cases(engine, count, due_in, together=False):
    """`count` cases waiting on a timer `due_in` after each starts (or, `together`, after
    the first starts: all due at the same moment)."""
    first = engine.now()
    started = []
    for _ in range(count):
        due = (first if together else engine.now()) + due_in
        started.append(engine.start_case("bench_timer", data={"due": due.isoformat()}))
    assert all(s.status == "running" for s in started), \
        f"setting up took longer than due_in: {engine.now() - first}, {[s.status for s in started]}"
    return [s.case_id for s in started]


def _fired_events(engine):
    with engine.db.read() as s:
        return s.execute(select(AuditEvent.case_id, AuditEvent.detail)
                         .where(AuditEvent.kind == "timer_fired")).all()


def _wait_until(condition, timeout):
    limit = time.monotonic() + timeout
    while time.monotonic() < limit:
        if condition():
            return True
        time.sleep(0.1)
    return False


@pytest.mark.postgres
def test_three_scheduler_processes_fire_each_timer_exactly_once(live):
    engine, start_node, _logs_dir = live
    cases = _start_cases(engine, 80, timedelta(seconds=8), together=True)
    for name in ("node-a", "node-b", "node-c"):
        start_node(name)
    assert _wait_until(lambda: len(_fired_events(engine)) >= len(cases), 30), _logs(live)
    time.sleep(1)  # a duplicate, if any, would land now
    events = _fired_events(engine)
    per_case = {}
    for case_id, _detail in events:
        per_case[case_id] = per_case.get(case_id, 0) + 1
    assert sorted(per_case) == sorted(cases) and set(per_case.values()) == {1}
    assert len({detail["node"] for _case, detail in events}) >= 2  # they really competed
    with engine.db.read() as s:
        assert s.scalar(select(func.count()).where(Case.status == "completed")) == len(cases)
        assert s.scalar(select(func.count()).where(Timer.status != "fired")) == 0


@pytest.mark.postgres
def test_kill_9_in_the_middle_of_firing_loses_nothing(live):
    engine, start_node, _logs_dir = live
    [case_id] = _start_cases(engine, 1, timedelta(seconds=1))
    victim = start_node("victim", **{SLOW_FIRE_ENV: "60"})

    def claimed_by_victim():
        with engine.db.read() as s:
            return s.scalar(select(Timer.claimed_by).where(Timer.case_id == case_id)) == "victim"
    assert _wait_until(claimed_by_victim, 20)
    url = engine.db.engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
    # proof that the victim is inside the fire transaction: it holds the case's row lock
    assert _wait_until(lambda: _case_locked(url, case_id), 10)
    victim.send_signal(signal.SIGKILL)
    victim.wait(10)
    assert _fired_events(engine) == []
    with engine.db.read() as s:
        row = s.scalar(select(Timer).where(Timer.case_id == case_id))
        assert (row.status, row.claimed_by) == ("pending", "victim")  # rolled back, claim left

    start_node("survivor")
    assert _wait_until(lambda: len(_fired_events(engine)) == 1, 20)
    time.sleep(0.5)
    [(fired_case, detail)] = _fired_events(engine)
    assert fired_case == case_id and detail["node"] == "survivor"
    with engine.db.read() as s:
        assert s.get(Case, case_id).status == "completed"


def _case_locked(url, case_id) -> bool:
    """True if another transaction holds `case_id`'s row lock right now."""
    with psycopg.connect(url, autocommit=False) as conn:
        try:
            conn.execute("SELECT id FROM cases WHERE id = %s FOR UPDATE NOWAIT", (case_id,))
            return False
        except psycopg.errors.LockNotAvailable:
            return True
        finally:
            conn.rollback()


@pytest.mark.postgres
def test_a_restart_of_everything_loses_no_timer(live):
    engine, start_node, _logs_dir = live
    when = (datetime.now(UTC) + timedelta(seconds=4)).isoformat()
    engine.deploy({"node_start.bpmn": START_MODEL.format(when=when).encode()})
    early = _start_cases(engine, 20, timedelta(seconds=2))
    late = _start_cases(engine, 20, timedelta(seconds=4))
    first = [start_node("first-a"), start_node("first-b")]
    assert _wait_until(lambda: len(_fired_events(engine)) >= len(early), 20)
    for proc in first:  # everything goes down, hard, before the later timers are due
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
    fired_before = len(_fired_events(engine))
    assert fired_before < len(early) + len(late) + 1
    time.sleep(4)  # the rest fall due while no scheduler runs
    for name in ("second-a", "second-b"):
        start_node(name)
    total = len(early) + len(late) + 1
    assert _wait_until(lambda: len(_fired_events(engine)) >= total, 20)
    time.sleep(0.5)
    events = _fired_events(engine)
    assert len(events) == total
    with engine.db.read() as s:
        assert s.scalar(select(func.count()).where(Case.status == "completed")) == total
        assert s.scalar(select(func.count()).select_from(Case)
                        .where(Case.process_key == "node_start")) == 1
        assert s.scalar(select(func.count()).where(Timer.status == "pending")) == 0


#: Longer than any wait below: a node starting takes seconds on a loaded two-core machine.
LONG_LEASE = 120.0


@pytest.fixture
def node(database_url, settings, tmp_path):
    """An Engine on the real clock with a long lease (`LONG_LEASE`, so that a claim freed
    sooner was given back, not expired), on a SQLite file or PostgreSQL, and a way to start
    `liandong scheduler` processes; `.log(name)` is a node's stderr."""
    engine = Engine(settings.with_(timer_lease_seconds=LONG_LEASE), Clock())
    upgrade(engine.db)
    engine.deploy({"bench_timer.bpmn": WAIT_MODEL})
    procs = []

    def start(name, **env):
        with open(tmp_path / f"{name}.log", "a") as log:
            environment = dict(os.environ, LIANDONG_DATABASE_URL=settings.database_url,
                               LIANDONG_INSTANCE_PATH=str(tmp_path / "instance"),
                               LIANDONG_TIMER_LEASE_SECONDS=str(LONG_LEASE), **env)
            proc = subprocess.Popen(
                [sys.executable, "-c", "from web.commands import main; main()", "scheduler",
                 "--tick", "0.2", "--node-id", name],
                env=environment, stdout=subprocess.DEVNULL, stderr=log)
        procs.append(proc)
        return proc

    engine.start_node = start
    engine.log = lambda name: (tmp_path / f"{name}.log").read_text()
    yield engine
    for proc in procs:
        if proc.poll() is None:
            proc.kill()
        proc.wait(10)
    engine.close()


def _claims(engine, node_name):
    with engine.db.read() as s:
        return s.scalar(select(func.count()).where(Timer.claimed_by == node_name,
                                                   Timer.status == "pending"))


def _timer_statuses(engine):
    with engine.db.read() as s:
        return dict(s.execute(select(Timer.status, func.count()).group_by(Timer.status)).all())


def test_sigterm_finishes_the_timer_in_hand_gives_back_the_rest_and_exits_0(node):
    cases = _start_cases(node, 5, timedelta(seconds=1), together=True)
    proc = node.start_node("stopper", **{SLOW_FIRE_ENV: "1.5"})  # 1.5 s inside each fire
    assert _wait_until(lambda: _claims(node, "stopper") == len(cases), 60), node.log("stopper")
    time.sleep(0.5)  # inside the first fire
    proc.send_signal(signal.SIGTERM)
    asked = time.monotonic()
    assert proc.wait(20) == 0, node.log("stopper")
    took = time.monotonic() - asked
    print(f"\nSIGTERM to exit: {took:.2f} s on {node.db.dialect}")
    assert took < 10, f"{took:.1f} s"  # the fire in hand is 1.5 s; the rest is a loaded machine
    assert _timer_statuses(node) == {"fired": 1, "pending": len(cases) - 1}  # the one in hand
    assert _claims(node, "stopper") == 0
    log = node.log("stopper")
    assert "SIGTERM" in log and f"{len(cases) - 1} claim" in log, log
    node.start_node("other")  # the rest fire now, not after the lease
    assert _wait_until(lambda: _timer_statuses(node) == {"fired": len(cases)}, 60), node.log("other")


def test_a_node_restarted_under_its_id_takes_back_its_own_claims(node):
    cases = _start_cases(node, 3, timedelta(seconds=1), together=True)
    victim = node.start_node("same", **{SLOW_FIRE_ENV: "60"})
    assert _wait_until(lambda: _claims(node, "same") == len(cases), 60), node.log("same")
    time.sleep(0.5)
    victim.send_signal(signal.SIGKILL)
    victim.wait(10)
    assert _claims(node, "same") == len(cases)  # left behind, each for the lease
    restarted = time.monotonic()
    node.start_node("same")
    assert _wait_until(lambda: _timer_statuses(node) == {"fired": len(cases)}, 60), node.log("same")
    print(f"\nrestart to all fired: {time.monotonic() - restarted:.2f} s on {node.db.dialect}")
    assert f"released {len(cases)} claim(s) left by its last run" in node.log("same")
