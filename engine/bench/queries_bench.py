"""`liandong bench queries`: latency of what auditors and staff read most, over N cases.

Four reads, each in its own short session as a web request would run it: a province
officer's inbox (one page of `task_query` and its count), a typical scoped case search
(one page and the total), one case's timeline (`case_history`), and the campaign dashboard.
Each runs against varying people and cases; p50 and p95 are reported in milliseconds.
"""
import random
import statistics
import time

from sqlalchemy import text

from engine import Engine, Settings
from engine.reading.dashboard import campaign_dashboard
from engine.reading.history import case_history
from engine.people.identity import load_actor
from engine.reading.inbox import count_tasks, task_query
from engine.reading.search import CaseFilter, search_cases
from engine.storage.schema import upgrade
from engine.bench.queries_generate import ACTIVITY, FORMS, generate
from engine.bench.queries_generate import DASHBOARD as DEFINITION
from engine.bench.scratch import scratch_database


def percentile(samples, q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def timed(db, runs: int, read) -> list[float]:
    """Milliseconds per run of `read(session, i)`, after three warm-up runs."""
    samples = []
    for i in range(-3, runs):
        began = time.perf_counter()
        with db.read() as session:
            read(session, i)
        if i >= 0:
            samples.append((time.perf_counter() - began) * 1000)
    return samples


def run_queries_bench(n: int, db_url: str | None, runs: int, echo) -> dict:
    with scratch_database(db_url) as url:
        engine = Engine(Settings(database_url=url))
        try:
            upgrade(engine.db)
            began = time.perf_counter()
            world = generate(engine, n)
            echo(f"generated {world.counts['cases']} cases, {world.counts['events']} audit events, "
                 f"{world.counts['tasks']} task rows on {engine.db.dialect} "
                 f"in {time.perf_counter() - began:.1f} s")
            return _measure(engine, world, n, runs, echo)
        finally:
            engine.close()


def _measure(engine, world, n, runs, echo) -> dict:
    rng = random.Random(11)
    with engine.db.read() as session:
        province_people = [load_actor(session, world.users[code][0]) for code, _ in world.provinces]
        auditor = load_actor(session, "ministry_auditor1")
        minister = load_actor(session, world.users["ministry"][0])
    now = world.now

    def inbox(session, i):
        actor = province_people[i % len(province_people)]
        rows = session.scalars(task_query(actor).limit(50)).all()
        count_tasks(session, actor)
        return rows

    def search(session, i):
        actor = province_people[i % len(province_people)]
        flt = CaseFilter(process_key="report_cycle", status="running") if i % 2 else \
            CaseFilter(process_key=ACTIVITY, stage="implementation")
        return search_cases(session, actor, flt, now, page=1, per_page=50)

    def timeline(session, _i):
        return case_history(session, auditor, rng.randint(1, n))

    def dashboard(session, _i):
        return campaign_dashboard(session, minister, DEFINITION, now)

    with engine.db.read() as session:
        board = campaign_dashboard(session, minister, DEFINITION, now)
        assert len(board.rows) == len(world.provinces), "the dashboard must show every province"
        assert set(board.group_values("form")) <= set(FORMS)
    results = {}
    for name, read in (("inbox", inbox), ("search", search), ("timeline", timeline),
                       ("dashboard", dashboard)):
        samples = timed(engine.db, runs, read)
        results[name] = (statistics.median(samples), percentile(samples, 0.95))
        echo(f"{name:<10} p50 {results[name][0]:7.2f} ms   p95 {results[name][1]:7.2f} ms")
    if engine.db.dialect == "postgresql":
        with engine.db.read() as session:
            size = session.scalar(text(
                "SELECT pg_size_pretty(sum(pg_total_relation_size(c.oid))) FROM pg_class c "
                "JOIN pg_namespace n ON n.oid = c.relnamespace "
                "WHERE n.nspname = current_schema() AND c.relkind = 'r'"))
        echo(f"tables and indexes: {size}")
    echo(f"cases={n} " + " ".join(f"{name}_p95_ms={p95:.1f}" for name, (_p50, p95) in results.items()))
    return results
