"""`liandong bench timers`: real scheduler processes against one database.

K `liandong scheduler` processes are started first; then N cases are started, each waiting
on a timer due 1 to 1+spread seconds after it starts, so timers fall due continuously
while cases are still being created. Everything measured comes from the database
afterwards: `fired` counts cases with a `timer_fired` audit event, `duplicates` counts
extra `timer_fired` events of the same timer (a timer fired twice writes two), lateness is
the audit event's time minus the timer's due time.
"""
import math
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import timedelta
from pathlib import Path
from urllib.parse import quote

from sqlalchemy import create_engine, func, select, text

from engine.config import Settings
from engine.core import Engine
from engine.storage import AuditEvent, Case, Timer
from engine.storage.schema import upgrade

MODEL = b"""<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
                  id="Definitions_bench_timer" targetNamespace="http://bpmn.io/schema/bpmn">
  <bpmn:process id="bench_timer" isExecutable="true">
    <bpmn:startEvent id="Begin" />
    <bpmn:sequenceFlow id="F1" sourceRef="Begin" targetRef="Wait" />
    <bpmn:intermediateCatchEvent id="Wait">
      <bpmn:timerEventDefinition id="WaitTimer"><bpmn:timeDate>due</bpmn:timeDate></bpmn:timerEventDefinition>
    </bpmn:intermediateCatchEvent>
    <bpmn:sequenceFlow id="F2" sourceRef="Wait" targetRef="Finish" />
    <bpmn:endEvent id="Finish" />
  </bpmn:process>
</bpmn:definitions>
"""


def _database(db_url):
    """(url the bench uses, cleanup) — a fresh SQLite file or a fresh PostgreSQL schema."""
    if not db_url or db_url.startswith("sqlite"):
        folder = tempfile.mkdtemp(prefix="liandong-timer-bench-")
        url = db_url or f"sqlite:///{Path(folder) / 'bench.sqlite3'}"
        return url, lambda: shutil.rmtree(folder, ignore_errors=True)
    schema = f"bench_{uuid.uuid4().hex[:10]}"
    admin = create_engine(db_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    sep = "&" if "?" in db_url else "?"

    def drop():
        with admin.connect() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()
    return f"{db_url}{sep}options={quote(f'-csearch_path={schema}')}", drop


def _start_schedulers(url, k, tick, log_dir):
    env = dict(os.environ, LIANDONG_DATABASE_URL=url)
    command = [sys.executable, "-c", "from web.commands import main; main()", "scheduler",
               "--tick", str(tick)]
    return [subprocess.Popen(command + ["--node-id", f"bench-{i}"], env=env,
                             stdout=subprocess.DEVNULL,
                             stderr=open(Path(log_dir) / f"scheduler-{i}.log", "w"))
            for i in range(k)]


def percentile(values, p):
    """The nearest-rank percentile: the smallest value at or above p% of the values."""
    ordered = sorted(values)
    if not ordered:
        return 0.0
    return ordered[min(len(ordered), max(1, math.ceil(p / 100 * len(ordered)))) - 1]


def run_timer_bench(n, k, db_url, tick, spread, echo):
    url, cleanup = _database(db_url)
    log_dir = tempfile.mkdtemp(prefix="liandong-timer-bench-logs-")
    engine = Engine(Settings(database_url=url))
    procs = []
    try:
        upgrade(engine.db)
        engine.deploy({"bench_timer.bpmn": MODEL})
        echo(f"database: {engine.db.dialect}; {k} scheduler process(es), tick {tick}s; "
             f"{n} cases, timers due 1-{1 + spread:.0f}s after start")
        procs = _start_schedulers(url, k, tick, log_dir)
        rng = random.Random(7)
        began = time.monotonic()
        for _ in range(n):
            due = engine.now() + timedelta(seconds=1 + rng.random() * spread)
            engine.start_case("bench_timer", data={"due": due.isoformat()})
        echo(f"started {n} cases in {time.monotonic() - began:.1f}s")
        deadline = time.monotonic() + spread + 60
        while time.monotonic() < deadline:
            if _count_fired(engine) >= n or any(p.poll() is not None for p in procs):
                break
            time.sleep(0.5)
        time.sleep(2 * tick)  # let a late duplicate, if any, be written
        figures = _measure(engine)
        dead = [i for i, p in enumerate(procs) if p.poll() is not None]
        if dead:
            echo(f"scheduler process(es) {dead} exited early; logs in {log_dir}")
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
        engine.close()
        cleanup()
    late = figures["late"]
    echo(f"fired {figures['fired']}/{n} (cases completed {figures['completed']}); "
         f"timer_fired events {figures['events']}; duplicates {figures['duplicates']}; "
         f"timer rows still pending {figures['pending']}")
    echo(f"lateness s: p50 {percentile(late, 50):.2f}  p99 {percentile(late, 99):.2f}  "
         f"max {max(late, default=0):.2f}")
    echo(f"fired={figures['fired']} duplicates={figures['duplicates']} "
         f"late_p99_s={percentile(late, 99):.2f}")
    if not dead:
        shutil.rmtree(log_dir, ignore_errors=True)
    return figures


def _count_fired(engine) -> int:
    with engine.db.read() as session:
        return session.scalar(select(func.count(func.distinct(AuditEvent.case_id)))
                              .where(AuditEvent.kind == "timer_fired"))


def _measure(engine) -> dict:
    with engine.db.read() as session:
        per_case = session.execute(select(AuditEvent.case_id, func.count())
                                   .where(AuditEvent.kind == "timer_fired")
                                   .group_by(AuditEvent.case_id)).all()
        events = session.execute(select(AuditEvent.at, Timer.due_at)
                                 .join(Timer, Timer.case_id == AuditEvent.case_id)
                                 .where(AuditEvent.kind == "timer_fired",
                                        Timer.element_id == AuditEvent.element_id)).all()
        completed = session.scalar(select(func.count()).where(Case.status == "completed"))
        pending = session.scalar(select(func.count()).where(Timer.status == "pending"))
    return {"fired": len(per_case), "events": sum(c for _, c in per_case),
            "duplicates": sum(c - 1 for _, c in per_case), "completed": completed,
            "pending": pending, "late": [(at - due).total_seconds() for at, due in events]}
